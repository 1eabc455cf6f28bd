"""A Low ticket in the window: the queue's SLA cell and the ticket's SLA tab name the release it is due with,
and follow the calendar when a support manager plans an earlier one."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from console.access import load_actor
from console.releases.service import PlanRelease, submit_release
from console.sla.words import local_moment
from console.store.database import connect
from console.store.workspace import Workspace
from console.tickets.queue import Column
from models import Impact, Release, Role, Ticket, Urgency, User
from tests import clock
from tests.gui.drive import open_window, save_shot, worked_finance_ticket
from views.queue_model import BANDS, COLUMNS
from views.queue_view import QueueView
from views.ticket_view import TicketView

SLA = COLUMNS.index(Column.SLA)


def worked_low_ticket(workspace: Workspace, now: datetime) -> tuple[str, uuid.UUID]:
    """A Low Finance ticket logged and taken up by the workspace's own user, as the detail's buttons would."""
    return worked_finance_ticket(workspace, now, "Dunning letter prints the old bank account", Impact.LOW, Urgency.LOW)


def next_release(workspace: Workspace, module: uuid.UUID, after: datetime) -> tuple[str, datetime]:
    with connect(workspace.cache()) as conn:
        found = conn.execute(
            select(Release.name, Release.production_at)
            .where(Release.module_id == module, Release.cancelled_at.is_(None), Release.production_at > after)
            .order_by(Release.production_at)
            .limit(1)
        ).one()
    return found.name, found.production_at


def cell_day(at: datetime, now: datetime) -> str:
    return f"{at.day} {at:%b}" + (f" {at:%Y}" if at.year != now.year else "")


def sla_cell(view: QueueView, row: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
    return view.model.data(view.model.index(row, SLA), role)


def test_the_queue_and_the_sla_tab_name_the_release(qtbot: QtBot, gui_workspace: Workspace) -> None:
    now = clock.now()
    number, fin = worked_low_ticket(gui_workspace, now)
    name, at = next_release(gui_workspace, fin, now)
    window = open_window(qtbot, gui_workspace)
    view = window.queue_view
    assert isinstance(view, QueueView)
    qtbot.waitUntil(lambda: view.count.text().endswith("tickets"), timeout=20_000)
    # The open Low tickets: each one taken up names the release it is due with (an overdue one, in its tooltip).
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.priority.setCurrentText("Low")
    shown = [(view.model.row_at(r), r) for r in range(view.model.rowCount())]
    dated = [(row, r) for row, r in shown if row is not None and row.clock == "resolution"]
    assert dated
    for row, r in dated:
        assert row.release is not None, row.number  # the demo plans releases two quarters ahead
        text, tip = sla_cell(view, r), sla_cell(view, r, Qt.ItemDataRole.ToolTipRole)
        if row.band(view.model.now()) == "breached":  # the cell names the clock and how late; the tip the release
            assert re.fullmatch(r"resolution · \S+( \S+)? overdue", str(text)), (row.number, text)
            assert row.release in str(tip), (row.number, tip)
        else:
            assert row.release in str(text), (row.number, text)
    save_shot(window, "queue-low-tickets")
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        qtbot.keyClicks(view.search, number)
    assert view.model.rowCount() == 1
    assert view.model.row_at(0).number == number  # type: ignore[union-attr]
    assert sla_cell(view, 0) == f"due with {name} · {cell_day(at, now)}"
    tip = sla_cell(view, 0, Qt.ItemDataRole.ToolTipRole)
    assert tip == f"resolution due with {name}, which reaches production {at:%d %b %Y %H:%M} UTC"
    brush = sla_cell(view, 0, Qt.ItemDataRole.BackgroundRole)
    assert brush.color().name() == BANDS["running"][0]  # type: ignore[attr-defined]
    save_shot(window, "queue-low-due-with-release")

    # Enter opens it; its header counts down to the release, its SLA tab says the same in words and
    # draws the release as the resolution clock's target.
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    view.table.setFocus()
    view.table.selectRow(0)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    ticket.tabs.setCurrentIndex([ticket.tabs.tabText(i) for i in range(ticket.tabs.count())].index("SLA"))
    summary = ticket.sla_summary.text()
    assert summary.startswith(
        f"Resolution is due with release {name} of Finance, which reaches production {local_moment(at, now=now)}: "
        "running."
    )
    response, resolution = ticket.chips.texts()
    assert response == "Response met"
    assert resolution.startswith(f"Resolution · due with {name} in ")
    assert ticket.chips.labels["resolution"].toolTip() == f"Due {local_moment(at, now=now)} UTC, with release {name}."
    marks = ticket.sla.canvas.figure.axes[0].texts  # drawn when the tab was shown
    assert f"release {name} {local_moment(at, now=now)}" in [t.get_text().strip() for t in marks]
    assert [row[1:4] for row in ticket.sla.evidence.rows][:3] == [
        ["Response", "started", "logged as New"],
        ["Resolution", "started", "logged as New"],
        ["Response", "stopped", "set to Assigned"],
    ]
    save_shot(window, "ticket-sla-tab-release")

    # A support manager plans an earlier release of Finance (on this cache, as a pull would bring it):
    # F5 shows the ticket due with it, in the detail and in the queue.
    extra = (now + (at - now) / 2).replace(microsecond=0)
    with connect(gui_workspace.cache()) as conn:
        boss = conn.execute(select(User.login).where(User.role == Role.SUPPORT_MANAGER).order_by(User.login)).scalar()
        manager = load_actor(conn, str(boss))
        submit_release(conn, manager, PlanRelease(fin, "R-HOTFIX", extra, "Statutory dunning text"), now)
        conn.commit()
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        qtbot.keyClick(ticket, Qt.Key.Key_F5)
    assert "release R-HOTFIX of Finance" in ticket.sla_summary.text()
    assert local_moment(extra, now=now) in ticket.sla_summary.text()
    assert ticket.chips.texts()[1].startswith("Resolution · due with R-HOTFIX in ")
    save_shot(window, "ticket-sla-tab-release-planned")
    window.navigation.setCurrentRow(0)
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        qtbot.keyClick(view.table, Qt.Key.Key_F5)
    assert sla_cell(view, 0) == f"due with R-HOTFIX · {cell_day(extra, now)}"
    with connect(gui_workspace.cache()) as conn:  # what the database holds, too
        assert conn.execute(select(Ticket.resolution_due_at).where(Ticket.number == number)).scalar() == extra
    save_shot(window, "queue-low-due-with-hotfix")
