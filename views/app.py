"""Start the GUI: one QApplication, one window per workspace, the main window, and the crash handler."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from console.store.workspace import Workspace
from views.errors import install_excepthook
from views.instance import Instance, tell
from views.look import apply_language, create_application
from views.main_window import MainWindow, bring_to_front
from views.startup_trace import trace


def run(workspace: Workspace, splash: QWidget | None = None, instance: Instance | None = None) -> int:
    """The main window; if a snapshot of the first screen is up, it stays until the live queue is read.

    ``instance``: the workspace already claimed (``views.launch`` does it before painting); else it is claimed
    here, and a workspace open in another window is brought to the front there instead.
    """
    app = create_application()
    apply_language(app)  # the workspace's language (chosen when it opened)
    if instance is None:
        instance = Instance(workspace.home)
        holder = instance.claim()
        if holder is not None:
            return tell(holder)
    window = MainWindow(workspace)
    install_excepthook(lambda: window, workspace.home / "crash-reports")
    if splash is None:
        window.show()
    else:
        window.setGeometry(splash.geometry())

    def take_over(*_args: object) -> None:
        if splash is not None and splash.isVisible():
            window.show()
            splash.close()
        if not window.isVisible():
            return
        window.repaint()
        trace("painted (live)")
        if os.environ.get("SUPPORT_CONSOLE_TRACE") == "exit":  # the start-up benchmark: measure, then leave
            QTimer.singleShot(0, window.close)

    def to_front() -> None:
        bring_to_front(splash if splash is not None and splash.isVisible() else window)

    instance.raise_requested.connect(to_front)
    window.first_screen.connect(take_over)
    window.load_failed.connect(take_over)
    if splash is not None:
        QTimer.singleShot(15_000, take_over)  # whatever happens, the real window within seconds
    window.load()
    try:
        return app.exec()
    finally:
        instance.release()
