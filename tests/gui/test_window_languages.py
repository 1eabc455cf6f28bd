"""The window in Persian and in Arabic: what a person reads there comes from the catalogue in their language, and
the whole window reads right to left.

The language is chosen as a workspace chooses it when it opens (its ``language`` setting, ``console.i18n.choose``),
then given to Qt as ``views.app`` does (``views.look.apply_language``); English is chosen again afterwards, for the
other tests. With ``SUPPORT_CONSOLE_SHOTS`` set, the queue, a ticket and the changes are kept as screenshots in each
language (``shot-fa-queue.png``…).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from console import i18n
from console.i18n import _, p_
from console.store.workspace import Workspace
from console.tickets.queue import Column
from console.words import STAGE_LABELS, STATUS_LABELS
from console.zone import ARABIC_MONTHS, JALALI_MONTHS
from models import TicketStatus
from tests.gui.drive import open_window, save_shot
from views import words
from views.changes.view import ChangeView
from views.look import apply_language
from views.main_window import MainWindow
from views.queue_model import COLUMNS
from views.queue_view import QueueView
from views.ticket_view import TicketView

RTL = Qt.LayoutDirection.RightToLeft
KEPT_IN_LATIN = {"SLA", "ERP", "CAB", "Ctrl", "F"}  # as the glossary keeps them, and the keys
PERSIAN_ONLY = re.compile(r"[پچژگکی]")  # letters Persian has and Arabic has not (ی and ک: not ي and ك)
ARABIC_ONLY = re.compile(r"[يكة]")  # and the other way round

# What a Persian or Arabic reader sees, written here as they read it (not looked up in the catalogue under test).
SIDEBAR = {
    "fa": ["صف تیکت\u200cها", "جزئیات تیکت", "تأیید تغییرات", "شاخص\u200cها", "مشکلات", "پایگاه دانش"],
    "ar": ["قائمة انتظار التذاكر", "تفاصيل التذكرة", "موافقات التغييرات", "المؤشرات", "المشكلات", "المعرفة"],
}
HEADINGS = {
    "fa": ["شماره", "اولویت", "عنوان", "وضعیت", "واحد", "ماژول", "مسئول", "گروه / سطح", "عمر", "SLA"],
    "ar": ["الرقم", "الأولوية", "العنوان", "الحالة", "الوحدة", "ERP", "المُكلَّف", "فريق / مستوى", "العمر", "SLA"],
}  # fmt: skip


@pytest.fixture
def language(request: pytest.FixtureRequest, qapp: QApplication, gui_workspace: Workspace) -> Iterator[str]:
    """The workspace set to a language and opened in it, as a person who chose it in Settings would see it."""
    code = str(request.param)
    gui_workspace.settings.set("language", code)
    i18n.choose(str(gui_workspace.settings.get("language")))  # what Workspace.open does with the setting
    apply_language(qapp)  # and views.app with Qt's own words and the direction
    yield code
    i18n.choose("en")
    apply_language(qapp)


def open_in(qtbot: QtBot, workspace: Workspace) -> tuple[MainWindow, QueueView]:
    window = open_window(qtbot, workspace)
    view = window.queue_view
    assert isinstance(view, QueueView)
    qtbot.waitUntil(lambda: view.count.text() not in ("", _("Reading the queue…")), timeout=20_000)
    assert view.count.text() == words.counted(view.model.total, "ticket")
    return window, view


def english(text: str) -> list[str]:
    """The English words left in a text (not those the glossary keeps in Latin letters, nor key names)."""
    return [word for word in re.findall(r"[A-Za-z]+", text) if word not in KEPT_IN_LATIN]


def visible_texts(widget: QWidget) -> list[str]:
    """The captions of the buttons of a view (what a person reads on them)."""
    from PySide6.QtWidgets import QAbstractButton

    return [b.text() for b in widget.findChildren(QAbstractButton) if b.isVisibleTo(widget) and b.text()]


def headings(window: MainWindow) -> list[str]:
    assert window.queue_view is not None
    model = window.queue_view.model
    return [str(model.headerData(i, Qt.Orientation.Horizontal)) for i in range(model.columnCount())]


@pytest.mark.parametrize("language", ["fa", "ar"], indirect=True)
def test_the_main_views_read_in_the_persons_language_right_to_left(
    qtbot: QtBot, gui_workspace: Workspace, language: str
) -> None:
    window, view = open_in(qtbot, gui_workspace)
    assert QApplication.layoutDirection() == RTL
    assert window.layoutDirection() == RTL
    assert view.table.layoutDirection() == RTL

    # The sidebar and the View menu name the views in the language.
    assert [window.navigation.item(i).text() for i in range(window.navigation.count())] == SIDEBAR[language]
    # The queue's headings, its filters' first choices, its buttons and its count.
    assert headings(window) == HEADINGS[language]
    assert headings(window) == [words.heading(c) for c in COLUMNS]
    filters = [view.status, view.priority, view.unit, view.module, view.tier, view.breaching]
    assert [f.itemText(0) for f in filters] == [
        _("Open"), _("Any priority"), _("Any unit"), _("Any module"), _("Any tier"), _("Any time to breach")
    ]  # fmt: skip
    assert [view.status.itemText(2 + i) for i in range(len(TicketStatus))] == [
        p_("ticket status", STATUS_LABELS[s]) for s in TicketStatus
    ]
    buttons = visible_texts(view)
    assert _("Save view…") in buttons
    assert _("Triage selected") in buttons
    assert view.search.placeholderText() == _("Search number, title, description, notes (Ctrl+F)")
    for text in (*buttons, view.mine.text(), view.count.text(), *(f.itemText(0) for f in filters)):
        assert not english(text), text  # no English left on them
    # Each cell of the status and priority columns in the language too.
    model = view.model
    status, priority = COLUMNS.index(Column.STATUS), COLUMNS.index(Column.PRIORITY)
    shown = {str(model.data(model.index(row, status))) for row in range(min(20, model.rowCount()))}
    assert shown
    assert shown <= {words.status(s) for s in TicketStatus}
    assert not any(english(str(model.data(model.index(row, priority)))) for row in range(5))
    # Persian written with Persian letters, Arabic with Arabic ones.
    everything = " ".join([*SIDEBAR[language], *headings(window), *buttons])
    if language == "fa":
        assert not ARABIC_ONLY.search(everything)
    else:
        assert not PERSIAN_ONLY.search(everything)
    save_shot(window, f"shot-{language}-queue")

    # A ticket: its fields, buttons and tabs.
    first = model.row_at(0)
    assert first is not None
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        window.open_ticket(first.number)
    assert ticket.layoutDirection() == RTL
    assert [ticket.tabs.tabText(i) for i in range(ticket.tabs.count())] == [
        _("Notes"), _("History"), _("SLA"), _("Links"), _("Attachments")
    ]  # fmt: skip
    assert ticket.status.text() == words.status(TicketStatus(ticket.detail.row["status"]))  # type: ignore[union-attr]
    assert _("Add note") in visible_texts(ticket)
    assert _("Assign to me (A)") in visible_texts(ticket)
    if language == "fa":
        assert ticket.tabs.tabText(0) == "یادداشت\u200cها"
        assert "واگذاری به من (A)" in visible_texts(ticket)
    save_shot(window, f"shot-{language}-ticket")

    # The changes: the list's headings, the buttons, the tabs.
    window.navigation.setCurrentRow(2)
    changes = window.change_view
    assert isinstance(changes, ChangeView)
    qtbot.waitUntil(lambda: changes.count.text() != _("Reading changes…"), timeout=20_000)
    if changes.model.changes:
        qtbot.waitUntil(lambda: changes.detail is not None, timeout=20_000)
    assert changes.layoutDirection() == RTL
    change_headings = [str(changes.model.headerData(i, Qt.Orientation.Horizontal)) for i in range(8)]
    assert change_headings[0] == _("Change")
    assert change_headings[3] == _("Stage")
    assert all(changes.model.rows[r][3] in {p_("change stage", s) for s in STAGE_LABELS.values()}
               for r in range(len(changes.model.rows)))  # fmt: skip
    assert [changes.tabs.tabText(i) for i in range(2)] == [_("Changes"), _("Calendar")]
    assert _("&New change…") in visible_texts(changes)
    if language == "ar":
        assert changes.tabs.tabText(1) == "التقويم"
        assert _("&Approve…") == "&موافقة…"
    save_shot(window, f"shot-{language}-changes")


def save_with_menu(window: MainWindow, menu: QMenu, name: str) -> None:
    """A screenshot of the window with one of its menus open (``save_shot`` grabs the window alone: a menu is a
    window of its own), when SUPPORT_CONSOLE_SHOTS names a folder."""
    folder = os.environ.get("SUPPORT_CONSOLE_SHOTS")
    if not folder:
        return
    QApplication.processEvents()
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(window.mapFromGlobal(menu.pos()), menu.grab())
    painter.end()
    Path(folder).mkdir(parents=True, exist_ok=True)
    picture.save(str(Path(folder) / f"{name}.png"))


@pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")  # the menu opened offscreen
@pytest.mark.parametrize("language", ["fa", "ar"], indirect=True)
def test_the_menus_and_the_status_bar_read_in_the_persons_language(
    qtbot: QtBot, gui_workspace: Workspace, language: str
) -> None:
    window, _view = open_in(qtbot, gui_workspace)
    menus = window.menuBar().actions()
    assert [action.text() for action in menus] == {"fa": ["&فایل", "&نما", "&راهنما"],
                                                   "ar": ["&ملف", "&عرض", "&تعليمات"]}[language]  # fmt: skip
    for action in menus:
        menu = action.menu()
        assert isinstance(menu, QMenu)
        items = [item.text().replace("Support Console", "") for item in menu.actions() if item.text()]
        assert items
        for text in items:
            assert not english(text), text
        # one accelerator letter per menu, none of them on a letter of another item
        keys = [text[text.index("&") + 1] for text in items if "&" in text]
        assert len(keys) == len(set(keys)), items
    assert window.import_action.text() == {"fa": "&ورود تیکت\u200cها…", "ar": "ا&ستيراد التذاكر…"}[language]
    # The status bar: who works here and in which role, the cache's count, how sync stands.
    assert window.actor is not None
    assert window.status_user.text() == _("User: {name} ({role})").format(
        name=window.actor.display_name, role=words.role(window.actor.role)
    )
    qtbot.waitUntil(lambda: _("Cache: {count}").split("{")[0] in window.status_cache.text()
                    and "…" not in window.status_cache.text(), timeout=20_000)  # fmt: skip
    for label in (window.status_cache, window.status_sync):
        assert not english(label.text()), label.text()
    assert not english(window.status_user.text().replace(window.actor.display_name, ""))
    assert window.status_shared.text().startswith(_("Shared: {where}").split("{")[0])
    file_menu = menus[0].menu()
    assert isinstance(file_menu, QMenu)
    file_menu.popup(window.mapToGlobal(window.menuBar().actionGeometry(menus[0]).bottomLeft()))
    save_with_menu(window, file_menu, f"shot-{language}-menu-file")
    file_menu.hide()


@pytest.mark.parametrize("language", ["fa", "ar"], indirect=True)
def test_dates_and_numbers_read_whole_in_right_to_left_cells(
    qtbot: QtBot, gui_workspace: Workspace, language: str
) -> None:
    """Text in Latin letters and digits that starts with a number ("09 Dec 2026 18:00–21:00", "0 of 13") is split
    by the bidirectional algorithm into runs a right-to-left cell orders from the right ("Dec 2026 18:00–21:00 09");
    the window isolates it left to right (``views.words.isolated``: U+2066 … U+2069) where it puts it in a cell or a
    sentence. A moment itself is written in the person's calendar, with its month's name in their letters
    ("۲۲ فروردین ۱۴۰۵ ۰۵:۲۹", "11 أبريل 2026 05:29"): it reads right to left as it is, and is left so."""
    assert words.isolated("09 Dec 2026 18:00–21:00") == "\u206609 Dec 2026 18:00–21:00\u2069"
    assert words.isolated("0 of 13") == f"{words.LRI}0 of 13{words.PDI}"
    assert words.isolated(words.isolated("18:00–21:00")) == f"{words.LRI}18:00–21:00{words.PDI}"  # once
    window, view = open_in(qtbot, gui_workspace)
    first = view.model.row_at(0)
    assert first is not None
    # The queue: a ticket's number kept whole, its status as it is.
    number = view.model.data(view.model.index(0, COLUMNS.index(Column.NUMBER)))
    assert number == f"{words.LRI}{first.number}{words.PDI}"
    assert view.model.data(view.model.index(0, COLUMNS.index(Column.STATUS))) == words.status(first.status)
    # A ticket's history: its moments in the person's calendar, shown as they are; a tier's number isolated.
    ticket = window.ticket_page()
    assert isinstance(ticket, TicketView)
    with qtbot.waitSignal(ticket.loaded, timeout=20_000):
        window.open_ticket(first.number)
    history = ticket.history
    written = history.rows[0][0]  # when
    month = {"fa": JALALI_MONTHS, "ar": ARABIC_MONTHS}[language]
    assert written.split()[1] in month, written
    assert history.data(history.index(0, 0)) == written
    cells = [(row, column) for row in range(len(history.rows)) for column in (3, 4)]
    latin = [(r, c) for r, c in cells if history.rows[r][c][:1].isdigit() and history.rows[r][c].isascii()]
    assert latin, history.rows  # the demo's tickets change tier: "1" → "2"
    for row, column in latin:
        assert history.data(history.index(row, column)) == f"{words.LRI}{history.rows[row][column]}{words.PDI}"
    assert history.data(history.index(0, 2)) == history.rows[0][2]  # the field's name, in the language
    ticket.tabs.setCurrentIndex(1)
    save_shot(window, f"shot-{language}-ticket-history")
    # English needs none of it.
    i18n.choose("en")
    assert words.isolated("09 Dec 2026 18:00–21:00") == "09 Dec 2026 18:00–21:00"
    i18n.choose(language)


def untranslated(words_by_context: dict[str | None, tuple[str, ...]]) -> list[str]:
    """The words of ``words_by_context`` the Persian or the Arabic catalogue has no translation of."""
    missing = []
    for code in ("fa", "ar"):
        book = i18n.catalogue(code)
        for context, texts in words_by_context.items():
            for text in texts:
                said = book.pgettext(context, text) if context else book.gettext(text)
                if said == text and text != "SLA":
                    missing.append(f"{code}: {context or ''} {text!r}")
    return missing


def test_every_word_the_window_takes_from_console_is_in_the_catalogue() -> None:
    """``views.words`` translates words console/ writes in English (the queue's headings, the fields of a
    ticket's history, the SLA evidence's headings, the charts' titles); each has a Persian and an Arabic
    translation (it is marked in ``views.words._marks``, so that `make catalogues` keeps it)."""
    from console.metrics.charts import CHARTS

    found = dict(words.ALL_WORDS)
    found[None] = (*found[None], *(title for title, _draw in CHARTS.values()))
    assert untranslated(found) == []


def test_the_words_of_states_are_in_the_catalogue() -> None:
    """Statuses, stages, problem statuses and SLA states, as the queue, the ticket and the change list show them."""
    assert untranslated(words.STATE_WORDS) == []
