"""File → Settings…: the person's settings in a form, saved only when every value holds."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLabel, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from console.store.workspace import Workspace
from tests.gui.drive import save_shot
from views.settings_dialog import SettingsDialog


def saved(workspace: Workspace) -> dict[str, object]:
    data: dict[str, object] = json.loads(Path(workspace.home / "settings.json").read_text(encoding="utf-8"))
    return data


def test_the_settings_are_chosen_in_a_form_and_a_bad_value_saves_nothing(
    qtbot: QtBot, gui_workspace: Workspace
) -> None:
    before = saved(gui_workspace)
    dialog = SettingsDialog(gui_workspace)
    qtbot.addWidget(dialog)
    dialog.show()
    language = dialog.findChild(QComboBox, "setting-language")
    zone = dialog.findChild(QLineEdit, "setting-time_zone")
    interval = dialog.findChild(QSpinBox, "setting-sync_interval_seconds")
    assert language is not None
    assert zone is not None
    assert interval is not None
    assert dialog.findChild(QLineEdit, "setting-shared_url") is None  # where one works: not a preference here
    assert (interval.minimum(), interval.maximum()) == (10, 86_400)  # the setting's own range
    language.setCurrentIndex(language.findData("fa"))
    zone.setText("Asia/Tehrn")
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    save = buttons.button(QDialogButtonBox.StandardButton.Save)
    save.click()
    problem = dialog.findChild(QLabel, "settings-problem")
    assert problem is not None
    assert problem.isVisible()
    assert "Asia/Tehran" in problem.text()  # the refusal suggests the zone meant
    assert dialog.isVisible()
    assert saved(gui_workspace) == before  # nothing of the form was saved, not even the language
    save_shot(dialog, "settings-refused")
    zone.setText("Asia/Tehran")
    interval.setValue(300)
    save.click()
    assert not dialog.isVisible()
    after = saved(gui_workspace)
    assert (after["language"], after["time_zone"], after["sync_interval_seconds"]) == ("fa", "Asia/Tehran", 300)
