"""Problems as people read them: the list with its filters, and one problem in full (its incidents with their
status, its fixes — the change requests linked to it — and its history), as plain values for the window and the
command line alike."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from console.access import Actor
from console.errors import ConsoleError
from console.i18n import _
from console.journal.audit import REPLAY_ORDER
from console.problems.rules import KNOWN, OPEN
from console.tickets.detail import said_by
from models import (
    ArticleStatus,
    AuditEvent,
    BusinessUnit,
    ChangeRequest,
    ChangeStage,
    EntityType,
    ErpModule,
    KnowledgeArticle,
    Priority,
    Problem,
    ProblemStatus,
    SupportGroup,
    Ticket,
    TicketStatus,
    User,
    change_problems,
    ticket_articles,
)

OPEN_TICKETS = [s for s in TicketStatus if s.is_open]


@dataclass(frozen=True)
class ProblemFilter:
    statuses: tuple[ProblemStatus, ...] = tuple(OPEN)
    modules: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    owner: str | None = None
    known_error: bool | None = None
    """True: known errors only; False: none of them; None: either."""
    search: str = ""


@dataclass(frozen=True)
class ProblemRow:
    id: uuid.UUID
    number: str
    title: str
    status: ProblemStatus
    priority: Priority
    module: str
    unit: str
    group: str
    owner: str
    incidents: int
    open_incidents: int
    updated_at: datetime | None


@dataclass(frozen=True)
class Incident:
    id: uuid.UUID
    number: str
    title: str
    status: TicketStatus
    unit: str


@dataclass(frozen=True)
class Fix:
    id: uuid.UUID
    number: str
    title: str
    stage: ChangeStage


@dataclass(frozen=True)
class Step:
    at: datetime
    by: str
    field: str
    old: str | None
    new: str | None
    reason: str | None


@dataclass(frozen=True)
class ProblemDetail:
    row: dict[str, Any]
    names: dict[str, str]
    incidents: list[Incident] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    history: list[Step] = field(default_factory=list)

    @property
    def number(self) -> str:
        return str(self.row["number"])


def _where(conn: Connection, flt: ProblemFilter) -> list[Any]:
    where: list[Any] = []
    if flt.statuses and set(flt.statuses) != set(ProblemStatus):
        where.append(Problem.status.in_(flt.statuses))
    if flt.modules:
        where.append(Problem.module_id.in_(select(ErpModule.id).where(ErpModule.code.in_(flt.modules))))
    if flt.units:
        where.append(Problem.business_unit_id.in_(select(BusinessUnit.id).where(BusinessUnit.code.in_(flt.units))))
    if flt.groups:
        where.append(Problem.group_id.in_(select(SupportGroup.id).where(SupportGroup.code.in_(flt.groups))))
    if flt.owner:
        owner = conn.execute(select(User.id).where(User.login == flt.owner)).scalar()
        if owner is None:
            raise ConsoleError(_("No user {login!r} here.").format(login=flt.owner))
        where.append(Problem.owner_id == owner)
    if flt.known_error is not None:
        known = Problem.status.in_(KNOWN)
        where.append(known if flt.known_error else ~known)
    for word in flt.search.split()[:8]:  # each word in the number, title, description, root cause or workaround
        like = f"%{word.replace('%', '').replace('_', '')}%"
        where.append(or_(*(column.ilike(like) for column in (
            Problem.number, Problem.title, Problem.description, Problem.root_cause, Problem.workaround))))  # fmt: skip
    return where


def in_scope(actor: Actor) -> ColumnElement[bool] | None:
    """The problems a super-user reads, as the shared database's policy has it (``grants.PROBLEMS_TOUCHING``): those
    touching her units (of one of them, or with an incident in one) and what an article she reads is about; None for
    everyone else, who reads every problem. Her cache may still hold one that no longer touches them."""
    if not actor.scoped:
        return None
    units = sorted(actor.units, key=str)
    about = select(KnowledgeArticle.problem_id).where(KnowledgeArticle.problem_id.is_not(None), articles_read(units))
    return or_(  # (no NULL in ``about``: NOT IN a list holding one is never true, and the seed negates this)
        Problem.business_unit_id.in_(units),
        exists().where(Ticket.problem_id == Problem.id, Ticket.business_unit_id.in_(units)),
        Problem.id.in_(about),
    )


def articles_read(units: list[uuid.UUID]) -> ColumnElement[bool]:
    """The articles a super-user of ``units`` reads, as the shared database's policy has it: the published ones, and
    those linked to a ticket of hers (``console.knowledge.lists.readable`` shows them to her)."""
    hers = select(ticket_articles.c.article_id).join(Ticket, Ticket.id == ticket_articles.c.ticket_id)
    return or_(
        KnowledgeArticle.status == ArticleStatus.PUBLISHED,
        KnowledgeArticle.id.in_(hers.where(Ticket.business_unit_id.in_(units))),
    )


def list_problems(conn: Connection, actor: Actor, flt: ProblemFilter, limit: int = 500) -> list[ProblemRow]:
    """The problems matching the filter that the person reads (``in_scope``), most recently changed first."""
    scope = in_scope(actor)
    still_open = case((Ticket.status.in_(OPEN_TICKETS), 1), else_=0)
    owner, counted = (
        aliased(User),
        (
            select(Ticket.problem_id, func.count().label("n"), func.sum(still_open).label("open"))
            .where(Ticket.problem_id.is_not(None))
            .group_by(Ticket.problem_id)
            .subquery()
        ),
    )
    query = (
        select(Problem.id, Problem.number, Problem.title, Problem.status, Problem.priority, ErpModule.code,
               BusinessUnit.code, SupportGroup.code, owner.display_name, counted.c.n, counted.c.open,
               Problem.updated_at)
        .join(ErpModule, ErpModule.id == Problem.module_id)
        .outerjoin(BusinessUnit, BusinessUnit.id == Problem.business_unit_id)
        .outerjoin(SupportGroup, SupportGroup.id == Problem.group_id)
        .outerjoin(owner, owner.id == Problem.owner_id)
        .outerjoin(counted, counted.c.problem_id == Problem.id)
        .where(*_where(conn, flt), *([] if scope is None else [scope]))
        .order_by(Problem.updated_at.desc(), Problem.number.desc())
        .limit(limit)
    )  # fmt: skip
    return [
        ProblemRow(
            r[0],
            r[1],
            r[2],
            ProblemStatus(r[3]),
            Priority(r[4]),
            r[5],
            r[6] or "",
            r[7] or "",
            r[8] or "",
            int(r[9] or 0),
            int(r[10] or 0),
            r[11],
        )
        for r in conn.execute(query)
    ]


def load_problem(conn: Connection, actor: Actor, number: str) -> ProblemDetail:
    """One problem in full: its incidents (those the person sees), its fixes and its history; one the person does
    not read (``in_scope``) is not there for them."""
    scope = in_scope(actor)
    found = conn.execute(
        select(Problem).where(Problem.number == number.strip().upper(), *([] if scope is None else [scope]))
    ).first()
    if found is None:
        raise ConsoleError(_("No problem {number!r} in this workspace.").format(number=number.strip().upper()))
    row = dict(found._mapping)
    people = dict(conn.execute(select(User.id, User.display_name)).all())
    names = {
        "module": conn.execute(select(ErpModule.code).where(ErpModule.id == row["module_id"])).scalar() or "",
        "unit": conn.execute(select(BusinessUnit.code).where(BusinessUnit.id == row["business_unit_id"])).scalar()
        or "",
        "group": conn.execute(select(SupportGroup.code).where(SupportGroup.id == row["group_id"])).scalar() or "",
        "owner": people.get(row["owner_id"], "") if row["owner_id"] else "",
    }
    visible = [Ticket.business_unit_id.in_(sorted(actor.units, key=str))] if actor.scoped else []
    incidents = [
        Incident(t.id, t.number, t.title, TicketStatus(t.status), t.code)
        for t in conn.execute(
            select(Ticket.id, Ticket.number, Ticket.title, Ticket.status, BusinessUnit.code)
            .join(BusinessUnit, BusinessUnit.id == Ticket.business_unit_id)
            .where(Ticket.problem_id == row["id"], *visible)
            .order_by(Ticket.created_at, Ticket.number)
        )
    ]
    fixes = [
        Fix(c.id, c.number, c.title, ChangeStage(c.stage))
        for c in conn.execute(
            select(ChangeRequest.id, ChangeRequest.number, ChangeRequest.title, ChangeRequest.stage)
            .join(change_problems, change_problems.c.change_id == ChangeRequest.id)
            .where(change_problems.c.problem_id == row["id"])
            .order_by(ChangeRequest.number)
        )
    ]
    numbers = {str(i.id): i.number for i in incidents}  # a linked incident's id: its number

    def shown(_field: str | None, value: str | None) -> str | None:
        return numbers.get(value or "", value)

    history = history_of(conn, EntityType.PROBLEM, row["id"], people, shown)
    return ProblemDetail(row, names, incidents, fixes, history)


def history_of(
    conn: Connection,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    people: dict[uuid.UUID, str],
    shown: Callable[[str | None, str | None], str | None],
) -> list[Step]:
    """A problem's or an article's history, in replay order: who (an imported edit: who in the other tool, and who
    brought it in), which field ("logged" for its creation), its values as ``shown(field, value)`` gives them."""
    events = conn.execute(
        select(AuditEvent.occurred_at, AuditEvent.actor_id, AuditEvent.action, AuditEvent.field,
               AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason, AuditEvent.source,
               AuditEvent.source_actor)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(*REPLAY_ORDER)
    )  # fmt: skip
    return [
        Step(
            at,
            said_by(people.get(actor_id, "?") if actor_id else "system", source, source_actor),
            "logged" if str(action) == "created" else (field_name or str(action)),
            None if str(action) == "created" else shown(field_name, old),
            None if str(action) == "created" else shown(field_name, new),
            reason,
        )
        for at, actor_id, action, field_name, old, new, reason, source, source_actor in events
    ]


def known_error_for(conn: Connection, ticket_id: uuid.UUID) -> tuple[str, str, str] | None:
    """The known error an incident is linked to: (its number, title, workaround), or None."""
    found = conn.execute(
        select(Problem.number, Problem.title, Problem.workaround)
        .join(Ticket, Ticket.problem_id == Problem.id)
        .where(Ticket.id == ticket_id, Problem.status.in_(KNOWN), Problem.workaround.is_not(None))
    ).first()
    return (found[0], found[1], found[2] or "") if found else None


def open_incidents(conn: Connection, problem_id: uuid.UUID) -> list[tuple[uuid.UUID, str, TicketStatus]]:
    """The problem's incidents still open: what resolving it offers to resolve (or notify)."""
    rows = conn.execute(
        select(Ticket.id, Ticket.number, Ticket.status)
        .where(Ticket.problem_id == problem_id, Ticket.status.in_(OPEN_TICKETS))
        .order_by(Ticket.number)
    )
    return [(r.id, r.number, TicketStatus(r.status)) for r in rows]
