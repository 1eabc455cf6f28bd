"""The ticket's SLA in the window: a countdown chip per clock in the header, counted down without a query,
and the SLA tab's picture (drawn the first time the tab is shown) with the evidence below it in words."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from matplotlib.dates import date2num
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from console.access import load_actor
from console.store.database import connect
from console.store.workspace import Workspace
from console.tickets import edits
from console.tickets import service as tickets
from models import AuditEvent, ErpModule, Impact, Priority, Ticket, TicketKind, TicketStatus, Urgency
from tests import clock
from tests.gui.drive import open_window, save_shot
from views.main_window import MainWindow
from views.ticket_view import TicketView

MIN = timedelta(minutes=1)


def critical_ticket(workspace: Workspace, logged: datetime, steps: list[tuple[datetime, TicketStatus]]) -> str:
    """A Critical ticket (its clocks run around the clock: 15 min to respond, 4 h to resolve), logged and
    worked by the workspace's user at the moments given."""
    engine = workspace.cache()
    with connect(engine) as conn:
        me = load_actor(conn, str(workspace.settings.get("user")))
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, workspace.client_id)
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        unit = conn.execute(select(Ticket.business_unit_id).order_by(Ticket.number).limit(1)).scalar_one()
        conn.commit()
    ticket_id = uuid.uuid4()
    create = tickets.CreateTicket(ticket_id, TicketKind.INCIDENT, "Payment run stops at the bank file", "",
                                  Impact.HIGH, Urgency.HIGH, unit, fin, me.id, number, Priority.CRITICAL,
                                  "Payroll cannot be paid")  # fmt: skip
    tickets.execute(engine, me, [create], logged)
    status = TicketStatus.NEW
    for at, new in steps:
        change = (
            edits.assign(ticket_id, me.id, base=None)
            if new is TicketStatus.ASSIGNED
            else edits.set_status(ticket_id, new, base=status, reason="Waiting for the bank's answer")
        )
        tickets.execute(engine, me, [change], at)
        status = new
    return number


def open_ticket(qtbot: QtBot, window: MainWindow, number: str) -> TicketView:
    view = window.ticket_page()
    assert isinstance(view, TicketView)
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        window.open_ticket(number)
    return view


def show_sla_tab(qtbot: QtBot, view: TicketView) -> None:
    tab = [view.tabs.tabText(i) for i in range(view.tabs.count())].index("SLA")
    with qtbot.waitSignal(view.sla.drawn, timeout=20_000):
        view.tabs.setCurrentIndex(tab)


def test_chips_count_down_and_the_sla_tab_draws_the_clocks(qtbot: QtBot, gui_workspace: Workspace) -> None:
    now = clock.now().replace(microsecond=0)
    # Due 2 h 59 min 30 s from now: the chip reads "2h 59m left" for the first half minute of the test,
    # "2h 58m left" for the next minute, on a busy machine.
    worked = [(now - 55 * MIN, TicketStatus.ASSIGNED), (now - 50 * MIN, TicketStatus.IN_PROGRESS)]
    running = critical_ticket(gui_workspace, now - 60 * MIN - timedelta(seconds=30), worked)
    breached = critical_ticket(gui_workspace, now - 6 * 60 * MIN - 30 * MIN,
                               [(now - 6 * 60 * MIN - 20 * MIN, TicketStatus.ASSIGNED),
                                (now - 6 * 60 * MIN, TicketStatus.IN_PROGRESS)])  # fmt: skip
    paused = critical_ticket(gui_workspace, now - 2 * 60 * MIN,
                             [(now - 118 * MIN, TicketStatus.ASSIGNED), (now - 110 * MIN, TicketStatus.IN_PROGRESS),
                              (now - 60 * MIN, TicketStatus.PENDING_REPORTER)])  # fmt: skip
    window = open_window(qtbot, gui_workspace)
    qtbot.waitUntil(lambda: window.queue_view is not None and window.queue_view.count.text().endswith("tickets"))

    view = open_ticket(qtbot, window, running)
    response, resolution = view.chips.texts()
    assert response == "Response met"
    assert re.fullmatch(r"Resolution · 2h 5[89]m left", resolution)
    assert view.chips.labels["resolution"].property("band") == "running"
    assert view.sla.canvas is None  # no picture (nor matplotlib's canvas) until the SLA tab is shown
    save_shot(window, "ticket-sla-chips-running")
    # Time passes with no query: at the warning mark (3 h in), then past the target.
    view.chips.now = lambda: now + 2 * 60 * MIN
    view.chips.tick()
    assert view.chips.texts() == ["Response met", "Resolution · 59m left"]
    assert view.chips.labels["resolution"].property("band") == "warning"
    view.chips.now = lambda: now + 5 * 60 * MIN
    view.chips.tick()
    assert view.chips.texts() == ["Response met", "Resolution · 2h 00m overdue"]
    assert view.chips.labels["resolution"].property("band") == "breached"
    view.chips.now = clock.now
    view.chips.tick()

    show_sla_tab(qtbot, view)
    picture = view.sla.canvas
    assert picture is not None
    assert picture.isVisible()
    ax = picture.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Response", "Resolution"]
    assert {a.get_gid() for a in ax.get_children()} >= {"running-resolution", "due-resolution", "now"}
    evidence = view.sla.evidence.rows
    assert [row[1:4] for row in evidence[:3]] == [
        ["Response", "started", "logged as New"],
        ["Resolution", "started", "logged as New"],
        ["Response", "stopped", "set to Assigned"],
    ]
    assert all(re.fullmatch(r"\w{3} \d{1,2} \w{3}( \d{4})? \d\d:\d\d", row[0]) for row in evidence)  # Mon 30 Nov 14:47
    assert view.sla_summary.text().startswith("Resolution is due ")
    save_shot(window, "ticket-sla-tab-running")

    view = open_ticket(qtbot, window, breached)  # the tab stays on SLA: the picture is drawn again
    qtbot.waitUntil(
        lambda: any(a.get_gid() == "breach-resolution" for a in view.sla.canvas.figure.axes[0].get_children())
    )
    response, resolution = view.chips.texts()
    assert response == "Response met"
    assert re.fullmatch(r"Resolution · 2h 3[01]m overdue", resolution)  # due 2 h 30 min ago
    assert view.chips.labels["resolution"].property("band") == "breached"
    assert ["Resolution", "breached", "its 4 h target used up", "4 h"] in [row[1:] for row in view.sla.evidence.rows]
    save_shot(window, "ticket-sla-tab-breached")

    view = open_ticket(qtbot, window, paused)
    qtbot.waitUntil(
        lambda: any(a.get_gid() == "paused-resolution" for a in view.sla.canvas.figure.axes[0].get_children())
    )
    assert view.chips.texts() == ["Response met", "Resolution · paused"]
    assert view.chips.labels["resolution"].property("band") == "paused"
    assert "3 h of business time left when it runs again" in view.chips.labels["resolution"].toolTip()
    assert ["Resolution", "paused", "set to Pending reporter", "1 h"] in [row[1:] for row in view.sla.evidence.rows]
    save_shot(window, "ticket-sla-tab-paused")


def test_a_ticket_paused_just_now_shows_its_pause_from_then_to_now(qtbot: QtBot, gui_workspace: Workspace) -> None:
    """Set to Pending reporter in the window, the ticket's SLA tab draws the resolution clock paused from the
    status change to "now" — seconds, but a stretch a person sees — and the legend says what it is."""
    now = clock.now().replace(microsecond=0)
    worked = [(now - 55 * MIN, TicketStatus.ASSIGNED), (now - 50 * MIN, TicketStatus.IN_PROGRESS)]
    number = critical_ticket(gui_workspace, now - 60 * MIN, worked)
    window = open_window(qtbot, gui_workspace)
    view = open_ticket(qtbot, window, number)
    show_sla_tab(qtbot, view)
    with qtbot.waitSignal(view.sla.drawn, timeout=20_000):
        view.set_status(TicketStatus.PENDING_REPORTER, "Waiting for the bank's answer")
    assert view.chips.texts() == ["Response met", "Resolution · paused"]
    with connect(gui_workspace.cache()) as conn:
        paused_at = conn.execute(
            select(AuditEvent.occurred_at)
            .join(Ticket, Ticket.id == AuditEvent.entity_id)
            .where(Ticket.number == number, AuditEvent.field == "status", AuditEvent.new_value == "pending_reporter")
        ).scalar_one()
    assert view.detail is not None
    as_of = view.detail.sla.as_of
    assert as_of is not None
    assert as_of - paused_at < timedelta(minutes=1)  # paused just now
    figure = view.sla.canvas.figure
    ax = figure.axes[0]
    (bars,) = [a for a in ax.get_children() if a.get_gid() == "paused-resolution"]
    (start, end) = [(min(p.vertices[:, 0]), max(p.vertices[:, 0])) for p in bars.get_paths()][-1]
    assert start == pytest.approx(date2num(paused_at))  # from the pause …
    assert end >= date2num(as_of)  # … to now
    shown = ax.transData.transform([(start, 0), (end, 0)])
    assert shown[1][0] - shown[0][0] >= 4  # wide enough to see, in pixels of the picture
    assert any(t.get_text() == "paused (waiting)" for legend in figure.legends for t in legend.get_texts())
    assert ["Resolution", "paused", "set to Pending reporter", "1 h"] in [row[1:] for row in view.sla.evidence.rows]
    save_shot(window, "ticket-sla-tab-paused-just-now")
