"""Open sync conflicts as a person resolves them: which ticket, which field, the value they saw,
theirs and the one now on the shared database, with names instead of ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from console.history import decode
from console.workflow import Actor
from models import SyncConflict, Ticket, User, table_of


@dataclass(frozen=True)
class OpenConflict:
    id: uuid.UUID
    ticket_id: uuid.UUID
    number: str
    field: str
    base: str
    mine: str
    theirs: str
    created_at: datetime
    author: str

    @property
    def editable(self) -> bool:
        """A text field can be resolved with a value of one's own; a reference (a person) cannot be typed."""
        return not self.field.endswith("_id")


def open_conflicts(conn: Connection, actor: Actor) -> list[OpenConflict]:
    """Unresolved conflicts on tickets this person may see, oldest first."""
    conflicts = table_of(SyncConflict)
    rows = conn.execute(
        select(conflicts, Ticket.business_unit_id)
        .join(Ticket, Ticket.id == conflicts.c.entity_id)
        .where(conflicts.c.resolved_at.is_(None), conflicts.c.entity_table == "tickets")
        .order_by(conflicts.c.created_at)
    ).all()
    names = dict(conn.execute(select(User.id, User.display_name)).all())

    def shown(field: str, text: str | None) -> str:
        if text is None:
            return "(empty)"
        return str(names.get(decode(field, text), text)) if field.endswith("_id") else text

    return [
        OpenConflict(
            r.id,
            r.entity_id,
            r.number,
            r.field,
            shown(r.field, r.base_value),
            shown(r.field, r.mine_value),
            shown(r.field, r.theirs_value),
            r.created_at,
            names.get(r.user_id, "?"),
        )
        for r in rows
        if actor.sees(r.business_unit_id)
    ]
