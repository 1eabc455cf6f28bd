"""The first screen at start-up: the queue as the last session left it, shown at once.

Loading the database layer takes about a second on a modest machine; rather than an empty
window, the app paints the queue's first screen from ``first-screen.json`` (written by the
queue when it shows its start-up view), marked as a snapshot, and swaps in the live window as
soon as its rows are read. Qt, the standard library and ``console.i18n`` (standard library too) only, so it
shows before anything else is imported. The snapshot keeps the language it was taken in: its own words are
said in it, and ``views.launch`` mirrors the early screen for Persian and Arabic. A missing or damaged snapshot
just means no early screen.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.i18n import _

FILE = "first-screen.json"
ROWS = 60  # what fits a tall window; the live queue pages the rest


@dataclass(frozen=True)
class Snapshot:
    taken_at: str
    title: str  # the window title
    pages: list[str]  # the navigation's titles
    headers: list[str]
    widths: list[int]
    rows: list[list[str]]
    colours: list[list[str] | None]  # background and text colour of each row's SLA cell
    caption: str  # e.g. "7,841 tickets"
    language: str = "en"  # the language its words are in (``console.i18n``)


def save(home: Path, snapshot: Snapshot) -> None:
    """Write the snapshot whole or not at all (a temporary file renamed over the old one)."""
    target = home / FILE
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(json.dumps(asdict(snapshot), ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)  # an early screen is a nicety: never an error


def load(home: Path) -> Snapshot | None:
    try:
        data: dict[str, Any] = json.loads((home / FILE).read_text(encoding="utf-8"))
        return Snapshot(**data)
    except (OSError, ValueError, TypeError):
        return None


def now_text() -> str:
    """The time now in the person's zone (read by the live queue; imported here, not above, to keep the early
    screen free of the console's modules)."""
    from console.zone import time_text

    return time_text(datetime.now(UTC))


class SnapshotWindow(QMainWindow):
    """The last session's first screen, read-only, until the live window takes its place."""

    def __init__(self, home: Path, snapshot: Snapshot) -> None:
        super().__init__()
        self.setObjectName("snapshot-window")
        self.setWindowTitle(snapshot.title)
        navigation = QListWidget()
        navigation.setFixedWidth(205)
        navigation.addItems(snapshot.pages)
        navigation.setCurrentRow(0)
        navigation.setEnabled(False)
        table = QTableWidget(len(snapshot.rows), len(snapshot.headers))
        table.setObjectName("snapshot-table")
        table.setHorizontalHeaderLabels(snapshot.headers)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(24)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for column, width in enumerate(snapshot.widths):
            table.setColumnWidth(column, width)
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for r, (cells, colours) in enumerate(zip(snapshot.rows, snapshot.colours, strict=False)):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if colours and c == len(cells) - 1:
                    item.setBackground(QBrush(QColor(colours[0])))
                    item.setForeground(QBrush(QColor(colours[1])))
                table.setItem(r, c, item)
        page = QWidget()
        layout = QVBoxLayout(page)
        note = QLabel(
            _("Your queue as of {time} · opening the local cache…").format(time=snapshot.taken_at)
            + f"  {snapshot.caption}"
        )
        note.setObjectName("snapshot-note")
        note.setProperty("role", "lead")
        layout.addWidget(note)
        layout.addWidget(table, 1)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(navigation)
        row.addWidget(page, 1)
        self.setCentralWidget(central)
        self.setCursor(Qt.CursorShape.BusyCursor)
        geometry = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat).value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
