"""The queue and the ticket detail driven as a consultant or a super-user would, checked against the cache."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from console.store.database import connect
from console.store.workspace import Workspace
from console.tickets.queue import QueueRow
from models import AuditAction, AuditEvent, BusinessUnit, Comment, Problem, Ticket, TicketStatus
from tests.gui.drive import become_super_user, open_window, save_shot
from views.main_window import MainWindow
from views.new_ticket import NewTicketDialog
from views.queue_view import STATUS_CHOICES, QueueView
from views.ticket_view import TicketView

ALL = [label for label, _ in STATUS_CHOICES].index("All statuses")


def open_queue(qtbot: QtBot, workspace: Workspace) -> tuple[MainWindow, QueueView]:
    window = open_window(qtbot, workspace)
    view = window.queue_view
    assert isinstance(view, QueueView)
    qtbot.waitUntil(lambda: view.count.text().endswith("tickets"), timeout=20_000)
    return window, view


def open_first_ticket(qtbot: QtBot, workspace: Workspace) -> tuple[MainWindow, QueueView, QueueRow, TicketView]:
    """The queue's first ticket opened in the detail, as Enter on it would."""
    window, view = open_queue(qtbot, workspace)
    first = view.model.row_at(0)
    assert first is not None
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        window.open_ticket(first.number)
    return window, view, first, ticket


def reload_with(qtbot: QtBot, view: QueueView, change: object) -> None:
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        change() if callable(change) else None


def shown_numbers(view: QueueView) -> list[str]:
    return [view.model.row_at(r).number for r in range(min(view.model.rowCount(), 200))]  # type: ignore[union-attr]


def count(workspace: Workspace, *where: object) -> int:
    with connect(workspace.cache()) as conn:
        return int(conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one())  # type: ignore[arg-type]


def test_filter_sort_and_search(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _, view = open_queue(qtbot, gui_workspace)
    open_count = count(gui_workspace, Ticket.status.in_([s for s in TicketStatus if s.is_open]))
    assert view.model.rowCount() == open_count
    reload_with(qtbot, view, lambda: view.status.setCurrentIndex(ALL))
    assert view.model.rowCount() == count(gui_workspace)
    reload_with(qtbot, view, lambda: view.unit.setCurrentText("DXB-HQ"))
    with connect(gui_workspace.cache()) as conn:
        unit = conn.execute(select(BusinessUnit.id).where(BusinessUnit.code == "DXB-HQ")).scalar_one()
    assert view.model.rowCount() == count(gui_workspace, Ticket.business_unit_id == unit)
    number_column = 0
    reload_with(
        qtbot, view, lambda: view.table.horizontalHeader().setSortIndicator(number_column, Qt.SortOrder.DescendingOrder)
    )
    numbers = shown_numbers(view)
    assert numbers == sorted(numbers, reverse=True)
    reload_with(qtbot, view, lambda: qtbot.keyClicks(view.search, "invoice"))
    found = shown_numbers(view)
    assert found
    with connect(gui_workspace.cache()) as conn:
        titles = dict(conn.execute(select(Ticket.number, Ticket.title).where(Ticket.number.in_(found))).all())
    assert any("invoice" in t.lower() for t in titles.values())
    save_shot(view, "queue-search")


def first_in_progress(view: QueueView) -> tuple[int, QueueRow]:
    """The queue's first ticket in progress (which row is first depends on the moment: breaching ones lead)."""
    rows = ((i, view.model.row_at(i)) for i in range(view.model.rowCount()))
    return next((i, row) for i, row in rows if row is not None and row.status is TicketStatus.IN_PROGRESS)


def test_open_change_status_and_add_a_note(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window, view = open_queue(qtbot, gui_workspace)
    index, first = first_in_progress(view)
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    view.table.setFocus()
    view.table.selectRow(index)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert window.current_view() == "ticket"
    assert ticket.detail is not None
    assert ticket.detail.number == first.number
    save_shot(window, "ticket-detail")
    # An illegal move (In progress straight to Closed) is refused with the reason; nothing changes.
    before = ticket.detail.row["status"]
    messages: list[str] = []
    ticket.refused.connect(messages.append)
    with qtbot.waitSignals([ticket.refused, ticket.loaded], timeout=20_000):  # refused, then shown again
        ticket.set_status(TicketStatus.CLOSED)
    assert "cannot go from" in messages[0]
    box = ticket.findChild(QMessageBox, "error-message")
    assert box is not None
    box.accept()
    with connect(gui_workspace.cache()) as conn:
        assert conn.execute(select(Ticket.status).where(Ticket.number == first.number)).scalar() == before
    # A legal one, with its reason.
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        ticket.set_status(TicketStatus.PENDING_REPORTER, "Asked for the invoice scan")
    assert ticket.detail.row["status"] == TicketStatus.PENDING_REPORTER
    # A note typed and sent with Ctrl+Enter.
    ticket.focus_note()
    qtbot.keyClicks(ticket.compose, "Scan received, checking the tax code")
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        qtbot.keyClick(ticket.compose, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with connect(gui_workspace.cache()) as conn:
        row = conn.execute(select(Ticket.id, Ticket.status).where(Ticket.number == first.number)).one()
        assert row.status == TicketStatus.PENDING_REPORTER
        notes = conn.execute(select(Comment.body).where(Comment.ticket_id == row.id)).scalars().all()
    assert "Scan received, checking the tax code" in notes
    assert ticket.notes.rows[-1][3] == "Scan received, checking the tax code"
    assert ticket.history.rows[-1][2] in ("Status", "First response")  # in words, not field names
    save_shot(window, "ticket-after-edits")


def test_bulk_assign(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _, view = open_queue(qtbot, gui_workspace)  # open tickets only, as the queue opens
    reload_with(qtbot, view, lambda: view.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder))
    shown = [view.model.row_at(r) for r in range(min(view.model.rowCount(), 200))]
    mine = view.actor.display_name
    open_rows = [r for r, row in enumerate(shown) if row and row.status.is_open and row.assignee != mine][:3]
    assert len(open_rows) == 3
    selection = view.table.selectionModel()
    selection.clearSelection()
    for r in open_rows:
        selection.select(view.model.index(r, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    chosen = [view.model.row_at(r).number for r in open_rows]  # type: ignore[union-attr]
    with qtbot.waitSignal(view.triaged, timeout=20_000) as done:
        view.assign_to_me()
    result = done.args[0]
    assert sorted(result.done) == sorted(chosen)
    assert result.refused == []
    with connect(gui_workspace.cache()) as conn:
        assignees = set(conn.execute(select(Ticket.assignee_id).where(Ticket.number.in_(chosen))).scalars())
    assert assignees == {view.actor.id}


def test_a_super_user_sees_only_their_units(qtbot: QtBot, gui_workspace: Workspace) -> None:
    units = become_super_user(gui_workspace)
    window, view = open_queue(qtbot, gui_workspace)
    reload_with(qtbot, view, lambda: view.status.setCurrentIndex(ALL))
    qtbot.waitUntil(lambda: "in your units" in window.status_cache.text(), timeout=20_000)
    assert window.status_cache.text() == f"Cache: {view.model.rowCount():,} tickets in your units"
    seen = {view.model.row_at(r).unit for r in range(min(view.model.rowCount(), 200))}  # type: ignore[union-attr]
    assert seen
    assert seen <= units
    qtbot.waitUntil(lambda: view.unit.count() > 1, timeout=10_000)
    assert {view.unit.itemText(i) for i in range(1, view.unit.count())} == units
    with connect(gui_workspace.cache()) as conn:
        other = conn.execute(
            select(Ticket.number).join(BusinessUnit).where(BusinessUnit.code.not_in(units)).limit(1)
        ).scalar_one()
    reload_with(qtbot, view, lambda: qtbot.keyClicks(view.search, other))
    assert view.model.rowCount() == 0
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    ticket.open(other)
    qtbot.waitUntil(lambda: ticket.findChild(QMessageBox, "error-message") is not None, timeout=20_000)
    assert "that you can see" in ticket.findChild(QMessageBox, "error-message").text()  # type: ignore[union-attr]


def test_the_detail_shows_the_stored_assignee_and_module(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window, view = open_queue(qtbot, gui_workspace)
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    qtbot.waitUntil(lambda: ticket.module.count() > 0, timeout=10_000)
    _, first = first_in_progress(view)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        window.open_ticket(first.number)
    assert ticket.module.currentText() == first.module
    assert ticket.assignee.currentText() == (first.assignee or "— unassigned —")
    assert ticket.status.text() == "In progress"


def test_log_a_ticket_with_ctrl_n(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window, view = open_queue(qtbot, gui_workspace)
    qtbot.waitUntil(lambda: bool(view.choices.units), timeout=10_000)
    dialog = window.open_new_ticket()
    assert isinstance(dialog, NewTicketDialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled()
    assert "A title is required." in dialog.problem.text()
    qtbot.keyClicks(dialog.title, "Payment run 4711 stuck in proposal")
    dialog.impact.setCurrentIndex(0)  # high
    dialog.urgency.setCurrentIndex(0)  # high
    assert dialog.priority.currentData() == "critical"  # the matrix
    dialog.override.setChecked(True)
    dialog.priority.setCurrentIndex(1)  # high, against the matrix
    assert not ok.isEnabled()  # a reason is needed
    qtbot.keyClicks(dialog.reason, "Only one company code affected")
    assert ok.isEnabled()
    save_shot(dialog, "new-ticket")
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert ticket.detail is not None
    assert ticket.detail.row["title"] == "Payment run 4711 stuck in proposal"
    with connect(gui_workspace.cache()) as conn:
        query = select(Ticket.priority, Ticket.status, Ticket.impact).where(Ticket.number == ticket.detail.number)
        row = conn.execute(query).one()
    assert (row.priority, row.status, row.impact) == ("high", "new", "high")
    assert window.current_view() == "ticket"
    # It went to the service desk by its module's routing rule, and its history begins with its logging.
    assert ticket.detail.names["group"] == "DESK"
    assert "group DESK" in ticket.facts.text()
    by, field, old, new, reason = ticket.history.rows[0][1:]
    assert (by, field, old, reason) == (view.actor.display_name, "Logged", "", "Only one company code affected")
    assert new.startswith("incident · priority high (impact high × urgency high give critical) · ")
    assert new.endswith(" · group DESK")
    ticket.tabs.setCurrentIndex([ticket.tabs.tabText(i) for i in range(ticket.tabs.count())].index("History"))
    save_shot(window, "ticket-logged-history")


def test_edit_the_title_and_impact_from_the_detail(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _, _, first, ticket = open_first_ticket(qtbot, gui_workspace)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        ticket.set_details({"title": "Posting key 40 rejected in FB60", "impact": "high"})
    messages: list[str] = []
    ticket.refused.connect(messages.append)
    with qtbot.waitSignals([ticket.refused, ticket.loaded], timeout=20_000):
        ticket.set_details({"title": "   "})  # an empty title is refused, nothing changes
    assert "The title is empty" in messages[0]
    box = ticket.findChild(QMessageBox, "error-message")
    assert box is not None
    box.accept()
    with connect(gui_workspace.cache()) as conn:
        row = conn.execute(select(Ticket.title, Ticket.impact).where(Ticket.number == first.number)).one()
    assert (row.title, row.impact) == ("Posting key 40 rejected in FB60", "high")
    assert ticket.heading.text() == f"{first.number} · Posting key 40 rejected in FB60"


def test_saved_views_come_back(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _, view = open_queue(qtbot, gui_workspace)
    reload_with(qtbot, view, lambda: view.status.setCurrentIndex(ALL))
    reload_with(qtbot, view, lambda: view.priority.setCurrentText("High"))
    high = view.model.rowCount()
    view.save_view("  All High  ")
    assert [view.saved_views.itemText(i) for i in range(view.saved_views.count())] == ["Saved views…", "All High"]
    reload_with(qtbot, view, lambda: view.priority.setCurrentIndex(0))
    assert view.model.rowCount() > high
    reload_with(qtbot, view, lambda: view._use_saved(1))
    assert view.priority.currentText() == "High"
    assert view.model.rowCount() == high
    assert view.saved.names(view.actor.login) == ["All High"]


def test_attach_escalate_and_link(qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path) -> None:
    _, _, first, ticket = open_first_ticket(qtbot, gui_workspace)
    evidence = tmp_path / "FB60 error.txt"
    evidence.write_bytes("Posting key 40 — شماره سند 4711\n".encode())
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        ticket.attach(str(evidence))
    assert ticket.files.rows[0][0] == "FB60 error.txt"
    saved = tmp_path / "copy.txt"
    ticket.save_attachment(ticket.detail.attachments[0].id, str(saved))  # type: ignore[union-attr]
    qtbot.waitUntil(saved.exists, timeout=10_000)
    assert saved.read_bytes() == evidence.read_bytes()
    with connect(gui_workspace.cache()) as conn:
        problem = conn.execute(select(Problem.number).limit(1)).scalar_one()
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        ticket.link("problem", problem)
    assert ["problem", problem, ""] in ticket.links.rows
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        ticket.escalate("Needs the vendor's correction", "ERP Vendor Support")
    with connect(gui_workspace.cache()) as conn:
        row = conn.execute(select(Ticket.tier, Ticket.vendor, Ticket.id).where(Ticket.number == first.number)).one()
        escalations = conn.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_id == row.id, AuditEvent.action == AuditAction.ESCALATED)
        ).scalar_one()
    assert (row.tier, row.vendor) == (3, "ERP Vendor Support")
    assert escalations >= 1
