"""The problem list's table model and the choices of its filters: one row per problem, its status in the
problem's own words (``views.words.problem_status``), a known error in colour, its incidents as "open of all"."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from console.i18n import N_, _
from console.problems.lists import ProblemFilter, ProblemRow
from console.problems.rules import KNOWN, OPEN
from models import ProblemStatus
from views import words
from views.tables import Index, RowsModel

KNOWN_COLOUR = "#b54708"  # a known error: its workaround reaches the queue


class Column(IntEnum):
    NUMBER = 0
    TITLE = 1
    STATUS = 2
    PRIORITY = 3
    MODULE = 4
    GROUP = 5
    OWNER = 6
    INCIDENTS = 7


COLUMNS = (N_("Problem"), N_("Title"), N_("Status"), N_("Priority"), N_("Module · unit"), N_("Group"),
           N_("Owner"), N_("Incidents"))  # fmt: skip

OPEN_PROBLEMS, ALL_PROBLEMS = 0, 1


def status_choices() -> list[tuple[str, tuple[ProblemStatus, ...]]]:
    """The status filter's choices: the open problems, all of them, or those in one status."""
    return [
        (_("Open problems"), tuple(s for s in ProblemStatus if s in OPEN)),
        (_("All problems"), tuple(ProblemStatus)),
        *((words.problem_status(s), (s,)) for s in ProblemStatus),
    ]


def known_choices() -> list[tuple[str, bool | None]]:
    return [(_("Known error or not"), None), (_("Known errors"), True), (_("Not known errors"), False)]


def incidents_cell(row: ProblemRow) -> str:
    """The incidents in a cell: "2 open of 7"; "7" when none is open; "—" when none is linked."""
    if not row.incidents:
        return "—"
    if not row.open_incidents:
        return f"{row.incidents:,}"
    return _("{open} open of {all}").format(open=f"{row.open_incidents:,}", all=f"{row.incidents:,}")


def _cells(row: ProblemRow) -> list[str]:
    return [
        row.number,
        row.title,
        words.problem_status(row.status),
        words.priority(row.priority),
        " · ".join(part for part in (row.module, row.unit) if part),
        row.group or "—",
        row.owner or "—",
        incidents_cell(row),
    ]


class ProblemListModel(RowsModel):
    """The problems listed: known errors' status in colour, a problem with open incidents in bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([_(c) for c in COLUMNS], parent)
        self.problems: list[ProblemRow] = []

    def set_problems(self, problems: list[ProblemRow]) -> None:
        self.problems = problems
        self.set_rows([_cells(p) for p in problems])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        problem = self.problems[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == Column.STATUS and problem.status in KNOWN:
            return QBrush(QColor(KNOWN_COLOUR))
        if role == Qt.ItemDataRole.FontRole and problem.open_incidents and index.column() == Column.INCIDENTS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == Column.TITLE:
                return problem.title
            if index.column() == Column.STATUS and problem.status in KNOWN:
                return _("A known error: its incidents show its workaround.")
        return super().data(index, role)


def problem_filter(
    statuses: tuple[ProblemStatus, ...],
    module: str | None,
    unit: str | None,
    group: str | None,
    known: bool | None,
    search: str,
) -> ProblemFilter:
    """The filter the bar's choices make (None: any)."""
    return ProblemFilter(
        statuses=statuses,
        modules=(module,) if module else (),
        units=(unit,) if unit else (),
        groups=(group,) if group else (),
        known_error=known,
        search=search.strip(),
    )
