"""Writing the knowledge base: an article written as a draft, edited (each saved text a version), sent to review,
published by its reviewer, retired, revised, rated — each edit an intent, applied to the cache and kept in the
outbox, and applied again by the shared database with the same rules (``console.sync.merge``), as tickets,
changes and problems are. A text edited on two desks meanwhile is not overwritten: the shared database keeps the
second as a conflict to resolve (``ResolveArticleConflict``).

The rules are ``console.knowledge.rules``; an article's history is its audit trail (``EntityType.ARTICLE``), its
texts are ``article_versions``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from console.access import Actor, Refused
from console.i18n import _
from console.journal import conflicts as sync_conflicts
from console.journal import outbox
from console.journal.audit import CONFLICT_RESOLVED, audit, ids_of, next_id
from console.journal.intents import (
    ArticleIntent,
    EditArticle,
    MoveArticle,
    NewArticle,
    RateArticle,
    ResolveArticleConflict,
)
from console.journal.values import encode, snapshot
from console.knowledge.rules import (
    BODY_MAX,
    EDITABLE,
    EDITABLE_IN,
    LANGUAGES,
    MOVES,
    PUBLISHERS,
    TEXTS,
    WRITERS,
    needs_reason,
)
from console.store.numbering import take_or_reserve
from console.text import clean_text
from console.tickets.service import REASON_MAX
from console.words import said
from models import (
    ArticleFeedback,
    ArticleStatus,
    ArticleVersion,
    Audience,
    AuditAction,
    EntityType,
    ErpModule,
    KnowledgeArticle,
    Problem,
    User,
    table_of,
)
from models.tickets import TITLE_MAX

ARTICLES = table_of(KnowledgeArticle)
VERSIONS = table_of(ArticleVersion)
FEEDBACK = table_of(ArticleFeedback)
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class ArticleApplied:
    article_id: uuid.UUID
    number: str
    status: ArticleStatus
    version: int
    events: int


def may_write(actor: Actor) -> None:
    if actor.role not in WRITERS:
        raise Refused(
            _("A {role} cannot write articles; consultants, technical specialists and managers can.").format(
                role=actor.role.value.replace("_", " ")
            )
        )


def article_row(conn: Connection, article_id: uuid.UUID) -> dict[str, Any]:
    found = conn.execute(select(ARTICLES).where(KnowledgeArticle.id == article_id)).first()
    if found is None:
        raise Refused(_("This article does not exist here."))
    return dict(found._mapping)


def _event(conn: Connection, actor: Actor, article: Mapping[str, Any], at: datetime, action: AuditAction,
           **values: Any) -> None:  # fmt: skip
    audit(conn, at=at, actor_id=actor.id, entity_type=EntityType.ARTICLE, entity_id=article["id"], unit_id=None,
          action=action, **values)  # fmt: skip


def apply_article(conn: Connection, actor: Actor, intent: ArticleIntent, now: datetime) -> ArticleApplied:
    """Validate and apply one article intent in the caller's transaction, or refuse and write nothing."""
    with ids_of(intent.mutation_id):
        if isinstance(intent, NewArticle):
            return _create(conn, actor, intent, now)
        article = article_row(conn, intent.article_id)
        now = max(now, article["updated_at"] + TICK)
        if isinstance(intent, RateArticle):
            _rate(conn, actor, article, intent.helpful, now)
            return ArticleApplied(article["id"], article["number"], ArticleStatus(article["status"]),
                                  article["version"], 0)  # fmt: skip
        may_write(actor)
        if isinstance(intent, EditArticle):
            events = _edit(conn, actor, article, intent, now)
        elif isinstance(intent, MoveArticle):
            events = _move(conn, actor, article, intent, now)
        elif isinstance(intent, ResolveArticleConflict):
            events = _resolve(conn, actor, article, intent, now)
        else:  # pragma: no cover - every intent type is handled above
            raise TypeError(intent)
        if events:
            last = now + (events - 1) * TICK
            conn.execute(update(KnowledgeArticle).where(KnowledgeArticle.id == article["id"]).values(updated_at=last))
        row = article_row(conn, article["id"])
        return ArticleApplied(row["id"], row["number"], ArticleStatus(row["status"]), row["version"], events)


def _checked(conn: Connection, name: str, value: Any, article: Mapping[str, Any] | None = None) -> Any:
    """A field's value as stored, or ``Refused`` with what is wrong."""
    if name == "title":
        return clean_text(str(value or ""), _("title"), TITLE_MAX)
    if name == "body":
        return clean_text(str(value or ""), _("text"), BODY_MAX)
    if name == "language":
        if value not in LANGUAGES:
            raise Refused(_("An article is written in English, Persian or Arabic."))
        return value
    if name == "audience":
        try:
            return Audience(value)
        except ValueError:
            raise Refused(_("An article is for support's own people or for end users (tier 0).")) from None
    if value is None:
        return None
    if name == "module_id":
        if conn.execute(select(ErpModule.id).where(ErpModule.id == value)).first() is None:
            raise Refused(_("No such ERP module here."))
    elif name == "problem_id":
        if conn.execute(select(Problem.id).where(Problem.id == value)).first() is None:
            raise Refused(_("No such problem here."))
    elif name == "reviewer_id":
        found = conn.execute(select(User.id).where(User.id == value, User.active, User.role.in_(WRITERS))).first()
        if found is None:
            raise Refused(_("A reviewer is someone who writes articles: a consultant, a specialist or a manager."))
        if article is not None and value == article["author_id"]:
            raise Refused(_("The author of {number} cannot review it: name someone else.").format(
                number=article["number"]))  # fmt: skip
    return value


def _version(conn: Connection, actor: Actor, article_id: uuid.UUID, version: int, title: str, body: str,
             at: datetime) -> None:  # fmt: skip
    conn.execute(insert(VERSIONS), [{"id": next_id(), "article_id": article_id, "version": version, "title": title,
                                     "body": body, "edited_by_id": actor.id, "edited_at": at}])  # fmt: skip


def _create(conn: Connection, actor: Actor, intent: NewArticle, now: datetime) -> ArticleApplied:
    may_write(actor)
    values: dict[str, Any] = {
        "id": intent.article_id,
        "number": intent.number,
        "title": _checked(conn, "title", intent.title),
        "body": _checked(conn, "body", intent.body),
        "status": ArticleStatus.DRAFT,
        "language": _checked(conn, "language", intent.language),
        "module_id": _checked(conn, "module_id", intent.module_id),
        "problem_id": _checked(conn, "problem_id", intent.problem_id),
        "author_id": actor.id,
        "created_at": now,
        "updated_at": now,
        "audience": _checked(conn, "audience", intent.audience),
        "reviewer_id": None,
        "version": 1,
        "published_at": None,
        "retired_at": None,
    }
    conn.execute(insert(ARTICLES), [values])
    _version(conn, actor, intent.article_id, 1, values["title"], values["body"], now)
    _event(conn, actor, values, now, AuditAction.CREATED,
           new=snapshot({k: v for k, v in values.items() if k not in ("updated_at", "body")}))  # fmt: skip
    return ArticleApplied(intent.article_id, intent.number, ArticleStatus.DRAFT, 1, 1)


def changed_meanwhile(article: Mapping[str, Any], what: str) -> Refused:
    return Refused(
        _("{number} changed meanwhile: its {what} is not what you saw. Look again, then retry.").format(
            number=article["number"], what=what
        )
    )


def article_field(field: str) -> str:
    """An article's field as a person calls it."""
    return {
        "title": _("title"),
        "body": _("text"),
        "module_id": _("ERP module"),
        "language": _("language"),
        "audience": _("audience"),
        "problem_id": _("problem"),
        "reviewer_id": _("reviewer"),
        "status": _("status"),
    }.get(field, field)


def _edit(conn: Connection, actor: Actor, article: Mapping[str, Any], intent: EditArticle, now: datetime) -> int:
    if intent.field not in EDITABLE:
        raise Refused(_("{field} is not a field of an article one edits.").format(field=intent.field))
    status = ArticleStatus(article["status"])
    if status not in EDITABLE_IN:
        raise Refused(_("{number} is {status}: move it back to draft to revise it.").format(
            number=article["number"], status=said(status).lower()))  # fmt: skip
    value = _checked(conn, intent.field, intent.value, article)
    if encode(value) == encode(article[intent.field]):
        return 0  # as it is already (someone made the same edit meanwhile)
    if encode(article[intent.field]) != encode(intent.base):
        raise changed_meanwhile(article, article_field(intent.field))
    if intent.field == "reviewer_id" and value is None and status is ArticleStatus.IN_REVIEW:
        raise Refused(_("{number} is in review: it needs its reviewer.").format(number=article["number"]))
    changes: dict[str, Any] = {intent.field: value}
    old, new = article[intent.field], value
    if intent.field in TEXTS:
        version = article["version"] + 1
        changes["version"] = version
        texts = {"title": article["title"], "body": article["body"], intent.field: value}
        _version(conn, actor, article["id"], version, texts["title"], texts["body"], now)
        if intent.field == "body":  # the texts are the versions; the history says which
            old, new = article["version"], version
    conn.execute(update(KnowledgeArticle).where(KnowledgeArticle.id == article["id"]).values(changes))
    _event(conn, actor, article, now, AuditAction.FIELD_CHANGED, field=intent.field, old=old, new=new)
    return 1


def may_publish(actor: Actor, article: Mapping[str, Any]) -> bool:
    """Its reviewer, or a support manager who did not write it."""
    if actor.id == article["author_id"]:
        return False
    return actor.id == article["reviewer_id"] or actor.role in PUBLISHERS


def _move(conn: Connection, actor: Actor, article: Mapping[str, Any], intent: MoveArticle, now: datetime) -> int:
    current = ArticleStatus(article["status"])
    if current is not intent.base:
        if current is intent.to:
            return 0
        raise changed_meanwhile(article, article_field("status"))
    if intent.to not in MOVES[current]:
        raise Refused(_("An article cannot go from {old} to {new}.").format(
            old=said(current), new=said(intent.to)))  # fmt: skip
    if intent.to is ArticleStatus.IN_REVIEW and article["reviewer_id"] is None:
        raise Refused(_("Name a reviewer for {number} first.").format(number=article["number"]))
    if intent.to is ArticleStatus.PUBLISHED and not may_publish(actor, article):
        raise Refused(_("{number} is published by its reviewer, or by a support manager who did not write it.").format(
            number=article["number"]))  # fmt: skip
    reason = clean_text(intent.reason or "", "reason", REASON_MAX, required=False) or None
    if needs_reason(current, intent.to) and not reason:
        raise Refused(_("Say why {number} goes to {status}.").format(
            number=article["number"], status=said(intent.to).lower()))  # fmt: skip
    values: dict[str, Any] = {"status": intent.to}
    if intent.to is ArticleStatus.PUBLISHED:
        values["published_at"] = now
    if intent.to is ArticleStatus.RETIRED:
        values["retired_at"] = now
    conn.execute(update(KnowledgeArticle).where(KnowledgeArticle.id == article["id"]).values(values))
    _event(conn, actor, article, now, AuditAction.FIELD_CHANGED, field="status", old=current, new=intent.to,
           reason=reason)  # fmt: skip
    return 1


def _rate(conn: Connection, actor: Actor, article: Mapping[str, Any], helpful: bool, now: datetime) -> None:
    """The person's vote: their earlier one, if any, is replaced."""
    if article["status"] != ArticleStatus.PUBLISHED:
        raise Refused(_("{number} is not published: only a published article is rated.").format(
            number=article["number"]))  # fmt: skip
    mine = (ArticleFeedback.article_id == article["id"]) & (ArticleFeedback.user_id == actor.id)
    conn.execute(delete(FEEDBACK).where(mine))
    conn.execute(insert(FEEDBACK), [{"id": next_id(), "article_id": article["id"], "user_id": actor.id,
                                     "helpful": helpful, "at": now}])  # fmt: skip


def _resolve(
    conn: Connection, actor: Actor, article: Mapping[str, Any], intent: ResolveArticleConflict, now: datetime
) -> int:
    """Settle a conflict: take theirs (nothing changes), keep mine or an edited text (an edit over what is there)."""

    def edit(field: str, value: Any, base: Any) -> int:
        return _edit(conn, actor, article, EditArticle(article["id"], field, value, base), now)

    row, events = sync_conflicts.settle(conn, actor, intent.conflict_id, article, intent.resolution, intent.value,
                                        edit, now)  # fmt: skip
    _event(conn, actor, article, now + events * TICK, AuditAction.FIELD_CHANGED, field=CONFLICT_RESOLVED,
           old=row.field, new=intent.resolution)  # fmt: skip
    return events + 1


def execute_article(engine: Engine, actor: Actor, intent: ArticleIntent, now: datetime | None = None) -> ArticleApplied:
    """Apply one article intent to the local cache in its own transaction, with its outbox entry."""
    with engine.begin() as conn:
        return submit_article(conn, actor, intent, now or datetime.now(UTC))


def submit_article(conn: Connection, actor: Actor, intent: ArticleIntent, now: datetime) -> ArticleApplied:
    applied = apply_article(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return applied


def new_article_number(conn: Connection, client_id: str, reserve: Callable[[str], Any] | None = None) -> str:
    return take_or_reserve(conn, "KB", client_id, reserve)
