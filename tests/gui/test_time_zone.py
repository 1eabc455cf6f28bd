"""Every time a person reads is in their zone: with the ``time_zone`` setting at Asia/Tehran (+03:30, no daylight
saving), the ticket's header, a note's time and the queue's SLA tooltip show Tehran's time and name the zone, as
``ticket show`` does on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from console.cli.command import main
from console.store.workspace import Workspace
from models import ChangeRequest, Comment, Impact, Role, Ticket, Urgency
from tests import clock
from tests.gui.drive import save_shot, worked_finance_ticket
from tests.gui.test_change_view import applied, desk, first_of
from tests.gui.test_queue_look import SLA
from tests.gui.test_queue_view import open_queue, reload_with
from views.changes.dialogs import NewChangeDialog
from views.changes.model import Column
from views.ticket_view import TicketView

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(at: datetime) -> str:
    """A moment as a person in Tehran reads it: 15 Jan 2027 21:30 (18:00 UTC)."""
    return f"{at.astimezone(TEHRAN):%d %b %Y %H:%M}"


@pytest.fixture
def in_tehran(gui_workspace: Workspace) -> Iterator[Workspace]:
    """The demo workspace with the ``time_zone`` setting at Asia/Tehran, opened again as the next start opens it."""
    gui_workspace.settings.set("time_zone", "Asia/Tehran")
    gui_workspace.settings.save()
    workspace = Workspace.open(gui_workspace.home)
    yield workspace
    workspace.close()


def test_the_window_shows_times_in_the_persons_zone(qtbot: QtBot, in_tehran: Workspace) -> None:
    now = clock.now()
    number, _ = worked_finance_ticket(in_tehran, now, "Bank file rejected at 23:00", Impact.HIGH, Urgency.HIGH)
    with in_tehran.cache().connect() as conn:
        created = conn.execute(select(Ticket.created_at).where(Ticket.number == number)).scalar_one()
    assert tehran(created) != f"{created.astimezone(UTC):%d %b %Y %H:%M}"  # the two clocks read apart

    window, queue = open_queue(qtbot, in_tehran)
    reload_with(qtbot, queue, lambda: qtbot.keyClicks(queue.search, number))
    assert queue.model.rowCount() == 1
    row = queue.model.row_at(0)
    assert row is not None
    assert row.due_at is not None
    tip = queue.model.data(queue.model.index(0, SLA), Qt.ItemDataRole.ToolTipRole)
    assert tip == f"{row.clock} due {tehran(row.due_at)} Asia/Tehran"
    assert row.due_at - created < timedelta(days=30)  # a due time of this ticket, not of another

    view = window.ticket_page()
    assert isinstance(view, TicketView)
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        window.open_ticket(number)
    assert f"on {tehran(created)} Asia/Tehran" in view.facts.text()
    assert "UTC" not in view.facts.text()

    # A note added as a person adds one: its time in the list is Tehran's, the column naming the zone.
    view.focus_note()
    qtbot.keyClicks(view.compose, "Called the bank: the file is re-sent tonight")
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        qtbot.mouseClick(view.findChild(QPushButton, "ticket-add-note"), Qt.MouseButton.LeftButton)
    with in_tehran.cache().connect() as conn:
        noted = conn.execute(
            select(Comment.created_at).join(Ticket, Ticket.id == Comment.ticket_id).where(Ticket.number == number)
        ).scalar_one()
    assert view.notes.headerData(0, Qt.Orientation.Horizontal) == "When (Asia/Tehran)"
    assert view.notes.rows[0][0] == tehran(noted)
    assert view.history.headerData(0, Qt.Orientation.Horizontal) == "When (Asia/Tehran)"
    save_shot(window, "ticket-in-tehran")


def test_ticket_show_writes_times_in_the_persons_zone_and_names_it(
    in_tehran: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    now = clock.now()
    number, _ = worked_finance_ticket(in_tehran, now, "Bank file rejected at 23:00", Impact.HIGH, Urgency.HIGH)
    with in_tehran.cache().connect() as conn:
        created = conn.execute(select(Ticket.created_at).where(Ticket.number == number)).scalar_one()
    home = str(Path(in_tehran.home))
    assert main(["--home", home, "ticket", "note", number, "Asked the bank for the payment file"]) == 0
    capsys.readouterr()
    with in_tehran.cache().connect() as conn:
        noted = conn.execute(
            select(Comment.created_at).join(Ticket, Ticket.id == Comment.ticket_id).where(Ticket.number == number)
        ).scalar_one()

    assert main(["--home", home, "ticket", "show", number]) == 0
    lines = capsys.readouterr().out.splitlines()
    (created_line,) = [line for line in lines if line.startswith("Created")]
    assert created_line.startswith("Created (Asia/Tehran)")
    assert created_line.endswith(tehran(created))
    notes = lines.index("Notes")
    assert lines[notes + 1].startswith("At (Asia/Tehran)")
    assert lines[notes + 2].startswith(tehran(noted))
    assert not [line for line in lines if " UTC" in line]

    assert main(["--home", home, "ticket", "show", number, "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    assert "Created (Asia/Tehran)" in csv_text.splitlines()[0]
    assert tehran(created) in csv_text.splitlines()[1]

    assert main(["--home", home, "ticket", "show", number, "--format", "json"]) == 0
    machine = capsys.readouterr().out
    assert created.astimezone(UTC).isoformat(timespec="seconds") in machine  # a program reads ISO with the offset


def test_a_window_is_typed_in_the_persons_zone_and_kept_in_utc(qtbot: QtBot, in_tehran: Workspace) -> None:
    """The change dialogs read and take times in the person's zone, named in the editor; the service gets the
    moment in UTC, which the database keeps; the list names the zone once, in the window's heading."""
    requester = first_of(in_tehran, Role.FUNCTIONAL_CONSULTANT)
    view = desk(qtbot, in_tehran, requester)
    assert view.model.headerData(Column.WINDOW, Qt.Orientation.Horizontal) == "Window (Asia/Tehran)"
    dialog = view.new_change()
    assert isinstance(dialog, NewChangeDialog)
    assert dialog.start.displayFormat().endswith("'Asia/Tehran'")
    qtbot.keyClicks(dialog.title, "Bank file format for the new clearing house")
    day = (clock.now() + timedelta(days=40)).astimezone(TEHRAN).date()
    typed = datetime.combine(day, time(21, 30), TEHRAN)  # half past nine in the evening, in Tehran
    dialog.start.setDateTime(QDateTime(QDate(day.year, day.month, day.day), QTime(21, 30), dialog.start.timeZone()))
    assert dialog.start.text().startswith(f"{typed:%d %b %Y} 21:30")
    applied(qtbot, view, dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click)
    assert view.detail is not None
    number = view.detail.row.number
    with in_tehran.cache().connect() as conn:
        start, end = conn.execute(
            select(ChangeRequest.planned_start, ChangeRequest.planned_end).where(ChangeRequest.number == number)
        ).one()
    assert start == typed.astimezone(UTC) == datetime.combine(day, time(18, 0), UTC)
    assert end is not None
    assert end - start == timedelta(hours=3)
    assert f"{typed:%d %b %Y} 21:30 – {(typed + timedelta(hours=3)):%d %b} 00:30 Asia/Tehran" in view.facts.text()
    row = [c.number for c in view.model.changes].index(number)
    assert view.model.rows[row][Column.WINDOW] == f"{typed:%d %b %Y} 21:30 – {(typed + timedelta(hours=3)):%d %b} 00:30"
    save_shot(view, "change-window-in-tehran")
