"""The tray icon: the tickets about to breach in its menu, and a notification when one of yours reaches its
warning mark, which opens the queue on those tickets when clicked.

Every minute, and after every edit, one read (``Desk.breach_watch``) answers both questions for the moment it
runs: the tickets due within ``breach_horizon_hours``, and this person's tickets whose warning mark fell
between the previous look and this one — so each crossing is seen once, by one look. The menu is built by
``fill_menu`` and the notification decided by ``BreachTray.take``, both driven directly by the tests: where
the desktop has no tray (or the offscreen platform), there is no icon and nothing else changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

import resources
from console.desk import BreachWatch, Desk
from console.i18n import _, n_
from console.journal.touched import Touched
from console.store.settings import Settings
from console.tickets.queue import QueueFilter, QueueRow
from views import words
from views.look import APP_NAME
from views.queue_view import BREACHING
from views.tasks import TaskRunner

WATCH_MS = 60_000  # how often the tray looks again (and after every edit)
MENU_ROWS = 10
NOTIFIED_ROWS = 3  # tickets named in one notification; the rest are "and N more"
SHOWN_MS = 15_000
TITLE_CHARS = 48


@dataclass(frozen=True)
class TrayActions:
    """What the menu's entries do (the main window's own actions)."""

    open_ticket: Callable[[str], None]
    show_queue: Callable[[QueueFilter], None]
    show_window: Callable[[], object]
    set_notify: Callable[[bool], None]
    quit: Callable[[], object]


def breaching_filter(hours: float, *, mine: bool = False) -> QueueFilter:
    """The queue's filter closest to "due within ``hours``": its own choices are 4, 24 and 72 hours."""
    choices = sorted(h for _label, h in BREACHING if h is not None)
    covering = next((h for h in choices if h >= hours), None)
    return QueueFilter(mine=mine, breaching_within_hours=covering)


def entry_text(row: QueueRow, now: datetime) -> str:
    """A ticket in the menu: number, time left on its running clock, priority and title."""
    left = words.countdown(row.due_at - now) if row.due_at is not None else "—"
    title = row.title if len(row.title) <= TITLE_CHARS else row.title[: TITLE_CHARS - 1].rstrip() + "…"
    return f"{row.number} · {left} · {words.priority(row.priority)} · {title}"


def fill_menu(menu: QMenu, watch: BreachWatch, hours: int, notify: bool, actions: TrayActions) -> list[QAction]:
    """The tray's menu for what ``watch`` read; its entries, in order."""
    menu.clear()
    count = watch.soon_total
    heading = menu.addAction(
        n_("{n} ticket due within {hours} h", "{n} tickets due within {hours} h", count).format(
            n=f"{count:,}", hours=hours
        )
        if count
        else _("Nothing due within {hours} h").format(hours=hours)
    )
    heading.setObjectName("tray-heading")
    heading.setEnabled(False)
    for row in watch.soon:
        entry = menu.addAction(entry_text(row, watch.at))
        entry.setObjectName("tray-ticket")
        entry.setToolTip(row.title)
        entry.triggered.connect(lambda _checked=False, number=row.number: actions.open_ticket(number))
    if count > len(watch.soon):
        more = menu.addAction(_("All {n} in the queue…").format(n=f"{count:,}"))
        more.triggered.connect(lambda _checked=False: actions.show_queue(breaching_filter(hours)))
    menu.addSeparator()
    menu.addAction(_("Show Support Console")).triggered.connect(lambda _checked=False: actions.show_window())
    toggle = menu.addAction(_("Notify me when my tickets reach their warning mark"))
    toggle.setObjectName("tray-notify")
    toggle.setCheckable(True)
    toggle.setChecked(notify)
    toggle.toggled.connect(actions.set_notify)
    menu.addSeparator()
    menu.addAction(_("Quit")).triggered.connect(lambda _checked=False: actions.quit())
    return menu.actions()


def notification(rows: list[QueueRow], now: datetime) -> tuple[str, str]:
    """The title and text of the notification for these tickets of mine."""
    title = (
        _("{number} reached its warning mark").format(number=rows[0].number)
        if len(rows) == 1
        else n_(
            "{n} of your tickets reached their warning mark",
            "{n} of your tickets reached their warning mark",
            len(rows),
        ).format(n=len(rows))
    )
    lines = [entry_text(row, now) for row in rows[:NOTIFIED_ROWS]]
    if len(rows) > NOTIFIED_ROWS:
        lines.append(_("and {n} more").format(n=len(rows) - NOTIFIED_ROWS))
    return title, "\n".join(lines)


class BreachTray(QObject):
    """The tray icon (when the desktop has a tray) and the looks behind its menu and notifications."""

    checked = Signal(object)  # the BreachWatch read, once the menu shows it
    notified = Signal(str, str, object)  # a notification's title, text and rows (shown by the icon, if any)

    def __init__(self, desk: Desk, runner: TaskRunner, settings: Settings, actions: TrayActions, parent: QObject):
        super().__init__(parent)
        self.desk, self.runner, self.settings, self.actions = desk, runner, settings, actions
        self.since: datetime | None = None  # the last look: only what crosses after it is news
        self.told: set[uuid.UUID] = set()  # tickets already notified (a look never repeats one)
        self.clicked_filter = QueueFilter(mine=True)
        self.menu = QMenu()
        self.menu.setObjectName("tray-menu")
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(QIcon(str(resources.path("icons/app.svg"))), self)
            self.icon.setToolTip(APP_NAME)
            self.icon.setContextMenu(self.menu)
            self.icon.messageClicked.connect(self.open_notified)
        self.timer = QTimer(self)
        self.timer.setInterval(WATCH_MS)
        self.timer.timeout.connect(self.check)
        self._looking = False
        self._again = False

    @property
    def hours(self) -> int:
        return int(self.settings.get("breach_horizon_hours"))

    @property
    def notifying(self) -> bool:
        return bool(self.settings.get("notify_warnings"))

    def start(self) -> None:
        """Look now, then every minute and after every edit."""
        self.runner.edited.connect(self._edited)
        if self.icon is not None:
            self.icon.show()
        self.timer.start()
        self.check()

    def stop(self) -> None:
        self.timer.stop()
        if self.icon is not None:
            self.icon.hide()

    def _edited(self, touched: Touched) -> None:
        if touched.any_ticket:
            self.check()

    def check(self) -> None:
        """Read what is about to breach and what of mine crossed its warning mark since the last look."""
        if self._looking:
            self._again = True
            return
        self._looking = True
        since = self.since if self.notifying else None
        look = self.runner.op(self.desk.breach_watch, self.hours, MENU_ROWS, since, label="")  # quiet: every minute
        look.success(self.take).failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        self._looking = False
        self.runner.unhandled_failure.emit(error)

    def take(self, watch: BreachWatch) -> None:
        """Show a look's answer: the menu, and a notification for my tickets that crossed since the last look
        (once each, and only while notifications are on)."""
        self._looking = False
        self.since = watch.at
        fill_menu(self.menu, watch, self.hours, self.notifying, self.actions)
        if self.icon is not None:
            due = _("{n} due within {hours} h").format(n=f"{watch.soon_total:,}", hours=self.hours)
            self.icon.setToolTip(f"{APP_NAME} · {due}")
        fresh = [row for row in watch.crossed if row.id not in self.told]
        self.told |= {row.id for row in fresh}
        if fresh and self.notifying:
            self.tell(fresh, watch.at)
        self.checked.emit(watch)
        if self._again:
            self._again = False
            self.check()

    def tell(self, rows: list[QueueRow], now: datetime) -> None:
        title, text = notification(rows, now)
        longest = max((row.due_at - now for row in rows if row.due_at is not None), default=timedelta())
        self.clicked_filter = breaching_filter(longest.total_seconds() / 3600, mine=True)
        if self.icon is not None:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, SHOWN_MS)
        self.notified.emit(title, text, rows)

    def open_notified(self) -> None:
        """The notification was clicked: the queue on my tickets near breach."""
        self.actions.show_queue(self.clicked_filter)
