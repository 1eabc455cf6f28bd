"""The ticket queue: filters, search, saved views, sort on any column, bulk triage, keyboard-first.

Keys in the table: j / k or the arrows move, Enter opens the ticket, A assigns the selected
tickets to me, Ctrl+F searches, F5 reloads, Ctrl+End jumps to the last ticket.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetricsF, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyleOptionComboBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from console.access import Can
from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import N_, _
from console.journal.touched import Touched
from console.tickets import queue
from console.tickets.queue import Choices, Column, QueueFilter, Sort
from console.tickets.saved_views import SavedViews
from console.tickets.triage import BulkResult
from console.words import STATUS_LABELS
from models import Priority, TicketStatus
from views import first_screen, words
from views.errors import show_error
from views.pages import PAGES
from views.queue_model import BANDS, COLUMNS, QueueModel, widest_sla_texts
from views.tables import select_row
from views.tasks import TaskRunner

# The filters' choices: their words marked here, shown in the person's language (``_``) when the queue is built.
STATUS_CHOICES: list[tuple[str, tuple[TicketStatus, ...]]] = [
    (N_("Open"), queue.OPEN_STATUSES),
    (N_("All statuses"), tuple(TicketStatus)),
    *((STATUS_LABELS[s], (s,)) for s in TicketStatus),  # a status's own word (``views.words.status``)
]
BREACHING = [
    (N_("Any time to breach"), None),
    (N_("Breaching in 4 h"), 4.0),
    (N_("Breaching in 24 h"), 24.0),
    (N_("Breaching in 72 h"), 72.0),
]
TIERS = [N_("Any tier"), N_("Tier 1"), N_("Tier 2"), N_("Tier 3")]
SAVED_VIEWS = N_("Saved views…")
WIDEST_AGES = (timedelta(days=999, hours=23), timedelta(hours=23, minutes=59))  # the age column fits these lengths


def status_choices() -> list[str]:
    """The status filter's choices, in the person's language."""
    return [_(STATUS_CHOICES[0][0]), _(STATUS_CHOICES[1][0]), *(words.status(s) for s in TicketStatus)]


class ChoiceBox(QComboBox):
    """A drop-down as wide as its widest choice when the window has room, so no choice is cut there; in a
    narrow window it shrinks to a few letters (the window still fits half a laptop screen).

    Qt's own ``AdjustToContents`` would size it so too, but it also resizes the box to that width for a moment
    each time the choices change (the units and modules arrive after the queue), past what the layout gave it.
    """

    def __init__(self, name: str, items: list[str], what: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setAccessibleName(what)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(3)  # its narrowest: three letters
        model = self.model()
        for changed in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.dataChanged):
            changed.connect(lambda *_: self.updateGeometry())  # a new widest choice: the layout asks again
        self.addItems(items)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        contents = QSize(widest, metrics.height())
        whole = self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, contents, self)  # frame, arrow
        return QSize(max(hint.width(), whole.width()), hint.height())


class QueueView(QWidget):
    open_ticket = Signal(str)  # a ticket number
    triaged = Signal(object)  # a BulkResult
    choices_loaded = Signal(object)  # the Choices (units, modules, people) this person is offered

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("queue-view")
        self.desk = desk
        self.workspace = desk.workspace
        self.runner = runner
        self.actor = desk.actor
        self.saved = SavedViews(self.workspace.home / "saved-views.json")
        self.choices = Choices([], [], [])
        self.model = QueueModel(desk, runner, now or desk.now, parent=self)
        runner.edited.connect(self._touched)
        self.model.loaded.connect(self._loaded)

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        # Each filter names what it filters in its first choice ("Any unit"): no labels in a compact bar.
        self.status = self._combo(
            "status",
            status_choices(),
            _("Status filter"),
            _("Open tickets, all of them, or those in one status"),
        )
        self.priority = self._combo(
            "priority",
            [_("Any priority"), *(words.priority(p) for p in Priority)],
            _("Priority filter"),
            _("Tickets of one priority"),
        )
        self.unit = self._combo("unit", [_("Any unit")], _("Business unit filter"), _("Tickets of one business unit"))
        self.module = self._combo("module", [_("Any module")], _("Module filter"), _("Tickets of one ERP module"))
        self.tier = self._combo("tier", [_(t) for t in TIERS], _("Tier filter"), _("Tickets at one support tier"))
        self.breaching = self._combo(
            "breaching",
            [_(label) for label, _hours in BREACHING],
            _("Time to breach filter"),
            _("Open tickets whose SLA clock runs out within these hours (overdue ones too)"),
        )
        self.mine = QCheckBox(_("Mine"))
        self.unassigned = QCheckBox(_("Unassigned"))
        for box in (self.mine, self.unassigned):
            box.toggled.connect(self.apply_filters)
        self.search = QLineEdit()
        self.search.setObjectName("queue-search")
        self.search.setPlaceholderText(_("Search number, title, description, notes (Ctrl+F)"))
        self.search.setAccessibleName(_("Search the queue"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(120)
        self._search_delay = QTimer(self, singleShot=True, interval=250)
        self._search_delay.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self._search_delay.start())
        for widget in (self.status, self.priority, self.unit, self.module, self.tier, self.breaching):
            bar.addWidget(widget)
        layout.addLayout(bar)
        find = QHBoxLayout()
        find.addWidget(self.search, 1)
        find.addWidget(self.mine)
        find.addWidget(self.unassigned)
        self.count = QLabel(_("Reading the queue…"))
        self.count.setObjectName("queue-count")
        find.addWidget(self.count)
        layout.addLayout(find)

        views = QHBoxLayout()
        self.saved_views = ChoiceBox("saved-views", [_(SAVED_VIEWS)], _("Saved views"))
        self.saved_views.setToolTip(_("Saved views: your named filter sets"))
        self.saved_views.activated.connect(self._use_saved)
        save = QPushButton(_("Save view…"))
        save.setObjectName("save-view")
        save.clicked.connect(self.ask_save_view)
        views.addWidget(self.saved_views)
        views.addWidget(save)
        views.addStretch(1)
        # A push button with a menu: its size has room for the menu's arrow (a tool button draws it over the text).
        self.triage_button = QPushButton(_("Triage selected"))
        self.triage_button.setObjectName("bulk-triage")
        self.triage_button.setToolTip(_("Set one field on every selected ticket"))
        menu = QMenu(self.triage_button)
        for field, caption in (("assignee_id", _("Assign to…")), ("priority", _("Priority…")),
                               ("module_id", _("Module…")), ("tier", _("Tier…"))):  # fmt: skip
            menu.addAction(caption).triggered.connect(lambda _checked=False, f=field: self.ask_bulk(f))
        self.triage_button.setMenu(menu)
        views.addWidget(self.triage_button)
        layout.addLayout(views)

        self.table = QTableView()
        self.table.setObjectName("queue-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # A click on a header sorts in SQL: the sort indicator reloads the model in the new order.
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(COLUMNS.index(Column.SLA), Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self.sort_by)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(COLUMNS.index(Column.TITLE), QHeaderView.ResizeMode.Stretch)
        for column, width in ((Column.NUMBER, 100), (Column.PRIORITY, 62), (Column.STATUS, 100), (Column.UNIT, 68),
                              (Column.MODULE, 58), (Column.ASSIGNEE, 115), (Column.GROUP, 100),
                              (Column.AGE, self._fitting(*map(words.duration, WIDEST_AGES))),
                              (Column.SLA, self._fitting(*widest_sla_texts()))):  # fmt: skip
            self.table.setColumnWidth(COLUMNS.index(column), width)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.activated.connect(self._open_index)  # Enter or a double click
        layout.addWidget(self.table, 1)

        for keys, action in (("J", lambda: self.step(1)), ("K", lambda: self.step(-1)), ("A", self.assign_to_me)):
            QShortcut(QKeySequence(keys), self.table, action, context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.model.reload)
        self._apply_role()

    def _combo(self, name: str, items: list[str], what: str, tip: str) -> ChoiceBox:
        combo = ChoiceBox(f"queue-{name}", items, what)
        combo.setToolTip(f"{what}: {tip}")
        combo.currentIndexChanged.connect(self.apply_filters)
        return combo

    def _fitting(self, *texts: str) -> int:
        """A column width that shows each of ``texts`` whole in the table's font, with the cell's margins."""
        margin = self.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.table) + 1
        metrics = QFontMetricsF(self.table.font())  # fractional: a text a fraction wider than its cell is elided
        # Persian and Arabic text, shaped, can be a pixel wider than its advance: the wider of the two
        widest = max(
            math.ceil(max(metrics.horizontalAdvance(text), metrics.boundingRect(text).width())) for text in texts
        )
        return widest + 2 * margin + 1  # and the grid line

    def _apply_role(self) -> None:
        if not self.actor.may(Can.TRIAGE):
            self.triage_button.setEnabled(False)
            self.triage_button.setToolTip(_("A {role} cannot triage tickets.").format(role=words.role(self.actor.role)))

    # -- loading ---------------------------------------------------------------------------------

    def start(self) -> None:
        """The first screen of the queue, then the filter lists (both off the UI thread)."""
        self.model.reload(self.current_filter())
        self.runner.op(self.desk.queue_choices, label=_("Reading filters…")).success(self._fill_choices).run()
        self._fill_saved()

    def _fill_choices(self, choices: Choices) -> None:
        self.choices = choices
        for combo, items in ((self.unit, choices.units), (self.module, [code for _id, code in choices.modules])):
            combo.blockSignals(True)
            combo.addItems(items)
            combo.blockSignals(False)
        self.choices_loaded.emit(choices)

    def _fill_saved(self) -> None:
        self.saved_views.clear()
        try:
            names = self.saved.names(self.actor.login)
        except ConsoleError as error:
            show_error(self, error)
            names = []
        self.saved_views.addItems([_(SAVED_VIEWS), *names])

    def _loaded(self, total: int) -> None:
        self.count.setText(words.counted(total, "ticket"))
        if total and not self.table.selectionModel().hasSelection():
            select_row(self.table, 0)
        if self.model.filter == QueueFilter() and self.model.sort_order == Sort():
            self.save_snapshot()

    def save_snapshot(self) -> None:
        """Keep this first screen for the next start, to paint before the database layer loads."""
        now = self.model.now()
        items = self.model.pages.get(0, [])[: first_screen.ROWS]
        colours = [BANDS.get(item.band(now)) for item in items]
        shown = first_screen.Snapshot(
            taken_at=first_screen.now_text(),
            title=self.window().windowTitle(),
            pages=[spec.title for spec in PAGES],
            headers=[words.heading(column) for column in COLUMNS],
            widths=[self.table.columnWidth(i) for i in range(len(COLUMNS))],
            rows=[[QueueModel.text(item, column, now) for column in COLUMNS] for item in items],
            colours=[list(c) if c else None for c in colours],
            caption=self.count.text(),
            language=i18n.language(),
        )
        # A file write: on the I/O pool, not the UI thread.
        self.runner.op(first_screen.save, self.workspace.home, shown).run_io()

    # -- filters ---------------------------------------------------------------------------------

    def current_filter(self) -> QueueFilter:
        def chosen(combo: QComboBox) -> tuple[str, ...]:
            return () if combo.currentIndex() <= 0 else (combo.currentText(),)

        return QueueFilter(
            statuses=STATUS_CHOICES[self.status.currentIndex()][1],
            priorities=(list(Priority)[self.priority.currentIndex() - 1],) if self.priority.currentIndex() > 0 else (),
            units=chosen(self.unit),
            modules=chosen(self.module),
            tiers=(self.tier.currentIndex(),) if self.tier.currentIndex() > 0 else (),
            mine=self.mine.isChecked(),
            unassigned=self.unassigned.isChecked(),
            breaching_within_hours=BREACHING[self.breaching.currentIndex()][1],
            search=self.search.text(),
        )

    def apply_filters(self) -> None:
        self.count.setText(_("Reading the queue…"))
        self.table.clearSelection()
        self.model.reload(self.current_filter())

    def show_filter(self, flt: QueueFilter) -> None:
        """Set the filter widgets to a saved view's filters, then load it once."""
        widgets = (self.status, self.priority, self.unit, self.module, self.tier, self.breaching, self.mine,
                   self.unassigned, self.search)  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        statuses = [choice for _label, choice in STATUS_CHOICES]
        self.status.setCurrentIndex(statuses.index(flt.statuses) if flt.statuses in statuses else 0)
        self.priority.setCurrentIndex(list(Priority).index(flt.priorities[0]) + 1 if flt.priorities else 0)
        for combo, chosen in ((self.unit, list(flt.units)), (self.module, list(flt.modules))):
            if chosen:
                combo.setCurrentText(chosen[0])
            else:
                combo.setCurrentIndex(0)  # "Any …"
        self.tier.setCurrentIndex(flt.tiers[0] if flt.tiers else 0)
        hours = [h for _label, h in BREACHING]
        self.breaching.setCurrentIndex(
            hours.index(flt.breaching_within_hours) if flt.breaching_within_hours in hours else 0
        )
        self.mine.setChecked(flt.mine)
        self.unassigned.setChecked(flt.unassigned)
        self.search.setText(flt.search)
        for widget in widgets:
            widget.blockSignals(False)
        self.apply_filters()

    def ask_save_view(self) -> None:
        name, ok = QInputDialog.getText(self, _("Save view"), _("Name of this view:"))
        if ok:
            self.save_view(name)

    def save_view(self, name: str) -> None:
        try:
            self.saved.save(self.actor.login, name, self.current_filter())
        except ConsoleError as error:
            show_error(self, error)
            return
        self._fill_saved()
        self.saved_views.setCurrentText(" ".join(name.split()))

    def _use_saved(self, index: int) -> None:
        if index <= 0:
            return
        try:
            flt = self.saved.load(self.actor.login, self.saved_views.itemText(index))
        except ConsoleError as error:
            show_error(self, error)
            return
        self.show_filter(flt)

    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        self.count.setText(_("Reading the queue…"))
        self.model.reload(sort=Sort(COLUMNS[column], order == Qt.SortOrder.DescendingOrder))

    # -- keyboard and selection ------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def step(self, step: int) -> None:
        current = self.table.currentIndex()
        row = max(0, min(self.model.rowCount() - 1, (current.row() if current.isValid() else -1) + step))
        select_row(self.table, row)

    def _open_index(self, index: QModelIndex) -> None:
        item = self.model.row_at(index.row())
        if item is not None:
            self.open_ticket.emit(item.number)

    def selected_ids(self) -> list[uuid.UUID]:
        ids = []
        for index in self.table.selectionModel().selectedRows():
            item = self.model.row_at(index.row())
            if item is not None:
                ids.append(item.id)
        return ids

    def neighbour(self, number: str, step: int) -> str | None:
        """The ticket before or after ``number`` in the queue as it is listed (for next / previous)."""
        row = self.model.row_of(number)
        if row is None:
            return None
        target = row + step
        if not 0 <= target < self.model.rowCount():
            return None
        item = self.model.row_at(target)
        if item is not None:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(target, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        return item.number if item else None

    # -- triage ----------------------------------------------------------------------------------

    def assign_to_me(self) -> None:
        self.run_triage("assignee_id", self.actor.id, None)

    def ask_bulk(self, field: str) -> None:
        ids = self.selected_ids()
        if not ids:
            QMessageBox.information(self, _("Bulk triage"), _("Select one or more tickets first."))
            return
        options: list[tuple[str, Any]]
        if field == "assignee_id":
            options = [(name, person) for person, _login, name in self.choices.people]
        elif field == "priority":
            options = [(words.priority(p), p) for p in Priority]
        elif field == "module_id":
            options = [(code, module) for module, code in self.choices.modules]
        else:
            options = [(_(TIERS[t]), t) for t in (1, 2, 3)]
        caption = {"assignee_id": _("Assign to"), "priority": _("Priority"), "module_id": _("Module"),
                   "tier": _("Tier")}[field]  # fmt: skip
        title = f"{caption} — {words.counted(len(ids), 'ticket')}"
        label, ok = QInputDialog.getItem(self, title, f"{caption}:", [o[0] for o in options], 0, False)
        if not ok:
            return
        reason = None
        if field in ("priority", "tier"):
            reason, ok = QInputDialog.getText(self, _("Reason"), _("Why (kept in each ticket's history):"))
            if not ok:
                return
        self.run_triage(field, dict(options)[label], reason)

    def run_triage(self, field: str, value: Any, reason: str | None) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        self.runner.op(self.desk.triage, ids, field, value, reason, label=_("Triaging…")).success(self._triaged).run()

    def _triaged(self, result: BulkResult) -> None:
        self.triaged.emit(result)
        if result.refused:
            lines = "\n".join(f"{number}: {why}" for number, why in result.refused[:12])
            more = "\n" + _("… and {n} more").format(n=len(result.refused) - 12) if len(result.refused) > 12 else ""
            said = _("{changed} changed, {refused} refused:").format(
                changed=len(result.done), refused=len(result.refused)
            )
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                _("Bulk triage"),
                f"{said}\n{lines}{more}",
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("triage-refusals")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # not exec(): the queue stays live behind it

    def _touched(self, touched: Touched) -> None:
        """Tickets were edited here or arrived from others: read the queue again."""
        if touched.any_ticket:
            self.model.reload()
