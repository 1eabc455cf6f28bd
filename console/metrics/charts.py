"""The metrics charts, drawn on plain matplotlib Figures (never pyplot): testable without widgets.

Drawn to be shown at a business review: every bar carries its value, legends and notes sit beside the
data (never on it), a share of fewer than ``SMALL_SAMPLE`` clocks is greyed with its count beside it, and
no line runs across a week without data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure, FigureBase, SubFigure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

from console.metrics.queries import (
    ROLLING_WEEKS,
    SMALL_SAMPLE,
    Compliance,
    Dashboard,
    Drill,
    Filter,
    backlog_windows,
    rolling,
    weeks_of,
)
from console.store import derived
from console.words import word
from console.zone import moment_text
from models import SlaState

# What a click on a chart lists: per bar, or per bar or point of a collection or line (by the picked index).
Picks = dict[Artist, Drill | list[Drill]]
WEEK = timedelta(days=7)

MET, MISSED, TARGET = "#2e7d5b", "#c0392b", "#555555"
SMALL = "#9aa3ab"  # a share of too few clocks to judge by
BAR = "#1f5f8b"
PRIORITY_COLOURS = {"critical": "#8e44ad", "high": "#d35400", "medium": "#1f5f8b", "low": "#5d6d7e"}
BAR_LABELS_UP_TO = 60  # more weekly bars than this leave no room for a value on each
HISTOGRAM_GROUP = 3  # fine buckets per bar of the histogram: each bar about 28 % wider than the one before


def chart_figure(width: float = 8, height: float = 4.5) -> Figure:
    """A figure for one chart on screen, laid out at every size so that titles, legends, notes and tick labels
    get their room and never run into each other (a few tens of milliseconds a drawing)."""
    return Figure(figsize=(width, height), layout="constrained")


def _note(figure: FigureBase, text: str) -> None:
    """How to read the chart, under it (where the layout keeps room for it)."""
    figure.supxlabel(text, x=0.01, ha="left", fontsize=7, color=TARGET)


def _stamp(figure: FigureBase, data: Dashboard) -> None:
    """The age of the data, on the chart's last line (its top row is the legend's)."""
    as_of = moment_text(data.as_of, named=True) if data.as_of else "never computed"
    note = figure.get_supxlabel()
    _note(figure, f"{note}\nData as of {as_of}." if note else f"Data as of {as_of}.")


def _empty(figure: FigureBase, title: str) -> None:
    ax = figure.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No tickets in this selection", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _day_number(day: date | str) -> float:
    return float(date2num(date.fromisoformat(day) if isinstance(day, str) else day))  # type: ignore[no-untyped-call]


def _mid_week(monday: date | str) -> float:
    """Where a week's bar or point stands on a date axis: the middle of its seven days."""
    return _day_number(monday) + 3.5


def _date_axis(ax: Axes, weeks: Sequence[date]) -> None:
    ax.set_xlim(_day_number(weeks[0]) - 0.5, _day_number(weeks[-1]) + 7.5)
    locator = AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    # The year once, at the end of the axis ("2026", not "2026-Dec"); months and days on the ticks.
    offsets = ["", "%Y", "%Y", "%Y-%b-%d", "%Y-%b-%d", "%Y-%b-%d %H:%M"]
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, offset_formats=offsets))  # type: ignore[no-untyped-call]


def _quiet(ax: Axes) -> None:
    """No box around the data: the left and bottom axes only."""
    ax.spines[["top", "right"]].set_visible(False)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _bars(ax: Axes, x: Any, bottom: Any, height: Any, width: float, colour: str, label: str) -> PolyCollection:
    """Vertical bars as one collection: a hundred weeks draw in milliseconds, where as many
    patches cost a tenth of a second each time the chart is laid out. A pick names the bar by index."""
    left, right, top = x - width / 2, x + width / 2, bottom + height
    corners = np.stack([np.column_stack(c) for c in ((left, bottom), (left, top), (right, top), (right, bottom))], 1)
    bars = PolyCollection(list(corners), facecolors=colour, edgecolors="none", label=label, gid=label)
    ax.add_collection(bars, autolim=False)
    return bars


def _in_weeks(data: Dashboard, first: date, weeks: int = 1, **changes: Any) -> Filter:
    """The dashboard's filter narrowed to ``weeks`` weeks ending with the week of ``first``, inside its period."""
    start = max(first - WEEK * (weeks - 1), data.filter.start)
    return data.filter.narrowed(start=start, end=min(first + WEEK, data.filter.end), **changes)


def weekly_compliance(figure: FigureBase, data: Dashboard, target_percent: float) -> Picks:
    """Clocks met and breached per week as stacked bars, the share met written above each bar."""
    figure.clear()
    labelled = len(data.weekly) <= BAR_LABELS_UP_TO
    title = "Resolution SLA per week: clocks met and breached" + (", % met above each bar" if labelled else "")
    if not data.weekly:
        _empty(figure, title)
        return {}
    ax = figure.add_subplot()
    weeks = np.array([_mid_week(c.key) for c in data.weekly])
    met = np.array([c.met for c in data.weekly])
    missed = np.array([c.missed for c in data.weekly])
    picks: Picks = {}
    for state, bottom, height, colour in ((SlaState.MET, 0, met, MET), (SlaState.MISSED, met, missed, MISSED)):
        bars = _bars(ax, weeks, bottom + np.zeros_like(height), height, 6, colour, str(state))
        picks[bars] = [
            Drill(f"Resolution SLA {word(state)} in the week of {w:%d %b %Y}", _in_weeks(data, w), states=(state,))
            for w in (date.fromisoformat(row.key) for row in data.weekly)
        ]
    top = int((met + missed).max())
    _date_axis(ax, weeks_of(data.filter))
    ax.set_ylim(0, max(1, top) * 1.2)
    ax.set_ylabel("resolution clocks stopped")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half a clock
    ax.set_title(title, loc="left", fontsize=10)
    _quiet(ax)
    if labelled:
        upright = len(data.weekly) <= 20
        for x, row in zip(weeks, data.weekly, strict=True):
            share = row.percent or 0.0
            colour = SMALL if row.total < SMALL_SAMPLE else MISSED if share < target_percent else "#333333"
            ax.annotate(
                f"{share:.0f}%", (x, row.total), xytext=(0, 2), textcoords="offset points", ha="center",
                va="bottom", fontsize=7 if upright else 6, rotation=0 if upright else 90, color=colour, gid="share",
            )  # fmt: skip
    handles = [Patch(color=MET, label=word(SlaState.MET)), Patch(color=MISSED, label=word(SlaState.MISSED))]
    if labelled:
        words = f"red %: under the {target_percent:g} % target; grey: under {SMALL_SAMPLE} clocks"
        handles.append(Patch(color="none", label=words))
    else:
        _note(figure, f"{len(data.weekly)} weeks leave no room for a value on each bar: the report has monthly shares.")
    # Above the chart, in a row of its own that the layout keeps clear of the bars and the title.
    figure.legend(handles=handles, loc="outside upper right", ncol=3, fontsize=7, frameon=False, handlelength=1)
    return picks


def compliance_by_priority(figure: FigureBase, data: Dashboard, target_percent: float) -> Picks:
    """One strip per priority: the share met over the last few weeks, so a handful of tickets cannot swing it.

    A week draws a point only when that priority stopped a clock in it (no line across an empty week); a
    share of fewer than ``SMALL_SAMPLE`` clocks is a hollow grey point with its count, not joined to the line.
    """
    figure.clear()
    shown = [p for p, rows in data.weekly_by_priority.items() if any(c.total for c in rows)]
    if not shown:
        _empty(figure, "Resolution SLA by priority")
        return {}
    weeks = weeks_of(data.filter)
    axes = figure.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    picks: Picks = {}
    for ax, priority in zip(axes, shown, strict=True):
        rows = data.weekly_by_priority[priority]
        points = rolling(rows, weeks)
        x = np.array([_mid_week(p.week) for p in points])
        share = np.array([p.rolling.percent if p.this_week.total else math.nan for p in points], dtype=float)
        judged = np.array([p.judged for p in points])
        colour = PRIORITY_COLOURS.get(priority, BAR)
        ax.axhline(target_percent, color=TARGET, linestyle="--", linewidth=0.8)
        (line,) = ax.plot(
            x, np.where(judged, share, math.nan), color=colour, linewidth=1.6, marker="o", markersize=3, gid=priority
        )
        (few,) = ax.plot(
            x, np.where(judged, math.nan, share), linestyle="none", marker="o", markersize=4.5,
            markerfacecolor="white", markeredgecolor=SMALL, gid=f"{priority} few",
        )  # fmt: skip
        for point, px, py in zip(points, x, share, strict=True):
            if point.this_week.total and not point.judged:
                ax.annotate(
                    str(point.rolling.total), (px, py), xytext=(3.5, 0), textcoords="offset points", ha="left",
                    va="center", fontsize=6, color=TARGET, gid="count",
                )  # fmt: skip
        drills = [
            Drill(
                f"Resolution SLA of {priority} tickets, {ROLLING_WEEKS} weeks to {p.week + timedelta(days=6):%d %b %Y}",
                _in_weeks(data, p.week, ROLLING_WEEKS, priorities=(priority,)),
            )
            for p in points
        ]
        picks[line] = drills
        picks[few] = drills
        overall = Compliance(priority, sum(c.met for c in rows), sum(c.missed for c in rows))
        ax.set_title(
            f"{priority.capitalize()}: {_percent(overall.percent)} met of {overall.total:,} in the period",
            loc="left", fontsize=9,
        )  # fmt: skip
        ax.set_ylim(-8, 112)
        ax.yaxis.set_major_locator(FixedLocator([0, 50, 100]))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.0f}%"))
        ax.tick_params(labelsize=7)
        _quiet(ax)
    _date_axis(axes[-1], weeks)
    _note(
        figure,
        f"Share of resolution clocks met in the {ROLLING_WEEKS} weeks up to each week; dashed: the "
        f"{target_percent:g} % target.\nHollow grey: fewer than {SMALL_SAMPLE} clocks (how many beside it), "
        "not joined to the line. No point: none that week.",
    )
    return picks


def _compliance_bars(ax: Axes, rows: list[Compliance], title: str, target_percent: float) -> list[Rectangle]:
    """Horizontal bars of the share met, each with its value and count; too few clocks in grey."""
    keys = [c.key for c in rows]
    values = [c.percent or 0.0 for c in rows]
    colours = [
        SMALL if c.total < SMALL_SAMPLE else MET if v >= target_percent else MISSED
        for c, v in zip(rows, values, strict=True)
    ]
    bars = ax.barh(keys, values, color=colours, height=0.7)
    for bar, row, value in zip(bars, rows, values, strict=True):
        bar.set_gid(row.key)
        inside = value >= 55  # room for the words within the bar
        ax.annotate(
            f"{_percent(row.percent)} of {row.total:,}", (value, bar.get_y() + bar.get_height() / 2),
            xytext=(-4 if inside else 4, 0), textcoords="offset points", ha="right" if inside else "left",
            va="center", fontsize=8, color="white" if inside else "#333333", gid="value",
        )  # fmt: skip
    ax.axvline(target_percent, color=TARGET, linestyle="--", linewidth=1, zorder=0.5)  # behind bars and values
    ax.set_xlim(0, 103)
    ax.xaxis.set_major_locator(FixedLocator([0, 20, 40, 60, 80, 100]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.0f}%"))
    ax.set_title(title, loc="left", fontsize=10)
    ax.invert_yaxis()
    _quiet(ax)
    return list(bars)


def compliance_by_unit_and_module(figure: FigureBase, data: Dashboard, target_percent: float) -> Picks:
    figure.clear()
    if not data.by_unit:
        _empty(figure, "Compliance by business unit and module")
        return {}
    left, right = figure.subplots(1, 2)
    picks: Picks = {}
    for bar, row in zip(_compliance_bars(left, data.by_unit, "By business unit", target_percent), data.by_unit,
                        strict=True):  # fmt: skip
        picks[bar] = Drill(f"Resolution SLA of unit {row.key}", data.filter.narrowed(units=(row.key,)))
    for bar, row in zip(_compliance_bars(right, data.by_module, "By ERP module", target_percent), data.by_module,
                        strict=True):  # fmt: skip
        picks[bar] = Drill(f"Resolution SLA of module {row.key}", data.filter.narrowed(modules=(row.key,)))
    _note(
        figure,
        f"Resolution clocks met, of those stopped in the period; dashed: the {target_percent:g} % target; "
        f"red: under it; grey: fewer than {SMALL_SAMPLE} clocks.",
    )
    return picks


def backlog_age(figure: FigureBase, data: Dashboard, _target_percent: float = 0) -> Picks:
    figure.clear()
    ax = figure.add_subplot()
    labels = [label for label, _ in data.backlog.by_age]
    counts = [n for _, n in data.backlog.by_age]
    bars = ax.bar(labels, counts, color=BAR, width=0.6)
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts], padding=3, fontsize=9)
    ax.set_ylim(0, max(1, *counts) * 1.15)
    ax.set_ylabel("open tickets")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("age since logged")
    ax.set_title(
        f"Backlog by age: {data.backlog.open:,} open, {data.backlog.breached:,} past the resolution due time, "
        f"{data.backlog.due_soon:,} due within 24 h",
        loc="left", fontsize=10,
    )  # fmt: skip
    _quiet(ax)
    return {
        bar: Drill(f"Open tickets {label} old", data.filter, open_created=(after, until))
        for bar, (label, after, until) in zip(bars, backlog_windows(data.now), strict=True)
    }


def histogram_bars(counts: dict[int, int], group: int = HISTOGRAM_GROUP) -> tuple[int, list[tuple[float, float, int]]]:
    """The histogram's fine buckets merged ``group`` at a time: how many took no business time at all (the
    first bar, whose low edge is zero, has no place on a log axis) and (low h, high h, count) of the others,
    each bar's edges those of its buckets."""
    merged: dict[int, int] = {}
    for bucket, n in counts.items():
        merged[bucket // group] = merged.get(bucket // group, 0) + n
    none = merged.pop(0, 0)
    bars = []
    if merged:
        for g in range(min(merged), max(merged) + 1):
            low, high = derived.bucket_bounds(g * group)[0], derived.bucket_bounds(g * group + group - 1)[1]
            bars.append((low / 3600, high / 3600, merged.get(g, 0)))
    return none, bars


def resolution_distribution(figure: FigureBase, data: Dashboard, _target_percent: float = 0) -> Picks:
    """Business hours to resolve on a log axis; the clocks resolved in no business time in a bar of their own."""
    figure.clear()
    title = "Business hours to resolve"
    none, bars = histogram_bars(data.resolution_histogram.counts)
    if not none and not bars:
        _empty(figure, title)
        return {}
    zero, ax = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 12], "wspace": 0.04})
    top = max([none, *(n for _, _, n in bars)])
    zero.bar([0], [none], width=0.6, color=SMALL, gid="no business time")
    zero.bar_label(zero.containers[0], labels=[f"{none:,}"], padding=2, fontsize=8)
    zero.set_xlim(-0.6, 0.6)
    zero.set_xticks([0], ["none"])
    zero.set_ylabel("tickets resolved")
    zero.yaxis.set_major_locator(MaxNLocator(integer=True))
    zero.set_ylim(0, max(1, top) * 1.4)  # room above the bars for the median and 90th percentile
    _quiet(zero)
    if bars:
        edges = [low for low, _, _ in bars] + [bars[-1][1]]
        ax.stairs([n for _, _, n in bars], edges, fill=True, color=BAR, gid="resolution times")
        ax.set_xscale("log")
        # At least from one power of ten to the next, so the axis has numbers however narrow the spread.
        ax.set_xlim(
            min(edges[0], 10 ** math.floor(math.log10(edges[0]))),
            max(edges[-1], 10 ** math.ceil(math.log10(edges[-1]))),
        )
        # Plain numbers on the log axis: its default 10^n labels go through mathtext, slowly.
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="y", left=False)
    ax.spines[["top", "right", "left"]].set_visible(False)
    marks = [(data.resolution.median_seconds, "median"), (data.resolution.p90_seconds, "90th percentile")]
    for row, (seconds, label) in enumerate(marks):
        if seconds is None or not bars:
            continue
        hours = max(seconds / 3600, edges[0])  # a mark of no business time sits at the axis' start
        ax.axvline(hours, color=TARGET, linestyle="--", linewidth=1)
        # One text row each, below the top and clear of the bars (the axes is 40 % taller than the highest):
        # the two never overlap, however close the values. The median's runs left of its line and the 90th
        # percentile's right of its own, away from each other, unless that would leave the axes.
        right = _across(ax, hours) > 0.3 if label == "median" else _across(ax, hours) > 0.7
        ax.annotate(
            f"{label} {seconds / 3600:,.1f} h", (hours, 1), xycoords=("data", "axes fraction"),
            xytext=(-4 if right else 4, -6 - 14 * row), textcoords="offset points", ha="right" if right else "left",
            va="top", fontsize=8, color="#333333", gid=label,
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )  # fmt: skip
    ax.set_xlabel("business hours (log scale); none: resolved in no business time (outside business hours)")
    ax.set_title(
        f"{title}: {data.resolution.count:,} tickets, median {_hours(data.resolution.median_seconds)}, "
        f"90th percentile {_hours(data.resolution.p90_seconds)}",
        loc="left", fontsize=10,
    )  # fmt: skip
    return {}


def _hours(seconds: int | None) -> str:
    return "–" if seconds is None else f"{seconds / 3600:,.1f} h"


def _across(ax: Axes, hours: float) -> float:
    """How far across the log axis a value stands, from 0 (left) to 1 (right)."""
    low, high = ax.get_xlim()
    return math.log(hours / low) / math.log(high / low)


Draw = Callable[[FigureBase, Dashboard, float], Picks]
# Every chart of the dashboard: name, title, how to draw it (the metrics view's tabs, the report's pages).
CHARTS: dict[str, tuple[str, Draw]] = {
    "weekly": ("Weekly compliance", weekly_compliance),
    "priorities": ("Compliance by priority", compliance_by_priority),
    "units": ("Units and modules", compliance_by_unit_and_module),
    "backlog": ("Backlog age", backlog_age),
    "resolution": ("Resolution times", resolution_distribution),
}


def panels(figure: FigureBase, rows: int, columns: int) -> list[SubFigure]:
    """A figure split into panels to draw charts on (typed: matplotlib's own annotation is a union)."""
    grid = figure.subfigures(rows, columns, squeeze=False)
    return [cell for cell in grid.flat if isinstance(cell, SubFigure)]


def draw(name: str, figure: FigureBase, data: Dashboard, target_percent: float) -> Picks:
    """Draw one chart of the dashboard, stamped with the age of its data; the bars that list tickets."""
    picks = CHARTS[name][1](figure, data, target_percent)
    _stamp(figure, data)
    return picks
