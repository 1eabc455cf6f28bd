"""The QApplication and the app's look: Qt and the packaged resources only (light to import)."""

from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import console
import resources

APP_NAME = "Support Console"
"""Said once in every window title: Qt appends the application's display name to a title not ending in it."""


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(console.__version__)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(resources.APP_ID)
    apply_look(app)
    return app


def apply_look(app: QApplication) -> None:
    """The app's icon and style sheet (tests apply it too, so screenshots show the real thing)."""
    app.setWindowIcon(QIcon(str(resources.path("icons/app.svg"))))
    app.setStyleSheet(resources.text("app.qss"))
