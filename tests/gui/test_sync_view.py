"""Sync in the window: it runs by itself once the queue is up, pushes an edit, shows offline as a state
(no dialog), and the connection dialog tests a shared database before saving it."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from console.database import make_engine
from console.sync.client import SyncState
from console.workspace import Workspace
from models import Comment
from tests.gui.drive import open_window, save_shot
from tests.gui.test_queue_view import open_first_ticket
from views.errors import CrashDialog
from views.sync_view import ConnectionDialog
from views.ticket_view import TicketView


def write_note(ticket: TicketView, text: str) -> None:
    ticket.compose.setPlainText(text)
    ticket.internal.setChecked(True)
    ticket.add_note()


def next_sync(qtbot: QtBot, window: object, act: object = None) -> SyncState:
    with qtbot.waitSignal(window.synced, timeout=30_000) as done:  # type: ignore[attr-defined]
        act() if callable(act) else None
    state: SyncState = done.args[0]
    return state


def test_an_edit_is_pushed_in_the_background_and_offline_is_only_a_state(
    qtbot: QtBot, gui_workspace: Workspace
) -> None:
    gui_workspace.settings.set("sync_automatically", True)
    window, _view, _first, ticket = open_first_ticket(qtbot, gui_workspace)
    state = window.sync.state if window.sync is not None and window.sync.state else next_sync(qtbot, window)
    assert state.online, state.message
    assert window.status_sync.text().startswith("Online · synced")

    state = next_sync(qtbot, window, lambda: write_note(ticket, "Asked the bank for the payment file."))
    assert state.online
    assert state.pending == 0
    shared = make_engine(gui_workspace.shared_url())
    with shared.connect() as conn:
        noted = conn.execute(
            select(func.count()).where(Comment.body == "Asked the bank for the payment file.")
        ).scalar_one()
    shared.dispose()
    assert noted == 1

    # The server goes away: the window says so in the status bar, keeps the edit, and opens no dialog.
    gui_workspace.settings.set("shared_url", "postgresql://nobody@127.0.0.1:1/support")
    state = next_sync(qtbot, window, lambda: write_note(ticket, "Written on the train."))
    assert not state.online
    assert state.pending == 1
    assert window.status_sync.text().startswith("Offline")
    assert "1 pending" in window.status_sync.text()
    assert "Cannot reach" in window.status_sync.toolTip()
    assert window.findChild(QMessageBox) is None
    assert window.findChild(CrashDialog) is None
    save_shot(window, "sync-offline")


def test_the_connection_dialog_tests_before_it_saves(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    dialog = window.open_connection()
    assert isinstance(dialog, ConnectionDialog)
    dialog.url.setText(f"sqlite:///{gui_workspace.default_shared_path}")
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as tested:
        dialog.test_button.click()
    assert tested.args[0].startswith("Connected to SQLite file")
    dialog.login.setText("no.such.person")
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as tested:
        dialog.test_button.click()
    assert "No user 'no.such.person'" in tested.args[0]
    dialog.url.setText("postgresql://nobody@127.0.0.1:1/support")
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as tested:
        dialog.test_button.click()
    assert "Cannot reach" in tested.args[0]
    save_shot(dialog, "connection-dialog")
    dialog.reject()
