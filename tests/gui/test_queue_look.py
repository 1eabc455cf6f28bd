"""What the queue reads like: filters that say what they filter, buttons and boxes whose text is whole, and
SLA cells that name their clock first (a paused one included) in a column wide enough for them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QComboBox, QPushButton, QStyle, QStyleOptionButton, QStyleOptionComboBox
from pytestqt.qtbot import QtBot

from console.store.workspace import Workspace
from console.tickets.queue import Column, QueueFilter, QueueRow
from models import Impact, Priority, SlaState, TicketStatus, Urgency
from tests import clock
from tests.gui.drive import save_shot, worked_finance_ticket
from tests.gui.test_queue_view import open_queue, reload_with
from views.queue_model import BANDS, COLUMNS, QueueModel, sla_text, sla_tip
from views.queue_view import QueueView
from views.ticket_view import TicketView

SLA = COLUMNS.index(Column.SLA)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RUNNING = QueueRow(
    id=uuid.uuid4(),
    number="INC-0000001",
    priority=Priority.HIGH,
    title="Payment run 4711 stuck in proposal",
    status=TicketStatus.IN_PROGRESS,
    unit="DXB-HQ",
    module="FIN",
    assignee=None,
    group="FIN-FUNC",
    tier=2,
    created_at=NOW - timedelta(days=2),
    due_at=NOW + timedelta(hours=30),
    clock="resolution",
    sla_state=SlaState.RUNNING,
    key=(),
)
RESPONSE = replace(RUNNING, clock="response", created_at=NOW - timedelta(hours=1))
PENDING = replace(RUNNING, status=TicketStatus.PENDING_REPORTER, sla_state=SlaState.PAUSED)
RELEASED = replace(RUNNING, priority=Priority.LOW, release="R2026.4", due_at=datetime(2026, 12, 12, 18, tzinfo=UTC))


@pytest.mark.parametrize(
    ("row", "shown"),
    [
        (replace(RESPONSE, due_at=NOW + timedelta(hours=2, minutes=10)), "response · 2h 10m left"),
        (RUNNING, "resolution · 1d 6h left"),
        (replace(RESPONSE, due_at=NOW - timedelta(hours=7, minutes=2)), "response · 7h 02m overdue"),
        (replace(RELEASED, due_at=NOW - timedelta(days=1, hours=2)), "resolution · 1d 2h overdue"),
        (RELEASED, "due with R2026.4 · 12 Dec"),
        # A paused clock has no due time (the pause moves it): the cell says paused, it is not left blank.
        (replace(PENDING, clock="response", due_at=None), "response · paused"),
        (replace(PENDING, due_at=None), "resolution · paused"),
        (replace(PENDING, status=TicketStatus.PENDING_VENDOR), "resolution · paused"),
        (replace(RUNNING, sla_state=SlaState.NOT_TIMED, due_at=None), "resolution · next release"),
        (replace(RESPONSE, sla_state=SlaState.MET), "response met"),
        (replace(RELEASED, sla_state=SlaState.MISSED), "resolution breached · R2026.4"),
    ],
)
def test_the_sla_cell_names_its_clock_first(row: QueueRow, shown: str) -> None:
    assert sla_text(row, NOW) == shown


def test_the_sla_tooltip_says_why_and_when() -> None:
    paused = replace(PENDING, due_at=None)
    assert sla_tip(paused, NOW) == (
        "resolution clock paused while the ticket is Pending reporter: "
        "waiting time does not count, so its due time moves later"
    )
    assert sla_tip(RUNNING, NOW) == "resolution due 02 Dec 2026 15:00 UTC"
    assert sla_tip(replace(RESPONSE, due_at=NOW - timedelta(hours=1)), NOW) == "response was due 01 Dec 2026 08:00 UTC"
    assert sla_tip(replace(RELEASED, due_at=NOW - timedelta(days=1)), NOW) == (
        "resolution due with R2026.4, which reached production 30 Nov 2026 09:00 UTC"
    )


def edit_field_width(combo: QComboBox) -> int:
    """The width the closed box has for its text (the frame and the arrow take the rest)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return field.width()


def text_width(button: QPushButton) -> int:
    """The width a push button has for its text: its contents less the menu's arrow, if it has a menu."""
    option = QStyleOptionButton()
    button.initStyleOption(option)
    contents = button.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, button)
    arrow = button.style().pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator, option, button)
    return contents.width() - (arrow if button.menu() is not None else 0)


def test_the_filters_say_what_they_filter_and_no_text_is_cut(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window, view = open_queue(qtbot, gui_workspace)
    qtbot.waitUntil(lambda: view.unit.count() > 1 and view.saved_views.count() > 0, timeout=10_000)
    filters = [view.status, view.priority, view.unit, view.module, view.tier, view.breaching]
    assert [f.currentText() for f in filters] == [
        "Open",
        "Any priority",
        "Any unit",
        "Any module",
        "Any tier",
        "Any time to breach",
    ]
    assert [f.accessibleName() for f in filters] == [
        "Status filter",
        "Priority filter",
        "Business unit filter",
        "Module filter",
        "Tier filter",
        "Time to breach filter",
    ]
    assert all(f.toolTip().startswith(f.accessibleName() + ": ") for f in filters)
    # At the window's first size every choice of every box shows whole, closed; "Saved views…" too.
    for combo in [*filters, view.saved_views]:
        room = edit_field_width(combo)
        for i in range(combo.count()):
            assert combo.fontMetrics().horizontalAdvance(combo.itemText(i)) <= room, (combo.objectName(), i)
    assert view.saved_views.currentText() == "Saved views…"
    # The buttons: sized to their text, the triage menu's arrow beside it, not over it.
    triage = view.triage_button
    assert isinstance(triage, QPushButton)
    assert triage.menu() is not None
    assert [a.text() for a in triage.menu().actions()] == ["Assign to…", "Priority…", "Module…", "Tier…"]
    for button in (triage, view.findChild(QPushButton, "save-view")):
        assert isinstance(button, QPushButton)
        assert button.width() >= button.sizeHint().width()
        assert text_width(button) >= button.fontMetrics().horizontalAdvance(button.text()), button.text()
    save_shot(window, "queue-open")
    # The boxes still let the window go narrow (half a laptop screen): they shrink below their text there.
    assert all(f.minimumSizeHint().width() < f.sizeHint().width() for f in (view.priority, view.breaching))


def test_a_saved_view_sets_the_boxes_back_to_any(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _, view = open_queue(qtbot, gui_workspace)
    qtbot.waitUntil(lambda: view.unit.count() > 1, timeout=10_000)
    reload_with(qtbot, view, lambda: view.priority.setCurrentText("High"))
    view.save_view("High")
    reload_with(qtbot, view, lambda: view.tier.setCurrentIndex(2))
    reload_with(qtbot, view, lambda: view.unit.setCurrentText("DXB-HQ"))
    reload_with(qtbot, view, lambda: view._use_saved(view.saved_views.findText("High")))
    assert [f.currentText() for f in (view.priority, view.unit, view.tier)] == ["High", "Any unit", "Any tier"]
    reload_with(qtbot, view, lambda: view.show_filter(QueueFilter()))
    shown = [f.currentText() for f in (view.status, view.priority, view.unit, view.module, view.tier, view.breaching)]
    assert shown == ["Open", "Any priority", "Any unit", "Any module", "Any tier", "Any time to breach"]
    assert view.current_filter() == QueueFilter()


def worked_ticket(workspace: Workspace) -> str:
    """A Medium ticket logged and taken up by the workspace's own user: its resolution runs on a time of its own
    (a Low one's runs to a release, a date no pause moves)."""
    number, _ = worked_finance_ticket(
        workspace, clock.now(), "Vendor invoice blocked for payment", Impact.MEDIUM, Urgency.MEDIUM
    )
    return number


def test_a_paused_ticket_says_so_in_the_queue(qtbot: QtBot, gui_workspace: Workspace) -> None:
    number = worked_ticket(gui_workspace)
    window, view = open_queue(qtbot, gui_workspace)
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        window.open_ticket(number)
    with qtbot.waitSignals([ticket.loaded, view.model.loaded], timeout=20_000):  # the queue reads the edit too
        ticket.set_status(TicketStatus.PENDING_REPORTER, "Asked for the invoice scan")
    window.navigation.setCurrentRow(0)
    reload_with(qtbot, view, lambda: qtbot.keyClicks(view.search, number))
    assert view.model.rowCount() == 1
    paused = view.model.row_at(0)
    assert paused is not None
    assert (paused.number, paused.status, paused.clock) == (number, TicketStatus.PENDING_REPORTER, "resolution")
    cell = view.model.index(0, SLA)
    assert view.model.data(cell) == "resolution · paused"
    tip = view.model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("resolution clock paused while the ticket is Pending reporter")
    assert view.model.data(cell, Qt.ItemDataRole.BackgroundRole).color().name() == BANDS["paused"][0]
    save_shot(window, "queue-paused")


def test_overdue_cells_name_their_clock_and_fit_the_column(qtbot: QtBot, gui_workspace: Workspace) -> None:
    """The queue a month on, when most clocks have run out: each overdue cell starts with its clock and fits the
    SLA column as it opens; the release a Low ticket was due with is in the tooltip."""
    window, _ = open_queue(qtbot, gui_workspace)
    assert window.desk is not None
    later = clock.now() + timedelta(days=30)
    view = QueueView(window.desk, window.runner, now=lambda: later)
    qtbot.addWidget(view)
    view.resize(1064, 720)
    view.show()
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.start()
    rows = [view.model.row_at(r) for r in range(view.model.rowCount())]
    overdue = [row for row in rows if row is not None and row.band(later) == "breached"]
    assert overdue
    for row in overdue:
        text = sla_text(row, later)
        assert text.startswith(f"{row.clock} · "), text
        assert "overdue" in text
        assert fits(view, Column.SLA, text), text
        if row.due_with_release:
            tip = view.model.data(view.model.index(rows.index(row), SLA), Qt.ItemDataRole.ToolTipRole)
            assert tip.startswith(f"resolution due with {row.release}, which reached production"), tip
    ages = [QueueModel.text(row, Column.AGE, later) for row in rows if row is not None]
    assert all(fits(view, Column.AGE, age) for age in ages), ages
    save_shot(view, "queue-a-month-later")


def fits(view: QueueView, column: Column, text: str) -> bool:
    """Whether ``text`` shows whole in a cell of ``column`` as the table draws it (grid line, margins, and the
    text's fractional width: a text a fraction wider than its room is elided)."""
    margin = view.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view.table) + 1
    room = view.table.columnWidth(COLUMNS.index(column)) - 1 - 2 * margin
    return QFontMetricsF(view.table.font()).horizontalAdvance(text) <= room
