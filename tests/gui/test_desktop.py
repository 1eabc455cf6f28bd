"""The window on the desktop: one per workspace, its title and status bar, the tray icon and its notifications."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QMenu
from pytestqt.qtbot import QtBot
from sqlalchemy import Select, func, select, update

from console.desk import BreachWatch
from console.store.database import connect
from console.store.workspace import Workspace
from console.tickets import queue
from console.tickets.queue import QueueFilter, Sort
from models import BusinessUnit, Ticket, TicketStatus, User
from tests import clock
from tests.gui.drive import become_super_user, open_window, save_shot
from tests.gui.test_queue_view import open_queue
from views.instance import LOCK_FILE, Instance
from views.look import APP_NAME
from views.main_window import MainWindow
from views.new_ticket import NewTicketDialog
from views.sync_view import ConnectionDialog
from views.tray import BreachTray, TrayActions, fill_menu

# --- one window per workspace ----------------------------------------------------------------------------------


def launch(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*clock.python_module("views.launch"), "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "SUPPORT_CONSOLE_TRACE": "1"},
    )


def test_a_second_launch_on_the_workspace_raises_the_first_window_and_leaves(qtbot: QtBot, tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    first = Instance(home)  # the window already open (in this process)
    assert first.claim() is None
    with qtbot.waitSignal(first.raise_requested, timeout=60_000):
        second = launch(home)
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)  # the first window answers meanwhile
    out, err = second.communicate()
    assert second.returncode == 0, err
    assert f"already open on {home} (process {os.getpid()}): its window is now in front" in out
    assert "painted" not in out  # it left before painting anything
    assert not (home / "cache.sqlite3").exists()  # ... and before opening the cache
    first.release()
    assert Instance(home).claim() is None  # released: the next launch has it


def test_a_holder_that_does_not_answer_is_named(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    home.mkdir()
    from PySide6.QtCore import QLockFile

    held = QLockFile(str(home / LOCK_FILE))  # a window still starting: the lock taken, nobody listening yet
    assert held.tryLock(0)
    holder = Instance(home).claim()
    assert holder is not None
    assert not holder.raised
    assert holder.pid == os.getpid()
    assert f"in process {os.getpid()}" in holder.message()
    assert "did not answer" in holder.message()
    held.unlock()


CRASH = """
import os, signal, sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from views.instance import Instance
app = QCoreApplication([])
held = Instance(Path(sys.argv[1]))
assert held.claim() is None
os.kill(os.getpid(), signal.SIGKILL)  # a crash: neither the lock nor the socket is cleaned up
"""


def test_a_lock_left_by_a_crashed_window_does_not_block(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, str(home)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=clock.ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert (home / LOCK_FILE).exists()
    instance = Instance(home)
    assert instance.claim() is None
    assert instance.server is not None
    assert instance.server.isListening()
    instance.release()


# --- the title and the status bar ----------------------------------------------------------------------------------


def test_the_title_names_the_person_and_the_app_once(qtbot: QtBot, gui_workspace: Workspace) -> None:
    login = str(gui_workspace.settings.get("user"))
    window = MainWindow(gui_workspace)
    qtbot.addWidget(window)
    assert window.windowTitle() == f"{login} — {APP_NAME}"  # before the cache is open
    window.show()
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        window.load()
    assert window.actor is not None
    title = window.windowTitle()
    assert title == f"{window.actor.display_name} — {APP_NAME}"
    assert title.count(APP_NAME) == 1
    assert title.endswith(APP_NAME)  # so Qt does not add the display name again on Linux and Windows


def test_the_status_bar_counts_a_ticket_logged_in_the_window(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window, view = open_queue(qtbot, gui_workspace)
    with connect(gui_workspace.cache()) as conn:
        before = conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
    assert window.status_cache.text() == f"Cache: {before:,} tickets"
    qtbot.waitUntil(lambda: bool(view.choices.units), timeout=10_000)
    dialog = window.open_new_ticket()
    assert isinstance(dialog, NewTicketDialog)
    qtbot.keyClicks(dialog.title, "Goods receipt posts to the wrong plant")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: window.status_cache.text() == f"Cache: {before + 1:,} tickets", timeout=20_000)
    save_shot(window, "status-bar-after-logging")


def test_switching_user_opens_the_window_as_them(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    assert window.actor is not None
    first_person = window.actor.login
    units = become_super_user(gui_workspace)
    super_user = str(gui_workspace.settings.get("user"))
    gui_workspace.settings.set("user", first_person)
    with connect(gui_workspace.cache()) as conn:
        theirs = conn.execute(
            select(func.count()).select_from(Ticket).where(Ticket.business_unit_id.in_(units_of(units)))
        ).scalar_one()
        name = conn.execute(select(User.display_name).where(User.login == super_user)).scalar_one()
    dialog = window.open_connection()
    assert isinstance(dialog, ConnectionDialog)
    dialog.login.setText(super_user)
    with qtbot.waitSignal(window.desk_ready, timeout=30_000) as ready:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert ready.args[0].login == super_user
    assert window.windowTitle() == f"{name} — {APP_NAME}"
    assert window.status_user.text().startswith(f"User: {name} (super user")
    qtbot.waitUntil(lambda: window.status_cache.text() == f"Cache: {theirs:,} tickets in your units", timeout=20_000)
    assert window.queue_view is not None
    qtbot.waitUntil(lambda: window.queue_view is not None and window.queue_view.count.text().endswith("tickets"))
    save_shot(window, "switched-user")


def units_of(codes: set[str]) -> Select[uuid.UUID]:
    return select(BusinessUnit.id).where(BusinessUnit.code.in_(codes))


# --- the tray ------------------------------------------------------------------------------------------------------


def watching(qtbot: QtBot, window: MainWindow) -> BreachTray:
    """The window's tray, once its first look (after the queue's first screen) is done."""
    qtbot.waitUntil(lambda: window.tray is not None and window.tray.since is not None, timeout=20_000)
    assert window.tray is not None
    return window.tray


class Clicked:
    """The tray's actions, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def actions(self) -> TrayActions:
        return TrayActions(
            open_ticket=lambda number: self.calls.append(("ticket", number)),
            show_queue=lambda flt: self.calls.append(("queue", flt)),
            show_window=lambda: self.calls.append(("window", None)),
            set_notify=lambda on: self.calls.append(("notify", on)),
            quit=lambda: self.calls.append(("quit", None)),
        )


def test_the_tray_menu_lists_the_tickets_about_to_breach(qtbot: QtBot, gui_workspace: Workspace) -> None:
    hours = 400  # the small demo has a handful of open tickets, due over the next weeks
    gui_workspace.settings.set("breach_horizon_hours", hours)
    window = open_window(qtbot, gui_workspace)
    tray = watching(qtbot, window)
    assert window.desk is not None
    now = clock.demo_now()  # the demo as of its end: its open tickets' clocks run from then
    window.desk.clock = lambda: now
    with qtbot.waitSignal(tray.checked, timeout=20_000) as looked:
        tray.check()
    watch: BreachWatch = looked.args[0]
    # The queue's own "breaching within", less the tickets already overdue, soonest first.
    with connect(gui_workspace.cache()) as conn:
        flt = QueueFilter(breaching_within_hours=hours)
        listed = queue.page(conn, window.desk.actor, flt, Sort(), now, limit=5000)
    expected = [row.number for row in listed if row.due_at is not None and row.due_at > now]
    assert len(expected) > 1, "the demo has open tickets due in the horizon"
    assert len(listed) > len(expected), "and some overdue, which the tray leaves to the queue"
    assert watch.soon_total == len(expected)
    assert [row.number for row in watch.soon] == expected[:10]
    entries = [a for a in tray.menu.actions() if a.objectName() == "tray-ticket"]
    assert [a.text().split(" · ")[0] for a in entries] == expected[:10]
    assert tray.menu.actions()[0].text() == f"{len(expected):,} tickets due within {hours} h"
    tray.menu.resize(tray.menu.sizeHint())  # drawn as it would pop up (offscreen, a popup cannot grab the keyboard)
    save_shot(tray.menu, "tray-menu")

    # Each entry opens its ticket; "All N…" the queue on them; the switch turns notifications off.
    clicked = Clicked()
    menu = QMenu()
    more = BreachWatch(now, watch.soon[:2], 12, [])
    actions = fill_menu(menu, more, 24, True, clicked.actions())
    assert [a.text() for a in actions if a.text().startswith("All ")] == ["All 12 in the queue…"]
    next(a for a in actions if a.objectName() == "tray-ticket").trigger()
    next(a for a in actions if a.text().startswith("All ")).trigger()
    next(a for a in actions if a.objectName() == "tray-notify").trigger()
    assert clicked.calls == [
        ("ticket", expected[0]),
        ("queue", QueueFilter(breaching_within_hours=24.0)),
        ("notify", False),
    ]
    empty = BreachWatch(now, [], 0, [])
    assert fill_menu(menu, empty, 4, False, clicked.actions())[0].text() == "Nothing due within 4 h"


def reaching_warning_at(
    workspace: Workspace, mark: datetime, *, mine: bool, me: object, status: TicketStatus = TicketStatus.IN_PROGRESS
) -> str:
    """An open ticket, given to me or to someone else, whose warning mark is ``mark``: logged 3 h before it, due 1 h
    after, in ``status`` (a pending one's clock is paused)."""
    with workspace.cache().begin() as conn:
        number, ticket_id = conn.execute(
            select(Ticket.number, Ticket.id)
            .where(Ticket.status.in_(queue.OPEN_STATUSES), Ticket.created_at < mark - timedelta(days=30))
            .order_by(Ticket.number)
            .limit(1)
        ).one()
        someone_else = conn.execute(select(User.id).where(User.id != me).order_by(User.login).limit(1)).scalar_one()
        conn.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(
                assignee_id=me if mine else someone_else,
                status=status,
                created_at=mark - timedelta(hours=3),
                first_response_at=None,
                response_due_at=mark + timedelta(hours=1),
                response_state="running",
            )
        )
    return str(number)


def test_a_notification_when_my_ticket_reaches_its_warning_mark(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    desk, tray = window.desk, watching(qtbot, window)
    assert desk is not None
    mark = clock.now() + timedelta(days=400)  # past every demo ticket's own marks
    mine = reaching_warning_at(gui_workspace, mark, mine=True, me=desk.actor.id)
    others = reaching_warning_at(gui_workspace, mark, mine=False, me=desk.actor.id)
    paused = reaching_warning_at(gui_workspace, mark, mine=True, me=desk.actor.id, status=TicketStatus.PENDING_VENDOR)
    told: list[list[str]] = []
    tray.notified.connect(lambda _title, _text, rows: told.append([row.number for row in rows]))

    def look_at(moment: datetime) -> BreachWatch:
        desk.clock = lambda: moment
        with qtbot.waitSignal(tray.checked, timeout=20_000) as looked:
            tray.check()
        watch: BreachWatch = looked.args[0]
        return watch

    look_at(mark - timedelta(minutes=10))
    told.clear()  # whatever the demo's own tickets did between the window opening and then
    crossed = look_at(mark + timedelta(minutes=1))
    assert [row.number for row in crossed.crossed] == [mine]  # not the other person's, nor my paused one
    assert told == [[mine]]
    look_at(mark + timedelta(minutes=2))
    look_at(mark + timedelta(minutes=30))
    assert told == [[mine]]  # once

    # Clicked: the queue, in front, on my tickets near breach.
    with qtbot.waitSignal(window.queue_view.model.loaded, timeout=20_000):  # type: ignore[union-attr]
        tray.open_notified()
    assert window.current_view() == "queue"
    assert window.queue_view is not None
    shown = window.queue_view.current_filter()
    assert shown.mine
    assert shown.breaching_within_hours == 4.0
    save_shot(window, "notified-queue")
    assert {others, paused}.isdisjoint(row.number for row in crossed.crossed)


def test_notifications_can_be_turned_off(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    desk, tray = window.desk, watching(qtbot, window)
    assert desk is not None
    mark = clock.now() + timedelta(days=400)
    reaching_warning_at(gui_workspace, mark, mine=True, me=desk.actor.id)
    told: list[object] = []
    tray.notified.connect(lambda *args: told.append(args))
    desk.clock = lambda: mark - timedelta(minutes=10)
    with qtbot.waitSignal(tray.checked, timeout=20_000):
        tray.check()
    switch = next(a for a in tray.menu.actions() if a.objectName() == "tray-notify")
    assert switch.isChecked()
    switch.trigger()  # off, from the tray's menu
    assert gui_workspace.settings.get("notify_warnings") is False
    assert Workspace.open(gui_workspace.home).settings.get("notify_warnings") is False  # saved
    told.clear()
    desk.clock = lambda: mark + timedelta(minutes=1)
    with qtbot.waitSignal(tray.checked, timeout=20_000) as looked:
        tray.check()
    assert looked.args[0].crossed == []  # not even looked for
    assert told == []
