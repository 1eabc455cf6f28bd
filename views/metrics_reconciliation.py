"""The metrics view's Reconciliation page: how often our SLA engine agrees with the source tool's own SLA flag on
the tickets imported here, per priority, with a sample of the disagreements explained; and the same as a CSV.

Read off the UI thread when the page is first shown, and again after tickets are imported or edited (while it is
not shown, only marked stale).
"""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import _
from console.imports.reconcile import PRIORITY_WORDS, Reconciliation, reconciliation_csv
from console.journal.touched import Touched
from views.tables import RowsModel, rows_table
from views.tasks import TaskRunner


def write_reconciliation(found: Reconciliation, path: str) -> Path:
    """The table and the sample as CSV (UTF-8 with a byte order mark, so a spreadsheet reads its Persian right)."""
    target = Path(path)
    if target.suffix.lower() != ".csv":
        target = target.with_suffix(".csv")
    out = io.StringIO(newline="")
    reconciliation_csv(found, out)
    target.write_text(out.getvalue(), encoding="utf-8-sig", newline="")
    return target


class ReconciliationPage(QWidget):
    loaded = Signal(object)  # the Reconciliation shown
    exported = Signal(object)  # the Path written

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("metrics-reconciliation")
        self.desk, self.runner = desk, runner
        self.found: Reconciliation | None = None
        self._stale = True
        self._reading = False
        layout = QVBoxLayout(self)
        lead = QLabel(
            _("How often our SLA engine agrees with the source tool's own SLA flag on the tickets imported here, by "
              "the resolution clock under this workspace's policies and calendars. All imported tickets, whatever "
              "the filters above.")
        )  # fmt: skip
        lead.setWordWrap(True)
        lead.setProperty("role", "lead")
        layout.addWidget(lead)
        self.status = QLabel(_("Reading…"))
        self.status.setObjectName("reconciliation-status")
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        self.export_button = QPushButton(_("&Export CSV…"))
        self.export_button.setObjectName("export-reconciliation")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.ask_where_to_export)
        bar.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(bar)
        self.table = RowsModel(Reconciliation().table()[0], self)
        self.table_view = rows_table(self.table, "reconciliation-table")
        self.table_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table_view)  # as tall as its rows (``_fit_table``): the sample takes the rest
        title = QLabel(_("Where we disagree (a sample of each priority)"))
        title.setProperty("role", "subheading")
        layout.addWidget(title)
        self.sample = RowsModel([_("Ticket"), _("Priority"), _("Source says"), _("We say"), _("Why")], self)
        self.sample_view = rows_table(self.sample, "reconciliation-disagreements")
        self.sample_view.setWordWrap(True)
        header = self.sample_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.sample_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.sample_view, 1)
        self._fit_table()
        runner.edited.connect(self._edited)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _edited(self, touched: Touched) -> None:
        """Tickets imported, edited or synced: read again now if shown, else when next shown."""
        if touched.any_ticket:
            self._stale = True
            if self.isVisible():
                self.refresh()

    def refresh(self) -> None:
        if self._reading:  # one read at a time; an edit during it reads again after
            return
        self._stale = False
        self._reading = True
        self.status.setText(_("Reading…"))
        self.runner.op(self.desk.reconciliation, label=_("Reconciling SLA outcomes…")).success(self._show).failure(
            self._failed
        ).run()

    def _show(self, found: Reconciliation) -> None:
        self._reading = False
        self.found = found
        rows = found.rows()
        compared = rows[-1].flagged
        self.table.set_rows(found.table()[1] if rows[-1].tickets else [])
        self._fit_table()
        yes_no = {True: _("met"), False: _("not met")}
        self.sample.set_rows(
            [
                [item.key, _(PRIORITY_WORDS[item.priority]), yes_no[item.source_met], yes_no[item.we_met], item.words]
                for item in found.disagreements
            ]
        )
        if not rows[-1].tickets:
            self.status.setText(
                _("No imported ticket carries its tool's SLA flag yet. Import an export that has one (ServiceNow's "
                  "made_sla) with File → Import….")
            )  # fmt: skip
        else:
            self.status.setText(
                _("{agree} of {compared} compared tickets agree; {disagree} disagree.").format(
                    agree=f"{rows[-1].agree:,}", compared=f"{compared:,}", disagree=f"{compared - rows[-1].agree:,}"
                )
            )
        self.export_button.setEnabled(bool(rows[-1].tickets))
        if self._stale and self.isVisible():
            self.refresh()
        self.loaded.emit(found)

    def _fit_table(self) -> None:
        """The table as tall as its rows (a priority each and the total), at least two."""
        view = self.table_view
        rows = max(self.table.rowCount(), 2)
        header = view.horizontalHeader().sizeHint().height()
        view.setFixedHeight(header + rows * view.verticalHeader().defaultSectionSize() + 2 * view.frameWidth() + 2)

    def _failed(self, error: BaseException) -> None:
        self._reading = False
        self.status.setText(_("The reconciliation could not be read: {why}").format(why=error))
        if not isinstance(error, ConsoleError):  # a bug: the window's crash report
            self.runner.unhandled_failure.emit(error)

    def ask_where_to_export(self) -> QFileDialog:
        dialog = QFileDialog(self, _("Export the reconciliation"), str(Path.home() / "sla-reconciliation.csv"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([_("CSV file (*.csv)")])
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(self.export)
        dialog.open()
        return dialog

    def export(self, path: str) -> None:
        """Write the CSV off the UI thread (a slow disk does not freeze the window)."""
        if self.found is None:
            return
        self.runner.op(write_reconciliation, self.found, path, label=_("Writing the reconciliation…")).success(
            self._exported
        ).failure(self._export_failed).run_io()

    def _exported(self, path: Path) -> None:
        self.status.setText(_("Saved to {path}.").format(path=path))
        self.exported.emit(path)

    def _export_failed(self, error: BaseException) -> None:
        if isinstance(error, OSError):
            self.status.setText(_("The CSV could not be written: {why}").format(why=error.strerror or error))
            return
        self.runner.unhandled_failure.emit(error)
