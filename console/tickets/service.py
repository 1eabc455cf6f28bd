"""Applying ticket intents: each edit validated and written with its audit event, here and on the shared database.

Every edit, from the window or the command line, is an *intent*: what the person wants,
with the values they saw (the base) and a mutation id. ``apply`` validates it against the
workflow, the person's role and business units and the row as it is now; writes the row
and an append-only audit event; and stores the ticket's SLA again, all in the caller's
transaction. Nothing is written when it refuses, and the message says why.

Sync pushes the same intents to the shared database, where the same ``apply`` runs. The intents
themselves are built by ``console.tickets.edits``; bulk triage is ``console.tickets.triage``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from console.access import Actor, Can, Refused, require
from console.journal import conflicts, outbox
from console.journal.audit import CONFLICT_RESOLVED, audit, ids_of
from console.journal.intents import AddAttachment as AddAttachment
from console.journal.intents import AddComment as AddComment
from console.journal.intents import CreateTicket as CreateTicket
from console.journal.intents import LinkArticle as LinkArticle
from console.journal.intents import ResolveConflict as ResolveConflict
from console.journal.intents import SetField as SetField
from console.journal.intents import SetStatus as SetStatus
from console.journal.intents import TicketIntent as TicketIntent
from console.journal.values import decode, encode, snapshot
from console.sla.recompute import stored_values
from console.sla.store import UnjudgedSla, ticket_sla
from console.store.numbering import take_or_reserve
from console.text import clean_text
from console.tickets import routing, workflow
from console.tickets.history import status_side_effects
from models import (
    Attachment,
    AuditAction,
    BusinessUnit,
    ChangeRequest,
    Comment,
    EntityType,
    ErpModule,
    Impact,
    KnowledgeArticle,
    NumberBlock,
    Priority,
    Problem,
    SupportGroup,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    User,
    table_of,
    ticket_articles,
)
from models.tickets import ATTACHMENT_MAX_BYTES, TITLE_MAX

Intent = TicketIntent  # the name the window and the command line know a ticket's intent by
TICKETS = table_of(Ticket)
TICK = timedelta(microseconds=1)  # between the audit events of one intent
STEP = timedelta(milliseconds=1)  # between the intents of one batch
NOTE_MAX = 20_000
DESCRIPTION_MAX = 20_000
REASON_MAX = 2_000
# ITIL priority matrix: impact × urgency.
MATRIX: dict[tuple[Impact, Urgency], Priority] = {
    (Impact.HIGH, Urgency.HIGH): Priority.CRITICAL,
    (Impact.HIGH, Urgency.MEDIUM): Priority.HIGH,
    (Impact.MEDIUM, Urgency.HIGH): Priority.HIGH,
    (Impact.HIGH, Urgency.LOW): Priority.MEDIUM,
    (Impact.MEDIUM, Urgency.MEDIUM): Priority.MEDIUM,
    (Impact.LOW, Urgency.HIGH): Priority.MEDIUM,
    (Impact.MEDIUM, Urgency.LOW): Priority.LOW,
    (Impact.LOW, Urgency.MEDIUM): Priority.LOW,
    (Impact.LOW, Urgency.LOW): Priority.LOW,
}


def priority_for(impact: Impact, urgency: Urgency) -> Priority:
    return MATRIX[(impact, urgency)]


# Fields set by ``SetField``, the capability each needs, and whether an escalation raises it.
EDITABLE: dict[str, Can] = {
    "assignee_id": Can.TRIAGE,
    "priority": Can.TRIAGE,
    "module_id": Can.TRIAGE,
    "category": Can.TRIAGE,
    "group_id": Can.TRIAGE,
    "tier": Can.TRIAGE,
    "title": Can.TRIAGE,
    "description": Can.TRIAGE,
    "impact": Can.TRIAGE,
    "urgency": Can.TRIAGE,
    "planned_release": Can.WORK,
    "vendor": Can.WORK,
    "vendor_reference": Can.WORK,
    "problem_id": Can.WORK,
    "change_id": Can.WORK,
    "business_unit_id": Can.TRIAGE,
}


@dataclass(frozen=True)
class Applied:
    """What an intent did: the ticket's number and the audit events it wrote."""

    ticket_id: uuid.UUID
    number: str
    events: int


# ---- applying --------------------------------------------------------------------------------------------


def _reason(reason: str | None) -> str | None:
    return clean_text(reason, "reason", REASON_MAX, required=False) or None if reason else None


def _ticket(conn: Connection, ticket_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute(select(TICKETS).where(Ticket.id == ticket_id)).first()
    if row is None:
        raise Refused("This ticket does not exist here (deleted, or moved out of your business units).")
    return dict(row._mapping)


def _event(
    conn: Connection,
    actor: Actor,
    ticket: Mapping[str, Any],
    now: datetime,
    action: AuditAction,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
) -> None:
    audit(conn, at=now, actor_id=actor.id, entity_type=EntityType.TICKET, entity_id=ticket["id"],
          unit_id=ticket["business_unit_id"], action=action, field=field, old=old, new=new, reason=reason)  # fmt: skip


def apply(conn: Connection, actor: Actor, intent: TicketIntent, now: datetime) -> Applied:
    """Validate and apply one intent in the caller's transaction; raise ``Refused`` and write nothing if it fails."""
    with ids_of(intent.mutation_id):
        return _apply(conn, actor, intent, now)


def _apply(conn: Connection, actor: Actor, intent: TicketIntent, now: datetime) -> Applied:
    if isinstance(intent, CreateTicket):
        return _create(conn, actor, intent, now)
    ticket = _ticket(conn, intent.ticket_id)
    # A ticket's events stay in the order they were made even if this clock is behind the last one's.
    now = max(now, ticket["updated_at"] + TICK)
    unit, tier = ticket["business_unit_id"], ticket["tier"]
    events = 0
    if isinstance(intent, SetStatus):
        require(actor, Can.WORK, unit_id=unit, tier=tier)
        events = _set_status(conn, actor, ticket, intent, now)
    elif isinstance(intent, SetField):
        require(actor, EDITABLE.get(intent.field, Can.WORK), unit_id=unit, tier=tier)
        events = _set_field(conn, actor, ticket, intent, now)
    elif isinstance(intent, AddComment):
        require(actor, Can.NOTE, unit_id=unit)
        body = clean_text(intent.body, "note", NOTE_MAX)
        conn.execute(
            insert(table_of(Comment)),
            [
                {
                    "id": intent.comment_id,
                    "ticket_id": ticket["id"],
                    "author_id": actor.id,
                    "visibility": intent.visibility,
                    "body": body,
                    "created_at": now,
                }
            ],
        )
        _event(conn, actor, ticket, now, AuditAction.COMMENTED, field=str(intent.visibility), new=intent.comment_id)
        events = 1
    elif isinstance(intent, LinkArticle):
        require(actor, Can.WORK, unit_id=unit, tier=tier)
        events = _link_article(conn, actor, ticket, intent, now)
    elif isinstance(intent, AddAttachment):
        require(actor, Can.NOTE, unit_id=unit)
        events = _attach(conn, actor, ticket, intent, now)
    elif isinstance(intent, ResolveConflict):
        events = _resolve(conn, actor, ticket, intent, now)
    else:  # pragma: no cover - every intent type is handled above
        raise TypeError(intent)
    last = now + (events - 1) * TICK
    conn.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(updated_at=last))
    store_sla(conn, ticket["id"], last)
    return Applied(ticket["id"], ticket["number"], events)


def store_sla(conn: Connection, ticket_id: uuid.UUID, now: datetime) -> None:
    """Recompute and store one ticket's SLA from its history, so the queue and the charts see the edit.

    A history the engine cannot judge (a value another SQL client wrote) does not stop the edit: the
    stored SLA stays as it was, and the ticket's SLA tab, ``sla show`` and ``sla recompute`` say why."""
    try:
        values = stored_values(ticket_sla(conn, ticket_id, now), now)
    except UnjudgedSla:
        return
    conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(values))


def _check_base(ticket: Mapping[str, Any], field_name: str, base: Any) -> None:
    current = ticket[field_name]
    if encode(current) != encode(base):
        raise Refused(
            f"{ticket['number']} changed meanwhile: its {field_name.removesuffix('_id')} is now "
            f"{encode(current) or 'empty'}, not {encode(base) or 'empty'} as you saw it. Look again, then retry."
        )


def _set_status(conn: Connection, actor: Actor, ticket: dict[str, Any], intent: SetStatus, now: datetime) -> int:
    old = TicketStatus(ticket["status"])
    _check_base(ticket, "status", intent.base)
    reason = _reason(intent.reason)
    workflow.check_transition(old, intent.status, reason=reason, assignee=ticket["assignee_id"])
    state = dict(ticket)
    state["status"] = intent.status
    status_side_effects(state, old.value, intent.status.value, now)
    changed = {k: state[k] for k in ("status", "first_response_at", "resolved_at", "closed_at", "reopen_count")}
    conn.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(changed))
    _event(
        conn, actor, ticket, now, AuditAction.FIELD_CHANGED, field="status", old=old, new=intent.status, reason=reason
    )
    return 1


def _validated_value(conn: Connection, name: str, value: Any) -> Any:
    """The value as stored, or ``Refused`` when it is not one the field can take."""
    references: dict[str, Any] = {
        "assignee_id": User,
        "module_id": ErpModule,
        "group_id": SupportGroup,
        "business_unit_id": BusinessUnit,
        "problem_id": Problem,
        "change_id": ChangeRequest,
    }
    if name in references:
        if value is None:
            if name in ("module_id", "business_unit_id"):
                raise Refused(f"A ticket needs a {name.removesuffix('_id').replace('_', ' ')}.")
            return None
        model = references[name]
        if conn.execute(select(model.id).where(model.id == value)).first() is None:
            raise Refused(f"No such {name.removesuffix('_id').replace('_', ' ')} here.")
        if name == "assignee_id":
            active = conn.execute(select(User.active).where(User.id == value)).scalar()
            if not active:
                raise Refused("That person is deactivated and cannot be assigned tickets.")
        return value
    enums: dict[str, Any] = {"priority": Priority, "impact": Impact, "urgency": Urgency}
    if name in enums:
        try:
            return enums[name](value)
        except ValueError:
            raise Refused(f"{value!r} is not a {name}; one of {', '.join(m.value for m in enums[name])}.") from None
    if name == "tier":
        if not isinstance(value, int) or not 0 <= value <= 3:
            raise Refused(f"Tier {value!r} does not exist; tiers are 0 (self-service) to 3 (technical / vendor).")
        return value
    limits = {"title": TITLE_MAX, "description": DESCRIPTION_MAX, "category": 80, "vendor": 120}
    limits |= {"vendor_reference": 64, "planned_release": 32}
    required = name == "title"
    text = clean_text(str(value or ""), name.replace("_", " "), limits[name], required=required)
    return text if text or name == "description" else None


def _set_field(conn: Connection, actor: Actor, ticket: dict[str, Any], intent: SetField, now: datetime) -> int:
    name = intent.field
    if name not in EDITABLE:
        raise Refused(f"The field {name!r} cannot be edited.")
    if ticket["status"] == TicketStatus.CLOSED:
        raise Refused(f"{ticket['number']} is closed; reopen it to change it.")
    _check_base(ticket, name, intent.base)
    value = _validated_value(conn, name, intent.value)
    if encode(value) == encode(ticket[name]):
        raise Refused(f"{ticket['number']} already has that {name.removesuffix('_id').replace('_', ' ')}.")
    reason = _reason(intent.reason)
    if name == "business_unit_id" and not actor.sees(value):
        raise Refused("You cannot move a ticket to a business unit you do not look after.")
    if name == "priority" and not reason:
        raise Refused("Say why the priority changes (a reason is required).")
    values: dict[str, Any] = {name: value}
    events = [(name, ticket[name], value, reason)]
    # Assigning a new ticket puts it in Assigned, as the service desk expects.
    if name == "assignee_id" and value is not None and ticket["status"] == TicketStatus.NEW:
        values["status"] = TicketStatus.ASSIGNED
        state = dict(ticket)
        status_side_effects(state, TicketStatus.NEW.value, TicketStatus.ASSIGNED.value, now + TICK)
        values["first_response_at"] = state["first_response_at"]
        events.append(("status", ticket["status"], TicketStatus.ASSIGNED, reason))
    # A ticket moved to another tier or module follows the routing rules, unless a person chose its group.
    route = routing.reroute(conn, ticket, name, value)
    if route is not None:
        values["group_id"] = route.group_id
        events.append(("group_id", ticket["group_id"], route.group_id, route.reason))
    conn.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(values))
    action = AuditAction.ESCALATED if intent.escalation else AuditAction.FIELD_CHANGED
    if name in ("problem_id", "change_id"):
        action = AuditAction.LINKED if value is not None else AuditAction.UNLINKED
    for index, (field_name, old, new, why) in enumerate(events):
        at = now + index * TICK  # strictly after the one before: a replay folds them in this order
        _event(conn, actor, ticket, at, action, field=field_name, old=old, new=new, reason=why)
        action = AuditAction.FIELD_CHANGED
    return len(events)


def _resolve(conn: Connection, actor: Actor, ticket: dict[str, Any], intent: ResolveConflict, now: datetime) -> int:
    row = conflicts.conflict_to_resolve(conn, intent.conflict_id, ticket["id"], intent.resolution)
    events = 0
    if intent.resolution != "theirs":
        wanted = decode(row.field, row.mine_value) if intent.resolution == "mine" else intent.value
        if encode(wanted) != encode(ticket[row.field]):
            change = SetField(ticket["id"], row.field, wanted, ticket[row.field], "Resolving a sync conflict")
            require(actor, EDITABLE.get(row.field, Can.WORK), unit_id=ticket["business_unit_id"], tier=ticket["tier"])
            events = _set_field(conn, actor, ticket, change, now)
    conflicts.mark_resolved(conn, row.id, actor, intent.resolution, now)
    _event(conn, actor, ticket, now + events * TICK, AuditAction.FIELD_CHANGED, field=CONFLICT_RESOLVED,
           old=row.field, new=intent.resolution)  # fmt: skip
    return events + 1


def _link_article(conn: Connection, actor: Actor, ticket: dict[str, Any], intent: LinkArticle, now: datetime) -> int:
    if conn.execute(select(KnowledgeArticle.id).where(KnowledgeArticle.id == intent.article_id)).first() is None:
        raise Refused("No such knowledge article here.")
    link = ticket_articles.c
    linked = conn.execute(
        select(link.ticket_id, link.article_id).where(
            link.ticket_id == ticket["id"], link.article_id == intent.article_id
        )
    ).first()
    if intent.unlink:
        if linked is None:
            raise Refused("That article is not linked to this ticket.")
        conn.execute(
            delete(ticket_articles).where(link.ticket_id == ticket["id"], link.article_id == intent.article_id)
        )
    else:
        if linked is not None:
            raise Refused("That article is already linked to this ticket.")
        conn.execute(insert(ticket_articles), [{"ticket_id": ticket["id"], "article_id": intent.article_id}])
    action = AuditAction.UNLINKED if intent.unlink else AuditAction.LINKED
    _event(conn, actor, ticket, now, action, field="article_id", new=intent.article_id)
    return 1


def _attach(conn: Connection, actor: Actor, ticket: dict[str, Any], intent: AddAttachment, now: datetime) -> int:
    name = clean_text(intent.filename.replace("/", "_").replace("\\", "_"), "file name", 255)
    if len(intent.content) > ATTACHMENT_MAX_BYTES:
        raise Refused(
            f"{name} is {len(intent.content) / 2**20:.1f} MB; attachments are limited to "
            f"{ATTACHMENT_MAX_BYTES // 2**20} MB."
        )
    conn.execute(
        insert(table_of(Attachment)),
        [
            {
                "id": intent.attachment_id,
                "ticket_id": ticket["id"],
                "comment_id": None,
                "uploaded_by_id": actor.id,
                "filename": name,
                "media_type": intent.media_type or "application/octet-stream",
                "size_bytes": len(intent.content),
                "sha256": hashlib.sha256(intent.content).hexdigest(),
                "content": intent.content,
                "created_at": now,
            }
        ],
    )
    _event(conn, actor, ticket, now, AuditAction.LINKED, field="attachment_id", new=intent.attachment_id)
    return 1


def _create(conn: Connection, actor: Actor, intent: CreateTicket, now: datetime) -> Applied:
    require(actor, Can.LOG, unit_id=intent.business_unit_id)
    title = clean_text(intent.title, "title", TITLE_MAX)
    description = clean_text(intent.description, "description", DESCRIPTION_MAX, required=False)
    for name in ("business_unit_id", "module_id"):
        _validated_value(conn, name, getattr(intent, name))
    if conn.execute(select(User.id).where(User.id == intent.reporter_id)).first() is None:
        raise Refused("No such reporter here.")
    matrix = priority_for(intent.impact, intent.urgency)
    priority = intent.priority or matrix
    reason = _reason(intent.priority_reason)
    if priority != matrix and not reason:
        raise Refused(
            f"Impact {intent.impact} and urgency {intent.urgency} give {matrix}; say why it should be {priority}."
        )
    unit = conn.execute(select(BusinessUnit.sla_policy_id).where(BusinessUnit.id == intent.business_unit_id)).one()
    values: dict[str, Any] = {
        "id": intent.ticket_id,
        "number": intent.number,
        "kind": intent.kind,
        "title": title,
        "description": description,
        "status": TicketStatus.NEW,
        "priority": priority,
        "impact": intent.impact,
        "urgency": intent.urgency,
        "tier": 1,
        "module_id": intent.module_id,
        "group_id": routing.group_for(conn, intent.module_id, 1),  # no rule, no group: a person chooses
        "category": intent.category,
        "business_unit_id": intent.business_unit_id,
        "reporter_id": intent.reporter_id,
        "sla_policy_id": unit.sla_policy_id,
        "reopen_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(insert(TICKETS), [values])
    first = {k: v for k, v in values.items() if k != "updated_at"}
    _event(conn, actor, values, now, AuditAction.CREATED, new=snapshot(first), reason=reason)
    store_sla(conn, intent.ticket_id, now)
    return Applied(intent.ticket_id, intent.number, 1)


def new_ticket_number(
    conn: Connection, kind: TicketKind, client_id: str, reserve: Callable[[str], NumberBlock] | None = None
) -> str:
    """The next number of this workspace's blocks (reserving a new block when ``reserve`` can reach the shared DB)."""
    return take_or_reserve(conn, "INC" if kind is TicketKind.INCIDENT else "REQ", client_id, reserve)


def execute(engine: Engine, actor: Actor, intents: Sequence[TicketIntent], now: datetime) -> list[Applied]:
    """Apply intents to the local cache in one transaction — all of them, or (the first refusal
    raised) none — each with its outbox entry, for sync to push.

    Each intent is stamped a millisecond after the one before, so their audit events keep
    the order they were made in.
    """
    with engine.begin() as conn:
        return [submit(conn, actor, intent, now + index * STEP) for index, intent in enumerate(intents)]


def submit(conn: Connection, actor: Actor, intent: TicketIntent, now: datetime) -> Applied:
    """Apply one intent here and keep it in the outbox, in the caller's (cache) transaction."""
    applied = apply(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return applied
