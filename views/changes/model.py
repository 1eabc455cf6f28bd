"""The change list's table model: one row per change, in cells short enough that the columns fit the view
(conflicts in a few words, the title elided), each explained in full in its tooltip; risk in colour."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from console.changes.lists import ChangeRow
from console.i18n import N_, _
from console.zone import zoned
from views import words
from views.tables import Index, RowsModel

RISK_COLOURS = {"high": "#b42318", "medium": "#b54708", "low": "#067647"}


class Column(IntEnum):
    NUMBER = 0
    TITLE = 1
    RISK = 2
    STAGE = 3
    WINDOW = 4
    CONFLICTS = 5
    APPROVED = 6
    SCOPE = 7


COLUMNS = (N_("Change"), N_("Title"), N_("Risk"), N_("Stage"), N_("Window"), N_("Conflicts"), N_("Approved"),
           N_("Module · unit"))  # fmt: skip


def headings() -> list[str]:
    """The columns' headings in the person's language, the window's naming the person's zone its cells are in:
    "Window (Asia/Tehran)"."""
    return [zoned(_(c)) if i == Column.WINDOW else _(c) for i, c in enumerate(COLUMNS)]


def conflict_words(row: ChangeRow) -> str:
    """The conflicts in a few words ("in a freeze", "overlaps CHG-0000012 +1"); the tooltip explains each."""
    said = [_("in a freeze")] if any(c.kind == "freeze" for c in row.conflicts) else []
    others = list(dict.fromkeys(c.with_ for c in row.conflicts if c.kind == "overlap"))
    if others:
        said.append(
            _("overlaps {change}").format(change=others[0]) + (f" +{len(others) - 1}" if len(others) > 1 else "")
        )
    return _(", ").join(said)


def _row_cells(row: ChangeRow) -> list[str]:
    return [
        row.number,
        row.title,
        words.risk(row.risk) if row.risk else "—",
        words.stage(row.stage),
        row.window_cell,  # the heading names the zone, so the cell does not
        conflict_words(row),
        words.approvals(row.approvals, short=True),  # "2 of 3": the heading says approved
        " · ".join(part for part in (row.modules, row.units) if part),
    ]


def _tooltip(row: ChangeRow, column: int) -> str | None:
    if column == Column.TITLE:
        return row.title
    if column == Column.CONFLICTS and row.conflicts:
        return "\n".join(c.explanation for c in row.conflicts)
    if column == Column.APPROVED and row.approvals:
        return words.approvals(row.approvals)
    if column == Column.SCOPE:
        return _("Modules: {modules}\nBusiness units: {units}").format(
            modules=row.modules or "—", units=row.units or "—"
        )
    return None


class ChangeListModel(RowsModel):
    """The change list: risk in colour, what awaits my decision in bold, each cell explained in its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(headings(), parent)
        self.changes: list[ChangeRow] = []

    def set_changes(self, changes: list[ChangeRow]) -> None:
        self.changes = changes
        self.set_rows([_row_cells(c) for c in changes])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        change = self.changes[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == Column.RISK and change.risk:
                return QBrush(QColor(RISK_COLOURS[change.risk]))
            if index.column() == Column.CONFLICTS and change.conflicts:
                return QBrush(QColor(RISK_COLOURS["high"]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(change, index.column())
        if role == Qt.ItemDataRole.FontRole and change.awaiting_me:
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)
