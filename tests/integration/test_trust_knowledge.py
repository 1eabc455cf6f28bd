"""The knowledge base on a shared PostgreSQL database, each person with a login of their own: an article written,
edited, reviewed, published, retired and revised at the desks goes through under the database's rules, and in psql
no one skips them: a super-user reads no draft, an analyst writes none, no one writes one in someone else's name or
already published, publishes their own, edits a published text, makes a version jump or leave its text behind, and
no one touches someone else's vote or votes on a draft. Each refusal leaves every row as it was."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from console.desk import Desk
from console.journal.intents import EditArticle, LinkArticle, MoveArticle, RateArticle
from console.knowledge.lists import ArticleFilter, list_articles
from console.tickets.service import execute
from models import ArticleStatus, ArticleVersion, AuditEvent, EntityType, KnowledgeArticle, Role, ticket_articles
from tests import clock
from tests.conftest import PgServer
from tests.people import HOW, Desks, People, Session, fingerprint, give_logins
from tests.threats import REFUSED

pytestmark = pytest.mark.postgres
PICKS = {
    "cora": (Role.FUNCTIONAL_CONSULTANT, 0),
    "dan": (Role.FUNCTIONAL_CONSULTANT, 1),
    "sue": (Role.SUPER_USER, 0),
    "ana": (Role.SERVICE_DESK_ANALYST, 0),
    "max": (Role.SUPPORT_MANAGER, 0),
}
A = ArticleStatus


@pytest.fixture
def people(pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest) -> People:
    return give_logins(pg_demo(), pg_server, PICKS, request.addfinalizer)


def test_an_article_goes_through_its_lifecycle_at_the_desks_under_the_databases_rules(
    people: People, desks: Desks
) -> None:
    """Every intent of the desks' service (a new article and its first version, texts saved as versions before the
    article, a reviewer, four eyes, a retirement and a revision) is applied by the shared database as its person's
    own role: none refused."""
    actors = {name: desks.actor(name) for name in ("cora", "dan", "max")}

    def desk(name: str) -> Desk:
        return Desk(desks[name], actors[name], clock.now)

    def now_(name: str, field: str, article_id: uuid.UUID) -> Any:
        with desks[name].cache().connect() as conn:
            return conn.execute(
                select(KnowledgeArticle.__table__.c[field]).where(KnowledgeArticle.id == article_id)
            ).scalar()

    def edit(name: str, article_id: uuid.UUID, field: str, value: object) -> None:
        desk(name).edit_article(EditArticle(article_id, field, value, now_(name, field, article_id)))

    def move(name: str, article_id: uuid.UUID, to: ArticleStatus, reason: str | None = None) -> None:
        desk(name).edit_article(MoveArticle(article_id, to, A(now_(name, "status", article_id)), reason))

    article_id = (
        desk("cora").write_article("Reopen a closed posting period", "1. Open **Periods**.", "FIN").value.article_id
    )
    edit("cora", article_id, "body", "1. Open **Periods**.\n2. Reopen it.")
    edit("cora", article_id, "title", "Reopen a closed posting period (FI)")
    edit("cora", article_id, "reviewer_id", actors["dan"].id)
    move("cora", article_id, A.IN_REVIEW)
    desks.sync("cora")
    desks.sync("dan")
    move("dan", article_id, A.PUBLISHED)
    desk("dan").edit_article(RateArticle(article_id, True))
    desks.sync("dan")
    desks.sync("max")
    move("max", article_id, A.RETIRED, "Replaced by the closing guide")
    move("max", article_id, A.DRAFT, "Revised for the new release")
    edit("max", article_id, "body", "1. Open **Periods** (FI-GL).\n2. Reopen it.")
    desks.sync("max")
    with people.admin() as conn:
        row = conn.execute(
            "SELECT status, version, author_id, reviewer_id, published_at IS NOT NULL, retired_at IS NOT NULL "
            "FROM knowledge_articles WHERE id = %s",
            (article_id,),
        ).fetchone()
        versions = conn.execute(
            "SELECT version, edited_by_id FROM article_versions WHERE article_id = %s ORDER BY version", (article_id,)
        ).fetchall()
        votes = conn.execute("SELECT user_id FROM article_feedback WHERE article_id = %s", (article_id,)).fetchall()
    cora, dan, max_ = (actors[n].id for n in ("cora", "dan", "max"))
    assert row == ("draft", 4, cora, dan, True, True)
    assert versions == [(1, cora), (2, cora), (3, cora), (4, max_)]
    assert votes == [(dan,)]


def test_a_text_edited_on_two_desks_is_a_conflict_naming_the_other_side(people: People, desks: Desks) -> None:
    """Dan's edit meets Cora's: the shared database keeps it as his conflict and names her as the other side (from
    the article's history), so she reads it in psql too."""
    cora, dan = desks.actor("cora"), desks.actor("dan")
    article_id = (
        Desk(desks["cora"], cora, clock.now).write_article("Close a period", "1. Close it.", "FIN").value.article_id
    )
    desks.sync("cora")
    desks.sync("dan")
    base = "1. Close it."
    Desk(desks["cora"], cora, clock.now).edit_article(EditArticle(article_id, "body", "1. Close it (FI).", base))
    desks.sync("cora")
    Desk(desks["dan"], dan, clock.now).edit_article(EditArticle(article_id, "body", "1. Close it now.", base))
    desks.sync("dan")
    with people.admin() as conn:
        found = conn.execute(
            "SELECT user_id, theirs_user_id FROM sync_conflicts WHERE entity_table = 'knowledge_articles' "
            "AND entity_id = %s",
            (article_id,),
        ).fetchall()
    assert found == [(dan.id, cora.id)]
    with people.connect("cora") as session:
        assert session.value("SELECT count(*) FROM sync_conflicts WHERE entity_id = %s", (article_id,)) == 1


BLOCK = (
    "INSERT INTO number_blocks (id, series, first, last, next_free, client_id, reserved_at) "
    "SELECT gen_random_uuid(), 'KB', COALESCE(max(last), 0) + 1, COALESCE(max(last), 0) + 10, "
    "COALESCE(max(last), 0) + 1, 'desk', now() FROM number_blocks WHERE series = 'KB' RETURNING first"
)
WRITE = (
    "INSERT INTO knowledge_articles (id, number, title, body, status, language, author_id, created_at, updated_at, "
    "audience, version, published_at) VALUES (%s, %s, 'Mine', 'My text', %s, 'en', %s, now(), now(), 'internal', 1, %s)"
)
FIRST = (
    "INSERT INTO article_versions (id, article_id, version, title, body, edited_by_id, edited_at) "
    "VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, now())"
)
SAVE = "UPDATE knowledge_articles SET body = %s, version = version + 1, updated_at = now() WHERE id = %s"
VOTE = (
    "INSERT INTO article_feedback (id, article_id, user_id, helpful, at) "
    "VALUES (gen_random_uuid(), %s, %s, true, now())"
)
Steps = list[tuple[str, tuple[object, ...]]]


def an_article(people: People, author: str, status: str, reviewer: str | None = None) -> uuid.UUID:
    """An article the administrator wrote in the author's name, with its first version and its history's first
    event: its id."""
    article_id = uuid.uuid4()
    author_id, reviewer_id = people[author].id, people[reviewer].id if reviewer else None
    with people.admin() as conn:
        conn.execute(
            "INSERT INTO knowledge_articles (id, number, title, body, status, language, author_id, reviewer_id, "
            "created_at, updated_at, audience, version, published_at) VALUES (%s, %s, 'Theirs', 'Their text', %s, "
            "'en', %s, %s, now(), now(), 'internal', 1, CASE WHEN %s = 'published' THEN now() END)",
            (article_id, f"KB-9{uuid.uuid4().int % 10**6:06d}", status, author_id, reviewer_id, status),
        )
        conn.execute(FIRST, (article_id, 1, "Theirs", "Their text", author_id))
        conn.execute(
            "INSERT INTO audit_events (id, occurred_at, seq, actor_id, entity_type, entity_id, action) "
            "VALUES (gen_random_uuid(), now(), 1, %s, 'article', %s, 'created')",
            (author_id, article_id),
        )
        conn.commit()
    return article_id


def in_one(session: Session, steps: Steps) -> psycopg.Error | None:
    """The statements in one transaction of the person's, committed (checks deferred to the commit included);
    the error that refused it, rolled back, or None."""
    try:
        session._as_person()
        for statement, params in steps:
            session.conn.execute(statement, params)
        session.conn.commit()
    except psycopg.Error as exc:
        session.conn.rollback()
        return exc
    return None


def reserve(people: People, name: str, how: str) -> str:
    """A number of a KB block the person reserved."""
    with people.connect(name, how) as session:
        session._as_person()
        row = session.conn.execute(BLOCK).fetchone()
        session.conn.commit()
    assert row is not None
    return f"KB-{row[0]:07d}"


def all_refused(people: People, how: str, attempts: list[tuple[str, Steps]]) -> None:
    """Each attempt refused (42501), and every row as it was (a number block reserved aside)."""
    before = fingerprint(people)
    for name, steps in attempts:
        with people.connect(name, how) as session:
            error = in_one(session, steps)
        assert error is not None, f"the database let {name} do this: {steps}"
        assert error.sqlstate == REFUSED, f"{name}: {steps}: {error.sqlstate} {error}"
    after = fingerprint(people)
    assert {t: v for t, v in after.items() if t != "number_blocks"} == {
        t: v for t, v in before.items() if t != "number_blocks"
    }


@pytest.mark.parametrize("how", HOW)
def test_a_super_user_reads_no_draft_nor_one_in_review(people: People, how: str) -> None:
    draft, review = an_article(people, "cora", "draft"), an_article(people, "cora", "in_review", "dan")
    published = an_article(people, "cora", "published", "dan")
    hidden = (draft, review)
    what = {
        "knowledge_articles": "SELECT count(*) FROM knowledge_articles WHERE id = ANY (%s)",
        "article_versions": "SELECT count(*) FROM article_versions WHERE article_id = ANY (%s)",
        "audit_events": "SELECT count(*) FROM audit_events WHERE entity_type = 'article' AND entity_id = ANY (%s)",
    }
    with people.connect("sue", how) as sue, people.connect("cora", how) as cora:
        for table, query in what.items():
            assert sue.value(query, (list(hidden),)) == 0, table
            assert sue.value(query, ([published],)) == 1, table  # the published one she reads
            assert cora.value(query, (list(hidden),)) == 2, table
        assert sue.value("SELECT count(*) FROM knowledge_articles WHERE status <> 'published'") == 0
        assert cora.value("SELECT count(*) FROM knowledge_articles WHERE status <> 'published'") > 2


@pytest.mark.parametrize("how", HOW)
def test_no_one_skips_an_articles_rules_in_psql(people: People, how: str) -> None:
    draft, review = an_article(people, "cora", "draft"), an_article(people, "cora", "in_review", "dan")
    published = an_article(people, "cora", "published", "dan")
    cora, dan, sue, ana = (people[n].id for n in ("cora", "dan", "sue", "ana"))
    with people.admin() as conn:
        conn.execute(VOTE, (published, dan))
        conn.commit()
    mine = reserve(people, "cora", how)
    new = uuid.uuid4()
    publish = "UPDATE knowledge_articles SET status = 'published', published_at = now() WHERE id = %s"
    attempts: list[tuple[str, Steps]] = [
        # Who writes, in whose name, as what.
        ("ana", [(WRITE, (new, mine, "draft", ana, None)), (FIRST, (new, 1, "Mine", "My text", ana))]),
        ("cora", [(WRITE, (new, mine, "draft", dan, None))]),  # in someone else's name
        ("cora", [(WRITE, (new, mine, "published", cora, clock.now())), (FIRST, (new, 1, "Mine", "My text", cora))]),
        ("cora", [(WRITE, (new, "KB-8888888", "draft", cora, None)), (FIRST, (new, 1, "Mine", "My text", cora))]),
        ("cora", [(WRITE, (new, mine, "draft", cora, None))]),  # without its first version, at commit
        ("cora", [("DELETE FROM knowledge_articles WHERE id = %s", (draft,))]),
        ("cora", [("UPDATE knowledge_articles SET author_id = %s WHERE id = %s", (dan, review))]),
        # Four eyes: the author publishes nothing of hers, even as its reviewer, nor skips review.
        ("cora", [(publish, (review,))]),
        ("cora", [("UPDATE knowledge_articles SET reviewer_id = %s WHERE id = %s", (cora, draft))]),
        ("cora", [("UPDATE knowledge_articles SET reviewer_id = %s WHERE id = %s", (sue, draft))]),  # not a writer
        ("cora", [("UPDATE knowledge_articles SET status = 'in_review' WHERE id = %s", (draft,))]),  # no reviewer
        ("dan", [(publish, (draft,))]),  # not a move
        ("dan", [("UPDATE knowledge_articles SET status = 'published' WHERE id = %s", (review,))]),  # no stamp
        ("cora", [("UPDATE knowledge_articles SET published_at = now() WHERE id = %s", (draft,))]),
        ("sue", [("UPDATE knowledge_articles SET title = 'Mine now' WHERE id = %s", (published,))]),
        # A published text stays as published: revised only as a draft again.
        ("cora", [(FIRST, (published, 2, "Theirs", "Rewritten", cora)), (SAVE, ("Rewritten", published))]),
        ("dan", [("UPDATE knowledge_articles SET body = 'Rewritten' WHERE id = %s", (published,))]),
        # Each saved text is the next version, with that text saved first in its editor's name.
        ("cora", [("UPDATE knowledge_articles SET body = 'Unsaved' WHERE id = %s", (draft,))]),
        ("cora", [("UPDATE knowledge_articles SET version = version + 1 WHERE id = %s", (draft,))]),
        ("cora", [(FIRST, (draft, 3, "Theirs", "Jumped", cora))]),
        (
            "cora",
            [
                (FIRST, (draft, 3, "Theirs", "Jumped", cora)),
                ("UPDATE knowledge_articles SET body = 'Jumped', version = 3 WHERE id = %s", (draft,)),
            ],
        ),
        ("cora", [(SAVE, ("No version saved", draft))]),
        ("cora", [(FIRST, (draft, 2, "Theirs", "Saved as Dan", dan)), (SAVE, ("Saved as Dan", draft))]),
        ("cora", [(FIRST, (draft, 2, "Theirs", "Another text", cora)), (SAVE, ("Not that text", draft))]),
        ("cora", [(FIRST, (draft, 2, "Theirs", "Never saved", cora))]),  # a version ahead of its article, at commit
        # Votes: one's own, on a published article.
        ("cora", [("DELETE FROM article_feedback WHERE article_id = %s AND user_id = %s", (published, dan))]),
        ("cora", [("UPDATE article_feedback SET helpful = false WHERE article_id = %s", (published,))]),
        ("cora", [(VOTE, (published, dan))]),
        ("cora", [(VOTE, (draft, cora))]),
        ("sue", [(VOTE, (review, sue))]),
    ]
    all_refused(people, how, attempts)
    # What they may (the positive control): the reviewer publishes; the author writes a draft with its number and
    # first version, and saves its next text; a vote is one's own, changed by taking it back.
    with people.connect("dan", how) as session:
        assert in_one(session, [(publish, (review,))]) is None
    with people.connect("cora", how) as session:
        assert (
            in_one(session, [(WRITE, (new, mine, "draft", cora, None)), (FIRST, (new, 1, "Mine", "My text", cora))])
            is None
        )
        assert in_one(session, [(FIRST, (draft, 2, "Theirs", "Saved", cora)), (SAVE, ("Saved", draft))]) is None
        assert in_one(session, [(VOTE, (published, cora))]) is None
        take_back = "DELETE FROM article_feedback WHERE article_id = %s AND user_id = %s"
        assert in_one(session, [(take_back, (published, cora)), (VOTE, (published, cora))]) is None
    with people.admin() as conn:
        assert conn.execute("SELECT status FROM knowledge_articles WHERE id = %s", (review,)).fetchone() == (
            "published",
        )
        assert conn.execute("SELECT version, body FROM knowledge_articles WHERE id = %s", (draft,)).fetchone() == (
            2,
            "Saved",
        )
        assert conn.execute("SELECT count(*) FROM article_feedback WHERE article_id = %s", (published,)).fetchone() == (
            2,
        )


def test_a_super_users_sync_goes_on_when_her_ticket_is_linked_to_a_draft(people: People, desks: Desks) -> None:
    draft = an_article(people, "cora", "draft")
    desks["sue"]
    with people.admin() as conn:
        found = conn.execute(
            "SELECT id FROM tickets WHERE business_unit_id = %s AND status <> 'closed' ORDER BY number LIMIT 1",
            (min(people["sue"].units),),
        ).fetchone()
    assert found is not None
    desks.sync("cora")
    execute(desks["cora"].cache(), desks.actor("cora"), [LinkArticle(found[0], draft)], clock.now())
    desks.sync("cora")
    desks.sync("sue")
    # Her ticket's link, and the draft it points at, reach her (she reads what her tickets are linked to); the
    # knowledge base she reads still lists published articles only.
    with desks["sue"].cache().connect() as conn:
        links = select(ticket_articles.c.article_id).where(ticket_articles.c.ticket_id == found[0])
        assert draft in set(conn.execute(links).scalars())
        listed = {r.id for r in list_articles(conn, desks.actor("sue"), ArticleFilter())}
    assert draft not in listed
    with people.connect("sue") as session:  # her own login reads it for the link, and no draft not linked to hers
        drafts = {row[0] for row in session.query("SELECT id FROM knowledge_articles WHERE status <> 'published'")}
        linked = {row[0] for row in session.query("SELECT article_id FROM ticket_articles")}
    with people.admin() as conn:
        every_draft = {row[0] for row in conn.execute("SELECT id FROM knowledge_articles WHERE status <> 'published'")}
    assert draft in drafts
    assert drafts <= linked
    assert drafts < every_draft


def test_an_article_a_super_user_no_longer_reads_leaves_her_cache(people: People, desks: Desks) -> None:
    """Retired, a published article is no longer hers to read: her next sync takes it out of her cache, with its
    versions and history, instead of keeping the text she may no longer see."""
    published = an_article(people, "cora", "published", reviewer="max")
    desks["sue"]
    desks.sync("sue")
    articles, versions = select(KnowledgeArticle.id), select(ArticleVersion.article_id)
    with desks["sue"].cache().connect() as conn:
        assert published in set(conn.execute(articles).scalars())
    desks["max"]
    desks.sync("max")
    Desk(desks["max"], desks.actor("max"), clock.now).edit_article(
        MoveArticle(published, A.RETIRED, A.PUBLISHED, "Replaced by the closing guide")
    )
    desks.sync("max")
    desks.sync("sue")
    with desks["sue"].cache().connect() as conn:
        assert published not in set(conn.execute(articles).scalars())
        assert published not in set(conn.execute(versions).scalars())
        history = select(AuditEvent.entity_id).where(AuditEvent.entity_type == EntityType.ARTICLE)
        assert published not in set(conn.execute(history).scalars())
    with desks["dan"].cache().connect() as conn:  # a consultant still reads it, retired
        desks.sync("dan")
        status = conn.execute(select(KnowledgeArticle.status).where(KnowledgeArticle.id == published)).scalar()
    assert status == A.RETIRED
