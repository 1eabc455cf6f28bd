"""The SLA engine on the demo workspace's real histories, policies and calendars."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection, func, select, update

from console.database import make_engine, sqlite_url
from console.sla import Policy, Target
from console.sla.recompute import recompute, what_if
from console.sla.store import SlaContext, changes_by_ticket, ticket_facts, ticket_sla
from models import Priority, SlaState, SlaTarget, Ticket
from tests import clock

NOW = clock.demo_now()


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
    states: set[SlaState] = set()
    for key, ticket in tickets.items():
        result = results[key]
        assert result.response.stopped_at == ticket.first_response_at  # type: ignore[attr-defined]
        if ticket.resolved_at is not None:
            assert result.resolution.stopped_at == ticket.resolved_at  # type: ignore[attr-defined]
        states.add(result.resolution.state)  # type: ignore[attr-defined]
    assert {SlaState.MET, SlaState.MISSED, SlaState.NOT_TIMED} <= states


def test_a_policy_change_recomputes_past_tickets(demo_copy: Path) -> None:
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.begin() as conn:
        resolved = conn.execute(
            select(Ticket.id).where(Ticket.priority == Priority.MEDIUM, Ticket.resolved_at.is_not(None)).limit(50)
        ).scalars()
        # one met after some working time (one logged and solved within a holiday used none and meets any target)
        ticket_id, before = next(
            (t, sla)
            for t in resolved
            if (sla := ticket_sla(conn, t, NOW)).resolution.state is SlaState.MET
            and sla.resolution.used > timedelta(minutes=1)
        )
        conn.execute(update(SlaTarget).where(SlaTarget.priority == Priority.MEDIUM).values(resolution_minutes=1))
        after = ticket_sla(conn, ticket_id, NOW)
    engine.dispose()
    assert after.resolution.state is SlaState.MISSED
    assert after.resolution.used == before.resolution.used


def test_the_demo_stores_what_the_engine_says(demo_home: Path) -> None:
    engine = make_engine(sqlite_url(demo_home / "cache.sqlite3"))
    with engine.connect() as conn:
        results = evaluate_all(conn)
        stored = conn.execute(
            select(Ticket.id, Ticket.resolution_state, Ticket.resolution_due_at, Ticket.response_seconds)
        )
        rows = list(stored)
    engine.dispose()
    assert rows
    for ticket_id, state, due, response_seconds in rows:
        result = results[ticket_id.hex]
        assert state == result.resolution.state  # type: ignore[attr-defined]
        assert due == result.resolution.due_at  # type: ignore[attr-defined]
        assert response_seconds == int(result.response.used.total_seconds())  # type: ignore[attr-defined]


def test_recompute_after_a_policy_change_and_a_what_if(demo_copy: Path) -> None:
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))

    def missed() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(Ticket.resolution_state.in_(["missed", "breached"]))
                ).scalar_one()
            )

    before = missed()
    with engine.connect() as conn:
        context = SlaContext.load(conn)
        current = next(iter(context.policies.values()))
        stricter = Policy(
            "stricter",
            {p: Target(t.response / 4, t.resolution / 4 if t.resolution else None, t.around_the_clock)
             for p, t in current.targets.items()},
            current.pause_statuses,
        )  # fmt: skip
        outlook = what_if(conn, stricter, NOW - timedelta(days=800), NOW, NOW)
    assert outlook.tickets > 0
    assert outlook.proposed_missed > outlook.current_missed
    with engine.begin() as conn:
        conn.execute(update(SlaTarget).values(resolution_minutes=SlaTarget.resolution_minutes / 4))
    summary = recompute(engine, NOW)
    engine.dispose()
    assert summary.tickets > 0
    assert missed() > before
