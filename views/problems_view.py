"""The problem screen: the root causes behind recurring incidents, and known errors.

A list filtered by status (the open ones, all, or one status), module, business unit, owning group and whether
a problem is a known error, and searched by number and text, above the problem chosen in full
(``views.problem_detail``): the list keeps the view's width for its columns, as the change screen's does.
A new problem is opened here too ("New problem…").

Keys: Enter opens the chosen problem (its texts take the focus), Ctrl+F searches, F5 reads everything again.
Every read and write runs on the database worker through the person's desk (``console.desk``); the bar's busy
indicator runs while anything of this view is under way.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk, MetricChoices
from console.errors import ConsoleError
from console.i18n import _, n_
from console.journal.touched import Touched
from console.problems.lists import ProblemFilter, ProblemRow
from console.problems.rules import WORKERS
from console.problems.service import ProblemApplied
from console.tickets.queue import Choices
from models import Priority, ProblemStatus
from views.errors import show_error
from views.list_page import busy_bar, list_over, list_table, searching
from views.problem_detail import ProblemPanel
from views.problem_dialogs import NewProblemDialog
from views.problem_work import Pending
from views.problems_model import (
    ALL_PROBLEMS,
    Column,
    ProblemListModel,
    known_choices,
    problem_filter,
    status_choices,
)
from views.queue_view import ChoiceBox
from views.tables import select_row
from views.tasks import TaskRunner


class ProblemsView(QWidget):
    listed = Signal(int)  # the number of problems listed
    open_ticket = Signal(str)  # an incident's number: the main window opens it in the ticket detail

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("problems-view")
        self.desk, self.runner, self.actor = desk, runner, desk.actor
        self.pending = Pending(runner)
        self.modules: list[str] = []
        self._statuses = status_choices()
        self._known = known_choices()
        self._keep: str | None = None  # the problem to show again once the list is read (just edited or opened)

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.status = self._combo("status", [label for label, _s in self._statuses], _("Status filter"))
        self.module = self._combo("module", [_("Any module")], _("Module filter"))
        self.unit = self._combo("unit", [_("Any unit")], _("Business unit filter"))
        self.group = self._combo("group", [_("Any group")], _("Owning group filter"))
        self.known = self._combo("known", [label for label, _k in self._known], _("Known error filter"))
        self.known.setToolTip(_("Known errors: problems with a documented workaround their incidents show"))
        for combo in (self.status, self.module, self.unit, self.group, self.known):
            bar.addWidget(combo)
        self.search = QLineEdit()
        self.search.setObjectName("problems-search")
        self.search.setPlaceholderText(_("Search number, title, description, root cause, workaround (Ctrl+F)"))
        self.search.setAccessibleName(_("Search the problems"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        bar.addWidget(self.search, 1)
        self.busy = busy_bar("problems-busy", self.pending)
        bar.addWidget(self.busy)
        self.count = QLabel(_("Reading problems…"))
        self.count.setObjectName("problems-count")
        bar.addWidget(self.count)
        self.new_button = QPushButton(_("&New problem…"))
        self.new_button.setObjectName("problems-new")
        self.new_button.clicked.connect(self.new_problem)
        self.new_button.setEnabled(False)  # until the modules are read
        bar.addWidget(self.new_button)
        layout.addLayout(bar)

        self.model = ProblemListModel(self)
        self.table = list_table(self.model, "problems-table", Column.TITLE)
        self.panel = ProblemPanel(desk, self.pending)
        self.splitter = list_over("problems-splitter", self.table, self.panel, (260, 440))
        layout.addWidget(self.splitter, 1)

        self._search_delay = searching(self, self.search, self.reload)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_row(current.row()))
        self.table.activated.connect(self._enter)  # Enter or a double click
        self.panel.applied.connect(self._applied)
        self.panel.open_ticket.connect(self.open_ticket)
        runner.edited.connect(self._touched)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        if self.actor.role not in WORKERS:
            self.new_button.setToolTip(self.panel.read_only.text())

    def _combo(self, name: str, items: list[str], what: str) -> ChoiceBox:
        combo = ChoiceBox(f"problems-{name}", items, what)
        combo.setToolTip(what)
        combo.currentIndexChanged.connect(self.reload)
        return combo

    # -- reading -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Read the list and what its filters offer (modules and units, the groups owning problems, people)."""
        self.reload()
        self.pending.run(self.desk.metric_choices, label=_("Reading modules and units…"), success=self._set_choices,
                         failure=self._failed)  # fmt: skip
        self.pending.run(self.desk.problems, ProblemFilter(statuses=tuple(ProblemStatus)), label="",
                         success=self._set_groups, failure=self._failed)  # fmt: skip
        self.pending.run(self.desk.queue_choices, label="", success=self._set_people, failure=self._failed)

    def _set_choices(self, choices: MetricChoices) -> None:
        self.modules = choices.modules
        _fill(self.module, choices.modules)
        _fill(self.unit, choices.units)
        self.new_button.setEnabled(self.actor.role in WORKERS and bool(self.modules))

    def _set_groups(self, problems: list[ProblemRow]) -> None:
        _fill(self.group, sorted({p.group for p in problems if p.group}))

    def _set_people(self, choices: Choices) -> None:
        self.panel.people = {str(person): name for person, _login, name in choices.people}

    def current_filter(self) -> ProblemFilter:
        def chosen(combo: ChoiceBox) -> str | None:
            return combo.currentText() if combo.currentIndex() > 0 else None

        return problem_filter(
            self._statuses[max(self.status.currentIndex(), 0)][1],
            chosen(self.module),
            chosen(self.unit),
            chosen(self.group),
            self._known[max(self.known.currentIndex(), 0)][1],
            self.search.text(),
        )

    def reload(self) -> None:
        self._search_delay.stop()
        self.count.setText(_("Reading problems…"))
        self.pending.run(self.desk.problems, self.current_filter(), label=_("Reading problems…"),
                         success=self._listed, failure=self._failed)  # fmt: skip

    def refresh(self) -> None:
        """F5: the list and the problem shown, read again."""
        if self.panel.detail is not None:
            self._keep = self.panel.detail.number
        self.reload()

    def _touched(self, touched: Touched) -> None:
        """Others' edits a sync brought, or an incident shown edited (resolved from here, say): read again."""
        if self.panel.shows_any(touched):
            self.refresh()

    def _listed(self, problems: list[ProblemRow]) -> None:
        keep, self._keep = self._keep, None
        shown = self.panel.detail.number if self.panel.detail is not None else None
        self.model.set_problems(problems)
        self.count.setText(n_("{n} problem", "{n} problems", len(problems)).format(n=f"{len(problems):,}"))
        self.listed.emit(len(problems))
        numbers = [p.number for p in problems]
        wanted = keep or shown
        if wanted in numbers:
            select_row(self.table, numbers.index(wanted))  # the reset cleared the selection: this opens it again
        elif keep is not None:
            self.panel.open(keep)  # it left this list (resolved while the open ones are listed): still show it
        elif problems:
            select_row(self.table, 0)
        else:
            self.panel.clear(_("No problem matches these filters."))

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self.model.problems):
            self.panel.open(self.model.problems[row].number)

    def _enter(self, index: QModelIndex) -> None:
        """Enter on a problem: it is read again (if another was shown) and its texts take the focus."""
        problem = self.model.problems[index.row()]
        if self.panel.detail is None or self.panel.detail.number != problem.number:
            self.panel.open(problem.number)
        self.panel.tabs.setCurrentIndex(0)
        self.panel.editors["description"].setFocus()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_all(self) -> None:
        """Every problem, whatever its status."""
        self.status.setCurrentIndex(ALL_PROBLEMS)

    def _failed(self, error: BaseException) -> None:
        self.count.setText(_("The problems could not be read."))
        show_error(self, error)

    # -- editing -------------------------------------------------------------------------------------------------

    def _applied(self, applied: ProblemApplied) -> None:
        """An edit made here: the list is read again (it moved to the top) and the problem shown again."""
        self._keep = applied.number
        self.reload()

    def new_problem(self) -> NewProblemDialog | None:
        if not self.modules or self.actor.role not in WORKERS:
            return None
        dialog = NewProblemDialog(self.modules, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.open_problem(*dialog.values()))
        dialog.open()
        return dialog

    def open_problem(self, title: str, module: str, priority: Priority, description: str) -> None:
        self.pending.run(self.desk.open_problem, title, module, priority, description,
                         label=_("Opening the problem…"), success=self._applied,
                         failure=self._refuse_new)  # fmt: skip

    def _refuse_new(self, error: BaseException) -> None:
        if isinstance(error, ConsoleError):
            self.count.setText(str(error))  # beside the button that asked
        else:
            show_error(self, error)


def _fill(combo: ChoiceBox, codes: list[str]) -> None:
    """The choices after the first ("Any …"), the one chosen kept if it is still there."""
    chosen = combo.currentText() if combo.currentIndex() > 0 else None
    combo.blockSignals(True)
    while combo.count() > 1:
        combo.removeItem(1)
    combo.addItems(codes)
    combo.setCurrentIndex(max(combo.findText(chosen), 0) if chosen else 0)
    combo.blockSignals(False)
