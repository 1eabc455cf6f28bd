"""`sla recompute` on SQLite: parts of the table judged in worker processes store what one process judging every
ticket stores (and what the id-ordered stream, kept for PostgreSQL, stores); only what changed is written; a
part reads its stretch of the table and probes the trail's index per ticket (plans, not times)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from console.sla import recompute as recompute_module
from console.sla.recompute import RecomputeSummary, judge_part, part_changes, part_facts, recompute
from console.sla.store import SlaContext
from console.store.database import make_engine, sqlite_url
from tests import clock
from tests.conftest import copy_workspace
from tests.plans import as_if_a_million, plans

NOW = clock.demo_now()
LATER = NOW + timedelta(hours=5)  # running clocks move on; stopped ones do not
STORED = ", ".join(recompute_module.STORED_COLUMNS)


def engine_of(home: Path) -> Engine:
    return make_engine(sqlite_url(home / "cache.sqlite3"))


def stored(engine: Engine) -> tuple[list[tuple[object, ...]], ...]:
    """Every ticket's stored SLA as stored, and the rollups the triggers keep from them."""
    with engine.connect() as conn:
        return (
            [tuple(r) for r in conn.exec_driver_sql(f"SELECT id, {STORED} FROM tickets ORDER BY id")],
            [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM metric_rollup ORDER BY 1, 2, 3, 4, 5, 6, 7")],
            [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM metric_durations ORDER BY 1, 2, 3, 4")],
        )


def counts(summary: RecomputeSummary) -> tuple[object, ...]:
    return summary.tickets, dict(summary.response), dict(summary.resolution), summary.unjudged


def test_worker_processes_store_what_one_process_and_the_stream_store(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recompute_module, "PART", 200)  # several parts for each of two workers
    homes = {way: copy_workspace(demo_home, tmp_path / way) for way in ("processes", "here", "stream")}
    engines = {way: engine_of(home) for way, home in homes.items()}
    try:
        found = {
            "processes": recompute(engines["processes"], LATER, workers=2),
            "here": recompute(engines["here"], LATER, workers=1),
            "stream": recompute_module._recompute_streamed(engines["stream"], LATER, None),
        }
        assert found["processes"].tickets > 1000
        assert counts(found["processes"]) == counts(found["here"]) == counts(found["stream"])
        tickets, rollup, durations = stored(engines["processes"])
        assert {str(row[-1])[:19] for row in tickets} == {f"{LATER:%Y-%m-%d %H:%M:%S}"}  # all computed as of then
        assert stored(engines["here"]) == stored(engines["stream"]) == (tickets, rollup, durations)
    finally:
        for engine in engines.values():
            engine.dispose()


def test_only_what_changed_is_written(demo_copy: Path) -> None:
    engine = engine_of(demo_copy)
    try:
        recompute(engine, NOW, workers=1)
        with engine.connect() as conn:
            context = SlaContext.load(conn)
            total, first, last = conn.exec_driver_sql("SELECT count(*), min(rowid), max(rowid) FROM tickets").one()
            again = judge_part(conn, context, first, last, NOW)
            later = judge_part(conn, context, first, last, LATER)
    finally:
        engine.dispose()
    assert again.tickets == total
    assert (again.changed, again.touched) == ([], [])  # computed as of then already: nothing to write
    assert later.changed  # running clocks used more time
    assert later.touched  # a stopped clock's SLA is the same: its new sla_computed_at alone
    assert len(later.changed) + len(later.touched) == total
    width = len(recompute_module.STORED_COLUMNS) + 2  # then the rowid and the id
    assert all(len(row) == width for row in later.changed)
    assert all(len(row) == 3 for row in later.touched)


@pytest.mark.parametrize("statistics", ["demo", "a million tickets"])
def test_a_part_reads_its_stretch_of_the_table_and_probes_the_trail_per_ticket(
    conn: Connection, statistics: str
) -> None:
    if statistics != "demo":
        as_if_a_million(conn)
    found = plans(conn, lambda: (conn.execute(part_facts(1, 5000)).all(), conn.execute(part_changes(1, 5000)).all()))
    facts, changes = (p for p in found if p.sql.startswith("SELECT"))
    assert facts.lines == ["SEARCH tickets USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"], facts.text
    assert "SEARCH audit_events USING INDEX ix_audit_events_entity (entity_type=? AND entity_id=?)" in changes.lines
    assert "SEARCH tickets USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in changes.lines, changes.text
    assert not any(line.startswith("SCAN") for line in changes.lines), changes.text  # never the whole trail
    assert "USE TEMP B-TREE FOR ORDER BY" not in changes.text  # each ticket's changes come in replay order
