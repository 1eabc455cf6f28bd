"""The About dialog: what this is, which versions, where the data lives."""

from __future__ import annotations

import platform
from importlib.metadata import version

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

import console
import resources
from console.i18n import _
from console.store.database import describe
from console.store.workspace import Workspace


class AboutDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about-dialog")
        self.setWindowTitle(_("About Support Console"))
        layout = QVBoxLayout(self)
        icon = QLabel()
        icon.setPixmap(QIcon(str(resources.path("icons/app.svg"))).pixmap(64, 64))
        layout.addWidget(icon, alignment=Qt.AlignmentFlag.AlignHCenter)
        what = _(
            "The offline-first desk for teams who keep an ERP system running after go-live: ticket queue, ticket "
            "detail, change approval and SLA metrics, on a local cache that syncs with the team's shared database."
        )
        workspace_word, cache_word, shared_word = _("Workspace"), _("Local cache"), _("Shared database")
        licence = _("MIT licence.")
        self.text = QLabel(
            f"<h2>Support Console {console.__version__}</h2><p>{what}</p>"
            f"<p><b>{workspace_word}</b> {workspace.home}<br><b>{cache_word}</b> {workspace.cache_path}"
            f"<br><b>{shared_word}</b> {describe(workspace.shared_url())}</p>"
            f"<p>Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}"
            f" · SQLAlchemy {version('SQLAlchemy')}</p><p>{licence}</p>"
        )
        self.text.setObjectName("about-text")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setMinimumWidth(460)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
