"""Everything about one ticket, as plain values: what the detail view and `ticket show` display."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from console.access import Actor
from console.errors import ConsoleError
from console.i18n import _
from console.journal.audit import REPLAY_ORDER
from console.journal.values import encode
from console.sla.engine import SlaResult
from console.sla.store import ticket_sla
from console.tickets.history import FieldChange, Logged, field_history, first_values
from console.tickets.queue import scope
from console.tickets.routing import rule_name
from console.tickets.service import priority_for
from console.words import tool_name
from models import (
    Attachment,
    AuditEvent,
    BusinessUnit,
    ChangeRequest,
    Comment,
    EntityType,
    ErpModule,
    Impact,
    KnowledgeArticle,
    Problem,
    SupportGroup,
    Ticket,
    Urgency,
    User,
    table_of,
    ticket_articles,
)

TICKETS = table_of(Ticket)


@dataclass(frozen=True)
class Note:
    id: uuid.UUID
    at: datetime
    author: str
    internal: bool
    body: str


@dataclass(frozen=True)
class Change:
    at: datetime
    actor: str
    field: str
    old: str
    new: str
    reason: str | None


@dataclass(frozen=True)
class AttachmentInfo:
    id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    uploaded_by: str
    at: datetime


@dataclass(frozen=True)
class TicketDetail:
    row: dict[str, Any]  # the ticket's columns as stored
    # Display values of references: unit, module, module_name, reporter, assignee, group, problem, change.
    names: dict[str, str]
    notes: list[Note]
    history: list[Change]
    attachments: list[AttachmentInfo]
    articles: list[tuple[uuid.UUID, str, str]]  # id, number, title
    sla: SlaResult

    @property
    def number(self) -> str:
        return str(self.row["number"])


def _user_names(conn: Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(conn.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def load_detail(conn: Connection, actor: Actor, number: str, now: datetime) -> TicketDetail:
    """One ticket the person may see, with its notes, history, attachments, links and SLA."""
    found = conn.execute(select(TICKETS).where(Ticket.number == number.strip().upper(), *scope(actor))).first()
    if found is None:
        raise ConsoleError(f"No ticket {number.strip().upper()!r} that you can see in this workspace.")
    row = dict(found._mapping)
    assignee, reporter = aliased(User), aliased(User)
    refs = conn.execute(
        select(
            BusinessUnit.code,
            ErpModule.code,
            reporter.display_name,
            assignee.display_name,
            SupportGroup.code,
            ErpModule.name,
        )
        .select_from(Ticket)
        .join(BusinessUnit, Ticket.business_unit_id == BusinessUnit.id)
        .join(ErpModule, Ticket.module_id == ErpModule.id)
        .join(reporter, Ticket.reporter_id == reporter.id)
        .outerjoin(assignee, Ticket.assignee_id == assignee.id)
        .outerjoin(SupportGroup, Ticket.group_id == SupportGroup.id)
        .where(Ticket.id == row["id"])
    ).one()
    keys = ("unit", "module", "reporter", "assignee", "group", "module_name")
    names = dict(zip(keys, (v or "" for v in refs), strict=True))
    names["problem"] = conn.execute(select(Problem.number).where(Problem.id == row["problem_id"])).scalar() or ""
    names["change"] = (
        conn.execute(select(ChangeRequest.number).where(ChangeRequest.id == row["change_id"])).scalar() or ""
    )
    comments = conn.execute(
        select(
            Comment.id, Comment.created_at, Comment.author_id, Comment.visibility, Comment.body, Comment.source_author
        )
        .where(Comment.ticket_id == row["id"])
        .order_by(Comment.created_at, Comment.id)
    ).all()
    events = [
        dict(e._mapping)
        for e in conn.execute(
            select(table_of(AuditEvent))
            .where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id == row["id"])
            .order_by(*REPLAY_ORDER)
        )
    ]
    files = conn.execute(
        select(
            Attachment.id,
            Attachment.filename,
            Attachment.media_type,
            Attachment.size_bytes,
            Attachment.uploaded_by_id,
            Attachment.created_at,
        )
        .where(Attachment.ticket_id == row["id"])
        .order_by(Attachment.created_at)
    ).all()
    people = _user_names(
        conn,
        {c.author_id for c in comments}
        | {e["actor_id"] for e in events if e["actor_id"]}
        | {f.uploaded_by_id for f in files},
    )
    changes = field_history(events)
    first = first_values(events)
    value_names = _value_names(conn, changes, first)
    articles = conn.execute(
        select(KnowledgeArticle.id, KnowledgeArticle.number, KnowledgeArticle.title)
        .join(ticket_articles, ticket_articles.c.article_id == KnowledgeArticle.id)
        .where(ticket_articles.c.ticket_id == row["id"])
        .order_by(KnowledgeArticle.number)
    ).all()
    return TicketDetail(
        row=row,
        names=names,
        notes=[
            Note(
                c.id,
                c.created_at,
                said_by(people.get(c.author_id, "?"), row["source_system"], c.source_author),
                str(c.visibility) == "internal",
                c.body,
            )
            for c in comments
        ],
        history=[
            *([_logged(first, people, value_names)] if first is not None else []),
            *(
                Change(
                    c.occurred_at,
                    said_by(people.get(c.actor_id, "system") if c.actor_id else "system", c.source, c.source_actor),
                    c.field.removesuffix("_id"),
                    value_names.get(c.old, encode(c.old) or ""),
                    value_names.get(c.new, encode(c.new) or ""),
                    c.reason,
                )
                for c in changes
            ),
        ],
        attachments=[
            AttachmentInfo(
                f.id, f.filename, f.media_type, f.size_bytes, people.get(f.uploaded_by_id, "?"), f.created_at
            )
            for f in files
        ],
        articles=[(a.id, a.number, a.title) for a in articles],
        sla=ticket_sla(conn, row["id"], now),
    )


def said_by(person: str, source: str | None, source_actor: str | None) -> str:
    """Who made an edit, in words: the person, or for an imported one who made it in the other tool and who
    brought it in ("Resolver 149 in ServiceNow, imported by Maryam Hosseini")."""
    if not source_actor:
        return person
    return _("{name} in {tool}, imported by {person}").format(
        name=source_actor, tool=tool_name(source or ""), person=person
    )


def _logged(first: Logged, people: dict[uuid.UUID, str], names: dict[Any, str]) -> Change:
    """The history's first line, in words: "logged · incident · priority high · LON-GS/FIN · group DESK"."""
    values = first.values
    module = names.get(values.get("module_id"), "?")
    priority = f"priority {values.get('priority')}"
    try:
        matrix = priority_for(Impact(values.get("impact") or ""), Urgency(values.get("urgency") or ""))
    except ValueError:  # a ticket logged without them (an import): no matrix to compare with
        matrix = None
    if matrix is not None and matrix != values.get("priority"):
        priority += f" (impact {values['impact']} × urgency {values['urgency']} give {matrix})"
    words = [
        str(values.get("kind") or "ticket").replace("_", " "),
        priority,
        f"{names.get(values.get('business_unit_id'), '?')}/{module}",
    ]
    if "group_id" in values:  # tickets logged before routing rules carry no group at all
        group = values["group_id"]
        tier = values.get("tier", 1)
        words.append(f"group {names.get(group, '?')}" if group else f"no group (no {rule_name(module, tier)})")
    actor = people.get(first.actor_id, "?") if first.actor_id else "system"
    return Change(first.occurred_at, actor, "logged", "", " · ".join(words), first.reason)


def _value_names(conn: Connection, changes: list[FieldChange], first: Logged | None = None) -> dict[Any, str]:
    """Readable names for the ids a history shows (people, groups, modules, units)."""
    ids = {v for c in changes for v in (c.old, c.new) if isinstance(v, uuid.UUID)}
    ids |= {v for v in (first.values if first else {}).values() if isinstance(v, uuid.UUID)}
    if not ids:
        return {}
    names: dict[Any, str] = {}
    for model, label in (
        (User, User.display_name),
        (SupportGroup, SupportGroup.code),
        (ErpModule, ErpModule.code),
        (BusinessUnit, BusinessUnit.code),
        (Problem, Problem.number),
        (ChangeRequest, ChangeRequest.number),
    ):
        names.update(dict(conn.execute(select(model.id, label).where(model.id.in_(ids))).all()))
    return names


def attachment_content(conn: Connection, actor: Actor, attachment_id: uuid.UUID) -> tuple[str, bytes]:
    """An attachment's file name and bytes, if the person may see its ticket."""
    found = conn.execute(
        select(Attachment.filename, Attachment.content)
        .join(Ticket, Attachment.ticket_id == Ticket.id)
        .where(Attachment.id == attachment_id, *scope(actor))
    ).first()
    if found is None:
        raise ConsoleError("That attachment is not here (or not yours to see).")
    return found.filename, found.content
