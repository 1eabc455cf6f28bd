"""The knowledge base on a workspace: written as a draft, every saved text a version, reviewed and published by
someone other than its author, retired and revised with a reason, rated once per person, read by a super-user
only when published; and synced to the team, where a text edited on two desks becomes a conflict to resolve."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.access import Actor, Refused, load_actor
from console.desk import Desk
from console.errors import ConsoleError
from console.journal.intents import EditArticle, MoveArticle, RateArticle
from console.journal.outbox import pending
from console.knowledge.lists import ArticleFilter, list_articles, load_article
from console.knowledge.service import execute_article
from console.store.workspace import Workspace
from console.sync import client
from console.sync.conflicts import open_conflicts, resolve
from models import (
    ArticleFeedback,
    ArticleStatus,
    ArticleVersion,
    Audience,
    AuditEvent,
    EntityType,
    KnowledgeArticle,
    Role,
    Ticket,
    User,
    ticket_articles,
)
from tests import clock
from tests.sync_team import Team

A = ArticleStatus


def person(workspace: Workspace, role: Role, nth: int = 0) -> Actor:
    with workspace.cache().connect() as conn:
        logins = conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login))
        return load_actor(conn, logins.scalars().all()[nth])


def desk(workspace: Workspace, actor: Actor) -> Desk:
    return Desk(workspace, actor, clock.now)


def written(workspace: Workspace, actor: Actor, title: str = "Reopen a closed posting period") -> uuid.UUID:
    done = desk(workspace, actor).write_article(title, "1. Open **Periods**.\n2. Reopen it.", "FIN",
                                                 audience=Audience.TIER0)  # fmt: skip
    return done.value.article_id


def row(workspace: Workspace, article_id: uuid.UUID) -> dict[str, object]:
    with workspace.cache().connect() as conn:
        found = conn.execute(select(KnowledgeArticle.__table__).where(KnowledgeArticle.id == article_id)).one()
        return dict(found._mapping)


def edit(workspace: Workspace, actor: Actor, article_id: uuid.UUID, field: str, value: object) -> None:
    execute_article(workspace.cache(), actor, EditArticle(article_id, field, value, row(workspace, article_id)[field]))


def move(
    workspace: Workspace, actor: Actor, article_id: uuid.UUID, to: ArticleStatus, reason: str | None = None
) -> None:
    base = ArticleStatus(str(row(workspace, article_id)["status"]))
    execute_article(workspace.cache(), actor, MoveArticle(article_id, to, base, reason))


def test_an_article_is_written_as_a_draft_and_each_saved_text_is_a_version(workspace: Workspace) -> None:
    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    article_id = written(workspace, consultant)
    edit(workspace, consultant, article_id, "body", "1. Open **Periods** (FI-GL).\n2. Reopen it.\n3. Post again.")
    edit(workspace, consultant, article_id, "title", "Reopen a closed posting period (FI)")
    edit(workspace, consultant, article_id, "audience", Audience.INTERNAL)  # not a text: no new version
    stored = row(workspace, article_id)
    assert (stored["status"], stored["version"], stored["author_id"], stored["audience"]) == (
        A.DRAFT, 3, consultant.id, Audience.INTERNAL)  # fmt: skip
    with workspace.cache().connect() as conn:
        detail = load_article(conn, consultant, str(stored["number"]))
        assert pending(conn) == 4
    assert [(v.version, v.title) for v in detail.versions] == [
        (3, "Reopen a closed posting period (FI)"),
        (2, "Reopen a closed posting period"),
        (1, "Reopen a closed posting period"),
    ]
    assert detail.versions[1].body.endswith("3. Post again.")
    assert detail.versions[2].body.endswith("2. Reopen it.")
    assert [(s.field, s.old, s.new) for s in detail.history] == [
        ("logged", None, None),
        ("body", "1", "2"),
        ("title", "Reopen a closed posting period", "Reopen a closed posting period (FI)"),
        ("audience", "tier0", "internal"),
    ]


def test_review_and_publish_take_a_reviewer_who_is_not_the_author(workspace: Workspace) -> None:
    author, colleague = person(workspace, Role.FUNCTIONAL_CONSULTANT), person(workspace, Role.FUNCTIONAL_CONSULTANT, 1)
    manager = person(workspace, Role.SUPPORT_MANAGER)
    article_id = written(workspace, author)
    with pytest.raises(Refused, match="Name a reviewer"):
        move(workspace, author, article_id, A.IN_REVIEW)
    with pytest.raises(Refused, match="cannot review it"):
        edit(workspace, author, article_id, "reviewer_id", author.id)
    edit(workspace, author, article_id, "reviewer_id", colleague.id)
    move(workspace, author, article_id, A.IN_REVIEW)
    with pytest.raises(Refused, match="published by its reviewer"):
        move(workspace, author, article_id, A.PUBLISHED)  # four eyes: not one's own text
    with pytest.raises(Refused, match="Say why"):
        move(workspace, colleague, article_id, A.DRAFT)
    move(workspace, colleague, article_id, A.PUBLISHED)
    with pytest.raises(Refused, match="move it back to draft"):
        edit(workspace, author, article_id, "body", "Something else")
    with pytest.raises(Refused, match="cannot go from Published to In review"):
        move(workspace, author, article_id, A.IN_REVIEW)
    move(workspace, manager, article_id, A.RETIRED, "Replaced by the new closing guide")
    stored = row(workspace, article_id)
    assert stored["status"] == A.RETIRED
    assert stored["published_at"] is not None
    assert stored["retired_at"] is not None
    with workspace.cache().connect() as conn:
        steps = [(s.field, s.new, s.reason) for s in load_article(conn, author, str(stored["number"])).history]
    assert steps[-3:] == [
        ("status", "in_review", None),
        ("status", "published", None),
        ("status", "retired", "Replaced by the new closing guide"),
    ]


@pytest.mark.parametrize("role", [Role.SUPER_USER, Role.SERVICE_DESK_ANALYST, Role.CHANGE_APPROVER])
def test_only_those_who_write_articles_write_them(workspace: Workspace, role: Role) -> None:
    with pytest.raises(Refused, match="cannot write articles"):
        written(workspace, person(workspace, role))


def test_a_super_user_reads_published_articles_only_and_everyone_rates_once(workspace: Workspace) -> None:
    super_user, consultant = person(workspace, Role.SUPER_USER), person(workspace, Role.FUNCTIONAL_CONSULTANT)
    with workspace.cache().connect() as conn:
        everything = list_articles(conn, consultant, ArticleFilter())
        hers = list_articles(conn, super_user, ArticleFilter())
        hers_linked = (
            select(ticket_articles.c.article_id)
            .join(Ticket, Ticket.id == ticket_articles.c.ticket_id)
            .where(Ticket.business_unit_id.in_(super_user.units))
        )
        draft = conn.execute(
            select(KnowledgeArticle.number).where(
                KnowledgeArticle.status == A.DRAFT, ~KnowledgeArticle.id.in_(hers_linked)
            )
        ).scalar()
        linked_draft = conn.execute(
            select(KnowledgeArticle.number).where(
                KnowledgeArticle.status != A.PUBLISHED, KnowledgeArticle.id.in_(hers_linked)
            )
        ).scalar()
        published = conn.execute(
            select(KnowledgeArticle.id, KnowledgeArticle.number).where(KnowledgeArticle.status == A.PUBLISHED)
        ).first()
    assert {r.status for r in everything} > {A.PUBLISHED}
    assert {r.status for r in hers} == {A.PUBLISHED}
    with workspace.cache().connect() as conn:  # the tickets an article answered: hers only, in the list and in full
        for listed in hers:
            assert listed.used == len(load_article(conn, super_user, listed.number).tickets)
    assert sum(r.used for r in hers) < sum(r.used for r in everything if r.status is A.PUBLISHED)
    assert draft is not None
    assert published is not None
    with workspace.cache().connect() as conn, pytest.raises(ConsoleError, match="No article"):
        load_article(conn, super_user, draft)
    assert linked_draft is not None  # one her tickets link she reads, from the ticket (not in the list)
    assert linked_draft not in {r.number for r in hers}
    with workspace.cache().connect() as conn:
        assert load_article(conn, super_user, linked_draft).number == linked_draft
    for helpful in (False, True):  # she changes her mind: one vote, the last
        execute_article(workspace.cache(), super_user, RateArticle(published.id, helpful))
    execute_article(workspace.cache(), consultant, RateArticle(published.id, False))
    with workspace.cache().connect() as conn:
        detail = load_article(conn, super_user, published.number)
        votes = conn.execute(select(func.count()).where(ArticleFeedback.article_id == published.id)).scalar_one()
    assert (detail.helpful, detail.not_helpful, detail.my_vote, votes) == (1, 1, True, 2)
    with pytest.raises(Refused, match="not published"):
        execute_article(workspace.cache(), consultant, RateArticle(row_id_of(workspace, draft), True))


def row_id_of(workspace: Workspace, number: str) -> uuid.UUID:
    with workspace.cache().connect() as conn:
        return conn.execute(select(KnowledgeArticle.id).where(KnowledgeArticle.number == number)).scalar_one()


def test_search_finds_articles_by_their_words_in_persian_typed_on_either_keyboard(workspace: Workspace) -> None:
    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    persian = desk(workspace, consultant).write_article("بستن دوره مالی", "دوره را دوباره باز کنید.", "FIN", "fa")
    with workspace.cache().connect() as conn:
        by_arabic_keyboard = list_articles(conn, consultant, ArticleFilter(search="مالي"))  # Arabic yeh
        by_prefix = list_articles(conn, consultant, ArticleFilter(search="دور"))
        sql = list_articles(conn, consultant, ArticleFilter(search="'; DROP TABLE knowledge_articles; --"))
        nothing = list_articles(conn, consultant, ArticleFilter(search="*** ^^^"))
    assert persian.value.number in {r.number for r in by_arabic_keyboard}
    assert persian.value.number in {r.number for r in by_prefix}
    assert sql == []
    assert nothing == []


def test_an_export_takes_published_articles_only(workspace: Workspace, tmp_path: Path) -> None:
    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    article_id = written(workspace, consultant)
    number = str(row(workspace, article_id)["number"])
    with pytest.raises(ConsoleError, match="not published"):
        desk(workspace, consultant).export_articles(f"{tmp_path}/one.html", [number])
    path = desk(workspace, consultant).export_articles(f"{tmp_path}/tier0.html", tier0=True)
    page = Path(path).read_text(encoding="utf-8")
    with workspace.cache().connect() as conn:
        tier0 = conn.execute(
            select(KnowledgeArticle.number, KnowledgeArticle.audience).where(KnowledgeArticle.status == A.PUBLISHED)
        ).all()
    assert tier0
    assert all((n in page) == (audience == Audience.TIER0) for n, audience in tier0)
    assert number not in page


def test_articles_sync_and_a_text_edited_on_two_desks_is_a_conflict_to_resolve(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    bob = team.desk("bob", Role.FUNCTIONAL_CONSULTANT, nth=1)
    ana, ben = team.actor(alice), team.actor(bob)
    article_id = written(alice, ana)
    edit(alice, ana, article_id, "reviewer_id", ben.id)
    assert client.sync_workspace(alice).rejected == []
    client.sync_workspace(bob)
    with bob.cache().connect() as conn:
        versions = conn.execute(select(func.count()).where(ArticleVersion.article_id == article_id)).scalar_one()
        events = conn.execute(
            select(func.count()).where(AuditEvent.entity_type == EntityType.ARTICLE, AuditEvent.entity_id == article_id)
        ).scalar_one()
    assert (row(bob, article_id)["reviewer_id"], versions, events) == (ben.id, 1, 2)
    # Both edit the text from the same version: Alice's lands first; Bob's is kept as a conflict, not lost, and
    # not written over hers.
    seen = str(row(alice, article_id)["body"])
    execute_article(alice.cache(), ana, EditArticle(article_id, "body", "Alice's steps", seen))
    client.sync_workspace(alice)
    execute_article(bob.cache(), ben, EditArticle(article_id, "body", "Bob's steps", seen),
                    clock.now() + timedelta(seconds=1))  # fmt: skip
    report = client.sync_workspace(bob)
    assert (report.rejected, report.conflicts) == ([], 1)
    assert row(bob, article_id)["body"] == "Alice's steps"  # his desk took the shared text back
    with bob.cache().connect() as conn:
        (conflict,) = open_conflicts(conn, ben)
    assert (conflict.entity_table, conflict.field, conflict.mine, conflict.theirs) == (
        "knowledge_articles", "body", "Bob's steps", "Alice's steps")  # fmt: skip
    resolve(bob.cache(), ben, conflict, "edited", "Alice's steps, and Bob's")
    assert client.sync_workspace(bob).rejected == []
    client.sync_workspace(alice)
    stored = row(alice, article_id)
    assert (stored["body"], stored["version"]) == ("Alice's steps, and Bob's", 3)
    with alice.cache().connect() as conn:
        assert open_conflicts(conn, ana) == []
