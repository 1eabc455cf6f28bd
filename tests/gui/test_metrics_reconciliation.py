"""The metrics view's Reconciliation page: empty until tickets with their tool's SLA flag are imported, then the
per-priority table and a sample of disagreements, read again when an import lands, and exported as CSV."""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from console.access import load_actor
from console.desk import Desk
from console.imports.reconcile import reconciliation_csv
from console.imports.write import ImportOptions
from console.store.database import connect
from console.store.workspace import Workspace
from models import Role, User
from tests.gui.drive import open_window, save_shot
from views.metrics_reconciliation import ReconciliationPage
from views.metrics_view import MetricsView

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "servicenow_events.csv"
WAIT = 30_000


def manager_desk(workspace: Workspace) -> Desk:
    """A support manager's desk on the same cache (the window's own user may not import)."""
    with connect(workspace.cache()) as conn:
        login = conn.execute(select(User.login).where(User.role == Role.SUPPORT_MANAGER).order_by(User.login)).scalar()
        assert login is not None
        return Desk(workspace, load_actor(conn, login))


def test_the_page_shows_the_table_after_an_import(qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path) -> None:
    window = open_window(qtbot, gui_workspace)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    view = window.metrics_view
    assert isinstance(view, MetricsView)
    page = view.reconciliation
    assert isinstance(page, ReconciliationPage)
    view.resize(1060, 700)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):  # read when first shown
        view.tabs.setCurrentWidget(page)
    assert view.tabs.tabText(view.tabs.currentIndex()) == "Reconciliation"
    assert not view.save_button.isEnabled()  # a chart's button; the page has its own export
    assert page.table.rows == []
    assert page.status.text().startswith("No imported ticket carries its tool's SLA flag yet.")
    assert not page.export_button.isEnabled()

    # A manager imports a ServiceNow log (here through the window's runner, as the wizard does): the page, shown,
    # reads again.
    desk = manager_desk(gui_workspace)
    options = ImportOptions(time_zone="Asia/Dubai")
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        window.runner.op(desk.import_files, [str(EVENTS)], options).run()
    expected = desk.reconciliation()
    assert page.table.columns == expected.table()[0]
    assert page.table.rows == expected.table()[1]
    assert [row[0] for row in page.table.rows] == ["Critical", "High", "Medium", "Low", "All"]
    assert page.table.rows[-1][1:] == ["4", "4", "3", "2", "3", "75.0"]
    assert page.status.text() == "3 of 4 compared tickets agree; 1 disagree."
    assert [row[:4] for row in page.sample.rows] == [["INC0000052", "Critical", "met", "not met"]]
    assert page.sample.rows[0][4].startswith("The file gives no resolution time")
    save_shot(view, "wizard-5-reconciliation")

    with qtbot.waitSignal(page.exported, timeout=WAIT) as saved:
        page.export(str(tmp_path / "reconciliation"))
    written = saved.args[0]
    assert written == tmp_path / "reconciliation.csv"
    assert page.found is not None
    out = io.StringIO(newline="")
    reconciliation_csv(page.found, out)  # what is shown (its explanations say "as of" the minute it was read)
    assert written.read_bytes() == "\ufeff".encode() + out.getvalue().encode()
    assert page.status.text() == f"Saved to {written}."

    view.tabs.setCurrentIndex(0)  # back to a chart: its button is back
    assert view.save_button.isEnabled()


def test_an_import_while_the_page_is_hidden_is_read_when_it_is_shown(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    view = window.metrics_view
    assert isinstance(view, MetricsView)
    page = view.reconciliation
    desk = manager_desk(gui_workspace)
    with qtbot.waitSignal(window.runner.edited, timeout=WAIT):
        window.runner.op(desk.import_files, [str(EVENTS)], ImportOptions(time_zone="Asia/Dubai")).run()
    assert page.found is None  # not shown yet: nothing read
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        view.tabs.setCurrentWidget(page)
    assert page.table.rows[-1][:2] == ["All", "4"]
    assert page.export_button.isEnabled()
