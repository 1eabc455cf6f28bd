"""What the problem screen's parts share: their work under way (one count for the view's busy indicator, each
piece run on the database worker through the task runner), and the label a refusal is said in, beside the
control that asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from console.errors import ConsoleError
from views.errors import show_error
from views.tasks import TaskRunner

REFUSAL_STYLE = "color: #b42318;"


class Pending(QObject):
    """The view's own work under way (its busy indicator), each piece run on the database worker."""

    changed = Signal(int)

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__(runner)
        self.runner = runner
        self.count = 0

    def run(self, fn: Callable[..., Any], *args: Any, label: str, success: Callable[[Any], None],
            failure: Callable[[BaseException], None]) -> None:  # fmt: skip
        """``fn(*args)`` on the database worker; ``label`` for the status bar ("" for quiet work)."""
        self._step(1)

        def ok(value: Any) -> None:
            self._step(-1)
            success(value)

        def failed(error: BaseException) -> None:
            self._step(-1)
            failure(error)

        self.runner.op(fn, *args, label=label).success(ok).failure(failed).run()

    def _step(self, by: int) -> None:
        self.count += by
        self.changed.emit(self.count)


def refusal_label(name: str) -> QLabel:
    """Where a refusal is said, beside its control: hidden until there is one."""
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(REFUSAL_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def said_beside(owner: QWidget, error: BaseException, beside: QLabel, saying: Callable[[str], str] = str) -> str | None:
    """A refusal (a ``ConsoleError``) said in the label beside the control that asked (``saying`` words it from its
    reason); its reason, for the caller to pass on. Anything else is a bug: the crash report, and None."""
    if not isinstance(error, ConsoleError):
        show_error(owner, error)
        return None
    why = str(error)
    beside.setText(saying(why))
    beside.show()
    return why
