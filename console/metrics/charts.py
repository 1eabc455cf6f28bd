"""The metrics charts, drawn on plain matplotlib Figures (never pyplot): testable without widgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.dates import date2num
from matplotlib.figure import Figure, FigureBase, SubFigure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullFormatter

from console.metrics.queries import Compliance, Dashboard, Drill, backlog_windows
from console.store import derived
from models import SlaState

# What a click on a chart lists: per bar, or per bar of a collection (by the picked index).
Picks = dict[Artist, Drill | list[Drill]]
WEEK = timedelta(days=7)

MET, MISSED, TARGET = "#2e7d5b", "#c0392b", "#555555"
PRIORITY_COLOURS = {"critical": "#8e44ad", "high": "#d35400", "medium": "#1f5f8b", "low": "#7f8c8d"}


def chart_figure(width: float = 8, height: float = 4.5) -> Figure:
    """A figure for one chart on screen: fixed margins, since a constrained layout doubles the drawing time."""
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=0.08, right=0.92, bottom=0.17, top=0.86, wspace=0.35)
    return figure


def _stamp(figure: FigureBase, data: Dashboard) -> None:
    as_of = f"{data.as_of:%d %b %Y %H:%M} UTC" if data.as_of else "never computed"
    figure.suptitle(f"data as of {as_of}", x=0.99, y=0.99, ha="right", va="top", fontsize=8, color=TARGET)


def _empty(figure: FigureBase, title: str) -> None:
    ax = figure.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No tickets in this selection", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _day_number(key: str) -> float:
    return float(date2num(date.fromisoformat(key)))  # type: ignore[no-untyped-call]


def _bars(ax: Axes, x: Any, bottom: Any, height: Any, width: float, colour: str, label: str) -> PolyCollection:
    """Vertical bars as one collection: a hundred weeks draw in milliseconds, where as many
    patches cost a tenth of a second each time the chart is laid out. A pick names the bar by index."""
    left, right, top = x - width / 2, x + width / 2, bottom + height
    corners = np.stack([np.column_stack(c) for c in ((left, bottom), (left, top), (right, top), (right, bottom))], 1)
    bars = PolyCollection(list(corners), facecolors=colour, edgecolors="none", label=label, gid=label)
    ax.add_collection(bars, autolim=False)
    return bars


def weekly_compliance(figure: FigureBase, data: Dashboard, target_percent: float) -> Picks:
    figure.clear()
    title = "Resolution SLA per week: met vs missed, compliance % by priority"
    if not data.weekly:
        _empty(figure, title)
        return {}
    ax = figure.add_subplot()
    weeks = np.array([_day_number(c.key) for c in data.weekly])
    met = np.array([c.met for c in data.weekly])
    missed = np.array([c.missed for c in data.weekly])
    picks: Picks = {}
    for state, bottom, height, colour in ((SlaState.MET, 0, met, MET), (SlaState.MISSED, met, missed, MISSED)):
        bars = _bars(ax, weeks, bottom + np.zeros_like(height), height, 6, colour, str(state))
        drills = []
        for row in data.weekly:
            week = date.fromisoformat(row.key)
            in_week = data.filter.narrowed(start=max(week, data.filter.start), end=min(week + WEEK, data.filter.end))
            drills.append(Drill(f"Resolution SLA {state} in the week of {week:%d %b %Y}", in_week, states=(state,)))
        picks[bars] = drills
    ax.set_xlim(weeks.min() - 7, weeks.max() + 7)
    ax.set_ylim(0, max(1, int((met + missed).max())) * 1.08)
    ax.xaxis_date()
    ax.set_ylabel("tickets resolved")
    ax.set_title(title)
    share = ax.twinx()
    for priority, rows in data.weekly_by_priority.items():
        points = [(_day_number(c.key), c.percent) for c in rows if c.percent is not None]
        if points:
            share.plot(*zip(*points, strict=True), color=PRIORITY_COLOURS[priority], linewidth=1.2, label=priority)
    share.axhline(target_percent, color=TARGET, linestyle="--", linewidth=1, label=f"target {target_percent:.0f} %")
    share.set_ylim(0, 105)
    share.set_ylabel("compliance %")
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = share.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc="lower left", fontsize=8, ncol=6, framealpha=0.9)
    ax.tick_params(axis="x", labelrotation=30)
    return picks


def _compliance_bars(ax: Axes, rows: list[Compliance], title: str, target_percent: float) -> list[Rectangle]:
    keys = [c.key for c in rows]
    values = [c.percent or 0.0 for c in rows]
    colours = [MET if v >= target_percent else MISSED for v in values]
    bars = ax.barh(keys, values, color=colours)
    for bar, row in zip(bars, rows, strict=True):
        bar.set_gid(row.key)
    ax.axvline(target_percent, color=TARGET, linestyle="--", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("resolution compliance %")
    ax.set_title(title)
    ax.invert_yaxis()
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
    return picks


def backlog_age(figure: FigureBase, data: Dashboard, _target_percent: float = 0) -> Picks:
    figure.clear()
    ax = figure.add_subplot()
    labels = [label for label, _ in data.backlog.by_age]
    bars = ax.bar(labels, [n for _, n in data.backlog.by_age], color="#1f5f8b")
    ax.set_ylabel("open tickets")
    ax.set_title(
        f"Backlog by age: {data.backlog.open:,} open, {data.backlog.breached:,} past due, "
        f"{data.backlog.due_soon:,} due within 24 h"
    )
    return {
        bar: Drill(f"Open tickets {label} old", data.filter, open_created=(after, until))
        for bar, (label, after, until) in zip(bars, backlog_windows(data.now), strict=True)
    }


def resolution_distribution(figure: FigureBase, data: Dashboard, _target_percent: float = 0) -> Picks:
    figure.clear()
    title = "Business hours to resolve"
    counts = data.resolution_histogram.counts
    if not counts:
        _empty(figure, title)
        return {}
    ax = figure.add_subplot()
    buckets = range(min(counts), max(counts) + 1)
    edges = [derived.bucket_bounds(b)[0] / 3600 for b in buckets] + [derived.bucket_bounds(buckets[-1])[1] / 3600]
    edges[0] = max(edges[0], 1 / 60)  # a log axis starts above zero: the first bucket from one minute
    ax.stairs([counts.get(b, 0) for b in buckets], edges, fill=True, color="#1f5f8b")
    ax.set_xscale("log")
    # Plain numbers on the log axis: its default 10^n labels go through mathtext, slowly.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    for value, label in ((data.resolution.median_seconds, "median"), (data.resolution.p90_seconds, "90th percentile")):
        if value is not None:
            ax.axvline(value / 3600, color=TARGET, linestyle="--", linewidth=1)
            ax.text(value / 3600, ax.get_ylim()[1] * 0.95, f" {label} {value / 3600:.1f} h", fontsize=8)
    ax.set_xlabel("business hours (log scale)")
    ax.set_ylabel("tickets")
    ax.set_title(f"{title} ({data.resolution.count:,} tickets)")
    return {}


Draw = Callable[[FigureBase, Dashboard, float], Picks]
# Every chart of the dashboard: name, title, how to draw it (the metrics view's tabs, the report's pages).
CHARTS: dict[str, tuple[str, Draw]] = {
    "weekly": ("Weekly compliance", weekly_compliance),
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
