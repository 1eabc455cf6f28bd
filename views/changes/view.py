"""The change screen: what awaits my decision, one change in full, approve / reject with a comment,
the stage moves its gates allow, the calendar of windows and freezes, and the CAB agenda.

The list sits above the change shown, so that its columns have the view's whole width (at the main window's
default size, about 1060 pixels) and fit without a horizontal scroll bar; the title column takes what is left
and elides. On a short window the change shown keeps the height its overview needs (its conflicts whole), and
the list, which scrolls, gives it up, down to a few rows (``_fit_detail``). A person who decides approvals opens
on what awaits their decision, anyone else on the open changes.

Every read and write runs on the database worker (``views.tasks``) through the person's desk
(``console.desk``); refusals come back as messages and change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.changes.applied import ChangeApplied
from console.changes.lists import Calendar, ChangeChoices, ChangeDetail, ChangeRow, Which
from console.changes.service import AssessRisk, ChangeIntent, Decide, EditChange, MoveStage
from console.changes.stages import EDITABLE
from console.desk import Desk
from console.i18n import N_, _, right_to_left
from console.journal.touched import Touched
from console.zone import zoned
from models import ApprovalDecision, ChangeStage, Role
from views import words
from views.changes.calendar import CalendarPage
from views.changes.dialogs import (
    TEXT_FIELDS,
    AgendaDialog,
    AwayDialog,
    DecisionDialog,
    EditDialog,
    NewChangeDialog,
    RiskDialog,
)
from views.changes.model import RISK_COLOURS, ChangeListModel, Column
from views.errors import show_error
from views.tables import RowsModel, rows_table, select_row, when_text
from views.tasks import TaskRunner

SHOW: tuple[tuple[str, Which], ...] = (  # marked here, shown in the person's language
    (N_("Awaiting my decision"), "awaiting"),
    (N_("Open changes"), "open"),
    (N_("All changes"), "all"),
)
AWAITING, OPEN = 0, 1
# Whose daily work is deciding approvals (the change advisory board): they open on what awaits them, even when
# nothing does. Anyone else opens there only when something awaits their decision, else on the open changes.
DECIDERS = frozenset({Role.CHANGE_APPROVER, Role.SUPPORT_MANAGER})
CONFLICTS_MOST = 170  # "in a freeze, overlaps CHG-…" elides beyond this; the tooltip says it all
LIST_LEAST_ROWS = 4  # the list keeps this many rows when the change shown takes the height it needs
DETAIL_SHARE = 4 / 9  # the change shown's part of the splitter when its overview needs no more


class ChangeView(QWidget):
    listed = Signal(int)  # the number of changes listed
    loaded = Signal(object)  # the ChangeDetail shown
    applied = Signal(object)  # a ChangeApplied
    refused = Signal(str)
    calendar_loaded = Signal(object)
    agenda_written = Signal(str)
    delegated = Signal(str)  # what was set, in words

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("change-view")
        self.desk = desk
        self.workspace = desk.workspace
        self.runner = runner
        self.actor = desk.actor
        runner.edited.connect(self._touched)
        self.detail: ChangeDetail | None = None
        self.choices: ChangeChoices | None = None
        self._opening: uuid.UUID | None = None
        self._edited: uuid.UUID | None = None  # the change just edited: shown again once the list is read

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.show_which = QComboBox()
        self.show_which.setObjectName("change-show")
        for label, _which in SHOW:
            self.show_which.addItem(_(label))
        self.search = QLineEdit()
        self.search.setObjectName("change-search")
        self.search.setPlaceholderText(_("Search number or title (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.count = QLabel(_("Reading changes…"))
        self.count.setObjectName("change-count")
        self.new_button = QPushButton(_("&New change…"))
        self.agenda_button = QPushButton(_("CAB a&genda…"))
        self.away_button = QPushButton(_("A&way…"))
        self.away_button.setToolTip(_("While you are away, someone else decides your approvals"))
        for widget in (self.show_which, self.search):
            bar.addWidget(widget)
        bar.addWidget(self.count, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.agenda_button)
        bar.addWidget(self.away_button)
        layout.addLayout(bar)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("change-tabs")
        layout.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("change-splitter")
        self.model = ChangeListModel(self)
        self.table = rows_table(self.model, "change-table")
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()  # every other column as wide as its cells
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.CONFLICTS, QHeaderView.ResizeMode.Interactive)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._build_detail())
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([500, 400])  # scaled (``DETAIL_SHARE``): a dozen changes at the default size
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(lambda _pos, _index: self._remember_split())
        self._split_by_hand = False  # the person moved the splitter: their split is kept
        self.fitting = QTimer(self)  # fits the detail once the layouts have settled (text set, size changed)
        self.fitting.setSingleShot(True)
        self.fitting.setInterval(0)
        self.fitting.timeout.connect(self._fit_detail)
        self.tabs.addTab(self.splitter, _("Changes"))
        self.tabs.addTab(self._build_calendar(), _("Calendar"))

        self.show_which.currentIndexChanged.connect(self.reload)
        self.search.returnPressed.connect(self.reload)
        self.search.textChanged.connect(lambda text: self.reload() if not text else None)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._open_row(current.row()))
        self.new_button.clicked.connect(self.new_change)
        self.agenda_button.clicked.connect(self.open_agenda)
        self.away_button.clicked.connect(self.ask_away)
        self.tabs.currentChanged.connect(lambda i: self.load_calendar() if i == 1 else None)
        QShortcut(QKeySequence("Ctrl+F"), self, self.search.setFocus)
        QShortcut(QKeySequence("F5"), self, self.reload)

    # -- building ----------------------------------------------------------------------------------------------

    def _build_detail(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(_("Choose a change above."))
        self.heading.setObjectName("change-heading")
        self.heading.setProperty("role", "subheading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        buttons = QHBoxLayout()
        self.approve_button = QPushButton(_("&Approve…"))
        self.approve_button.setObjectName("approve")
        self.reject_button = QPushButton(_("&Reject…"))
        self.reject_button.setObjectName("reject")
        self.move_button = QPushButton(_("&Move to"))  # a push button sizes itself for its menu's arrow
        self.move_button.setObjectName("move")
        self.move_menu = QMenu(self.move_button)
        self.move_button.setMenu(self.move_menu)
        self.risk_button = QPushButton(_("Assess ris&k…"))
        self.edit_button = QPushButton(_("&Edit…"))
        for button in (self.approve_button, self.reject_button, self.move_button, self.risk_button, self.edit_button):
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.approve_button.clicked.connect(lambda: self.ask_decision(ApprovalDecision.APPROVED))
        self.reject_button.clicked.connect(lambda: self.ask_decision(ApprovalDecision.REJECTED))
        self.risk_button.clicked.connect(self.ask_risk)
        self.edit_button.clicked.connect(self.ask_edit)

        self.detail_tabs = QTabWidget()
        overview = QWidget()
        grid = QGridLayout(overview)
        self.facts = QLabel()  # what the change is, its window and its conflicts
        self.facts.setObjectName("change-facts")
        self.reasons = QLabel()  # its risk, and why
        self.reasons.setObjectName("change-risk")
        for column, label in enumerate((self.facts, self.reasons)):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(label, 0, column)
            grid.setColumnStretch(column, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(overview)
        self.overview = scroll
        self.detail_tabs.addTab(scroll, _("Overview"))
        self.plans = QPlainTextEdit()
        self.plans.setObjectName("change-plans")
        self.plans.setReadOnly(True)
        self.detail_tabs.addTab(self.plans, _("Plans and evidence"))
        self.approvals = RowsModel(
            [_("Policy"), _("Approver"), _("Decided by"), _("Decision"), _("Comment"), zoned(_("When"))], self
        )
        self.detail_tabs.addTab(rows_table(self.approvals, "change-approvals"), _("Approvals"))
        self.linked = RowsModel([_("Kind"), _("Number"), _("Status"), _("Title")], self)
        self.detail_tabs.addTab(rows_table(self.linked, "change-linked"), _("Linked"))
        self.history = RowsModel([zoned(_("When")), _("By"), _("What"), _("Why")], self)
        self.detail_tabs.addTab(rows_table(self.history, "change-history"), _("History"))
        layout.addWidget(self.detail_tabs, 1)
        return panel

    def _build_calendar(self) -> QWidget:
        page = CalendarPage()
        self.month, self.month_rows, self.month_table = page.month, page.month_rows, page.month_table
        self.calendar_page = page
        self.month.currentPageChanged.connect(lambda _y, _m: self.load_calendar())
        return page

    # -- reading -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.actor.role in DECIDERS:
            self.reload()  # on Awaiting my decision
        else:
            with QSignalBlocker(self.show_which):
                self.show_which.setCurrentIndex(OPEN)
            self.count.setText(_("Reading changes…"))
            self.runner.op(self.desk.changes, "awaiting", "", label=_("Reading changes…")).success(
                self._first_listed
            ).failure(self._failed).run()
        self.runner.op(self.desk.change_choices, label=_("Reading modules and units…")).success(self._set_choices).run()

    def _first_listed(self, awaiting: list[ChangeRow]) -> None:
        """Someone who is not a decider by role opens on what awaits their decision if anything does."""
        if not awaiting:
            self.reload()
            return
        with QSignalBlocker(self.show_which):
            self.show_which.setCurrentIndex(AWAITING)
        self._listed(awaiting)

    def _set_choices(self, choices: ChangeChoices) -> None:
        self.choices = choices

    def which(self) -> Which:
        return SHOW[self.show_which.currentIndex()][1]

    def reload(self) -> None:
        self.count.setText(_("Reading changes…"))
        self.runner.op(self.desk.changes, self.which(), self.search.text(), label=_("Reading changes…")).success(
            self._listed
        ).failure(self._failed).run()

    def _listed(self, changes: list[ChangeRow]) -> None:
        edited, self._edited = self._edited, None
        keep = edited or (self.detail.row.id if self.detail else None)
        self.model.set_changes(changes)
        self._fit_columns()
        self.count.setText(words.counted(len(changes), "change"))
        self.listed.emit(len(changes))
        ids = [c.id for c in changes]
        if keep in ids:
            select_row(self.table, ids.index(keep))  # the reset cleared the selection: this opens it again
        elif edited is not None:
            self.open(edited)  # it left this list (decided, say): still show what became of it
        elif changes:
            select_row(self.table, 0)
        else:
            self._clear_detail()

    def _fit_columns(self) -> None:
        """The conflicts as wide as their words, up to ``CONFLICTS_MOST``."""
        header = self.table.horizontalHeader()
        widest = max(self.table.sizeHintForColumn(Column.CONFLICTS), header.sectionSizeHint(Column.CONFLICTS))
        self.table.setColumnWidth(Column.CONFLICTS, min(widest, CONFLICTS_MOST))

    def _open_row(self, row: int) -> None:
        if 0 <= row < len(self.model.changes):
            self.open(self.model.changes[row].id)

    def open(self, change_id: uuid.UUID) -> None:
        self._opening = change_id
        self.runner.op(self.desk.change, change_id, label=_("Opening the change…")).success(self.show_detail).failure(
            self._failed
        ).run()

    def _clear_detail(self) -> None:
        self.detail = None
        self.heading.setText(
            _("Nothing to show here.") if self.which() != "awaiting" else _("Nothing awaits your decision.")
        )
        self.facts.setText("")
        self.reasons.setText("")
        self.plans.setPlainText("")
        for model in (self.approvals, self.linked, self.history):
            model.set_rows([])
        for button in (self.approve_button, self.reject_button, self.move_button, self.risk_button, self.edit_button):
            button.setEnabled(False)

    def show_detail(self, detail: ChangeDetail) -> None:
        if self._opening not in (None, detail.row.id):
            return  # an older answer; the newer one is on its way
        self.detail = detail
        row, change = detail.row, detail.change
        self.heading.setText(f"{row.number} · {row.title}")
        risk = (
            f"<b style='color:{RISK_COLOURS[row.risk]}'>{words.risk(row.risk)}</b>" if row.risk else _("not assessed")
        )  # fmt: skip
        conflicts = (
            "".join(f"<li style='color:#b42318'>{_escape(c.explanation)}</li>" for c in row.conflicts)
            or "<li>" + _("none found") + "</li>"
        )
        reasons = "".join(f"<li>{_escape(r)}</li>" for r in detail.risk_reasons)
        answers = [[f"<td>{_escape(q)}</td>", f"<td>{_escape(a)}</td>"] for q, a in detail.questionnaire]
        label = {"type": _("Type"), "stage": _("Stage"), "risk": _("Risk"), "requester": _("Requested by"),
                 "window": _("Window"), "modules": _("Modules"), "units": _("Units"), "approvals": _("Approvals"),
                 "conflicts": _("Conflicts"), "why": _("Risk, and why")}  # fmt: skip
        window = words.isolated(row.window) or _("not planned")
        approvals = words.approvals(row.approvals) or _("none asked yet")
        facts = [
            [f"<td>{label['type']}</td>", f"<td><b>{words.change_type(row.change_type)}</b></td>",
             f"<td>{label['stage']}</td>", f"<td><b>{words.stage(row.stage)}</b></td>"],
            [f"<td>{label['risk']}</td>", f"<td>{risk}</td>", f"<td>{label['requester']}</td>",
             f"<td>{_escape(row.requester)}</td>"],
            [f"<td>{label['window']}</td>", f"<td colspan='3'>{window}</td>"],
            [f"<td>{label['modules']}</td>", f"<td>{row.modules}</td>", f"<td>{label['units']}</td>",
             f"<td>{row.units}</td>"],
            [f"<td>{label['approvals']}</td>", f"<td colspan='3'>{approvals}</td>"],
        ]  # fmt: skip
        self.facts.setText(f"{_table(facts, 4)}<p><b>{label['conflicts']}</b></p><ul>{conflicts}</ul>")
        self.reasons.setText(f"<p><b>{label['why']}</b></p><ul>{reasons}</ul>{_table(answers, 3)}")
        parts = [(_(TEXT_FIELDS[name]), (getattr(change, name) or "").strip() or "—") for name in TEXT_FIELDS]
        self.plans.setPlainText("\n\n".join(f"{title}\n{text}" for title, text in parts))
        self.approvals.set_rows(
            [
                [a.policy, a.approver, a.decided_by, words.decision(a.decision), a.comment, when_text(a.decided_at)]
                for a in detail.approvals
            ]
        )
        self.linked.set_rows(
            [[_("incident"), n, s, t] for n, s, t in detail.incidents]
            + [[_("problem"), n, "", t] for n, t in detail.problems]
        )
        self.history.set_rows([[when_text(h.at), h.who, h.what, h.why] for h in detail.history])
        mine = any(a.mine for a in detail.approvals)
        self.approve_button.setEnabled(mine)
        self.reject_button.setEnabled(mine)
        tip = "" if mine else _("Only the approvers asked (or their delegates while they are away) decide here.")
        self.approve_button.setToolTip(tip)
        self.reject_button.setToolTip(tip)
        self._fill_moves(detail)
        editable = [
            f for f, stages in EDITABLE.items() if row.stage in stages and f in (*TEXT_FIELDS, "title", "window")
        ]
        self.edit_button.setEnabled(bool(editable))
        self.risk_button.setEnabled(row.stage in (ChangeStage.DRAFT, ChangeStage.ASSESSMENT))
        self.fitting.start()
        self.loaded.emit(detail)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fitting.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fitting.start()

    def _remember_split(self) -> None:
        self._split_by_hand = True

    def overview_height(self) -> int:
        """The height the overview (facts, conflicts, risk) needs at its width, to show whole without scrolling."""
        content = self.overview.widget()
        if content is None or not content.hasHeightForWidth():
            return 0
        return content.heightForWidth(self.overview.viewport().width())

    def _fit_detail(self) -> None:
        """The change shown whole: the detail as tall as its overview needs, at least its share of the splitter
        (``DETAIL_SHARE``), the list (which scrolls) keeping ``LIST_LEAST_ROWS`` rows; beyond that the overview
        scrolls. A split the person made by hand is theirs."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if self._split_by_hand or total <= 0 or not self.splitter.isVisible():
            return
        chrome = sizes[1] - self.overview.viewport().height()  # the heading, the buttons and the tabs
        rows = self.table.verticalHeader().defaultSectionSize() * LIST_LEAST_ROWS
        least = self.table.horizontalHeader().height() + rows + 2 * self.table.frameWidth()
        needed = min(chrome + self.overview_height(), total - least)
        detail = max(round(total * DETAIL_SHARE), needed)
        if abs(detail - sizes[1]) > 2:  # not for a pixel of rounding
            self.splitter.setSizes([total - detail, detail])

    def _fill_moves(self, detail: ChangeDetail) -> None:
        self.move_menu.clear()
        for stage in detail.moves:
            action = self.move_menu.addAction(words.stage(stage))
            why = detail.gate_problems.get(stage)
            action.setEnabled(why is None)
            action.setToolTip(why or "")
            if why:
                action.setText(f"{words.stage(stage)} — {why.split(' needs ', 1)[-1]}")
            action.triggered.connect(lambda _checked=False, s=stage: self.ask_move(s))
        self.move_menu.setToolTipsVisible(True)
        self.move_button.setEnabled(bool(detail.moves))
        self.move_button.setToolTip(
            "" if detail.moves else _("{stage} is final.").format(stage=words.stage(detail.row.stage))
        )

    # -- editing -------------------------------------------------------------------------------------------------

    def run(self, make: Callable[[], ChangeIntent], label: str) -> None:
        self.runner.op(self.desk.apply_change, make, label=label).success(self._applied).failure(self._refuse).run()

    def _applied(self, applied: ChangeApplied) -> None:
        if applied.conflicts:  # planned, re-planned, submitted or approved into a conflict: say so at once
            box = QMessageBox(
                QMessageBox.Icon.Information,
                _("{number}: conflicts").format(number=applied.number),
                _("{number} is {stage}; its window has conflicts:").format(
                    number=applied.number, stage=words.stage(applied.stage).lower()
                )
                + "\n"
                + "\n".join(f"• {c.explanation}" for c in applied.conflicts),
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("change-conflicts")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        self.applied.emit(applied)
        self._edited = applied.change_id  # the list reloads when the runner announces the edit

    def _touched(self, touched: Touched) -> None:
        if touched.any_change:
            self.reload()

    def _refuse(self, error: BaseException) -> None:
        self.refused.emit(str(error))
        show_error(self, error)

    def _failed(self, error: BaseException) -> None:
        self.count.setText(_("The changes could not be read."))
        show_error(self, error)

    def decide(self, decision: ApprovalDecision, comment: str) -> None:
        if self.detail is None:
            return
        change_id = self.detail.row.id
        self.run(
            lambda: Decide(change_id, decision, comment),
            _("Recording your decision on {number}…").format(number=self.detail.row.number),
        )

    def ask_decision(self, decision: ApprovalDecision) -> QDialog | None:
        if self.detail is None:
            return None
        dialog = DecisionDialog(self.detail, decision, self)
        dialog.accepted.connect(lambda: self.decide(decision, dialog.comment.toPlainText()))
        dialog.open()
        return dialog

    def move_stage(self, stage: ChangeStage, note: str | None = None) -> None:
        if self.detail is None:
            return
        change_id, base = self.detail.row.id, self.detail.row.stage
        self.run(
            lambda: MoveStage(change_id, stage, base, note), _("Moving {number}…").format(number=self.detail.row.number)
        )

    def ask_move(self, stage: ChangeStage) -> None:
        note = None
        if stage in (ChangeStage.CANCELLED, ChangeStage.FAILED, ChangeStage.SCHEDULED):
            note, ok = QInputDialog.getText(
                self, words.stage(stage), _("Why does it go to {stage}?").format(stage=words.stage(stage).lower())
            )
            if not ok:
                return
        self.move_stage(stage, note)

    def assess_risk(self, answers: dict[str, str]) -> None:
        if self.detail is None:
            return
        change_id = self.detail.row.id
        self.run(lambda: AssessRisk(change_id, answers), _("Assessing the risk…"))

    def ask_risk(self) -> QDialog | None:
        if self.detail is None:
            return None
        dialog = RiskDialog(self.detail.answers, self)
        dialog.accepted.connect(lambda: self.assess_risk(dialog.answers()))
        dialog.open()
        return dialog

    def edit(self, field: str, value: Any) -> None:
        if self.detail is None:
            return
        change = self.detail.change
        change_id = self.detail.row.id
        base = (change.planned_start, change.planned_end) if field == "window" else getattr(change, field)
        self.run(
            lambda: EditChange(change_id, field, value, base),
            _("Saving {number}…").format(number=self.detail.row.number),
        )

    def ask_edit(self) -> QDialog | None:
        if self.detail is None:
            return None
        dialog = EditDialog(self.detail, self)
        dialog.accepted.connect(lambda: self.edit(*dialog.value()))
        dialog.open()
        return dialog

    def new_change(self) -> QDialog | None:
        if self.choices is None:
            return None
        dialog = NewChangeDialog(self.choices, self)
        dialog.accepted.connect(lambda: self.request_change(dialog.values()))
        dialog.open()
        return dialog

    def request_change(self, values: dict[str, Any]) -> None:
        self.runner.op(self.desk.create_change, values, label=_("Requesting the change…")).success(
            self._created
        ).failure(self._refuse).run()

    def _created(self, applied: ChangeApplied) -> None:
        if self.which() == "awaiting":
            self.show_which.setCurrentIndex(1)  # a new change never awaits its requester's decision
        self._applied(applied)

    def ask_away(self) -> QDialog | None:
        if self.choices is None:
            return None
        dialog = AwayDialog(self.choices, self)
        dialog.accepted.connect(lambda: self.set_away(*dialog.values()))
        dialog.open()
        return dialog

    def set_away(self, delegate: uuid.UUID, until: datetime) -> None:
        self.runner.op(self.desk.away, delegate, until, label=_("Setting your delegate…")).success(
            self.delegated.emit
        ).failure(self._refuse).run()

    # -- calendar and agenda ---------------------------------------------------------------------------------

    def load_calendar(self) -> None:
        first = date(self.month.yearShown(), self.month.monthShown(), 1)
        self.runner.op(self.desk.calendar, first, label=_("Reading the calendar…")).success(
            self._show_calendar
        ).failure(self._failed).run()

    def _show_calendar(self, cal: Calendar) -> None:
        self.calendar_page.show_calendar(cal)
        self.calendar_loaded.emit(cal)

    def open_agenda(self) -> QDialog:
        dialog = AgendaDialog(self)
        dialog.open()
        return dialog

    def write_agenda(self, days: int, path: str) -> None:
        self.runner.op(self.desk.export_agenda, days, path, label=_("Writing the CAB agenda…")).success(
            self.agenda_written.emit
        ).failure(self._refuse).run()


def _table(rows: list[list[str]], spacing: int) -> str:
    """A rich-text table of ``<td>`` cells that reads in the window's direction: Qt lays the cells of a rich-text
    table out left to right whatever its ``dir``, so in Persian and Arabic they are given right to left."""
    rtl = right_to_left()
    body = "".join("<tr>" + "".join(reversed(cells) if rtl else cells) + "</tr>" for cells in rows)
    return f"<table cellspacing='{spacing}'{' align=right' if rtl else ''}>{body}</table>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
