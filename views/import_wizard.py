"""File → Import…: bring another tool's tickets in (ServiceNow, Jira Service Management, any CSV with a mapping).

Four pages: the files, their source and an optional mapping file; a preview of how the files are read (the
encoding, the source, which column is which field, the first rows; the time zone of their dates, the defaults
for names the workspace does not know, what to do with a bad row, and the value maps); a dry run; the import.
The reading and the import run off the UI thread (``TaskRunner``); the dry run and the import show their
progress and can be stopped, and either way the core keeps all of an import or none of it.

Only managers import (``Can.IMPORT``): anyone else is told so before a page opens, and the core refuses too.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QWidget,
    QWizard,
    QWizardPage,
)

from console.access import Can
from console.desk import Desk
from console.i18n import N_, _
from console.imports import CHOICES, ImportFailed
from console.imports.write import ImportOptions, ImportReport, OnError
from views import words
from views.errors import show_error
from views.import_preview import PreviewPage
from views.import_run import RunPage
from views.import_values import ERROR_STYLE, mapping_with_values
from views.tasks import Op, TaskRunner

SOURCE_WORDS = {
    "servicenow": N_("ServiceNow (incident list or event log)"),
    "servicenow-events": N_("ServiceNow incident event log"),
    "servicenow-list": N_("ServiceNow incident list"),
    "jira": N_("Jira Service Management"),
    "console": N_("Support Console export"),
    "csv": N_("Any other CSV, described by a mapping file"),
}


def open_import(desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> QDialog:
    """The import wizard, or — for someone who may not import — a message that says so."""
    if not desk.actor.may(Can.IMPORT):
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Import tickets"),
            _("Only support managers import tickets from another tool."),
            QMessageBox.StandardButton.Ok,
            parent,
        )
        box.setObjectName("import-refused")
        box.setInformativeText(
            _("You are signed in as {name}, a {role}. Ask a support manager to import the file.").format(
                name=f"\u2068{desk.actor.display_name}\u2069", role=words.role(desk.actor.role)
            )
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
    wizard = ImportWizard(desk, runner, parent)
    wizard.open()
    return wizard


# ---- the wizard -------------------------------------------------------------------------------------------


class ImportWizard(QWizard):
    """The wizard; it outlives its window while work of its own is under way, then deletes itself."""

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import-wizard")
        self.setWindowTitle(_("Import tickets"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.desk, self.runner = desk, runner
        self.paths: list[str] = []
        self.source: str | None = None
        self.mapping: Path | None = None
        self.dry_report: ImportReport | None = None
        self._pending = 0
        self._closed = False
        self._folder: Path | None = None
        self.files_page = FilesPage(self)
        self.preview_page = PreviewPage(self)
        self.dry_page = RunPage(self, dry=True)
        self.run_page = RunPage(self, dry=False)
        for page in (self.files_page, self.preview_page, self.dry_page, self.run_page):
            self.addPage(page)
        self.resize(1000, 720)
        self.finished.connect(self._finished)

    def import_options(self, *, dry_run: bool) -> ImportOptions:
        """What the pages say, as the core takes it (the changed value maps written as a mapping file)."""
        page = self.preview_page
        found = page.values.found
        try:
            mapping = mapping_with_values(self.mapping, found.base if found else None, page.values.changed(),
                                          self.folder)  # fmt: skip
        except OSError as error:
            raise ImportFailed(_("The value maps could not be written: {error}").format(error=error)) from None
        return ImportOptions(
            source=self.source,
            mapping=mapping,
            time_zone=page.zone.zone(),
            unit=page.unit.currentText() or None,
            module=page.module.currentText() or None,
            create_missing=page.create_missing.isChecked(),
            dry_run=dry_run,
            on_error=OnError.SKIP if page.skip.isChecked() else OnError.STOP,
        )

    def folder(self) -> Path:
        """A private folder for the wizard's own mapping file, removed when the wizard is (however it ends)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="support-console-import-"))
            self.destroyed.connect(partial(shutil.rmtree, self._folder, ignore_errors=True))
        return self._folder

    def work(self, op: Op, success: Callable[[Any], None], failure: Callable[[BaseException], None],
             *, io: bool = False) -> None:  # fmt: skip
        """Run ``op``; its answer reaches this wizard only while it is open (and it is not deleted before)."""
        self._pending += 1

        def answer(callback: Callable[[Any], None], value: Any) -> None:
            self._pending -= 1
            if self._closed:
                self._release()
                return
            callback(value)

        op.success(partial(answer, success)).failure(partial(answer, failure))
        if io:
            op.run_io()
        else:
            op.run()

    def running(self) -> RunPage | None:
        return next((page for page in (self.dry_page, self.run_page) if page.running), None)

    def stop_import(self) -> None:
        """Stop a dry run or an import under way (the window is closing, or Cancel was chosen)."""
        page = self.running()
        if page is not None:
            page.stop()

    def reject(self) -> None:
        """Cancel or Escape: while a run is under way, stop it (the wizard stays to say it stopped)."""
        if self.running() is not None:
            self.stop_import()
            return
        super().reject()

    def report_bug(self, error: BaseException) -> None:
        show_error(self, error, self.desk.workspace.home / "crash-reports")

    def _finished(self, _result: int) -> None:
        self._closed = True
        self._release()

    def _release(self) -> None:
        if self._closed and self._pending == 0:
            self.deleteLater()


# ---- page 1: the files ------------------------------------------------------------------------------------


class PathLine(QLineEdit):
    """A line for a typed path: Enter adds it (and does not press the wizard's Next)."""

    entered = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.entered.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class FilesPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setObjectName("import-files-page")
        self.setTitle(_("Files to import"))
        self.setSubTitle(
            _("Tickets exported from another tool, with their history. Several files are imported together: all of "
              "them or, if one is refused, none.")
        )  # fmt: skip
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        self.files = QListWidget()
        self.files.setObjectName("import-files")
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files.setFixedHeight(200)
        files_label = QLabel(_("&Files:"))
        files_label.setBuddy(self.files)
        grid.addWidget(files_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.files, 0, 1, 3, 1)
        self.add_button = QPushButton(_("&Add files…"))
        self.add_button.setObjectName("add-files")
        self.add_button.clicked.connect(self.ask_files)
        self.remove_button = QPushButton(_("&Remove"))
        self.remove_button.setObjectName("remove-files")
        self.remove_button.clicked.connect(self.remove_selected)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.files, self.remove_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)  # fmt: skip
        grid.addWidget(self.add_button, 0, 2)
        grid.addWidget(self.remove_button, 1, 2)

        self.path = PathLine()
        self.path.setObjectName("import-path")
        self.path.setPlaceholderText(_("/path/to/export.csv, then Enter"))
        self.path.entered.connect(self.add_typed)
        path_label = QLabel(_("Or &type a path:"))
        path_label.setBuddy(self.path)
        self.add_path_button = QPushButton(_("Add the &path"))
        self.add_path_button.clicked.connect(self.add_typed)
        grid.addWidget(path_label, 3, 0)
        grid.addWidget(self.path, 3, 1)
        grid.addWidget(self.add_path_button, 3, 2)
        self.problem = QLabel()
        self.problem.setObjectName("files-problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setVisible(False)
        grid.addWidget(self.problem, 4, 1, 1, 2)

        self.source = QComboBox()
        self.source.setObjectName("import-source")
        self.source.addItem(_("Tell from the file's columns"), None)
        for choice in CHOICES:
            self.source.addItem(_(SOURCE_WORDS[choice]) if choice in SOURCE_WORDS else choice, choice)
        source_label = QLabel(_("&Source:"))
        source_label.setBuddy(self.source)
        grid.addWidget(source_label, 5, 0)
        grid.addWidget(self.source, 5, 1)

        self.mapping = QLineEdit()
        self.mapping.setObjectName("import-mapping")
        self.mapping.setPlaceholderText(_("Optional: a JSON or TOML file"))
        mapping_label = QLabel(_("&Mapping file:"))
        mapping_label.setBuddy(self.mapping)
        browse = QPushButton(_("Br&owse…"))
        browse.clicked.connect(self.ask_mapping)
        grid.addWidget(mapping_label, 6, 0)
        grid.addWidget(self.mapping, 6, 1)
        grid.addWidget(browse, 6, 2)
        hint = QLabel(
            _("A mapping file says which column holds which field, how dates are written and what the values mean "
              "(status, priority, people…). Any other CSV needs one; for ServiceNow and Jira it adjusts the built-in "
              "reading.")
        )  # fmt: skip
        hint.setWordWrap(True)
        hint.setProperty("role", "lead")
        grid.addWidget(hint, 7, 1, 1, 2)
        grid.setRowStretch(8, 1)
        self.files.model().rowsInserted.connect(self.completeChanged)
        self.files.model().rowsRemoved.connect(self.completeChanged)

    def paths(self) -> list[str]:
        return [self.files.item(row).text() for row in range(self.files.count())]

    def add_paths(self, paths: Sequence[str]) -> None:
        known = set(self.paths())
        for path in paths:
            if path and path not in known:
                self.files.addItem(path)
                known.add(path)
        self._say("")

    def add_typed(self) -> None:
        text = self.path.text().strip()
        if not text:
            return
        path = Path(text).expanduser()
        if not path.is_file():
            self._say(_("There is no file {path}.").format(path=path))
            return
        self.add_paths([str(path)])
        self.path.clear()

    def remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))

    def ask_files(self) -> QFileDialog:
        dialog = QFileDialog(self, _("Files to import"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters([_("Exports (*.csv *.txt *.tsv)"), _("All files (*)")])
        dialog.filesSelected.connect(self.add_paths)
        dialog.open()
        return dialog

    def ask_mapping(self) -> QFileDialog:
        dialog = QFileDialog(self, _("Mapping file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([_("Mapping files (*.toml *.json)"), _("All files (*)")])
        dialog.fileSelected.connect(self.mapping.setText)
        dialog.open()
        return dialog

    def _say(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    def isComplete(self) -> bool:
        return self.files.count() > 0

    def validatePage(self) -> bool:
        """Keep the choices; a mapping file that is not there is said here, not after a read."""
        mapping = self.mapping.text().strip()
        if mapping and not Path(mapping).expanduser().is_file():
            self._say(_("There is no mapping file {path}.").format(path=mapping))
            return False
        wizard = self.owner
        wizard.paths = self.paths()
        wizard.source = self.source.currentData()
        wizard.mapping = Path(mapping).expanduser() if mapping else None
        return True
