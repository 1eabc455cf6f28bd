"""The metrics view driven as a manager would: open it, filter, save a chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.patches import Rectangle
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from console.metrics import charts
from console.metrics.queries import compliance, rolling, weeks_of
from console.store.database import connect
from console.store.workspace import Workspace
from models import SlaState, Ticket
from tests import clock
from tests.gui.drive import become_super_user, open_window, save_shot
from views.drill import DrillDialog, SlaDialog
from views.main_window import MainWindow
from views.metrics_view import MetricsView

NOW = clock.demo_now()


def open_metrics(qtbot: QtBot, workspace: Workspace, window: MainWindow | None = None) -> MetricsView:
    window = window or open_window(qtbot, workspace)
    assert window.metrics_view is None  # built only when first opened
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    view = window.metrics_view
    assert isinstance(view, MetricsView)
    assert window.stack.currentWidget() is view
    view.now = lambda: NOW
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.refresh()
    return view


def test_charts_show_the_cache_figures(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = open_metrics(qtbot, gui_workspace)
    assert view.data is not None
    with connect(gui_workspace.cache()) as conn:
        weekly = compliance(conn, view.current_filter(), "resolution", "week")
        by_unit = compliance(conn, view.current_filter(), "resolution", "unit")
    weekly_axes = view.charts["weekly"].figure.axes[0]
    assert [round(height) for _, _, height in bar_boxes(weekly_axes, "met")] == [c.met for c in weekly]
    assert view.charts["units"].figure.axes == []  # drawn when its tab is first shown, not before
    show_tab(view, "units")
    unit_axes = view.charts["units"].figure.axes[0]
    assert [t.get_text() for t in unit_axes.get_yticklabels()] == [c.key for c in by_unit]
    assert [t.get_text() for t in unit_axes.texts if t.get_gid() == "value"] == [
        f"{c.percent:.1f} % of {c.total:,}" for c in by_unit
    ]  # the value on each bar
    assert "data as of" in view.status.text()
    for name, chart in view.charts.items():
        show_tab(view, name)
        assert chart.figure.get_supxlabel().splitlines()[-1].startswith(f"Data as of {NOW:%d %b %Y}")
        save_shot(view, f"metrics-{name}")


def show_tab(view: MetricsView, name: str) -> None:
    view.tabs.setCurrentIndex(list(view.charts).index(name))
    assert view.tabs.tabText(view.tabs.currentIndex()) == charts.CHARTS[name][0]


def test_a_unit_filter_narrows_every_chart(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = open_metrics(qtbot, gui_workspace)
    qtbot.waitUntil(lambda: view.unit.count() > 1, timeout=10_000)
    everyone = view.data
    assert everyone is not None
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.unit.setCurrentText("DXB-HQ")
    narrowed = view.data
    assert narrowed is not None
    assert narrowed.filter.units == ("DXB-HQ",)
    assert [c.key for c in narrowed.by_unit] == ["DXB-HQ"]
    assert narrowed.backlog.open <= everyone.backlog.open
    assert sum(c.total for c in narrowed.weekly) < sum(c.total for c in everyone.weekly)


def test_charts_save_as_png_svg_and_pdf(qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path) -> None:
    view = open_metrics(qtbot, gui_workspace)
    heads = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}
    for suffix, head in heads.items():
        saved = view.save_chart(str(tmp_path / f"chart{suffix}"))
        assert saved.read_bytes().startswith(head)
    assert view.save_chart(str(tmp_path / "no-suffix")).suffix == ".png"


def bar_boxes(ax: Axes, gid: str) -> list[tuple[float, float, float]]:
    """(x centre, bottom, height) of each bar of the collection ``gid``, in data units."""
    bars = next(c for c in ax.collections if c.get_gid() == gid)
    boxes = []
    for path in bars.get_paths():
        box = path.get_extents()
        boxes.append(((box.x0 + box.x1) / 2, box.y0, box.height))
    return boxes


def click_at(qtbot: QtBot, chart: FigureCanvasQTAgg, ax: Axes | Any, x: float, y: float) -> None:
    """A left click at data point (x, y), in widget coordinates (matplotlib counts from the bottom)."""
    chart.draw()
    px, py = ax.transData.transform((x, y))
    ratio = chart.device_pixel_ratio
    qtbot.mouseClick(
        chart, Qt.MouseButton.LeftButton, pos=QPoint(round(px / ratio), round(chart.height() - py / ratio))
    )


def click_artist(qtbot: QtBot, chart: FigureCanvasQTAgg, artist: Rectangle) -> None:
    box = artist.get_bbox()
    click_at(qtbot, chart, artist.axes, (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)


def test_a_click_on_a_bar_lists_its_tickets_and_opens_one(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = open_metrics(qtbot, gui_workspace)
    assert view.data is not None
    busiest = max(view.data.weekly, key=lambda c: c.missed)
    assert busiest.missed > 0
    week_start = date.fromisoformat(busiest.key)
    weekly = view.charts["weekly"]
    ax = weekly.figure.axes[0]
    x, bottom, height = bar_boxes(ax, "missed")[[c.key for c in view.data.weekly].index(busiest.key)]
    with qtbot.waitSignal(view.drill_opened, timeout=10_000) as opened:
        click_at(qtbot, weekly, ax, x, bottom + height / 2)
    dialog = opened.args[0]
    assert isinstance(dialog, DrillDialog)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    # The list is exactly the tickets whose resolution clock was missed that week, from SQL.
    start = datetime.combine(week_start, datetime.min.time(), UTC)
    with connect(gui_workspace.cache()) as conn:
        expected = set(
            conn.execute(
                select(Ticket.number).where(
                    Ticket.resolved_at >= max(start, view.data.filter.start_at),
                    Ticket.resolved_at < start + timedelta(days=7),
                    Ticket.resolution_state == SlaState.MISSED,
                )
            ).scalars()
        )
    shown = {dialog.model.rows[r][0] for r in range(dialog.model.rowCount())}
    assert shown == expected
    assert len(shown) == busiest.missed
    assert "Enter opens one" in dialog.caption.text()
    save_shot(dialog, "metrics-drill")
    first = dialog.model.rows[0][0]
    with qtbot.waitSignal(view.sla_opened, timeout=10_000) as opened_sla:
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    sla = opened_sla.args[0]
    assert isinstance(sla, SlaDialog)
    assert dialog.isVisible()  # the list stays open behind the ticket's SLA: Enter is not its Close
    with qtbot.waitSignal(sla.loaded, timeout=20_000):
        pass
    states = {sla.clocks.rows[r][0]: sla.clocks.rows[r][1] for r in range(sla.clocks.rowCount())}
    assert states["resolution"] == "breached"
    assert first in sla.windowTitle()
    assert sla.timeline.rowCount() >= 2
    save_shot(sla, "metrics-sla-evidence")


def test_a_click_on_a_unit_bar_lists_that_unit(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = open_metrics(qtbot, gui_workspace)
    show_tab(view, "units")
    chart = view.charts["units"]
    bar = next(p for p in chart.figure.axes[0].patches if isinstance(p, Rectangle) and p.get_gid() == "DXB-HQ")
    with qtbot.waitSignal(view.drill_opened, timeout=10_000) as opened:
        click_artist(qtbot, chart, bar)
    dialog = opened.args[0]
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    units = {dialog.model.rows[r][3] for r in range(dialog.model.rowCount())}
    assert units == {"DXB-HQ"}
    assert view.data is not None
    unit = next(c for c in view.data.by_unit if c.key == "DXB-HQ")
    assert dialog.model.rowCount() == unit.total


def test_a_super_user_sees_only_their_units_in_the_charts(qtbot: QtBot, gui_workspace: Workspace) -> None:
    units = become_super_user(gui_workspace)
    window = open_window(qtbot, gui_workspace)
    qtbot.waitUntil(lambda: window.actor is not None, timeout=20_000)
    view = open_metrics(qtbot, gui_workspace, window)
    assert view.data is not None
    assert {c.key for c in view.data.by_unit} <= units
    assert view.data.by_unit
    qtbot.waitUntil(lambda: view.unit.count() > 1, timeout=10_000)
    assert {view.unit.itemText(i) for i in range(1, view.unit.count())} == units


def test_a_priority_chosen_by_name_narrows_the_charts_and_a_point_lists_its_four_weeks(
    qtbot: QtBot, gui_workspace: Workspace
) -> None:
    view = open_metrics(qtbot, gui_workspace)
    assert [view.priority.itemText(i) for i in range(view.priority.count())] == [
        "All", "Critical", "High", "Medium", "Low",
    ]  # fmt: skip
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.priority.setCurrentText("High")
    data = view.data
    assert data is not None
    assert data.filter.priorities == ("high",)
    show_tab(view, "priorities")
    chart = view.charts["priorities"]
    (ax,) = chart.figure.axes  # one strip: the chosen priority's
    line = next(a for a in ax.lines if a.get_gid() == "high")
    y = np.asarray(line.get_ydata(), dtype=float)
    last = int(np.flatnonzero(np.isfinite(y))[-1])
    with qtbot.waitSignal(view.drill_opened, timeout=10_000) as opened:
        click_at(qtbot, chart, ax, float(np.asarray(line.get_xdata())[last]), y[last])
    dialog = opened.args[0]
    assert isinstance(dialog, DrillDialog)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    point = rolling(data.weekly_by_priority["high"], weeks_of(data.filter))[last]
    assert dialog.model.rowCount() == point.rolling.total  # the clocks of the share at that point
    assert {dialog.model.rows[r][1] for r in range(dialog.model.rowCount())} == {"High"}
    assert "4 weeks to" in dialog.windowTitle()
    save_shot(view, "metrics-priorities-high")
    save_shot(dialog, "metrics-drill-priority")
