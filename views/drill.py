"""Drill-down from a chart: the tickets behind a bar, and one ticket's SLA with its evidence.

Both read the cache on the database worker; the dialogs fill in when the answer arrives.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from console.desk import Desk, DrillResult, Evidence
from console.i18n import N_, _, n_
from console.metrics.queries import Drill
from console.sla.words import CLOCK_HEADINGS, TIMELINE_HEADINGS
from console.zone import zoned
from models import Priority, SlaState, TicketStatus
from views import words
from views.errors import show_error
from views.tables import RowsModel, rows_table, select_row, when_text
from views.tasks import TaskRunner

DRILL_COLUMNS = (N_("Ticket"), N_("Priority"), N_("Status"), N_("Unit"), N_("Module"), N_("When"), N_("SLA"),
                 N_("Title"))  # fmt: skip
WHEN = DRILL_COLUMNS.index("When")  # its heading names the person's zone


class DrillDialog(QDialog):
    """The tickets behind one bar; Enter or a double click opens one."""

    open_ticket = Signal(str)
    loaded = Signal(object)

    def __init__(self, desk: Desk, runner: TaskRunner, drill: Drill, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drill-dialog")
        self.setWindowTitle(drill.title)
        self.resize(980, 520)
        layout = QVBoxLayout(self)
        self.caption = QLabel(f"{drill.title} · " + _("reading the cache…"))
        self.caption.setObjectName("drill-caption")
        layout.addWidget(self.caption)
        self.model = RowsModel([zoned(_(c)) if i == WHEN else _(c) for i, c in enumerate(DRILL_COLUMNS)], self)
        self.table = rows_table(self.model, "drill-table")
        self.table.activated.connect(self._open_row)  # Enter, or a double click
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)  # Enter opens the ticket under the cursor; it must not close the list too
        close.setDefault(False)
        layout.addWidget(buttons)
        self.drill = drill
        runner.op(desk.drill, drill, label=_("Listing tickets…")).success(self._show).failure(self._failed).run()

    def _show(self, result: DrillResult) -> None:
        self.model.set_rows(
            [
                [
                    r.number,
                    words.priority(Priority(r.priority)),
                    words.status(TicketStatus(r.status)),
                    r.unit,
                    r.module,
                    when_text(r.when),
                    words.sla_state(SlaState(r.state)),
                    r.title,
                ]
                for r in result.rows
            ]
        )
        if len(result.rows) < result.total:
            shown = n_("{shown} of {n} tickets, latest first", "{shown} of {n} tickets, latest first", result.total)
        else:
            shown = n_("{n} ticket, latest first", "{n} tickets, latest first", result.total)
        listed = shown.format(shown=f"{len(result.rows):,}", n=f"{result.total:,}")
        self.caption.setText(f"{self.drill.title} · {listed} · " + _("Enter opens one"))
        if result.rows:
            select_row(self.table, 0)
            self.table.setFocus()
        self.loaded.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.caption.setText(f"{self.drill.title} · " + _("could not be listed"))
        show_error(self, error)

    def _open_row(self, index: QModelIndex) -> None:
        self.open_ticket.emit(self.model.rows[index.row()][0])


class SlaDialog(QDialog):
    """One ticket's SLA clocks and timeline: every start, pause, resume and stop, as evidence."""

    loaded = Signal(object)

    def __init__(
        self, desk: Desk, runner: TaskRunner, number: str, now: datetime, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sla-dialog")
        self.setWindowTitle(f"{number} · SLA")
        self.resize(900, 480)
        layout = QVBoxLayout(self)
        self.caption = QLabel(f"{number} · " + _("computing its SLA from the history…"))
        layout.addWidget(self.caption)
        tabs = QTabWidget()
        self.clocks = RowsModel(words.headings(CLOCK_HEADINGS, ("Due", "Breached")), self)
        self.timeline = RowsModel(words.headings(TIMELINE_HEADINGS, ("At",)), self)
        tabs.addTab(rows_table(self.clocks, "sla-clocks"), _("Clocks"))
        tabs.addTab(rows_table(self.timeline, "sla-timeline"), _("Timeline"))
        layout.addWidget(tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)  # Enter opens the ticket under the cursor; it must not close the list too
        close.setDefault(False)
        layout.addWidget(buttons)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.reject)
        runner.op(desk.evidence, number, now, label=_("Computing SLA…")).success(self._show).failure(self._failed).run()

    def _show(self, evidence: Evidence) -> None:
        self.clocks.set_rows(evidence.clocks)
        self.timeline.set_rows(evidence.timeline)
        events = n_("{n} clock event", "{n} clock events", len(evidence.timeline)).format(n=len(evidence.timeline))
        export = _("export with: {command}").format(command=f"support-console sla show {evidence.number} --format csv")
        self.caption.setText(f"{evidence.number} · {events} · {export}")
        self.loaded.emit(evidence)

    def _failed(self, error: BaseException) -> None:
        self.caption.setText(_("The SLA could not be computed."))
        show_error(self, error)
