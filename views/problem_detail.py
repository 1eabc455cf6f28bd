"""One problem in full, and its work: what it is (description, root cause, workaround: saved with Save), its
incidents with their status (Enter or a double click opens one; link and unlink them), its fixes (linked change
requests and their stage) and its history; above them its lifecycle (``views.problem_lifecycle``).

Every read and edit runs on the database worker through the person's desk; a refusal is said beside the control
that asked and changes nothing. Those who may not work problems (``WORKERS``) read it, and a line says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.access import Refused
from console.desk import Desk
from console.i18n import N_, _, n_, right_to_left
from console.journal.intents import EditProblem, LinkIncidents, ProblemIntent
from console.journal.touched import Done, Touched
from console.problems.lists import ProblemDetail
from console.problems.rules import KNOWN, WORKERS
from console.problems.service import ProblemApplied, may_work
from console.zone import moment_text, zoned
from models import Priority, ProblemStatus
from views import words
from views.errors import show_error
from views.problem_dialogs import ask_text, incidents_outcome
from views.problem_lifecycle import LifecycleBar
from views.problem_work import Pending, refusal_label, said_beside
from views.problems_model import KNOWN_COLOUR
from views.tables import RowsModel, rows_table, when_text

P = ProblemStatus
TEXTS = {"description": N_("Description"), "root_cause": N_("Root cause"), "workaround": N_("Workaround")}
LEFT_TO_RIGHT_MARK, RIGHT_TO_LEFT_MARK = "\u200e", "\u200f"
SHORT = 90  # a text in the history is cut to this many characters (the tab shows the whole of the current one)


def link_incidents(desk: Desk, problem_id: uuid.UUID, numbers: list[str]) -> Done[ProblemApplied]:
    """Link incidents named by number (each found as the person may see it), in one edit."""
    ids = frozenset(desk.ticket(number).row["id"] for number in numbers)
    return desk.edit_problem(LinkIncidents(problem_id, ids))


class ProblemPanel(QWidget):
    loaded = Signal(object)  # the ProblemDetail shown
    applied = Signal(object)  # a ProblemApplied: the list reads again
    refused = Signal(str)
    open_ticket = Signal(str)  # an incident's number
    incidents_resolved = Signal(list, list)  # numbers resolved, and those kept open each with why

    def __init__(self, desk: Desk, pending: Pending) -> None:
        super().__init__()
        self.setObjectName("problem-panel")
        self.desk, self.actor, self.pending = desk, desk.actor, pending
        self.detail: ProblemDetail | None = None
        self.people: dict[str, str] = {}  # id → name, for the history's owners
        self.works = self.actor.role in WORKERS
        self.dialog: QInputDialog | None = None  # the question open now (tests answer it)
        self._saved: set[str] = set()  # the texts saved since the problem was last shown

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(_("Choose a problem above."))
        self.heading.setObjectName("problem-heading")
        self.heading.setProperty("role", "subheading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        self.facts = QLabel()
        self.facts.setObjectName("problem-facts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.facts)
        self.read_only = QLabel()
        self.read_only.setObjectName("problem-read-only")
        self.read_only.setWordWrap(True)
        self.read_only.setProperty("role", "lead")
        try:
            may_work(self.actor)
        except Refused as why:
            self.read_only.setText(_("Read only: {why}").format(why=why))
        layout.addWidget(self.read_only)
        if self.works:  # (hidden, never shown, before it has a parent: shown alone, a widget is a window)
            self.read_only.hide()

        self.lifecycle = LifecycleBar(desk, pending)
        self.lifecycle.applied.connect(self._applied)
        self.lifecycle.refused.connect(self._lifecycle_refused)
        self.lifecycle.incidents_resolved.connect(self._incidents_resolved)
        layout.addWidget(self.lifecycle)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("problem-tabs")
        self.tabs.addTab(self._build_texts(), _("Overview"))
        self.tabs.addTab(self._build_incidents(), _("Incidents"))
        self.fixes = RowsModel([_("Change"), _("Title"), _("Stage")], self)
        self.fixes_table = rows_table(self.fixes, "problem-fixes")
        self.tabs.addTab(self.fixes_table, _("Fixes"))
        self.history = RowsModel([zoned(_("When")), _("By"), _("What"), _("From"), _("To"), _("Why")], self)
        self.tabs.addTab(rows_table(self.history, "problem-history"), _("History"))
        layout.addWidget(self.tabs, 1)
        self._show_nothing()

    def _build_texts(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        self.editors: dict[str, QPlainTextEdit] = {}
        for name, (row, column) in zip(TEXTS, ((0, 0), (0, 1), (2, 1)), strict=True):
            editor = QPlainTextEdit()
            editor.setObjectName(f"problem-{name.replace('_', '-')}")
            editor.setTabChangesFocus(True)
            editor.setReadOnly(not self.works)
            editor.textChanged.connect(self._dirty_changed)
            self.editors[name] = editor
            grid.addWidget(QLabel(_(TEXTS[name])), row, column)
            grid.addWidget(editor, row + 1, column, 3 if name == "description" else 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("&Save"))
        self.save_button.setObjectName("problem-save")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(_("Re&vert"))
        self.revert_button.setObjectName("problem-revert")
        self.revert_button.clicked.connect(self.revert)
        self.save_refusal = refusal_label("problem-save-refusal")
        for button in (self.save_button, self.revert_button):
            buttons.addWidget(button)
            if not self.works:
                button.hide()
        buttons.addWidget(self.save_refusal, 1)
        buttons.addStretch(0)
        grid.addLayout(buttons, 4, 0, 1, 2)
        return page

    def _build_incidents(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.incidents = RowsModel([_("Incident"), _("Title"), _("Status"), _("Unit")], self)
        self.incidents_table = rows_table(self.incidents, "problem-incidents")
        self.incidents_table.horizontalHeader().setStretchLastSection(False)
        self.incidents_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.incidents_table.activated.connect(self._open_incident)  # Enter or a double click
        layout.addWidget(self.incidents_table, 1)
        row = QHBoxLayout()
        self.link_button = QPushButton(_("&Link incidents…"))
        self.link_button.setObjectName("problem-link")
        self.link_button.clicked.connect(self.ask_link)
        self.unlink_button = QPushButton(_("&Unlink"))
        self.unlink_button.setObjectName("problem-unlink")
        self.unlink_button.setToolTip(_("Take the chosen incident off this problem"))
        self.unlink_button.clicked.connect(self.unlink_chosen)
        hint = QLabel(_("Enter or a double click opens the incident."))
        hint.setProperty("role", "lead")
        for button in (self.link_button, self.unlink_button):
            row.addWidget(button)
            if not self.works:
                button.hide()
        self.link_refusal = refusal_label("problem-link-refusal")
        row.addWidget(self.link_refusal, 1)
        row.addStretch(0)
        row.addWidget(hint)
        layout.addLayout(row)
        self.outcome = QLabel()
        self.outcome.setObjectName("problem-incidents-outcome")
        self.outcome.setWordWrap(True)
        self.outcome.hide()
        layout.addWidget(self.outcome)
        return page

    # -- reading -------------------------------------------------------------------------------------------------

    def open(self, number: str) -> None:
        self.pending.run(self.desk.problem, number, label=_("Opening {number}…").format(number=number),
                         success=self.show_detail, failure=self._failed)  # fmt: skip

    def reload(self) -> None:
        if self.detail is not None:
            self.open(self.detail.number)

    def clear(self, said: str) -> None:
        self.detail = None
        self._show_nothing(said)

    def _show_nothing(self, said: str | None = None) -> None:
        self.heading.setText(said or _("Choose a problem above."))
        self.facts.setText("")
        for editor in self.editors.values():
            editor.setPlainText("")
            editor.setEnabled(False)
        for model in (self.incidents, self.fixes, self.history):
            model.set_rows([])
        self.lifecycle.show_moves(None)
        for widget in (self.save_button, self.revert_button, self.link_button, self.unlink_button):
            widget.setEnabled(False)

    def show_detail(self, detail: ProblemDetail) -> None:
        again = self.detail is not None and self.detail.number == detail.number
        before = self.detail.row if again and self.detail is not None else {}
        if not again:
            for label in (self.save_refusal, self.link_refusal, self.outcome):
                label.hide()
        self.detail = detail
        row = detail.row
        status = ProblemStatus(row["status"])
        self.heading.setText(f"{detail.number} · {row['title']}")
        self.facts.setText(self._facts(detail))
        editable = self.works and status is not P.CLOSED
        for name, editor in self.editors.items():
            typed = editor.toPlainText()
            unsaved = again and name not in self._saved and typed.strip() not in (before[name] or "", row[name] or "")
            if not unsaved:  # what the person typed and did not save is kept
                editor.setPlainText(row[name] or "")
            editor.setEnabled(True)
            editor.setReadOnly(not editable)
        self._saved = set()
        self.incidents.set_rows([[i.number, i.title, words.status(i.status), i.unit] for i in detail.incidents])
        self.tabs.setTabText(1, _("Incidents ({count})").format(count=len(detail.incidents)))
        self.fixes.set_rows([[f.number, f.title, words.stage(f.stage)] for f in detail.fixes])
        self.tabs.setTabText(2, _("Fixes ({count})").format(count=len(detail.fixes)))
        self.history.set_rows([self._step_cells(step) for step in reversed(detail.history)])
        self.lifecycle.show_moves(detail)
        self.link_button.setEnabled(editable)
        self.unlink_button.setEnabled(editable and bool(detail.incidents))
        self._dirty_changed()
        self.loaded.emit(detail)

    def _facts(self, detail: ProblemDetail) -> str:
        row, names = detail.row, detail.names
        status = ProblemStatus(row["status"])
        said = f"<b>{words.problem_status(status)}</b>"
        if status in KNOWN:
            said = f"<span style='color:{KNOWN_COLOUR}'>{said}</span>"
        parts = [
            said,
            _("priority {priority}").format(priority=words.priority(Priority(row["priority"])).lower()),
            _("module {module}").format(module=names["module"]),
            _("unit {unit}").format(unit=names["unit"] or "—"),
            _("group {group}").format(group=names["group"] or "—"),
            _("owner {owner}").format(owner=_isolated(_escape(names["owner"])) or "—"),
        ]
        open_count = sum(1 for i in detail.incidents if i.status.is_open)
        count = len(detail.incidents)
        parts.append(n_("{count} incident, {open} open", "{count} incidents, {open} open", count).format(
            count=count, open=open_count))  # fmt: skip
        moments = [_("opened {moment}").format(moment=moment_text(row["created_at"], named=True))]
        for key, text in (("known_error_at", _("known error since {moment}")), ("resolved_at", _("resolved {moment}")),
                          ("closed_at", _("closed {moment}"))):  # fmt: skip
            if row.get(key):
                moments.append(text.format(moment=moment_text(row[key])))
        return " · ".join(parts) + "<br>" + " · ".join(moments)

    def _step_cells(self, step: Any) -> list[str]:
        name = step.field
        what = words.field(name.removesuffix("_id"))
        return [when_text(step.at), step.by, what, self._value(name, step.old), self._value(name, step.new),
                step.reason or ""]  # fmt: skip

    def _value(self, name: str, value: str | None) -> str:
        if value is None:
            return ""
        if name == "status" and value in set(P):
            return words.problem_status(P(value))
        if name == "priority" and value in set(Priority):
            return words.priority(Priority(value))
        if name == "owner_id":
            return self.people.get(value, value)
        one_line = " ".join(value.split())
        return one_line if len(one_line) <= SHORT else one_line[: SHORT - 1] + "…"

    def _failed(self, error: BaseException) -> None:
        self.heading.setText(_("This problem could not be opened."))
        show_error(self, error)

    def shows_any(self, touched: Touched) -> bool:
        """Whether an edit changed what is shown: a sync brought others' edits, or an incident shown changed."""
        if self.detail is None:
            return touched.everything
        return touched.everything or any(touched.ticket(i.id) for i in self.detail.incidents)

    # -- the lifecycle -------------------------------------------------------------------------------------------

    def _lifecycle_refused(self, message: str) -> None:
        self.refused.emit(message)
        self.reload()  # what is stored now

    def _incidents_resolved(self, done: list[str], kept: list[str], notified: bool = False) -> None:
        self.outcome.setText(incidents_outcome(done, kept, notified=notified))
        self.outcome.show()
        self.incidents_resolved.emit(done, kept)

    # -- the texts -----------------------------------------------------------------------------------------------

    def changed_texts(self) -> dict[str, str]:
        """The texts that differ from those stored, as typed."""
        if self.detail is None:
            return {}
        row = self.detail.row
        return {n: e.toPlainText() for n, e in self.editors.items() if e.toPlainText().strip() != (row[n] or "")}

    def _dirty_changed(self) -> None:
        dirty = bool(self.changed_texts()) and self.works
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)

    def save(self) -> None:
        """One edit per text changed, in turn; a refusal stops there (those before it are saved)."""
        if self.detail is None:
            return
        row = self.detail.row
        intents = [EditProblem(row["id"], name, text.strip(), row[name]) for name, text in self.changed_texts().items()]
        self.save_refusal.hide()
        self._save_next(intents, None)

    def _save_next(self, intents: list[EditProblem], last: ProblemApplied | None) -> None:
        if not intents:
            if last is not None:
                self._applied(last)
            return
        assert self.detail is not None
        first, rest = intents[0], intents[1:]

        def saved(applied: ProblemApplied) -> None:
            self._saved.add(first.field)
            self._save_next(rest, applied)

        self._edit(first, _("Saving {number}…").format(number=self.detail.number), saved, self.save_refusal)

    def revert(self) -> None:
        if self.detail is not None:
            for name, editor in self.editors.items():
                editor.setPlainText(self.detail.row[name] or "")
        self.save_refusal.hide()

    # -- incidents -----------------------------------------------------------------------------------------------

    def _open_incident(self, index: Any) -> None:
        if self.detail is not None and 0 <= index.row() < len(self.detail.incidents):
            self.open_ticket.emit(self.detail.incidents[index.row()].number)

    def ask_link(self) -> None:
        if self.detail is None:
            return
        self.dialog = ask_text(self, "problem-link-dialog", _("Link incidents"),
                               _("Incident numbers (INC-…), separated by spaces or commas:"), self.link)  # fmt: skip

    def link(self, numbers: str) -> None:
        wanted = [n for n in numbers.replace(",", " ").split() if n]
        if self.detail is None or not wanted:
            return
        self.link_refusal.hide()
        label = _("Linking incidents to {number}…").format(number=self.detail.number)
        self.pending.run(link_incidents, self.desk, self.detail.row["id"], wanted, label=label, success=self._applied,
                         failure=lambda error: self._refuse(error, self.link_refusal))  # fmt: skip

    def unlink_chosen(self) -> None:
        if self.detail is None:
            return
        rows = {index.row() for index in self.incidents_table.selectionModel().selectedRows()}
        chosen = frozenset(self.detail.incidents[r].id for r in rows if r < len(self.detail.incidents))
        if chosen:
            self._edit(LinkIncidents(self.detail.row["id"], chosen, unlink=True),
                       _("Unlinking from {number}…").format(number=self.detail.number), self._applied,
                       self.link_refusal)  # fmt: skip

    # -- applying ------------------------------------------------------------------------------------------------

    def _edit(self, intent: ProblemIntent, label: str, then: Callable[[ProblemApplied], None], beside: QLabel) -> None:
        beside.hide()
        self.pending.run(self.desk.edit_problem, intent, label=label, success=then,
                         failure=lambda error: self._refuse(error, beside))  # fmt: skip

    def _applied(self, applied: ProblemApplied) -> None:
        self.applied.emit(applied)  # the view reads the list again, and this problem with it

    def _refuse(self, error: BaseException, beside: QLabel) -> None:
        why = said_beside(self, error, beside)
        if why is not None:
            self.refused.emit(why)
            self.reload()  # what is stored now (a text typed and not saved stays as typed)


def _isolated(name: str) -> str:
    """A name followed by the mark of the window's direction, so that what follows it reads in that direction
    (a Persian name in an English line would otherwise carry the next figure into its own run)."""
    mark = RIGHT_TO_LEFT_MARK if right_to_left() else LEFT_TO_RIGHT_MARK
    return name + mark if name else name


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
