"""The small read-only tables several views share: a model of string rows, the table that shows one,
and how a moment reads in a cell."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console.rows import text_value
from views.words import isolated

Index = QModelIndex | QPersistentModelIndex  # what Qt passes a model as an index


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
            return isolated(self.rows[index.row()][index.column()])  # a date reads whole in a right-to-left cell
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


def select_row(table: QTableView, row: int) -> None:
    """Select ``row`` whole and make it the current row, as ``QTableView.selectRow`` would: in a right-to-left
    window (Persian, Arabic) that one selects nothing (Qt 6.11), so neither Enter, j / k nor the first row
    opened on loading would find a row."""
    model = table.model()
    if not 0 <= row < model.rowCount():
        return
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.selectionModel().setCurrentIndex(model.index(row, 0), flags)


def when_text(value: datetime | None) -> str:
    """A moment as a table cell shows it (to the minute); empty when there is none."""
    return text_value(value) if value else ""
