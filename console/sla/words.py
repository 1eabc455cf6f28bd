"""A ticket's SLA in words, for a person: its clocks and timeline as the window shows them, and where the
resolution stands in one sentence. (``console.sla.evidence`` gives the same as data, for a file.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.sla.engine import ClockResult, EventKind, SlaResult
from console.words import STATUS_LABELS
from models import SlaState, TicketStatus

CLOCK_HEADINGS = ("Clock", "State", "Target", "Business time used", "Paused", "Left", "Due", "Breached", "Release")
TIMELINE_HEADINGS = ("At", "Clock", "Event", "Status", "Business time used")
STATES = {
    SlaState.RUNNING: "running",
    SlaState.WARNING: "running, little time left",
    SlaState.PAUSED: "paused",
    SlaState.BREACHED: "breached",
    SlaState.MET: "met",
    SlaState.MISSED: "missed",
    SlaState.NOT_TIMED: "not timed",
}
EVENTS = {
    EventKind.START: "started",
    EventKind.PAUSE: "paused",
    EventKind.RESUME: "resumed",
    EventKind.STOP: "stopped",
    EventKind.RESTART: "restarted (reopened)",
}


def moment(value: datetime | None) -> str:
    """15 Jan 2027 18:00 UTC (or nothing)."""
    return f"{value.astimezone(UTC):%d %b %Y %H:%M} UTC" if value else ""


def duration(value: timedelta | None) -> str:
    """2 h 05 min, 16 h, -3 h 10 min (or nothing)."""
    if value is None:
        return ""
    sign = "-" if value < timedelta() else ""
    hours, minutes = divmod(abs(int(value.total_seconds())) // 60, 60)
    return f"{sign}{hours} h {minutes:02d} min" if minutes else f"{sign}{hours} h"


def _status(value: str) -> str:
    try:
        return STATUS_LABELS[TicketStatus(value)]
    except ValueError:
        return value


def clock_lines(result: SlaResult) -> list[list[str]]:
    """The two clocks, in the order of ``CLOCK_HEADINGS``."""

    def line(clock: ClockResult) -> list[str]:
        target = f"release {clock.release.name}" if clock.release else duration(clock.target) or "none"
        return [str(clock.clock), STATES.get(clock.state, str(clock.state)), target, duration(clock.used),
                duration(clock.paused), duration(clock.left), moment(clock.due_at), moment(clock.breached_at),
                clock.release.name if clock.release else ""]  # fmt: skip

    return [line(result.response), line(result.resolution)]


def timeline_lines(result: SlaResult) -> list[list[str]]:
    """Every start, pause, resume and stop, in the order of ``TIMELINE_HEADINGS``."""
    return [
        [moment(e.at), str(e.clock), EVENTS.get(e.kind, str(e.kind)), _status(e.status), duration(e.used)]
        for e in result.timeline
    ]


def resolution_sentence(result: SlaResult, module: str) -> str:
    """Where the resolution clock stands: what it is due by (a time, or ``module``'s release), and how it stands."""
    clock = result.resolution
    state = STATES.get(clock.state, str(clock.state))
    if clock.release is not None:
        shipped = f"release {clock.release.name} of {module}, which reaches production {moment(clock.release.at)}"
        if clock.state is SlaState.BREACHED:
            return f"Resolution was due with {shipped}; it shipped without this ticket resolved: breached."
        if clock.state in (SlaState.MET, SlaState.MISSED):
            when = "before" if clock.state is SlaState.MET else "after"
            return f"Resolution was due with {shipped}; resolved {when} it: {state}."
        return f"Resolution is due with {shipped}: {state}. Pauses do not move a release."
    if clock.state is SlaState.NOT_TIMED:
        return f"Resolution is due with the next release of {module}; none is planned yet, so it is not timed."
    if clock.due_at is None:
        return f"Resolution: {state}; its due time is known once the clock runs again."
    verb = "was" if clock.stopped_at is not None else "is"
    return f"Resolution {verb} due {moment(clock.due_at)}: {state}."
