"""The main window driven as a person would: navigation, status bar, About, errors."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, text

import console
from console.journal.touched import reads
from console.store import summary as summary_module
from console.store.database import make_engine, sqlite_url
from console.store.workspace import Workspace
from models import ChangeRequest, Ticket, TicketStatus
from tests.gui.drive import open_window, save_shot
from views.about import AboutDialog
from views.errors import CrashDialog
from views.main_window import MainWindow


def db_counts(workspace: Workspace) -> dict[str, int]:
    engine = make_engine(sqlite_url(workspace.cache_path))
    try:
        with engine.connect() as conn:
            open_statuses = [s for s in TicketStatus if s.is_open]
            return {
                "tickets": conn.execute(select(func.count()).select_from(Ticket)).scalar_one(),
                "open": conn.execute(select(func.count()).where(Ticket.status.in_(open_statuses))).scalar_one(),
                "changes": conn.execute(select(func.count()).select_from(ChangeRequest)).scalar_one(),
            }
    finally:
        engine.dispose()


def test_window_shows_the_views_with_the_cache_figures(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    counts = db_counts(gui_workspace)
    titles = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert titles == ["Ticket queue", "Ticket detail", "Change approval", "Metrics", "Problems", "Knowledge"]
    assert window.current_view() == "queue"
    assert window.queue_view is not None
    assert window.stack.currentWidget() is window.queue_view
    qtbot.waitUntil(lambda: window.queue_view is not None and window.queue_view.count.text().endswith("tickets"))
    assert window.queue_view.count.text() == f"{counts['open']:,} tickets"  # the open queue by default
    assert window.status_cache.text() == f"Cache: {counts['tickets']:,} tickets"
    save_shot(window, "main-window-queue")


def test_keyboard_moves_between_views(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    counts = db_counts(gui_workspace)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "changes"
    view = window.change_view
    assert view is not None
    # the first list read: "1 change", "3 changes" (a consultant asked to approve opens on awaiting my decision)
    qtbot.waitUntil(lambda: re.fullmatch(r"[\d,]+ changes?", view.count.text()) is not None, timeout=20_000)
    assert window.stack.currentWidget() is view
    with qtbot.waitSignal(view.listed, timeout=20_000) as listed:
        view.show_which.setCurrentIndex(2)  # all changes
    assert listed.args == [counts["changes"]]
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "metrics"
    qtbot.keyClick(window.navigation, Qt.Key.Key_Up)
    assert window.current_view() == "changes"
    save_shot(window, "main-window-changes")


def test_cache_is_read_off_the_ui_thread(
    qtbot: QtBot, gui_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = summary_module.summarize_workspace

    def spy(workspace: Workspace) -> summary_module.WorkspaceSummary:
        threads.append(threading.current_thread())
        return real(workspace)

    monkeypatch.setattr("views.main_window.summarize_workspace", spy)
    open_window(qtbot, gui_workspace)
    assert threads
    assert threads[0] is not threading.main_thread()


def test_about_dialog_opens_with_f1(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert f"Support Console {console.__version__}" in dialog.text.text()
    assert str(gui_workspace.cache_path) in dialog.text.text()
    save_shot(dialog, "about")
    dialog.reject()


def test_a_cache_from_a_newer_version_is_refused_and_left_alone(qtbot: QtBot, gui_workspace: Workspace) -> None:
    engine = make_engine(sqlite_url(gui_workspace.cache_path))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    before = Path(gui_workspace.cache_path).read_bytes()
    window = MainWindow(gui_workspace)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.load_failed, timeout=20_000):
        window.load()
    box = window.findChild(QMessageBox, "error-message")
    assert box is not None
    assert "newer version" in box.text()
    assert window.status_cache.text() == "Cache: unavailable"
    for row in range(window.stack.count()):
        waiting = window.stack.widget(row)
        assert isinstance(waiting, QLabel)
        assert "newer version" in waiting.text()
    assert Path(gui_workspace.cache_path).read_bytes() == before
    box.accept()


def test_a_bug_in_background_work_opens_a_crash_report(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)

    def broken() -> None:
        raise ZeroDivisionError("a bug")

    with qtbot.waitSignal(window.runner.unhandled_failure, timeout=10_000):
        window.runner.op(broken, label="Breaking").run()
    dialog = window.findChild(CrashDialog)
    assert dialog is not None
    assert "ZeroDivisionError: a bug" in dialog.report
    assert dialog.saved_to is not None
    assert dialog.saved_to.read_text(encoding="utf-8") == dialog.report
    dialog.reject()


def test_window_size_is_remembered(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    window.resize(720, 520)
    window.close()
    again = MainWindow(gui_workspace)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (720, 520)
    assert QApplication.instance() is not None


def test_closing_waits_for_a_write_under_way_never_for_a_read(
    qtbot: QtBot, gui_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, gui_workspace)
    reading, release, read_over = threading.Event(), threading.Event(), threading.Event()
    writing, go, written = threading.Event(), threading.Event(), threading.Event()
    answers: list[str] = []

    @reads
    def long_read() -> str:  # a queue page on a very big cache, say
        reading.set()
        release.wait()
        read_over.set()
        return "read"

    def write() -> str:  # a sync pass, say
        writing.set()
        go.wait()
        written.set()
        return "written"

    window.runner.op(long_read, label="Reading…").success(answers.append).run()
    window.runner.op(write, label="Writing…").success(answers.append).run_io()
    qtbot.waitUntil(lambda: reading.is_set() and writing.is_set(), timeout=20_000)
    shut_down: list[bool] = []
    real_shutdown = window.runner.shutdown

    def shutdown(timeout_ms: int = 5000) -> bool:
        go.set()  # the write may end now, while the window closes
        shut_down.append(real_shutdown(timeout_ms))
        return shut_down[-1]

    monkeypatch.setattr(window.runner, "shutdown", shutdown)
    try:
        window.close()
        assert shut_down == [True]  # no write left running when the window closed ...
        assert written.is_set()  # ... the write under way finished first
        assert not read_over.is_set()  # while the read was not waited for
        assert not window.isVisible()
    finally:
        release.set()
    qtbot.waitUntil(read_over.is_set, timeout=5_000)
    QApplication.processEvents()  # whatever the workers sent arrives
    assert answers == []  # nobody is told an answer after the window closed


def test_a_damaged_cache_is_named_and_repaired_from_the_window(qtbot: QtBot, gui_workspace: Workspace) -> None:
    tickets = db_counts(gui_workspace)["tickets"]
    cache = Path(gui_workspace.cache_path)
    gui_workspace.close()
    for suffix in ("-wal", "-shm"):
        cache.with_name(cache.name + suffix).unlink(missing_ok=True)
    cache.write_bytes(b"not a database, " * 512)
    window = MainWindow(gui_workspace)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    with qtbot.waitSignal(window.load_failed, timeout=20_000):
        window.load()
    box = next(b for b in window.findChildren(QMessageBox) if b.windowTitle() == "The local cache is damaged")
    assert "Your local cache is damaged" in box.text()
    assert "not a SQLite database" in box.text()
    assert window.findChild(QMessageBox, "error-message") is None  # no crash report for a damaged cache
    save_shot(box, "damaged-cache")
    repair_button = next(b for b in box.buttons() if b.text() == "Repair now")
    with qtbot.waitSignal(window.desk_ready, timeout=60_000):
        repair_button.click()
    assert db_counts(gui_workspace)["tickets"] == tickets  # downloaded again from the shared file
    aside = list((gui_workspace.home / "backups").glob("damaged-cache-*/cache.sqlite3"))
    assert [p.read_bytes() for p in aside] == [b"not a database, " * 512]
    said = window.findChild(QMessageBox, "repaired")
    assert said is not None
    assert "The damaged cache is in" in said.text()
    assert "list of edits not yet synced could not be read" in said.text()  # the whole file was overwritten
    save_shot(said, "cache-repaired")
