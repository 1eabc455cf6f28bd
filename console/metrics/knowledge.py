"""Knowledge use, for the metrics view: tickets resolved with a knowledge article, the articles used most, and
problem candidates opened as problems — under the same ``Filter`` as the SLA figures (period, units, modules,
priorities) and the same scope (a super-user's units only). SQL aggregates on the local cache; no Qt.

Each figure is about tickets, so the filter's units, modules and priorities are those of the tickets (for a
problem: of the incidents it linked), and the period is a UTC day range as everywhere in the metrics.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, distinct, func, literal_column, select
from sqlalchemy.orm import aliased

from console.metrics.queries import Filter, _scope
from models import AuditAction, AuditEvent, EntityType, KnowledgeArticle, Problem, Ticket, ticket_articles

TOP_ARTICLES = 10
TICK = timedelta(microseconds=1)  # as console.problems.service writes the links of a problem it opens
# The ticket's unit, module and priority with a unary "+", so SQLite cannot enter tickets by one of their indexes (as
# ``console.metrics.report.breaches`` explains: on a big cache a unit looks few, and that walk reads all its years).
UNIT, MODULE, PRIORITY = (literal_column(f"+tickets.{c.key}", type_=c.type)
                          for c in (Ticket.business_unit_id, Ticket.module_id, Ticket.priority))  # fmt: skip


@dataclass(frozen=True)
class ArticleUse:
    number: str
    title: str
    tickets: int


@dataclass(frozen=True)
class Knowledge:
    """The knowledge-use figures of one filter (see each query for its exact definition)."""

    filter: Filter
    resolved: int
    """Tickets resolved in the period (resolved or closed: ``resolved_at`` in it)."""
    deflected: int
    """Of those, the tickets with at least one linked knowledge article."""
    articles: tuple[ArticleUse, ...]
    """The articles linked to most of those tickets, most first (at most ``TOP_ARTICLES``)."""
    problems_opened: int
    """Problems opened in the period with incidents linked at their opening (from problem candidates)."""
    incidents_linked: int
    """The incidents those problems linked at their opening."""

    @property
    def deflected_percent(self) -> float | None:
        return 100.0 * self.deflected / self.resolved if self.resolved else None


def _in_scope(flt: Filter) -> list[ColumnElement[bool]]:
    return _scope(flt, UNIT, MODULE, PRIORITY)


def _resolved_in(flt: Filter) -> list[ColumnElement[bool]]:
    """Tickets resolved in the period: ``resolved_at`` is set when a ticket is resolved or closed, and cleared when
    it is reopened, so a ticket counts once, in the period of its last resolution (as ``Rates.resolved``)."""
    return [Ticket.resolved_at >= flt.start_at, Ticket.resolved_at < flt.end_at, *_in_scope(flt)]


def deflections(conn: Connection, flt: Filter) -> tuple[int, int]:
    """(tickets resolved in the period, those of them with at least one knowledge article linked).

    All of them from the resolution-time index alone (the unit, module and priority are in it too). Those with an
    article: SQLite walks the period's stretch of that index and looks each ticket's links up by the primary key
    of ``ticket_articles``, or, when the links are fewer than the period's tickets, walks the links and looks each
    ticket up by its id; never a walk of a unit's, module's or priority's tickets (tests/integration/
    test_metrics_knowledge.py pins the plans). ``ticket_articles`` keeps no time: a link held now counts, whether
    it was made before or after the resolution.
    """
    resolved = conn.execute(select(func.count()).where(*_resolved_in(flt))).scalar_one()
    link = ticket_articles.c
    with_article = (
        select(func.count(distinct(link.ticket_id)))
        .join_from(ticket_articles, Ticket, Ticket.id == link.ticket_id)
        .where(*_resolved_in(flt))
    )
    return int(resolved), int(conn.execute(with_article).scalar_one())


def articles_most_used(conn: Connection, flt: Filter, limit: int = TOP_ARTICLES) -> tuple[ArticleUse, ...]:
    """The articles linked to the most tickets resolved in the period (the tickets ``deflections`` counts), most
    first, then by number. ``ticket_articles`` keeps no time of its own, so "used in the period" is "linked to a
    ticket resolved in the period", the moment the article served."""
    link = ticket_articles.c
    used = (
        select(link.article_id, func.count().label("tickets"))
        .join(Ticket, Ticket.id == link.ticket_id)
        .where(*_resolved_in(flt))
        .group_by(link.article_id)
        .subquery("used")
    )
    query = (
        select(KnowledgeArticle.number, KnowledgeArticle.title, used.c.tickets)
        .join_from(used, KnowledgeArticle, KnowledgeArticle.id == used.c.article_id)
        .order_by(used.c.tickets.desc(), KnowledgeArticle.number)
        .limit(limit)
    )
    return tuple(ArticleUse(number, title, int(n)) for number, title, n in conn.execute(query))


def problems_from_candidates(conn: Connection, flt: Filter) -> tuple[int, int]:
    """(problems opened in the period with incidents linked at their opening, the incidents they linked then).

    A problem opened from "Problem candidates" is created together with its incidents, in one intent
    (``console.problems.service._create``): its CREATED audit event at its ``created_at``, then one LINKED event per
    incident, by the same person, at ``created_at`` + 1 µs, + 2 µs, … in turn. So here:

    - the problem's ``created_at`` lies in the period;
    - its incidents linked at opening are its LINKED events by the actor of its CREATED event at exactly
      ``created_at + k`` µs for k = 1, 2, 3… without a gap (a later link, even by the same person at once, comes
      after ``updated_at``, which the opening leaves one microsecond past its last link: never in that run);
    - it counts when that run holds at least one incident that the filter keeps (unit, module and priority of the
      ticket as it is now; a super-user's units only), and the incidents counted are those the filter keeps.

    Incidents unlinked since still count: they were linked at the opening. An incident whose own ``updated_at``
    was later than the moment the problem was opened (a clock ahead on another desk) is linked one microsecond
    after that instead and breaks the run there: it and those after it are not counted.

    The problems are few (read whole); each one's events come from the audit trail's index by entity.
    """
    created = aliased(AuditEvent)
    linked = aliased(AuditEvent)
    query = (
        select(Problem.id, Problem.created_at, linked.occurred_at, linked.new_value)
        .join(
            created,
            and_(
                created.entity_type == EntityType.PROBLEM,
                created.entity_id == Problem.id,
                created.occurred_at == Problem.created_at,
                created.action == AuditAction.CREATED,
            ),
        )
        .join(
            linked,
            and_(
                linked.entity_type == EntityType.PROBLEM,
                linked.entity_id == Problem.id,
                linked.occurred_at > Problem.created_at,
                linked.action == AuditAction.LINKED,
                linked.actor_id == created.actor_id,
            ),
        )
        .where(Problem.created_at >= flt.start_at, Problem.created_at < flt.end_at)
    )
    links: dict[uuid.UUID, tuple[datetime, dict[datetime, uuid.UUID]]] = {}  # per problem: opened, links by moment
    for problem_id, opened_at, at, incident in conn.execute(query):
        if incident:
            links.setdefault(problem_id, (opened_at, {}))[1][at] = uuid.UUID(incident)
    at_opening = {problem_id: list(_opening_run(opened_at, by_moment)) for problem_id, (opened_at, by_moment)
                  in links.items()}  # fmt: skip
    everyone = sorted({t for tickets in at_opening.values() for t in tickets}, key=str)
    kept: set[uuid.UUID] = set()
    for start in range(0, len(everyone), 500):  # SQLite's limit on bound parameters, with room to spare
        batch = everyone[start : start + 500]
        kept.update(conn.execute(select(Ticket.id).where(Ticket.id.in_(batch), *_in_scope(flt))).scalars())
    counted = [sum(t in kept for t in tickets) for tickets in at_opening.values()]
    return sum(1 for n in counted if n), sum(counted)


def _opening_run(opened_at: datetime, linked: dict[datetime, uuid.UUID]) -> Iterator[uuid.UUID]:
    """The incidents linked at ``opened_at`` + 1 µs, + 2 µs, … up to the first microsecond with none."""
    moment = opened_at + TICK
    while moment in linked:
        yield linked[moment]
        moment += TICK


def knowledge(conn: Connection, flt: Filter) -> Knowledge:
    resolved, deflected = deflections(conn, flt)
    problems, incidents = problems_from_candidates(conn, flt)
    return Knowledge(flt, resolved, deflected, articles_most_used(conn, flt), problems, incidents)
