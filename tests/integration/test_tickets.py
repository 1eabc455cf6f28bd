"""Ticket services on the demo cache: each intent validated, applied, audited; refusals change nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from console.access import Actor, Refused, load_actor
from console.journal import audit, values
from console.store.workspace import Workspace
from console.tickets import edits, history, workflow
from console.tickets import service as tickets
from models import (
    AuditEvent,
    BusinessUnit,
    Comment,
    EntityType,
    ErpModule,
    Impact,
    Priority,
    Role,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    User,
    table_of,
)
from tests import clock

NOW = clock.demo_now() + timedelta(hours=9, minutes=30)
TICKETS = table_of(Ticket)


@pytest.fixture
def engine(workspace: Workspace) -> Engine:
    return workspace.cache()


def actor(conn: Connection, role: Role) -> Actor:
    query = select(User.login).where(User.role == role, User.active).order_by(User.login)
    login = conn.execute(query).scalars().first()
    assert login is not None
    return load_actor(conn, login)


def log_ticket(
    workspace: Workspace,
    analyst: Actor,
    priority: Priority | None = None,
    reason: str | None = None,
    unit: uuid.UUID | None = None,
) -> tickets.Applied:
    """A new ticket, logged by the service desk through the service (the demo's are all past New)."""
    engine = workspace.cache()
    with engine.begin() as conn:
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, workspace.client_id)
        if unit is None:
            unit = conn.execute(select(Ticket.business_unit_id).order_by(Ticket.number).limit(1)).scalar_one()
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code).limit(1)).scalar_one()
    intent = tickets.CreateTicket(
        uuid.uuid4(), TicketKind.INCIDENT, "Invoice 4711 blocked for payment", "", Impact.HIGH, Urgency.MEDIUM,
        unit, module, analyst.id, number, priority, reason,
    )  # fmt: skip
    return tickets.execute(engine, analyst, [intent], NOW)[0]


def new_ticket(workspace: Workspace, unit: uuid.UUID | None = None) -> dict[str, Any]:
    with workspace.cache().connect() as conn:
        analyst = actor(conn, Role.SERVICE_DESK_ANALYST)
    logged = log_ticket(workspace, analyst, unit=unit)
    with workspace.cache().connect() as conn:
        return row(conn, logged.ticket_id)


def ticket(conn: Connection, *where: Any) -> dict[str, Any]:
    row = conn.execute(select(TICKETS).where(*where).order_by(Ticket.number).limit(1)).first()
    assert row is not None
    return dict(row._mapping)


def row(conn: Connection, ticket_id: uuid.UUID) -> dict[str, Any]:
    return dict(conn.execute(select(TICKETS).where(Ticket.id == ticket_id)).one()._mapping)


def audit_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def replayed(conn: Connection, ticket_id: uuid.UUID) -> dict[str, Any]:
    events = conn.execute(
        select(table_of(AuditEvent))
        .where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id == ticket_id)
        .order_by(*audit.REPLAY_ORDER)
    ).all()
    return history.rebuild(dict(e._mapping) for e in events)


def assert_history_matches_row(conn: Connection, ticket_id: uuid.UUID) -> None:
    state, current = replayed(conn, ticket_id), row(conn, ticket_id)
    for name in history.TICKET_FIELDS:
        if name in state:
            assert values.encode(state[name]) == values.encode(current[name]), name


def test_a_ticket_worked_from_new_to_closed(workspace: Workspace, engine: Engine) -> None:
    new = new_ticket(workspace)
    with engine.connect() as conn:
        consultant = actor(conn, Role.FUNCTIONAL_CONSULTANT)
    steps: list[tickets.Intent] = [
        edits.assign(new["id"], consultant.id, base=None),
        edits.set_status(new["id"], TicketStatus.IN_PROGRESS, base=TicketStatus.ASSIGNED),
        edits.add_note(new["id"], "Checked the posting keys; the tax code is missing.", internal=True),
        edits.set_status(new["id"], TicketStatus.PENDING_VENDOR, base=TicketStatus.IN_PROGRESS, reason="SAP note"),
        edits.set_status(new["id"], TicketStatus.IN_PROGRESS, base=TicketStatus.PENDING_VENDOR),
        edits.set_status(new["id"], TicketStatus.RESOLVED, base=TicketStatus.IN_PROGRESS, reason="Tax code added"),
        edits.set_status(new["id"], TicketStatus.CLOSED, base=TicketStatus.RESOLVED),
    ]
    for minutes, step in enumerate(steps):  # a minute apart
        tickets.execute(engine, consultant, [step], NOW + timedelta(minutes=minutes))
    with engine.connect() as conn:
        done = row(conn, new["id"])
        assert done["status"] == TicketStatus.CLOSED
        assert done["assignee_id"] == consultant.id
        assert NOW <= done["first_response_at"] < NOW + timedelta(milliseconds=1)  # it left New on assignment
        assert done["resolved_at"] == NOW + timedelta(minutes=5)
        assert done["closed_at"] == NOW + timedelta(minutes=6)
        assert done["response_state"] is not None
        assert done["sla_computed_at"] == NOW + timedelta(minutes=6)
        notes = conn.execute(select(Comment.body).where(Comment.ticket_id == new["id"])).scalars().all()
        assert "Checked the posting keys; the tax code is missing." in notes
        assert_history_matches_row(conn, new["id"])


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (TicketStatus.RESOLVED, "cannot go from New to Resolved; from New it can go to Assigned"),
        (TicketStatus.CLOSED, "cannot go from New to Closed"),
        (TicketStatus.IN_PROGRESS, "cannot go from New to In progress"),
    ],
)
def test_an_illegal_transition_is_refused_and_changes_nothing(
    workspace: Workspace, engine: Engine, status: TicketStatus, message: str
) -> None:
    new = new_ticket(workspace)
    with engine.connect() as conn:
        consultant = actor(conn, Role.FUNCTIONAL_CONSULTANT)
        events = audit_count(conn)
    with pytest.raises(Refused, match=message):
        tickets.execute(engine, consultant, [edits.set_status(new["id"], status, base=TicketStatus.NEW)], NOW)
    with engine.connect() as conn:
        assert row(conn, new["id"]) == new
        assert audit_count(conn) == events


def test_several_intents_are_all_or_nothing(workspace: Workspace, engine: Engine) -> None:
    new = new_ticket(workspace)
    with engine.connect() as conn:
        consultant = actor(conn, Role.FUNCTIONAL_CONSULTANT)
        events = audit_count(conn)
    batch = [
        edits.assign(new["id"], consultant.id, base=None),  # fine on its own
        edits.set_status(new["id"], TicketStatus.IN_PROGRESS, base=TicketStatus.ASSIGNED),  # fine too
        edits.set_status(new["id"], TicketStatus.RESOLVED, base=TicketStatus.IN_PROGRESS),  # no reason: refused
    ]
    with pytest.raises(Refused, match="a reason is required"):
        tickets.execute(engine, consultant, batch, NOW)
    with engine.connect() as conn:
        assert row(conn, new["id"]) == new
        assert audit_count(conn) == events


def test_an_edit_on_a_value_that_changed_meanwhile_is_refused(workspace: Workspace, engine: Engine) -> None:
    worked = new_ticket(workspace)  # High, from impact high × urgency medium
    with engine.connect() as conn:
        manager = actor(conn, Role.SUPPORT_MANAGER)
    stale = edits.set_priority(worked["id"], Priority.CRITICAL, base=Priority.MEDIUM, reason="Month-end blocked")
    with pytest.raises(Refused, match="changed meanwhile: its priority is now high, not medium"):
        tickets.execute(engine, manager, [stale], NOW)
    raised = edits.set_priority(worked["id"], Priority.CRITICAL, base=Priority.HIGH, reason="Month-end blocked")
    tickets.execute(engine, manager, [raised], NOW)
    with engine.connect() as conn:
        assert row(conn, worked["id"])["priority"] == Priority.CRITICAL
        where = (AuditEvent.entity_id == worked["id"], AuditEvent.field == "priority")
        last = conn.execute(
            select(AuditEvent.action, AuditEvent.reason).where(*where).order_by(AuditEvent.occurred_at.desc()).limit(1)
        ).one()
        assert (str(last.action), last.reason) == ("escalated", "Month-end blocked")


def test_a_super_user_works_only_in_their_own_units(workspace: Workspace, engine: Engine) -> None:
    with engine.connect() as conn:
        super_user = actor(conn, Role.SUPER_USER)
        assert super_user.units
        elsewhere = conn.execute(select(BusinessUnit.id).where(BusinessUnit.id.not_in(super_user.units))).scalars()
        other_unit = next(iter(elsewhere))
    theirs, other = new_ticket(workspace, next(iter(super_user.units))), new_ticket(workspace, other_unit)
    with engine.connect() as conn:
        modules = conn.execute(select(ErpModule.id).where(ErpModule.id != theirs["module_id"])).scalars().all()
    with pytest.raises(Refused, match="super-user of other business units"):
        tickets.execute(engine, super_user, [edits.add_note(other["id"], "hello", internal=False)], NOW)
    resolve = edits.set_status(theirs["id"], TicketStatus.ASSIGNED, base=theirs["status"], reason="x")
    with pytest.raises(Refused, match="A super user cannot work tickets"):
        tickets.execute(engine, super_user, [resolve], NOW)
    tickets.execute(engine, super_user, [edits.set_module(theirs["id"], modules[0], base=theirs["module_id"])], NOW)
    with engine.connect() as conn:
        assert row(conn, theirs["id"])["module_id"] == modules[0]


def test_the_service_desk_hands_over_but_does_not_work_tier_2(engine: Engine) -> None:
    with engine.connect() as conn:
        analyst = actor(conn, Role.SERVICE_DESK_ANALYST)
        tier2 = ticket(conn, Ticket.tier == 2, Ticket.status == TicketStatus.IN_PROGRESS)
    wait = edits.set_status(tier2["id"], TicketStatus.PENDING_REPORTER, base=tier2["status"], reason="Asked")
    with pytest.raises(Refused, match="tier 2; the service desk hands it over but does not work it"):
        tickets.execute(engine, analyst, [wait], NOW)


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "The note is empty"), ("x" * 20_001, "the limit is 20,000"), ("\x00\x01", "The note is empty")],
)
def test_bad_notes_are_refused(engine: Engine, body: str, message: str) -> None:
    with engine.connect() as conn:
        consultant = actor(conn, Role.FUNCTIONAL_CONSULTANT)
        some = ticket(conn, Ticket.status == TicketStatus.IN_PROGRESS)
    with pytest.raises(Refused, match=message):
        tickets.execute(engine, consultant, [edits.add_note(some["id"], body, internal=True)], NOW)


def test_odd_unicode_and_sql_in_a_note_are_kept_as_text(engine: Engine) -> None:
    body = "'); DROP TABLE tickets; -- \u200f\u0633\u0641\u0627\u0631\u0634 🧾 e\u0301 \u202e"
    with engine.connect() as conn:
        consultant = actor(conn, Role.FUNCTIONAL_CONSULTANT)
        some = ticket(conn, Ticket.status == TicketStatus.IN_PROGRESS)
    tickets.execute(engine, consultant, [edits.add_note(some["id"], body, internal=False)], NOW)
    with engine.connect() as conn:
        stored = conn.execute(
            select(Comment.body).where(Comment.ticket_id == some["id"]).order_by(Comment.created_at.desc()).limit(1)
        ).scalar_one()
        assert stored.startswith("'); DROP TABLE tickets; --")
        assert "🧾" in stored
        assert conn.execute(select(func.count()).select_from(Ticket)).scalar_one() > 0


def test_logging_a_ticket_takes_a_number_and_the_matrix_priority(workspace: Workspace, engine: Engine) -> None:
    with engine.connect() as conn:
        analyst = actor(conn, Role.SERVICE_DESK_ANALYST)
    with pytest.raises(Refused, match="Impact high and urgency medium give high; say why it should be critical"):
        log_ticket(workspace, analyst, Priority.CRITICAL)
    first = log_ticket(workspace, analyst)
    second = log_ticket(workspace, analyst, Priority.CRITICAL, "CFO escalated")
    assert first.number.startswith("INC-")
    assert first.number != second.number
    with engine.connect() as conn:
        created = row(conn, first.ticket_id)
        assert (created["status"], created["priority"], created["tier"]) == (TicketStatus.NEW, Priority.HIGH, 1)
        assert created["response_due_at"] is not None
        assert row(conn, second.ticket_id)["priority"] == Priority.CRITICAL
        assert_history_matches_row(conn, first.ticket_id)


def test_every_status_change_in_the_demo_history_follows_the_workflow(engine: Engine) -> None:
    with engine.connect() as conn:
        moves = conn.execute(
            select(AuditEvent.old_value, AuditEvent.new_value).where(
                AuditEvent.entity_type == EntityType.TICKET, AuditEvent.field == "status"
            )
        ).all()
    assert len(moves) > 1000
    illegal = {(o, n) for o, n in moves if TicketStatus(str(n)) not in workflow.TRANSITIONS[TicketStatus(str(o))]}
    assert illegal == set()
