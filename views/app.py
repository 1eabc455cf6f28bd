"""Start the GUI: one QApplication, the main window, and the crash handler."""

from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import console
import resources
from console.workspace import Workspace
from views.errors import install_excepthook
from views.main_window import MainWindow


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Support Console")
    app.setApplicationDisplayName("Support Console")
    app.setApplicationVersion(console.__version__)
    app.setOrganizationName("Support Console")
    app.setDesktopFileName("support-console")
    apply_look(app)
    return app


def apply_look(app: QApplication) -> None:
    """The app's icon and style sheet (tests apply it too, so screenshots show the real thing)."""
    app.setWindowIcon(QIcon(str(resources.path("icons/app.svg"))))
    app.setStyleSheet(resources.text("app.qss"))


def run(workspace: Workspace) -> int:
    app = create_application()
    window = MainWindow(workspace)
    install_excepthook(lambda: window, workspace.home / "crash-reports")
    window.show()
    window.load()
    return app.exec()
