"""The main window: navigation between the views, a status bar, menus, shortcuts and the tray icon."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

import resources
from console.access import Actor, Can
from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import _
from console.journal.touched import Touched, reads
from console.store.damage import DamagedCache
from console.store.database import describe
from console.store.summary import WorkspaceSummary, summarize_workspace
from console.store.workspace import Workspace
from console.sync.client import SyncState
from console.sync.connection import Connected
from console.sync.repair import Repaired, repair
from console.tickets.queue import QueueFilter
from views import words
from views.about import AboutDialog
from views.errors import show_error
from views.look import APP_NAME
from views.pages import PAGES
from views.queue_view import QueueView
from views.settings_dialog import SettingsDialog
from views.sync_view import SyncController, describe_state
from views.tasks import TaskRunner
from views.tray import BreachTray, TrayActions

if TYPE_CHECKING:
    from views.changes.view import ChangeView
    from views.import_wizard import ImportWizard
    from views.knowledge_view import KnowledgeView
    from views.problems_view import ProblemsView
    from views.ticket_view import TicketView


def bring_to_front(widget: QWidget) -> None:
    """Show a window in front of the others, restored if it was minimised (a second launch asked for it)."""
    widget.setWindowState(widget.windowState() & ~Qt.WindowState.WindowMinimized | Qt.WindowState.WindowActive)
    widget.show()
    widget.raise_()
    widget.activateWindow()


def window_title(who: str | None) -> str:
    """Who is working, then the app's name, once: Qt adds the display name only to a title not ending in it."""
    return f"{who} — {APP_NAME}" if who else APP_NAME


class MainWindow(QMainWindow):
    summary_loaded = Signal(object)
    load_failed = Signal(object)
    desk_ready = Signal(object)  # the Actor: the queue and ticket views exist
    first_screen = Signal()  # the queue's first page is read and shown
    synced = Signal(object)  # a SyncState, after each sync pass
    first_download = Signal(str)  # what a new desk's first download is doing, from the worker thread

    def __init__(self, workspace: Workspace, runner: TaskRunner | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.runner = runner or TaskRunner(self)
        self.summary: WorkspaceSummary | None = None
        self.setObjectName("main-window")
        user = workspace.settings.get("user") or _("no user")
        self.setWindowTitle(window_title(workspace.settings.get("user")))
        self.setWindowIcon(QIcon(str(resources.path("icons/app.svg"))))

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setFixedWidth(205)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        for spec in PAGES:
            item = QListWidgetItem(QIcon(str(resources.path(f"icons/{spec.icon}"))), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(spec.lead)
            self.navigation.addItem(item)
            # Each view is built once the user is known: the queue at once, the others when first shown.
            self.stack.addWidget(self._waiting(_("Opening the local cache…")))
        self.metrics_view: QWidget | None = None
        self.queue_view: QueueView | None = None
        self.ticket_view: TicketView | None = None
        self.change_view: ChangeView | None = None
        self.problems_view: ProblemsView | None = None
        self.knowledge_view: KnowledgeView | None = None
        self._leaving = False  # the person chose to close with the editor's changes dropped or saved
        self.sync: SyncController | None = None
        self.desk: Desk | None = None
        self.actor: Actor | None = None
        self.tray: BreachTray | None = None
        self.import_wizard: ImportWizard | None = None
        self._retired: list[QWidget] = []  # the views of the person before a switch, until their work is done
        self._counting = self._count_again = False
        self.navigation.currentRowChanged.connect(self._show_row)
        self.navigation.setCurrentRow(0)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self._build_status_bar(user)
        self.runner.busy_changed.connect(self._show_busy)
        self.runner.unhandled_failure.connect(self.report_error)
        self.runner.edited.connect(self._edited)
        self._window_settings = QSettings(str(workspace.home / "window.ini"), QSettings.Format.IniFormat)
        geometry = self._window_settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def _show_row(self, row: int) -> None:
        if PAGES[row].key == "metrics" and self.metrics_view is None:
            self._build_metrics_view(row)
        if PAGES[row].key == "changes":
            self.change_page()
        if PAGES[row].key == "problems":
            self.problems_page()
        if PAGES[row].key == "knowledge":
            self.knowledge_page()
        if PAGES[row].key == "ticket":
            self.ticket_page()
        self.stack.setCurrentIndex(row)

    def _build_metrics_view(self, row: int) -> None:
        # Imported here, not at the top: matplotlib costs start-up time only when charts are wanted.
        from views.metrics_view import MetricsView

        assert self.desk is not None  # the navigation builds pages once the desk is open
        view = MetricsView(self.desk, self.runner)
        self._put_page("metrics", view)
        self.metrics_view = view
        view.start()

    def change_page(self) -> ChangeView | None:
        """The change approval view, built the first time it is shown (once the user is known)."""
        if self.change_view is None and self.desk is not None:
            from views.changes.view import ChangeView as View

            view = View(self.desk, self.runner)
            self._put_page("changes", view)
            self.change_view = view
            view.start()
        return self.change_view

    def problems_page(self) -> ProblemsView | None:
        """The problems view, built the first time it is shown (once the user is known)."""
        if self.problems_view is None and self.desk is not None:
            from views.problems_view import ProblemsView as View

            view = View(self.desk, self.runner)
            view.open_ticket.connect(self.open_ticket)
            self._put_page("problems", view)
            self.problems_view = view
            view.start()
        return self.problems_view

    def knowledge_page(self) -> KnowledgeView | None:
        """The knowledge view, built the first time it is shown (once the user is known)."""
        if self.knowledge_view is None and self.desk is not None:
            from views.knowledge_view import KnowledgeView as View

            view = View(self.desk, self.runner)
            view.open_ticket.connect(self.open_ticket)
            self._put_page("knowledge", view)
            self.knowledge_view = view
            view.start()
        return self.knowledge_view

    def show_article(self, number: str) -> None:
        """The knowledge view, in front, reading the article ``number`` (a link elsewhere asked for it)."""
        view = self.knowledge_page()
        if view is None:
            return
        self.navigation.setCurrentRow([spec.key for spec in PAGES].index("knowledge"))
        view.show_article(number)

    def show_problem(self, number: str) -> None:
        """The problems view, in front, showing the problem ``number`` (a known error suggested elsewhere)."""
        view = self.problems_page()
        if view is None:
            return
        self.navigation.setCurrentRow([spec.key for spec in PAGES].index("problems"))
        view.panel.open(number)

    @staticmethod
    def _waiting(message: str) -> QLabel:
        """A page's placeholder until its view is built."""
        waiting = QLabel(message)
        waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        waiting.setWordWrap(True)  # a long reason (a server that cannot be reached) is read whole
        waiting.setContentsMargins(48, 0, 48, 0)
        return waiting

    def _put_page(self, key: str, widget: QWidget) -> None:
        """Put a built view in the place of its page's placeholder (or a placeholder in the place of a view)."""
        row = [spec.key for spec in PAGES].index(key)
        previous = self.stack.widget(row)
        current = self.stack.currentIndex()
        self.stack.insertWidget(row, widget)
        if previous is not None:
            self.stack.removeWidget(previous)
            if isinstance(previous, QLabel):
                previous.deleteLater()
            else:  # a view may still wait for work under way: deleted once the runner is idle
                previous.hide()
                self._retired.append(previous)
        self.stack.setCurrentIndex(current)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        self.new_ticket_action = QAction(_("&Log a ticket…"), self, shortcut=QKeySequence(QKeySequence.StandardKey.New))
        self.new_ticket_action.triggered.connect(self.open_new_ticket)
        self.new_ticket_action.setEnabled(False)  # until the user and the cache are known
        file_menu.addAction(self.new_ticket_action)
        self.import_action = QAction(_("&Import…"), self, shortcut=QKeySequence("Ctrl+Shift+I"))
        self.import_action.setToolTip(_("Import tickets from ServiceNow, Jira Service Management or any CSV"))
        self.import_action.triggered.connect(self.open_import)
        self.import_action.setEnabled(False)  # until the user and the cache are known
        file_menu.addAction(self.import_action)
        self.sync_action = QAction(_("S&ync now"), self, shortcut=QKeySequence("F9"))
        self.sync_action.setEnabled(False)
        file_menu.addAction(self.sync_action)
        self.conflicts_action = QAction(
            _("Sync &conflicts and refused edits…"), self, shortcut=QKeySequence("Ctrl+Shift+K")
        )
        self.conflicts_action.triggered.connect(self.open_conflicts)
        file_menu.addAction(self.conflicts_action)
        self.settings_action = QAction(_("&Settings…"), self, shortcut=QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        self.connection_action = QAction(_("Shared &database…"), self)
        self.connection_action.triggered.connect(self.open_connection)
        file_menu.addAction(self.connection_action)
        quit_action = QAction(_("&Quit"), self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu(_("&View"))
        self.view_actions: dict[str, QAction] = {}
        for row, spec in enumerate(PAGES):
            action = QAction(spec.title, self, shortcut=QKeySequence(f"Ctrl+{row + 1}"))
            action.triggered.connect(lambda _checked=False, r=row: self.navigation.setCurrentRow(r))
            view_menu.addAction(action)
            self.view_actions[spec.key] = action
        help_menu = self.menuBar().addMenu(_("&Help"))
        self.about_action = QAction(_("&About Support Console"), self, shortcut=QKeySequence("F1"))
        self.about_action.triggered.connect(self.open_about)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self, user: str) -> None:
        bar = self.statusBar()
        self.busy = QProgressBar()
        self.busy.setObjectName("busy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.status_user = QLabel(_("User: {user}").format(user=user))
        self.status_cache = QLabel(_("Cache: opening…"))
        self.status_cache.setObjectName("status-cache")
        shared = self.workspace.shared_url()
        where = (
            f"{shared.host}/{shared.database}"
            if shared.host
            else _("{file} (single seat)").format(file=Path(str(shared.database)).name)
        )
        self.status_shared = QLabel(_("Shared: {where}").format(where=where))
        self.status_shared.setToolTip(describe(shared))
        self.status_sync = QLabel(_("Not synced yet"))
        self.status_sync.setObjectName("status-sync")
        self.status_sync.setToolTip(_("Sync starts once the queue is on screen."))
        self.first_download.connect(self._first_download_step)
        bar.addWidget(self.busy)
        for label in (self.status_sync, self.status_shared, self.status_cache, self.status_user):
            bar.addPermanentWidget(label)

    def load(self) -> None:
        """Open the local cache and who is working, then the queue's first screen, then the figures.

        All of it off the UI thread, in that order on the database worker.
        """
        self.runner.op(
            Desk.open, self.workspace, self.first_download.emit, label=_("Opening the local cache…")
        ).success(self._desk_ready).failure(self._summary_failed).run()

    def _desk_ready(self, desk: Desk) -> None:
        self.desk, self.actor = desk, desk.actor
        actor = desk.actor
        self.setWindowTitle(window_title(actor.display_name))
        self.status_user.setText(
            _("User: {name} ({role})").format(name=actor.display_name, role=words.role(actor.role))
        )
        self.queue_view = QueueView(desk, self.runner)
        self.queue_view.open_ticket.connect(self.open_ticket)
        self.queue_view.model.loaded.connect(
            partial(self._first_screen, self.queue_view), Qt.ConnectionType.SingleShotConnection
        )
        self._put_page("queue", self.queue_view)
        self.queue_view.start()
        self.new_ticket_action.setEnabled(actor.may(Can.LOG))
        self.import_action.setEnabled(True)  # for anyone: who may not import is told why
        if self.current_view() == "ticket":
            self.ticket_page()
        if self.current_view() == "changes":
            self.change_page()
        if self.current_view() == "problems":
            self.problems_page()
        if self.current_view() == "knowledge":
            self.knowledge_page()
        self.desk_ready.emit(actor)
        # The figures of the other pages are read beside the queue (a reader of its own), not before its pages;
        # the desk has opened the cache, so this only reads.
        summary = reads(partial(summarize_workspace, self.workspace))
        self.runner.op(summary, label=_("Reading the local cache…")).success(self._summary_ready).failure(
            self._summary_failed
        ).run_io()

    def open_new_ticket(self) -> QDialog | None:
        """The log-a-ticket dialog (Ctrl+N); the new ticket opens when it is logged."""
        if self.desk is None or self.queue_view is None:
            return None
        from views.new_ticket import NewTicketDialog

        dialog = NewTicketDialog(self.desk, self.runner, self.queue_view.choices, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.created.connect(self.open_ticket)
        dialog.open_article.connect(self.show_article)
        dialog.open_problem.connect(self.show_problem)
        dialog.open_ticket.connect(self.open_ticket)
        dialog.open()
        return dialog

    def open_import(self) -> QDialog | None:
        """File → Import… (Ctrl+Shift+I): the import wizard, or why this person may not import."""
        if self.desk is None:
            return None
        if self.import_wizard is not None and self.import_wizard.isVisible():
            bring_to_front(self.import_wizard)
            return self.import_wizard
        from views.import_wizard import ImportWizard, open_import

        dialog = open_import(self.desk, self.runner, self)
        if isinstance(dialog, ImportWizard):
            self.import_wizard = dialog
            dialog.destroyed.connect(partial(self._import_closed, dialog))
        return dialog

    def _import_closed(self, wizard: QDialog) -> None:
        if self.import_wizard is wizard:
            self.import_wizard = None

    def _first_screen(self, view: QueueView, _total: int) -> None:
        if view is not self.queue_view:  # the queue of a person who left the desk before it was read
            return
        self.first_screen.emit()
        if self.sync is not None:  # the desk opened again (another person, another database): sync it now
            self.sync.sync_now()
        else:
            self.start_sync(automatic=bool(self.workspace.settings.get("sync_automatically")))
        self._start_tray()

    def _start_tray(self) -> None:
        """The tray icon and its looks at the SLA clocks, for the person now at the desk."""
        if self.tray is not None:
            self.tray.stop()
            self.tray.deleteLater()
        assert self.desk is not None
        actions = TrayActions(
            open_ticket=self._open_from_tray,
            show_queue=self.show_queue,
            show_window=lambda: bring_to_front(self),
            set_notify=self.set_notify,
            quit=self.close,
        )
        self.tray = BreachTray(self.desk, self.runner, self.workspace.settings, actions, self)
        self.tray.start()

    def _open_from_tray(self, number: str) -> None:
        bring_to_front(self)
        self.open_ticket(number)

    def show_queue(self, flt: QueueFilter) -> None:
        """The queue, in front, showing these tickets (a notification or the tray menu was clicked)."""
        bring_to_front(self)
        self.navigation.setCurrentRow([spec.key for spec in PAGES].index("queue"))
        if self.queue_view is not None:
            self.queue_view.show_filter(flt)

    def set_notify(self, on: bool) -> None:
        """Notifications at the warning mark on or off (the tray menu's switch), kept in the settings."""
        self.workspace.settings.set("notify_warnings", on)
        try:
            self.workspace.settings.save()
        except OSError as error:
            self.report_error(error)

    def start_sync(self, *, automatic: bool = True) -> None:
        """Sync from now on: on F9, and (automatic) at once, then on a timer and after edits."""
        if self.sync is not None:
            return
        interval = int(self.workspace.settings.get("sync_interval_seconds"))
        self.sync = SyncController(self.workspace, self.runner, interval, self)
        self.sync.started.connect(lambda: self._sync_doing(_("syncing…")))
        self.sync.step.connect(self._sync_doing)  # a long first download says what it is doing
        self.sync.changed.connect(self._synced)
        self.sync.stalled.connect(self._sync_stalled)
        self.sync_action.triggered.connect(self.sync.sync_now)
        self.sync_action.setEnabled(True)
        if not automatic:
            self.status_sync.setText(_("Sync on demand (F9)"))
            return
        self.sync.start()

    def _sync_doing(self, doing: str) -> None:
        """The status bar's sync text and what a pass under way is doing: "Online · syncing…"."""
        self.status_sync.setText(f"{self.status_sync.text().split(' · ')[0]} · {doing}")

    def _sync_stalled(self, why: str) -> None:
        """A pass waits on a network that stopped answering: offline, said so, until the pass ends."""
        self.status_sync.setText(_("Offline · waiting for the network"))
        self.status_sync.setToolTip(
            why + "\n" + _("The sync under way goes on by itself when the shared database answers again.")
        )

    def _synced(self, state: SyncState) -> None:
        text, tip = describe_state(state)
        self.status_sync.setText(text)
        self.status_sync.setToolTip(tip)
        self.status_sync.setMinimumWidth(self.status_sync.sizeHint().width())  # laid out now, never clipped
        self.synced.emit(state)

    def open_conflicts(self) -> QDialog | None:
        if self.desk is None:
            return None
        from views.sync_view import ConflictsDialog

        dialog = ConflictsDialog(self.desk, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_connection(self) -> QDialog:
        from views.sync_view import ConnectionDialog

        dialog = ConnectionDialog(self.workspace, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connected.connect(self._connected)
        dialog.open()
        return dialog

    def ticket_page(self) -> TicketView | None:
        """The ticket detail, built the first time it is wanted (after the queue's first screen)."""
        if self.ticket_view is None and self.queue_view is not None and self.desk is not None:
            from views.ticket_view import TicketView as View  # with the SLA engine: loaded when first wanted

            view = View(self.desk, self.runner)
            view.set_choices(self.queue_view.choices)
            self.queue_view.choices_loaded.connect(view.set_choices)
            view.navigate.connect(self.step_ticket)
            view.open_article.connect(self.show_article)
            view.open_problem.connect(self.show_problem)
            self._put_page("ticket", view)
            self.ticket_view = view
        return self.ticket_view

    def open_ticket(self, number: str) -> None:
        view = self.ticket_page()
        if view is None:
            return
        view.open(number)
        self.navigation.setCurrentRow([spec.key for spec in PAGES].index("ticket"))

    def step_ticket(self, step: int) -> None:
        """Next or previous ticket of the queue, from the ticket detail."""
        if self.queue_view is None or self.ticket_view is None or self.ticket_view.detail is None:
            return
        number = self.queue_view.neighbour(self.ticket_view.detail.number, step)
        if number is not None:
            self.ticket_view.open(number)

    def _summary_ready(self, summary: WorkspaceSummary) -> None:
        self.summary = summary
        if self.actor is not None and self.actor.scoped:  # a super-user counts only what they may see
            self.status_cache.setText(_("Cache: counting your units' tickets…"))
            self.count_tickets()
        else:
            self.status_cache.setText(_("Cache: {count}").format(count=words.counted(summary.tickets, "ticket")))
        self.summary_loaded.emit(summary)

    def _edited(self, touched: Touched) -> None:
        """A ticket logged or edited here, or others' edits a sync brought: the count is read again."""
        if touched.any_ticket and self.summary is not None:
            self.count_tickets()

    def count_tickets(self) -> None:
        """The status bar's count of the tickets this person sees (one count at a time; the last edit wins)."""
        if self.desk is None:
            return
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        desk = self.desk
        self.runner.op(desk.count_visible, label=_("Counting…")).success(partial(self._counted, desk)).failure(
            self._count_failed
        ).run()

    def _counted(self, desk: Desk, count: int) -> None:
        self._counting = False
        if desk is self.desk:  # not the person before a switch
            said = _("Cache: {count} in your units") if desk.actor.scoped else _("Cache: {count}")
            self.status_cache.setText(said.format(count=words.counted(count, "ticket")))
        if self._count_again:
            self._count_again = False
            self.count_tickets()

    def _count_failed(self, error: BaseException) -> None:
        self._counting = False
        self.report_error(error)

    def _connected(self, done: Connected) -> None:
        """A new shared database or login: sync now, or (a desk that could not open yet) open it, downloading first.
        Another login is another person at the desk, and another database a cache begun anew: either way the desk
        opens again in place of the last one (and syncs once its queue is back)."""
        login = self.workspace.settings.get("user")
        if self.actor is not None and (login != self.actor.login or done.set_aside is not None):
            self.reopen()
        elif self.sync is not None:
            self.sync.sync_now()
        elif self.actor is None:
            self._waiting_text(_("Opening the local cache…"))
            self.load()

    def reopen(self) -> None:
        """Close the views of the person who was at the desk and open the desk again as the workspace's user."""
        login = self.workspace.settings.get("user")
        if self.tray is not None:
            self.tray.stop()
            self.tray.deleteLater()
            self.tray = None
        for key in ("queue", "ticket", "changes", "metrics", "problems", "knowledge"):
            self._put_page(key, self._waiting(_("Opening the local cache as {login}…").format(login=login)))
        self.queue_view = self.ticket_view = self.change_view = None
        self.problems_view = None
        self.knowledge_view = None
        self.metrics_view = None
        self.desk = self.actor = None
        self.summary = None
        self.new_ticket_action.setEnabled(False)
        self.import_action.setEnabled(False)
        if self.import_wizard is not None:  # the person who opened it left the desk: stop it, close it
            self.import_wizard.stop_import()
            self.import_wizard.reject()
        self.setWindowTitle(window_title(login))
        self.status_user.setText(_("User: {user}").format(user=login))
        self.status_cache.setText(_("Cache: opening…"))
        self._drop_retired()
        self.load()

    def _waiting_text(self, message: str) -> None:
        """What the pages not built yet say: the cache opening, a first download's step, or why it failed."""
        for row in range(self.stack.count()):
            waiting = self.stack.widget(row)
            if isinstance(waiting, QLabel):
                waiting.setText(message)

    def _first_download_step(self, step: str) -> None:
        self._waiting_text(_("First download from the shared database: {step}").format(step=step))
        self.status_sync.setText(step)

    def _summary_failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, ConsoleError) else _("The local cache could not be read.")
        self._waiting_text(message)
        self.status_cache.setText(_("Cache: unavailable"))
        if isinstance(error, DamagedCache):
            self.offer_repair(error)
        else:
            self.report_error(error)
        self.load_failed.emit(error)

    def offer_repair(self, error: DamagedCache) -> QMessageBox:
        """A damaged local cache: say so, and offer to set it aside and download it again (``repair``)."""
        said = _("Your local cache is damaged ({what}). Nothing was changed.").format(what=error.what)
        box = QMessageBox(QMessageBox.Icon.Warning, _("The local cache is damaged"), said, parent=self)
        box.setInformativeText(
            _("Repair sets the damaged file aside in backups/, keeps your edits not yet synced that can still be read, "
              "and downloads your data again from the shared database.")
        )  # fmt: skip
        box.setDetailedText(str(error.path))
        repair_button = box.addButton(_("Repair now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("Not now"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(repair_button)

        def answered() -> None:
            if box.clickedButton() is repair_button:
                self._waiting_text(_("Repairing the local cache…"))
                self.runner.op(repair, self.workspace, self.first_download.emit, label=_("Repairing the local cache…")
                               ).success(self._repaired).failure(self.report_error).run()  # fmt: skip

        box.finished.connect(answered)
        box.open()
        return box

    def _repaired(self, repaired: Repaired) -> None:
        done = QMessageBox(
            QMessageBox.Icon.Information, _("The local cache was repaired"), repaired.summary(), parent=self
        )
        done.setObjectName("repaired")
        done.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        done.open()
        self.load()

    def _show_busy(self, count: int, label: str) -> None:
        self.busy.setVisible(bool(label))  # quiet background work (the tray's minute look) shows nothing
        if label:
            self.statusBar().showMessage(label)
        else:
            self.statusBar().clearMessage()
            self._drop_retired()

    def _drop_retired(self) -> None:
        """Delete the views of a person who left the desk, once no work of theirs can answer any more."""
        if self.runner.busy == 0:
            for view in self._retired:
                view.deleteLater()
            self._retired.clear()

    def _close_after_editor(self) -> None:
        self._leaving = True
        self.close()

    def report_error(self, error: BaseException) -> None:
        show_error(self, error, self.workspace.home / "crash-reports")

    def current_view(self) -> str:
        return PAGES[self.stack.currentIndex()].key

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.workspace, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_about(self) -> AboutDialog:
        dialog = AboutDialog(self.workspace, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._leaving and self.knowledge_view is not None and self.knowledge_view.unsaved():
            event.ignore()  # an article's unsaved changes: saved or dropped first, as the person says
            self.knowledge_view.leave_editor(self._close_after_editor)
            return
        if self.tray is not None:
            self.tray.stop()
        self._window_settings.setValue("geometry", self.saveGeometry())
        self._window_settings.sync()
        if self.import_wizard is not None:
            self.import_wizard.stop_import()  # an import under way is undone, not cut in half
        self.runner.shutdown()  # waits for the writes under way, not for reads ...
        self.workspace.stop_reading()  # ... which are cut short: nobody waits for their answers
        self.workspace.close()
        super().closeEvent(event)
