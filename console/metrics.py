"""Service metrics as SQL aggregates over the stored SLA outcomes (no Qt, no per-ticket Python).

They run on the local cache (SQLite), so a manager has them offline.

A clock counts in the period in which it stopped: response compliance by the time of the
first response, resolution compliance by the time of resolution. Tickets without a
time-based target (Low, tracked against its release) are left out of resolution compliance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from models import BusinessUnit, ErpModule, SlaState, Ticket, TicketStatus

ClockName = Literal["response", "resolution"]
Grouping = Literal["priority", "unit", "module", "tier", "week", "month"]
OPEN = [s for s in TicketStatus if s.is_open]
JUDGED = (SlaState.MET, SlaState.MISSED)
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("< 1 day", timedelta(days=1)),
    ("1–3 days", timedelta(days=3)),
    ("3–7 days", timedelta(days=7)),
    ("7–30 days", timedelta(days=30)),
    ("> 30 days", None),
)


@dataclass(frozen=True)
class Filter:
    start: datetime
    end: datetime
    units: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Compliance:
    key: str
    met: int
    missed: int

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.total if self.total else None


@dataclass(frozen=True)
class Percentiles:
    count: int
    median_seconds: int | None
    p90_seconds: int | None


def _scope(flt: Filter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.units:
        conditions.append(Ticket.business_unit_id.in_(select(BusinessUnit.id).where(BusinessUnit.code.in_(flt.units))))
    if flt.modules:
        conditions.append(Ticket.module_id.in_(select(ErpModule.id).where(ErpModule.code.in_(flt.modules))))
    if flt.priorities:
        conditions.append(Ticket.priority.in_(flt.priorities))
    return conditions


def _clock(clock: ClockName) -> tuple[Any, Any, Any]:
    if clock == "response":
        return Ticket.response_state, Ticket.first_response_at, Ticket.response_seconds
    return Ticket.resolution_state, Ticket.resolved_at, Ticket.resolution_seconds


def _period_key(column: Any, grouping: Grouping) -> Any:
    """Week (its Monday) or month of a timestamp, in SQLite: metrics run on the local cache."""
    if grouping == "week":  # the Monday of the week: forward to Sunday, back six days
        return func.date(column, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", column)


def compliance(conn: Connection, flt: Filter, clock: ClockName, by: Grouping) -> list[Compliance]:
    """Met and missed per group, for the clocks that stopped in the period."""
    state, stopped, _ = _clock(clock)
    key: Any
    query = select()
    if by == "priority":
        key = Ticket.priority
    elif by == "tier":
        key = Ticket.tier
    elif by == "unit":
        key = BusinessUnit.code
        query = query.join_from(Ticket, BusinessUnit, Ticket.business_unit_id == BusinessUnit.id)
    elif by == "module":
        key = ErpModule.code
        query = query.join_from(Ticket, ErpModule, Ticket.module_id == ErpModule.id)
    else:
        key = _period_key(stopped, by)
    met = func.sum(case((state == SlaState.MET, 1), else_=0))
    missed = func.sum(case((state == SlaState.MISSED, 1), else_=0))
    query = (
        query.add_columns(key.label("key"), met, missed)
        .select_from(Ticket)
        .where(stopped >= flt.start, stopped < flt.end, state.in_(JUDGED), *_scope(flt))
        .group_by(key)
        .order_by(key)
    )
    return [Compliance(str(k), int(m or 0), int(x or 0)) for k, m, x in conn.execute(query)]


def percentiles(conn: Connection, flt: Filter, clock: ClockName) -> Percentiles:
    """Median and 90th percentile of business time to respond / resolve, clocks stopped in the period."""
    state, stopped, seconds = _clock(clock)
    where = [stopped >= flt.start, stopped < flt.end, seconds.is_not(None), state.in_(JUDGED), *_scope(flt)]
    count = int(conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one())
    if not count:
        return Percentiles(0, None, None)

    def rank(share: float) -> int:
        # Nearest rank: the smallest value with at least `share` of the values at or below it.
        offset = max(0, -(-int(share * count * 1000) // 1000) - 1)
        return int(conn.execute(select(seconds).where(*where).order_by(seconds).limit(1).offset(offset)).scalar_one())

    return Percentiles(count, rank(0.5), rank(0.9))


@dataclass(frozen=True)
class Backlog:
    open: int
    by_age: list[tuple[str, int]]
    breached: int
    due_soon: int


def backlog(conn: Connection, flt: Filter, now: datetime, horizon: timedelta = timedelta(hours=24)) -> Backlog:
    """Open tickets now: how many, how old, how many past due and due within ``horizon``."""
    where = [Ticket.status.in_(OPEN), Ticket.created_at <= now, *_scope(flt)]
    whens = []
    for label, limit in AGE_BUCKETS:
        if limit is not None:
            whens.append((Ticket.created_at > now - limit, label))
    bucket = case(*whens, else_=AGE_BUCKETS[-1][0])
    counts: dict[str, int] = {
        str(label): int(n) for label, n in conn.execute(select(bucket, func.count()).where(*where).group_by(bucket))
    }
    breached = select(func.count()).where(*where, Ticket.resolution_due_at < now)
    soon = select(func.count()).where(
        *where, and_(Ticket.resolution_due_at >= now, Ticket.resolution_due_at < now + horizon)
    )
    return Backlog(
        open=sum(counts.values()),
        by_age=[(label, int(counts.get(label, 0))) for label, _ in AGE_BUCKETS],
        breached=int(conn.execute(breached).scalar_one()),
        due_soon=int(conn.execute(soon).scalar_one()),
    )


@dataclass(frozen=True)
class Rates:
    resolved: int
    reopened: int
    first_contact: int

    @property
    def reopen_rate(self) -> float | None:
        return 100.0 * self.reopened / self.resolved if self.resolved else None

    @property
    def first_contact_rate(self) -> float | None:
        return 100.0 * self.first_contact / self.resolved if self.resolved else None


def rates(conn: Connection, flt: Filter) -> Rates:
    """Reopen rate and first-contact resolution (resolved at tier 1, never reopened) in the period."""
    row = conn.execute(
        select(
            func.count(),
            func.sum(case((Ticket.reopen_count > 0, 1), else_=0)),
            func.sum(case((and_(Ticket.tier <= 1, Ticket.reopen_count == 0), 1), else_=0)),
        ).where(Ticket.resolved_at >= flt.start, Ticket.resolved_at < flt.end, *_scope(flt))
    ).one()
    return Rates(int(row[0]), int(row[1] or 0), int(row[2] or 0))


def groupings() -> Sequence[Grouping]:
    return ("priority", "unit", "module", "tier", "week", "month")


@dataclass(frozen=True)
class Dashboard:
    """Everything the metrics view draws, computed in one go off the UI thread."""

    filter: Filter
    weekly: list[Compliance]
    weekly_by_priority: dict[str, list[Compliance]]
    by_unit: list[Compliance]
    by_module: list[Compliance]
    backlog: Backlog
    resolution: Percentiles
    response: Percentiles
    resolution_hours: list[float]
    rates: Rates
    as_of: datetime | None


def resolution_hours(conn: Connection, flt: Filter) -> list[float]:
    """Business hours to resolve each ticket resolved in the period (for the distribution)."""
    query = select(Ticket.resolution_seconds).where(
        Ticket.resolved_at >= flt.start,
        Ticket.resolved_at < flt.end,
        Ticket.resolution_state.in_(JUDGED),
        *_scope(flt),
    )
    return [seconds / 3600 for (seconds,) in conn.execute(query) if seconds is not None]


def dashboard(conn: Connection, flt: Filter, now: datetime) -> Dashboard:
    timed = ("critical", "high", "medium")
    by_priority = {
        p: compliance(conn, Filter(flt.start, flt.end, flt.units, flt.modules, (p,)), "resolution", "week")
        for p in timed
        if not flt.priorities or p in flt.priorities
    }
    as_of = conn.execute(select(func.max(Ticket.sla_computed_at))).scalar()
    return Dashboard(
        filter=flt,
        weekly=compliance(conn, flt, "resolution", "week"),
        weekly_by_priority=by_priority,
        by_unit=compliance(conn, flt, "resolution", "unit"),
        by_module=compliance(conn, flt, "resolution", "module"),
        backlog=backlog(conn, flt, now),
        resolution=percentiles(conn, flt, "resolution"),
        response=percentiles(conn, flt, "response"),
        resolution_hours=resolution_hours(conn, flt),
        rates=rates(conn, flt),
        as_of=as_of,
    )
