"""The queue as a Qt table model over SQL: pages load in the background as they come into view.

``rowCount`` is the number of matching tickets (a million is fine); ``data`` answers from the
pages already loaded and asks the database worker for a missing page, showing "…" until it
arrives. A page next to a loaded one is read by keyset (the rows after / before it), the last
page from the end, anything else by offset. A change of filter or sort starts a new
generation: pages of the old one that arrive late are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor

from console.desk import Desk, FirstPage
from console.i18n import _
from console.tickets.queue import Column, QueueFilter, QueueRow, Sort
from console.zone import day_text, moment_text
from models import SlaState
from views import words
from views.tables import Index
from views.tasks import TaskRunner

PAGE = 200
COLUMNS = list(Column)
BANDS = {
    "running": ("#e6f4ea", "#1e6b3a"),
    "warning": ("#fff4d6", "#8a5a00"),
    "breached": ("#fde2e1", "#a4161a"),
    "paused": ("#e8eef7", "#34558b"),
    "met": ("#f2f2f2", "#4d4d4d"),
    "missed": ("#f6e0e0", "#7a1f1f"),
}


@dataclass(frozen=True)
class PageRequest:
    page: int
    after: tuple[Any, ...] | None = None
    from_end: bool = False
    offset: int = 0
    limit: int = PAGE


def sla_text(row: QueueRow, now: datetime) -> str:
    """The SLA cell, which clock first: a narrow column cuts the detail at the end, never the clock's name."""
    band = row.band(now)
    release = row.release if row.due_with_release else None
    clock = words.clock(row.clock)
    if band in ("met", "missed"):  # met or breached
        said = _("{clock} {state}").format(clock=clock, state=words.sla_state(SlaState(band)))
        return f"{said} · {release}" if release else said
    if band in ("not_timed", "paused"):  # due with a release none planned yet; a paused clock's due time moves
        return f"{clock} · {words.sla_state(SlaState(band))}"
    if band == "none" or row.due_at is None:
        return ""
    left = row.due_at - now
    if left.total_seconds() <= 0:
        return f"{clock} · {words.countdown(left)}"  # the release it was due with: in the tooltip
    if release:  # only the resolution runs to a release; its day on the person's calendar
        return _("due with {release} · {day}").format(release=release, day=words.isolated(cell_day(row.due_at, now)))
    return f"{clock} · {words.countdown(left)}"


WIDEST_DAYS = (datetime(2027, 5, 10, 12, tzinfo=UTC), datetime(2027, 9, 28, 12, tzinfo=UTC))
"""Days whose names are among the longest of each calendar: in May (اردیبهشت) and September (سبتمبر)."""


def cell_day(at: datetime, now: datetime) -> str:
    """The day a release is due, in the person's zone and calendar: "12 Dec", with its year when not this year's
    ("12 Dec 2027"; in Persian "۲۱ آذر", in Arabic "12 ديسمبر")."""
    day, this_year = day_text(at), day_text(now)
    if day.rsplit(" ", 1)[-1] == this_year.rsplit(" ", 1)[-1]:
        day = day.rsplit(" ", 1)[0]
    return day.lstrip("0")  # English writes the day in two digits: "2 Dec", as a person says it


def widest_sla_texts() -> tuple[str, ...]:
    """The SLA column opens as wide as the widest of these, in the person's language, so its cells are not cut
    (which clock and which length reads widest depends on the language: "پاسخ" is longer than "حل")."""
    lengths = (timedelta(days=999, hours=23), timedelta(hours=23, minutes=59))
    return (
        *(f"{words.clock(clock)} · {words.countdown(sign * length)}"
          for clock in ("response", "resolution") for length in lengths for sign in (1, -1)),
        *(_("due with {release} · {day}").format(release="R2026.4", day=words.isolated(day_text(day)))
          for day in WIDEST_DAYS),
    )  # fmt: skip


def sla_tip(row: QueueRow, now: datetime) -> str | None:
    """The SLA cell's tooltip: the due moment in full, or why there is none."""
    if row.sla_state is SlaState.NOT_TIMED:
        return _("resolution due with the next release of its module; none is planned yet")
    if row.band(now) == "paused":
        return _(
            "{clock} clock paused while the ticket is {status}: "
            "waiting time does not count, so its due time moves later"
        ).format(clock=words.clock(row.clock), status=words.status(row.status))
    if row.due_at is None:
        return None
    past = row.due_at <= now
    moment = words.isolated(moment_text(row.due_at, named=True))
    if row.due_with_release:
        if past:
            return _("resolution due with {release}, which reached production {moment}").format(
                release=row.release, moment=moment
            )
        return _("resolution due with {release}, which reaches production {moment}").format(
            release=row.release, moment=moment
        )
    if past:
        return _("{clock} was due {moment}").format(clock=words.clock(row.clock), moment=moment)
    return _("{clock} due {moment}").format(clock=words.clock(row.clock), moment=moment)


class QueueModel(QAbstractTableModel):
    loaded = Signal(int)  # the total, when a new filter or sort has its first page
    page_loaded = Signal(int)

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)  # owned by its view, so Qt destroys it (and its timer) on the UI thread
        self.desk = desk
        self.runner = runner
        self.actor = desk.actor
        self.now = now
        self.filter = QueueFilter()
        self.sort_order = Sort()
        self.total = 0
        self.pages: dict[int, list[QueueRow]] = {}
        self._pending: set[int] = set()
        self._generation = 0
        self.ticker = QTimer(self)  # the SLA countdown moves without a query
        self.ticker.setInterval(30_000)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()

    # -- loading ---------------------------------------------------------------------------------

    def reload(self, flt: QueueFilter | str | None = None, sort: Sort | None = None) -> None:
        """Read the queue again (with a new filter or sort); a ticket number given instead is ignored."""
        flt = flt if isinstance(flt, QueueFilter) else None
        self.filter = flt or self.filter
        self.sort_order = sort or self.sort_order
        self._generation += 1
        generation = self._generation
        self._pending.clear()

        def show(first: FirstPage) -> None:
            if generation != self._generation:
                return
            self.beginResetModel()
            self.total = first.total
            self.pages = {0: first.rows}
            self.endResetModel()
            self.loaded.emit(first.total)

        self.runner.op(
            self.desk.queue_first, self.filter, self.sort_order, self.now(), PAGE, label=_("Reading the queue…")
        ).success(show).run()

    def _request(self, page: int) -> None:
        if page in self._pending or page in self.pages or page * PAGE >= self.total:
            return
        last_page = (self.total - 1) // PAGE
        before, after = self.pages.get(page - 1), self.pages.get(page + 1)
        if before and len(before) == PAGE:
            request = PageRequest(page, after=before[-1].key)
        elif after:
            request = PageRequest(page, after=after[0].key, from_end=True)
        elif page == last_page:
            request = PageRequest(page, from_end=True, limit=self.total - page * PAGE)
        else:
            request = PageRequest(page, offset=page * PAGE)
        self._pending.add(page)
        generation = self._generation

        def store(rows: list[QueueRow]) -> None:
            if generation != self._generation:
                return
            self._pending.discard(page)
            self.pages[page] = rows
            first = page * PAGE
            self.dataChanged.emit(self.index(first, 0), self.index(first + len(rows) - 1, len(COLUMNS) - 1))
            self.page_loaded.emit(page)

        self.runner.op(
            self.desk.queue_page, self.filter, self.sort_order, self.now(),
            request.after, request.limit, request.from_end, request.offset,
            label=_("Reading the queue…"),
        ).success(store).run()  # fmt: skip

    def row_at(self, row: int) -> QueueRow | None:
        """The ticket on a row, if its page is here (asking for the page if not)."""
        page = self.pages.get(row // PAGE)
        if page is None:
            self._request(row // PAGE)
            return None
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    def row_of(self, number: str) -> int | None:
        for page, rows in self.pages.items():
            for offset, item in enumerate(rows):
                if item.number == number:
                    return page * PAGE + offset
        return None

    def tick(self) -> None:
        if self.total:
            sla = COLUMNS.index(Column.SLA)
            self.dataChanged.emit(self.index(0, sla), self.index(self.total - 1, sla))

    # -- Qt model ----------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | None:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return words.heading(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.row_at(index.row())
        column = COLUMNS[index.column()]
        if item is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        now = self.now()
        if role == Qt.ItemDataRole.DisplayRole:
            return words.isolated(self.text(item, column, now))  # an English title reads whole right to left
        if role == Qt.ItemDataRole.ToolTipRole and column in (Column.TITLE, Column.SLA):
            if column == Column.TITLE:
                return item.title
            return sla_tip(item, now)
        if column == Column.SLA and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            colours = BANDS.get(item.band(now))
            if colours:
                return QBrush(QColor(colours[0 if role == Qt.ItemDataRole.BackgroundRole else 1]))
        if role == Qt.ItemDataRole.UserRole:
            return item.number
        return None

    @staticmethod
    def text(item: QueueRow, column: Column, now: datetime) -> str:
        match column:
            case Column.NUMBER:
                return item.number
            case Column.PRIORITY:
                return words.priority(item.priority)
            case Column.TITLE:
                return item.title
            case Column.STATUS:
                return words.status(item.status)
            case Column.UNIT:
                return item.unit
            case Column.MODULE:
                return item.module
            case Column.ASSIGNEE:
                return item.assignee or "—"
            case Column.GROUP:
                return f"{item.group or '—'} · " + _("T{tier}").format(tier=item.tier)
            case Column.AGE:
                return words.duration(item.age(now))
            case Column.SLA:
                return sla_text(item, now)
