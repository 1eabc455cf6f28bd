"""A problem's lifecycle bar: the moves allowed from the status it is in (``console.problems.rules.MOVES``), each
with its rule in its tooltip (what the problem must hold, whether a reason is asked, who may close it), a reason
asked where ``needs_reason``; "Take it over"; and, when a move to Resolved is applied while incidents are open,
the offer to resolve them (``Desk.resolve_incidents``) and the report of what was resolved and what was kept.

A refusal is said beside the buttons and changes nothing. Those who may not work problems see no moves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QMessageBox, QPushButton, QWidget

from console.desk import Desk
from console.i18n import N_, _
from console.journal.intents import EditProblem, MoveProblem, ProblemIntent
from console.problems.lists import ProblemDetail
from console.problems.rules import CLOSERS, GATES, MOVES, ORDER, WORKERS, needs_reason
from console.problems.service import ProblemApplied
from models import ProblemStatus
from views import words
from views.problem_dialogs import ask_text, offer_resolving, resolved_report
from views.problem_work import Pending, refusal_label, said_beside

P = ProblemStatus
NEEDS = {"owner_id": N_("an owner"), "root_cause": N_("its root cause"), "workaround": N_("a workaround"),
         "change": N_("a change request that fixes it (request one from the problem)")}  # fmt: skip


class LifecycleBar(QWidget):
    applied = Signal(object)  # a ProblemApplied
    refused = Signal(str)
    incidents_resolved = Signal(list, list, bool)  # numbers resolved (or told), those kept each with why; told

    def __init__(self, desk: Desk, pending: Pending) -> None:
        super().__init__()
        self.setObjectName("problem-lifecycle")
        self.desk, self.actor, self.pending = desk, desk.actor, pending
        self.works = self.actor.role in WORKERS
        self.detail: ProblemDetail | None = None
        self.dialog: QInputDialog | QMessageBox | None = None  # the question open now (tests answer it)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.moves_label = QLabel(_("Move to:"))
        layout.addWidget(self.moves_label)
        self.move_row = QHBoxLayout()
        layout.addLayout(self.move_row)
        self.move_buttons: dict[ProblemStatus, QPushButton] = {}
        self.take_over = QPushButton(_("&Take it over"))
        self.take_over.setObjectName("problem-take-over")
        self.take_over.clicked.connect(self.take_it_over)
        layout.addWidget(self.take_over)
        self.refusal = refusal_label("problem-move-refusal")
        layout.addWidget(self.refusal, 1)
        layout.addStretch(0)
        for widget in (self.moves_label, self.take_over):
            widget.setVisible(self.works)
        self.show_moves(None)

    def show_moves(self, detail: ProblemDetail | None) -> None:
        """The moves from the status of the problem shown (none when nothing is shown)."""
        if detail is None or self.detail is None or detail.number != self.detail.number:
            self.refusal.hide()
        self.detail = detail
        for button in self.move_buttons.values():
            self.move_row.removeWidget(button)
            button.deleteLater()
        self.move_buttons = {}
        if detail is None or not self.works:
            self.take_over.setEnabled(False)
            return
        status = ProblemStatus(detail.row["status"])
        for to in (s for s in ORDER if s in MOVES[status]):
            caption = words.problem_status(to)
            if ORDER.index(to) < ORDER.index(status):
                caption = _("Back to {status}").format(status=caption)
            button = QPushButton(caption)
            button.setObjectName(f"move-{to.value.replace('_', '-')}")
            button.setToolTip(self._rule(detail, status, to))
            if to is P.CLOSED and self.actor.role not in CLOSERS and detail.row["owner_id"] != self.actor.id:
                button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, s=to: self.ask_move(s))
            self.move_row.addWidget(button)
            self.move_buttons[to] = button
        if self.move_buttons:
            self.moves_label.setText(_("Move to:"))
        else:
            self.moves_label.setText(_("{status} is final.").format(status=words.problem_status(status)))
        mine = detail.row["owner_id"] == self.actor.id
        self.take_over.setEnabled(status is not P.CLOSED and not mine)
        self.take_over.setToolTip(_("You own it.") if mine else _("Make yourself its owner"))

    def _rule(self, detail: ProblemDetail, status: ProblemStatus, to: ProblemStatus) -> str:
        """A move's rule in words: what the problem must hold, whether a reason is asked, who may close it."""
        said = []
        needs = GATES.get(to, ())
        if needs:
            said.append(_("Needs {what}.").format(what=", ".join(_(NEEDS[n]) for n in needs)))
        if needs_reason(status, to):
            said.append(_("You are asked why."))
        if to is P.CLOSED:
            said.append(_("Only its owner or a support manager closes {number}.").format(number=detail.number))
        if to is P.RESOLVED:
            said.append(_("Its open incidents can be resolved with it."))
        return " ".join(said)

    def ask_move(self, to: ProblemStatus) -> None:
        if self.detail is None:
            return
        if not needs_reason(ProblemStatus(self.detail.row["status"]), to):
            self.move_to(to)
            return
        label = words.problem_status(to)
        self.dialog = ask_text(self, "problem-reason", label, _("Why does it go to {status}?").format(
            status=label.lower()), lambda reason: self.move_to(to, reason))  # fmt: skip

    def move_to(self, to: ProblemStatus, reason: str | None = None) -> None:
        """Move the problem shown; resolved with incidents still open, offer to resolve them too."""
        if self.detail is None:
            return
        detail = self.detail
        intent = MoveProblem(detail.row["id"], to, ProblemStatus(detail.row["status"]), reason)
        still_open = sum(1 for i in detail.incidents if i.status.is_open)

        def moved(applied: ProblemApplied) -> None:
            self.applied.emit(applied)
            if to is P.RESOLVED and still_open:
                self.dialog = offer_resolving(self, detail.number, still_open,
                                              lambda notify: self.resolve_incidents(detail, reason or "",
                                                                                    notify=notify))  # fmt: skip

        self._edit(intent, _("Moving {number}…").format(number=detail.number), moved)

    def resolve_incidents(self, detail: ProblemDetail, reason: str, *, notify: bool = False) -> None:
        """Each open incident resolved as its own audited edit, with the move's reason (``notify``: told so, in a
        public note, and left open)."""
        if notify:
            said = _("Problem {number}, behind this incident, is resolved: {reason}").format(
                number=detail.number, reason=reason)  # fmt: skip
            label = _("Telling the incidents of {number}…").format(number=detail.number)
        else:
            said = _("Resolved with problem {number}: {reason}").format(number=detail.number, reason=reason)
            label = _("Resolving the incidents of {number}…").format(number=detail.number)
        self.pending.run(
            partial(self.desk.resolve_incidents, notify=notify), detail.row["id"], said, label=label,
            success=lambda outcome: self._incidents_resolved(detail.number, *outcome, notified=notify),
            failure=self._refuse,
        )  # fmt: skip

    def _incidents_resolved(self, number: str, done: list[str], kept: list[str], *, notified: bool = False) -> None:
        self.dialog = resolved_report(self, number, done, kept, notified=notified)
        self.incidents_resolved.emit(done, kept, notified)

    def take_it_over(self) -> None:
        if self.detail is not None:
            row = self.detail.row
            self._edit(EditProblem(row["id"], "owner_id", self.actor.id, row["owner_id"]),
                       _("Saving {number}…").format(number=self.detail.number), self.applied.emit)  # fmt: skip

    def _edit(self, intent: ProblemIntent, label: str, then: Callable[[ProblemApplied], None]) -> None:
        self.refusal.hide()
        self.pending.run(self.desk.edit_problem, intent, label=label, success=then, failure=self._refuse)

    def _refuse(self, error: BaseException) -> None:
        why = said_beside(self, error, self.refusal)
        if why is not None:
            self.refused.emit(why)
