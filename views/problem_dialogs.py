"""The problem screen's dialogs: open a problem, say why a move is made, name incidents to link, and the offer to
resolve a resolved problem's open incidents. Each is opened with ``open()`` and hands what it collected to a
callback, so tests drive them as a person would."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.i18n import _
from models import Priority
from models.tickets import TITLE_MAX
from views import words


class NewProblemDialog(QDialog):
    """A problem opened by hand: its title, ERP module, priority and what is known of it."""

    def __init__(self, modules: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new-problem-dialog")
        self.setWindowTitle(_("New problem"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit()
        self.title.setObjectName("new-problem-title")
        self.title.setMaxLength(TITLE_MAX)
        self.title.setPlaceholderText(_("The symptom the incidents share"))
        self.module = QComboBox()
        self.module.setObjectName("new-problem-module")
        self.module.addItems(modules)
        self.priority = QComboBox()
        self.priority.setObjectName("new-problem-priority")
        for priority in Priority:
            self.priority.addItem(words.priority(priority), priority.value)
        self.priority.setCurrentIndex(list(Priority).index(Priority.MEDIUM))
        self.description = QPlainTextEdit()
        self.description.setObjectName("new-problem-description")
        self.description.setPlaceholderText(_("What happens, since when, and to whom"))
        self.description.setTabChangesFocus(True)
        form.addRow(_("Title"), self.title)
        form.addRow(_("Module"), self.module)
        form.addRow(_("Priority"), self.priority)
        form.addRow(_("Description"), self.description)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_("Open problem"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.title.textChanged.connect(self._allow)
        self._allow()

    def _allow(self) -> None:
        self.ok.setEnabled(bool(self.title.text().strip()) and self.module.count() > 0)

    def values(self) -> tuple[str, str, Priority, str]:
        """Title, module code, priority and description, as ``Desk.open_problem`` takes them."""
        priority = Priority(self.priority.currentData())
        return self.title.text().strip(), self.module.currentText(), priority, self.description.toPlainText().strip()


def ask_text(parent: QWidget, name: str, title: str, label: str, then: Callable[[str], None]) -> QInputDialog:
    """A one-line question, opened (not run): ``then`` gets the answer when it is given."""
    dialog = QInputDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setMinimumWidth(460)
    dialog.textValueSelected.connect(then)
    dialog.open()
    return dialog


def offer_resolving(parent: QWidget, number: str, count: int, then: Callable[[bool], None]) -> QMessageBox:
    """A resolved problem with open incidents: resolve them too (each its own audited edit), tell them (a public
    note on each, left open), or leave them as they are. ``then(notify)`` is called for the first two."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _("{number} is resolved").format(number=number),
        _("{number} is resolved. Resolve its open incidents too ({count})? Each is resolved as its own edit, "
          "with the same reason; those the workflow or your role keeps open are listed after. Or tell them: "
          "each gets a public note saying so, and stays open.").format(number=number, count=count),
        QMessageBox.StandardButton.NoButton,
        parent,
    )  # fmt: skip
    box.setObjectName("resolve-incidents-offer")
    yes = box.addButton(_("Resolve them"), QMessageBox.ButtonRole.AcceptRole)
    tell = box.addButton(_("Notify them"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(_("Leave them open"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)

    def chosen(_result: int) -> None:
        if box.clickedButton() in (yes, tell):
            then(box.clickedButton() is tell)

    box.finished.connect(chosen)
    box.open()
    return box


def resolved_report(
    parent: QWidget, number: str, done: list[str], kept: list[str], *, notified: bool = False
) -> QMessageBox:
    """What resolving (or telling) a problem's incidents did: those resolved or told, and those kept with why."""
    box = QMessageBox(QMessageBox.Icon.Information, _("{number}: its incidents").format(number=number),
                      incidents_outcome(done, kept, notified=notified), QMessageBox.StandardButton.Ok,
                      parent)  # fmt: skip
    box.setObjectName("resolve-incidents-report")
    box.open()
    return box


def incidents_outcome(done: list[str], kept: list[str], *, notified: bool = False) -> str:
    if notified:
        said = [_("Told: {numbers}.").format(numbers=", ".join(done)) if done else _("None was told.")]
    else:
        said = [_("Resolved: {numbers}.").format(numbers=", ".join(done)) if done else _("None was resolved.")]
    if kept:
        said.append((_("Not told:") if notified else _("Kept open:")) + "\n" + "\n".join(f"• {why}" for why in kept))
    return "\n".join(said)
