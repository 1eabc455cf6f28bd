"""The change screen's dialogs: decide, assess the risk, edit a field, request a change, the CAB
agenda and being away; each collects what the view then applies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.changes.lists import ChangeChoices, ChangeDetail, ChangeRow
from console.changes.rules import DEFAULT_RULES, RiskAnswersError, assess
from console.changes.stages import EDITABLE
from console.i18n import N_, _
from console.zone import local_zone, zone_label, zoned
from models import ApprovalDecision, ChangeType
from views import words
from views.errors import show_error
from views.tables import RowsModel, rows_table

if TYPE_CHECKING:
    from views.changes.view import ChangeView

# A change's texts, by field, each with its name (marked here, shown in the person's language).
TEXT_FIELDS = {
    "description": N_("Description"),
    "reason": N_("Reason"),
    "implementation_plan": N_("Implementation plan"),
    "test_plan": N_("Test plan"),
    "test_evidence": N_("Test evidence"),
    "backout_plan": N_("Backout plan"),
    "review_notes": N_("Review notes"),
}
FIELD_NAMES = {"title": N_("Title"), **TEXT_FIELDS, "window": N_("Window")}


class DecisionDialog(QDialog):
    """Approve or reject with a comment (required); conflicts are shown again before approving."""

    def __init__(self, detail: ChangeDetail, decision: ApprovalDecision, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decision-dialog")
        approving = decision is ApprovalDecision.APPROVED
        verb = _("Approve") if approving else _("Reject")
        title = _("Approve {number}") if approving else _("Reject {number}")
        self.setWindowTitle(title.format(number=detail.row.number))
        layout = QVBoxLayout(self)
        text = f"{title.format(number=detail.row.number)} · {detail.row.title}"
        if approving and detail.row.conflicts:
            conflicts = "\n".join(f"• {c.explanation}" for c in detail.row.conflicts)
            text += "\n\n" + _("Its window has conflicts:") + "\n" + conflicts
        if decision is ApprovalDecision.REJECTED:
            text += "\n\n" + _("A rejection stops the change.")
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("decision-comment")
        self.comment.setPlaceholderText(_("Your comment (required): why you decide so"))
        layout.addWidget(self.comment)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(verb)
        self.ok.setEnabled(False)
        self.comment.textChanged.connect(lambda: self.ok.setEnabled(bool(self.comment.toPlainText().strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(520, 300)


class RiskDialog(QDialog):
    """The questionnaire, with the risk and its reasons worked out as the answers change."""

    def __init__(self, answers: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("risk-dialog")
        self.setWindowTitle(_("Risk assessment"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        for question in DEFAULT_RULES.questions:
            box = QComboBox()
            box.addItem(_("— choose —"), "")
            for key, option in question.options.items():
                box.addItem(option.label, key)
            chosen = box.findData(str(answers.get(question.key, "")))
            box.setCurrentIndex(max(chosen, 0))
            box.currentIndexChanged.connect(self._update)
            form.addRow(question.text, box)
            self.boxes[question.key] = box
        layout.addLayout(form)
        self.outcome = QLabel()
        self.outcome.setObjectName("risk-result")
        self.outcome.setWordWrap(True)
        layout.addWidget(self.outcome)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    def answers(self) -> dict[str, str]:
        return {key: box.currentData() for key, box in self.boxes.items() if box.currentData()}

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            result = assess(self.answers())
        except RiskAnswersError as missing:
            self.outcome.setText(str(missing))
            ok.setEnabled(False)
            return
        risk = _("Risk: {level}").format(level=words.risk(result.level.value))
        self.outcome.setText(risk + "\n" + "\n".join(f"• {r}" for r in result.reasons))
        ok.setEnabled(True)


def qt_zone(zone: tzinfo) -> QTimeZone:
    """Qt's zone for the person's: the same IANA zone (its daylight-saving rules), else the offset it has now."""
    key = getattr(zone, "key", None)
    if key:
        found = QTimeZone(str(key).encode())
        if found.isValid():
            return found
    offset = datetime.now(zone).utcoffset()
    return QTimeZone(int(offset.total_seconds())) if offset is not None else QTimeZone.utc()


def moment_edit(value: datetime | None) -> QDateTimeEdit:
    """An editor of a moment, read and typed in the person's zone (named in it); ``moment_from`` gives it in UTC.
    Without ``value``: 18:00 a week from now, on the person's clock."""
    zone = local_zone()
    edit = QDateTimeEdit()
    edit.setTimeZone(qt_zone(zone))
    edit.setDisplayFormat(f"dd MMM yyyy HH:mm '{zone_label(zone)}'")
    edit.setCalendarPopup(True)
    moment = value or (datetime.now(zone) + timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)
    edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), qt_zone(zone)))
    return edit


def moment_from(edit: QDateTimeEdit) -> datetime:
    """The moment an editor holds, aware, in UTC: what the change service takes."""
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), UTC)


class EditDialog(QDialog):
    """Edit one field the change's stage still allows: a text, or the planned window."""

    def __init__(self, detail: ChangeDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("edit-change-dialog")
        self.setWindowTitle(_("Edit {number}").format(number=detail.row.number))
        self.detail = detail
        layout = QVBoxLayout(self)
        self.field = QComboBox()
        self.field.setObjectName("edit-field")
        for name, label in FIELD_NAMES.items():
            if detail.row.stage in EDITABLE[name]:
                self.field.addItem(_(label), name)
        layout.addWidget(self.field)
        self.text = QPlainTextEdit()
        self.text.setObjectName("edit-text")
        layout.addWidget(self.text)
        window = QHBoxLayout()
        self.start = moment_edit(detail.change.planned_start)
        self.end = moment_edit(detail.change.planned_end or (detail.change.planned_start or None))
        window.addWidget(QLabel(_("From")))
        window.addWidget(self.start)
        window.addWidget(QLabel(_("to")))
        window.addWidget(self.end)
        self.window_row = QWidget()
        self.window_row.setLayout(window)
        layout.addWidget(self.window_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.field.currentIndexChanged.connect(self._show_field)
        self._show_field()
        self.resize(560, 360)

    def _show_field(self) -> None:
        name = self.field.currentData()
        is_window = name == "window"
        self.window_row.setVisible(is_window)
        self.text.setVisible(not is_window)
        if not is_window and name:
            self.text.setPlainText(getattr(self.detail.change, name) or "")

    def value(self) -> tuple[str, Any]:
        name = self.field.currentData()
        if name == "window":
            return name, (moment_from(self.start), moment_from(self.end))
        return name, self.text.toPlainText()


class NewChangeDialog(QDialog):
    """Request a change: what, why, where (module and unit), and when; plans can follow in Edit."""

    def __init__(self, choices: ChangeChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new-change-dialog")
        self.setWindowTitle(_("New change request"))
        form = QFormLayout(self)
        self.title = QLineEdit()
        self.kind = QComboBox()
        for kind in ChangeType:
            self.kind.addItem(words.capital(words.change_type(kind)), kind)
        self.kind.setCurrentIndex(list(ChangeType).index(ChangeType.NORMAL))
        self.template = QComboBox()
        self.template.setObjectName("new-change-template")
        for template_id, name in choices.templates:
            self.template.addItem(name, template_id)
        self.module = QComboBox()
        for module_id, name in choices.modules:
            self.module.addItem(name, module_id)
        self.unit = QComboBox()
        for unit_id, name in choices.units:
            self.unit.addItem(name, unit_id)
        self.description = QPlainTextEdit()
        self.reason = QPlainTextEdit()
        self.start = moment_edit(None)
        self.hours = QSpinBox()
        self.hours.setRange(1, 72)
        self.hours.setValue(3)
        self.hours.setSuffix(_(" h"))
        form.addRow(_("Title"), self.title)
        form.addRow(_("Type"), self.kind)
        form.addRow(_("Template"), self.template)
        form.addRow(_("ERP module"), self.module)
        form.addRow(_("Business unit"), self.unit)
        form.addRow(_("Description"), self.description)
        form.addRow(_("Reason"), self.reason)
        form.addRow(_("Window starts"), self.start)
        form.addRow(_("Window lasts"), self.hours)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Request"))
        ok.setEnabled(False)
        self.title.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.resize(560, 480)

    def _kind_changed(self) -> None:
        standard = self.kind.currentData() is ChangeType.STANDARD
        self.template.setEnabled(standard)
        self.template.setToolTip("" if standard else _("Only a standard change comes from a template."))

    def values(self) -> dict[str, Any]:
        start = moment_from(self.start)
        standard = self.kind.currentData() is ChangeType.STANDARD
        return {
            "template_id": self.template.currentData() if standard else None,
            "title": self.title.text(),
            "change_type": self.kind.currentData(),
            "modules": frozenset({self.module.currentData()}),
            "units": frozenset({self.unit.currentData()}),
            "description": self.description.toPlainText(),
            "reason": self.reason.toPlainText(),
            "planned_start": start,
            "planned_end": start + timedelta(hours=self.hours.value()),
        }


class AgendaDialog(QDialog):
    """The changes waiting for the board in the next N days, and where to write the PDF."""

    def __init__(self, view: ChangeView) -> None:
        super().__init__(view)
        self.setObjectName("agenda-dialog")
        self.setWindowTitle(_("CAB agenda"))
        self.view = view
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Changes awaiting the board with a window in the next")))
        self.days = QSpinBox()
        self.days.setRange(1, 366)
        self.days.setValue(14)
        self.days.setSuffix(_(" days"))
        row.addWidget(self.days)
        row.addStretch(1)
        layout.addLayout(row)
        self.rows = RowsModel(
            [_("Change"), zoned(_("Window")), _("Risk"), _("Approvals"), _("Conflicts"), _("Title")], self
        )
        layout.addWidget(rows_table(self.rows, "agenda-table"), 1)
        self.summary = QLabel(_("Reading…"))
        self.summary.setObjectName("agenda-summary")
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export = buttons.addButton(_("Export PDF…"), QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export.clicked.connect(self._ask_path)
        layout.addWidget(buttons)
        self.days.valueChanged.connect(self.refresh)
        self.resize(900, 460)
        self.refresh()

    def refresh(self) -> None:
        days = self.days.value()
        view = self.view
        view.runner.op(view.desk.agenda, days, label=_("Reading the CAB agenda…")).success(self._show).failure(
            self._failed
        ).run()

    def _failed(self, error: BaseException) -> None:
        show_error(self, error)

    def _show(self, rows: list[ChangeRow]) -> None:
        self.summary.setText(
            _("Awaiting the board: {changes}; conflicts are shown for each.").format(
                changes=words.counted(len(rows), "change")
            )
            if rows
            else _("No change awaits the board with a window in that period.")
        )
        self.rows.set_rows(
            [
                [r.number, r.window_cell, words.risk(r.risk) if r.risk else "", words.approvals(r.approvals),
                 str(len(r.conflicts) or ""), r.title]
                for r in rows
            ]
        )  # fmt: skip

    def _ask_path(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export the CAB agenda"), "cab-agenda.pdf", "PDF (*.pdf);;CSV (*.csv)"
        )
        if path:
            self.view.write_agenda(self.days.value(), path)


class AwayDialog(QDialog):
    """Whom your approvals go to while you are away, and until when."""

    def __init__(self, choices: ChangeChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("away-dialog")
        self.setWindowTitle(_("Away"))
        form = QFormLayout(self)
        self.delegate = QComboBox()
        for person, name in choices.people:
            self.delegate.addItem(name, person)
        self.until = moment_edit(None)
        form.addRow(_("Who decides for you"), self.delegate)
        form.addRow(_("Until"), self.until)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[uuid.UUID, datetime]:
        return self.delegate.currentData(), moment_from(self.until)
