"""Writing the audit trail: one append-only event per field an intent changes, numbered per entity,
with ids derived from the intent's mutation id.

Every service writes through ``audit``, so the cache and the shared database, applying the same intent,
write the same rows in the same order; replaying them (a ticket's, in ``console.tickets.history``)
reads them back in ``REPLAY_ORDER``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy import Connection, func, insert, select

from console.journal.values import encode
from models import AuditAction, AuditEvent, EntityType, Ticket, new_id, table_of

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
