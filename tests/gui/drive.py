"""Helpers for GUI tests: open the main window as a user would, and keep screenshots."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from console.store.workspace import Workspace
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
