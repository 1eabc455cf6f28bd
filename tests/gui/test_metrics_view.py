"""The metrics view driven as a manager would: open it, filter, save a chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from matplotlib.patches import Rectangle
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.database import connect
from console.metrics import compliance
from console.workspace import Workspace
from tests.gui.drive import open_window, save_shot
from views.metrics_view import MetricsView

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def open_metrics(qtbot: QtBot, workspace: Workspace) -> MetricsView:
    window = open_window(qtbot, workspace)
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
    met_bars = [p for p in weekly_axes.patches if isinstance(p, Rectangle) and p.get_gid() == "met"]
    assert [round(p.get_height()) for p in met_bars] == [c.met for c in weekly]
    unit_axes = view.charts["units"].figure.axes[0]
    assert [t.get_text() for t in unit_axes.get_yticklabels()] == [c.key for c in by_unit]
    assert "data as of" in view.status.text()
    for chart in view.charts.values():
        assert chart.figure.get_suptitle().startswith("data as of 23 Nov 2026")
    save_shot(view, "metrics-weekly")
    view.tabs.setCurrentIndex(1)
    save_shot(view, "metrics-units")


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
