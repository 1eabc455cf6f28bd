"""GUI tests run headless on Qt's offscreen platform, each on its own copy of the demo workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QWidget,
)

from console.store.workspace import Workspace
from views.look import apply_look


@pytest.fixture(autouse=True)
def app_look(qapp: QApplication) -> None:
    apply_look(qapp)


CONTROLS = (QAbstractButton, QLabel, QLineEdit, QComboBox, QProgressBar, QAbstractItemView)


class StrayWindows(QObject):
    """Notes a control shown as a window of its own: shown before it had a parent (``setVisible(True)`` while a
    view builds itself), it flashes on the desktop and takes the focus from the main window, whose keys then
    stop working (F5 in the ticket view did)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, CONTROLS)
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and watched.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
        ):
            self.seen.append(f"{type(watched).__name__} {watched.objectName() or watched.property('text') or ''}")
        return False


@pytest.fixture(autouse=True)
def no_stray_windows(qapp: QApplication) -> Iterator[None]:
    """No control of a view ever shows as a window of its own."""
    stray = StrayWindows()
    qapp.installEventFilter(stray)
    yield
    qapp.removeEventFilter(stray)
    assert stray.seen == [], f"shown as windows of their own: {stray.seen}"


@pytest.fixture
def gui_workspace(demo_copy: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(demo_copy)
    workspace.settings.set("sync_automatically", False)  # a test that wants background sync turns it on
    yield workspace
    workspace.close()
