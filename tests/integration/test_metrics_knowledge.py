"""Knowledge use in the metrics, on known data: tickets resolved with an article, the articles used most, and problem
candidates opened as problems — at the period's edges, under the filters, and in a super-user's scope. The data lie
in March 2010, long before the demo's history, so every figure is exactly what the test made."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Connection, func, insert, select

from console.access import Actor, load_actor
from console.desk import Desk
from console.journal.intents import LinkIncidents, NewProblem
from console.metrics.contents import summary_rows
from console.metrics.knowledge import (
    TOP_ARTICLES,
    ArticleUse,
    Knowledge,
    articles_most_used,
    deflections,
    knowledge,
)
from console.metrics.queries import Filter
from console.metrics.report import gather, write_report
from console.problems.service import execute_problem, new_problem_number
from console.store.workspace import Workspace
from models import (
    ArticleStatus,
    BusinessUnit,
    ErpModule,
    KnowledgeArticle,
    Membership,
    Priority,
    Role,
    Ticket,
    TicketStatus,
    User,
    table_of,
    ticket_articles,
)
from tests import clock
from tests.plans import as_if_a_million, plans

MARCH = Filter(date(2010, 3, 1), date(2010, 4, 1))
START, END = MARCH.start_at, MARCH.end_at  # 2010-03-01 00:00 and 2010-04-01 00:00 UTC
JUST = timedelta(microseconds=1)


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2010, month, day, hour, tzinfo=UTC)


@dataclass
class Made:
    """What a test made, by name: units and modules by their codes, tickets, articles and people."""

    conn: Connection
    units: dict[str, uuid.UUID] = field(default_factory=dict)
    modules: dict[str, uuid.UUID] = field(default_factory=dict)
    tickets: dict[str, uuid.UUID] = field(default_factory=dict)
    articles: dict[str, uuid.UUID] = field(default_factory=dict)
    reporter: uuid.UUID | None = None

    def ticket(
        self, name: str, unit: str, module: str = "FIN", priority: str = "high", *,
        resolved_at: datetime | None = None, status: TicketStatus = TicketStatus.RESOLVED,
        articles: tuple[str, ...] = (),
    ) -> uuid.UUID:  # fmt: skip
        """A ticket as the cache holds one: resolved at ``resolved_at`` (closed ones too), else open."""
        ticket_id = uuid.uuid4()
        created = (resolved_at or at(1)) - timedelta(days=3)
        self.conn.execute(insert(table_of(Ticket)), [{
            "id": ticket_id, "number": f"KNW-{len(self.tickets) + 1:04d}", "kind": "incident", "title": name,
            "description": "", "status": status, "priority": priority, "impact": "medium", "urgency": "medium",
            "tier": 1, "module_id": self.modules[module], "business_unit_id": self.units[unit],
            "reporter_id": self.reporter, "reopen_count": 0, "created_at": created,
            "updated_at": resolved_at or created, "resolved_at": resolved_at,
            "closed_at": resolved_at if status is TicketStatus.CLOSED else None,
        }])  # fmt: skip
        self.tickets[name] = ticket_id
        for article in articles:
            self.link(name, article)
        return ticket_id

    def article(self, number: str, title: str) -> None:
        article_id = uuid.uuid4()
        self.conn.execute(insert(table_of(KnowledgeArticle)), [{
            "id": article_id, "number": number, "title": title, "body": "…", "status": ArticleStatus.PUBLISHED,
            "language": "en", "module_id": self.modules["FIN"], "author_id": self.reporter, "created_at": at(1, 1, 1),
            "updated_at": at(1, 1, 1),
        }])  # fmt: skip
        self.articles[number] = article_id

    def link(self, ticket: str, article: str) -> None:
        self.conn.execute(insert(ticket_articles), [{"ticket_id": self.tickets[ticket],
                                                     "article_id": self.articles[article]}])  # fmt: skip


def super_user(conn: Connection) -> Actor:
    """The demo's first super-user of a single business unit."""
    singles = select(Membership.user_id).group_by(Membership.user_id).having(func.count() == 1)
    login = conn.execute(
        select(User.login).where(User.role == Role.SUPER_USER, User.active, User.id.in_(singles)).order_by(User.login)
    ).scalars().first()  # fmt: skip
    assert login is not None
    actor = load_actor(conn, login)
    assert len(actor.units) == 1
    return actor


def consultant(conn: Connection) -> Actor:
    login = conn.execute(
        select(User.login).where(User.role == Role.FUNCTIONAL_CONSULTANT, User.active).order_by(User.login)
    ).scalars().first()  # fmt: skip
    assert login is not None
    return load_actor(conn, login)


def made_on(conn: Connection) -> Made:
    """Ready to make data on ``conn``: the super-user's own unit is ``MINE``, another unit ``OTHER``; FIN and HRP are
    modules of the demo."""
    (mine,) = super_user(conn).units
    other = next(u for u in conn.execute(select(BusinessUnit.id).order_by(BusinessUnit.code)).scalars() if u != mine)
    made = Made(conn, {"MINE": mine, "OTHER": other})
    made.modules = {code: id_ for id_, code in conn.execute(select(ErpModule.id, ErpModule.code))}
    made.reporter = conn.execute(select(User.id).order_by(User.login)).scalars().first()
    return made


@pytest.fixture
def made(workspace: Workspace) -> Iterator[Made]:
    with workspace.cache().connect() as conn:
        yield made_on(conn)
        conn.rollback()


def codes(made: Made) -> dict[str, str]:
    """Our names of the units → their codes in the demo."""
    return {
        name: made.conn.execute(select(BusinessUnit.code).where(BusinessUnit.id == unit_id)).scalar_one()
        for name, unit_id in made.units.items()
    }


def resolved_with_articles(made: Made) -> None:
    """Nine tickets around March 2010; six resolved in it, four of those with an article.

    ======  =====================  =====  ======  ========  =========
    name    resolved at            unit   module  priority  articles
    ======  =====================  =====  ======  ========  =========
    first   03-01 00:00 (edge)     MINE   FIN     high      KB-1 KB-2
    closed  03-15, closed          MINE   FIN     medium    KB-1
    last    03-31 23:59:59.999999  OTHER  HRP     high      KB-1
    plain   03-20                  OTHER  FIN     low       –
    mine    03-10                  MINE   HRP     high      –
    fifth   03-05                  OTHER  FIN     high      KB-3
    april   04-01 00:00 (out)      MINE   FIN     high      KB-2
    feb     02-28 23:59:59.999999  MINE   FIN     high      KB-3
    again   reopened (none)        MINE   FIN     high      KB-3
    ======  =====================  =====  ======  ========  =========
    """
    for number, title in (("KB-1", "Period closed: reopen it"), ("KB-2", "Bank import rejected"),
                          ("KB-3", "Vendor blocked on requisitions")):  # fmt: skip
        made.article(number, title)
    made.ticket("first", "MINE", resolved_at=START, articles=("KB-1", "KB-2"))
    made.ticket("closed", "MINE", priority="medium", resolved_at=at(15), status=TicketStatus.CLOSED,
                articles=("KB-1",))  # fmt: skip
    made.ticket("last", "OTHER", "HRP", resolved_at=END - JUST, articles=("KB-1",))
    made.ticket("plain", "OTHER", priority="low", resolved_at=at(20))
    made.ticket("mine", "MINE", "HRP", resolved_at=at(10))
    made.ticket("fifth", "OTHER", resolved_at=at(5), articles=("KB-3",))
    made.ticket("april", "MINE", resolved_at=END, articles=("KB-2",))
    made.ticket("feb", "MINE", resolved_at=START - JUST, articles=("KB-3",))
    made.ticket("again", "MINE", status=TicketStatus.IN_PROGRESS, articles=("KB-3",))


def test_tickets_resolved_with_an_article_in_the_period_and_its_edges(made: Made) -> None:
    resolved_with_articles(made)
    assert deflections(made.conn, MARCH) == (6, 4)  # first, closed, last, fifth of six; not april, feb, again
    assert articles_most_used(made.conn, MARCH) == (
        ArticleUse("KB-1", "Period closed: reopen it", 3),
        ArticleUse("KB-2", "Bank import rejected", 1),  # a tie: by number
        ArticleUse("KB-3", "Vendor blocked on requisitions", 1),
    )
    found = knowledge(made.conn, MARCH)
    assert (found.resolved, found.deflected) == (6, 4)
    assert found.deflected_percent == pytest.approx(100 * 4 / 6)
    # One day more at each end takes in the tickets just outside
    wider = Filter(date(2010, 2, 28), date(2010, 4, 2))
    assert deflections(made.conn, wider) == (8, 6)
    assert [(a.number, a.tickets) for a in articles_most_used(made.conn, wider)] == [
        ("KB-1", 3), ("KB-2", 2), ("KB-3", 2)]  # fmt: skip
    # The first day alone, and the last
    assert deflections(made.conn, Filter(date(2010, 3, 1), date(2010, 3, 2))) == (1, 1)
    assert deflections(made.conn, Filter(date(2010, 3, 31), date(2010, 4, 1))) == (1, 1)


def test_the_filters_narrow_every_figure(made: Made) -> None:
    resolved_with_articles(made)
    unit = codes(made)
    fin = MARCH.narrowed(modules=("FIN",))
    assert deflections(made.conn, fin) == (4, 3)  # first, closed, plain, fifth
    assert [(a.number, a.tickets) for a in articles_most_used(made.conn, fin)] == [
        ("KB-1", 2), ("KB-2", 1), ("KB-3", 1)]  # fmt: skip
    high = MARCH.narrowed(priorities=("high",))
    assert deflections(made.conn, high) == (4, 3)  # first, last, mine, fifth
    other = MARCH.narrowed(units=(unit["OTHER"],), priorities=("high", "low"))
    assert deflections(made.conn, other) == (3, 2)  # last, plain, fifth
    assert [(a.number, a.tickets) for a in articles_most_used(made.conn, other)] == [("KB-1", 1), ("KB-3", 1)]


def test_a_super_user_sees_only_her_units(made: Made, workspace: Workspace) -> None:
    resolved_with_articles(made)
    her = super_user(made.conn)
    unit = codes(made)
    made.conn.commit()  # the desk reads the cache on a connection of its own
    found = Desk(workspace, her, clock.now).knowledge_use(MARCH)
    assert (found.resolved, found.deflected) == (3, 2)  # first, closed, mine
    assert [(a.number, a.tickets) for a in found.articles] == [("KB-1", 2), ("KB-2", 1)]
    asked_for_another = Desk(workspace, her, clock.now).knowledge_use(MARCH.narrowed(units=(unit["OTHER"],)))
    assert asked_for_another == found  # her "All", and another unit asked for, are her own units
    everyone = Desk(workspace, consultant(made.conn), clock.now).knowledge_use(MARCH)  # a consultant is not scoped
    assert (everyone.resolved, everyone.deflected) == (6, 4)


def test_only_the_ten_articles_most_used(made: Made) -> None:
    for n in range(1, 13):
        made.article(f"KB-{n:02d}", f"Article {n}")
    for n in range(1, 13):  # KB-01 on 12 tickets, KB-02 on 11, … KB-12 on 1
        for copy in range(13 - n):
            made.ticket(f"{n}-{copy}", "MINE", resolved_at=at(2 + copy % 20), articles=(f"KB-{n:02d}",))
    used = articles_most_used(made.conn, MARCH)
    assert len(used) == TOP_ARTICLES
    assert [(a.number, a.tickets) for a in used] == [(f"KB-{n:02d}", 13 - n) for n in range(1, 11)]


# ---- problem candidates opened as problems ---------------------------------------------------------------------


def opened(workspace: Workspace, actor: Actor, when: datetime, incidents: list[uuid.UUID]) -> uuid.UUID:
    """A problem opened at ``when`` with ``incidents``, as "Problem candidates" opens one."""
    with workspace.cache().begin() as conn:
        module = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        number = new_problem_number(conn, workspace.client_id, workspace.reserve_numbers)
    problem_id = uuid.uuid4()
    intent = NewProblem(problem_id, number, "Posting fails", module, Priority.HIGH, incidents=frozenset(incidents))
    execute_problem(workspace.cache(), actor, intent, when)
    return problem_id


def test_problems_opened_with_their_incidents(made: Made, workspace: Workspace) -> None:
    worker = consultant(made.conn)
    open_ = TicketStatus.NEW
    incidents = {name: made.ticket(name, unit, status=open_) for name, unit in (
        ("i1", "MINE"), ("i2", "OTHER"), ("i3", "OTHER"), ("i4", "MINE"), ("i5", "MINE"), ("i6", "MINE"),
        ("i7", "MINE"), ("i8", "MINE"), ("i9", "MINE"))}  # fmt: skip
    made.conn.commit()
    p1 = opened(workspace, worker, at(10, 9), [incidents["i1"], incidents["i2"]])
    opened(workspace, worker, END - timedelta(seconds=1), [incidents["i3"]])  # the last second of the period
    opened(workspace, worker, END, [incidents["i4"]])  # the next period's first moment
    opened(workspace, worker, START - timedelta(seconds=1), [incidents["i9"]])  # the period before
    p4 = opened(workspace, worker, at(12, 9), [])  # opened with none, linked one at once after (not at opening)
    execute_problem(workspace.cache(), worker, LinkIncidents(p4, frozenset({incidents["i5"]})), at(12, 9))
    p5 = opened(workspace, worker, at(20, 9), [incidents["i6"], incidents["i7"]])  # two at opening, one more after
    execute_problem(workspace.cache(), worker, LinkIncidents(p5, frozenset({incidents["i8"]})), at(20, 9))
    # An incident unlinked since still counts: it was linked at the opening.
    execute_problem(workspace.cache(), worker, LinkIncidents(p1, frozenset({incidents["i1"]}), unlink=True))
    unit = codes(made)
    with workspace.cache().connect() as conn:
        everyone = knowledge(conn, MARCH)
        assert (everyone.problems_opened, everyone.incidents_linked) == (3, 5)  # p1 (2), p2 (1), p5 (2)
        hers = knowledge(conn, MARCH.narrowed(units=(unit["MINE"],)))
        assert (hers.problems_opened, hers.incidents_linked) == (2, 3)  # p1 (i1), p5 (i6, i7); p2's i3 is not hers
        theirs = knowledge(conn, MARCH.narrowed(units=(unit["OTHER"],)))
        assert (theirs.problems_opened, theirs.incidents_linked) == (2, 2)  # p1 (i2), p2 (i3)
        hrp = knowledge(conn, MARCH.narrowed(modules=("HRP",)))
        assert (hrp.problems_opened, hrp.incidents_linked) == (0, 0)  # the incidents are FIN's
        april = knowledge(conn, Filter(date(2010, 4, 1), date(2010, 4, 2)))
        assert (april.problems_opened, april.incidents_linked) == (1, 1)
    assert isinstance(everyone, Knowledge)


def test_a_problem_opened_today_counts_today(workspace: Workspace) -> None:
    """At the suite's real (or moved) clock, as the window opens one: it counts in a period ending tomorrow."""
    now = clock.now()
    with workspace.cache().connect() as conn:
        worker = consultant(conn)
        incident = conn.execute(
            select(Ticket.id).where(Ticket.status == TicketStatus.NEW).order_by(Ticket.number).limit(1)
        ).scalar_one()  # fmt: skip
        flt = Filter(now.date(), now.date() + timedelta(days=1))
        before = knowledge(conn, flt)
    opened(workspace, worker, now, [incident])
    with workspace.cache().connect() as conn:
        after = knowledge(conn, flt)
    assert (after.problems_opened - before.problems_opened, after.incidents_linked - before.incidents_linked) == (1, 1)


# ---- the report ------------------------------------------------------------------------------------------------


def test_the_report_says_them_in_its_summary_and_lists_the_articles(made: Made, tmp_path: Path) -> None:
    resolved_with_articles(made)
    report = gather(made.conn, MARCH, MARCH.end_at, 90)
    assert report.knowledge == knowledge(made.conn, MARCH)
    summary = {row["figure"]: row["value"] for row in summary_rows(report)}
    assert summary["Tickets resolved with a knowledge article"] == "4 of 6"
    assert summary["Resolved with a knowledge article %"] == "66.7"
    assert summary["Problem candidates opened as problems"] == "0"
    csv_text = write_report(report, tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "\narticle,title,tickets\nKB-1,Period closed: reopen it,3\nKB-2,Bank import rejected,1\n" in csv_text
    pages = [page.extract_text() for page in PdfReader(write_report(report, tmp_path / "r.pdf")).pages]
    (used,) = [page for page in pages if page.startswith("Knowledge use")]
    assert "Tickets resolved with a knowledge article 4 of 6" in used
    assert "KB-1 Period closed: reopen it 3" in used


# ---- plans ---------------------------------------------------------------------------------------------------

NOW = clock.demo_now()
YEAR_END = NOW.date() + timedelta(days=1)
PLAN_FILTERS = [
    Filter(YEAR_END - timedelta(days=365), YEAR_END),
    Filter(YEAR_END - timedelta(days=91), YEAR_END, units=("DXB-HQ",)),
    Filter(YEAR_END - timedelta(days=730), YEAR_END, modules=("FIN",), priorities=("high",)),
]
PERIOD = "(resolved_at>? AND resolved_at<?)"


@pytest.mark.parametrize("statistics", ["demo", "a million tickets"])
@pytest.mark.parametrize("flt", PLAN_FILTERS, ids=["year", "quarter-one-unit", "two-years-module-priority"])
def test_the_resolved_tickets_are_read_by_time_or_by_id_never_whole(
    conn: Connection, statistics: str, flt: Filter
) -> None:
    """Tickets are entered by the stretch of the resolution-time index the period covers, or one by one by id from
    their links; never read whole, nor walked by unit, module or priority (all the years of one of them)."""
    if statistics != "demo":
        as_if_a_million(conn)
    found = [p for p in plans(conn, lambda: (deflections(conn, flt), articles_most_used(conn, flt)))
             if "tickets" in p.sql]  # fmt: skip
    assert len(found) == 3  # all resolved, those with an article, the articles
    for plan in found:
        on_tickets = [line for line in plan.lines if " tickets " in f"{line} "]
        assert on_tickets, plan.text
        for line in on_tickets:
            by_time = line.startswith("SEARCH tickets USING ") and line.endswith(PERIOD)
            by_id = line.startswith("SEARCH tickets USING INDEX sqlite_autoindex_tickets_1 (id=?)")
            assert by_time or by_id, plan.text
    assert " COVERING INDEX " in found[0].lines[0], found[0].text  # all resolved: from the index alone
    assert deflections(conn, flt)[0] > 0  # the demo's period has resolved tickets: the plan is of real work
