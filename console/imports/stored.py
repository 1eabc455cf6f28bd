"""Tickets of this workspace as ``ImportedTicket`` records, for ``support-console export``: what the importer reads.

Each ticket the person sees, with its history as the export carries it: the changes of status, priority, group
and assignee and every comment and work note, in replay order (``occurred_at``, ``seq``), each with who made it
(the other tool's name for an imported event, else the login) and the other tool's word for a value where it had
one. Names are codes and logins (units, modules, groups, people), which the importer finds again in any
workspace of the same organisation. A ticket imported here goes out under its own tool's name and number, so an
export imported elsewhere merges with that tool's own exports; a ticket logged here goes out as
``support-console`` with its number.

Other fields' changes (tier, module, title…) are not events of the export: they go out as the ticket's last
values. Read in pages of ``PAGE`` tickets, so memory stays flat in the number of tickets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from console.imports.records import EventKind, ImportedEvent, ImportedTicket
from console.journal.audit import REPLAY_ORDER
from models import (
    AuditAction,
    AuditEvent,
    BusinessUnit,
    Comment,
    EntityType,
    ErpModule,
    Impact,
    Priority,
    SupportGroup,
    Ticket,
    TicketStatus,
    Urgency,
    User,
    Visibility,
)

SOURCE = "support-console"
PAGE = 1_000
KIND_OF = {
    "status": EventKind.STATUS,
    "priority": EventKind.PRIORITY,
    "group_id": EventKind.GROUP,
    "assignee_id": EventKind.ASSIGNEE,
}
NOTE_OF = {Visibility.PUBLIC.value: EventKind.COMMENT, Visibility.INTERNAL.value: EventKind.WORK_NOTE}


def _codes(conn: Connection) -> dict[uuid.UUID, str]:
    """Every unit, module, group and person by id: its code or login."""
    found: dict[uuid.UUID, str] = {}
    for column_id, name in (
        (BusinessUnit.id, BusinessUnit.code),
        (ErpModule.id, ErpModule.code),
        (SupportGroup.id, SupportGroup.code),
        (User.id, User.login),
    ):
        found.update({row_id: str(code) for row_id, code in conn.execute(select(column_id, name))})
    return found


def stored_tickets(conn: Connection, where: Sequence[ColumnElement[bool]] = ()) -> Iterator[ImportedTicket]:
    """The tickets matching ``where`` (the caller's scope and filters), oldest first, each with its history."""
    codes = _codes(conn)
    after: tuple[Any, uuid.UUID] | None = None
    while True:
        query = select(Ticket).where(*where).order_by(Ticket.created_at, Ticket.id).limit(PAGE)
        if after is not None:  # the next page: after the last ticket of this one
            query = query.where(tuple_(Ticket.created_at, Ticket.id) > tuple_(*after))
        rows = [row._mapping for row in conn.execute(query)]
        if not rows:
            return
        ids = [row["id"] for row in rows]
        histories, imported = _histories(conn, ids, codes)
        for row in rows:
            yield _ticket(row, histories.get(row["id"], []), codes, row["id"] in imported)
        after = (rows[-1]["created_at"], rows[-1]["id"])


def _histories(
    conn: Connection, ids: list[uuid.UUID], codes: dict[uuid.UUID, str]
) -> tuple[dict[uuid.UUID, list[ImportedEvent]], set[uuid.UUID]]:
    """Each ticket's events as the export carries them, and the tickets imported from another tool (their
    ``created`` event came from it)."""
    bodies = dict(conn.execute(select(Comment.id, Comment.body).where(Comment.ticket_id.in_(ids))).all())
    authors = dict(conn.execute(select(Comment.id, Comment.source_author).where(Comment.ticket_id.in_(ids))).all())
    query = (
        select(AuditEvent.entity_id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.field,
               AuditEvent.old_value, AuditEvent.new_value, AuditEvent.actor_id, AuditEvent.source_actor,
               AuditEvent.source_value, AuditEvent.source)
        .where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id.in_(ids))
        .order_by(AuditEvent.entity_id, *REPLAY_ORDER)
    )  # fmt: skip
    found: dict[uuid.UUID, list[ImportedEvent]] = {}
    imported: set[uuid.UUID] = set()
    for ticket_id, at, action, field, old, new, actor_id, source_actor, source_value, source in conn.execute(query):
        events = found.setdefault(ticket_id, [])
        if AuditAction(action) is AuditAction.CREATED and source is not None:
            imported.add(ticket_id)
        actor = source_actor or (codes.get(actor_id) if actor_id else None)
        if AuditAction(action) is AuditAction.COMMENTED and field in NOTE_OF and new:
            comment_id = uuid.UUID(new)
            body = bodies.get(comment_id)
            if body is None:
                continue
            author = authors.get(comment_id) or actor
            events.append(ImportedEvent(len(events) + 1, at, NOTE_OF[field], None, body, author))
            continue
        if AuditAction(action) not in (AuditAction.FIELD_CHANGED, AuditAction.ESCALATED) or field not in KIND_OF:
            continue
        kind = KIND_OF[field]
        if kind in (EventKind.GROUP, EventKind.ASSIGNEE):
            old, new = (codes.get(uuid.UUID(v)) if v else None for v in (old, new))
            source_value = None  # the name, as a code or login, is the value itself
        events.append(ImportedEvent(len(events) + 1, at, kind, old, new, actor, source_value))
    return found, imported


def _ticket(row: Any, events: list[ImportedEvent], codes: dict[uuid.UUID, str], imported: bool) -> ImportedTicket:
    def last_word(kind: EventKind, ours: str) -> str:
        said = [e.source_value for e in events if e.kind is kind]
        return (said[-1] if said else None) or ours

    return ImportedTicket(
        source_system=row["source_system"] if imported else SOURCE,
        key=row["source_key"] if imported else row["number"],
        title=row["title"],
        description=row["description"] or "",
        status=TicketStatus(row["status"]),
        source_status=last_word(EventKind.STATUS, str(row["status"])),
        priority=Priority(row["priority"]),
        source_priority=last_word(EventKind.PRIORITY, str(row["priority"])),
        impact=Impact(row["impact"]),
        urgency=Urgency(row["urgency"]),
        module=codes.get(row["module_id"]),
        unit=codes.get(row["business_unit_id"]),
        category=row["category"],
        reporter=codes.get(row["reporter_id"]),
        assignee=codes.get(row["assignee_id"]) if row["assignee_id"] else None,
        group=codes.get(row["group_id"]) if row["group_id"] else None,
        created_at=row["created_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        reopen_count=row["reopen_count"],
        source_sla_met=row["source_sla_met"],
        events=tuple(events),
    )
