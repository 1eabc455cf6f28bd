"""A clock's course, as a picture draws it: its running and paused stretches, and its marks — the warning,
the target (due), the breach — from the engine's result. Pure, like the engine.

The engine gives the timeline and the due and breach moments; the warning mark is placed here, on the
calendar the clocks counted on, only for the ticket a person looks at (a recompute of every ticket never
needs it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from console.sla.engine import Clock, ClockResult, EventKind, SlaResult, TimelineEvent
from models import SlaState


@dataclass(frozen=True)
class Stretch:
    start: datetime
    end: datetime
    running: bool  # False: paused
    ongoing: bool = False  # where the clock stands now: from ``start`` to the moment judged (and on)


@dataclass(frozen=True)
class Course:
    clock: ClockResult
    started: datetime
    stretches: list[Stretch]
    warning_at: datetime | None  # reached then, or (running) reached then at its pace; None: not known or never
    warning_used: timedelta | None  # the business time used at the warning mark (None against a release)
    due_at: datetime | None  # the target: a moment, or the release's; None while paused or not timed
    breached_at: datetime | None
    stopped_at: datetime | None
    events: list[TimelineEvent]

    @property
    def end(self) -> datetime:
        """The last moment of the course (its last stretch's end, or its start)."""
        return self.stretches[-1].end if self.stretches else self.started


def clock_of(result: SlaResult, which: Clock) -> ClockResult:
    return result.response if which is Clock.RESPONSE else result.resolution


def course(result: SlaResult, which: Clock) -> Course:
    clock = clock_of(result, which)
    events = [e for e in result.timeline if e.clock is which]
    started = events[0].at if events else (result.as_of or clock.stopped_at or datetime.min)
    until = result.as_of or (events[-1].at if events else started)
    stretches = []
    for event, following in zip(events, [*events[1:], None], strict=True):
        if event.kind is EventKind.STOP:
            continue
        if following is None:  # where the clock stands now: kept even when it began this very moment (paused now)
            stretches.append(Stretch(event.at, max(until, event.at), event.running, ongoing=True))
        elif following.at > event.at:
            stretches.append(Stretch(event.at, following.at, event.running))
    return Course(
        clock=clock,
        started=started,
        stretches=stretches,
        warning_at=_warning_at(result, clock, events, started),
        warning_used=clock.target * result.warning_threshold if clock.target is not None else None,
        due_at=clock.due_at if clock.state is not SlaState.PAUSED else None,
        breached_at=clock.breached_at,
        stopped_at=clock.stopped_at,
        events=events,
    )


def _warning_at(
    result: SlaResult, clock: ClockResult, events: list[TimelineEvent], started: datetime
) -> datetime | None:
    """When the clock reached its warning mark: for a release, the policy's share of the time from logging to
    the release (as the engine warns); else the share of its target in business time, found in the stretch
    that crossed it, or ahead at its pace for a clock running short of it."""
    share = result.warning_threshold
    if clock.release is not None:
        return started + (clock.release.at - started) * share
    if clock.target is None or result.calendar is None:
        return None
    mark = clock.target * share
    for event, following in zip(events, [*events[1:], None], strict=True):
        used_after = following.used if following is not None else clock.used
        if event.running and event.used < mark <= used_after:
            return result.calendar.add(event.at, mark - event.used)
    running = bool(events) and events[-1].running and clock.stopped_at is None
    if running and clock.used < mark and result.as_of is not None:
        return result.calendar.add(result.as_of, mark - clock.used)
    return None
