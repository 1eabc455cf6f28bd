"""Working problems: open one (from candidates, with its incidents), edit it, move it along its lifecycle, link
and unlink incidents — each edit an intent, applied to the cache and kept in the outbox, and applied again by
the shared database with the same rules (``console.sync.merge``), as tickets and changes are.

The rules are ``console.problems.rules``; the words a person reads are the catalogue's. A problem's history is
its audit trail (``EntityType.PROBLEM``); linking an incident is an edit of the ticket too (its ``problem_id``,
audited on the ticket) so the ticket view and the ticket's history show it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from console.access import Actor, Can, Refused, require
from console.i18n import _
from console.journal import conflicts as sync_conflicts
from console.journal import outbox
from console.journal.audit import CONFLICT_RESOLVED, audit, ids_of
from console.journal.intents import (
    EditProblem,
    LinkIncidents,
    MoveProblem,
    NewProblem,
    ProblemIntent,
    ResolveProblemConflict,
)
from console.journal.values import encode, snapshot
from console.problems.rules import CLOSERS, EDITABLE, GATES, MOVES, TEXTS, WORKERS, needs_reason
from console.store.numbering import take_or_reserve
from console.text import clean_text
from console.tickets.service import DESCRIPTION_MAX, REASON_MAX
from console.words import said
from models import (
    AuditAction,
    BusinessUnit,
    EntityType,
    ErpModule,
    Priority,
    Problem,
    ProblemStatus,
    SupportGroup,
    Ticket,
    User,
    change_problems,
    table_of,
)
from models.tickets import TITLE_MAX

PROBLEMS = table_of(Problem)
TICK = timedelta(microseconds=1)
REFERENCES: dict[str, Any] = {
    "module_id": ErpModule,
    "business_unit_id": BusinessUnit,
    "group_id": SupportGroup,
    "owner_id": User,
}


@dataclass(frozen=True)
class ProblemApplied:
    problem_id: uuid.UUID
    number: str
    status: ProblemStatus
    events: int


def may_work(actor: Actor) -> None:
    if actor.role not in WORKERS:
        raise Refused(
            _("A {role} cannot work problems; consultants, technical specialists and managers can.").format(
                role=actor.role.value.replace("_", " ")
            )
        )


def problem_row(conn: Connection, problem_id: uuid.UUID) -> dict[str, Any]:
    found = conn.execute(select(PROBLEMS).where(Problem.id == problem_id)).first()
    if found is None:
        raise Refused(_("This problem does not exist here."))
    return dict(found._mapping)


def _event(conn: Connection, actor: Actor, problem: Mapping[str, Any], at: datetime, action: AuditAction,
           **values: Any) -> None:  # fmt: skip
    audit(conn, at=at, actor_id=actor.id, entity_type=EntityType.PROBLEM, entity_id=problem["id"],
          unit_id=problem["business_unit_id"], action=action, **values)  # fmt: skip


def apply_problem(conn: Connection, actor: Actor, intent: ProblemIntent, now: datetime) -> ProblemApplied:
    """Validate and apply one problem intent in the caller's transaction, or refuse and write nothing."""
    may_work(actor)
    with ids_of(intent.mutation_id):
        if isinstance(intent, NewProblem):
            return _create(conn, actor, intent, now)
        problem = problem_row(conn, intent.problem_id)
        now = max(now, (problem["updated_at"] or problem["created_at"]) + TICK)
        if isinstance(intent, EditProblem):
            events = _edit(conn, actor, problem, intent, now)
        elif isinstance(intent, MoveProblem):
            events = _move(conn, actor, problem, intent, now)
        elif isinstance(intent, LinkIncidents):
            events = _link(conn, actor, problem, intent.incidents, now, unlink=intent.unlink)
        elif isinstance(intent, ResolveProblemConflict):
            events = _resolve(conn, actor, problem, intent, now)
        else:  # pragma: no cover - every intent type is handled above
            raise TypeError(intent)
        last = now + max(events - 1, 0) * TICK
        conn.execute(update(Problem).where(Problem.id == problem["id"]).values(updated_at=last))
        status = conn.execute(select(Problem.status).where(Problem.id == problem["id"])).scalar_one()
        return ProblemApplied(problem["id"], problem["number"], ProblemStatus(status), events)


def _checked(conn: Connection, name: str, value: Any) -> Any:
    """A field's value as stored, or ``Refused`` with what is wrong."""
    if name in TEXTS:
        limit = TITLE_MAX if name == "title" else DESCRIPTION_MAX
        return clean_text(str(value or ""), name.replace("_", " "), limit, required=name == "title") or None
    if name == "priority":
        return Priority(value)
    if value is None:
        if name == "module_id":
            raise Refused(_("A problem belongs to an ERP module."))
        return None
    model = REFERENCES[name]
    query = select(model.id).where(model.id == value)
    if model is User:
        query = query.where(User.active, User.role.in_(WORKERS))
    if conn.execute(query).first() is None:
        raise Refused(_("No such {what} here (or not one who may own a problem).").format(
            what=name.removesuffix("_id").replace("_", " ")))  # fmt: skip
    return value


def _create(conn: Connection, actor: Actor, intent: NewProblem, now: datetime) -> ProblemApplied:
    values: dict[str, Any] = {
        "id": intent.problem_id,
        "number": intent.number,
        "title": _checked(conn, "title", intent.title),
        "description": _checked(conn, "description", intent.description) or "",
        "status": ProblemStatus.NEW,
        "priority": Priority(intent.priority),
        "module_id": _checked(conn, "module_id", intent.module_id),
        "business_unit_id": _checked(conn, "business_unit_id", intent.business_unit_id),
        "owner_id": actor.id,
        "group_id": _checked(conn, "group_id", intent.group_id),
        "root_cause": None,
        "workaround": None,
        "created_at": now,
        "known_error_at": None,
        "resolved_at": None,
        "closed_at": None,
        "updated_at": now,
    }
    conn.execute(insert(PROBLEMS), [values])
    _event(conn, actor, values, now, AuditAction.CREATED, new=snapshot({k: v for k, v in values.items()
                                                                         if k != "updated_at"}))  # fmt: skip
    events = 1 + _link(conn, actor, values, intent.incidents, now + TICK)
    last = now + events * TICK
    conn.execute(update(Problem).where(Problem.id == intent.problem_id).values(updated_at=last))
    return ProblemApplied(intent.problem_id, intent.number, ProblemStatus.NEW, events)


def _changed_meanwhile(problem: Mapping[str, Any], what: str) -> Refused:
    return Refused(
        _("{number} changed meanwhile: its {what} is not what you saw. Look again, then retry.").format(
            number=problem["number"], what=what
        )
    )


def _edit(conn: Connection, actor: Actor, problem: Mapping[str, Any], intent: EditProblem, now: datetime) -> int:
    if intent.field not in EDITABLE:
        raise Refused(_("{field} is not a field of a problem one edits.").format(field=intent.field))
    if problem["status"] == ProblemStatus.CLOSED:
        raise Refused(_("{number} is closed.").format(number=problem["number"]))
    what = intent.field.removesuffix("_id").replace("_", " ")
    value = _checked(conn, intent.field, intent.value)
    if encode(value) == encode(problem[intent.field]):
        return 0  # as it is already (someone made the same edit meanwhile)
    if encode(problem[intent.field]) != encode(intent.base):
        raise _changed_meanwhile(problem, what)
    status = ProblemStatus(problem["status"])
    if intent.field in GATES.get(status, ()) and value is None:
        raise Refused(
            _("{number} is {status}: it needs its {what}.").format(
                number=problem["number"], status=said(status).lower(), what=what
            )
        )
    conn.execute(update(Problem).where(Problem.id == problem["id"]).values({intent.field: value}))
    _event(conn, actor, problem, now, AuditAction.FIELD_CHANGED, field=intent.field, old=problem[intent.field],
           new=value)  # fmt: skip
    return 1


def _resolve(
    conn: Connection, actor: Actor, problem: Mapping[str, Any], intent: ResolveProblemConflict, now: datetime
) -> int:
    """Settle a conflict: take theirs (nothing changes), keep mine or an edited text (an edit over what is there)."""

    def edit(field: str, value: Any, base: Any) -> int:
        return _edit(conn, actor, problem, EditProblem(problem["id"], field, value, base), now)

    row, events = sync_conflicts.settle(conn, actor, intent.conflict_id, problem, intent.resolution, intent.value,
                                        edit, now)  # fmt: skip
    _event(conn, actor, problem, now + events * TICK, AuditAction.FIELD_CHANGED, field=CONFLICT_RESOLVED,
           old=row.field, new=intent.resolution)  # fmt: skip
    return events + 1


def has_change(conn: Connection, problem_id: uuid.UUID) -> bool:
    return (
        conn.execute(select(change_problems.c.change_id).where(change_problems.c.problem_id == problem_id)).first()
        is not None
    )


def gate_problems(conn: Connection, problem: Mapping[str, Any], to: ProblemStatus) -> list[str]:
    """What the problem lacks to enter ``to``, in words (empty: nothing)."""
    lacks = []
    words = {
        "owner_id": _("an owner"),
        "root_cause": _("its root cause"),
        "workaround": _("a workaround"),
        "change": _("a change request that fixes it (request one from the problem)"),
    }
    for need in GATES.get(to, ()):
        held = has_change(conn, problem["id"]) if need == "change" else bool(problem[need])
        if not held:
            lacks.append(words[need])
    return lacks


def _move(conn: Connection, actor: Actor, problem: Mapping[str, Any], intent: MoveProblem, now: datetime) -> int:
    current = ProblemStatus(problem["status"])
    if current is not intent.base:
        if current is intent.to:
            return 0
        raise _changed_meanwhile(problem, _("status"))
    if intent.to not in MOVES[current]:
        raise Refused(_("A problem cannot go from {old} to {new}.").format(
            old=said(current), new=said(intent.to)))  # fmt: skip
    lacks = gate_problems(conn, problem, intent.to)
    if lacks:
        raise Refused(_("{number} needs {what} to be {status}.").format(
            number=problem["number"], what=", ".join(lacks), status=said(intent.to).lower()))  # fmt: skip
    reason = clean_text(intent.reason or "", "reason", REASON_MAX, required=False) or None
    if needs_reason(current, intent.to) and not reason:
        raise Refused(_("Say why {number} goes to {status}.").format(
            number=problem["number"], status=said(intent.to).lower()))  # fmt: skip
    if intent.to is ProblemStatus.CLOSED and actor.role not in CLOSERS and actor.id != problem["owner_id"]:
        raise Refused(_("Only its owner or a support manager closes {number}.").format(number=problem["number"]))
    values: dict[str, Any] = {"status": intent.to}
    if intent.to is ProblemStatus.KNOWN_ERROR and problem["known_error_at"] is None:
        values["known_error_at"] = now
    if intent.to is ProblemStatus.RESOLVED:
        values["resolved_at"] = now
    if intent.to is ProblemStatus.CLOSED:
        values["closed_at"] = now
    if intent.to is ProblemStatus.INVESTIGATING:
        values["resolved_at"] = None
    conn.execute(update(Problem).where(Problem.id == problem["id"]).values(values))
    _event(conn, actor, problem, now, AuditAction.FIELD_CHANGED, field="status", old=current, new=intent.to,
           reason=reason)  # fmt: skip
    return 1


def _link(
    conn: Connection,
    actor: Actor,
    problem: Mapping[str, Any],
    incidents: frozenset[uuid.UUID],
    now: datetime,
    *,
    unlink: bool = False,
) -> int:
    """Link (or unlink) incidents: each ticket's ``problem_id``, audited on the ticket and on the problem."""
    events = 0
    for ticket_id in sorted(incidents, key=str):
        ticket = conn.execute(
            select(Ticket.id, Ticket.number, Ticket.problem_id, Ticket.business_unit_id, Ticket.tier,
                   Ticket.updated_at).where(Ticket.id == ticket_id)
        ).first()  # fmt: skip
        if ticket is None:
            raise Refused(_("An incident to link is not here (deleted, or outside your business units)."))
        require(actor, Can.WORK, unit_id=ticket.business_unit_id, tier=ticket.tier)
        wanted = None if unlink else problem["id"]
        if ticket.problem_id == wanted or (unlink and ticket.problem_id != problem["id"]):
            continue
        at = max(now + events * TICK, ticket.updated_at + TICK)
        conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(problem_id=wanted, updated_at=at))
        audit(conn, at=at, actor_id=actor.id, entity_type=EntityType.TICKET, entity_id=ticket_id,
              unit_id=ticket.business_unit_id, action=AuditAction.FIELD_CHANGED, field="problem_id",
              old=ticket.problem_id, new=wanted)  # fmt: skip
        _event(conn, actor, problem, at, AuditAction.UNLINKED if unlink else AuditAction.LINKED, field="incident",
               new=ticket_id)  # fmt: skip
        events += 1
    return events


def execute_problem(engine: Engine, actor: Actor, intent: ProblemIntent, now: datetime | None = None) -> ProblemApplied:
    """Apply one problem intent to the local cache in its own transaction, with its outbox entry."""
    with engine.begin() as conn:
        return submit_problem(conn, actor, intent, now or datetime.now(UTC))


def submit_problem(conn: Connection, actor: Actor, intent: ProblemIntent, now: datetime) -> ProblemApplied:
    applied = apply_problem(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return applied


def new_problem_number(conn: Connection, client_id: str, reserve: Callable[[str], Any] | None = None) -> str:
    return take_or_reserve(conn, "PRB", client_id, reserve)
