"""The change calendar tab: a month with its freezes and planned windows marked, and the list of them below it
(the list has the page's whole width, so that what each one is reads whole at the window's default size).

The change view reads the month shown (``console.changes.lists.calendar``) and hands it to
``show_calendar``; turning the page asks the view for the new month.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from console.changes.lists import Calendar
from console.i18n import _
from console.zone import local_zone, zoned
from views import words
from views.changes.model import conflict_words
from views.tables import Index, RowsModel, rows_table, when_text

FREEZE_COLOUR = QColor("#fde2e1")
WINDOW_COLOUR = QColor("#dbe8fb")
CONFLICT_COLOUR = QColor("#fbd38d")
WHAT, CONFLICTS = 2, 4  # the column that takes what is left, and the one in a few words
CONFLICTS_MOST = 170  # beyond this the conflicts elide


class MonthModel(RowsModel):
    """The month's freezes and windows; the conflicts in a few words, each explained in its cell's tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([zoned(_("from")), zoned(_("to")), _("what"), _("stage"), _("conflicts")], parent)
        self.tips: list[str] = []

    def set_month(self, rows: list[tuple[list[str], str]]) -> None:
        self.tips = [tip for _cells, tip in rows]
        self.set_rows([cells for cells, _tip in rows])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> str | None:
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            return self.tips[index.row()] if index.column() == CONFLICTS else self.rows[index.row()][index.column()]
        return super().data(index, role)


class CalendarPage(QWidget):
    """The month (``month``) with freezes and windows in colour, above the list of them (``month_rows``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.month = QCalendarWidget()
        self.month.setObjectName("change-calendar")
        self.month.setGridVisible(True)
        self.month.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        # the application's clock, not Qt's, so both agree on "this month", on the person's calendar
        today = datetime.now(local_zone()).date()
        self.month.setSelectedDate(QDate(today.year, today.month, today.day))
        self.month.setCurrentPage(today.year, today.month)
        top = QHBoxLayout()
        top.addWidget(self.month)
        legend = QLabel(
            "".join(
                f"<p><span style='background:{colour}'>&nbsp;{said}&nbsp;</span></p>"
                for colour, said in (
                    ("#fde2e1", _("freeze")),
                    ("#dbe8fb", _("planned window")),
                    ("#fbd38d", _("window in conflict")),
                )
            )
        )
        legend.setAlignment(Qt.AlignmentFlag.AlignTop)
        top.addWidget(legend)
        top.addStretch(1)
        layout.addLayout(top)
        self.month_rows = MonthModel(self)
        self.month_table = rows_table(self.month_rows, "calendar-table")
        self.month_table.setWordWrap(False)
        header = self.month_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(WHAT, QHeaderView.ResizeMode.Stretch)  # elided; the tooltip has it whole
        header.setSectionResizeMode(CONFLICTS, QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.month_table, 1)

    def show_calendar(self, cal: Calendar) -> None:
        """Mark the month's freezes and windows on the days of the person's calendar, and list them by their start."""
        self.month.setDateTextFormat(QDate(), QTextCharFormat())  # clear the previous month's marks
        rows: list[tuple[datetime, list[str], str]] = []
        zone = local_zone()

        def mark(start: datetime, end: datetime, colour: QColor) -> None:
            day = start.astimezone(zone).date()
            while datetime.combine(day, time(), zone) < end:
                fmt = QTextCharFormat()
                fmt.setBackground(colour)
                self.month.setDateTextFormat(QDate(day.year, day.month, day.day), fmt)
                day += timedelta(days=1)

        for freeze in cal.freezes:
            start, end = freeze.starts_at, freeze.ends_at
            mark(start, end, FREEZE_COLOUR)
            rows.append(
                (start, [when_text(start), when_text(end), _("Freeze: {name}").format(name=freeze.name), "", ""], "")
            )
        for change in cal.changes:
            if change.planned_start and change.planned_end:
                mark(change.planned_start, change.planned_end, CONFLICT_COLOUR if change.conflicts else WINDOW_COLOUR)
                cells = [when_text(change.planned_start), when_text(change.planned_end),
                         f"{change.number} {change.title}", words.stage(change.stage),
                         conflict_words(change)]  # fmt: skip
                rows.append((change.planned_start, cells, "\n".join(c.explanation for c in change.conflicts)))
        rows.sort(key=lambda r: r[0])
        self.month_rows.set_month([(cells, tip) for _start, cells, tip in rows])
        table = self.month_table
        widest = max(table.sizeHintForColumn(CONFLICTS), table.horizontalHeader().sectionSizeHint(CONFLICTS))
        table.setColumnWidth(CONFLICTS, min(widest, CONFLICTS_MOST))
