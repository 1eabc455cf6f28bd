"""The metrics charts, drawn on plain matplotlib Figures (never pyplot): testable without widgets."""

from __future__ import annotations

from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from console.metrics import Compliance, Dashboard

MET, MISSED, TARGET = "#2e7d5b", "#c0392b", "#555555"
PRIORITY_COLOURS = {"critical": "#8e44ad", "high": "#d35400", "medium": "#1f5f8b"}


def _stamp(figure: Figure, data: Dashboard) -> None:
    as_of = f"{data.as_of:%d %b %Y %H:%M} UTC" if data.as_of else "never computed"
    # A suptitle, so the constrained layout keeps room for it above the axes.
    figure.suptitle(f"data as of {as_of}", x=0.99, ha="right", fontsize=8, color=TARGET)


def _empty(figure: Figure, title: str) -> None:
    ax = figure.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No tickets in this selection", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def weekly_compliance(figure: Figure, data: Dashboard, target_percent: float) -> None:
    figure.clear()
    title = "Resolution SLA per week: met vs missed, compliance % by priority"
    if not data.weekly:
        _empty(figure, title)
        return
    ax = figure.add_subplot()
    weeks = [date2num(date.fromisoformat(c.key)) for c in data.weekly]
    ax.bar(weeks, [c.met for c in data.weekly], width=6, color=MET, label="met", gid="met")
    ax.bar(weeks, [c.missed for c in data.weekly], width=6, bottom=[c.met for c in data.weekly], color=MISSED,
           label="missed", gid="missed")  # fmt: skip
    ax.xaxis_date()
    ax.set_ylabel("tickets resolved")
    ax.set_title(title)
    share = ax.twinx()
    for priority, rows in data.weekly_by_priority.items():
        points = [(date2num(date.fromisoformat(c.key)), c.percent) for c in rows if c.percent is not None]
        if points:
            share.plot(*zip(*points, strict=True), color=PRIORITY_COLOURS[priority], linewidth=1.2, label=priority)
    share.axhline(target_percent, color=TARGET, linestyle="--", linewidth=1, label=f"target {target_percent:.0f} %")
    share.set_ylim(0, 105)
    share.set_ylabel("compliance %")
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = share.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc="lower left", fontsize=8, ncol=6, framealpha=0.9)
    figure.autofmt_xdate()


def _compliance_bars(ax: Axes, rows: list[Compliance], title: str, target_percent: float) -> None:
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


def compliance_by_unit_and_module(figure: Figure, data: Dashboard, target_percent: float) -> None:
    figure.clear()
    if not data.by_unit:
        _empty(figure, "Compliance by business unit and module")
    else:
        left, right = figure.subplots(1, 2)
        _compliance_bars(left, data.by_unit, "By business unit", target_percent)
        _compliance_bars(right, data.by_module, "By ERP module", target_percent)


def backlog_age(figure: Figure, data: Dashboard) -> None:
    figure.clear()
    ax = figure.add_subplot()
    labels = [label for label, _ in data.backlog.by_age]
    ax.bar(labels, [n for _, n in data.backlog.by_age], color="#1f5f8b")
    ax.set_ylabel("open tickets")
    ax.set_title(
        f"Backlog by age: {data.backlog.open:,} open, {data.backlog.breached:,} past due, "
        f"{data.backlog.due_soon:,} due within 24 h"
    )


def resolution_distribution(figure: Figure, data: Dashboard) -> None:
    figure.clear()
    title = "Business hours to resolve"
    if not data.resolution_seconds:
        _empty(figure, title)
        return
    ax = figure.add_subplot()
    ax.hist(np.asarray(data.resolution_seconds) / 3600, bins=40, color="#1f5f8b")
    for value, label in ((data.resolution.median_seconds, "median"), (data.resolution.p90_seconds, "90th percentile")):
        if value is not None:
            ax.axvline(value / 3600, color=TARGET, linestyle="--", linewidth=1)
            ax.text(value / 3600, ax.get_ylim()[1] * 0.95, f" {label} {value / 3600:.1f} h", fontsize=8)
    ax.set_xlabel("business hours")
    ax.set_ylabel("tickets")
    ax.set_title(f"{title} ({data.resolution.count:,} tickets)")


def draw_all(figures: dict[str, Figure], data: Dashboard, target_percent: float) -> None:
    """Draw every chart of the dashboard, each stamped with the age of its data."""
    weekly_compliance(figures["weekly"], data, target_percent)
    compliance_by_unit_and_module(figures["units"], data, target_percent)
    backlog_age(figures["backlog"], data)
    resolution_distribution(figures["resolution"], data)
    for figure in figures.values():
        _stamp(figure, data)
