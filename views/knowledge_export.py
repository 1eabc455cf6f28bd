"""Published articles exported for an intranet: "Export…" the one shown, or "Export tier 0…" every published article
for end users, as one web page (.html) or PDF (.pdf), as the file's name ends (``Desk.export_articles``).

The file is written on the database worker (the export reads the articles), never on the UI thread; where it went,
or why it was not written, is said beside the buttons.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from console.desk import Desk
from console.i18n import _
from console.knowledge.lists import ArticleDetail
from models import ArticleStatus
from views.knowledge_model import status_word
from views.problem_work import Pending, refusal_label, said_beside


class ExportBar(QWidget):
    exported = Signal(str)  # the file written

    def __init__(self, desk: Desk, pending: Pending) -> None:
        super().__init__()
        self.setObjectName("knowledge-export-bar")
        self.desk, self.pending = desk, pending
        self.detail: ArticleDetail | None = None
        self.dialog: QFileDialog | None = None  # the question open now (tests answer it)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QPushButton(_("E&xport…"))
        self.button.setObjectName("knowledge-export")
        self.button.clicked.connect(lambda: self.ask(tier0=False))
        self.tier0_button = QPushButton(_("Export &tier 0…"))
        self.tier0_button.setObjectName("knowledge-export-tier0")
        self.tier0_button.setToolTip(_("Every published article for end users, in one file for the intranet"))
        self.tier0_button.clicked.connect(lambda: self.ask(tier0=True))
        self.said = QLabel()
        self.said.setObjectName("knowledge-export-said")
        self.said.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.said.setProperty("role", "lead")
        self.refusal = refusal_label("knowledge-export-refusal")
        for widget in (self.button, self.tier0_button, self.said):
            layout.addWidget(widget)
        layout.addWidget(self.refusal, 1)
        layout.addStretch(0)
        self.show_for(None)

    def show_for(self, detail: ArticleDetail | None) -> None:
        """Export… takes the article shown when it is published, and says why not otherwise."""
        self.detail = detail
        published = detail is not None and detail.status is ArticleStatus.PUBLISHED
        self.button.setEnabled(published)
        if detail is None:
            self.button.setToolTip(_("Choose a published article to export it"))
        elif published:
            self.button.setToolTip(_("{number} as a web page or a PDF").format(number=detail.number))
        else:
            self.button.setToolTip(_("Only a published article is exported; {number} is {status}.").format(
                number=detail.number, status=status_word(detail.status).lower()))  # fmt: skip

    def ask(self, *, tier0: bool) -> QFileDialog | None:
        """Where to write it: a .html page or a .pdf, as the name ends (the filter chosen gives the ending)."""
        detail = self.detail
        if not tier0 and (detail is None or detail.status is not ArticleStatus.PUBLISHED):
            return None
        if tier0 or detail is None:
            name, title = "knowledge-base-end-users.html", _("Export the articles for end users")
        else:
            name, title = f"{detail.number}.html", _("Export {number}").format(number=detail.number)
        dialog = QFileDialog(self, title, str(Path.home() / name))
        dialog.setObjectName("knowledge-export-dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([_("Web page (*.html)"), _("PDF document (*.pdf)")])
        dialog.setDefaultSuffix("html")
        dialog.filterSelected.connect(lambda chosen: dialog.setDefaultSuffix("pdf" if "pdf" in chosen else "html"))
        dialog.fileSelected.connect(lambda path: self.export(path, tier0=tier0))
        dialog.open()
        self.dialog = dialog
        return dialog

    def export(self, path: str, *, tier0: bool) -> None:
        """Write the file on the database worker, then say where it went."""
        numbers = () if tier0 or self.detail is None else (self.detail.number,)
        self.said.setText("")
        self.refusal.hide()
        self.pending.run(partial(self.desk.export_articles, tier0=tier0), path, numbers,
                         label=_("Exporting the articles…"), success=self._exported,
                         failure=self._failed)  # fmt: skip

    def _exported(self, path: str) -> None:
        self.said.setText(_("Exported to {path}.").format(path=path))
        self.exported.emit(path)

    def _failed(self, error: BaseException) -> None:
        said_beside(self, error, self.refusal, lambda why: _("Not exported: {why}").format(why=why))
