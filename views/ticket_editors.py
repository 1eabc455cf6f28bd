"""The ticket screen's editors: the dialog of a ticket's descriptive fields, and the note box where
Ctrl+Enter adds the note; the ticket view applies what they give through the ticket services."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from console.i18n import _
from models import Impact, Urgency
from models.tickets import TITLE_MAX
from views import words


class DetailsDialog(QDialog):
    """The ticket's descriptive fields, as shown; what changes goes through the services."""

    chosen = Signal(dict)

    def __init__(self, row: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticket-details")
        self.setWindowTitle(_("{number} · details").format(number=row["number"]))
        self.setMinimumWidth(560)
        form = QFormLayout(self)
        self.title = QLineEdit(row["title"])
        self.title.setMaxLength(TITLE_MAX)
        self.description = QPlainTextEdit(row["description"])
        self.category = QLineEdit(row["category"] or "")
        self.impact, self.urgency = QComboBox(), QComboBox()
        for combo, values, current in ((self.impact, Impact, row["impact"]), (self.urgency, Urgency, row["urgency"])):
            for value in values:
                combo.addItem(words.capital(words.level(value.value)), value.value)
            combo.setCurrentIndex(max(0, combo.findData(str(current))))
        for label, widget in ((_("Title"), self.title), (_("Description"), self.description),
                              (_("Category"), self.category), (_("Impact"), self.impact),
                              (_("Urgency"), self.urgency)):  # fmt: skip
            form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.text(),
            "description": self.description.toPlainText(),
            "category": self.category.text(),
            "impact": self.impact.currentData(),
            "urgency": self.urgency.currentData(),
        }

    def _save(self) -> None:
        self.chosen.emit(self.values())
        self.accept()


class NoteEditor(QPlainTextEdit):
    """The note being written; Ctrl+Enter adds it (a text box would otherwise take the key as a new line)."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)
