"""The SLA engine: from a ticket's status history and a policy, its clocks, state and timeline.

Pure and deterministic: the clock (``now``) is a parameter, the policy and calendar are
plain values, and nothing is stored. Change a policy and the same history gives the new
answer, which is how past compliance is recomputed rather than frozen.

Two clocks run per ticket:

- **response** from logging until support first acts (the ticket leaves *New*);
- **resolution** from logging until *Resolved* / *Closed*; it resumes, with the time
  already used, when a ticket is reopened.

Both stop counting while the ticket is in one of the policy's pause statuses, and count
only working time of the calendar (every second for a target kept around the clock).
The target is the one of the ticket's priority at the end, applied to the whole history.

A target with no resolution time (Low: "resolved by the next release") has no resolution
deadline of its own: given the release it is due with (the first of its module to reach
production after the ticket was logged), the release's moment is its deadline. The clock
still counts business time, pauses included, as evidence; but the deadline is a date the
business set, so neither pauses nor working hours move it. With no release planned the
clock is ``NOT_TIMED``.

Histories come from real audit trails, so the engine says what it does with their flaws:
changes are replayed in ``(at, seq)`` order, whatever order the rows arrive in; a change
dated before the ticket was created (a skewed clock, an import) counts as made at creation;
and a value it cannot judge by (an unknown status or priority, a naive datetime, a policy
without the ticket's priority) raises ``HistoryError`` or ``PolicyError`` naming it, rather
than giving a wrong clock.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from console.sla.calendar import WorkingCalendar
from models import Priority, SlaState, TicketStatus

DONE = frozenset({TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value})
NEW = TicketStatus.NEW.value
STATUSES = tuple(s.value for s in TicketStatus)  # in workflow order, for messages
PRIORITIES = tuple(p.value for p in Priority)


class HistoryError(ValueError):
    """A history the engine cannot replay; ``str(error)`` names the value and what was expected."""


class PolicyError(ValueError):
    """A policy with no target for the ticket's priority, so there is nothing to judge it by."""


class Clock(enum.StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class EventKind(enum.StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    RESTART = "restart"


@dataclass(frozen=True)
class Target:
    response: timedelta
    resolution: timedelta | None
    around_the_clock: bool = False


@dataclass(frozen=True)
class ReleaseDue:
    """The release a ticket without a resolution time is due with: its name, and when its fixes reach production."""

    name: str
    at: datetime


@dataclass(frozen=True)
class Policy:
    name: str
    targets: Mapping[Priority, Target]
    pause_statuses: frozenset[str]
    warning_threshold: float = 0.75

    def __post_init__(self) -> None:
        if not 0 < self.warning_threshold < 1:
            raise ValueError("the warning threshold is a share of the target, between 0 and 1")


@dataclass(frozen=True)
class Change:
    """One change of status or priority, from the audit trail.

    ``seq`` is the audit event's sequence number within its ticket: it orders changes made
    at the same instant, which a timestamp alone cannot.
    """

    at: datetime
    field: str
    value: str
    old: str | None = None
    seq: int = 0


@dataclass(frozen=True)
class History:
    created_at: datetime
    priority: str
    changes: Sequence[Change] = ()
    status: str = NEW


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    clock: Clock
    kind: EventKind
    status: str
    used: timedelta
    running: bool = False  # the clock counts from here on (False: paused, or stopped)


@dataclass(frozen=True)
class ClockResult:
    clock: Clock
    state: SlaState
    target: timedelta | None
    used: timedelta
    paused: timedelta
    left: timedelta | None
    due_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    release: ReleaseDue | None = None  # the release this clock is due with (a target without resolution time)


@dataclass(frozen=True)
class SlaResult:
    priority: str
    response: ClockResult
    resolution: ClockResult
    timeline: list[TimelineEvent] = field(default_factory=list)
    as_of: datetime | None = None  # the moment judged at ("now")
    warning_threshold: float = 0.75  # the policy's: the share of a target used when the clock warns
    # The working calendar the clocks counted on, so a picture can place marks (``console.sla.course``)
    # without the engine walking it for marks no recompute needs.
    calendar: WorkingCalendar | None = field(default=None, compare=False, repr=False)


def _stops(clock: Clock, status: str) -> bool:
    if clock is Clock.RESPONSE:
        return status != NEW
    return status in DONE


@dataclass
class _Run:
    """One clock, replayed through the ticket's statuses."""

    clock: Clock
    calendar: WorkingCalendar
    target: timedelta | None
    pause_statuses: frozenset[str]
    release: ReleaseDue | None = None
    used: timedelta = timedelta()
    paused: timedelta = timedelta()
    running_since: datetime | None = None
    paused_since: datetime | None = None
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    events: list[TimelineEvent] = field(default_factory=list)

    def count_until(self, at: datetime) -> None:
        if self.running_since is not None:
            spent = self.calendar.business_time(self.running_since, at)
            if self.target is not None and self.breached_at is None and self.used + spent > self.target:
                self.breached_at = self.calendar.add(self.running_since, self.target - self.used)
            self.used += spent
            self.running_since = at
        if self.paused_since is not None:
            self.paused += at - self.paused_since
            self.paused_since = at

    def enter(self, at: datetime, status: str, *, first: bool = False) -> None:
        """The ticket takes ``status`` at ``at`` (time up to ``at`` already counted)."""
        if self.stopped_at is not None:
            if self.clock is Clock.RESOLUTION and status not in DONE:  # reopened: carry on from where it stopped
                self.stopped_at = None
                self._go(at, status, EventKind.RESTART)
            return
        if _stops(self.clock, status):
            self.stopped_at, self.running_since, self.paused_since = at, None, None
            self._emit(at, EventKind.STOP, status)
            return
        self._go(at, status, EventKind.START if first else EventKind.RESUME)

    def _go(self, at: datetime, status: str, kind: EventKind) -> None:
        if status in self.pause_statuses:
            if self.paused_since is None:
                self.running_since, self.paused_since = None, at
                self._emit(at, EventKind.PAUSE if kind is EventKind.RESUME else kind, status)
        elif self.running_since is None:
            self.running_since, self.paused_since = at, None
            self._emit(at, kind, status)

    def _emit(self, at: datetime, kind: EventKind, status: str) -> None:
        self.events.append(TimelineEvent(at, self.clock, kind, status, self.used, self.running_since is not None))

    def result(self, warning_threshold: float, now: datetime, created: datetime) -> ClockResult:
        if self.target is None and self.release is not None:
            return self._release_result(self.release, warning_threshold, now, created)
        if self.target is None:
            state, left, due = SlaState.NOT_TIMED, None, None
        else:
            left = self.target - self.used
            if self.stopped_at is not None:
                state = SlaState.MET if self.used <= self.target else SlaState.MISSED
                due = self.breached_at or self.calendar.add(self.stopped_at, left)
            elif self.used >= self.target:
                state, due = SlaState.BREACHED, self.breached_at
            elif self.paused_since is not None:
                state, due = SlaState.PAUSED, None  # unknown until the clock runs again
            else:
                warn = self.used >= self.target * warning_threshold
                state = SlaState.WARNING if warn else SlaState.RUNNING
                due = self.calendar.add(now, left)
        return ClockResult(
            clock=self.clock,
            state=state,
            target=self.target,
            used=self.used,
            paused=self.paused,
            left=left,
            due_at=due,
            breached_at=self.breached_at,
            stopped_at=self.stopped_at,
        )

    def _release_result(
        self, release: ReleaseDue, warning_threshold: float, now: datetime, created: datetime
    ) -> ClockResult:
        """The clock against a release: a fixed deadline, met if resolved by it, breached once past it.

        A release is a date on the business's calendar, not an amount of working time, so the time
        left is counted on the wall clock, as people count the days to a release (and no working
        calendar is walked across a quarter for every Low ticket of a recompute). It warns once the
        policy's warning share of the time between logging and the release has gone, the share
        every timed clock warns at (and the queue's colour band): a ticket logged two days before
        the release warns on the second day, one logged at the start of a quarter some three weeks
        ahead. Pauses change none of it: the release does not wait for a reporter."""
        due = release.at
        end = self.stopped_at or now
        before = end <= due
        left = due - end
        if self.stopped_at is not None:
            state = SlaState.MET if before else SlaState.MISSED
        elif not before:
            state = SlaState.BREACHED
        else:
            state = SlaState.WARNING if left <= (due - created) * (1 - warning_threshold) else SlaState.RUNNING
        return ClockResult(
            clock=self.clock,
            state=state,
            target=None,
            used=self.used,
            paused=self.paused,
            left=left,
            due_at=due,
            breached_at=None if before else due,
            stopped_at=self.stopped_at,
            release=release,
        )


def _unknown(kind: str, value: str, where: str, known: tuple[str, ...]) -> HistoryError:
    hint = " (values are lower-case)" if value.casefold() in known else ""
    return HistoryError(f"unknown {kind} {value!r} {where}{hint}; a ticket's {kind} is one of: {', '.join(known)}")


def _check(history: History, now: datetime, release: ReleaseDue | None) -> None:
    """Refuse, with a readable message, what the replay would get wrong or crash on."""
    moments = [("created_at", history.created_at), ("now", now)]
    if release is not None:
        moments.append((f"the release {release.name}", release.at))
    naive = [name for name, value in moments if value.utcoffset() is None]
    changes = [c for c in history.changes if c.at.utcoffset() is None]
    if changes:
        first = changes[0]
        naive.append(
            f"{len(changes)} of {len(history.changes)} changes (the first: {first.field} to {first.value!r} "
            f"at {first.at.isoformat(sep=' ')})"
        )
    if naive:
        raise HistoryError(
            f"naive datetime in {', '.join(naive)}: the SLA engine needs time-zone aware datetimes (any zone)"
        )
    if history.status not in STATUSES:
        raise _unknown("status", history.status, "as the first status", STATUSES)
    if history.priority not in PRIORITIES:
        raise _unknown("priority", history.priority, "as the first priority", PRIORITIES)
    for change in history.changes:
        where = f"in the {change.field} change at {change.at.isoformat(sep=' ')} (seq {change.seq})"
        if change.field == "status" and change.value not in STATUSES:
            raise _unknown("status", change.value, where, STATUSES)
        if change.field == "priority" and change.value not in PRIORITIES:
            raise _unknown("priority", change.value, where, PRIORITIES)
    if release is not None and release.at <= history.created_at:
        raise HistoryError(
            f"the release {release.name} reaches production at {release.at.isoformat(sep=' ')}, not after the "
            f"ticket was logged at {history.created_at.isoformat(sep=' ')}: a ticket is due with the first "
            "release after it was logged"
        )


def _target(policy: Policy, priority: str) -> Target:
    found = policy.targets.get(Priority(priority))
    if found is None:
        raise PolicyError(
            f"SLA policy {policy.name!r} has no target for priority {priority!r}; "
            f"it has targets for: {', '.join(p.value for p in Priority if p in policy.targets) or 'none'}"
        )
    return found


def evaluate(
    history: History, policy: Policy, calendar: WorkingCalendar, now: datetime, release: ReleaseDue | None = None
) -> SlaResult:
    """The ticket's SLA as of ``now``; changes after ``now`` are ignored.

    ``release`` is the release the ticket is due with, if its module has one planned after it
    was logged; only a target without resolution time uses it, as its resolution deadline
    (a timed target keeps its own).

    Every datetime must be time-zone aware, in any zone. A change dated before ``created_at``
    is clamped to it, so no clock runs, or pauses, before the ticket exists; its skewed date
    is not trusted, so among changes at creation ``seq`` alone gives the order. Changes are
    then applied in ``(at, seq)`` order. A ``now`` before ``created_at`` is judged as at
    creation: the ticket as logged, with nothing used yet.

    Raises:
        HistoryError: a naive datetime, or a status or priority that is not one of ours,
            anywhere in the history (whatever ``now``, so the same rows never pass one day
            and fail the next); or a release that does not come after the ticket was logged.
        PolicyError: the policy has no target for the ticket's priority.
    """
    _check(history, now, release)
    created = history.created_at
    clamped = (c if c.at >= created else replace(c, at=created) for c in history.changes)
    changes = sorted((c for c in clamped if c.at <= now), key=lambda c: (c.at, c.seq))
    as_of = max(now, created)
    priority = history.priority
    for change in changes:
        if change.field == "priority":
            priority = change.value
    target = _target(policy, priority)
    clock_calendar = calendar.with_around_the_clock() if target.around_the_clock else calendar
    runs = [
        _Run(Clock.RESPONSE, clock_calendar, target.response, policy.pause_statuses),
        _Run(Clock.RESOLUTION, clock_calendar, target.resolution, policy.pause_statuses, release),
    ]
    status = history.status
    for run in runs:
        run.enter(created, status, first=True)
    for change in changes:
        if change.field != "status" or change.value == status:
            continue
        status = change.value
        for run in runs:
            run.count_until(change.at)
            run.enter(change.at, status)
    for run in runs:
        run.count_until(as_of)
    response, resolution = (run.result(policy.warning_threshold, as_of, created) for run in runs)
    timeline = sorted(runs[0].events + runs[1].events, key=lambda e: (e.at, e.clock is Clock.RESOLUTION))
    return SlaResult(priority, response, resolution, timeline, as_of, policy.warning_threshold, clock_calendar)
