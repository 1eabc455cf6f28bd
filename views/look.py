"""The QApplication and the app's look: Qt and the packaged resources only (light to import)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, Qt, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import console
import resources
from console import i18n

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


_qt_words: list[QTranslator] = []  # Qt's own catalogues installed for the language in use


def apply_language(app: QApplication) -> None:
    """The language chosen (``console.i18n.choose``) for what Qt itself says (the standard buttons and dialogs,
    from the catalogues PySide6 ships), and the whole window mirrored for a right-to-left one."""
    for old in _qt_words:
        app.removeTranslator(old)
    _qt_words.clear()
    code = i18n.language()
    if code != "en":
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for catalogue in ("qtbase", "qt"):
            words = QTranslator(app)
            if words.load(f"{catalogue}_{code}", folder):
                app.installTranslator(words)
                _qt_words.append(words)
    app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if i18n.right_to_left() else Qt.LayoutDirection.LeftToRight)


def apply_look(app: QApplication) -> None:
    """The app's icon and style sheet (tests apply it too, so screenshots show the real thing)."""
    app.setWindowIcon(QIcon(str(resources.path("icons/app.svg"))))
    app.setStyleSheet(resources.text("app.qss"))
