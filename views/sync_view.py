"""Sync in the window: in the background on start, on a timer, shortly after an edit and on demand
(F9); the status bar says online or offline, syncing, last synced, pending edits and open conflicts.
Losing the server is a state shown there, never an error dialog. The connection dialog sets the
shared database, the login and the password (to the OS keyring), with "Test connection".
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import _, n_
from console.journal.touched import EVERYTHING, Touched
from console.store.workspace import Workspace
from console.sync.client import SyncState, still_reachable, sync_and_tell
from console.sync.conflicts import Notice, OpenConflict
from console.sync.connection import Connected, connect_workspace, test_connection
from console.zone import moment_text, time_text, window_text, zoned
from views import words
from views.errors import show_error
from views.tables import RowsModel, rows_table, select_row, when_text
from views.tasks import TaskRunner

AFTER_EDIT_MS = 2_000  # an edit is pushed this long after the last one
QUIET_MS = 5_000
"""A pass that says nothing this long (no step, no end) has the shared database probed: if a new connection is
not up within ``client.PROBE_TIMEOUT_S``, the window says offline while the pass waits for the network."""


def said(field: str, value: str) -> str:
    """A conflicting value as a person reads it: a window or a moment (kept as ISO text) in their zone, named."""
    if field != "window" and not field.endswith("_at"):
        return value
    try:
        moments = [datetime.fromisoformat(part) for part in value.split(" – ")] if value else []
    except ValueError:
        return value
    if len(moments) == 2:
        return words.isolated(window_text(moments[0], moments[1], named=True))
    return words.isolated(moment_text(moments[0], named=True)) if len(moments) == 1 else value


def describe_state(state: SyncState) -> tuple[str, str]:
    """The status bar's text and its tooltip."""
    at = words.isolated(time_text(state.at))
    parts = [_("Online · synced {at}").format(at=at) if state.online else _("Offline (tried {at})").format(at=at)]
    if state.pending:
        parts.append(n_("{n} pending", "{n} pending", state.pending).format(n=state.pending))
    if state.conflicts:
        parts.append(n_("{n} conflict", "{n} conflicts", state.conflicts).format(n=state.conflicts))
    if state.refused:
        parts.append(n_("{n} refused", "{n} refused", state.refused).format(n=state.refused))
    tip = state.message
    if state.rejected:
        tip += "\n" + _("Rejected:") + " " + "\n".join(state.rejected)
    return " · ".join(parts), tip


class SyncController(QObject):
    """Runs sync off the UI thread, one pass at a time; a request during a pass runs right after it."""

    changed = Signal(object)  # SyncState
    started = Signal()
    step = Signal(str)  # what a long pass is doing ("Downloading DXB-HQ…"), from the worker thread
    stalled = Signal(str)  # a pass under way that the network stopped answering: why, in words

    def __init__(self, workspace: Workspace, runner: TaskRunner, interval_s: int, parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.runner = runner
        self.state: SyncState | None = None
        self.running = False
        self._again = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_s * 1000)
        self.timer.timeout.connect(self.sync_now)
        self.soon = QTimer(self)
        self.soon.setSingleShot(True)
        self.soon.setInterval(AFTER_EDIT_MS)
        self.soon.timeout.connect(self.sync_now)
        self.quiet = QTimer(self)  # a pass under way that says nothing: probe the shared database
        self.quiet.setSingleShot(True)
        self.quiet.setInterval(QUIET_MS)
        self.quiet.timeout.connect(self._probe)
        self.step.connect(self._heard)
        self.probing = False

    def start(self) -> None:
        """Sync now, then on the timer and shortly after every edit the runner announces."""
        self.runner.edited.connect(self._touched)
        self.timer.start()
        self.sync_now()

    def edited(self, *_args: object) -> None:
        """Something was edited here: push it shortly (edits in a burst go together)."""
        self.soon.start()

    def _touched(self, touched: Touched) -> None:
        if not touched.everything:  # an edit made here, not the others' edits a pass just brought
            self.edited()

    def sync_now(self) -> None:
        if self.running:
            self._again = True
            return
        self.running = True
        self.started.emit()
        self.quiet.start()
        self.runner.op(sync_and_tell, self.workspace, self.step.emit, label=_("Syncing…")).success(self._done).failure(
            self._failed
        ).run_io()

    def _heard(self, _doing: str) -> None:
        if self.running:
            self.quiet.start()

    def _probe(self) -> None:
        """The pass has said nothing for a while: is the shared database still there (a new connection)?"""
        if not self.running or self.probing:
            return
        self.probing = True
        self.runner.op(still_reachable, self.workspace, label="").success(self._probed).failure(
            self._probe_failed
        ).run_io()

    def _probed(self, unreachable: str | None) -> None:
        self.probing = False
        if not self.running:
            return  # the pass ended meanwhile: its own state stands
        if unreachable:
            self.stalled.emit(unreachable)
        self.quiet.start()  # probe again while the pass waits (the network may come back, or go)

    def _probe_failed(self, error: BaseException) -> None:
        self.probing = False
        self.runner.unhandled_failure.emit(error)

    def _done(self, state: SyncState) -> None:
        self.quiet.stop()
        self.running = False
        self.state = state
        self.changed.emit(state)
        if state.pulled:  # others' edits arrived: every view shows them
            self.runner.announce(EVERYTHING)
        if self._again:
            self._again = False
            self.sync_now()

    def _failed(self, error: BaseException) -> None:
        self.quiet.stop()
        self.running = False
        self.runner.unhandled_failure.emit(error)  # a bug, not a lost connection: the crash report says so


class ConnectionDialog(QDialog):
    """Shared database URL, login and password; "Test connection" before saving."""

    connected = Signal(object)  # Connected
    tested = Signal(str)  # the outcome of a test, in words

    def __init__(self, workspace: Workspace, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connection-dialog")
        self.setWindowTitle(_("Shared database"))
        self.workspace = workspace
        self.runner = runner
        form = QFormLayout(self)
        self.url = QLineEdit(str(workspace.settings.get("shared_url") or ""))
        self.url.setPlaceholderText(
            _("{example}  (empty: this computer only)").format(example="postgresql://alice@db.example.com/support")
        )
        self.login = QLineEdit(str(workspace.settings.get("user") or ""))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("kept in the OS keyring"))
        self.outcome = QLabel(" ")
        self.outcome.setObjectName("connection-result")
        self.outcome.setWordWrap(True)
        self.test_button = QPushButton(_("&Test connection"))
        self.test_button.clicked.connect(self.test)
        form.addRow(_("Shared database URL"), self.url)
        form.addRow(_("Login"), self.login)
        form.addRow(_("Password"), self.password)
        form.addRow(self.test_button, self.outcome)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.resize(620, 220)

    def _values(self) -> tuple[str, str, str | None]:
        url = self.url.text().strip() or f"sqlite:///{self.workspace.default_shared_path}"
        return url, self.login.text().strip(), self.password.text() or None

    def test(self) -> None:
        self.outcome.setText(_("Trying…"))
        self.runner.op(test_connection, *self._values(), label=_("Testing the connection…")).success(
            lambda where: self._tested(_("Connected to {where}.").format(where=where))
        ).failure(lambda error: self._tested(str(error))).run_io()

    def _tested(self, text: str) -> None:
        self.outcome.setText(text)
        self.tested.emit(text)

    def save(self) -> None:
        self.outcome.setText(_("Connecting…"))
        self.runner.op(connect_workspace, self.workspace, *self._values(), label=_("Connecting…")).success(
            self._saved
        ).failure(self._failed).run_io()

    def _saved(self, done: Connected) -> None:
        self.connected.emit(done)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.outcome.setText(str(error))
        show_error(self, error)


class ConflictsDialog(QDialog):
    """Open conflicts: what you saw, what you wanted, what the shared database holds; keep yours, take
    theirs, or write the value both should have. The resolution syncs like any edit. Below, the edits
    the shared database refused, with its reasons, until dismissed."""

    resolved = Signal(str)  # the ticket's number
    listed = Signal(int)  # conflicts listed
    refusals_listed = Signal(int)

    def __init__(self, desk: Desk, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflicts-dialog")
        self.setWindowTitle(_("Sync conflicts and refused edits"))
        self.desk, self.runner = desk, runner
        self.conflicts: list[OpenConflict] = []
        self.notices: list[Notice] = []
        layout = QVBoxLayout(self)
        lead = QLabel(
            _(
                "Someone changed these fields on the shared database before your edit arrived. Nothing was "
                "overwritten: choose what stays."
            )
        )
        lead.setWordWrap(True)
        layout.addWidget(lead)
        self.rows = RowsModel(
            [_("Ticket or change"), _("Field"), _("You saw"), _("Yours"), _("Theirs (now)"), zoned(_("When")), _("By")],
            self,
        )
        self.table = rows_table(self.rows, "conflicts-table")
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.mine_button = QPushButton(_("Keep &mine"))
        self.theirs_button = QPushButton(_("Take &theirs"))
        self.edit_button = QPushButton(_("&Edit…"))
        for button in (self.mine_button, self.theirs_button, self.edit_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        refused = QLabel(_("Edits the shared database refused (the ticket or change now shows what it holds):"))
        refused.setWordWrap(True)
        layout.addWidget(refused)
        self.refusals = RowsModel([zoned(_("When")), _("Why")], self)
        self.refusals_table = rows_table(self.refusals, "refusals-table")
        layout.addWidget(self.refusals_table, 1)
        closing = QHBoxLayout()
        self.dismiss_button = QPushButton(_("&Dismiss these"))
        self.dismiss_button.clicked.connect(self.dismiss)
        closing.addWidget(self.dismiss_button)
        closing.addStretch(1)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.reject)
        closing.addWidget(close)
        layout.addLayout(closing)
        self.mine_button.clicked.connect(lambda: self.resolve("mine"))
        self.theirs_button.clicked.connect(lambda: self.resolve("theirs"))
        self.edit_button.clicked.connect(self.ask_edit)
        self.resize(900, 520)
        self.reload()

    def reload(self) -> None:
        self.runner.op(self.desk.conflicts, label=_("Reading conflicts…")).success(self._show).failure(
            self._failed
        ).run()

    def _failed(self, error: BaseException) -> None:
        show_error(self, error)

    def _show(self, found: tuple[list[OpenConflict], list[Notice]]) -> None:
        conflicts, self.notices = found
        self.refusals.set_rows([[when_text(n.created_at), n.summary] for n in self.notices])
        self.dismiss_button.setEnabled(bool(self.notices))
        self.refusals_listed.emit(len(self.notices))
        self.conflicts = conflicts
        self.rows.set_rows(
            [[c.number, words.field(c.field.removesuffix("_id")).lower(), *(said(c.field, v) for v in (c.base, c.mine,
              c.theirs)), when_text(c.created_at), c.author] for c in conflicts]
        )  # fmt: skip
        if conflicts:
            select_row(self.table, 0)
        for button in (self.mine_button, self.theirs_button, self.edit_button):
            button.setEnabled(bool(conflicts))
        self.listed.emit(len(conflicts))

    def selected(self) -> OpenConflict | None:
        row = self.table.currentIndex().row()
        return self.conflicts[row] if 0 <= row < len(self.conflicts) else None

    def resolve(self, resolution: str, value: object = None) -> None:
        conflict = self.selected()
        if conflict is None:
            return
        self.runner.op(self.desk.resolve_conflict, conflict, resolution, value, label=_("Resolving…")).success(
            self._resolved
        ).failure(self._failed).run()

    def _resolved(self, number: str) -> None:
        self.resolved.emit(number)
        self.reload()

    def dismiss(self) -> None:
        if self.notices:
            self.runner.op(self.desk.dismiss, list(self.notices), label=_("Dismissing…")).success(
                lambda _done: self.reload()
            ).failure(self._failed).run()

    def ask_edit(self) -> None:
        conflict = self.selected()
        if conflict is None:
            return
        if not conflict.editable:
            show_error(self, ConsoleError(_("A person, a window or a scope is chosen, not typed: keep one side.")))
            return
        prompt = _("The {field} to keep:").format(field=words.field(conflict.field.removesuffix("_id")).lower())
        text, ok = QInputDialog.getText(self, conflict.number, prompt, text=conflict.theirs)
        if ok:
            self.resolve("edited", text)
