"""File → Settings…: the person's own settings in a form, held to the same rules as `support-console settings`.

The form is built from the settings' declarations (``console.store.settings.SETTINGS``: label, type, help,
range), so a setting added there appears here. The shared database and the user are not here: they
change who and where one works (File → Shared database…, and `support-console connect`). A value the
settings refuse is said beside the form and nothing is saved; the language and the time zone apply
when the window opens again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.errors import SettingError
from console.i18n import AUTO, LANGUAGES, NAMES, _
from console.store.settings import SETTINGS, Setting
from console.store.workspace import Workspace

ELSEWHERE = frozenset({"shared_url", "user"})  # who and where one works: not a preference
ON_NEXT_START = frozenset({"language", "time_zone"})


class SettingsDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings-dialog")
        self.setWindowTitle(_("Settings"))
        self.setMinimumWidth(560)
        self.workspace = workspace
        self.fields: dict[str, QWidget] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for setting in SETTINGS:
            if setting.key in ELSEWHERE:
                continue
            field = self._field(setting, workspace.settings.get(setting.key))
            field.setToolTip(setting.help)
            field.setObjectName(f"setting-{setting.key}")
            self.fields[setting.key] = field
            form.addRow(_(setting.label), field)
        self.problem = QLabel()
        self.problem.setObjectName("settings-problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b42318")
        self.problem.hide()
        note = QLabel(_("The language and the time zone apply when the window opens again."))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def _field(self, setting: Setting, value: Any) -> QWidget:
        if setting.key == "language":
            box = QComboBox()
            box.addItem(_("This computer's language"), AUTO)
            for code in LANGUAGES:
                box.addItem(NAMES[code], code)
            box.setCurrentIndex(max(0, box.findData(value)))
            return box
        if setting.type is bool:
            check = QCheckBox()
            check.setChecked(bool(value))
            return check
        if setting.type is int:
            spin = QSpinBox()
            spin.setRange(setting.minimum or 0, setting.maximum or 2**31 - 1)
            spin.setGroupSeparatorShown(True)
            spin.setValue(int(value))
            return spin
        line = QLineEdit(str(value))
        if setting.key == "time_zone":
            line.setPlaceholderText(_("This computer's zone (or a name such as Asia/Tehran)"))
        return line

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, field in self.fields.items():
            if isinstance(field, QComboBox):
                out[key] = field.currentData()
            elif isinstance(field, QCheckBox):
                out[key] = field.isChecked()
            elif isinstance(field, QSpinBox):
                out[key] = field.value()
            elif isinstance(field, QLineEdit):
                out[key] = field.text()
        return out

    def save(self) -> None:
        """Every value checked first; saved only when all of them hold (the file is never half-changed)."""
        settings = self.workspace.settings
        try:
            checked = {key: settings.checked(key, value) for key, value in self.values().items()}
            before = {key: settings.get(key) for key in checked}
            for key, value in checked.items():
                settings.set(key, value)
            try:
                settings.save()
            except SettingError:
                for key, value in before.items():
                    settings.set(key, value)
                raise
        except SettingError as problem:
            self.problem.setText(str(problem))
            self.problem.show()
            return
        self.accept()
