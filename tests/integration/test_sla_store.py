"""The SLA engine on the demo workspace's real histories, policies and calendars."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select, update

from console.database import make_engine, sqlite_url
from console.sla import ClockState
from console.sla.store import SlaContext, changes_by_ticket, ticket_facts, ticket_sla
from models import Priority, SlaTarget, Ticket

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def evaluate_all(conn: Connection) -> dict[str, object]:
    context = SlaContext.load(conn)
    changes = dict(changes_by_ticket(conn))
    return {facts.id.hex: context.evaluate(facts, changes.get(facts.id, []), NOW) for facts in ticket_facts(conn)}


def test_clocks_stop_where_the_tickets_say(demo_home: Path) -> None:
    engine = make_engine(sqlite_url(demo_home / "cache.sqlite3"))
    with engine.connect() as conn:
        results = evaluate_all(conn)
        tickets = {t.id.hex: t for t in conn.execute(select(Ticket.id, Ticket.first_response_at, Ticket.resolved_at))}
    engine.dispose()
    assert len(results) == len(tickets) > 0
    states: set[ClockState] = set()
    for key, ticket in tickets.items():
        result = results[key]
        assert result.response.stopped_at == ticket.first_response_at  # type: ignore[attr-defined]
        if ticket.resolved_at is not None:
            assert result.resolution.stopped_at == ticket.resolved_at  # type: ignore[attr-defined]
        states.add(result.resolution.state)  # type: ignore[attr-defined]
    assert {ClockState.MET, ClockState.MISSED, ClockState.NOT_TIMED} <= states


def test_a_policy_change_recomputes_past_tickets(demo_copy: Path) -> None:
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.begin() as conn:
        ticket_id = conn.execute(
            select(Ticket.id).where(Ticket.priority == Priority.MEDIUM, Ticket.resolved_at.is_not(None)).limit(1)
        ).scalar_one()
        before = ticket_sla(conn, ticket_id, NOW)
        assert before.resolution.state is ClockState.MET
        conn.execute(update(SlaTarget).where(SlaTarget.priority == Priority.MEDIUM).values(resolution_minutes=1))
        after = ticket_sla(conn, ticket_id, NOW)
    engine.dispose()
    assert after.resolution.state is ClockState.MISSED
    assert after.resolution.used == before.resolution.used
