"""Audit events are numbered per entity (``seq``), and every replay orders by (occurred_at, seq).

Events at the same instant happen: an integration's burst, an import, a desk whose clock lags. Their
order is the order they were written in, never the order a database happens to return the rows in.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select, text

from console.access import load_actor
from console.journal import audit, values
from console.journal.values import snapshot
from console.sla.store import ticket_sla
from console.store.database import make_engine, sqlite_url
from console.sync import client
from console.tickets import edits, history
from console.tickets import service as tickets
from console.tickets.detail import load_detail
from models import (
    AuditAction,
    AuditEvent,
    ChangeRequest,
    EntityType,
    Impact,
    Priority,
    Role,
    SlaState,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    User,
    table_of,
)
from tests.sync_team import TICKETS, Team, open_ticket, rows

AUDIT = table_of(AuditEvent)
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BURST = datetime(2026, 3, 2, 9, 20, tzinfo=UTC)  # one minute, one instant: six events
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def cache(demo_copy: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    yield engine
    engine.dispose()


def login_of(conn: Connection, role: Role) -> str:
    login = conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login)).scalar()
    assert login is not None
    return str(login)


# --- replays: the same rows in any physical order give the same answers ----------------------------------


def burst_ticket(conn: Connection, number: str, order: list[int]) -> uuid.UUID:
    """A ticket logged at CREATED and worked to Resolved in one burst at BURST, its audit rows inserted
    in ``order`` (positions in the history): identical times, distinct ``seq``."""
    template = dict(conn.execute(select(TICKETS).where(Ticket.status == TicketStatus.CLOSED).limit(1)).one()._mapping)
    consultant = conn.execute(select(User.id).where(User.role == Role.FUNCTIONAL_CONSULTANT).limit(1)).scalar_one()
    ticket_id = uuid.uuid5(uuid.NAMESPACE_URL, f"burst/{number}")
    first = {
        "number": number, "kind": template["kind"], "title": "Goods receipt posts to the wrong period",
        "status": TicketStatus.NEW, "priority": Priority.MEDIUM, "impact": template["impact"],
        "urgency": template["urgency"], "tier": 1, "module_id": template["module_id"],
        "business_unit_id": template["business_unit_id"], "reporter_id": template["reporter_id"],
        "assignee_id": None, "sla_policy_id": template["sla_policy_id"], "reopen_count": 0, "created_at": CREATED,
    }  # fmt: skip
    conn.execute(
        insert(TICKETS),
        [template | first | {
            "id": ticket_id, "status": TicketStatus.RESOLVED, "priority": Priority.HIGH, "assignee_id": consultant,
            "updated_at": BURST, "first_response_at": BURST, "resolved_at": BURST, "closed_at": None,
            "problem_id": None, "change_id": None, "source_system": None, "source_key": None,
        }],
    )  # fmt: skip
    steps: list[tuple[AuditAction, str | None, Any, Any]] = [
        (AuditAction.CREATED, None, None, snapshot(first)),
        (AuditAction.FIELD_CHANGED, "assignee_id", None, consultant),
        (AuditAction.FIELD_CHANGED, "status", TicketStatus.NEW, TicketStatus.ASSIGNED),
        (AuditAction.FIELD_CHANGED, "status", TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS),
        (AuditAction.ESCALATED, "priority", Priority.MEDIUM, Priority.HIGH),
        (AuditAction.FIELD_CHANGED, "status", TicketStatus.IN_PROGRESS, TicketStatus.PENDING_REPORTER),
        (AuditAction.FIELD_CHANGED, "status", TicketStatus.PENDING_REPORTER, TicketStatus.RESOLVED),
    ]
    events = [
        {"id": uuid.uuid5(ticket_id, str(seq)), "occurred_at": CREATED if seq == 1 else BURST, "seq": seq,
         "actor_id": consultant, "entity_type": EntityType.TICKET, "entity_id": ticket_id,
         "business_unit_id": template["business_unit_id"], "action": action, "field": field,
         "old_value": values.encode(old), "new_value": new if action is AuditAction.CREATED else values.encode(new),
         "reason": "Period-end close blocked" if field == "priority" else None}
        for seq, (action, field, old, new) in enumerate(steps, start=1)
    ]  # fmt: skip
    for position in order:
        conn.execute(insert(AUDIT), [events[position]])
    return ticket_id


def test_events_at_one_instant_replay_in_seq_order_whatever_order_they_were_stored_in(cache: Engine) -> None:
    burst = list(range(1, 7))
    dice = random.Random(2026)
    orders = [[0, *burst], [*reversed(burst), 0]] + [[0, *dice.sample(burst, len(burst))] for _ in range(4)]
    with cache.begin() as conn:
        made = [(f"INC-99{n:05d}", burst_ticket(conn, f"INC-99{n:05d}", order)) for n, order in enumerate(orders)]
    with cache.connect() as conn:
        manager = load_actor(conn, login_of(conn, Role.SUPPORT_MANAGER))
        physical = select(AUDIT.c.seq).order_by(text("rowid"))  # the order SQLite stored them in
        stored = [list(conn.execute(physical.where(AUDIT.c.entity_id == t)).scalars()) for _, t in made]
        slas = [ticket_sla(conn, ticket_id, NOW) for _, ticket_id in made]
        details = [load_detail(conn, manager, number, NOW) for number, _ in made]
    assert stored == [[seq + 1 for seq in order] for order in orders]  # really stored in these orders

    first = slas[0]
    assert all(sla == first for sla in slas)
    assert all(d.sla == first for d in details)
    assert all(d.history == details[0].history for d in details)
    # And it is the right answer: the burst ends Resolved at High, both clocks stopped at that instant.
    assert first.priority == "high"
    assert (first.response.state, first.response.stopped_at) == (SlaState.MET, BURST)
    assert (first.resolution.state, first.resolution.stopped_at) == (SlaState.MET, BURST)
    statuses = [(c.old, c.new) for c in details[0].history if c.field == "status"]
    assert statuses == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "pending_reporter"),
        ("pending_reporter", "resolved"),
    ]
    fields = [c.field for c in details[0].history if c.field in ("assignee", "priority", "status")]
    assert fields == ["assignee", "status", "status", "priority", "status", "status"]
    with cache.connect() as conn:
        replayed = history.rebuild(
            dict(e._mapping) for e in conn.execute(select(AUDIT).where(AUDIT.c.entity_id == made[1][1]))
        )
    assert (replayed["status"], replayed["priority"], replayed["resolved_at"]) == ("resolved", "high", BURST)


# --- writers: one more than the entity's highest -----------------------------------------------------------------


def seqs_of(conn: Connection, entity_id: uuid.UUID) -> list[int]:
    return list(conn.execute(select(AUDIT.c.seq).where(AUDIT.c.entity_id == entity_id).order_by(AUDIT.c.seq)).scalars())


def test_each_event_of_an_intent_takes_the_next_number_of_its_ticket(cache: Engine) -> None:
    with cache.connect() as conn:
        analyst = load_actor(conn, login_of(conn, Role.SERVICE_DESK_ANALYST))
        consultant = conn.execute(select(User.id).where(User.role == Role.FUNCTIONAL_CONSULTANT).limit(1)).scalar_one()
        unit, module = conn.execute(select(Ticket.business_unit_id, Ticket.module_id).limit(1)).one()
        worked = conn.execute(select(Ticket.id).where(Ticket.status == TicketStatus.IN_PROGRESS).limit(1)).scalar_one()
        before = seqs_of(conn, worked)
    assert before == list(range(1, len(before) + 1))  # the demo numbers each history 1, 2, 3…
    logged = tickets.CreateTicket(
        uuid.uuid4(), TicketKind.INCIDENT, "Invoice 4711 blocked for payment", "", Impact.HIGH, Urgency.MEDIUM,
        unit, module, analyst.id, "INC-9800001",
    )  # fmt: skip
    steps: list[tickets.Intent] = [
        logged,
        edits.assign(logged.ticket_id, consultant, base=None),  # two events: the assignee, then Assigned
        edits.add_note(worked, "Asked the reporter for the document number.", internal=False),
    ]
    tickets.execute(cache, analyst, steps, WRITTEN)
    with cache.connect() as conn:
        new = conn.execute(
            select(AUDIT.c.seq, AUDIT.c.action, AUDIT.c.field)
            .where(AUDIT.c.entity_id == logged.ticket_id)
            .order_by(*audit.REPLAY_ORDER)
        ).all()
        assert seqs_of(conn, worked) == [*before, len(before) + 1]
    assert [tuple(r) for r in new] == [
        (1, AuditAction.CREATED, None),
        (2, AuditAction.FIELD_CHANGED, "assignee_id"),
        (3, AuditAction.FIELD_CHANGED, "status"),
    ]


@pytest.fixture
def pg_shared(pg_demo: Callable[[], str]) -> Iterator[Engine]:
    engine = make_engine(pg_demo())
    yield engine
    engine.dispose()


def waiting_on_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()
    return found == "Lock"


@pytest.mark.postgres
@pytest.mark.parametrize("entity_type", [EntityType.TICKET, EntityType.CHANGE])
def test_two_writers_of_one_entity_on_postgresql_take_a_number_each(pg_shared: Engine, entity_type: EntityType) -> None:
    with pg_shared.connect() as conn:
        model: Any = Ticket if entity_type is EntityType.TICKET else ChangeRequest
        entity_id = conn.execute(select(model.id).order_by(model.number).limit(1)).scalar_one()
        before = seqs_of(conn, entity_id)

    def write(conn: Connection, what: str) -> None:
        audit.audit(conn, at=WRITTEN, actor_id=None, entity_type=entity_type, entity_id=entity_id, unit_id=None,
                      action=AuditAction.COMMENTED, field="internal", new=what)  # fmt: skip

    # The first writer numbers its event and keeps its transaction open; the second must wait for it,
    # then number after it (without the lock both would read the same highest number).
    first = pg_shared.connect()
    first.begin()
    write(first, "first")
    pid: list[int] = []
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with pg_shared.connect() as conn:
                pid.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                conn.rollback()
                with conn.begin():
                    write(conn, "second")
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    deadline = threading.Event()
    for _ in range(1000):
        if pid and waiting_on_a_lock(pg_shared, pid[0]):
            break
        deadline.wait(0.01)
    assert thread.is_alive(), failed
    assert waiting_on_a_lock(pg_shared, pid[0])
    first.commit()
    first.close()
    thread.join(30)
    assert not thread.is_alive()
    assert not failed, failed

    with pg_shared.connect() as conn:
        numbered = dict(
            conn.execute(
                select(AUDIT.c.new_value, AUDIT.c.seq).where(
                    AUDIT.c.entity_id == entity_id, AUDIT.c.entity_type == entity_type
                )
            ).all()
        )
        assert seqs_of(conn, entity_id) == list(range(1, len(before) + 3))
    top = max(before, default=0)
    assert (numbered["first"], numbered["second"]) == (top + 1, top + 2)


# --- sync: the shared database's numbers are the ones every cache ends with --------------------------------------


def test_notes_made_offline_on_two_desks_are_numbered_by_the_shared_database(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT, nth=0)
    bob = team.desk("bob", Role.FUNCTIONAL_CONSULTANT, nth=1)
    ticket_id, _row = open_ticket(team)
    with team.shared.connect() as conn:
        top = max(seqs_of(conn, ticket_id))
    notes: dict[str, tickets.AddComment] = {}
    for name, desk, body in (("alice", alice, "Re-ran the GR/IR clearing."), ("bob", bob, "Vendor confirms.")):
        notes[name] = edits.add_note(ticket_id, body, internal=True)
        tickets.execute(desk.cache(), team.actor(desk), [notes[name]], WRITTEN)
        with desk.cache().connect() as conn:  # offline, each desk takes the next number it knows of
            assert seqs_of(conn, ticket_id)[-1] == top + 1
    client.sync_workspace(alice)
    client.sync_workspace(bob)
    client.sync_workspace(alice)

    where = (AuditEvent.entity_id == ticket_id,)
    shared = rows(team.shared, AUDIT, *where)
    assert rows(alice.cache(), AUDIT, *where) == shared == rows(bob.cache(), AUDIT, *where)
    with team.shared.connect() as conn:
        assert seqs_of(conn, ticket_id) == list(range(1, top + 3))
        by_note = dict(
            conn.execute(
                select(AUDIT.c.new_value, AUDIT.c.seq).where(*where, AUDIT.c.action == AuditAction.COMMENTED)
            ).all()
        )
    assert (by_note[str(notes["alice"].comment_id)], by_note[str(notes["bob"].comment_id)]) == (top + 1, top + 2)
