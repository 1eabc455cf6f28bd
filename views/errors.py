"""Showing problems: a clear message for errors a user can act on, a crash report for bugs."""

from __future__ import annotations

import platform
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPlainTextEdit, QVBoxLayout, QWidget

import console
from console.errors import ConsoleError
from console.i18n import _
from views.look import APP_NAME


def show_error(parent: QWidget | None, error: BaseException, crash_dir: Path | None = None) -> QDialog:
    """Open (not exec) the right dialog for ``error`` and return it."""
    if isinstance(error, ConsoleError):
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, str(error), QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("error-message")
        box.open()
        return box
    dialog = CrashDialog(error, crash_dir, parent)
    dialog.open()
    return dialog


def crash_report(error: BaseException) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return (
        f"Support Console {console.__version__} on Python {platform.python_version()}, {platform.platform()}\n"
        f"{datetime.now(UTC).isoformat(timespec='seconds')}\n\n" + "".join(lines)
    )


class CrashDialog(QDialog):
    """A bug: say so plainly, keep the report on disk, and let the user copy it."""

    def __init__(self, error: BaseException, crash_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Support Console hit a bug"))
        self.setObjectName("crash-dialog")
        self.report = crash_report(error)
        self.saved_to = _save(self.report, crash_dir)
        layout = QVBoxLayout(self)
        said = [_("Something went wrong inside Support Console. Your saved work is safe in the local cache.")]
        if self.saved_to:
            said.append(_("The report was saved to {path}.").format(path=self.saved_to))
        said.append(_("Please send it to your support team."))
        message = QLabel(" ".join(said))
        message.setWordWrap(True)
        layout.addWidget(message)
        details = QPlainTextEdit(self.report)
        details.setReadOnly(True)
        details.setMinimumSize(640, 240)
        layout.addWidget(details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(_("Copy report"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.report))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def _save(report: str, crash_dir: Path | None) -> Path | None:
    if crash_dir is None:
        return None
    try:
        crash_dir.mkdir(parents=True, exist_ok=True)
        path = crash_dir / f"crash-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.txt"
        path.write_text(report, encoding="utf-8")
    except OSError:
        return None
    return path


def install_excepthook(parent_getter: Callable[[], QWidget | None], crash_dir: Path) -> None:
    """Uncaught exceptions in Qt slots become a crash dialog instead of a silent abort."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        error.__traceback__ = tb
        traceback.print_exception(kind, error, tb)
        show_error(parent_getter(), error, crash_dir)

    sys.excepthook = hook
