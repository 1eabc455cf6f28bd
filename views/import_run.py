"""The import wizard's last two pages: the dry run and the import itself, each on the database worker with a
progress bar and a Stop button, then the report in words and the SLA reconciliation table.

A run's Stop sets a flag the import reads before each batch (``cancelled``); the core then rolls everything back,
so a stopped run, a refused one and a dry run all leave the cache as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from console.access import Refused
from console.errors import ConsoleError
from console.i18n import _, n_
from console.imports.reconcile import PRIORITY_WORDS, Reconciliation
from console.imports.write import Cancelled, ImportReport, RefusedRows
from views.import_values import ERROR_STYLE
from views.tables import RowsModel, rows_table

if TYPE_CHECKING:
    from views.import_wizard import ImportWizard


@dataclass
class Run:
    """One run of the import on the worker: the flag its ``cancelled`` reads there, and how it ended."""

    dry: bool
    stop: threading.Event = field(default_factory=threading.Event)
    report: ImportReport | None = None
    error: BaseException | None = None
    finished: bool = False

    @property
    def stopped(self) -> bool:
        return isinstance(self.error, Cancelled)


def disagreement_lines(found: Reconciliation) -> list[str]:
    """The sample of disagreements, a line each."""
    yes_no = {True: _("met"), False: _("not met")}
    return [
        _("{key} ({priority}): the source says {source}, we say {ours}. {why}").format(
            key=item.key, priority=_(PRIORITY_WORDS[item.priority]), source=yes_no[item.source_met],
            ours=yes_no[item.we_met], why=item.words)
        for item in found.disagreements
    ]  # fmt: skip


class RunPage(QWizardPage):
    """The dry run (``dry``) or the import: started when the page is shown, stopped by Stop, Cancel or Escape."""

    progressed = Signal(int, int)  # rows, tickets: emitted on the worker, shown here
    done = Signal(object)  # the Run, once it ended (imported, refused, stopped or failed)

    def __init__(self, wizard: ImportWizard, *, dry: bool) -> None:
        super().__init__()
        self.owner = wizard
        self.dry = dry
        self.run: Run | None = None
        self.total = 0  # rows the import reads (the dry run's count); 0: not known
        self.read = (0, 0)  # rows and tickets read so far
        self.setObjectName("import-dry-run" if dry else "import-run")
        if dry:
            self.setTitle(_("Dry run"))
            self.setSubTitle(_("What the import would do, read through without writing anything. Nothing is kept."))
            self.setCommitPage(True)
            self.setButtonText(QWizard.WizardButton.CommitButton, _("&Import"))
        else:
            self.setTitle(_("Import"))
            self.setSubTitle(_("All of it is imported, or — stopped or refused — none of it."))
        layout = QVBoxLayout(self)
        line = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("import-progress")
        self.progress.setTextVisible(False)
        line.addWidget(self.progress, 1)
        self.stop_button = QPushButton(_("&Stop"))
        self.stop_button.setObjectName("stop-import")
        self.stop_button.setToolTip(_("Stop and keep nothing of this import (Esc)"))
        self.stop_button.clicked.connect(self.stop)
        line.addWidget(self.stop_button)
        self.again_button = QPushButton(_("Run &again"))
        self.again_button.setObjectName("run-again")
        self.again_button.clicked.connect(self.start)
        self.again_button.setVisible(False)
        line.addWidget(self.again_button)
        layout.addLayout(line)
        self.status = QLabel()
        self.status.setObjectName("import-status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.report = QPlainTextEdit()
        self.report.setObjectName("import-report")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText(_("The report appears here when the run ends."))
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        split.addWidget(self.report)
        self.below = QWidget()  # shown with a report: the reconciliation
        below_layout = QVBoxLayout(self.below)
        below_layout.setContentsMargins(0, 6, 0, 0)
        title = QLabel(_("SLA reconciliation: our SLA engine against the source's own flag, per priority"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        title.setWordWrap(True)
        below_layout.addWidget(title)
        self.table = RowsModel(Reconciliation().table()[0], self)
        self.table_view = rows_table(self.table, "import-reconciliation")
        self.table_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table_view.verticalHeader().setDefaultSectionSize(24)
        below_layout.addWidget(self.table_view, 1)
        split.addWidget(self.below)
        split.setSizes([220, 180])
        layout.addWidget(split, 1)
        self.progressed.connect(self._progressed)

    # ---- the run -------------------------------------------------------------------------------------------

    def initializePage(self) -> None:
        self.start()

    def cleanupPage(self) -> None:
        """Back to the options: a dry run under way is stopped (its answer is no longer wanted)."""
        self.stop()
        self.run = None

    def start(self) -> None:
        wizard = self.owner
        self.run = run = Run(self.dry)
        self.report.clear()
        self.table.set_rows([])
        self.below.setVisible(False)
        self.read = (0, 0)
        self._say("")
        self.stop_button.setEnabled(True)
        self.again_button.setVisible(False)
        self.total = wizard.dry_report.rows if (not self.dry and wizard.dry_report is not None) else 0
        self.progress.setRange(0, self.total or 0)  # no total yet (the dry run): a busy bar
        self.progress.setValue(0)
        self.status.setText(_("Reading the files…") if self.dry else _("Importing…"))
        self.status.setStyleSheet("")
        try:
            options = wizard.import_options(dry_run=self.dry)
        except ConsoleError as error:  # the value maps could not be written beside the person's mapping
            self._failed(run, error)
            return
        emit: Callable[[int, int], None] = self.progressed.emit  # crosses to the UI thread (queued)
        work = partial(wizard.desk.import_files, list(wizard.paths), options, progress=emit, cancelled=run.stop.is_set)
        label = _("Dry run of the import…") if self.dry else _("Importing tickets…")
        wizard.work(wizard.runner.op(work, label=label), partial(self._succeeded, run), partial(self._failed, run))
        self.completeChanged.emit()

    def stop(self) -> None:
        """Ask the run under way to stop: the import checks before each batch, then undoes everything."""
        if self.run is None or self.run.finished or self.run.stop.is_set():
            return
        self.run.stop.set()
        self.stop_button.setEnabled(False)
        self.status.setText(_("Stopping… nothing of this import will be kept."))

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.finished

    def _progressed(self, rows: int, tickets: int) -> None:
        if not self.running or (self.run is not None and self.run.stop.is_set()):
            return
        self.read = (rows, tickets)
        if self.total:
            self.progress.setValue(min(rows, self.total))
            said = _("{rows} of {total} rows read, {tickets} so far.").format(
                rows=f"{rows:,}", total=f"{self.total:,}",
                tickets=n_("{n} ticket", "{n} tickets", tickets).format(n=f"{tickets:,}"))  # fmt: skip
        else:
            said = _("{rows} rows read, {tickets} so far.").format(
                rows=f"{rows:,}", tickets=n_("{n} ticket", "{n} tickets", tickets).format(n=f"{tickets:,}")
            )
        self.status.setText(said)

    def _succeeded(self, run: Run, report: ImportReport) -> None:
        run.report, run.finished = report, True
        if run is not self.run:
            return
        if self.dry:
            self.owner.dry_report = report
        self._finish_bar(done=True)
        self.status.setText(
            _("Nothing was written: this is what the import would do. Choose Import to do it.")
            if self.dry
            else _("Done. The tickets are in the queue; their SLA reconciliation is also on the Metrics page.")
        )
        lines = report.lines()
        disagreements = disagreement_lines(report.reconciliation)
        if disagreements:
            lines += ["", _("Where we disagree with the source (a sample):"), *disagreements]
        self.report.setPlainText("\n".join(lines))
        self.table.set_rows(report.reconciliation.table()[1])
        self.below.setVisible(True)
        self._ended(run)

    def _failed(self, run: Run, error: BaseException) -> None:
        run.error, run.finished = error, True
        if run is not self.run:
            return
        self._finish_bar(done=False)
        if isinstance(error, Cancelled):
            self.status.setText(_("Stopped: nothing of this import was kept."))
            rows, tickets = self.read
            self.report.setPlainText(
                _("Stopped after {rows} and {tickets} had been read. None of it was kept: the cache is as it was "
                  "before.").format(rows=n_("{n} row", "{n} rows", rows).format(n=f"{rows:,}"),
                                    tickets=n_("{n} ticket", "{n} tickets", tickets).format(n=f"{tickets:,}"))
            )  # fmt: skip
            self._ended(run)
            return
        if isinstance(error, RefusedRows):
            self._say(str(error) + "\n" + _("Go back and choose “Skip the bad rows” to import the rest, or fix the "
                                            "rows and try again."))  # fmt: skip
            problems = error.problems
            self.report.setPlainText("\n".join([problems.summary(), *(f"  {p}" for p in problems.problems[:500])]))
        elif isinstance(error, Refused):
            self._say(_("Refused: {reason}").format(reason=error))
        elif isinstance(error, ConsoleError):  # ImportFailed and the rest: a message that says what to do
            self._say(str(error))
        else:  # a bug: the crash report, with its traceback, is the window's to show
            self._say(_("The import failed because of a bug; nothing of it was kept."))
            self.owner.report_bug(error)
        self._ended(run)

    def _say(self, problem: str) -> None:
        """A refusal or a failure, in words, where the status goes (marked as one)."""
        if problem:
            self.status.setText(problem)
        self.status.setStyleSheet(ERROR_STYLE if problem else "")

    def _finish_bar(self, *, done: bool) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if done else 0)
        self.stop_button.setEnabled(False)

    def _ended(self, run: Run) -> None:
        self.again_button.setVisible(self.dry and run.report is None)  # a dry run stopped or refused
        self.completeChanged.emit()
        self.done.emit(run)

    def isComplete(self) -> bool:
        """The dry run: once it went through (then Import). The import: once it ended, however (then Finish)."""
        if self.run is None or not self.run.finished:
            return False
        return self.run.report is not None if self.dry else True
