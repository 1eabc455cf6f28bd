"""The metrics charts as a manager shows them: what each Figure holds once drawn, on made-up figures."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle, StepPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from console.metrics import charts
from console.metrics.queries import (
    AGE_BUCKETS,
    SMALL_SAMPLE,
    Backlog,
    Compliance,
    Dashboard,
    Filter,
    Histogram,
    Percentiles,
    Rates,
    rolling,
    weeks_of,
)
from console.store import derived

MONDAY = date(2027, 1, 4)
PERIOD = Filter(MONDAY, MONDAY + timedelta(weeks=10))
TARGET = 90.0


def week(n: int) -> str:
    return (MONDAY + timedelta(weeks=n)).isoformat()


BY_PRIORITY = {
    "critical": [Compliance(week(n), met, missed) for n, met, missed in ((0, 1, 0), (1, 0, 1), (5, 2, 1), (6, 3, 0))],
    "high": [Compliance(week(n), 8, 2) for n in range(10) if n != 4],  # nothing in the fifth week
    "medium": [Compliance(week(n), 20, n % 2) for n in range(10)],
    "low": [],
}  # fmt: skip


def made_up(median_hours: float = 8.0, p90_hours: float = 8.5) -> Dashboard:
    weeks = sorted({c.key for rows in BY_PRIORITY.values() for c in rows})
    weekly = [
        Compliance(w, sum(c.met for r in BY_PRIORITY.values() for c in r if c.key == w),
                   sum(c.missed for r in BY_PRIORITY.values() for c in r if c.key == w))
        for w in weeks
    ]  # fmt: skip
    return Dashboard(
        filter=PERIOD,
        now=datetime.combine(PERIOD.end, datetime.min.time(), UTC),
        weekly=weekly,
        weekly_by_priority=BY_PRIORITY,
        by_unit=[Compliance("DXB-HQ", 45, 5), Compliance("LON-GS", 2, 1), Compliance("RUH-SLS", 10, 20)],
        by_module=[Compliance("FIN", 60, 1), Compliance("TEC", 0, 4)],
        backlog=Backlog(30, [(label, n) for (label, _), n in zip(AGE_BUCKETS, (4, 9, 0, 12, 5), strict=True)], 2, 1),
        resolution=Percentiles(31, round(median_hours * 3600), round(p90_hours * 3600)),
        response=Percentiles(31, 600, 3600),
        resolution_histogram=Histogram({0: 12, 60: 1, 100: 5, 110: 9, 130: 4}),
        rates=Rates(31, 2, 5),
        as_of=datetime(2027, 3, 15, 6, tzinfo=UTC),
    )


def drawn(name: str, data: Dashboard | None = None, size: tuple[float, float] = (8, 4.5)) -> Figure:
    figure = charts.chart_figure(*size)
    FigureCanvasAgg(figure)
    charts.draw(name, figure, data or made_up(), TARGET)
    figure.canvas.draw()
    return figure


def extent(text: Text) -> Bbox:
    return text.get_window_extent()


def test_weekly_bars_carry_their_share_and_the_legend_stays_off_them() -> None:
    data = made_up()
    figure = drawn("weekly", data)
    ax = figure.axes[0]
    shares = [t for t in ax.texts if t.get_gid() == "share"]
    assert [t.get_text() for t in shares] == [f"{c.percent:.0f}%" for c in data.weekly]
    under = [t.get_color() == charts.MISSED for t in shares]
    assert under == [(c.percent or 0) < TARGET for c in data.weekly]
    assert any(under)
    (legend,) = figure.legends
    assert not legend.get_window_extent().overlaps(ax.get_window_extent())  # above the axes, not on the bars
    assert all(ax.get_window_extent().contains(*extent(t).p1) for t in shares)  # the axes leaves room above bars


def test_priority_strips_break_at_empty_weeks_and_grey_a_handful_of_clocks() -> None:
    figure = drawn("priorities")
    assert [ax.get_title(loc="left").split(":")[0] for ax in figure.axes] == ["Critical", "High", "Medium"]  # no Low
    weeks = weeks_of(PERIOD)
    for ax, (priority, rows) in zip(figure.axes, BY_PRIORITY.items(), strict=False):
        line = next(a for a in ax.lines if a.get_gid() == priority)
        few = next(a for a in ax.lines if a.get_gid() == f"{priority} few")
        x = np.asarray(line.get_xdata(), dtype=float)
        assert np.all(np.diff(x) == 7)  # one vertex a week: a segment joins two weeks next to each other
        with_data = np.array([w.isoformat() in {c.key for c in rows if c.total} for w in weeks])
        solid, grey = np.asarray(line.get_ydata(), dtype=float), np.asarray(few.get_ydata(), dtype=float)
        assert np.array_equal(np.isfinite(solid) | np.isfinite(grey), with_data)  # no point without data
        assert not np.any(np.isfinite(solid) & np.isfinite(grey))
        points = rolling(rows, weeks)
        counts = {round(t.xy[0]): t.get_text() for t in ax.texts if t.get_gid() == "count"}  # type: ignore[attr-defined]
        for point, px, value, hollow in zip(points, x, solid, grey, strict=True):
            if not point.this_week.total:
                continue
            if point.rolling.total < SMALL_SAMPLE:
                assert math.isnan(value)
                assert hollow == pytest.approx(point.rolling.percent)
                assert counts[round(px)] == str(point.rolling.total)  # how many, beside the hollow point
            else:
                assert value == pytest.approx(point.rolling.percent)
                assert round(px) not in counts
    critical = next(a for a in figure.axes[0].lines if a.get_gid() == "critical few")
    assert critical.get_markerfacecolor() == "white"
    assert critical.get_markeredgecolor() == charts.SMALL


def test_unit_and_module_bars_carry_their_values() -> None:
    figure = drawn("units")
    left, right = figure.axes
    assert [t.get_text() for t in left.texts if t.get_gid() == "value"] == [
        "90.0 % of 50", "66.7 % of 3", "33.3 % of 30",
    ]  # fmt: skip
    assert [t.get_text() for t in right.texts if t.get_gid() == "value"] == ["98.4 % of 61", "0.0 % of 4"]
    colours = {p.get_gid(): p.get_facecolor() for p in left.patches if isinstance(p, Rectangle)}
    assert colours == {
        "DXB-HQ": to_rgba(charts.MET),
        "LON-GS": to_rgba(charts.SMALL),
        "RUH-SLS": to_rgba(charts.MISSED),
    }
    for ax in (left, right):
        for label in (t for t in ax.texts if t.get_gid() == "value"):
            assert ax.get_window_extent().contains(*extent(label).p0)
            assert ax.get_window_extent().contains(*extent(label).p1)


def test_the_histogram_starts_at_its_buckets_edge_and_counts_no_business_time_apart() -> None:
    figure = drawn("resolution")
    zero, ax = figure.axes
    assert [p.get_height() for p in zero.patches if isinstance(p, Rectangle)] == [12]  # bucket 0: from 0 s
    (steps,) = [p for p in ax.patches if isinstance(p, StepPatch)]
    values, edges = steps.get_data()[:2]
    group = charts.HISTOGRAM_GROUP
    assert edges[0] == pytest.approx(derived.bucket_bounds(60 // group * group)[0] / 3600)  # its real edge
    assert edges[-1] == pytest.approx(derived.bucket_bounds(130 // group * group + group - 1)[1] / 3600)
    assert np.all(np.diff(edges) > 0)
    assert values.sum() == 1 + 5 + 9 + 4


@pytest.mark.parametrize("size", [(8, 4.5), (5, 3.5), (14, 8)])
@pytest.mark.parametrize(("median", "p90"), [(8.0, 8.2), (0.3, 400.0), (600.0, 610.0)])
def test_median_and_90th_percentile_labels_never_overlap(size: tuple[float, float], median: float, p90: float) -> None:
    figure = drawn("resolution", made_up(median, p90), size)
    ax = figure.axes[1]
    labels = {t.get_gid(): t for t in ax.texts if t.get_gid() in ("median", "90th percentile")}
    assert set(labels) == {"median", "90th percentile"}
    assert not extent(labels["median"]).overlaps(extent(labels["90th percentile"]))
    assert all(
        Bbox.from_bounds(0, 0, *figure.canvas.get_width_height()).contains(*extent(t).p1) for t in labels.values()
    )


@pytest.mark.parametrize("name", list(charts.CHARTS))
@pytest.mark.parametrize("size", [(8, 4.5), (11, 6.5)])
def test_no_words_of_a_chart_run_into_each_other(name: str, size: tuple[float, float]) -> None:
    """Titles, notes, legends, values and tick labels: each has its own room."""
    figure = drawn(name, size=size)
    words = [t for t in figure.findobj(Text) if isinstance(t, Text) and t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), extent(t)) for t in words if t.get_figure(root=True) is figure]
    clashes = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]
    assert not clashes


def test_a_week_line_is_a_line_a_week() -> None:
    """``rolling`` keeps the weeks of the period, the empty ones too, and counts the weeks before each."""
    points = rolling(BY_PRIORITY["critical"], weeks_of(PERIOD))
    assert [p.week for p in points] == weeks_of(PERIOD)
    assert [p.rolling.total for p in points][:7] == [1, 2, 2, 2, 1, 3, 6]
    assert [p.judged for p in points][:7] == [False] * 6 + [True]
