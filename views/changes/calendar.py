"""The change calendar tab: a month with its freezes and planned windows marked, and the list of them.

The change view reads the month shown (``console.changes.lists.calendar``) and hands it to
``show_calendar``; turning the page asks the view for the new month.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from PySide6.QtCore import QDate
from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.changes.lists import Calendar
from console.changes.stages import LABELS
from views.tables import RowsModel, rows_table, when_text

FREEZE_COLOUR = QColor("#fde2e1")
WINDOW_COLOUR = QColor("#dbe8fb")
CONFLICT_COLOUR = QColor("#fbd38d")


class CalendarPage(QWidget):
    """The month (``month``) with freezes and windows in colour, beside the list of them (``month_rows``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        self.month = QCalendarWidget()
        self.month.setObjectName("change-calendar")
        self.month.setGridVisible(True)
        self.month.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        today = datetime.now(UTC).date()  # the application's clock, not Qt's, so both agree on "this month"
        self.month.setSelectedDate(QDate(today.year, today.month, today.day))
        self.month.setCurrentPage(today.year, today.month)
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

    def show_calendar(self, cal: Calendar) -> None:
        """Mark the month's freezes and windows, and list them by their start."""
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
            rows.append((start, [when_text(start), when_text(end), f"Freeze: {freeze.name}", "", ""]))
        for change in cal.changes:
            if change.planned_start and change.planned_end:
                mark(change.planned_start, change.planned_end, CONFLICT_COLOUR if change.conflicts else WINDOW_COLOUR)
                rows.append((change.planned_start, [when_text(change.planned_start), when_text(change.planned_end),
                             f"{change.number} {change.title}", LABELS[change.stage],
                             "; ".join(c.explanation for c in change.conflicts)]))  # fmt: skip
        rows.sort(key=lambda r: r[0])
        self.month_rows.set_rows([cells for _, cells in rows])
