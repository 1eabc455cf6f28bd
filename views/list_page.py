"""What the problems and knowledge views share: a filtered list above the item it shows, read on the database
worker — the list's table, the busy bar, the splitter between them, and the search that reads the list again a
moment after the typing stops."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QLineEdit, QProgressBar, QSplitter, QTableView, QWidget

from views.problem_work import Pending
from views.tables import RowsModel, rows_table

SEARCH_DELAY_MS = 250


def list_table(model: RowsModel, name: str, stretched: int) -> QTableView:
    """The list: one row a line, its ``stretched`` column taking the width left."""
    table = rows_table(model, name)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(stretched, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setDefaultSectionSize(24)
    return table


def busy_bar(name: str, pending: Pending) -> QProgressBar:
    """A small bar that moves while work of the view is under way on the database worker."""
    busy = QProgressBar()
    busy.setObjectName(name)
    busy.setRange(0, 0)
    busy.setMaximumWidth(70)
    busy.setMaximumHeight(12)
    busy.setTextVisible(False)
    busy.hide()
    pending.changed.connect(lambda count: busy.setVisible(count > 0))
    return busy


def list_over(name: str, table: QTableView, below: QWidget, sizes: tuple[int, int]) -> QSplitter:
    """The list above what it shows, the lower part larger; neither collapses."""
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.setObjectName(name)
    splitter.addWidget(table)
    splitter.addWidget(below)
    splitter.setStretchFactor(0, 2)
    splitter.setStretchFactor(1, 3)
    splitter.setSizes(list(sizes))
    splitter.setChildrenCollapsible(False)
    return splitter


def searching(owner: QObject, search: QLineEdit, reload: Callable[[], None]) -> QTimer:
    """Read the list again ``SEARCH_DELAY_MS`` after the typing stops, or at once on Enter."""
    delay = QTimer(owner, singleShot=True, interval=SEARCH_DELAY_MS)
    delay.timeout.connect(reload)
    search.textChanged.connect(lambda _text: delay.start())
    search.returnPressed.connect(reload)
    return delay
