"""Logging a ticket (Ctrl+N): required fields checked as you type, priority from impact × urgency.

The priority follows the ITIL matrix; overriding it asks for the reason, which goes into the
ticket's history. The ticket is created by the ticket services on the database worker, with a
number from this workspace's own block.

Beside the form, as the title (and description, module) is typed, the articles, known errors and resolved
tickets most like it (``views.suggestions_panel``): Enter or a double click on one asks the window to open it.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk, NewTicket
from console.i18n import _
from console.tickets.queue import Choices
from console.tickets.service import Applied, priority_for
from models import Impact, Priority, TicketKind, Urgency
from models.tickets import TITLE_MAX
from views import words
from views.errors import show_error
from views.suggestions_panel import SuggestionsPanel
from views.tasks import TaskRunner


class NewTicketDialog(QDialog):
    created = Signal(str)  # the new ticket's number
    open_ticket = Signal(str)  # a similar resolved ticket's number, to open (Enter or a double click on it)
    open_problem = Signal(str)  # a known error's number, to open
    open_article = Signal(str)  # a knowledge article's number, to open

    def __init__(self, desk: Desk, runner: TaskRunner, choices: Choices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new-ticket")
        self.setWindowTitle(_("Log a ticket"))
        self.setMinimumWidth(980)
        self.desk, self.runner = desk, runner
        layout = QVBoxLayout(self)
        sides = QHBoxLayout()
        form = QFormLayout()
        self.kind = QComboBox()
        for kind in TicketKind:
            self.kind.addItem(words.capital(words.kind(kind)), kind.value)
        self.title = QLineEdit()
        self.title.setObjectName("new-title")
        self.title.setMaxLength(TITLE_MAX)
        self.title.setPlaceholderText(_("What is wrong, in one line (required)"))
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(_("Steps, document numbers, screenshots to follow…"))
        self.description.setTabChangesFocus(True)  # Tab goes on, to the suggestions beside the form
        self.unit = QComboBox()
        self.unit.addItems(choices.units)
        self.module = QComboBox()
        for module, code in choices.modules:
            self.module.addItem(code, str(module))
        self.impact = QComboBox()
        self.urgency = QComboBox()
        for combo, values in ((self.impact, Impact), (self.urgency, Urgency)):
            for value in values:
                combo.addItem(words.capital(words.level(value.value)), value.value)
            combo.setCurrentIndex(1)  # medium
            combo.currentIndexChanged.connect(self._matrix)
        self.priority = QComboBox()
        self.priority.setObjectName("new-priority")
        for priority in Priority:
            self.priority.addItem(words.priority(priority), priority.value)
        self.priority.setEnabled(False)
        self.override = QCheckBox(_("Override the matrix"))
        self.override.toggled.connect(self._override)
        self.reason = QLineEdit()
        self.reason.setObjectName("new-reason")
        self.reason.setPlaceholderText(_("Why this priority (required when overriding)"))
        self.reason.setEnabled(False)
        for label, widget in ((_("Kind"), self.kind), (_("Title"), self.title), (_("Description"), self.description),
                              (_("Business unit"), self.unit), (_("ERP module"), self.module),
                              (_("Impact"), self.impact), (_("Urgency"), self.urgency), (_("Priority"), self.priority),
                              ("", self.override), (_("Reason"), self.reason)):  # fmt: skip
            form.addRow(label, widget)
        sides.addLayout(form, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.VLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        sides.addWidget(line)
        self.suggestions = SuggestionsPanel(desk, runner)
        self.suggestions.setMinimumWidth(380)
        self.suggestions.open_ticket.connect(self.open_ticket)
        self.suggestions.open_problem.connect(self.open_problem)
        self.suggestions.open_article.connect(self.open_article)
        sides.addWidget(self.suggestions, 1)
        layout.addLayout(sides)
        self.problem = QLabel()
        self.problem.setObjectName("new-problem")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Log ticket"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for field in (self.title, self.reason):
            field.textChanged.connect(self._validate)
        self.title.textChanged.connect(self._suggest)
        self.description.textChanged.connect(self._suggest)
        self.module.currentIndexChanged.connect(self._suggest)
        self.finished.connect(self.suggestions.stop)  # an answer arriving after the dialog closed is dropped
        self._matrix()
        self._validate()

    def _matrix(self) -> None:
        if not self.override.isChecked():
            matrix = priority_for(Impact(self.impact.currentData()), Urgency(self.urgency.currentData()))
            self.priority.setCurrentIndex(list(Priority).index(matrix))

    def _override(self, on: bool) -> None:
        self.priority.setEnabled(on)
        self.reason.setEnabled(on)
        if not on:
            self.reason.clear()
            self._matrix()
        self._validate()

    def _suggest(self) -> None:
        module = self.module.currentData()
        self.suggestions.ask(
            self.title.text(), self.description.toPlainText(), uuid.UUID(module) if module is not None else None
        )

    def problems(self) -> list[str]:
        found = []
        if not self.title.text().strip():
            found.append(_("A title is required."))
        if not self.unit.currentText() or self.module.currentData() is None:
            found.append(_("Choose a business unit and an ERP module."))
        if self.override.isChecked() and not self.reason.text().strip():
            found.append(_("Say why the priority differs from impact × urgency."))
        return found

    def _validate(self) -> None:
        found = self.problems()
        self.problem.setText(" ".join(found))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)

    def values(self) -> NewTicket:
        return NewTicket(
            TicketKind(self.kind.currentData()),
            self.title.text(),
            self.description.toPlainText(),
            Impact(self.impact.currentData()),
            Urgency(self.urgency.currentData()),
            self.unit.currentText(),
            self.module.currentText(),
            priority=Priority(self.priority.currentData()) if self.override.isChecked() else None,
            reason=self.reason.text() or None,
        )

    def submit(self) -> None:
        if self.problems():
            return
        self.buttons.setEnabled(False)
        self.runner.op(self.desk.log_ticket, self.values(), label=_("Logging the ticket…")).success(
            self._created
        ).failure(self._failed).run()

    def _created(self, applied: Applied) -> None:
        self.created.emit(applied.number)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)  # nothing was written: correct and try again
        show_error(self, error)
