"""Helpers for GUI tests: open the main window as a user would, and keep screenshots."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from console.access import load_actor
from console.store.database import connect
from console.store.workspace import Workspace
from console.tickets import edits
from console.tickets import service as tickets
from models import ErpModule, Impact, Ticket, TicketKind, TicketStatus, Urgency
from views.main_window import MainWindow


def open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = MainWindow(workspace)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        window.load()
    return window


def save_shot(widget: QWidget, name: str) -> None:
    """Keep a screenshot when SUPPORT_CONSOLE_SHOTS names a folder, to look at what we built."""
    folder = os.environ.get("SUPPORT_CONSOLE_SHOTS")
    if folder:
        QApplication.processEvents()  # pending layout requests first, so the picture is what a person would see
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def become_super_user(workspace: Workspace) -> set[str]:
    """Make the workspace work as the demo's first super-user; the codes of their business units."""
    from sqlalchemy import select

    from console.store.database import connect
    from models import BusinessUnit, Membership, Role, User

    with connect(workspace.cache()) as conn:
        user_id, login = conn.execute(select(User.id, User.login).where(User.role == Role.SUPER_USER).limit(1)).one()
        member = select(BusinessUnit.code).join(Membership).where(Membership.user_id == user_id)
        units = set(conn.execute(member).scalars())
    workspace.settings.set("user", login)
    return units


def worked_finance_ticket(
    workspace: Workspace, now: datetime, title: str, impact: Impact, urgency: Urgency
) -> tuple[str, uuid.UUID]:
    """A Finance ticket logged two minutes before ``now`` and taken up a minute later by the workspace's own
    user, as the detail's buttons would; its number and the module's id."""
    from sqlalchemy import select

    engine = workspace.cache()
    with connect(engine) as conn:
        me = load_actor(conn, str(workspace.settings.get("user")))
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, workspace.client_id)
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        unit = conn.execute(select(Ticket.business_unit_id).order_by(Ticket.number).limit(1)).scalar_one()
        conn.commit()
    ticket_id = uuid.uuid4()
    logged = tickets.CreateTicket(ticket_id, TicketKind.INCIDENT, title, "", impact, urgency, unit, fin, me.id, number)
    tickets.execute(engine, me, [logged], now - timedelta(minutes=2))
    worked = [
        edits.assign(ticket_id, me.id, base=None),
        edits.set_status(ticket_id, TicketStatus.IN_PROGRESS, base=TicketStatus.ASSIGNED),
    ]
    tickets.execute(engine, me, worked, now - timedelta(minutes=1))
    return number, fin
