"""File → Import… driven as a support manager would: pick a ServiceNow export, check the preview, choose its time
zone, dry run, import, stop an import half-way, and a broken export refused; checked against the cache."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from console.imports.write import ImportOptions
from console.store.database import connect
from console.store.workspace import Workspace
from models import OutboxEntry, Role, Ticket, User
from tests.gui.drive import open_window, save_shot
from views.import_preview import PreviewPage
from views.import_run import RunPage
from views.import_wizard import ImportWizard
from views.main_window import MainWindow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
EVENTS = FIXTURES / "servicenow_events.csv"
BROKEN = FIXTURES / "servicenow_events_broken.csv"
WAIT = 30_000
# The time zone list's popup, as a person types a zone, asks the offscreen platform for the keyboard.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")


def as_manager(workspace: Workspace) -> str:
    """Work as the demo's first support manager (the desk's own user may not import); their login."""
    with connect(workspace.cache()) as conn:
        login = (
            conn.execute(
                select(User.login).where(User.role == Role.SUPPORT_MANAGER, User.active.is_(True)).order_by(User.login)
            )
            .scalars()
            .first()
        )
    assert login is not None
    workspace.settings.set("user", login)
    return str(login)


def imported(workspace: Workspace, source: str = "servicenow") -> int:
    with connect(workspace.cache()) as conn:
        return int(
            conn.execute(select(func.count()).select_from(Ticket).where(Ticket.source_system == source)).scalar_one()
        )


def outbox(workspace: Workspace) -> int:
    with connect(workspace.cache()) as conn:
        return int(conn.execute(select(func.count()).select_from(OutboxEntry)).scalar_one())


def open_wizard(qtbot: QtBot, window: MainWindow) -> ImportWizard:
    """File → Import… by its shortcut."""
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wizard = window.import_wizard
    assert isinstance(wizard, ImportWizard)
    qtbot.waitExposed(wizard)
    return wizard


def click(qtbot: QtBot, button: QAbstractButton | None) -> None:
    assert button is not None
    assert button.isVisible(), button.text()
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def add_file(qtbot: QtBot, wizard: ImportWizard, path: Path) -> None:
    """Type the path and press Enter: it is listed (and the wizard does not move on)."""
    page = wizard.files_page
    qtbot.keyClicks(page.path, str(path))
    qtbot.keyClick(page.path, Qt.Key.Key_Return)
    assert str(path) in page.paths()
    assert wizard.currentPage() is page


def to_preview(qtbot: QtBot, wizard: ImportWizard) -> PreviewPage:
    page = wizard.preview_page
    with qtbot.waitSignal(page.previewed, timeout=WAIT):
        click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.currentPage() is page
    return page


def choose_zone(qtbot: QtBot, page: PreviewPage, zone: str) -> None:
    line = page.zone.lineEdit()
    assert line is not None
    line.setFocus()
    qtbot.keyClicks(line, zone)
    completer = page.zone.completer()
    assert completer is not None
    popup = completer.popup()
    assert popup is not None
    popup.hide()  # the list of zones found by the letters typed
    assert page.zone.zone() == zone


def dry_run(qtbot: QtBot, wizard: ImportWizard) -> RunPage:
    with qtbot.waitSignal(wizard.dry_page.done, timeout=WAIT):
        click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    return wizard.dry_page


def report(page: RunPage) -> str:
    return page.report.toPlainText()


def table(page: RunPage) -> list[list[str]]:
    return [list(row) for row in page.table.rows]


def prepared(
    qtbot: QtBot, workspace: Workspace, path: Path, zone: str = "Asia/Dubai"
) -> tuple[MainWindow, ImportWizard]:
    """A manager's window, the wizard on its preview of ``path`` with the time zone chosen."""
    as_manager(workspace)
    window = open_window(qtbot, workspace)
    wizard = open_wizard(qtbot, window)
    add_file(qtbot, wizard, path)
    page = to_preview(qtbot, wizard)
    choose_zone(qtbot, page, zone)
    return window, wizard


def test_a_servicenow_log_dry_run_then_imported(qtbot: QtBot, gui_workspace: Workspace) -> None:
    as_manager(gui_workspace)
    window = open_window(qtbot, gui_workspace)
    wizard = open_wizard(qtbot, window)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # no file yet
    add_file(qtbot, wizard, EVENTS)
    save_shot(wizard, "wizard-1-files")

    page = to_preview(qtbot, wizard)
    summary = page.summary.text()
    assert "UTF-8" in summary
    assert "ServiceNow incident event log" in summary
    headings = [page.table.headerData(c, Qt.Orientation.Horizontal) for c in range(page.table.columnCount())]
    assert "number\n→ ticket number" in headings
    assert "incident_state\n→ status" in headings
    assert "active\nnot read" in headings
    assert page.table.rowCount() == 20  # the first rows, as they are in the file
    assert page.table.rows[0][0] == "INC0000045"
    assert page.table.headerData(0, Qt.Orientation.Vertical) == "2"  # numbered as the problems name rows
    # The dates carry no zone: the zone is required before the dry run.
    assert "Required" in page.zone_note.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.waitUntil(lambda: page.unit.count() > 0, timeout=WAIT)
    assert page.unit.currentText() == "DXB-HQ"  # the first unit, the core's default
    choose_zone(qtbot, page, "Asia/Dubai")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    save_shot(wizard, "wizard-2-preview")
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.values.found is not None, timeout=WAIT)
    assert "Awaiting Problem" in page.values.combos["status"]
    assert page.values.combos["status"]["Awaiting Problem"].currentData() == "pending_change"
    save_shot(wizard, "wizard-2-values")
    page.tabs.setCurrentIndex(0)

    dry = dry_run(qtbot, wizard)
    assert report(dry).startswith("Would import 4 tickets from 22 rows in servicenow_events.csv")
    assert imported(gui_workspace) == 0  # a dry run writes nothing
    rows = table(dry)
    assert [row[0] for row in rows] == ["Critical", "High", "Medium", "Low", "All"]
    assert rows[-1][1] == "4"
    assert "INC0000052 (Critical): the source says met, we say not met." in report(dry)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "&Import"
    save_shot(wizard, "wizard-3-dry-run")

    before = outbox(gui_workspace)
    run = wizard.run_page
    with qtbot.waitSignal(run.done, timeout=WAIT) as ended:
        click(qtbot, commit)
    assert ended.args[0].report is not None
    assert report(run).startswith("Imported 4 tickets from 22 rows")
    assert run.progress.value() == run.progress.maximum()
    assert imported(gui_workspace) == 4
    assert outbox(gui_workspace) == before + 1  # one batch, one intent to sync
    assert table(run) == rows
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()  # done is done
    save_shot(wizard, "wizard-4-imported")
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.import_wizard is None, timeout=WAIT)  # closed, then deleted


def test_stop_half_way_keeps_nothing(qtbot: QtBot, gui_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    window, wizard = prepared(qtbot, gui_workspace, EVENTS)
    dry_run(qtbot, wizard)
    # Two tickets a batch, and the import held after its first batch until Stop is pressed: mid-way for sure.
    assert window.desk is not None
    real = window.desk.import_files
    held = threading.Event()

    def import_held(paths: list[str], options: ImportOptions, progress: Callable[[int, int], None],
                    cancelled: Callable[[], bool]) -> Any:  # fmt: skip
        def first_batch(rows: int, tickets: int) -> None:
            progress(rows, tickets)
            held.set()
            deadline = time.monotonic() + 20
            while not cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)

        return real(paths, dataclasses.replace(options, batch=2), progress=first_batch, cancelled=cancelled)

    monkeypatch.setattr(window.desk, "import_files", import_held)
    before = outbox(gui_workspace)
    run = wizard.run_page
    click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    qtbot.waitUntil(lambda: held.is_set() and run.progress.value() > 0, timeout=WAIT)
    assert "2 tickets so far" in run.status.text()
    save_shot(wizard, "wizard-4-running")
    with qtbot.waitSignal(run.done, timeout=WAIT) as ended:
        click(qtbot, run.stop_button)
    assert ended.args[0].stopped
    assert run.status.text() == "Stopped: nothing of this import was kept."
    assert imported(gui_workspace) == 0
    assert outbox(gui_workspace) == before
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    save_shot(wizard, "wizard-4-stopped")


def test_escape_during_an_import_stops_it_and_keeps_the_wizard(
    qtbot: QtBot, gui_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, wizard = prepared(qtbot, gui_workspace, EVENTS)
    page = wizard.dry_page
    assert window.desk is not None
    real = window.desk.import_files
    started = threading.Event()

    def slow(paths: list[str], options: ImportOptions, progress: Callable[[int, int], None],
             cancelled: Callable[[], bool]) -> Any:  # fmt: skip
        started.set()
        deadline = time.monotonic() + 20
        while not cancelled() and time.monotonic() < deadline:  # a long file, still being read
            time.sleep(0.01)
        return real(paths, options, progress=progress, cancelled=cancelled)

    monkeypatch.setattr(window.desk, "import_files", slow)
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(started.is_set, timeout=WAIT)
    with qtbot.waitSignal(page.done, timeout=WAIT):
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.isVisible()  # it stays, to say the run stopped
    assert page.status.text() == "Stopped: nothing of this import was kept."
    assert page.again_button.isVisible()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    monkeypatch.setattr(window.desk, "import_files", real)
    with qtbot.waitSignal(page.done, timeout=WAIT):
        click(qtbot, page.again_button)
    assert report(page).startswith("Would import 4 tickets")
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)  # nothing under way: Escape closes
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert imported(gui_workspace) == 0


def test_a_broken_export_is_refused_whole(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _window, wizard = prepared(qtbot, gui_workspace, BROKEN)
    page = wizard.preview_page
    assert page.stop.isChecked()  # on error: stop, the default
    dry = dry_run(qtbot, wizard)
    assert dry.status.text().startswith("Nothing was imported: 13 bad rows; 17 problems in all.")
    said = report(dry)
    assert "row 4 (INC0020001): sys_updated_at: '31-02-2016 10:00' names no real day or time" in said
    assert "Traceback" not in said
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert imported(gui_workspace) == 0
    save_shot(wizard, "wizard-3-refused")

    # Back: the unknown words mapped by hand, bad rows skipped: the rest would be imported.
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    assert wizard.currentPage() is page
    qtbot.waitUntil(lambda: page.values.found is not None, timeout=WAIT)
    whenever = page.values.combos["priority"]["6 - Whenever"]
    assert whenever.currentData() is None  # read as nothing: its rows would be left out
    whenever.setCurrentIndex(whenever.findData("low"))
    state = page.values.combos["status"]["-100"]
    state.setCurrentIndex(state.findData("in_progress"))
    assert page.values.changed() == {"priority": {"6 - Whenever": "low"}, "status": {"-100": "in_progress"}}
    click(qtbot, page.skip)
    dry = dry_run(qtbot, wizard)
    assert dry.status.text().startswith("Nothing was written")
    assert "11 bad rows" in report(dry)  # two fewer: the words now read
    assert "unknown" not in report(dry).lower() or "6 - Whenever" not in report(dry)
    assert imported(gui_workspace) == 0


def test_files_that_cannot_be_read_say_why(qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path) -> None:
    as_manager(gui_workspace)
    window = open_window(qtbot, gui_workspace)
    wizard = open_wizard(qtbot, window)
    files = wizard.files_page
    qtbot.keyClicks(files.path, str(tmp_path / "nowhere.csv"))
    qtbot.keyClick(files.path, Qt.Key.Key_Return)
    assert files.problem.text() == f"There is no file {tmp_path / 'nowhere.csv'}."
    assert files.paths() == []
    files.path.clear()
    add_file(qtbot, wizard, FIXTURES / "remedy.csv")  # another tool's columns, and no mapping file
    page = to_preview(qtbot, wizard)
    assert page.summary.text() == "remedy.csv cannot be imported as it is."
    assert page.problem.text().startswith("The columns of this file match no export we know")
    assert not page.options.isEnabled()
    assert page.zone_note.text() == ""
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    save_shot(wizard, "wizard-2-unknown")
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    files.mapping.setText(str(FIXTURES / "remedy.toml"))
    page = to_preview(qtbot, wizard)
    assert "read as a CSV described by the mapping file" in page.summary.text()
    assert "Not needed" in page.zone_note.text()  # the mapping names the zone
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_only_managers_import(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)  # the demo's own user: a functional consultant
    qtbot.waitUntil(lambda: window.import_action.isEnabled(), timeout=WAIT)
    box = window.open_import()
    assert isinstance(box, QMessageBox)
    assert box.text() == "Only support managers import tickets from another tool."
    assert "a functional consultant" in box.informativeText()
    assert window.import_wizard is None
    save_shot(box, "wizard-0-refused")
    box.close()
