"""The ticket detail's known-error banner: an incident linked to a known error shows its workaround, and
"Apply workaround" adds it to the ticket as a public comment in one step (``Desk.apply_workaround``).

Read and applied on the database worker; hidden while the ticket has no known error. A refusal (a role that may
not comment) is said in the banner and changes nothing.
"""

from __future__ import annotations

import uuid
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from console.access import Can
from console.desk import Desk
from console.i18n import _
from views.errors import show_error
from views.problem_work import said_beside
from views.tasks import TaskRunner

STYLE = "QFrame#known-error-banner { background: #fef0c7; border: 1px solid #f79009; border-radius: 6px; }"


class KnownErrorBanner(QFrame):
    shown = Signal(object)  # (number, title, workaround) of the known error, or None
    applied = Signal(str)  # the ticket's number, once the workaround is added as a comment
    refused = Signal(str)

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("known-error-banner")
        self.setStyleSheet(STYLE)
        self.desk, self.runner = desk, runner
        self.ticket_id: uuid.UUID | None = None
        layout = QHBoxLayout(self)
        texts = QVBoxLayout()
        self.heading = QLabel()
        self.heading.setObjectName("known-error-heading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.workaround = QLabel()
        self.workaround.setObjectName("known-error-workaround")
        self.workaround.setTextFormat(Qt.TextFormat.PlainText)
        self.workaround.setWordWrap(True)
        self.workaround.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refusal = QLabel()
        self.refusal.setObjectName("known-error-refusal")
        self.refusal.setStyleSheet("color: #b42318;")
        self.refusal.setWordWrap(True)
        self.refusal.hide()
        for label in (self.heading, self.workaround, self.refusal):
            texts.addWidget(label)
        layout.addLayout(texts, 1)
        self.apply_button = QPushButton(_("Apply &workaround"))
        self.apply_button.setObjectName("apply-workaround")
        self.may_note = desk.actor.may(Can.NOTE)
        self.apply_button.clicked.connect(self.apply)
        layout.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_for(self, ticket_id: uuid.UUID, still_open: bool = True) -> None:
        """Read the known error the ticket is linked to (the banner hides while there is none); a resolved or
        closed ticket shows it without offering to apply it."""
        if ticket_id != self.ticket_id:
            self.hide()
            self.refusal.hide()
        self.ticket_id = ticket_id
        self.apply_button.setEnabled(self.may_note and still_open)
        if not self.may_note:
            self.apply_button.setToolTip(_("Your role does not add comments to tickets."))
        elif not still_open:
            self.apply_button.setToolTip(_("The ticket is no longer open."))
        else:
            self.apply_button.setToolTip(_("Add the workaround to the ticket as a comment for the reporter"))
        self.runner.op(self.desk.known_error, ticket_id).success(partial(self._show, ticket_id)).failure(
            self._failed
        ).run()

    def _show(self, ticket_id: uuid.UUID, found: tuple[str, str, str] | None) -> None:
        if ticket_id != self.ticket_id:
            return  # another ticket was opened meanwhile
        if found is None:
            self.hide()
        else:
            number, title, workaround = found
            self.heading.setText(_("Known error {number}: {title}").format(number=number, title=title))
            self.workaround.setText(_("Workaround: {text}").format(text=workaround))
            self.show()
        self.shown.emit(found)

    def apply(self) -> None:
        if self.ticket_id is None:
            return
        self.refusal.hide()
        self.runner.op(self.desk.apply_workaround, self.ticket_id, label=_("Applying the workaround…")).success(
            self.applied.emit
        ).failure(self._refused).run()

    def _failed(self, error: BaseException) -> None:
        show_error(self, error)

    def _refused(self, error: BaseException) -> None:
        why = said_beside(self, error, self.refusal)
        if why is not None:
            self.refused.emit(why)
