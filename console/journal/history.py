"""Rebuild an entity's state, and every field's history, from the append-only audit trail.

The rules live here once: the demo generator folds its own events through them, the
ticket History tab reads them, and the tests check that replaying the audit trail gives
back exactly the rows in the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy import Connection, func, insert, select

from models import AuditAction, AuditEvent, EntityType, Ticket, TicketStatus, new_id, table_of

# Ticket fields whose history the audit trail carries (the rest are computed, e.g. due times).
TICKET_FIELDS: tuple[str, ...] = (
    "number", "kind", "title", "description", "status", "priority", "impact", "urgency", "tier", "module_id",
    "category", "business_unit_id", "reporter_id", "assignee_id", "group_id", "vendor", "vendor_reference",
    "sla_policy_id", "problem_id", "change_id", "planned_release", "reopen_count", "created_at", "updated_at",
    "first_response_at", "resolved_at", "closed_at", "source_system", "source_key",
)  # fmt: skip
INT_FIELDS = frozenset({"tier", "reopen_count"})
# Links kept in their own tables (a ticket's articles and attachments): audited, but not fields of the entity.
LINK_TABLE_FIELDS = frozenset({"article_id", "attachment_id"})
CLOSED_STATES = frozenset({TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value})


def encode(value: Any) -> str | None:
    """A field value as the audit trail stores it: text, or NULL."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def as_text(value: Any) -> str | None:
    """A value as a conflict record shows it: a window as "start – end", a set of ids sorted, else ``encode``."""
    if isinstance(value, tuple):
        return " – ".join(encode(v) or "" for v in value)
    if isinstance(value, frozenset | set):
        return ",".join(sorted(str(v) for v in value))
    return encode(value)


def decode(field: str, text: str | None) -> Any:
    if text is None:
        return None
    if field.endswith("_id"):
        return uuid.UUID(text)
    if field.endswith("_at"):
        return datetime.fromisoformat(text)
    if field in INT_FIELDS:
        return int(text)
    return text


# Events that record a decision about the record rather than a field of it: a replay skips them.
CONFLICT_RESOLVED = "conflict_resolved"
BOOKKEEPING_FIELDS = frozenset({CONFLICT_RESOLVED})

_IDS: ContextVar[Iterator[uuid.UUID] | None] = ContextVar("intent_ids", default=None)


@contextmanager
def ids_of(mutation_id: uuid.UUID) -> Iterator[None]:
    """Inside one intent every row it creates gets an id derived from the intent's mutation id, so the
    cache and the shared database, applying the same intent, create the same rows."""
    token = _IDS.set(uuid.uuid5(mutation_id, str(n)) for n in count())
    try:
        yield
    finally:
        _IDS.reset(token)


def next_id() -> uuid.UUID:
    ids = _IDS.get()
    return next(ids) if ids is not None else new_id()


# The order an entity's history replays in: by time, and events of one instant in the order they were written.
REPLAY_ORDER = (AuditEvent.occurred_at, AuditEvent.seq)


def replay_key(event: Mapping[str, Any]) -> tuple[datetime, int]:
    """``REPLAY_ORDER`` for an event already read (an event written by hand, with no ``seq``, counts as 0)."""
    return event["occurred_at"], event.get("seq") or 0


def next_seq(conn: Connection, entity_type: EntityType, entity_id: uuid.UUID) -> int:
    """The ``seq`` of the entity's next audit event: one more than its highest so far (1 for its first).

    Inside the writing transaction. On PostgreSQL the entity is locked first, until commit, so two
    writers cannot both read the same highest ``seq``; the one that waited reads it again after the
    other committed (each statement at READ COMMITTED sees what was committed before it began). A
    ticket is locked as the sync triggers lock it for every row written about it (``FOR NO KEY
    UPDATE``, ``console.sync.server.space_sql``) and as the intent's update of ``updated_at`` would:
    the lock the transaction takes anyway, only taken before the highest ``seq`` is read. Other
    entities take a transaction-scoped advisory lock of their own. SQLite has one writer at a time."""
    if conn.dialect.name == "postgresql":
        if entity_type == EntityType.TICKET:
            conn.execute(select(Ticket.id).where(Ticket.id == entity_id).with_for_update(key_share=True))
        else:
            key = f"audit_events:{entity_type}:{entity_id.hex}"
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    highest = conn.execute(
        select(func.max(AuditEvent.seq)).where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
    ).scalar()
    return int(highest or 0) + 1


def audit(
    conn: Connection,
    *,
    at: datetime,
    actor_id: uuid.UUID | None,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    action: AuditAction,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
) -> None:
    """Append one event to the audit trail (never updated or deleted), numbered after the entity's last."""
    seq = next_seq(conn, entity_type, entity_id)
    conn.execute(
        insert(table_of(AuditEvent)),
        [{"id": next_id(), "occurred_at": at, "seq": seq, "actor_id": actor_id, "entity_type": entity_type,
          "entity_id": entity_id, "business_unit_id": unit_id, "action": action, "field": field,
          "old_value": encode(old), "new_value": encode(new), "reason": reason}],
    )  # fmt: skip


def snapshot(values: Mapping[str, Any]) -> str:
    """The JSON a ``created`` event carries: the entity's first values."""
    return json.dumps({k: encode(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class FieldChange:
    occurred_at: datetime
    actor_id: uuid.UUID | None
    field: str
    old: Any
    new: Any
    reason: str | None


def apply_event(state: dict[str, Any], event: Mapping[str, Any]) -> None:
    """Fold one audit event (a row mapping) into ``state``, including the derived timestamps."""
    action = AuditAction(event["action"])
    at: datetime = event["occurred_at"]
    if action is AuditAction.CREATED:
        state.update({k: decode(k, v) for k, v in json.loads(event["new_value"]).items()})
        state.setdefault("created_at", at)
    elif action in (AuditAction.FIELD_CHANGED, AuditAction.ESCALATED, AuditAction.LINKED, AuditAction.UNLINKED):
        field = event["field"]
        if field not in LINK_TABLE_FIELDS and field not in BOOKKEEPING_FIELDS:
            new = decode(field, event["new_value"])
            old = state.get(field)
            state[field] = new
            if field == "status":
                status_side_effects(state, encode(old), new, at)
    state["updated_at"] = at


def status_side_effects(state: dict[str, Any], old: str | None, new: str, at: datetime) -> None:
    """The timestamps and counters a status change implies: first response, resolved, closed, reopened."""
    if old == TicketStatus.NEW.value and state.get("first_response_at") is None:
        # The first response is the moment support first acts on the ticket: it leaves New.
        state["first_response_at"] = at
    if new == TicketStatus.RESOLVED.value:
        state["resolved_at"] = at
    elif new == TicketStatus.CLOSED.value:
        state["closed_at"] = at
        if state.get("resolved_at") is None:
            state["resolved_at"] = at
    elif old in CLOSED_STATES:
        state["reopen_count"] = state.get("reopen_count", 0) + 1
        state["resolved_at"] = None
        state["closed_at"] = None


def rebuild(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The entity's current state from its events, replayed in ``(occurred_at, seq)`` order whatever
    order they come in."""
    state: dict[str, Any] = {}
    for event in sorted(events, key=replay_key):
        apply_event(state, event)
    return state


def field_history(events: Iterable[Mapping[str, Any]]) -> list[FieldChange]:
    """Every change of every field, oldest first (in ``(occurred_at, seq)`` order), with who made it and why."""
    state: dict[str, Any] = {}
    changes: list[FieldChange] = []
    for event in sorted(events, key=replay_key):
        before = dict(state)
        apply_event(state, event)
        if AuditAction(event["action"]) is AuditAction.CREATED:
            continue
        for field in sorted(set(state) | set(before)):
            if field != "updated_at" and before.get(field) != state.get(field):
                changes.append(
                    FieldChange(
                        event["occurred_at"],
                        event["actor_id"],
                        field,
                        before.get(field),
                        state.get(field),
                        event["reason"],
                    )
                )
    return changes
