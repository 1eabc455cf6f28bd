"""The suite's one clock: every test that reads "now" or builds a demo reads it here.

``SUPPORT_CONSOLE_TEST_NOW=2028-02-29T09:00:00Z make test`` runs the whole suite at another
moment. The test process's clocks are moved there when the session starts and keep ticking
(``time-machine``: ``datetime.now``, ``date.today``, ``time.time`` and the rest, so the
application under test, window included, lives at that moment too), and every subprocess a test
starts through :func:`python_module` is moved by the same amount. Unset, the suite runs at the
real time; it must pass at any moment either way.

What cannot be moved is the PostgreSQL server's own clock; nothing the suite asserts depends on it.
"""

from __future__ import annotations

import functools
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ENV = "SUPPORT_CONSOLE_TEST_NOW"
ROOT = Path(__file__).resolve().parents[1]
"""The checkout, appended (not prepended) to a subprocess's path so it finds this module, not another console."""
SHIFT_ENV = "SUPPORT_CONSOLE_TEST_SHIFT"
"""Seconds the clocks are moved by, set once for the session so subprocesses move by the same."""


def parse_moment(text: str) -> datetime:
    """``2028-02-29T09:00:00Z`` or ``2027-03-21`` (midnight UTC); a moment without a zone is UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def shift() -> timedelta | None:
    """How far this process's clocks are moved, or None when they run at the real time."""
    seconds = os.environ.get(SHIFT_ENV)
    if seconds is not None:
        return timedelta(seconds=float(seconds))
    wanted = os.environ.get(ENV, "").strip()
    if not wanted:
        return None
    moved = parse_moment(wanted) - datetime.now(UTC)
    os.environ[SHIFT_ENV] = repr(moved.total_seconds())
    return moved


_travelling: list[object] = []


def travel() -> None:
    """Move this process's clocks by the session's shift, once (no-op at the real time); they keep ticking."""
    moved = shift()
    if moved is None or _travelling:
        return
    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + moved, tick=True)
    traveller.start()
    _travelling.append(traveller)


def now() -> datetime:
    """The current moment, aware, in UTC: the one every test reads."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC, by the suite's clock."""
    return now().date()


@functools.cache
def demo_until() -> date:
    """The last day of every demo the suite builds: the suite's today when it first asks, fixed for the
    session (a run that crosses midnight keeps one demo), so a demo is as fresh as a real workspace."""
    return today()


def demo_now() -> datetime:
    """The moment the demo ends (midnight UTC after its history): tests that judge the demo "as of its
    end" read the clock here, so their answers are the demo's and not the minute the test ran."""
    return datetime.combine(demo_until(), time(), UTC)


def python_module(module: str) -> list[str]:
    """The command line that runs ``python -m module`` with its clocks moved like this process's."""
    if shift() is None:
        return [sys.executable, "-m", module]
    prelude = (
        f"import runpy, sys; sys.path.append({str(ROOT)!r}); from tests.clock import travel; travel(); "
        f"sys.argv[0] = {module!r}; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", prelude]


DATE_SENSITIVE = frozenset(
    {
        "tests/unit/test_sla_calendar.py",
        "tests/unit/test_sla_engine.py",
        "tests/unit/test_sla_histories.py",
        "tests/unit/test_sla_releases.py",
        "tests/unit/test_change_rules.py",
        "tests/integration/test_sla_store.py",
        "tests/integration/test_changes.py",
        "tests/integration/test_cli_changes.py",
        "tests/integration/test_cli_tickets.py",
        "tests/integration/test_metrics.py",
        "tests/integration/test_metrics_knowledge.py",
        "tests/integration/test_report.py",
        "tests/integration/test_demo.py",
        "tests/integration/test_queue.py",
        "tests/integration/test_releases.py",
        "tests/integration/test_sync_releases.py",
        "tests/integration/test_tickets.py",
        "tests/integration/test_derived.py",
        "tests/gui/test_change_view.py",
        "tests/gui/test_metrics_view.py",
        "tests/gui/test_queue_view.py",
        "tests/gui/test_queue_releases.py",
        "tests/gui/test_ticket_sla.py",
        "tests/integration/test_cli_sla_picture.py",
        "tests/gui/test_queue_look.py",
    }
)
"""Test modules whose subject is time (SLA clocks, freezes, the change calendar, metrics by week, the
report, the demo): marked ``clock`` and run again by ``make test-dates`` at the moments it lists."""
