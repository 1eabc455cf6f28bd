"""The knowledge base as people read it: articles by module with full-text search (Persian and Arabic as typed,
either keyboard), one article in full (its text, its versions, its feedback, the tickets it answered, its
history), and the articles an export takes — plain values for the window and the command line alike.

A super-user, of the business, reads published articles only (``rules.READERS_OF_DRAFTS``); so does the shared
database's row security for her.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, literal_column, select, text
from sqlalchemy.orm import aliased

from console.access import Actor
from console.errors import ConsoleError
from console.i18n import _
from console.knowledge.rules import READERS_OF_DRAFTS, WRITERS
from console.problems.lists import Step, articles_read, history_of
from console.problems.text import spellings, tokens
from models import (
    ArticleFeedback,
    ArticleStatus,
    ArticleVersion,
    Audience,
    EntityType,
    ErpModule,
    KnowledgeArticle,
    Problem,
    Ticket,
    TicketStatus,
    User,
    table_of,
    ticket_articles,
)

SEARCH_WORDS = 16
ARTICLES = table_of(KnowledgeArticle)


@dataclass(frozen=True)
class ArticleFilter:
    statuses: tuple[ArticleStatus, ...] = ()
    """None given: every status the person reads."""
    modules: tuple[str, ...] = ()
    audience: Audience | None = None
    language: str | None = None
    search: str = ""
    mine: bool = False
    """Only those the person wrote or reviews."""


@dataclass(frozen=True)
class ArticleRow:
    id: uuid.UUID
    number: str
    title: str
    status: ArticleStatus
    audience: Audience
    language: str
    module: str
    author: str
    reviewer: str
    version: int
    helpful: int
    not_helpful: int
    used: int
    """Tickets it is linked to."""
    updated_at: datetime


@dataclass(frozen=True)
class Version:
    version: int
    title: str
    body: str
    by: str
    at: datetime


@dataclass(frozen=True)
class LinkedTicket:
    number: str
    title: str
    status: TicketStatus


@dataclass(frozen=True)
class ArticleDetail:
    row: dict[str, Any]
    names: dict[str, str]
    """module, author, reviewer, problem (its number)."""
    helpful: int = 0
    not_helpful: int = 0
    my_vote: bool | None = None
    versions: list[Version] = field(default_factory=list)
    """Newest first."""
    tickets: list[LinkedTicket] = field(default_factory=list)
    history: list[Step] = field(default_factory=list)

    @property
    def number(self) -> str:
        return str(self.row["number"])

    @property
    def status(self) -> ArticleStatus:
        return ArticleStatus(self.row["status"])


def search_query(typed: str) -> str | None:
    """An FTS5 query from what was typed: each word a literal prefix in every spelling it may have in text indexed
    as typed (a Persian word typed on an Arabic keyboard), nothing of FTS syntax, so no search string can fail or
    inject."""
    words = tokens(typed)[:SEARCH_WORDS]
    if not words:
        return None
    return " AND ".join("(" + " OR ".join(f'"{form}"*' for form in spellings(word)) + ")" for word in words)


def readable(actor: Actor, *, linked: bool = False) -> list[ColumnElement[bool]]:
    """What the person reads: a super-user, published articles only (the knowledge base she is shown) — with
    ``linked``, and those linked to her tickets (as the shared database lets her read them), when one is opened."""
    if actor.role in READERS_OF_DRAFTS:
        return []
    if not linked:
        return [KnowledgeArticle.status == ArticleStatus.PUBLISHED]
    return [articles_read(sorted(actor.units, key=str))]


def _where(conn: Connection, actor: Actor, flt: ArticleFilter) -> list[Any]:
    where: list[Any] = readable(actor)
    if flt.statuses and set(flt.statuses) != set(ArticleStatus):
        where.append(KnowledgeArticle.status.in_(flt.statuses))
    if flt.modules:
        where.append(KnowledgeArticle.module_id.in_(select(ErpModule.id).where(ErpModule.code.in_(flt.modules))))
    if flt.audience is not None:
        where.append(KnowledgeArticle.audience == flt.audience)
    if flt.language:
        where.append(KnowledgeArticle.language == flt.language)
    if flt.mine:
        where.append((KnowledgeArticle.author_id == actor.id) | (KnowledgeArticle.reviewer_id == actor.id))
    if flt.search.strip():
        query = search_query(flt.search)
        if query is None:
            where.append(literal_column("0") == 1)  # only punctuation typed: nothing matches
        elif conn.dialect.name == "sqlite":
            where.append(
                literal_column("knowledge_articles.rowid").in_(
                    text("SELECT rowid FROM search_articles WHERE search_articles MATCH :terms").bindparams(terms=query)
                )
            )
        else:  # a shared database read directly (tests, tools): the words in the number, title or text
            for word in tokens(flt.search)[:SEARCH_WORDS]:
                like = f"%{word}%"
                where.append(
                    KnowledgeArticle.number.ilike(like)
                    | KnowledgeArticle.title.ilike(like)
                    | KnowledgeArticle.body.ilike(like)
                )
    return where


def list_articles(conn: Connection, actor: Actor, flt: ArticleFilter, limit: int = 500) -> list[ArticleRow]:
    """The articles matching the filter the person may read, by module then most recently changed first."""
    author, reviewer = aliased(User), aliased(User)
    votes = (
        select(
            ArticleFeedback.article_id,
            func.sum(case((ArticleFeedback.helpful, 1), else_=0)).label("yes"),
            func.sum(case((ArticleFeedback.helpful, 0), else_=1)).label("no"),
        )
        .group_by(ArticleFeedback.article_id)
        .subquery()
    )
    used_by = select(ticket_articles.c.article_id, func.count().label("n"))
    if actor.scoped:  # a super-user counts her units' tickets only, as the article shows them to her
        used_by = used_by.join(Ticket, Ticket.id == ticket_articles.c.ticket_id).where(
            Ticket.business_unit_id.in_(sorted(actor.units, key=str))
        )
    used = used_by.group_by(ticket_articles.c.article_id).subquery()
    query = (
        select(KnowledgeArticle.id, KnowledgeArticle.number, KnowledgeArticle.title, KnowledgeArticle.status,
               KnowledgeArticle.audience, KnowledgeArticle.language, ErpModule.code, author.display_name,
               reviewer.display_name, KnowledgeArticle.version, votes.c.yes, votes.c.no, used.c.n,
               KnowledgeArticle.updated_at)
        .outerjoin(ErpModule, ErpModule.id == KnowledgeArticle.module_id)
        .join(author, author.id == KnowledgeArticle.author_id)
        .outerjoin(reviewer, reviewer.id == KnowledgeArticle.reviewer_id)
        .outerjoin(votes, votes.c.article_id == KnowledgeArticle.id)
        .outerjoin(used, used.c.article_id == KnowledgeArticle.id)
        .where(*_where(conn, actor, flt))
        .order_by(ErpModule.code, KnowledgeArticle.updated_at.desc(), KnowledgeArticle.number)
        .limit(limit)
    )  # fmt: skip
    return [_row(r) for r in conn.execute(query)]


def _row(r: Any) -> ArticleRow:
    return ArticleRow(r[0], r[1], r[2], ArticleStatus(r[3]), Audience(r[4]), r[5], r[6] or "", r[7] or "",
                      r[8] or "", int(r[9]), int(r[10] or 0), int(r[11] or 0), int(r[12] or 0), r[13])  # fmt: skip


def find_article(conn: Connection, actor: Actor, number: str) -> dict[str, Any]:
    """The article's row, or a clear error (a super-user does not find one that is not published)."""
    wanted = number.strip().upper()
    found = conn.execute(
        select(ARTICLES).where(KnowledgeArticle.number == wanted, *readable(actor, linked=True))
    ).first()
    if found is None:
        raise ConsoleError(_("No article {number!r} in this workspace.").format(number=wanted))
    return dict(found._mapping)


def load_article(conn: Connection, actor: Actor, number: str) -> ArticleDetail:
    """One article in full: its text, versions, feedback, the tickets it answered (those the person sees), history."""
    row = find_article(conn, actor, number)
    people = dict(conn.execute(select(User.id, User.display_name)).all())
    names = {
        "module": conn.execute(select(ErpModule.code).where(ErpModule.id == row["module_id"])).scalar() or "",
        "author": people.get(row["author_id"], ""),
        "reviewer": people.get(row["reviewer_id"], "") if row["reviewer_id"] else "",
        "problem": conn.execute(select(Problem.number).where(Problem.id == row["problem_id"])).scalar() or "",
    }
    votes = {
        bool(helpful): int(n)
        for helpful, n in conn.execute(
            select(ArticleFeedback.helpful, func.count())
            .where(ArticleFeedback.article_id == row["id"])
            .group_by(ArticleFeedback.helpful)
        )
    }
    mine = conn.execute(
        select(ArticleFeedback.helpful).where(
            ArticleFeedback.article_id == row["id"], ArticleFeedback.user_id == actor.id
        )
    ).scalar()
    versions = [
        Version(v.version, v.title, v.body, people.get(v.edited_by_id, "?"), v.edited_at)
        for v in conn.execute(
            select(ArticleVersion).where(ArticleVersion.article_id == row["id"]).order_by(ArticleVersion.version.desc())
        )
    ]
    visible = [Ticket.business_unit_id.in_(sorted(actor.units, key=str))] if actor.scoped else []
    linked = [
        LinkedTicket(t.number, t.title, TicketStatus(t.status))
        for t in conn.execute(
            select(Ticket.number, Ticket.title, Ticket.status)
            .join(ticket_articles, ticket_articles.c.ticket_id == Ticket.id)
            .where(ticket_articles.c.article_id == row["id"], *visible)
            .order_by(Ticket.created_at.desc(), Ticket.number)
            .limit(200)
        )
    ]
    history = history_of(conn, EntityType.ARTICLE, row["id"], people, partial(_named, people))
    return ArticleDetail(row, names, votes.get(True, 0), votes.get(False, 0), mine, versions, linked, history)


def _named(people: dict[uuid.UUID, str], field_name: str | None, value: str | None) -> str | None:
    if value and field_name == "reviewer_id":
        return people.get(uuid.UUID(value), value)
    return value


def article_version(conn: Connection, actor: Actor, number: str, version: int) -> Version:
    """One earlier text of an article."""
    row = find_article(conn, actor, number)
    found = conn.execute(
        select(ArticleVersion.version, ArticleVersion.title, ArticleVersion.body, User.display_name,
               ArticleVersion.edited_at)
        .join(User, User.id == ArticleVersion.edited_by_id)
        .where(ArticleVersion.article_id == row["id"], ArticleVersion.version == version)
    ).first()  # fmt: skip
    if found is None:
        raise ConsoleError(_("{number} has no version {version}.").format(number=row["number"], version=version))
    return Version(*found)


def published_docs(conn: Connection, actor: Actor, numbers: Sequence[str] = (), *, tier0: bool = False) -> list[Any]:
    """What an export takes: the published articles named (each must be published), or with ``tier0`` every
    published article for end users; by module, then number. ``ArticleDoc`` values (``console.knowledge.export``)."""
    from console.knowledge.export import ArticleDoc

    wanted = [n.strip().upper() for n in numbers]
    where: list[Any] = [KnowledgeArticle.status == ArticleStatus.PUBLISHED]
    if wanted:
        for number in wanted:
            if find_article(conn, actor, number)["status"] != ArticleStatus.PUBLISHED:
                raise ConsoleError(_("{number} is not published: only published articles are exported.").format(
                    number=number))  # fmt: skip
        where.append(KnowledgeArticle.number.in_(wanted))
    if tier0:
        where.append(KnowledgeArticle.audience == Audience.TIER0)
    rows = conn.execute(
        select(KnowledgeArticle.number, KnowledgeArticle.title, KnowledgeArticle.body, KnowledgeArticle.language,
               ErpModule.code, KnowledgeArticle.version, KnowledgeArticle.updated_at)
        .outerjoin(ErpModule, ErpModule.id == KnowledgeArticle.module_id)
        .where(*where)
        .order_by(ErpModule.code, KnowledgeArticle.number)
    ).all()  # fmt: skip
    if not rows:
        raise ConsoleError(_("No published article to export."))
    return [ArticleDoc(*r) for r in rows]


@dataclass(frozen=True)
class ArticleChoices:
    """What the editor offers: the ERP modules, and the people who may review an article."""

    modules: list[tuple[uuid.UUID, str]]
    """id, code."""
    reviewers: list[tuple[uuid.UUID, str, str]]
    """id, login, name: active people who write articles (the author is left out where it is shown)."""


def article_choices(conn: Connection) -> ArticleChoices:
    modules = [(m.id, m.code) for m in conn.execute(select(ErpModule.id, ErpModule.code).order_by(ErpModule.code))]
    people = conn.execute(
        select(User.id, User.login, User.display_name)
        .where(User.active, User.role.in_(WRITERS))
        .order_by(User.display_name, User.login)
    )
    return ArticleChoices(modules, [(p.id, p.login, p.display_name) for p in people])
