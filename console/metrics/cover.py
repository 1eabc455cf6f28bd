"""The SLA report's first page: what it covers, its key figures as tiles, and the figures behind them as
tables (each clock apart, priorities by severity). Drawn with matplotlib: imported only to draw."""

from __future__ import annotations

from datetime import timedelta

from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import FancyBboxPatch

from console.metrics.charts import MET, MISSED
from console.metrics.contents import (
    CLOCKS,
    Report,
    group_label,
    hours_text,
    in_order,
    key_figures,
    percent_text,
    scope_text,
)
from console.metrics.pages import (
    GREY,
    INK,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Piece,
    draw_piece,
    page,
    set_table,
    wrapped,
)
from console.metrics.queries import Compliance
from console.zone import moment_text

TILE = "#f1f3f5"


def _tile(
    container: Figure | SubFigure,
    box: tuple[float, float, float, float],
    label: str,
    value: str,
    colour: str,
    note: str,
) -> None:
    """One key figure: its name, the figure large, a line of what it is made of (fractions of ``container``)."""
    left, bottom, width, height = box
    container.add_artist(
        FancyBboxPatch(
            (left, bottom),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.01",
            facecolor=TILE,
            edgecolor="none",
            transform=container.transSubfigure,
            zorder=0,
        )
    )
    x = left + width * 0.06
    container.text(x, bottom + height * 0.8, label, fontsize=10, color=GREY, va="center")
    container.text(x, bottom + height * 0.47, value, fontsize=24, fontweight="bold", color=colour, va="center")
    container.text(x, bottom + height * 0.15, note, fontsize=8, color=INK, va="center")


def tiles(
    container: Figure | SubFigure, report: Report, box: tuple[float, float, float, float], columns: int = 4
) -> None:
    """The four key figures as tiles in ``box`` (left, bottom, width, height in fractions of ``container``):
    each clock's share met, coloured against the target, with its met and breached; resolved; open now."""
    data = report.dashboard
    figures = []
    for clock in CLOCKS:
        c = report.overall(clock)
        colour = INK if c.percent is None else MET if c.percent >= report.target_percent else MISSED
        figures.append(
            (
                f"{clock.capitalize()} SLA met",
                f"{percent_text(c.percent)} %",
                colour,
                f"{c.met:,} met, {c.missed:,} breached of {c.total:,} clocks",
            )
        )
    figures += [
        ("Resolved in the period", f"{data.rates.resolved:,}", INK,
         f"median {hours_text(data.resolution.median_seconds)} business h to resolve"),
        ("Open now", f"{data.backlog.open:,}", INK,
         f"{data.backlog.breached:,} past due, {data.backlog.due_soon:,} due within 24 h"),
    ]  # fmt: skip
    left, bottom, width, height = box
    rows = -(-len(figures) // columns)
    gap = 0.015
    w = (width - gap * (columns - 1)) / columns
    h = (height - gap * (rows - 1)) / rows
    for index, (label, value, colour, note) in enumerate(figures):
        row, column = divmod(index, columns)
        _tile(container, (left + column * (w + gap), bottom + height - (row + 1) * h - row * gap, w, h), label, value,
              colour, note)  # fmt: skip


def _by_clock(report: Report) -> list[dict[str, str]]:
    data = report.dashboard
    times = {"response": data.response, "resolution": data.resolution}
    rows = []
    for clock in CLOCKS:
        c = report.overall(clock)
        rows.append(
            {
                "clock": clock.capitalize(),
                "clocks": f"{c.total:,}",
                "met": f"{c.met:,}",
                "breached": f"{c.missed:,}",
                "% met": percent_text(c.percent),
                "median business h": hours_text(times[clock].median_seconds),
                "90th percentile business h": hours_text(times[clock].p90_seconds),
            }
        )
    return rows


def _by_priority(report: Report) -> list[dict[str, str]]:
    per_clock = {clock: {c.key: c for c in report.tables["priority"][clock]} for clock in CLOCKS}
    rows = []
    for key in in_order("priority", set(per_clock["response"]) | set(per_clock["resolution"])):
        row = {"priority": group_label("priority", key)}
        for clock in CLOCKS:
            c = per_clock[clock].get(key, Compliance(key, 0, 0))
            row |= {f"{clock} clocks": f"{c.total:,}", f"{clock} % met": percent_text(c.percent)}
        rows.append(row)
    return rows


def title_page(report: Report, footer: str) -> Figure:
    """The report's first page."""
    sheet = page("", footer, layout=None)

    def fy(points: float) -> float:
        return 1 - points / PAGE_HEIGHT

    def fx(points: float) -> float:
        return points / PAGE_WIDTH

    flt = report.filter
    last = flt.end - timedelta(days=1)
    as_of = report.dashboard.as_of
    sheet.text(fx(MARGIN), fy(34), "Support Console", fontsize=9, color=GREY, va="top")
    sheet.text(fx(MARGIN), fy(50), "SLA compliance report", fontsize=26, fontweight="bold", color=INK, va="top")
    covers = f"{flt.start:%d %b %Y} to {last:%d %b %Y} · {scope_text(flt)}"
    sheet.text(fx(MARGIN), fy(90), wrapped(covers, PAGE_WIDTH - 2 * MARGIN, 13, most=1)[0], fontsize=13, va="top")
    sheet.text(
        fx(MARGIN), fy(112),
        (f"Data as of {moment_text(as_of, named=True)}" if as_of else "No SLA computed yet")
        + f" · target: {report.target_percent:g} % of clocks met · each clock counts in the period in which it stopped",
        fontsize=9, color=GREY, va="top",
    )  # fmt: skip
    top, height = 136.0, 92.0
    tiles(sheet, report, (fx(MARGIN), fy(top + height), fx(PAGE_WIDTH - 2 * MARGIN), height / PAGE_HEIGHT))
    y = top + height + 24
    clocks = set_table("Service level by clock", _by_clock(report), 480)
    priorities = set_table("Service level by priority", _by_priority(report), 480)
    end = draw_piece(sheet, Piece(clocks, clocks.title, clocks.rows, y))
    end = draw_piece(sheet, Piece(priorities, priorities.title, priorities.rows, end + 16))
    figures = key_figures(report)
    others = [{"figure": n, "value": v} for theme in ("Tickets", "Backlog") for n, v in figures[theme]]
    others += [{"figure": n, "value": v} for n, v in figures["Service levels"][-2:]]  # Low, and not timed
    right = MARGIN + max(sum(c.width for c in t.columns) for t in (clocks, priorities)) + 36
    table = set_table("Tickets and backlog", others, PAGE_WIDTH - MARGIN - right)
    end = max(end, draw_piece(sheet, Piece(table, table.title, table.rows, y), left=right))
    lines = [line for note in NOTES for line in wrapped(note, PAGE_WIDTH - 2 * MARGIN, 8, most=3)]
    sheet.text(
        fx(MARGIN), fy(end + 24), "How to read these figures", fontsize=9, fontweight="bold", color=INK, va="top"
    )
    sheet.text(fx(MARGIN), fy(end + 38), "\n".join(lines), fontsize=8, color=GREY, va="top", linespacing=1.5)
    return sheet


NOTES = (
    "A clock counts in the period in which it stopped: the response clock at the first response, the resolution "
    "clock at resolution. Met: stopped by its due time; breached: stopped after it. Each clock is counted apart, "
    "so a ticket can meet one and breach the other.",
    "Business hours: time inside the business unit's calendar, the clock paused while the ticket waits on the "
    "reporter or a vendor.",
    "Low tickets have no time target: each is met if resolved by the time the release it was due with reached "
    "production; one whose module had no release planned is counted as neither.",
    "The weekly share of each priority is taken over four weeks; fewer than five clocks are drawn grey with their "
    "count, too few to judge by.",
)
