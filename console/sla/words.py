"""A ticket's SLA in words, for a person: its clocks and timeline as the window shows them, where the
resolution stands in one sentence, the evidence under the SLA picture and the header's countdown chips.
(``console.sla.evidence`` gives the same as data, for a file.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from console.sla.course import Course, course
from console.sla.engine import Clock, ClockResult, EventKind, SlaResult
from console.words import SLA_STATE_WORDS, STATUS_LABELS, countdown, short_duration
from console.zone import local_zone, moment_text, short_moment, zone_label, zoned
from models import SlaState, TicketStatus

CLOCK_HEADINGS = ("Clock", "State", "Target", "Business time used", "Paused", "Left", "Due", "Breached", "Release")
TIMELINE_HEADINGS = ("At", "Clock", "Event", "Status", "Business time used")
EVENTS = {
    EventKind.START: "started",
    EventKind.PAUSE: "paused",
    EventKind.RESUME: "resumed",
    EventKind.STOP: "stopped",
    EventKind.RESTART: "restarted (reopened)",
}


def moment(value: datetime | None) -> str:
    """15 Jan 2027 18:00 in the person's zone (or nothing): a cell under a heading naming the zone."""
    return moment_text(value) if value else ""


local_moment = short_moment  # Mon 30 Nov 14:47 in the person's zone (``console.zone``)


def clock_headings() -> tuple[str, ...]:
    """``CLOCK_HEADINGS`` with the zone the moments are in named: "Due (Asia/Tehran)"."""
    return tuple(zoned(h) if h in ("Due", "Breached") else h for h in CLOCK_HEADINGS)


def timeline_headings() -> tuple[str, ...]:
    """``TIMELINE_HEADINGS`` with the zone the moments are in named: "At (Asia/Tehran)"."""
    return tuple(zoned(h) if h == "At" else h for h in TIMELINE_HEADINGS)


def duration(value: timedelta | None) -> str:
    """2 h 05 min, 16 h, 20 min, -3 h 10 min, 1,469 h (or nothing)."""
    if value is None:
        return ""
    sign = "-" if value < timedelta() else ""
    hours, minutes = divmod(abs(int(value.total_seconds())) // 60, 60)
    if not hours:
        return f"{sign}{minutes} min"
    if hours >= 100:  # minutes no longer matter, and digits run together
        return f"{sign}{hours:,} h"
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
        return [str(clock.clock), SLA_STATE_WORDS[clock.state], target, duration(clock.used),
                duration(clock.paused), duration(clock.left), moment(clock.due_at), moment(clock.breached_at),
                clock.release.name if clock.release else ""]  # fmt: skip

    return [line(result.response), line(result.resolution)]


def timeline_lines(result: SlaResult) -> list[list[str]]:
    """Every start, pause, resume and stop, in the order of ``TIMELINE_HEADINGS``."""
    return [
        [moment(e.at), str(e.clock), EVENTS.get(e.kind, str(e.kind)), _status(e.status), duration(e.used)]
        for e in result.timeline
    ]


def resolution_sentence(result: SlaResult, module: str, zone: tzinfo | None = None) -> str:
    """Where the resolution clock stands: what it is due by (a time, or ``module``'s release), and how it stands.

    Times are in the person's zone, named ("15 Jan 2027 18:00 Asia/Tehran"); in ``zone`` when given, as the
    window shows them beside a picture that names it ("Mon 30 Nov 14:47")."""
    clock = result.resolution
    state = SLA_STATE_WORDS[clock.state]

    def when(value: datetime | None) -> str:
        if value is None:
            return ""
        return moment_text(value, named=True) if zone is None else local_moment(value, zone, result.as_of)

    if clock.release is not None:
        shipped = f"release {clock.release.name} of {module}, which reaches production {when(clock.release.at)}"
        if clock.state is SlaState.BREACHED:
            return f"Resolution was due with {shipped}; it shipped without this ticket resolved: breached."
        if clock.state in (SlaState.MET, SlaState.MISSED):
            verb = "before" if clock.state is SlaState.MET else "after"
            return f"Resolution was due with {shipped}; resolved {verb} it: {state}."
        return f"Resolution is due with {shipped}: {state}. Pauses do not move a release."
    if clock.state is SlaState.NOT_TIMED:
        return f"Resolution is due with the next release of {module}; none is planned yet."
    if clock.due_at is None:
        return f"Resolution: {state}; its due time is known once the clock runs again."
    verb = "was" if clock.stopped_at is not None else "is"
    return f"Resolution {verb} due {when(clock.due_at)}: {state}."


CLOCK_NAMES = {Clock.RESPONSE: "Response", Clock.RESOLUTION: "Resolution"}
EVIDENCE_HEADINGS = ("When", "Clock", "What happened", "Why", "Business time used so far")
STEPS = {
    EventKind.START: "started",
    EventKind.PAUSE: "paused",
    EventKind.RESUME: "running again",
    EventKind.STOP: "stopped",
    EventKind.RESTART: "running again (reopened)",
}


def evidence_lines(result: SlaResult, zone: tzinfo | None = None) -> list[list[str]]:
    """Every step of both clocks in time order, in the order of ``EVIDENCE_HEADINGS``: when (the person's time),
    which clock, what happened, the status that caused it, and the business time used by then; with the
    moments a clock reached its warning mark and its target (breached), so a dispute reads from one table."""
    zone = zone or local_zone()
    now = result.as_of
    steps: list[tuple[datetime, int, list[str]]] = []
    for order, which in enumerate(Clock):
        path = course(result, which)
        name = CLOCK_NAMES[which]
        for event in path.events:
            label = _status(event.status)
            step = STEPS.get(event.kind, str(event.kind))
            if event.kind is EventKind.START:
                why = f"logged as {label}"
                step = "started" if event.running else "started, paused"
            elif event.kind is EventKind.RESTART:
                why = f"reopened: set to {label}"
                step = step if event.running else "reopened, paused"
            else:
                why = f"set to {label}"
            steps.append((event.at, order, [local_moment(event.at, zone, now), name, step, why, duration(event.used)]))
        for at, line in _marks(path, name):
            if now is None or at <= now:
                steps.append((at, order, [local_moment(at, zone, now), *line]))
    return [line for _, _, line in sorted(steps, key=lambda step: (step[0], step[1]))]


def _marks(path: Course, name: str) -> list[tuple[datetime, list[str]]]:
    clock, release = path.clock, path.clock.release
    marks = []
    if path.warning_at is not None and (path.stopped_at is None or path.warning_at <= path.stopped_at):
        if release is not None:
            why = f"most of the time to release {release.name} gone"
            marks.append((path.warning_at, [name, "reached its warning mark", why, ""]))
        elif clock.target is not None:
            used = duration(path.warning_used)
            why = f"{used} of the {duration(clock.target)} target used"
            marks.append((path.warning_at, [name, "reached its warning mark", why, used]))
    if path.breached_at is not None:
        if release is not None:
            why = f"release {release.name} reached production with the ticket unresolved"
            marks.append((path.breached_at, [name, "breached", why, ""]))
        elif clock.target is not None:
            why = f"its {duration(clock.target)} target used up"
            marks.append((path.breached_at, [name, "breached", why, duration(clock.target)]))
    return marks


@dataclass(frozen=True)
class Chip:
    """A clock's countdown in the ticket's header."""

    text: str  # Resolution · 3h 12m left
    band: str  # the queue's colour band: running, warning, breached, paused, met, missed (or not_timed)
    tip: str


def chip(path: Course, now: datetime, zone: tzinfo | None = None) -> Chip:
    """The clock as it stands at ``now``, counted from the moments of its course (no new evaluation): the
    countdown is wall-clock time to the due moment, as the queue counts it."""
    clock, name = path.clock, CLOCK_NAMES[path.clock.clock]
    release = clock.release

    def when(at: datetime) -> str:
        return f"{local_moment(at, zone, now)} {zone_label(zone, at)}"  # the zone named, as in a sentence

    said = SLA_STATE_WORDS[clock.state]
    if clock.state is SlaState.MET:
        return Chip(f"{name} {said}", "met", f"Stopped {when(clock.stopped_at)}, in time." if clock.stopped_at else "")
    if clock.state is SlaState.MISSED:
        late = clock.stopped_at - path.due_at if clock.stopped_at and path.due_at else None
        text = f"{name} {said}" + (f" · {short_duration(late)} late" if late else "")
        return Chip(text, "missed", f"Stopped {when(clock.stopped_at)}, after it was due." if clock.stopped_at else "")
    if clock.state is SlaState.NOT_TIMED:
        return Chip(f"{name} · {said}", "not_timed", "Due with the next release of its module; none is planned.")
    if clock.state is SlaState.PAUSED or path.due_at is None:
        rest = f"; {duration(clock.left)} of business time left when it runs again" if clock.left else ""
        return Chip(f"{name} · {SLA_STATE_WORDS[SlaState.PAUSED]}", "paused", f"Paused while the ticket waits{rest}.")
    due = path.due_at
    tip = f"Due {when(due)}" + (f", with release {release.name}." if release else ".")
    left = due - now
    if left <= timedelta():
        return Chip(f"{name} · {countdown(left)}", "breached", tip)
    warning = path.warning_at is not None and now >= path.warning_at
    text = f"{name} · due with {release.name} in {short_duration(left)}" if release else f"{name} · {countdown(left)}"
    return Chip(text, "warning" if warning else "running", tip)
