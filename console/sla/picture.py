"""The SLA as a picture: each clock a horizontal timeline — running and paused stretches, the warning mark,
the target (due), the breach, "now" — in the person's time zone, drawn on a plain matplotlib Figure (never
pyplot). The ticket view shows it on a canvas; ``sla show --out`` writes it, with the evidence below it in
words, to a PNG or PDF for a dispute. Both draw here, so they cannot tell two stories.

Every mark carries a gid (``running-response``, ``breach-resolution``, ``now``…) so tests find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.dates import (
    MO,
    DayLocator,
    HourLocator,
    MinuteLocator,
    MonthLocator,
    WeekdayLocator,
    date2num,
    num2date,
)
from matplotlib.figure import Figure, FigureBase, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, Locator
from matplotlib.transforms import blended_transform_factory

from console.errors import ConsoleError
from console.sla.course import Course, course
from console.sla.engine import Clock, SlaResult
from console.sla.words import CLOCK_NAMES, EVIDENCE_HEADINGS, duration, evidence_lines, local_moment
from console.words import SLA_STATE_WORDS
from console.zone import local_zone, zone_name
from models import SlaState

RUNNING, PAUSED, TO_GO = "#1f5f8b", "#a9c6de", "#b0b0b0"
WARNING, DUE, BREACH, NOW, TEXT = "#c07f00", "#222222", "#c0392b", "#555555", "#333333"
FORMATS = (".png", ".pdf")
GAP = 1.35  # from one clock's row to the next, in data units
BAR, IDLE = 0.34, 0.07  # the height of a stretch counting business time, and of one outside working hours
TICK = 0.24  # a mark's half height
LABEL = 7.5  # points
FAR = 0.3  # "now" this much of the span beyond the last mark is shown as an arrow, not a squashed picture
HOURS_SHOWN = 21  # days: over a longer span, working hours would be a comb of stripes; a stretch is one bar
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SEEN = 0.008  # of the time shown: the least width of where a clock stands now (a pause of seconds is seen)


def _x(value: datetime) -> float:
    return float(date2num(value))  # type: ignore[no-untyped-call]


class _DayFormatter(Formatter):
    """Ticks in the person's zone: a day as "Mon 30 Nov" at midnight (and on the first tick), else "14:00";
    the year on the first tick and where it changes."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        labels, year = [], None
        for index, value in enumerate(values):
            at = num2date(value, tz=self.zone)  # type: ignore[no-untyped-call]
            day = f"{at:%a} {at.day} {at:%b}" + (f" {at.year}" if at.year != year else "")
            midnight = (at.hour, at.minute) == (0, 0)
            labels.append(day if midnight else f"{day}\n{at:%H:%M}" if index == 0 else f"{at:%H:%M}")
            year = at.year
        return labels


def _locator(span: timedelta, zone: tzinfo) -> Locator:
    """Four to nine ticks on round moments of the person's clock: hours, days, Mondays or months."""
    for longest, minutes in ((HOUR, 10), (2 * HOUR, 15), (4 * HOUR, 30)):
        if span <= longest:
            return MinuteLocator(byminute=range(0, 60, minutes), tz=zone)  # type: ignore[no-untyped-call]
    for longest, hours in ((8 * HOUR, 1), (16 * HOUR, 2), (30 * HOUR, 4), (2 * DAY, 6), (4 * DAY, 12)):
        if span <= longest:
            return HourLocator(byhour=range(0, 24, hours), tz=zone)  # type: ignore[no-untyped-call]
    for longest, days in ((9 * DAY, 1), (18 * DAY, 2), (27 * DAY, 3)):
        if span <= longest:
            return DayLocator(interval=days, tz=zone)  # type: ignore[no-untyped-call]
    for longest, weeks in ((63 * DAY, 1), (126 * DAY, 2)):
        if span <= longest:
            return WeekdayLocator(byweekday=MO, interval=weeks, tz=zone)  # type: ignore[no-untyped-call]
    return MonthLocator(tz=zone)  # type: ignore[no-untyped-call]


def _span(paths: list[Course], now: datetime | None) -> tuple[datetime, datetime, bool]:
    """The time shown: from logging to the last mark, and to now unless now is far beyond (a closed ticket
    looked at months later); whether now is inside it."""
    start = min(p.started for p in paths)
    marks = [m for p in paths for m in (p.end, p.due_at, p.warning_at, p.breached_at, p.stopped_at) if m]
    last = max([start, *marks])
    inside = now is not None and now <= last + max(last - start, HOUR) * FAR
    if now is not None and inside:
        last = max(last, now)
    width = max(last - start, HOUR)
    return start - width * 0.02, last + width * 0.03, inside


@dataclass
class _Labels:
    """A row's mark labels under its bar, each beside its mark, on a second line where they would overlap."""

    ax: Axes
    y: float
    placed: list[list[tuple[float, float]]] = field(default_factory=lambda: [[], []])

    def add(self, x: float, text: str, colour: str, gid: str) -> None:
        ax = self.ax
        left, right = ax.get_xlim()
        where = (x - left) / (right - left)
        width = len(text) * LABEL * 0.55 / 72 / (ax.get_figure(root=True).get_figwidth() * 0.85)  # type: ignore[union-attr]
        ha, lo, hi = ("left", where, where + width) if where + width <= 1.0 else ("right", where - width, where)
        line = next((n for n, spans in enumerate(self.placed) if all(hi < a or lo > b for a, b in spans)), None)
        if line is None:
            return  # no room: the evidence table has every moment
        self.placed[line].append((lo - 0.01, hi + 0.01))
        spaced = f" {text}" if ha == "left" else f"{text} "  # clear of the mark's tick
        ax.text(x, self.y + TICK + 0.04 + line * 0.3, spaced, ha=ha, va="top", fontsize=LABEL, color=colour,
                gid=f"{gid}-label")  # fmt: skip


def _row(ax: Axes, y: float, path: Course, result: SlaResult, zone: tzinfo, split_hours: bool) -> set[str]:
    """One clock's timeline at height ``y``; the kinds of thing drawn (for the legend)."""
    which, now = str(path.clock.clock), result.as_of
    spans: dict[str, list[tuple[float, float]]] = {"idle": [], "paused": [], "running": []}
    calendar = result.calendar if split_hours and result.calendar and not result.calendar.around_the_clock else None
    left, right = ax.get_xlim()
    seen = (right - left) * SEEN

    def bar(start: datetime, end: datetime, ongoing: bool) -> tuple[float, float]:
        """A stretch as (x, width): where the clock stands now at least ``SEEN`` wide, from its true start."""
        width = _x(end) - _x(start)
        return _x(start), max(width, seen) if ongoing else width

    for stretch in path.stretches:
        whole = bar(stretch.start, stretch.end, stretch.ongoing)
        if not stretch.running:
            spans["paused"].append(whole)
        elif calendar is None:
            spans["running"].append(whole)
        else:  # a thin line through the night, the full bar in working hours
            spans["idle"].append(whole)
            windows = calendar.working_intervals(stretch.start, stretch.end)
            spans["running"] += [bar(lo, hi, stretch.ongoing and hi == stretch.end) for lo, hi in windows]
    for kind, colour, height in (("idle", RUNNING, IDLE), ("paused", PAUSED, BAR), ("running", RUNNING, BAR)):
        if spans[kind]:
            ax.broken_barh(spans[kind], (y - height / 2, height), facecolors=colour, edgecolors="none",
                           gid=f"{kind}-{which}", zorder=2)  # fmt: skip
    drawn = {kind for kind, found in spans.items() if found}
    ticking = path.stopped_at is None and bool(path.stretches) and path.stretches[-1].running
    if ticking and path.due_at is not None and path.due_at > path.end:  # the time still to go, to the target
        ax.plot([_x(path.end), _x(path.due_at)], [y, y], color=TO_GO, linestyle=":", linewidth=1.5,
                gid=f"to-go-{which}", zorder=1)  # fmt: skip
    labels = _Labels(ax, y)
    release = path.clock.release
    marks: list[tuple[datetime, str, str, str]] = []
    if path.warning_at is not None:
        marks.append((path.warning_at, WARNING, "warning", "warning"))
    if path.due_at is not None:
        marks.append((path.due_at, DUE, "due", f"release {release.name}" if release else "due"))
    for at, colour, kind, word in sorted(marks):
        ax.vlines(_x(at), y - TICK, y + TICK, colors=colour, linewidth=2.2, gid=f"{kind}-{which}", zorder=4)
        labels.add(_x(at), f"{word} {local_moment(at, zone, now)}", colour, f"{kind}-{which}")
        drawn.add(kind)
    if path.breached_at is not None:
        ax.plot([_x(path.breached_at)], [y], marker="X", markersize=11, color=BREACH, markeredgecolor="white",
                linestyle="none", gid=f"breach-{which}", zorder=5)  # fmt: skip
        drawn.add("breach")
    veil = {"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85}  # over the "now" line
    ax.text(_x(path.started), y - TICK - 0.04, _state_line(path), ha="left", va="bottom", fontsize=8.5,
            color=TEXT, gid=f"state-{which}", zorder=6, bbox=veil)  # fmt: skip
    return drawn


def _state_line(path: Course) -> str:
    clock = path.clock
    state = SLA_STATE_WORDS[clock.state]
    used = duration(clock.used)
    paused = f" · paused {duration(clock.paused)} in all" if clock.paused else ""
    if clock.release is not None:
        return f"{state} · due with release {clock.release.name} · {used} of business time used{paused}"
    if clock.target is None:
        return f"{state} · none is planned yet for its module"
    if clock.state is SlaState.PAUSED and clock.left is not None:
        return f"{state} · {used} of its {duration(clock.target)} used · {duration(clock.left)} left when it runs again"
    return f"{state} · {used} of its {duration(clock.target)} used{paused}"


def draw_sla(figure: FigureBase, result: SlaResult, zone: tzinfo | None = None) -> Axes:
    """Both clocks of ``result`` as timelines on ``figure`` (cleared first); the axes drawn on."""
    zone = zone or local_zone()
    figure.clear()
    ax = figure.add_subplot()
    now = result.as_of
    paths = [course(result, which) for which in Clock]
    start, end, now_inside = _span(paths, now)
    ax.set_xlim(_x(start), _x(end))  # first: labels are placed by where they fall in it
    rows = [index * GAP for index in range(len(paths))]
    drawn = set()
    for y, path in zip(rows, paths, strict=True):
        drawn |= _row(ax, y, path, result, zone, end - start <= HOURS_SHOWN * DAY)
    ax.set_ylim(rows[-1] + 0.95, -0.8)  # the first clock on top
    ax.set_yticks(rows, [CLOCK_NAMES[p.clock.clock] for p in paths], fontsize=10, fontweight="bold")
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_locator(_locator(end - start, zone))
    ax.xaxis.set_major_formatter(_DayFormatter(zone))
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    top = blended_transform_factory(ax.transData, ax.transAxes)
    if now is not None and now_inside:
        drawn.add("now")
        ax.axvline(_x(now), color=NOW, linestyle="--", linewidth=1.2, gid="now", zorder=3)
        ax.text(_x(now), 1.0, "now", transform=top, ha="center", va="bottom", fontsize=8, color=NOW, gid="now-label")
    elif now is not None:
        ax.text(1.0, 1.0, f"now: {local_moment(now, zone)} →", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8, color=NOW, gid="now-beyond")  # fmt: skip
    ax.set_xlabel(f"Your time ({zone_name(zone, now or start)})", fontsize=8, color=TEXT)
    handles = [handle for kind, handle in _legend().items() if kind in drawn]
    figure.legend(handles=handles, loc="outside upper left", ncols=len(handles), frameon=False, fontsize=8)
    return ax


def _legend() -> dict[str, Any]:
    """What each kind of mark means, in the order the legend says it."""

    def mark(colour: str, marker: str, label: str, **style: Any) -> Line2D:
        return Line2D([], [], color=colour, marker=marker, markersize=10, linestyle="none", label=label,
                      **{"markeredgewidth": 2.2, **style})  # fmt: skip

    return {
        "running": Patch(facecolor=RUNNING, label="clock counting"),
        "idle": Line2D([], [], color=RUNNING, linewidth=2, label="outside working hours"),
        "paused": Patch(facecolor=PAUSED, label="paused (waiting)"),
        "warning": mark(WARNING, "|", "warning mark"),
        "due": mark(DUE, "|", "target (due)"),
        "breach": mark(BREACH, "X", "breached", markeredgecolor="white", markeredgewidth=1),
        "now": Line2D([], [], color=NOW, linestyle="--", linewidth=1.2, label="now"),
    }


def screen_figure() -> Figure:
    """The figure the ticket view shows the picture on (it lays itself out as the window resizes)."""
    return Figure(figsize=(10, 2.6), layout="constrained")


def evidence_figure(result: SlaResult, number: str, zone: tzinfo | None = None) -> Figure:
    """The picture for a file: titled with the ticket, the evidence in words below it."""
    zone = zone or local_zone()
    lines = evidence_lines(result, zone)
    table_height = 0.5 + 0.24 * (len(lines) + 1)
    figure = Figure(figsize=(11, 3.2 + table_height), layout="constrained")
    grid = figure.subfigures(2, 1, squeeze=False, height_ratios=[3.2, table_height])
    top, bottom = (cell for cell in grid.flat if isinstance(cell, SubFigure))
    draw_sla(top, result, zone)
    as_of = f" as of {local_moment(result.as_of, zone)}" if result.as_of else ""
    figure.suptitle(f"{number} · {result.priority.capitalize()} priority · SLA{as_of}", x=0.01, ha="left",
                    fontsize=13, fontweight="bold")  # fmt: skip
    ax = bottom.add_subplot()
    ax.set_axis_off()
    ax.set_title("What happened, in order", loc="left", fontsize=10, fontweight="bold")
    if lines:
        table = ax.table(cellText=lines, colLabels=list(EVIDENCE_HEADINGS), loc="upper left", cellLoc="left",
                         colLoc="left", edges="horizontal")  # fmt: skip
        table.auto_set_font_size(False)
        table.set_fontsize(8.5)
        table.auto_set_column_width(list(range(len(EVIDENCE_HEADINGS))))
        for (line, _column), cell in table.get_celld().items():
            cell.set_edgecolor("#d0d0d0")
            cell.set_height(1 / (len(lines) + 1))
            if line == 0:
                cell.get_text().set_fontweight("bold")
    return figure


def write_picture(result: SlaResult, number: str, path: Path, zone: tzinfo | None = None) -> Path:
    """Write the picture with its evidence to ``path``: a PNG or a PDF, by its extension."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ConsoleError(f"The picture is written as PNG or PDF: name the file .png or .pdf, not {path.name!r}.")
    if not path.parent.is_dir():
        raise ConsoleError(f"No folder {str(path.parent)!r} to write {path.name} in.")
    figure = evidence_figure(result, number, zone)
    title = f"SLA of {number}"
    metadata = {"Title": title} if suffix == ".pdf" else {"Title": title, "Software": "Support Console"}
    try:
        figure.savefig(path, dpi=150, metadata=metadata)
    except OSError as exc:
        raise ConsoleError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    return path
