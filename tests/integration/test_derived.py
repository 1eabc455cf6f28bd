"""The cache's derived rollup is kept current by triggers: after any edit it equals a rebuild."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from console.metrics.queries import Filter, compliance
from console.sla.recompute import recompute
from console.store import derived
from console.store.database import make_engine, sqlite_url
from console.store.workspace import Workspace
from models import BusinessUnit, Priority, SlaState, Ticket, TicketStatus
from models.base import table_of
from tests import clock

NOW = clock.demo_now()
TICKETS = table_of(Ticket)


@pytest.fixture
def engine(demo_copy: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    yield engine
    engine.dispose()


def counted(conn: Connection) -> set[tuple[object, ...]]:
    """The rollups' rows that count something (a key whose counts all went back to zero may linger)."""
    outcomes = conn.execute(select(derived.rollup).where(derived.rollup.c.stopped != 0))
    durations = conn.execute(select(derived.durations).where(derived.durations.c.n != 0))
    return {("outcome", *row) for row in outcomes} | {("duration", *row) for row in durations}


def rebuilt(conn: Connection) -> set[tuple[object, ...]]:
    derived.build(conn)
    return counted(conn)


def resolved_tickets(conn: Connection, n: int) -> list[Row[Any]]:
    query = select(TICKETS).where(Ticket.resolved_at.is_not(None)).order_by(Ticket.number).limit(n)
    return list(conn.execute(query))


def test_the_demo_cache_has_its_rollup(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == derived.VERSION
        before = counted(conn)
        assert before
        assert before == rebuilt(conn)


def test_every_kind_of_edit_keeps_the_rollup_current(engine: Engine) -> None:
    with engine.begin() as conn:
        tickets = resolved_tickets(conn, 9)
        other_unit = conn.execute(
            select(BusinessUnit.id).where(BusinessUnit.id != tickets[0].business_unit_id).limit(1)
        ).scalar_one()
        changes: list[dict[str, object]] = [
            {"resolution_state": SlaState.MISSED if tickets[0].resolution_state == SlaState.MET else SlaState.MET},
            {"resolved_at": tickets[1].resolved_at - timedelta(days=40)},
            {"business_unit_id": other_unit},
            {"priority": Priority.CRITICAL if tickets[3].priority != Priority.CRITICAL else Priority.LOW},
            {"tier": 3},
            {"reopen_count": 2},
            {"resolved_at": None, "status": TicketStatus.IN_PROGRESS, "resolution_state": SlaState.RUNNING},
        ]
        for ticket, values in zip(tickets, changes, strict=False):
            conn.execute(update(Ticket).where(Ticket.id == ticket.id).values(**values))
        conn.execute(delete(TICKETS).where(Ticket.id == tickets[7].id))
        # A copy of the last one under a new id and number: an insert adds its counts.
        conn.execute(insert(TICKETS), [{**tickets[8]._asdict(), "id": uuid.uuid4(), "number": "SER-9999999"}])
        after = counted(conn)
        assert after == rebuilt(conn)


def test_metrics_follow_a_recompute_without_a_rebuild(demo_copy: Path) -> None:
    """A policy change recomputes history; the rollup (hence every chart) moves with it."""
    workspace = Workspace.open(demo_copy)
    engine = workspace.cache()
    year = Filter(NOW.date() - timedelta(days=365), NOW.date())
    with engine.connect() as conn:
        before = {c.key: c for c in compliance(conn, year, "resolution", "priority")}
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE sla_targets SET resolution_minutes = resolution_minutes / 4 WHERE priority = 'high'"
        )
    recompute(engine, NOW)
    with engine.connect() as conn:
        after = {c.key: c for c in compliance(conn, year, "resolution", "priority")}
        assert counted(conn) == rebuilt(conn)
    assert after["high"].missed > before["high"].missed
    assert after["high"].total == before["high"].total
    assert after["critical"] == before["critical"]
    workspace.close()
