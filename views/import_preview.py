"""The import wizard's second page: how the files are read (the encoding, the source, which column is which field,
on the first rows), and what the files cannot tell: the time zone of their dates, the unit and module for names
the workspace does not know, whether to create them, what to do with a bad row; and the value maps.

The files are read off the UI thread (``Desk.import_preview``), each on its own: one that cannot be read says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from console.desk import Desk, MetricChoices
from console.errors import ConsoleError
from console.i18n import N_, _, n_
from console.imports import Field, ImportFailed, Preview, Source
from console.imports.write import ImportOptions
from console.journal.touched import reads
from views.import_values import ERROR_STYLE, ValueMaps, ValueWords, read_value_words
from views.tables import Index, RowsModel

if TYPE_CHECKING:
    from views.import_wizard import ImportWizard

READ_AS = {
    Source.SERVICENOW_EVENTS: N_("a ServiceNow incident event log (one row per update)"),
    Source.SERVICENOW_LIST: N_("a ServiceNow incident list (one row per incident)"),
    Source.JIRA: N_("a Jira Service Management export"),
    Source.CONSOLE: N_("a Support Console export"),
    Source.CSV: N_("a CSV described by the mapping file"),
}
FIELD_WORDS = {
    Field.KEY: N_("ticket number"),
    Field.TITLE: N_("title"),
    Field.DESCRIPTION: N_("description"),
    Field.STATUS: N_("status"),
    Field.PRIORITY: N_("priority"),
    Field.IMPACT: N_("impact"),
    Field.URGENCY: N_("urgency"),
    Field.MODULE: N_("ERP module"),
    Field.UNIT: N_("business unit"),
    Field.CATEGORY: N_("category"),
    Field.REPORTER: N_("reporter"),
    Field.ASSIGNEE: N_("assignee"),
    Field.GROUP: N_("support group"),
    Field.CREATED: N_("opened"),
    Field.RESOLVED: N_("resolved"),
    Field.CLOSED: N_("closed"),
    Field.UPDATED: N_("updated"),
    Field.UPDATE_SEQ: N_("update number"),
    Field.UPDATED_BY: N_("updated by"),
    Field.REOPEN_COUNT: N_("times reopened"),
    Field.SLA_MET: N_("SLA met (the source's flag)"),
    Field.COMMENT: N_("comment"),
    Field.WORK_NOTE: N_("work note"),
    Field.SOURCE_STATUS: N_("the source's status"),
    Field.SOURCE_PRIORITY: N_("the source's priority"),
    Field.SOURCE_SYSTEM: N_("source system"),
}
SEPARATORS = {",": N_("commas"), ";": N_("semicolons"), "\t": N_("tabs"), "|": N_("vertical bars")}
CELL_SHOWN = 120
"""Characters of a cell the preview shows (a 1 MB cell is cut, with "…")."""
COLUMN_MOST = 260
"""The widest a preview column opens (wider text is cut; the column can be dragged wider)."""

# ---- work done off the UI thread --------------------------------------------------------------------------


@dataclass(frozen=True)
class FilePreview:
    path: str
    preview: Preview | None
    problem: str | None
    """Why the file cannot be imported as it is, in words; None when it can."""


def preview_files(desk: Desk, paths: Sequence[str], options: ImportOptions) -> list[FilePreview]:
    """How each file would be read, or why it cannot be."""
    found = []
    for path in paths:
        try:
            found.append(FilePreview(path, desk.import_preview(path, options), None))
        except ImportFailed as why:
            found.append(FilePreview(path, None, str(why)))
    return found


# ---- page 2: the preview and the options ------------------------------------------------------------------


class PreviewModel(RowsModel):
    """A file's first rows under its headings, each heading with the field it is read as (unread ones greyed);
    rows numbered as a spreadsheet shows them, as the problems name them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([], parent)
        self.fields: list[Field | None] = []

    def show(self, preview: Preview | None) -> None:
        self.beginResetModel()
        columns = preview.columns if preview else []
        self.columns = [heading for heading, _field in columns]
        self.fields = [target for _heading, target in columns]
        width = len(self.columns)
        self.rows = [
            [_cut(cell) for cell in (list(row) + [""] * width)[:width]] for row in (preview.rows if preview else [])
        ]
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and self.fields[index.column()] is None:
            return QBrush(QColor("#888"))
        return super().data(index, role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return str(section + 2) if role == Qt.ItemDataRole.DisplayRole else None  # the header is row 1
        target = self.fields[section] if section < len(self.fields) else None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self.columns[section]}\n" + (f"→ {field_words(target)}" if target else _("not read"))
        if role == Qt.ItemDataRole.ForegroundRole and target is None:
            return QBrush(QColor("#888"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if target is None:
                return _("{heading}: not read").format(heading=self.columns[section])
            return _("{heading} is read as the {field}").format(heading=self.columns[section],
                                                               field=field_words(target))  # fmt: skip
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def field_words(target: Field) -> str:
    return _(FIELD_WORDS[target]) if target in FIELD_WORDS else target.value.replace("_", " ")


def _cut(cell: str) -> str:
    flat = " ".join(cell.split())
    return flat if len(flat) <= CELL_SHOWN else flat[: CELL_SHOWN - 1] + "…"


class ZoneBox(QComboBox):
    """A time zone by its name, found by any part of it ("dubai" finds Asia/Dubai)."""

    def __init__(self) -> None:
        super().__init__()
        self.names = sorted(n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
        self.names.append("UTC")
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItem("")
        self.addItems(self.names)
        self.setMaxVisibleItems(16)
        finder = QCompleter(self.names, self)
        finder.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        finder.setFilterMode(Qt.MatchFlag.MatchContains)
        finder.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(finder)
        line = self.lineEdit()
        assert line is not None
        line.setPlaceholderText(_("Type part of its name, such as Dubai"))
        line.setClearButtonEnabled(True)

    def zone(self) -> str | None:
        """The zone chosen, or None (nothing, or a name that is no zone)."""
        text = self.currentText().strip()
        return text if text in self.names else None


class PreviewPage(QWizardPage):
    previewed = Signal()  # the files were read (or said why they cannot be)
    words_read = Signal()  # the value maps are shown

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setObjectName("import-preview-page")
        self.setTitle(_("How the files are read"))
        self.setSubTitle(_("Check the columns on the first rows, and say what the files cannot tell."))
        self.previews: list[FilePreview] = []
        self._generation = 0
        self._choices: MetricChoices | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.file_label = QLabel(_("F&ile:"))
        self.file = QComboBox()
        self.file.setObjectName("preview-file")
        self.file.currentIndexChanged.connect(self._show_file)
        self.file_label.setBuddy(self.file)
        top.addWidget(self.file_label)
        top.addWidget(self.file, 1)
        layout.addLayout(top)
        self.summary = QLabel()
        self.summary.setObjectName("preview-summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)

        self.tabs = QTabWidget()
        self.table = PreviewModel(self)
        self.table_view = QTableView()
        self.table_view.setObjectName("preview-table")
        self.table_view.setModel(self.table)
        self.table_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table_view.setWordWrap(False)
        self.table_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table_view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.table_view.verticalHeader().setDefaultSectionSize(22)
        self.problem = QLabel()  # in place of the table: why the file cannot be read
        self.problem.setObjectName("preview-problem")
        self.problem.setWordWrap(True)
        self.problem.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setContentsMargins(12, 12, 12, 12)
        self.columns = QStackedWidget()
        self.columns.addWidget(self.table_view)
        self.columns.addWidget(self.problem)
        self.tabs.addTab(self.columns, _("&Columns"))
        self.values = ValueMaps()
        self.tabs.addTab(self.values, _("&Values"))
        layout.addWidget(self.tabs, 1)

        self.options = QWidget()  # what the files cannot tell: usable once they can be read
        form = QFormLayout(self.options)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.zone = ZoneBox()
        self.zone.setObjectName("import-zone")
        self.zone.currentTextChanged.connect(self._zone_changed)
        self.zone_note = QLabel()
        self.zone_note.setObjectName("zone-note")
        self.zone_note.setWordWrap(True)
        zone_line = QHBoxLayout()
        zone_line.addWidget(self.zone, 1)
        zone_line.addWidget(self.zone_note, 2)
        zone_label = QLabel(_("Time &zone:"))
        zone_label.setBuddy(self.zone)
        form.addRow(zone_label, zone_line)
        self.unit = QComboBox()
        self.unit.setObjectName("import-unit")
        self.module = QComboBox()
        self.module.setObjectName("import-module")
        for caption, combo, note in (
            (_("Business &unit:"), self.unit, _("for tickets whose unit this workspace does not know")),
            (_("ERP &module:"), self.module, _("for tickets whose module this workspace does not know")),
        ):
            label = QLabel(caption)
            label.setBuddy(combo)
            line = QHBoxLayout()
            line.addWidget(combo, 1)
            line.addWidget(QLabel(note), 2)
            form.addRow(label, line)
        self.create_missing = QCheckBox(_("C&reate the people, groups, units and modules this workspace lacks"))
        self.create_missing.setObjectName("create-missing")
        self.create_missing.setToolTip(_("Otherwise they are mapped to the unit and module above, and to you."))
        form.addRow("", self.create_missing)
        self.stop = QRadioButton(_("S&top: import nothing while a row is bad"))
        self.stop.setObjectName("on-error-stop")
        self.skip = QRadioButton(_("S&kip the bad rows and import the rest"))
        self.skip.setObjectName("on-error-skip")
        self.stop.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.stop)
        group.addButton(self.skip)
        on_error = QHBoxLayout()
        on_error.addWidget(self.stop)
        on_error.addWidget(self.skip)
        on_error.addStretch(1)
        form.addRow(_("A bad row:"), on_error)
        layout.addWidget(self.options)

    def initializePage(self) -> None:
        """Read the files again (the files, source or mapping may have changed)."""
        wizard = self.owner
        self._generation += 1
        generation = self._generation
        self.previews = []
        self.file.blockSignals(True)
        self.file.clear()
        self.file.addItems([Path(p).name for p in wizard.paths])
        self.file.blockSignals(False)
        self.file.setVisible(len(wizard.paths) > 1)
        self.file_label.setVisible(len(wizard.paths) > 1)
        self.table.show(None)
        self.columns.setCurrentWidget(self.table_view)
        self.options.setEnabled(False)
        self.values.clear(_("Reading the words of the file…"))
        self._set_summary(_("Reading the files…"))
        self.zone_note.setText("")
        self.needs_zone = False
        options = ImportOptions(source=wizard.source, mapping=wizard.mapping)
        work = reads(partial(preview_files, wizard.desk, list(wizard.paths), options))
        wizard.work(wizard.runner.op(work, label=_("Reading the files to import…")),
                    partial(self._previewed, generation), wizard.report_bug, io=True)  # fmt: skip
        if self._choices is None:
            wizard.work(wizard.runner.op(wizard.desk.metric_choices), self._fill_choices, wizard.report_bug)
        self.completeChanged.emit()

    def _fill_choices(self, choices: MetricChoices) -> None:
        self._choices = choices
        self.unit.addItems(choices.units)
        self.module.addItems(choices.modules)

    def _previewed(self, generation: int, previews: list[FilePreview]) -> None:
        if generation != self._generation:
            return
        self.previews = previews
        self._show_file(0)
        broken = [p for p in previews if p.problem is not None]
        if broken:
            self.values.clear(_("The value maps are read once every file can be."))
        else:
            self._start_words(generation)
        self.needs_zone = any(p.preview is not None and p.preview.needs_time_zone for p in previews)
        self.options.setEnabled(not broken)
        self._zone_changed()
        if self.needs_zone and not broken and self.zone.zone() is None:
            self.zone.setFocus()
        self.previewed.emit()

    def _start_words(self, generation: int) -> None:
        wizard = self.owner

        def shown(found: ValueWords) -> None:
            if generation == self._generation:
                self.values.show_words(found, editable=found.base is not None or wizard.mapping is not None)
                self.words_read.emit()

        def failed(error: BaseException) -> None:
            if generation != self._generation:
                return
            if not isinstance(error, ConsoleError):
                wizard.report_bug(error)
            self.values.clear(_("The words of the file could not be read: {why}").format(why=error))

        work = reads(partial(read_value_words, list(wizard.paths), wizard.source, wizard.mapping))
        wizard.work(wizard.runner.op(work, label=_("Reading the values of the files…")), shown, failed, io=True)

    def _show_file(self, index: int) -> None:
        if not 0 <= index < len(self.previews):
            return
        found = self.previews[index]
        self.table.show(found.preview)
        if found.preview is None:
            self._set_summary(_("{name} cannot be imported as it is.").format(name=Path(found.path).name), error=True)
            self.problem.setText(f"{found.problem or ''}\n\n" + _("Go back to choose its source or a mapping file."))
            self.columns.setCurrentWidget(self.problem)
            return
        self.columns.setCurrentWidget(self.table_view)
        preview = found.preview
        read = sum(1 for _heading, target in preview.columns if target is not None)
        said = _("{encoding} ({how}), columns separated by {separator}; read as {source}: {read} of {columns}.").format(
            encoding=preview.encoding.name.upper(),
            how=preview.encoding.how,
            separator=_(SEPARATORS[preview.delimiter]) if preview.delimiter in SEPARATORS else repr(preview.delimiter),
            source=_(READ_AS[preview.source]),
            read=read,
            columns=n_("{n} column", "{n} columns", len(preview.columns)).format(n=len(preview.columns)),
        )
        others = [p for p in self.previews if p.problem is not None]
        if others:
            said += "\n" + n_("{n} other file cannot be imported as it is: choose it above to see why.",
                              "{n} other files cannot be imported as they are: choose them above to see why.",
                              len(others)).format(n=len(others))  # fmt: skip
        self._set_summary(said, error=bool(others))
        self.table_view.resizeColumnsToContents()
        header = self.table_view.horizontalHeader()
        for column in range(self.table.columnCount()):
            header.resizeSection(column, min(header.sectionSize(column), COLUMN_MOST))

    def _set_summary(self, text: str, *, error: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(ERROR_STYLE if error else "")

    def _zone_problem(self) -> str | None:
        """Why the zone cannot be taken as it is, or None."""
        text = self.zone.currentText().strip()
        if text and self.zone.zone() is None:
            return _("{name} is not a time zone: choose one from the list.").format(name=text)
        if self.needs_zone and not text:
            return _("Required: the dates in the file carry no time zone. Choose the one they were written in.")
        return None

    def _zone_changed(self) -> None:
        problem = self._zone_problem()
        if problem:
            self.zone_note.setText(problem)
        elif self.needs_zone:
            self.zone_note.setText(_("The dates in the file are read in this zone."))
        elif self.previews and all(p.problem is None for p in self.previews):
            self.zone_note.setText(_("Not needed: the dates carry their zone, or the mapping names one."))
        else:
            self.zone_note.setText("")
        self.zone_note.setStyleSheet(ERROR_STYLE if problem else "")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if not self.previews or any(p.problem is not None for p in self.previews):
            return False
        return self._zone_problem() is None

    needs_zone = False
