"""Metrics from SQL agree with the same figures computed in Python from the ticket rows."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from console.metrics.queries import AGE_BUCKETS, Filter, backlog, compliance, percentiles, rates
from console.store.database import make_engine, sqlite_url
from models import BusinessUnit, SlaState, Ticket, TicketStatus
from tests import clock

NOW = clock.demo_now()
YEAR = Filter(NOW.date() - timedelta(days=365), NOW.date())


@pytest.fixture
def conn(demo_home: Path) -> Iterator[Connection]:
    engine = make_engine(sqlite_url(demo_home / "cache.sqlite3"))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def rows(conn: Connection) -> list[dict[str, Any]]:
    units = dict(conn.execute(select(BusinessUnit.id, BusinessUnit.code)).all())
    return [
        {**r._asdict(), "unit": units[r.business_unit_id]}
        for r in conn.execute(
            select(
                Ticket.priority, Ticket.business_unit_id, Ticket.status, Ticket.created_at, Ticket.resolved_at,
                Ticket.resolution_state, Ticket.resolution_seconds, Ticket.resolution_due_at, Ticket.reopen_count,
                Ticket.tier,
            )
        )
    ]  # fmt: skip


def in_year(r: dict[str, Any]) -> bool:
    return r["resolved_at"] is not None and YEAR.start_at <= r["resolved_at"] < YEAR.end_at


def test_resolution_compliance_by_priority_and_unit(conn: Connection) -> None:
    data = [r for r in rows(conn) if in_year(r) and r["resolution_state"] in (SlaState.MET, SlaState.MISSED)]
    for by, field in (("priority", "priority"), ("unit", "unit")):
        expected = Counter((str(r[field]), str(r["resolution_state"])) for r in data)
        got = {c.key: (c.met, c.missed) for c in compliance(conn, YEAR, "resolution", by)}  # type: ignore[arg-type]
        assert got == {k: (expected[(k, "met")], expected[(k, "missed")]) for k, _ in expected}
    assert "low" in {c.key for c in compliance(conn, YEAR, "resolution", "priority")}  # judged by its release


def test_weekly_groups_start_on_monday_and_add_up(conn: Connection) -> None:
    weeks = compliance(conn, YEAR, "resolution", "week")
    total = sum(c.total for c in compliance(conn, YEAR, "resolution", "priority"))
    assert sum(c.total for c in weeks) == total > 0
    assert all(datetime.fromisoformat(c.key).weekday() == 0 for c in weeks)


def test_filters_narrow_the_figures(conn: Connection) -> None:
    everyone = sum(c.total for c in compliance(conn, YEAR, "response", "unit"))
    one = Filter(YEAR.start, YEAR.end, units=("DXB-HQ",), priorities=("high", "medium"))
    narrowed = compliance(conn, one, "response", "unit")
    assert [c.key for c in narrowed] == ["DXB-HQ"]
    assert 0 < narrowed[0].total < everyone


def test_percentiles_are_nearest_rank(conn: Connection) -> None:
    values = sorted(
        int(r["resolution_seconds"])
        for r in rows(conn)
        if in_year(r) and r["resolution_state"] in (SlaState.MET, SlaState.MISSED)
    )
    result = percentiles(conn, YEAR, "resolution")
    assert result.count == len(values)
    assert result.median_seconds == values[math.ceil(0.5 * len(values)) - 1]
    assert result.p90_seconds == values[math.ceil(0.9 * len(values)) - 1]


def test_backlog_ages_and_breaches(conn: Connection) -> None:
    open_rows = [r for r in rows(conn) if TicketStatus(r["status"]).is_open]
    result = backlog(conn, Filter(NOW.date() - timedelta(days=3650), NOW.date()), NOW)
    assert result.open == len(open_rows) > 0
    assert sum(n for _, n in result.by_age) == result.open
    assert [label for label, _ in result.by_age] == [label for label, _ in AGE_BUCKETS]
    due = [r["resolution_due_at"] for r in open_rows if r["resolution_due_at"] is not None]
    assert result.breached == sum(1 for d in due if d < NOW)
    assert result.due_soon == sum(1 for d in due if NOW <= d < NOW + timedelta(hours=24))


def test_reopen_and_first_contact_rates(conn: Connection) -> None:
    resolved = [r for r in rows(conn) if in_year(r)]
    result = rates(conn, YEAR)
    assert result.resolved == len(resolved)
    assert result.reopened == sum(1 for r in resolved if r["reopen_count"] > 0)
    assert result.first_contact == sum(1 for r in resolved if r["tier"] <= 1 and r["reopen_count"] == 0)
    assert 0 < result.first_contact < result.resolved


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(min_value=NOW.date() - timedelta(days=752), max_value=NOW.date()),
    days=st.integers(min_value=1, max_value=400),
    priority=st.sampled_from([(), ("high",), ("medium", "critical")]),
)
def test_any_period_adds_up_from_weeks_and_edge_days(
    conn: Connection, start: date, days: int, priority: tuple[str, ...]
) -> None:
    """Whole weeks come from weekly rows and the edges from daily rows; any period must agree with the tickets."""
    period = Filter(start, start + timedelta(days=days), priorities=priority)
    judged = [
        r for r in rows(conn)
        if r["resolved_at"] is not None and period.start_at <= r["resolved_at"] < period.end_at
        and r["resolution_state"] in (SlaState.MET, SlaState.MISSED) and (not priority or r["priority"] in priority)
    ]  # fmt: skip
    got = {c.key: (c.met, c.missed) for c in compliance(conn, period, "resolution", "week")}
    expected: Counter[tuple[str, str]] = Counter()
    for r in judged:
        monday = (r["resolved_at"].date() - timedelta(days=r["resolved_at"].weekday())).isoformat()
        expected[(monday, str(r["resolution_state"]))] += 1
    weeks = {w for w, _ in expected}
    assert got == {w: (expected[(w, "met")], expected[(w, "missed")]) for w in weeks}
    values = sorted(int(r["resolution_seconds"]) for r in judged)
    result = percentiles(conn, period, "resolution")
    assert result.count == len(values)
    if values:
        assert result.median_seconds == values[math.ceil(0.5 * len(values)) - 1]
        assert result.p90_seconds == values[math.ceil(0.9 * len(values)) - 1]
