"""A ticket's SLA in words, for a person: its clocks and timeline as the window shows them, where the
resolution stands in one sentence, the evidence under the SLA picture and the header's countdown chips.
(``console.sla.evidence`` gives the same as data, for a file.)

What these functions say is in the person's language (``console.i18n``); ``duration`` and ``CLOCK_NAMES`` stay
in English for the picture's own labels (``console.sla.picture``), which draws no Persian or Arabic yet, and
``duration_said`` is ``duration`` in the person's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from console.i18n import N_, _, p_
from console.sla.course import Course, course
from console.sla.engine import Clock, ClockResult, EventKind, SlaResult
from console.words import SLA_STATE_WORDS, STATUS_LABELS, countdown_said, short_duration_said
from console.zone import local_zone, moment_text, short_moment, zone_label, zoned
from models import SlaState, TicketStatus

CLOCK_HEADINGS = ("Clock", "State", "Target", "Business time used", "Paused", "Left", "Due", "Breached", "Release")
TIMELINE_HEADINGS = ("At", "Clock", "Event", "Status", "Business time used")


def _event(kind: EventKind) -> str:
    """A step of a clock's timeline (the SLA dialog's), in the person's language: "paused"."""
    said = {
        EventKind.START: p_("SLA event", "started"),
        EventKind.PAUSE: p_("SLA event", "paused"),
        EventKind.RESUME: p_("SLA event", "resumed"),
        EventKind.STOP: p_("SLA event", "stopped"),
        EventKind.RESTART: p_("SLA event", "restarted (reopened)"),
    }
    return said.get(kind, str(kind))


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


def duration_said(value: timedelta | None) -> str:
    """``duration`` in the person's language: 2 h 05 min, ۲ ساعت ۰۵ دقیقه (or nothing)."""
    if value is None:
        return ""
    sign = "-" if value < timedelta() else ""
    hours, minutes = divmod(abs(int(value.total_seconds())) // 60, 60)
    if not hours:
        return _("{minutes} min").format(minutes=f"{sign}{minutes}")
    if hours >= 100:
        return _("{hours} h").format(hours=f"{sign}{hours:,}")
    if minutes:
        return _("{hours} h {minutes} min").format(hours=f"{sign}{hours}", minutes=f"{minutes:02d}")
    return _("{hours} h").format(hours=f"{sign}{hours}")


def _status(value: str) -> str:
    """A ticket's status as the evidence quotes it, in the person's language."""
    try:
        return p_("ticket status", STATUS_LABELS[TicketStatus(value)])
    except ValueError:
        return value


def _state(state: SlaState) -> str:
    return p_("SLA state", SLA_STATE_WORDS[state])


def _clock(which: Clock) -> str:
    """A clock at the start of a line: "Response", "Resolution"."""
    return _(CLOCK_NAMES[which])


def clock_lines(result: SlaResult) -> list[list[str]]:
    """The two clocks, in the order of ``CLOCK_HEADINGS``."""

    def line(clock: ClockResult) -> list[str]:
        if clock.release:
            target = _("release {release}").format(release=clock.release.name)
        else:
            target = duration_said(clock.target) or _("none")
        return [p_("SLA clock", str(clock.clock)), _state(clock.state), target, duration_said(clock.used),
                duration_said(clock.paused), duration_said(clock.left), moment(clock.due_at),
                moment(clock.breached_at), clock.release.name if clock.release else ""]  # fmt: skip

    return [line(result.response), line(result.resolution)]


def timeline_lines(result: SlaResult) -> list[list[str]]:
    """Every start, pause, resume and stop, in the order of ``TIMELINE_HEADINGS``."""
    return [
        [moment(e.at), p_("SLA clock", str(e.clock)), _event(e.kind), _status(e.status), duration_said(e.used)]
        for e in result.timeline
    ]


def resolution_sentence(result: SlaResult, module: str, zone: tzinfo | None = None) -> str:
    """Where the resolution clock stands: what it is due by (a time, or ``module``'s release), and how it stands.

    Times are in the person's zone, named ("15 Jan 2027 18:00 Asia/Tehran"); in ``zone`` when given, as the
    window shows them beside a picture that names it ("Mon 30 Nov 14:47")."""
    clock = result.resolution
    state = _state(clock.state)

    def when(value: datetime | None) -> str:
        if value is None:
            return ""
        return moment_text(value, named=True) if zone is None else local_moment(value, zone, result.as_of)

    if clock.release is not None:
        shipped = {"release": clock.release.name, "module": module, "when": when(clock.release.at), "state": state}
        if clock.state is SlaState.BREACHED:
            return _(
                "Resolution was due with release {release} of {module}, which reaches production {when}; it shipped "
                "without this ticket resolved: {state}."
            ).format(**shipped)
        if clock.state is SlaState.MET:
            return _(
                "Resolution was due with release {release} of {module}, which reaches production {when}; resolved "
                "before it: {state}."
            ).format(**shipped)
        if clock.state is SlaState.MISSED:
            return _(
                "Resolution was due with release {release} of {module}, which reaches production {when}; resolved "
                "after it: {state}."
            ).format(**shipped)
        return _(
            "Resolution is due with release {release} of {module}, which reaches production {when}: {state}. "
            "Pauses do not move a release."
        ).format(**shipped)
    if clock.state is SlaState.NOT_TIMED:
        return _("Resolution is due with the next release of {module}; none is planned yet.").format(module=module)
    if clock.due_at is None:
        return _("Resolution: {state}; its due time is known once the clock runs again.").format(state=state)
    if clock.stopped_at is not None:
        return _("Resolution was due {when}: {state}.").format(when=when(clock.due_at), state=state)
    return _("Resolution is due {when}: {state}.").format(when=when(clock.due_at), state=state)


CLOCK_NAMES = {Clock.RESPONSE: N_("Response"), Clock.RESOLUTION: N_("Resolution")}
EVIDENCE_HEADINGS = ("When", "Clock", "What happened", "Why", "Business time used so far")


def _step(kind: EventKind) -> str:
    """A step of the evidence, in the person's language: "running again"."""
    said = {
        EventKind.START: p_("SLA step", "started"),
        EventKind.PAUSE: p_("SLA step", "paused"),
        EventKind.RESUME: p_("SLA step", "running again"),
        EventKind.STOP: p_("SLA step", "stopped"),
        EventKind.RESTART: p_("SLA step", "running again (reopened)"),
    }
    return said.get(kind, str(kind))


def evidence_lines(result: SlaResult, zone: tzinfo | None = None) -> list[list[str]]:
    """Every step of both clocks in time order, in the order of ``EVIDENCE_HEADINGS``: when (the person's time),
    which clock, what happened, the status that caused it, and the business time used by then; with the
    moments a clock reached its warning mark and its target (breached), so a dispute reads from one table."""
    zone = zone or local_zone()
    now = result.as_of
    steps: list[tuple[datetime, int, list[str]]] = []
    for order, which in enumerate(Clock):
        path = course(result, which)
        name = _clock(which)
        for event in path.events:
            label = _status(event.status)
            step = _step(event.kind)
            if event.kind is EventKind.START:
                why = _("logged as {status}").format(status=label)
                step = step if event.running else p_("SLA step", "started, paused")
            elif event.kind is EventKind.RESTART:
                why = _("reopened: set to {status}").format(status=label)
                step = step if event.running else p_("SLA step", "reopened, paused")
            else:
                why = _("set to {status}").format(status=label)
            steps.append(
                (event.at, order, [local_moment(event.at, zone, now), name, step, why, duration_said(event.used)])
            )
        for at, line in _marks(path, name):
            if now is None or at <= now:
                steps.append((at, order, [local_moment(at, zone, now), *line]))
    return [line for _, _, line in sorted(steps, key=lambda step: (step[0], step[1]))]


def _marks(path: Course, name: str) -> list[tuple[datetime, list[str]]]:
    clock, release = path.clock, path.clock.release
    marks = []
    if path.warning_at is not None and (path.stopped_at is None or path.warning_at <= path.stopped_at):
        warned = p_("SLA step", "reached its warning mark")
        if release is not None:
            why = _("most of the time to release {release} gone").format(release=release.name)
            marks.append((path.warning_at, [name, warned, why, ""]))
        elif clock.target is not None:
            used = duration_said(path.warning_used)
            why = _("{used} of the {target} target used").format(used=used, target=duration_said(clock.target))
            marks.append((path.warning_at, [name, warned, why, used]))
    if path.breached_at is not None:
        breached = p_("SLA step", "breached")
        if release is not None:
            why = _("release {release} reached production with the ticket unresolved").format(release=release.name)
            marks.append((path.breached_at, [name, breached, why, ""]))
        elif clock.target is not None:
            target = duration_said(clock.target)
            why = _("its {target} target used up").format(target=target)
            marks.append((path.breached_at, [name, breached, why, target]))
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
    clock, name = path.clock, _clock(path.clock.clock)
    release = clock.release

    def when(at: datetime) -> str:
        return f"{local_moment(at, zone, now)} {zone_label(zone, at)}"  # the zone named, as in a sentence

    said = _state(clock.state)
    if clock.state is SlaState.MET:
        tip = _("Stopped {when}, in time.").format(when=when(clock.stopped_at)) if clock.stopped_at else ""
        return Chip(p_("SLA chip", "{clock} {state}").format(clock=name, state=said), "met", tip)
    if clock.state is SlaState.MISSED:
        late = clock.stopped_at - path.due_at if clock.stopped_at and path.due_at else None
        if late:
            text = _("{clock} {state} · {late} late").format(clock=name, state=said, late=short_duration_said(late))
        else:
            text = p_("SLA chip", "{clock} {state}").format(clock=name, state=said)
        tip = _("Stopped {when}, after it was due.").format(when=when(clock.stopped_at)) if clock.stopped_at else ""
        return Chip(text, "missed", tip)
    if clock.state is SlaState.NOT_TIMED:
        text = p_("SLA chip", "{clock} · {state}").format(clock=name, state=said)
        return Chip(text, "not_timed", _("Due with the next release of its module; none is planned."))
    if clock.state is SlaState.PAUSED or path.due_at is None:
        text = p_("SLA chip", "{clock} · {state}").format(clock=name, state=_state(SlaState.PAUSED))
        if clock.left:
            tip = _("Paused while the ticket waits; {left} of business time left when it runs again.").format(
                left=duration_said(clock.left)
            )
        else:
            tip = _("Paused while the ticket waits.")
        return Chip(text, "paused", tip)
    due = path.due_at
    if release:
        tip = _("Due {when}, with release {release}.").format(when=when(due), release=release.name)
    else:
        tip = _("Due {when}.").format(when=when(due))
    left = due - now
    if left <= timedelta():
        return Chip(p_("SLA chip", "{clock} · {state}").format(clock=name, state=countdown_said(left)), "breached", tip)
    warning = path.warning_at is not None and now >= path.warning_at
    if release:
        text = _("{clock} · due with {release} in {left}").format(
            clock=name, release=release.name, left=short_duration_said(left)
        )
    else:
        text = p_("SLA chip", "{clock} · {state}").format(clock=name, state=countdown_said(left))
    return Chip(text, "warning" if warning else "running", tip)
