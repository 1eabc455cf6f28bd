"""Open sync conflicts as a person resolves them: which ticket or change, which field, the value they
saw, theirs and the one now on the shared database, with names instead of ids; and the edits of this
cache the shared database refused, until read.

Above the services: a resolution is a ticket's, a change's or an article's intent (``tickets.ResolveConflict``,
``changes.ResolveChangeConflict``, ``ResolveArticleConflict``); the bookkeeping they share is
``console.journal.conflicts``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from console.access import Actor
from console.changes import service as changes
from console.journal.conflicts import CHOSEN_NOT_TYPED
from console.journal.intents import ResolveArticleConflict, ResolveProblemConflict
from console.journal.values import decode
from console.knowledge import service as knowledge
from console.problems import service as problems
from console.tickets import service as tickets
from models import ChangeRequest, KnowledgeArticle, Problem, SyncConflict, SyncNotice, Ticket, User, table_of

OTHERS: dict[str, Any] = {"change_requests": ChangeRequest, "problems": Problem, "knowledge_articles": KnowledgeArticle}
"""The other entities conflicts are kept on, by table (a ticket's are its unit's)."""


@dataclass(frozen=True)
class OpenConflict:
    id: uuid.UUID
    entity_table: str  # tickets, change_requests, problems or knowledge_articles
    entity_id: uuid.UUID
    number: str
    field: str
    base: str
    mine: str
    theirs: str
    created_at: datetime
    author: str

    @property
    def editable(self) -> bool:
        """A text field can be resolved with a value of one's own; a person, a window or a scope cannot be typed."""
        return not self.field.endswith("_id") and self.field not in CHOSEN_NOT_TYPED


def open_conflicts(conn: Connection, actor: Actor) -> list[OpenConflict]:
    """Unresolved conflicts on tickets this person may see, on change requests, problems and articles, oldest
    first."""
    conflicts = table_of(SyncConflict)
    on_tickets = conn.execute(
        select(conflicts, Ticket.business_unit_id.label("unit"))
        .join(Ticket, Ticket.id == conflicts.c.entity_id)
        .where(conflicts.c.resolved_at.is_(None), conflicts.c.entity_table == "tickets")
    ).all()
    others = [
        row
        for table, model in OTHERS.items()
        for row in conn.execute(
            select(conflicts)
            .join(model, model.id == conflicts.c.entity_id)
            .where(conflicts.c.resolved_at.is_(None), conflicts.c.entity_table == table)
        )
        if row.business_unit_id is None or actor.sees(row.business_unit_id)
    ]
    names = dict(conn.execute(select(User.id, User.display_name)).all())

    def shown(field: str, text: str | None) -> str:
        if text is None:
            return "(empty)"
        return str(names.get(decode(field, text), text)) if field.endswith("_id") else text

    rows = [r for r in on_tickets if actor.sees(r.unit)] + others
    return [
        OpenConflict(
            r.id,
            r.entity_table,
            r.entity_id,
            r.number,
            r.field,
            shown(r.field, r.base_value),
            shown(r.field, r.mine_value),
            shown(r.field, r.theirs_value),
            r.created_at,
            names.get(r.user_id, "?"),
        )
        for r in sorted(rows, key=lambda r: r.created_at)
    ]


def resolve(engine: Engine, actor: Actor, conflict: OpenConflict, resolution: str, value: object = None) -> str:
    """Resolve one conflict in the cache, as an intent that syncs; the ticket's or change's number."""
    now = datetime.now(UTC)
    if conflict.entity_table == "tickets":
        tickets.execute(
            engine, actor, [tickets.ResolveConflict(conflict.entity_id, conflict.id, resolution, value)], now
        )
    elif conflict.entity_table == "problems":
        problems.execute_problem(engine, actor, ResolveProblemConflict(conflict.entity_id, conflict.id, resolution,
                                                                       value), now)  # fmt: skip
    elif conflict.entity_table == "knowledge_articles":
        knowledge.execute_article(engine, actor, ResolveArticleConflict(conflict.entity_id, conflict.id, resolution,
                                                                        value), now)  # fmt: skip
    else:
        intent = changes.ResolveChangeConflict(conflict.entity_id, conflict.id, resolution, value)
        changes.execute_change(engine, actor, intent, now)
    return conflict.number


@dataclass(frozen=True)
class Notice:
    """An edit of this cache the shared database refused, with its reason, not yet dismissed."""

    id: uuid.UUID
    summary: str
    created_at: datetime


def unseen_notices(conn: Connection) -> list[Notice]:
    """Refused edits not yet dismissed, newest first (conflicts are listed as conflicts)."""
    notices = table_of(SyncNotice)
    rows = conn.execute(
        select(notices.c.id, notices.c.summary, notices.c.created_at)
        .where(notices.c.seen_at.is_(None), notices.c.kind == "rejected")
        .order_by(notices.c.created_at.desc())
    )
    return [Notice(r.id, r.summary, r.created_at) for r in rows]


def dismiss_notices(engine: Engine, ids: list[uuid.UUID]) -> int:
    """The person has read these refusals: they leave the list and the status bar's count."""
    notices = table_of(SyncNotice)
    with engine.begin() as conn:
        done = conn.execute(update(notices).where(notices.c.id.in_(ids)).values(seen_at=datetime.now(UTC)))
    return int(done.rowcount or 0)
