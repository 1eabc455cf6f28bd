"""The ticket queue as SQL: filters, sort on any column, keyset pages and full-text search.

The window's queue model and ``support-console ticket list`` both read through here, and
both see only what the person may see (a super-user: their business units, everywhere).

Pages are keyset pages — "the rows after this one in this order" — so the millionth row
costs what the first does; the end of the list is the first page of the reverse order.
"""

from __future__ import annotations

import bisect
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal, literal_column, select, tuple_

from console.access import Actor
from console.errors import ConsoleError
from console.store import derived
from console.tickets.columns import Column as Column  # the queue's name for it, as everyone imports it
from models import BusinessUnit, ErpModule, Priority, Release, SlaState, SupportGroup, Ticket, TicketStatus, User
from models.base import UTCDateTime

OPEN_STATUSES = tuple(s for s in TicketStatus if s.is_open)
WARNING_SHARE = 0.25  # the last quarter of a target's time: the warning band


HEADERS = {
    Column.NUMBER: "Number",
    Column.PRIORITY: "Priority",
    Column.TITLE: "Title",
    Column.STATUS: "Status",
    Column.UNIT: "Unit",
    Column.MODULE: "Module",
    Column.ASSIGNEE: "Assignee",
    Column.GROUP: "Group / tier",
    Column.AGE: "Age",
    Column.SLA: "SLA",
}
# Sort keys as SQL text shared with the cache's derived expression indexes (``console.store.derived``),
# so SQLite walks an index for these columns instead of sorting a million rows.
DUE = literal_column(derived.DUE_SQL, type_=UTCDateTime())
SORT_KEYS: dict[Column, Any] = {
    Column.NUMBER: Ticket.number,
    Column.PRIORITY: literal_column(derived.PRIORITY_RANK_SQL),
    Column.TITLE: Ticket.title,
    Column.STATUS: Ticket.status,
    # Names from small tables, for short lists (long ones walk the groups instead: GROUPED).
    Column.UNIT: select(BusinessUnit.code).where(BusinessUnit.id == Ticket.business_unit_id).scalar_subquery(),
    Column.MODULE: select(ErpModule.code).where(ErpModule.id == Ticket.module_id).scalar_subquery(),
    Column.ASSIGNEE: func.coalesce(
        select(User.display_name).where(User.id == Ticket.assignee_id).scalar_subquery(), ""
    ),
    Column.GROUP: Ticket.tier,
    Column.AGE: Ticket.created_at,
    Column.SLA: literal_column(derived.DUE_SORT_SQL),
}


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[TicketStatus, ...] = OPEN_STATUSES
    priorities: tuple[Priority, ...] = ()
    units: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    assignee: str | None = None  # a login
    tiers: tuple[int, ...] = ()
    mine: bool = False
    unassigned: bool = False
    breaching_within_hours: float | None = None
    search: str = ""


@dataclass(frozen=True)
class Sort:
    column: Column = Column.SLA
    descending: bool = False


@dataclass(frozen=True)
class QueueRow:
    id: uuid.UUID
    number: str
    priority: Priority
    title: str
    status: TicketStatus
    unit: str
    module: str
    assignee: str | None
    group: str | None
    tier: int
    created_at: datetime
    due_at: datetime | None
    clock: str  # "response" or "resolution": the clock that runs now (or ran last)
    sla_state: SlaState | None
    key: tuple[Any, ...] = field(compare=False, repr=False)  # the keyset position of the row
    release: str | None = None  # the release the resolution is due with (a target without resolution time)

    def age(self, now: datetime) -> timedelta:
        return now - self.created_at

    @property
    def due_with_release(self) -> bool:
        """The clock shown runs to a release: a date, which a pause does not move."""
        return self.clock == "resolution" and self.release is not None

    def band(self, now: datetime) -> str:
        """The SLA colour band now: met / missed once stopped, else paused, breached, warning or running."""
        if self.sla_state in (SlaState.MET, SlaState.MISSED, SlaState.NOT_TIMED):
            return str(self.sla_state)
        if self.status.is_pending and not self.due_with_release:
            return "paused"
        if self.due_at is None:
            return "none"
        if self.due_at <= now:
            return "breached"
        started = self.created_at
        if (self.due_at - now) <= (self.due_at - started) * WARNING_SHARE:
            return "warning"
        return "running"


def scope(actor: Actor) -> list[ColumnElement[bool]]:
    """What the person may see: a super-user only their business units' tickets."""
    return [Ticket.business_unit_id.in_(sorted(actor.units, key=str))] if actor.scoped else []


def search_terms(text: str) -> str | None:
    """A full-text query from what was typed: words as literal prefixes, nothing of FTS syntax.

    Quotes, operators, SQL — all become plain words, so no search string can fail or inject.
    """
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:16])


def _unindexed(column: Any) -> Any:
    """``+column``: the same values, but SQLite will not pick an index on it for this condition."""
    return literal_column(f"+tickets.{column.key}", type_=column.type)


def conditions(
    conn: Connection,
    actor: Actor,
    flt: QueueFilter,
    now: datetime,
    *,
    counting: bool = False,
    sort: Sort | None = None,
    walk_search: bool = False,
) -> list[ColumnElement[bool]]:
    """The filter as SQL. Which index SQLite enters by is chosen here, where the data's shape is known:

    - unresolved tickets are a small share of any desk's history, so the open queue enters by its
      status index (the planner's averages would start from a priority, a tier or a search instead);
    - a page of a long list walks its sort order's index and checks priority and tier on the way,
      rather than sorting every ticket of a priority; a count enters by them; one priority in SLA
      order has an index of its own (the tail of the SLA order is all Low tickets with no due time,
      which a walk would have to step over);
    - a search enters by its matches, unless ``walk_search`` (see ``_walks_matches``): then a page
      walks its sort order's index and checks each ticket against the matches.
    """
    where = scope(actor)
    open_only = bool(flt.statuses) and all(s.is_open for s in flt.statuses)
    walk = open_only or not counting
    by_priority_due = sort is not None and sort.column is Column.SLA and len(flt.priorities) == 1
    priority = _unindexed(Ticket.priority) if walk and not (by_priority_due and not open_only) else Ticket.priority
    tier = _unindexed(Ticket.tier) if walk else Ticket.tier
    if flt.statuses and set(flt.statuses) != set(TicketStatus):
        where.append(Ticket.status.in_(flt.statuses))
    if flt.priorities:
        where.append(priority.in_(flt.priorities))
    if flt.units:
        where.append(Ticket.business_unit_id.in_(select(BusinessUnit.id).where(BusinessUnit.code.in_(flt.units))))
    if flt.modules:
        where.append(Ticket.module_id.in_(select(ErpModule.id).where(ErpModule.code.in_(flt.modules))))
    if flt.assignee:
        assignee = conn.execute(select(User.id).where(User.login == flt.assignee)).scalar()
        if assignee is None:
            raise ConsoleError(f"No user {flt.assignee!r} here.")
        where.append(Ticket.assignee_id == assignee)
    if flt.tiers:
        where.append(tier.in_(flt.tiers))
    if flt.mine:
        where.append(Ticket.assignee_id == actor.id)
    if flt.unassigned:
        where.append(Ticket.assignee_id.is_(None))
    if flt.breaching_within_hours is not None:
        horizon = now + timedelta(hours=flt.breaching_within_hours)
        where += [Ticket.status.in_(OPEN_STATUSES), DUE.is_not(None), horizon > DUE]
    if flt.search.strip():
        where.append(matching(flt.search, enter=not open_only and not walk_search))
    return where


def matching(text: str, *, enter: bool = True) -> ColumnElement[bool]:
    """Tickets whose number, title, description or notes contain every word typed (as prefixes)."""
    terms = search_terms(text)
    if terms is None:
        return literal(False)  # typed only punctuation: nothing matches, nothing fails
    return derived.search_condition(terms, enter=enter)


def _base(where: Sequence[ColumnElement[bool]]) -> Any:  # a Select of the queue columns
    """Ticket columns only: names of units, modules, people and groups are looked up per page
    (``_rows``), so the planner always walks the ticket order and never starts from a small table."""
    return select(
        Ticket.id,
        Ticket.number,
        Ticket.priority,
        Ticket.title,
        Ticket.status,
        Ticket.business_unit_id,
        Ticket.module_id,
        Ticket.assignee_id,
        Ticket.group_id,
        Ticket.tier,
        Ticket.created_at,
        Ticket.first_response_at,
        Ticket.response_due_at,
        Ticket.resolution_due_at,
        Ticket.response_state,
        Ticket.resolution_state,
    ).where(*where)


def _search_of_everything(actor: Actor, flt: QueueFilter) -> str | None:
    """The full-text query of a search of every ticket by someone who sees them all, else None."""
    terms = search_terms(flt.search)
    if terms is not None and not actor.scoped and flt == QueueFilter(statuses=tuple(TicketStatus), search=flt.search):
        return terms
    return None


def count(conn: Connection, actor: Actor, flt: QueueFilter, now: datetime) -> int:
    terms = _search_of_everything(actor, flt)
    if terms is not None:
        # A search of every ticket: count the matches themselves, without reading a ticket row.
        return int(conn.execute(select(func.count()).select_from(derived.search_matches(terms))).scalar_one())
    query = select(func.count()).select_from(Ticket).where(*conditions(conn, actor, flt, now, counting=True))
    return int(conn.execute(query).scalar_one())


def page(
    conn: Connection,
    actor: Actor,
    flt: QueueFilter,
    sort: Sort,
    now: datetime,
    *,
    after: tuple[Any, ...] | None = None,
    limit: int = 100,
    from_end: bool = False,
    offset: int = 0,
    total: int | None = None,
) -> list[QueueRow]:
    """Up to ``limit`` rows after the keyset position ``after`` (the first page when None).

    ``from_end`` reads backwards from the end of the list (for Ctrl+End and scrolling up
    from there); the rows still come back in the list's order. ``offset`` skips rows, for
    a jump into the middle of a long list where no neighbouring page is known. ``total`` is
    the list's length when the caller has counted it (``count``): it only spares a search
    a second look at the full-text index to choose its way in.
    """
    if sort.column is Column.PRIORITY and len(flt.priorities) == 1:
        sort = Sort(Column.NUMBER, sort.descending)  # one priority shown: its order is the numbers'
    descending = sort.descending != from_end
    walk_search = _walks_matches(conn, actor, flt, sort, offset + limit, total)
    where = conditions(conn, actor, flt, now, sort=sort, walk_search=walk_search)
    if sort.column in GROUPED and _many(conn, where):
        rows = _grouped_page(conn, where, sort.column, descending, after, limit, offset)
        return rows[::-1] if from_end else rows
    key = SORT_KEYS[sort.column]
    position = tuple_(key, Ticket.id)
    query = _base(where).add_columns(key.label("sort_key"))
    if after is not None:
        query = query.where(position < tuple_(*after) if descending else position > tuple_(*after))
    order = (key.desc(), Ticket.id.desc()) if descending else (key.asc(), Ticket.id.asc())
    rows = _rows(conn, conn.execute(query.order_by(*order).limit(limit).offset(offset)).all())
    return rows[::-1] if from_end else rows


STEPS_PER_READ = 10  # index steps a walk may take for each ticket row it spares reading (and sorting)


def _walks_matches(
    conn: Connection, actor: Actor, flt: QueueFilter, sort: Sort, rows: int, matches: int | None = None
) -> bool:
    """Whether a page of a search of every ticket walks its sort order's index, checking each ticket
    against the matches, instead of reading every match and sorting them all.

    Entering by the matches reads all k of them; a walk steps over about ``rows`` × N / k tickets of
    the N to find the ``rows`` it needs, each step a fraction of a row read. So it walks when
    k² ≥ rows × N / STEPS_PER_READ: a common word on a big cache, never a ticket number. k is
    ``matches`` when counted already, else looked up only as far as the choice needs.
    """
    terms = _search_of_everything(actor, flt)
    if terms is None or sort.column in GROUPED:  # a name from a small table: no index of the sort order
        return False
    tickets = conn.execute(select(func.max(literal_column("tickets.rowid"))).select_from(Ticket)).scalar() or 0
    needed = max(1, math.isqrt(rows * tickets // STEPS_PER_READ))
    return matches >= needed if matches is not None else derived.matches_at_least(conn, terms, needed)


# Sorts by a name from a small table (a unit's code, a module's code, a person's name): the groups
# in name order, each read by (group, id) from an index, so no million-row sort is ever needed.
GROUPED: dict[Column, tuple[Any, Any, Any]] = {
    Column.UNIT: (Ticket.business_unit_id, BusinessUnit.id, BusinessUnit.code),
    Column.MODULE: (Ticket.module_id, ErpModule.id, ErpModule.code),
    Column.ASSIGNEE: (Ticket.assignee_id, User.id, User.display_name),
}


GROUPED_FROM = 20_000  # below this many rows a plain sort is quicker than a walk through every group


def _many(conn: Connection, where: list[ColumnElement[bool]]) -> bool:
    """True when the rows are many enough to page through the groups (counted only as far as it matters)."""
    probe = select(Ticket.id).where(*where).limit(1).offset(GROUPED_FROM)
    return conn.execute(probe).first() is not None


def _groups(conn: Connection, column: Column) -> list[uuid.UUID | None]:
    _, group_id, name = GROUPED[column]
    ordered: list[uuid.UUID | None] = list(conn.execute(select(group_id).order_by(name, group_id)).scalars())
    return [None, *ordered] if column is Column.ASSIGNEE else ordered  # the unassigned first, as ""


def _grouped_page(
    conn: Connection,
    where: list[ColumnElement[bool]],
    column: Column,
    descending: bool,
    after: tuple[Any, ...] | None,
    limit: int,
    offset: int,
) -> list[QueueRow]:
    """A page in group order; a row's key is (its group's position, its id)."""
    ticket_column = GROUPED[column][0]
    groups = _groups(conn, column)
    positions = list(range(len(groups)))[:: -1 if descending else 1]
    if offset:  # skip whole groups by their counts, then the rest inside the group reached
        per_group = select(ticket_column, func.count()).where(*where).group_by(ticket_column)
        counts: dict[uuid.UUID | None, int] = {g: int(n) for g, n in conn.execute(per_group)}
        while positions and counts.get(groups[positions[0]], 0) <= offset:
            offset -= counts.get(groups[positions.pop(0)], 0)
    rows: list[QueueRow] = []
    for position in positions:
        if after is not None and (position > after[0] if descending else position < after[0]):
            continue
        group = groups[position]
        same = ticket_column.is_(None) if group is None else ticket_column == group
        query = _base([*where, same]).add_columns(literal(position).label("sort_key"))
        if after is not None and position == after[0]:
            query = query.where(Ticket.id < after[1] if descending else Ticket.id > after[1])
        order = Ticket.id.desc() if descending else Ticket.id.asc()
        rows += _rows(conn, conn.execute(query.order_by(order).limit(limit - len(rows)).offset(offset)).all())
        offset = 0
        if len(rows) >= limit:
            break
    return rows


def _names(conn: Connection, model: Any, label: Any, ids: set[Any]) -> dict[Any, str]:
    ids.discard(None)
    if not ids:
        return {}
    return {i: str(n) for i, n in conn.execute(select(model.id, label).where(model.id.in_(ids)))}


def _rows(conn: Connection, found: Sequence[Any]) -> list[QueueRow]:
    """Queue rows from ticket rows, with the names of their units, modules, assignees and groups."""
    units = _names(conn, BusinessUnit, BusinessUnit.code, {r.business_unit_id for r in found})
    modules = _names(conn, ErpModule, ErpModule.code, {r.module_id for r in found})
    people = _names(conn, User, User.display_name, {r.assignee_id for r in found})
    groups = _names(conn, SupportGroup, SupportGroup.code, {r.group_id for r in found})
    calendar = _releases(conn, {r.module_id for r in found if r.resolution_due_at is not None})
    rows = []
    for r in found:
        responded = r.first_response_at is not None
        rows.append(
            QueueRow(
                id=r.id,
                number=r.number,
                priority=Priority(r.priority),
                title=r.title,
                status=TicketStatus(r.status),
                unit=units.get(r.business_unit_id, "?"),
                module=modules.get(r.module_id, "?"),
                assignee=people.get(r.assignee_id),
                group=groups.get(r.group_id),
                tier=r.tier,
                created_at=r.created_at,
                due_at=r.resolution_due_at if responded else r.response_due_at,
                clock="resolution" if responded else "response",
                sla_state=(r.resolution_state if responded else r.response_state),
                key=(r.sort_key, r.id),
                release=_due_with(calendar, r.module_id, r.created_at, r.resolution_due_at),
            )
        )
    return rows


def _releases(conn: Connection, modules: set[uuid.UUID]) -> dict[uuid.UUID, list[tuple[datetime, str]]]:
    """The planned releases of these modules, in production order (a few per module)."""
    found: dict[uuid.UUID, list[tuple[datetime, str]]] = {}
    if not modules:
        return found
    query = (
        select(Release.module_id, Release.production_at, Release.name)
        .where(Release.module_id.in_(modules), Release.cancelled_at.is_(None))
        .order_by(Release.production_at)
    )
    for module_id, at, name in conn.execute(query):
        found.setdefault(module_id, []).append((at, name))
    return found


def _due_with(
    calendar: dict[uuid.UUID, list[tuple[datetime, str]]], module_id: uuid.UUID, logged: datetime, due: datetime | None
) -> str | None:
    """The release a ticket's resolution is due with: the first of its module after it was logged, when the
    stored due time is that release's (a ticket with a resolution time of its own has another)."""
    releases = calendar.get(module_id, [])
    index = bisect.bisect_right([at for at, _ in releases], logged)
    if due is None or index == len(releases) or releases[index][0] != due:
        return None
    return releases[index][1]


def row_by_number(conn: Connection, actor: Actor, number: str) -> QueueRow | None:
    query = _base([*scope(actor), Ticket.number == number.strip().upper()]).add_columns(Ticket.number.label("sort_key"))
    found = conn.execute(query).all()
    return _rows(conn, found)[0] if found else None


@dataclass(frozen=True)
class Choices:
    """What the queue's filters and triage offer this person."""

    units: list[str]
    modules: list[tuple[uuid.UUID, str]]
    people: list[tuple[uuid.UUID, str, str]]  # id, login, name: those who can be assigned tickets


ASSIGNABLE = ("service_desk_analyst", "functional_consultant", "technical", "support_manager")


def choices(conn: Connection, actor: Actor) -> Choices:
    units = select(BusinessUnit.code).order_by(BusinessUnit.code)
    if actor.scoped:
        units = units.where(BusinessUnit.id.in_(sorted(actor.units, key=str)))
    people = (
        select(User.id, User.login, User.display_name)
        .where(User.active, User.role.in_(ASSIGNABLE))
        .order_by(User.display_name)
    )
    return Choices(
        list(conn.execute(units).scalars()),
        [(m.id, m.code) for m in conn.execute(select(ErpModule.id, ErpModule.code).order_by(ErpModule.code))],
        [(p.id, p.login, p.display_name) for p in conn.execute(people)],
    )
