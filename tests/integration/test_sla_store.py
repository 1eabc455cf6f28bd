"""The SLA engine on the demo workspace's real histories, policies and calendars."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select, update

from console.access import load_actor
from console.cli.command import main
from console.sla import Policy, Target
from console.sla.recompute import recompute, what_if
from console.sla.store import SlaContext, changes_by_ticket, ticket_facts, ticket_sla
from console.store.database import make_engine, sqlite_url
from console.tickets import edits
from console.tickets import service as tickets
from models import (
    AuditAction,
    AuditEvent,
    Comment,
    EntityType,
    Priority,
    Role,
    SlaState,
    SlaTarget,
    Ticket,
    TicketStatus,
    User,
    new_id,
    table_of,
)
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
    assert {SlaState.MET, SlaState.MISSED} <= states
    assert SlaState.NOT_TIMED not in states  # the demo plans releases ahead: every Low ticket is due with one


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


def test_a_history_another_client_wrote_wrong_is_named_and_stops_nothing_else(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.begin() as conn:
        ticket = conn.execute(
            select(Ticket.id, Ticket.number, Ticket.business_unit_id, Ticket.resolution_state, Ticket.resolution_due_at)
            .where(Ticket.status == TicketStatus.IN_PROGRESS)
            .order_by(Ticket.number)
        ).first()
        assert ticket is not None
        seq = conn.execute(select(func.max(AuditEvent.seq)).where(AuditEvent.entity_id == ticket.id)).scalar_one()
        conn.execute(  # an integration's raw SQL, in another tool's words
            insert(table_of(AuditEvent)).values(
                id=new_id(), occurred_at=NOW - timedelta(hours=1), seq=seq + 1, actor_id=None,
                entity_type=EntityType.TICKET, entity_id=ticket.id, business_unit_id=ticket.business_unit_id,
                action=AuditAction.FIELD_CHANGED, field="status", old_value="in_progress", new_value="Resolved",
            )
        )  # fmt: skip
        login = conn.execute(select(User.login).where(User.role == Role.SUPPORT_MANAGER)).scalars().first()
        assert login is not None
        actor = load_actor(conn, login)
        total = conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
    named = f"The SLA of {ticket.number} cannot be judged: unknown status 'Resolved'"

    assert main(["--home", str(demo_copy), "sla", "show", ticket.number, "--now", NOW.isoformat()]) == 1
    err = capsys.readouterr().err
    assert named in err
    assert "Traceback" not in err

    # Recompute stores every other ticket, names this one and says so in its exit code.
    assert main(["--home", str(demo_copy), "sla", "recompute", "--now", NOW.isoformat()]) == 1
    out, err = capsys.readouterr()
    assert f"Recomputed {total - 1:,} tickets" in out
    assert named in err
    assert "1 ticket was left as it was stored." in err

    # A person's note on it still goes in; its stored SLA stays as it was.
    tickets.execute(engine, actor, [edits.add_note(ticket.id, "Asked the integration team.", internal=True)], NOW)
    with engine.connect() as conn:
        stored = conn.execute(
            select(Ticket.resolution_state, Ticket.resolution_due_at).where(Ticket.id == ticket.id)
        ).one()
        notes = conn.execute(select(Comment.body).where(Comment.ticket_id == ticket.id)).scalars().all()
    engine.dispose()
    assert tuple(stored) == (ticket.resolution_state, ticket.resolution_due_at)
    assert "Asked the integration team." in notes
