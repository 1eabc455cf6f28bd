"""Drill-down from a chart: the tickets behind a bar, and one ticket's SLA with its evidence.

Both read the cache on the database worker; the dialogs fill in when the answer arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.metrics.queries import Drill, DrillRow, drill_tickets
from console.sla.store import ticket_id_by_number, ticket_sla
from console.sla.words import CLOCK_HEADINGS, TIMELINE_HEADINGS, clock_lines, timeline_lines
from console.store.database import connect
from console.store.workspace import Workspace
from views.errors import show_error
from views.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
DRILL_COLUMNS = ("Ticket", "Priority", "Status", "Unit", "Module", "When (UTC)", "SLA", "Title")


@dataclass(frozen=True)
class DrillResult:
    rows: list[DrillRow]
    total: int


def load_drill(workspace: Workspace, drill: Drill) -> DrillResult:
    with connect(workspace.cache()) as conn:
        rows, total = drill_tickets(conn, drill)
    return DrillResult(rows, total)


class RowsModel(QAbstractTableModel):
    """A read-only table of string rows (small: a drill-down list, an SLA timeline)."""

    def __init__(self, columns: tuple[str, ...] | list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[list[str]] = []

    def set_rows(self, rows: list[list[str]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> str | None:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self.rows[index.row()][index.column()]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | None:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None


def rows_table(model: RowsModel, name: str) -> QTableView:
    """A read-only, row-selecting table of a RowsModel."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


class DrillDialog(QDialog):
    """The tickets behind one bar; Enter or a double click opens one."""

    open_ticket = Signal(str)
    loaded = Signal(object)

    def __init__(self, workspace: Workspace, runner: TaskRunner, drill: Drill, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drill-dialog")
        self.setWindowTitle(drill.title)
        self.resize(980, 520)
        layout = QVBoxLayout(self)
        self.caption = QLabel(f"{drill.title} · reading the cache…")
        self.caption.setObjectName("drill-caption")
        layout.addWidget(self.caption)
        self.model = RowsModel(DRILL_COLUMNS, self)
        self.table = rows_table(self.model, "drill-table")
        self.table.activated.connect(self._open_row)  # Enter, or a double click
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.drill = drill
        runner.op(load_drill, workspace, drill, label="Listing tickets…").success(self._show).failure(
            self._failed
        ).run()

    def _show(self, result: DrillResult) -> None:
        self.model.set_rows(
            [[r.number, r.priority, r.status, r.unit, r.module, _when(r.when), r.state, r.title] for r in result.rows]
        )
        shown = f"{len(result.rows):,} of {result.total:,}" if len(result.rows) < result.total else f"{result.total:,}"
        self.caption.setText(f"{self.drill.title} · {shown} tickets, latest first · Enter opens one")
        if result.rows:
            self.table.selectRow(0)
            self.table.setFocus()
        self.loaded.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.caption.setText(f"{self.drill.title} · could not be listed")
        show_error(self, error)

    def _open_row(self, index: QModelIndex) -> None:
        self.open_ticket.emit(self.model.rows[index.row()][0])


@dataclass(frozen=True)
class Evidence:
    number: str
    clocks: list[list[str]]  # in words, as ``console.sla.words`` gives them
    timeline: list[list[str]]


def load_evidence(workspace: Workspace, number: str, now: datetime) -> Evidence:
    with connect(workspace.cache()) as conn:
        result = ticket_sla(conn, ticket_id_by_number(conn, number), now)
    return Evidence(number, clock_lines(result), timeline_lines(result))


class SlaDialog(QDialog):
    """One ticket's SLA clocks and timeline: every start, pause, resume and stop, as evidence."""

    loaded = Signal(object)

    def __init__(
        self, workspace: Workspace, runner: TaskRunner, number: str, now: datetime, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sla-dialog")
        self.setWindowTitle(f"{number} · SLA")
        self.resize(900, 480)
        layout = QVBoxLayout(self)
        self.caption = QLabel(f"{number} · computing its SLA from the history…")
        layout.addWidget(self.caption)
        tabs = QTabWidget()
        self.clocks = RowsModel(CLOCK_HEADINGS, self)
        self.timeline = RowsModel(TIMELINE_HEADINGS, self)
        tabs.addTab(rows_table(self.clocks, "sla-clocks"), "Clocks")
        tabs.addTab(rows_table(self.timeline, "sla-timeline"), "Timeline")
        layout.addWidget(tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.reject)
        runner.op(load_evidence, workspace, number, now, label="Computing SLA…").success(self._show).failure(
            self._failed
        ).run()

    def _show(self, evidence: Evidence) -> None:
        self.clocks.set_rows(evidence.clocks)
        self.timeline.set_rows(evidence.timeline)
        self.caption.setText(
            f"{evidence.number} · {len(evidence.timeline)} clock events · "
            f"export with: support-console sla show {evidence.number} --format csv"
        )
        self.loaded.emit(evidence)

    def _failed(self, error: BaseException) -> None:
        self.caption.setText("The SLA could not be computed.")
        show_error(self, error)
