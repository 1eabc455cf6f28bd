"""Settling a sync conflict, the part the services share: the open conflict a resolution names, and
marking it resolved in the same transaction as the edit that settles it.

Here, below the services, because a resolution is an intent the services apply (``ResolveConflict``,
``ResolveChangeConflict``) on the cache and again on the shared database; listing the open conflicts
for a person and starting a resolution is ``console.sync.conflicts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.engine import Row

from console.access import Actor, Refused
from console.journal.values import decode
from models import SyncConflict, table_of

RESOLUTIONS = ("mine", "theirs", "edited")
CHOSEN_NOT_TYPED = ("window", "modules", "units")  # a change's window and scope: keep one side


def conflict_to_resolve(conn: Connection, conflict_id: uuid.UUID, entity_id: uuid.UUID, resolution: str) -> Row[Any]:
    """The open conflict on this entity, or a refusal saying why it cannot be resolved."""
    conflicts = table_of(SyncConflict)
    row = conn.execute(
        select(conflicts).where(conflicts.c.id == conflict_id, conflicts.c.entity_id == entity_id)
    ).first()
    if row is None:
        raise Refused("This conflict is not here (resolved and removed, or about something else).")
    if row.resolved_at is not None:
        raise Refused(f"This conflict on {row.number} was already resolved ({row.resolution}).")
    if resolution not in RESOLUTIONS:
        raise Refused(f"A conflict is resolved as {', '.join(RESOLUTIONS)}.")
    return row


def mark_resolved(conn: Connection, conflict_id: uuid.UUID, actor: Actor, resolution: str, now: datetime) -> None:
    conflicts = table_of(SyncConflict)
    conn.execute(
        update(conflicts)
        .where(conflicts.c.id == conflict_id)
        .values(resolved_at=now, resolved_by_id=actor.id, resolution=resolution)
    )


def settle(
    conn: Connection,
    actor: Actor,
    conflict_id: uuid.UUID,
    entity: Mapping[str, Any],
    resolution: str,
    value: Any,
    edit: Callable[[str, Any, Any], int],
    now: datetime,
) -> tuple[Row[Any], int]:
    """Settle a conflict on a text or a field of ``entity`` (a problem's, an article's): take theirs (nothing
    changes), keep mine or an edited value — an edit over what is there now, made by ``edit(field, value, base)``,
    which returns the events it wrote — and mark it resolved. The conflict and those events."""
    row = conflict_to_resolve(conn, conflict_id, entity["id"], resolution)
    events = 0
    if resolution != "theirs":
        wanted = value if resolution == "edited" else decode(row.field, row.mine_value)
        events = edit(row.field, wanted, entity[row.field])
    mark_resolved(conn, conflict_id, actor, resolution, now)
    return row, events
