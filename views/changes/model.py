"""The change list's table model: one row per change, risk in colour, conflicts explained in a tooltip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from console.changes.lists import ChangeRow
from console.changes.stages import LABELS
from views.tables import Index, RowsModel

COLUMNS = ("Change", "Title", "Risk", "Stage", "Window (UTC)", "Conflicts", "Approvals", "Units", "Modules")
RISK_COLOURS = {"high": "#b42318", "medium": "#b54708", "low": "#067647"}


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
