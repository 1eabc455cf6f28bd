"""Change approval: what awaits my decision, one change in full, approve / reject with a comment,
the stage moves its gates allow, the calendar of windows and freezes, and the CAB agenda.

Every read and write runs on the database worker through ``console`` services; refusals come
back as messages and change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QModelIndex, QPersistentModelIndex, Qt, QTimeZone, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut, QTextCharFormat
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
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
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.changes.agenda import counted, write_agenda
from console.changes.lists import (
    Calendar,
    ChangeChoices,
    ChangeDetail,
    ChangeRow,
    Which,
    cab_agenda,
    calendar,
    change_choices,
    list_changes,
    load_change,
)
from console.changes.rules import DEFAULT_RULES, RiskAnswersError, assess
from console.changes.service import (
    EDITABLE,
    LABELS,
    AssessRisk,
    Away,
    ChangeApplied,
    ChangeIntent,
    Decide,
    EditChange,
    MoveStage,
    NewChange,
    execute_change,
    new_change_number,
    submit_change,
    submit_setting,
)
from console.store.database import connect
from console.store.workspace import Workspace
from console.tickets.workflow import Actor
from models import ApprovalDecision, ChangeStage, ChangeType, new_id
from views.drill import RowsModel, rows_table
from views.errors import show_error
from views.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Change", "Title", "Risk", "Stage", "Window (UTC)", "Conflicts", "Approvals", "Units", "Modules")
TITLE_WIDTH = 260
SHOW: tuple[tuple[str, Which], ...] = (
    ("Awaiting my decision", "awaiting"),
    ("Open changes", "open"),
    ("All changes", "all"),
)
RISK_COLOURS = {"high": "#b42318", "medium": "#b54708", "low": "#067647"}
FREEZE_COLOUR = QColor("#fde2e1")
WINDOW_COLOUR = QColor("#dbe8fb")
CONFLICT_COLOUR = QColor("#fbd38d")
TEXT_FIELDS = ("description", "reason", "implementation_plan", "test_plan", "test_evidence", "backout_plan",
               "review_notes")  # fmt: skip


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def _row_cells(row: ChangeRow) -> list[str]:
    return [
        row.number,
        row.title,
        row.risk or "—",
        LABELS[row.stage],
        row.window,
        f"⚠ {len(row.conflicts)}" if row.conflicts else "",
        row.approvals,
        row.units,
        row.modules,
    ]


# ---- work done on the database worker ------------------------------------------------------------------


def read_list(workspace: Workspace, actor: Actor, which: Which, search: str) -> list[ChangeRow]:
    with connect(workspace.cache()) as conn:
        return list_changes(conn, actor, datetime.now(UTC), which, search)


def read_change(workspace: Workspace, actor: Actor, change_id: uuid.UUID) -> ChangeDetail:
    with connect(workspace.cache()) as conn:
        return load_change(conn, actor, change_id, datetime.now(UTC))


def read_calendar(workspace: Workspace, actor: Actor, first: date) -> Calendar:
    start = datetime.combine(first, time(), UTC)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    with connect(workspace.cache()) as conn:
        return calendar(conn, actor, start, datetime.combine(following, time(), UTC), datetime.now(UTC))


def read_choices(workspace: Workspace, actor: Actor) -> ChangeChoices:
    with connect(workspace.cache()) as conn:
        return change_choices(conn, actor)


def apply_intent(workspace: Workspace, actor: Actor, make: Callable[[], ChangeIntent]) -> ChangeApplied:
    return execute_change(workspace.cache(), actor, make(), datetime.now(UTC))


def create_change(workspace: Workspace, actor: Actor, values: dict[str, Any]) -> ChangeApplied:
    engine = workspace.cache()
    with engine.begin() as conn:  # the number is taken only if the change is written
        number = new_change_number(conn, workspace.client_id)
        return submit_change(conn, actor, NewChange(new_id(), number, **values), datetime.now(UTC))


def export_agenda(workspace: Workspace, actor: Actor, days: int, path: str) -> str:
    now = datetime.now(UTC)
    with connect(workspace.cache()) as conn:
        rows = cab_agenda(conn, actor, now, days)
    return str(write_agenda(rows, Path(path), now, days))


def away(workspace: Workspace, actor: Actor, delegate: uuid.UUID, until: datetime) -> str:
    now = datetime.now(UTC)
    with workspace.cache().begin() as conn:
        return submit_setting(conn, actor, Away(delegate, now, until), now)


def read_agenda(workspace: Workspace, actor: Actor, days: int) -> list[ChangeRow]:
    with connect(workspace.cache()) as conn:
        return cab_agenda(conn, actor, datetime.now(UTC), days)


# ---- the view ------------------------------------------------------------------------------------------------


class ChangeListModel(RowsModel):
    """The change list: risk in colour, conflicts explained in a tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, parent)
        self.changes: list[ChangeRow] = []

    def set_changes(self, changes: list[ChangeRow]) -> None:
        self.changes = changes
        self.set_rows([_row_cells(c) for c in changes])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        change = self.changes[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2 and change.risk:
            return QBrush(QColor(RISK_COLOURS[change.risk]))
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 5 and change.conflicts:
            return "\n".join(c.explanation for c in change.conflicts)
        if role == Qt.ItemDataRole.FontRole and change.awaiting_me:
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)


class ChangeView(QWidget):
    listed = Signal(int)  # the number of changes listed
    loaded = Signal(object)  # the ChangeDetail shown
    applied = Signal(object)  # a ChangeApplied
    refused = Signal(str)
    calendar_loaded = Signal(object)
    agenda_written = Signal(str)
    delegated = Signal(str)  # what was set, in words

    def __init__(self, workspace: Workspace, runner: TaskRunner, actor: Actor) -> None:
        super().__init__()
        self.setObjectName("change-view")
        self.workspace = workspace
        self.runner = runner
        self.actor = actor
        self.detail: ChangeDetail | None = None
        self.choices: ChangeChoices | None = None
        self._opening: uuid.UUID | None = None
        self._edited: uuid.UUID | None = None  # the change just edited: shown again once the list is read

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.show_which = QComboBox()
        self.show_which.setObjectName("change-show")
        for label, _ in SHOW:
            self.show_which.addItem(label)
        self.search = QLineEdit()
        self.search.setObjectName("change-search")
        self.search.setPlaceholderText("Search number or title (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.count = QLabel("Reading changes…")
        self.count.setObjectName("change-count")
        self.new_button = QPushButton("&New change…")
        self.agenda_button = QPushButton("CAB a&genda…")
        self.away_button = QPushButton("A&way…")
        self.away_button.setToolTip("While you are away, someone else decides your approvals")
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
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = ChangeListModel(self)
        self.table = rows_table(self.model, "change-table")
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(1, TITLE_WIDTH)
        self.table.setWordWrap(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.tabs.addTab(splitter, "Changes")
        self.tabs.addTab(self._build_calendar(), "Calendar")

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
        self.heading = QLabel("Choose a change on the left.")
        self.heading.setObjectName("change-heading")
        self.heading.setProperty("role", "subheading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        buttons = QHBoxLayout()
        self.approve_button = QPushButton("&Approve…")
        self.approve_button.setObjectName("approve")
        self.reject_button = QPushButton("&Reject…")
        self.reject_button.setObjectName("reject")
        self.move_button = QToolButton()
        self.move_button.setText("&Move to")
        self.move_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.move_menu = QMenu(self.move_button)
        self.move_button.setMenu(self.move_menu)
        self.risk_button = QPushButton("Assess ris&k…")
        self.edit_button = QPushButton("&Edit…")
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
        self.facts = QLabel()
        self.facts.setObjectName("change-facts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.facts, 0, 0)
        self.detail_tabs.addTab(overview, "Overview")
        self.plans = QPlainTextEdit()
        self.plans.setObjectName("change-plans")
        self.plans.setReadOnly(True)
        self.detail_tabs.addTab(self.plans, "Plans and evidence")
        self.approvals = RowsModel(["policy", "approver", "decided by", "decision", "comment", "at"], self)
        self.detail_tabs.addTab(rows_table(self.approvals, "change-approvals"), "Approvals")
        self.linked = RowsModel(["kind", "number", "status", "title"], self)
        self.detail_tabs.addTab(rows_table(self.linked, "change-linked"), "Linked")
        self.history = RowsModel(["at", "by", "what", "why"], self)
        self.detail_tabs.addTab(rows_table(self.history, "change-history"), "History")
        layout.addWidget(self.detail_tabs, 1)
        return panel

    def _build_calendar(self) -> QWidget:
        page = QWidget()
        layout = QHBoxLayout(page)
        self.month = QCalendarWidget()
        self.month.setObjectName("change-calendar")
        self.month.setGridVisible(True)
        self.month.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        today = datetime.now(UTC).date()  # the application's clock, not Qt's, so both agree on "this month"
        self.month.setSelectedDate(QDate(today.year, today.month, today.day))
        self.month.setCurrentPage(today.year, today.month)
        self.month.currentPageChanged.connect(lambda _y, _m: self.load_calendar())
        left = QVBoxLayout()
        left.addWidget(self.month)
        legend = QLabel(
            "<span style='background:#fde2e1'>&nbsp;freeze&nbsp;</span> "
            "<span style='background:#dbe8fb'>&nbsp;planned window&nbsp;</span> "
            "<span style='background:#fbd38d'>&nbsp;window in conflict&nbsp;</span>"
        )
        left.addWidget(legend)
        left.addStretch(1)
        layout.addLayout(left)
        self.month_rows = RowsModel(["from (UTC)", "to (UTC)", "what", "stage", "conflicts"], self)
        self.month_table = rows_table(self.month_rows, "calendar-table")
        layout.addWidget(self.month_table, 1)
        return page

    # -- reading -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.reload()
        self.runner.op(read_choices, self.workspace, self.actor, label="Reading modules and units…").success(
            self._set_choices
        ).run()

    def _set_choices(self, choices: ChangeChoices) -> None:
        self.choices = choices

    def which(self) -> Which:
        return SHOW[self.show_which.currentIndex()][1]

    def reload(self) -> None:
        self.count.setText("Reading changes…")
        self.runner.op(
            read_list, self.workspace, self.actor, self.which(), self.search.text(), label="Reading changes…"
        ).success(self._listed).failure(self._failed).run()

    def _listed(self, changes: list[ChangeRow]) -> None:
        edited, self._edited = self._edited, None
        keep = edited or (self.detail.row.id if self.detail else None)
        self.model.set_changes(changes)
        self.count.setText(f"{len(changes):,} changes")
        self.listed.emit(len(changes))
        ids = [c.id for c in changes]
        if keep in ids:
            self.table.selectRow(ids.index(keep))  # the reset cleared the selection: this opens it again
        elif edited is not None:
            self.open(edited)  # it left this list (decided, say): still show what became of it
        elif changes:
            self.table.selectRow(0)
        else:
            self._clear_detail()

    def _open_row(self, row: int) -> None:
        if 0 <= row < len(self.model.changes):
            self.open(self.model.changes[row].id)

    def open(self, change_id: uuid.UUID) -> None:
        self._opening = change_id
        self.runner.op(read_change, self.workspace, self.actor, change_id, label="Opening the change…").success(
            self.show_detail
        ).failure(self._failed).run()

    def _clear_detail(self) -> None:
        self.detail = None
        self.heading.setText("Nothing to show here." if self.which() != "awaiting" else "Nothing awaits your decision.")
        self.facts.setText("")
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
            f"<b style='color:{RISK_COLOURS[row.risk]}'>{row.risk}</b>" if row.risk else "not assessed"
        )  # fmt: skip
        conflicts = (
            "".join(f"<li style='color:#b42318'>{_escape(c.explanation)}</li>" for c in row.conflicts)
            or "<li>none found</li>"
        )
        reasons = "".join(f"<li>{_escape(r)}</li>" for r in detail.risk_reasons)
        answers = "".join(f"<tr><td>{_escape(q)}</td><td>{_escape(a)}</td></tr>" for q, a in detail.questionnaire)
        self.facts.setText(
            f"<table cellspacing='4'>"
            f"<tr><td>Type</td><td><b>{row.change_type.value}</b></td><td>Stage</td><td><b>{LABELS[row.stage]}</b></td></tr>"
            f"<tr><td>Risk</td><td>{risk}</td><td>Requested by</td><td>{_escape(row.requester)}</td></tr>"
            f"<tr><td>Window</td><td colspan='3'>{row.window or 'not planned'}</td></tr>"
            f"<tr><td>Modules</td><td>{row.modules}</td><td>Units</td><td>{row.units}</td></tr>"
            f"<tr><td>Approvals</td><td colspan='3'>{row.approvals or 'none asked yet'}</td></tr>"
            f"</table><p><b>Conflicts</b></p><ul>{conflicts}</ul>"
            f"<p><b>Risk, and why</b></p><ul>{reasons}</ul><table cellspacing='3'>{answers}</table>"
        )
        parts = [
            (name.replace("_", " ").capitalize(), (getattr(change, name) or "").strip() or "—") for name in TEXT_FIELDS
        ]
        self.plans.setPlainText("\n\n".join(f"{title}\n{text}" for title, text in parts))
        self.approvals.set_rows(
            [
                [a.policy, a.approver, a.decided_by, a.decision.value, a.comment, _when(a.decided_at)]
                for a in detail.approvals
            ]
        )
        self.linked.set_rows(
            [["incident", n, s, t] for n, s, t in detail.incidents]
            + [["problem", n, "", t] for n, t in detail.problems]
        )
        self.history.set_rows([[_when(h.at), h.who, h.what, h.why] for h in detail.history])
        mine = any(a.mine for a in detail.approvals)
        self.approve_button.setEnabled(mine)
        self.reject_button.setEnabled(mine)
        tip = "" if mine else "Only the approvers asked (or their delegates while they are away) decide here."
        self.approve_button.setToolTip(tip)
        self.reject_button.setToolTip(tip)
        self._fill_moves(detail)
        editable = [
            f for f, stages in EDITABLE.items() if row.stage in stages and f in (*TEXT_FIELDS, "title", "window")
        ]
        self.edit_button.setEnabled(bool(editable))
        self.risk_button.setEnabled(row.stage in (ChangeStage.DRAFT, ChangeStage.ASSESSMENT))
        self.loaded.emit(detail)

    def _fill_moves(self, detail: ChangeDetail) -> None:
        self.move_menu.clear()
        for stage in detail.moves:
            action = self.move_menu.addAction(LABELS[stage])
            why = detail.gate_problems.get(stage)
            action.setEnabled(why is None)
            action.setToolTip(why or "")
            if why:
                action.setText(f"{LABELS[stage]} — {why.split(' needs ', 1)[-1]}")
            action.triggered.connect(lambda _checked=False, s=stage: self.ask_move(s))
        self.move_menu.setToolTipsVisible(True)
        self.move_button.setEnabled(bool(detail.moves))

    # -- editing -------------------------------------------------------------------------------------------------

    def run(self, make: Callable[[], ChangeIntent], label: str) -> None:
        self.runner.op(apply_intent, self.workspace, self.actor, make, label=label).success(self._applied).failure(
            self._refuse
        ).run()

    def _applied(self, applied: ChangeApplied) -> None:
        if applied.conflicts:  # planned, re-planned, submitted or approved into a conflict: say so at once
            box = QMessageBox(
                QMessageBox.Icon.Information,
                f"{applied.number}: conflicts",
                f"{applied.number} is {LABELS[applied.stage].lower()}; its window has conflicts:\n"
                + "\n".join(f"• {c.explanation}" for c in applied.conflicts),
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("change-conflicts")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        self.applied.emit(applied)
        self._edited = applied.change_id
        self.reload()

    def _refuse(self, error: BaseException) -> None:
        self.refused.emit(str(error))
        show_error(self, error)

    def _failed(self, error: BaseException) -> None:
        self.count.setText("The changes could not be read.")
        show_error(self, error)

    def decide(self, decision: ApprovalDecision, comment: str) -> None:
        if self.detail is None:
            return
        change_id = self.detail.row.id
        self.run(lambda: Decide(change_id, decision, comment), f"Recording your decision on {self.detail.row.number}…")

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
        self.run(lambda: MoveStage(change_id, stage, base, note), f"Moving {self.detail.row.number}…")

    def ask_move(self, stage: ChangeStage) -> None:
        note = None
        if stage in (ChangeStage.CANCELLED, ChangeStage.FAILED, ChangeStage.SCHEDULED):
            note, ok = QInputDialog.getText(self, LABELS[stage], f"Why does it go to {LABELS[stage].lower()}?")
            if not ok:
                return
        self.move_stage(stage, note)

    def assess_risk(self, answers: dict[str, str]) -> None:
        if self.detail is None:
            return
        change_id = self.detail.row.id
        self.run(lambda: AssessRisk(change_id, answers), "Assessing the risk…")

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
        self.run(lambda: EditChange(change_id, field, value, base), f"Saving {self.detail.row.number}…")

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
        self.runner.op(create_change, self.workspace, self.actor, values, label="Requesting the change…").success(
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
        self.runner.op(away, self.workspace, self.actor, delegate, until, label="Setting your delegate…").success(
            self.delegated.emit
        ).failure(self._refuse).run()

    # -- calendar and agenda ---------------------------------------------------------------------------------

    def load_calendar(self) -> None:
        first = date(self.month.yearShown(), self.month.monthShown(), 1)
        self.runner.op(read_calendar, self.workspace, self.actor, first, label="Reading the calendar…").success(
            self._show_calendar
        ).failure(self._failed).run()

    def _show_calendar(self, cal: Calendar) -> None:
        self.month.setDateTextFormat(QDate(), QTextCharFormat())  # clear the previous month's marks
        rows: list[tuple[datetime, list[str]]] = []

        def mark(start: datetime, end: datetime, colour: QColor) -> None:
            day = start.date()
            while datetime.combine(day, time(), UTC) < end:
                fmt = QTextCharFormat()
                fmt.setBackground(colour)
                self.month.setDateTextFormat(QDate(day.year, day.month, day.day), fmt)
                day += timedelta(days=1)

        for freeze in cal.freezes:
            mark(freeze.starts_at.astimezone(UTC), freeze.ends_at.astimezone(UTC), FREEZE_COLOUR)
            start, end = freeze.starts_at.astimezone(UTC), freeze.ends_at.astimezone(UTC)
            rows.append((start, [_when(start), _when(end), f"Freeze: {freeze.name}", "", ""]))
        for change in cal.changes:
            if change.planned_start and change.planned_end:
                mark(change.planned_start, change.planned_end, CONFLICT_COLOUR if change.conflicts else WINDOW_COLOUR)
                rows.append((change.planned_start, [_when(change.planned_start), _when(change.planned_end),
                             f"{change.number} {change.title}", LABELS[change.stage],
                             "; ".join(c.explanation for c in change.conflicts)]))  # fmt: skip
        rows.sort(key=lambda r: r[0])
        self.month_rows.set_rows([cells for _, cells in rows])
        self.calendar_loaded.emit(cal)

    def open_agenda(self) -> QDialog:
        dialog = AgendaDialog(self)
        dialog.open()
        return dialog

    def write_agenda(self, days: int, path: str) -> None:
        self.runner.op(export_agenda, self.workspace, self.actor, days, path, label="Writing the CAB agenda…").success(
            self.agenda_written.emit
        ).failure(self._refuse).run()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- dialogs ----------------------------------------------------------------------------------------------


class DecisionDialog(QDialog):
    """Approve or reject with a comment (required); conflicts are shown again before approving."""

    def __init__(self, detail: ChangeDetail, decision: ApprovalDecision, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decision-dialog")
        verb = "Approve" if decision is ApprovalDecision.APPROVED else "Reject"
        self.setWindowTitle(f"{verb} {detail.row.number}")
        layout = QVBoxLayout(self)
        text = f"{verb} {detail.row.number} · {detail.row.title}"
        if decision is ApprovalDecision.APPROVED and detail.row.conflicts:
            text += "\n\nIts window has conflicts:\n" + "\n".join(f"• {c.explanation}" for c in detail.row.conflicts)
        if decision is ApprovalDecision.REJECTED:
            text += "\n\nA rejection stops the change."
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("decision-comment")
        self.comment.setPlaceholderText("Your comment (required): why you decide so")
        layout.addWidget(self.comment)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(verb)
        self.ok.setEnabled(False)
        self.comment.textChanged.connect(lambda: self.ok.setEnabled(bool(self.comment.toPlainText().strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(520, 300)


class RiskDialog(QDialog):
    """The questionnaire, with the risk and its reasons worked out as the answers change."""

    def __init__(self, answers: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("risk-dialog")
        self.setWindowTitle("Risk assessment")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        for question in DEFAULT_RULES.questions:
            box = QComboBox()
            box.addItem("— choose —", "")
            for key, option in question.options.items():
                box.addItem(option.label, key)
            chosen = box.findData(str(answers.get(question.key, "")))
            box.setCurrentIndex(max(chosen, 0))
            box.currentIndexChanged.connect(self._update)
            form.addRow(question.text, box)
            self.boxes[question.key] = box
        layout.addLayout(form)
        self.outcome = QLabel()
        self.outcome.setObjectName("risk-result")
        self.outcome.setWordWrap(True)
        layout.addWidget(self.outcome)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    def answers(self) -> dict[str, str]:
        return {key: box.currentData() for key, box in self.boxes.items() if box.currentData()}

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            result = assess(self.answers())
        except RiskAnswersError as missing:
            self.outcome.setText(str(missing))
            ok.setEnabled(False)
            return
        self.outcome.setText(f"Risk: {result.level.value}\n" + "\n".join(f"• {r}" for r in result.reasons))
        ok.setEnabled(True)


def _utc_edit(value: datetime | None) -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setTimeZone(QTimeZone.utc())
    edit.setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'")
    edit.setCalendarPopup(True)
    moment = value or (datetime.now(UTC) + timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)
    edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), QTimeZone.utc()))
    return edit


def _from_edit(edit: QDateTimeEdit) -> datetime:
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), UTC)


class EditDialog(QDialog):
    """Edit one field the change's stage still allows: a text, or the planned window."""

    def __init__(self, detail: ChangeDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("edit-change-dialog")
        self.setWindowTitle(f"Edit {detail.row.number}")
        self.detail = detail
        layout = QVBoxLayout(self)
        self.field = QComboBox()
        self.field.setObjectName("edit-field")
        for name in ("title", *TEXT_FIELDS, "window"):
            if detail.row.stage in EDITABLE[name]:
                self.field.addItem(name.replace("_", " ").capitalize(), name)
        layout.addWidget(self.field)
        self.text = QPlainTextEdit()
        self.text.setObjectName("edit-text")
        layout.addWidget(self.text)
        window = QHBoxLayout()
        self.start = _utc_edit(detail.change.planned_start)
        self.end = _utc_edit(detail.change.planned_end or (detail.change.planned_start or None))
        window.addWidget(QLabel("From"))
        window.addWidget(self.start)
        window.addWidget(QLabel("to"))
        window.addWidget(self.end)
        self.window_row = QWidget()
        self.window_row.setLayout(window)
        layout.addWidget(self.window_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.field.currentIndexChanged.connect(self._show_field)
        self._show_field()
        self.resize(560, 360)

    def _show_field(self) -> None:
        name = self.field.currentData()
        is_window = name == "window"
        self.window_row.setVisible(is_window)
        self.text.setVisible(not is_window)
        if not is_window and name:
            self.text.setPlainText(getattr(self.detail.change, name) or "")

    def value(self) -> tuple[str, Any]:
        name = self.field.currentData()
        if name == "window":
            return name, (_from_edit(self.start), _from_edit(self.end))
        return name, self.text.toPlainText()


class NewChangeDialog(QDialog):
    """Request a change: what, why, where (module and unit), and when; plans can follow in Edit."""

    def __init__(self, choices: ChangeChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new-change-dialog")
        self.setWindowTitle("New change request")
        form = QFormLayout(self)
        self.title = QLineEdit()
        self.kind = QComboBox()
        for kind in ChangeType:
            self.kind.addItem(kind.value.capitalize(), kind)
        self.kind.setCurrentIndex(list(ChangeType).index(ChangeType.NORMAL))
        self.template = QComboBox()
        self.template.setObjectName("new-change-template")
        for template_id, name in choices.templates:
            self.template.addItem(name, template_id)
        self.module = QComboBox()
        for module_id, name in choices.modules:
            self.module.addItem(name, module_id)
        self.unit = QComboBox()
        for unit_id, name in choices.units:
            self.unit.addItem(name, unit_id)
        self.description = QPlainTextEdit()
        self.reason = QPlainTextEdit()
        self.start = _utc_edit(None)
        self.hours = QSpinBox()
        self.hours.setRange(1, 72)
        self.hours.setValue(3)
        self.hours.setSuffix(" h")
        form.addRow("Title", self.title)
        form.addRow("Type", self.kind)
        form.addRow("Template", self.template)
        form.addRow("ERP module", self.module)
        form.addRow("Business unit", self.unit)
        form.addRow("Description", self.description)
        form.addRow("Reason", self.reason)
        form.addRow("Window starts", self.start)
        form.addRow("Window lasts", self.hours)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Request")
        ok.setEnabled(False)
        self.title.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.resize(560, 480)

    def _kind_changed(self) -> None:
        standard = self.kind.currentData() is ChangeType.STANDARD
        self.template.setEnabled(standard)
        self.template.setToolTip("" if standard else "Only a standard change comes from a template.")

    def values(self) -> dict[str, Any]:
        start = _from_edit(self.start)
        standard = self.kind.currentData() is ChangeType.STANDARD
        return {
            "template_id": self.template.currentData() if standard else None,
            "title": self.title.text(),
            "change_type": self.kind.currentData(),
            "modules": frozenset({self.module.currentData()}),
            "units": frozenset({self.unit.currentData()}),
            "description": self.description.toPlainText(),
            "reason": self.reason.toPlainText(),
            "planned_start": start,
            "planned_end": start + timedelta(hours=self.hours.value()),
        }


class AgendaDialog(QDialog):
    """The changes waiting for the board in the next N days, and where to write the PDF."""

    def __init__(self, view: ChangeView) -> None:
        super().__init__(view)
        self.setObjectName("agenda-dialog")
        self.setWindowTitle("CAB agenda")
        self.view = view
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Changes awaiting the board with a window in the next"))
        self.days = QSpinBox()
        self.days.setRange(1, 366)
        self.days.setValue(14)
        self.days.setSuffix(" days")
        row.addWidget(self.days)
        row.addStretch(1)
        layout.addLayout(row)
        self.rows = RowsModel(["change", "window (UTC)", "risk", "approvals", "conflicts", "title"], self)
        layout.addWidget(rows_table(self.rows, "agenda-table"), 1)
        self.summary = QLabel("Reading…")
        self.summary.setObjectName("agenda-summary")
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export = buttons.addButton("Export PDF…", QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export.clicked.connect(self._ask_path)
        layout.addWidget(buttons)
        self.days.valueChanged.connect(self.refresh)
        self.resize(900, 460)
        self.refresh()

    def refresh(self) -> None:
        days = self.days.value()
        view = self.view
        view.runner.op(read_agenda, view.workspace, view.actor, days, label="Reading the CAB agenda…").success(
            self._show
        ).failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        show_error(self, error)

    def _show(self, rows: list[ChangeRow]) -> None:
        self.summary.setText(
            f"Awaiting the board: {counted(len(rows), 'change')}; conflicts are shown for each."
            if rows
            else "No change awaits the board with a window in that period."
        )
        self.rows.set_rows(
            [[r.number, r.window, r.risk, r.approvals, str(len(r.conflicts) or ""), r.title] for r in rows]
        )

    def _ask_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the CAB agenda", "cab-agenda.pdf", "PDF (*.pdf);;CSV (*.csv)"
        )
        if path:
            self.view.write_agenda(self.days.value(), path)


class AwayDialog(QDialog):
    """Whom your approvals go to while you are away, and until when."""

    def __init__(self, choices: ChangeChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("away-dialog")
        self.setWindowTitle("Away")
        form = QFormLayout(self)
        self.delegate = QComboBox()
        for person, name in choices.people:
            self.delegate.addItem(name, person)
        self.until = _utc_edit(
            (datetime.now(UTC) + timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)
        )
        form.addRow("Who decides for you", self.delegate)
        form.addRow("Until", self.until)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[uuid.UUID, datetime]:
        return self.delegate.currentData(), _from_edit(self.until)
