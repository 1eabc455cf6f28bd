"""Sync in the window: it runs by itself once the queue is up, pushes an edit, shows offline as a state
(no dialog), and the connection dialog tests a shared database before saving it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, update

from console.changes import service as changes
from console.store.database import make_engine
from console.store.workspace import Workspace
from console.sync import seed_build
from console.sync.client import SyncState
from console.tickets import edits
from console.tickets import service as tickets
from models import (
    BusinessUnit,
    ChangeRequest,
    ChangeType,
    Comment,
    ErpModule,
    Role,
    SyncConflict,
    Ticket,
    User,
    new_id,
    table_of,
)
from tests import clock
from tests.gui.drive import open_window, save_shot
from tests.gui.test_queue_view import open_first_ticket
from views.errors import CrashDialog
from views.main_window import MainWindow
from views.sync_view import ConflictsDialog, ConnectionDialog
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


def test_a_conflict_is_resolved_from_the_conflicts_panel(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window, _view, first, _ticket = open_first_ticket(qtbot, gui_workspace)
    me = window.actor
    assert me is not None
    shared = make_engine(gui_workspace.shared_url())
    with shared.connect() as conn:
        row = conn.execute(select(table_of(Ticket)).where(Ticket.id == first.id)).one()
        someone = (
            conn.execute(
                select(User.id).where(
                    User.id.not_in([me.id, row.assignee_id] if row.assignee_id else [me.id]),  # a real reassignment
                    User.role == Role.FUNCTIONAL_CONSULTANT,
                    User.active,
                )
            )
            .scalars()
            .first()
        )
        module = conn.execute(select(ErpModule.id).limit(1)).scalar_one()
        unit = conn.execute(select(BusinessUnit.id).limit(1)).scalar_one()
    # A change I requested, synced; then I retitle it here while, on the shared database, it is retitled too.
    with gui_workspace.cache().begin() as conn:
        number = changes.new_change_number(conn, gui_workspace.client_id)
    request = changes.NewChange(
        new_id(),
        number,
        "Bank file format",
        ChangeType.NORMAL,
        frozenset({module}),
        frozenset({unit}),
        reason="New bank",
    )
    changes.execute_change(gui_workspace.cache(), me, request)
    assert window.sync is not None
    next_sync(qtbot, window, window.sync.sync_now)
    retitle = changes.EditChange(request.change_id, "title", "Bank file format v2", "Bank file format")
    changes.execute_change(gui_workspace.cache(), me, retitle)
    # I take the ticket here while, on the shared database, it is given to someone else.
    tickets.execute(gui_workspace.cache(), me, [edits.assign(first.id, me.id, base=row.assignee_id)], clock.now())
    with shared.begin() as conn:
        conn.execute(update(table_of(Ticket)).where(Ticket.id == first.id).values(assignee_id=someone))
        conn.execute(
            update(table_of(ChangeRequest)).where(ChangeRequest.id == request.change_id).values(title="Bank format")
        )
    state = next_sync(qtbot, window, window.sync.sync_now)
    assert state.conflicts == 2
    assert "2 conflicts" in window.status_sync.text()

    dialog = window.open_conflicts()
    assert isinstance(dialog, ConflictsDialog)
    qtbot.waitUntil(lambda: len(dialog.conflicts) == 2, timeout=20_000)
    assert [r[:2] for r in dialog.rows.rows] == [[number, "title"], [first.number, "assignee"]]
    assert dialog.rows.rows[0][3:5] == ["Bank file format v2", "Bank format"]
    assert dialog.rows.rows[1][3] == me.display_name
    save_shot(dialog, "conflicts")
    with qtbot.waitSignal(dialog.listed, timeout=20_000) as listed:
        dialog.theirs_button.click()  # the change: theirs
    assert listed.args == [1]
    with qtbot.waitSignal(dialog.listed, timeout=20_000) as listed:
        dialog.mine_button.click()  # the ticket: mine
    assert listed.args == [0]
    state = next_sync(qtbot, window, window.sync.sync_now)
    assert state.conflicts == 0
    with shared.connect() as conn:
        assert conn.execute(select(Ticket.assignee_id).where(Ticket.id == first.id)).scalar_one() == me.id
        title = select(ChangeRequest.title).where(ChangeRequest.id == request.change_id)
        assert conn.execute(title).scalar_one() == "Bank format"
        resolutions = select(SyncConflict.entity_table, SyncConflict.resolution).order_by(SyncConflict.created_at)
        assert conn.execute(resolutions).all() == [("change_requests", "theirs"), ("tickets", "mine")]
    dialog.reject()

    # An edit the shared database refuses: counted in the status bar, listed with its reason until dismissed.
    tickets.execute(gui_workspace.cache(), me, [edits.assign(first.id, someone, base=me.id)], clock.now())
    with shared.begin() as conn:
        conn.execute(update(table_of(User)).where(User.id == someone).values(active=False))
    state = next_sync(qtbot, window, window.sync.sync_now)
    assert state.refused == 1
    assert "1 refused" in window.status_sync.text()
    panel = window.open_conflicts()
    assert isinstance(panel, ConflictsDialog)
    qtbot.waitUntil(lambda: len(panel.notices) == 1, timeout=20_000)
    assert first.number in panel.refusals.rows[0][1]
    assert "deactivated" in panel.refusals.rows[0][1]
    save_shot(panel, "refused")
    with qtbot.waitSignal(panel.refusals_listed, timeout=20_000) as listed:
        panel.dismiss_button.click()
    assert listed.args == [0]
    state = next_sync(qtbot, window, window.sync.sync_now)
    assert state.refused == 0
    assert "refused" not in window.status_sync.text()
    with gui_workspace.cache().connect() as conn:  # the cache holds what the shared database holds
        assert conn.execute(select(Ticket.assignee_id).where(Ticket.id == first.id)).scalar_one() == me.id
    shared.dispose()
    panel.reject()


@pytest.mark.parametrize("seeded", [False, True], ids=["row-by-row", "from-a-seed"])
def test_a_new_desk_downloads_its_data_when_the_window_opens(
    qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path, seeded: bool
) -> None:
    """A desk just connected: an empty cache and the team's shared database. The window downloads
    first, saying what it is doing, then opens on the data; with a ready-made cache of one unit, that
    unit arrives whole and the others row by row."""
    if seeded:
        team_db = make_engine(gui_workspace.shared_url())
        seed_build.build(team_db, "DXB-HQ", tmp_path)
        team_db.dispose()
    desk = Workspace.open(tmp_path / "new-desk")
    desk.settings.set("shared_url", gui_workspace.shared_url().render_as_string(hide_password=False))
    desk.settings.set("user", str(gui_workspace.settings.get("user")))
    desk.settings.set("sync_automatically", False)
    window = MainWindow(desk)
    qtbot.addWidget(window)
    window.show()
    steps: list[str] = []
    window.first_download.connect(lambda step: steps.append(f"{step} | {window.status_sync.text()}"))
    if seeded:

        def shot(step: str) -> None:
            if step.startswith("Installing"):
                save_shot(window, "new-desk-seed")

        window.first_download.connect(shot)
    with qtbot.waitSignal(window.summary_loaded, timeout=60_000):
        window.load()
    if seeded:
        assert any(s.startswith("Downloading the ready-made cache of DXB-HQ (") for s in steps), steps
        assert any(s.startswith("Installing the cache of DXB-HQ…") for s in steps), steps
        assert not any(s.startswith("Downloading DXB-HQ…") for s in steps), steps
        assert any(s.startswith("Downloading ") and "ready-made" not in s for s in steps), steps  # other units
    else:
        assert any(s.startswith("Downloading DXB-HQ…") for s in steps), steps
    assert any(s.startswith("Indexing for search and metrics…") for s in steps), steps
    assert window.queue_view is not None
    qtbot.waitUntil(lambda: window.queue_view is not None and window.queue_view.model.rowCount() > 0, timeout=20_000)
    with desk.cache().connect() as conn, make_engine(desk.shared_url()).connect() as shared:
        count = select(func.count()).select_from(Ticket)
        assert conn.execute(count).scalar_one() == shared.execute(count).scalar_one() > 0
    desk.close()


def test_a_new_desk_that_cannot_reach_the_shared_database_says_so_then_connects(
    qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path
) -> None:
    desk = Workspace.open(tmp_path / "offline-desk")
    desk.settings.set("shared_url", "postgresql://nobody@127.0.0.1:1/support")
    desk.settings.set("user", "nobody")
    window = MainWindow(desk)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.load_failed, timeout=30_000) as failed:
        window.load()
    assert "has not downloaded its data yet" in str(failed.args[0])
    assert "Cannot reach postgresql://nobody@127.0.0.1:1/support" in str(failed.args[0])
    save_shot(window, "new-desk-offline")
    # File → Shared database…: the right server this time, and the desk opens, downloading first.
    dialog = window.open_connection()
    assert isinstance(dialog, ConnectionDialog)
    dialog.url.setText(gui_workspace.shared_url().render_as_string(hide_password=False))
    dialog.login.setText(str(gui_workspace.settings.get("user")))
    with qtbot.waitSignal(window.summary_loaded, timeout=60_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert window.actor is not None
    assert window.actor.login == gui_workspace.settings.get("user")
    desk.close()
