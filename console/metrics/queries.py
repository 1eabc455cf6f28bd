"""Service metrics as SQL aggregates over the stored SLA outcomes (no Qt, no per-ticket Python).

They run on the local cache (SQLite), so a manager has them offline: counts from the
cache's daily rollup (``console.store.derived``), durations from its covering indexes, so a
year of a million tickets takes well under a second. Days and weeks are UTC.

A clock counts in the period in which it stopped: response compliance by the time of the
first response, resolution compliance by the time of resolution. A ticket without a
time-based target (Low) counts against the release it was due with: met if resolved by the
time that release reached production, missed if after. One whose module had no release
planned is counted as neither (``Rates.not_timed`` says how many).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal_column, or_, select

from console.store import derived
from console.store.derived import durations, rollup
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
SMALL_SAMPLE = 5
"""Fewer clocks than this are too few to judge a share by: the charts grey them out and say how many."""
ROLLING_WEEKS = 4


@dataclass(frozen=True)
class Filter:
    """Which clocks count: stopped on a UTC day in [start, end), of these units, modules and priorities."""

    start: date
    end: date
    units: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()

    def narrowed(self, **changes: Any) -> Filter:
        return replace(self, **changes)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)


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


@dataclass(frozen=True)
class Histogram:
    """Counts of business seconds per log-spaced bucket (``console.store.derived.bucket_bounds``)."""

    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def bins(self) -> list[tuple[float, float, int]]:
        """(low seconds, high seconds, count) per bucket, in order."""
        return [(*derived.bucket_bounds(b), n) for b, n in sorted(self.counts.items())]

    def locate(self, rank: int) -> tuple[int, int]:
        """The bucket holding the ``rank``-th smallest value (1-based), and how many values lie below it."""
        below = 0
        for bucket, n in sorted(self.counts.items()):
            if below + n >= rank:
                return bucket, below
            below += n
        raise ValueError(f"rank {rank} of {below}")


def _scope(flt: Filter, unit: Any, module: Any, priority: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.units:
        conditions.append(unit.in_(select(BusinessUnit.id).where(BusinessUnit.code.in_(flt.units))))
    if flt.modules:
        conditions.append(module.in_(select(ErpModule.id).where(ErpModule.code.in_(flt.modules))))
    if flt.priorities:
        conditions.append(priority.in_(flt.priorities))
    return conditions


def _ticket_scope(flt: Filter) -> list[ColumnElement[bool]]:
    return _scope(flt, Ticket.business_unit_id, Ticket.module_id, Ticket.priority)


def _clock(clock: ClockName) -> tuple[Any, Any, Any]:
    if clock == "response":
        return Ticket.response_state, Ticket.first_response_at, Ticket.response_seconds
    return Ticket.resolution_state, Ticket.resolved_at, Ticket.resolution_seconds


def weeks_of(flt: Filter) -> list[date]:
    """The Mondays of every week the period touches, in order (a week's rows are keyed by its Monday)."""
    first = flt.start - timedelta(days=flt.start.weekday())
    return [first + timedelta(weeks=n) for n in range(max(0, (flt.end - first).days + 6) // 7)]


@dataclass(frozen=True)
class RollingPoint:
    """One week of a rolling share: the clocks of that week alone, and of it with the weeks before."""

    week: date
    this_week: Compliance
    rolling: Compliance

    @property
    def judged(self) -> bool:
        """Enough clocks in the rolling window to draw a share, and at least one in this week."""
        return self.this_week.total > 0 and self.rolling.total >= SMALL_SAMPLE


def rolling(rows: list[Compliance], weeks: list[date], span: int = ROLLING_WEEKS) -> list[RollingPoint]:
    """Per week of ``weeks``: met and missed of that week and of the ``span`` weeks up to it (inside the period:
    the first weeks of a period have fewer before them)."""
    by_week = {date.fromisoformat(c.key): c for c in rows}
    points: list[RollingPoint] = []
    for index, week in enumerate(weeks):
        window = [by_week.get(w, Compliance(w.isoformat(), 0, 0)) for w in weeks[max(0, index - span + 1) : index + 1]]
        points.append(
            RollingPoint(
                week,
                by_week.get(week, Compliance(week.isoformat(), 0, 0)),
                Compliance(week.isoformat(), sum(c.met for c in window), sum(c.missed for c in window)),
            )
        )
    return points


def _weeks_inside(flt: Filter) -> tuple[date, date] | None:
    """The whole weeks (Monday to Monday) inside the period, if any."""
    first = flt.start + timedelta(days=-flt.start.weekday() % 7)
    last = flt.end - timedelta(days=flt.end.weekday())
    return (first, last) if first < last else None


def _periods(flt: Filter, grain_column: Any, period: Any, *, whole_weeks: bool = True) -> ColumnElement[bool]:
    """Rows of a period: its whole weeks from the weekly rows, the days before and after from the daily rows."""

    def days(start: date, end: date) -> ColumnElement[bool]:
        return and_(grain_column == "d", period >= start.isoformat(), period < end.isoformat())

    weeks = _weeks_inside(flt) if whole_weeks else None
    if weeks is None:
        return days(flt.start, flt.end)
    first, last = weeks
    return or_(
        and_(grain_column == "w", period >= first.isoformat(), period < last.isoformat()),
        days(flt.start, first),
        days(last, flt.end),
    )


def _rollup_where(flt: Filter, clock: ClockName, *, whole_weeks: bool = True) -> list[ColumnElement[bool]]:
    r = rollup.c
    return [
        r.clock == clock,
        _periods(flt, r.grain, r.period, whole_weeks=whole_weeks),
        *_scope(flt, r.business_unit_id, r.module_id, r.priority),
    ]


def compliance(conn: Connection, flt: Filter, clock: ClockName, by: Grouping) -> list[Compliance]:
    """Met and missed per group, for the clocks that stopped in the period (from the rollup)."""
    if by in ("unit", "module"):
        return _compliance_by_code(conn, flt, clock, by)
    r = rollup.c
    key: Any
    query = select()
    if by == "priority":
        key = r.priority
    elif by == "tier":
        key = r.tier
    elif by == "week":
        key = r.week
    else:
        key = func.substr(r.period, 1, 7) + "-01"
    met, missed = func.sum(r.met), func.sum(r.missed)
    query = (
        query.add_columns(key.label("key"), met, missed)
        .select_from(rollup)
        .where(*_rollup_where(flt, clock, whole_weeks=by != "month"))  # weeks straddle months
        .group_by(key)
        .having(met + missed > 0)
        .order_by(key)
    )
    return [Compliance(str(k), int(m), int(x)) for k, m, x in conn.execute(query)]


def _compliance_by_code(conn: Connection, flt: Filter, clock: ClockName, by: Grouping) -> list[Compliance]:
    """Per unit or per module: the period's rollup rows summed per id once, then each id named by its code.

    (Joined first and grouped by code, SQLite walks the few units or modules in code order and reads the period's
    rollup rows again for each: six to seven times the rows, most of a second on a year of a million tickets.)"""
    r = rollup.c
    named, column = (BusinessUnit, r.business_unit_id) if by == "unit" else (ErpModule, r.module_id)
    sums = (
        select(column.label("id"), func.sum(r.met).label("met"), func.sum(r.missed).label("missed"))
        .where(*_rollup_where(flt, clock, whole_weeks=True))
        .group_by(column)
        .subquery("sums")
    )
    query = (
        select(named.code, sums.c.met, sums.c.missed)
        .join_from(sums, named, sums.c.id == named.id)
        .where(sums.c.met + sums.c.missed > 0)
        .order_by(named.code)
    )
    return [Compliance(str(k), int(m), int(x)) for k, m, x in conn.execute(query)]


def _judged_clocks(flt: Filter, clock: ClockName, start: date, end: date) -> list[ColumnElement[bool]]:
    state, stopped, seconds = _clock(clock)
    return [
        stopped >= datetime.combine(start, time(), UTC),
        stopped < datetime.combine(end, time(), UTC),
        state.in_(JUDGED),
        seconds.is_not(None),
        *_ticket_scope(flt),
    ]


def histogram(conn: Connection, flt: Filter, clock: ClockName) -> Histogram:
    """Business seconds to respond / resolve of the clocks stopped in the period, per bucket.

    Whole weeks come from the weekly duration rollup unless a unit or module is chosen (it
    is kept per priority only); the rest from the covering index of the clock.
    """
    _, _, seconds = _clock(clock)
    bucket: ColumnElement[int] = literal_column(derived.bucket_sql(seconds.key))
    counts: Counter[int] = Counter()
    weeks = None if flt.units or flt.modules else _weeks_inside(flt)
    spans = [(flt.start, flt.end)]
    if weeks is not None:
        first, last = weeks
        d = durations.c
        rolled = select(d.bucket, func.sum(d.n)).where(
            d.clock == clock, d.week >= first.isoformat(), d.week < last.isoformat()
        )
        if flt.priorities:
            rolled = rolled.where(d.priority.in_(flt.priorities))
        counts.update({int(b): int(n) for b, n in conn.execute(rolled.group_by(d.bucket))})
        spans = [(flt.start, first), (last, flt.end)]
    for start, end in spans:
        if start < end:
            query = select(bucket, func.count()).where(*_judged_clocks(flt, clock, start, end)).group_by(bucket)
            counts.update({int(b): int(n) for b, n in conn.execute(query)})
    return Histogram({b: n for b, n in counts.items() if n})


def percentiles(conn: Connection, flt: Filter, clock: ClockName, hist: Histogram | None = None) -> Percentiles:
    """Exact nearest-rank median and 90th percentile of business time to respond / resolve.

    The histogram says which bucket holds each rank and how many values lie below it; only
    that bucket's values are then read (from the covering index) and sorted.
    """
    hist = hist or histogram(conn, flt, clock)
    total = hist.total
    if not total:
        return Percentiles(0, None, None)
    _, _, seconds = _clock(clock)
    bucket: ColumnElement[int] = literal_column(derived.bucket_sql(seconds.key))
    ranks = {share: max(1, math.ceil(share * total)) for share in (0.5, 0.9)}
    located = {share: hist.locate(rank) for share, rank in ranks.items()}
    wanted = sorted({b for b, _ in located.values()})
    query = select(bucket, seconds).where(*_judged_clocks(flt, clock, flt.start, flt.end), bucket.in_(wanted))
    values: dict[int, list[int]] = {b: [] for b in wanted}
    for b, value in conn.execute(query):
        values[int(b)].append(int(value))
    for items in values.values():
        items.sort()
    answer = {share: values[b][ranks[share] - below - 1] for share, (b, below) in located.items()}
    return Percentiles(total, answer[0.5], answer[0.9])


@dataclass(frozen=True)
class Backlog:
    open: int
    by_age: list[tuple[str, int]]
    breached: int
    due_soon: int


def backlog(conn: Connection, flt: Filter, now: datetime, horizon: timedelta = timedelta(hours=24)) -> Backlog:
    """Open tickets now: how many, how old, how many past due and due within ``horizon``."""
    where = [Ticket.status.in_(OPEN), Ticket.created_at <= now, *_ticket_scope(flt)]
    whens = [(Ticket.created_at > after, label) for label, after, _ in backlog_windows(now) if after is not None]
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
    not_timed: int = 0  # resolved with no release planned for them: counted as neither met nor missed

    @property
    def reopen_rate(self) -> float | None:
        return 100.0 * self.reopened / self.resolved if self.resolved else None

    @property
    def first_contact_rate(self) -> float | None:
        return 100.0 * self.first_contact / self.resolved if self.resolved else None


def rates(conn: Connection, flt: Filter) -> Rates:
    """Reopen rate and first-contact resolution (resolved at tier 1, never reopened) in the period, and how
    many resolutions had no target to be judged by (no release planned)."""
    r = rollup.c
    sums = (func.sum(r.stopped), func.sum(r.reopened), func.sum(r.first_contact), func.sum(r.met), func.sum(r.missed))
    resolved, reopened, first_contact, met, missed = (
        int(v or 0) for v in conn.execute(select(*sums).where(*_rollup_where(flt, "resolution"))).one()
    )
    return Rates(resolved, reopened, first_contact, resolved - met - missed)


@dataclass(frozen=True)
class Dashboard:
    """Everything the metrics view draws, computed in one go off the UI thread."""

    filter: Filter
    now: datetime
    weekly: list[Compliance]
    weekly_by_priority: dict[str, list[Compliance]]
    by_unit: list[Compliance]
    by_module: list[Compliance]
    backlog: Backlog
    resolution: Percentiles
    response: Percentiles
    resolution_histogram: Histogram
    rates: Rates
    as_of: datetime | None


def dashboard(conn: Connection, flt: Filter, now: datetime) -> Dashboard:
    timed = ("critical", "high", "medium", "low")  # Low: against the release each was due with
    by_priority = {
        p: compliance(conn, flt.narrowed(priorities=(p,)), "resolution", "week")
        for p in timed
        if not flt.priorities or p in flt.priorities
    }
    as_of = conn.execute(select(func.max(Ticket.sla_computed_at))).scalar()
    resolution = histogram(conn, flt, "resolution")
    return Dashboard(
        filter=flt,
        now=now,
        weekly=compliance(conn, flt, "resolution", "week"),
        weekly_by_priority=by_priority,
        by_unit=compliance(conn, flt, "resolution", "unit"),
        by_module=compliance(conn, flt, "resolution", "module"),
        backlog=backlog(conn, flt, now),
        resolution=percentiles(conn, flt, "resolution", resolution),
        response=percentiles(conn, flt, "response"),
        resolution_histogram=resolution,
        rates=rates(conn, flt),
        as_of=as_of,
    )


@dataclass(frozen=True)
class Drill:
    """The tickets behind one bar of a chart: clocks of a state stopped in the filter's period,
    or (``open_created`` set) the open tickets created in a window, whatever the period."""

    title: str
    filter: Filter
    clock: ClockName = "resolution"
    states: tuple[SlaState, ...] = JUDGED
    open_created: tuple[datetime | None, datetime | None] | None = None  # (after, at or before)


@dataclass(frozen=True)
class DrillRow:
    number: str
    title: str
    priority: str
    status: str
    unit: str
    module: str
    when: datetime | None  # the clock's stop, or the creation of an open ticket
    state: str


def drill_tickets(conn: Connection, drill: Drill, limit: int = 2000) -> tuple[list[DrillRow], int]:
    """Up to ``limit`` of the tickets behind a bar (latest first), and how many there are in all."""
    state, stopped, _ = _clock(drill.clock)
    where: list[ColumnElement[bool]] = _ticket_scope(drill.filter)
    when: Any
    if drill.open_created is not None:
        after, until = drill.open_created
        when = Ticket.created_at
        where.append(Ticket.status.in_(OPEN))
        if after is not None:
            where.append(Ticket.created_at > after)
        if until is not None:
            where.append(Ticket.created_at <= until)
    else:
        when = stopped
        where += [stopped >= drill.filter.start_at, stopped < drill.filter.end_at, state.in_(drill.states)]
    total = int(conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one())
    query = (
        select(
            Ticket.number, Ticket.title, Ticket.priority, Ticket.status, BusinessUnit.code, ErpModule.code, when, state
        )
        .join(BusinessUnit, Ticket.business_unit_id == BusinessUnit.id)
        .join(ErpModule, Ticket.module_id == ErpModule.id)
        .where(*where)
        .order_by(when.desc(), Ticket.number)
        .limit(limit)
    )
    rows = [
        DrillRow(number, title, str(priority), str(status), unit, module, at, str(clock_state))
        for number, title, priority, status, unit, module, at, clock_state in conn.execute(query)
    ]
    return rows, total


def backlog_windows(now: datetime) -> list[tuple[str, datetime | None, datetime | None]]:
    """Each backlog age bucket as the creation window (after, at or before) of its open tickets."""
    windows: list[tuple[str, datetime | None, datetime | None]] = []
    newer: datetime | None = now
    for label, limit in AGE_BUCKETS:
        older = now - limit if limit is not None else None
        windows.append((label, older, newer))
        newer = older
    return windows
