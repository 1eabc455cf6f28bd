"""Suggestions where the work is, driven as a person would: a title typed in the new-ticket dialog brings the demo's
known error, its article and the tickets resolved like it into the panel beside the form (asked once the typing
pauses, never once a keystroke); Tab reaches the lists and Enter opens an item; the ticket detail's Suggestions tab
leaves the ticket itself out and links a suggested article, as the database then holds. In English and in Persian.

With ``SUPPORT_CONSOLE_SHOTS`` set, the panels are kept as screenshots (``suggest_new.png``, ``suggest_ticket.png``,
``suggest_new_fa.png``…)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QTreeWidget, QTreeWidgetItem, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from console import i18n
from console.access import Actor, load_actor
from console.desk import Desk
from console.problems.rules import KNOWN
from console.problems.similar import Suggestions
from console.store.workspace import Workspace
from models import ArticleStatus, ErpModule, Impact, KnowledgeArticle, Problem, Urgency, ticket_articles
from tests import clock
from tests.gui.drive import save_shot, worked_finance_ticket
from views.look import apply_language
from views.new_ticket import NewTicketDialog
from views.suggestions_panel import SuggestionsPanel
from views.tasks import TaskRunner
from views.ticket_view import TicketView

WAIT = 20_000
RTL = Qt.LayoutDirection.RightToLeft


class Counted:
    """``Desk.suggestions`` with its calls counted (what the panel asked the database, and with what)."""

    def __init__(self, desk: Desk) -> None:
        self.asked: list[tuple[Any, ...]] = []
        self._real: Callable[..., Suggestions] = desk.suggestions
        desk.suggestions = self  # type: ignore[method-assign,assignment]

    def __call__(self, *args: Any) -> Suggestions:
        self.asked.append(args)
        return self._real(*args)


def me(workspace: Workspace) -> Actor:
    with workspace.cache().connect() as conn:
        return load_actor(conn, str(workspace.settings.get("user")))


def item(tree: QTreeWidget, row: int) -> QTreeWidgetItem:
    found = tree.topLevelItem(row)
    assert found is not None
    return found


def rows(tree: QTreeWidget) -> list[list[str]]:
    """What a list shows, row by row."""
    return [
        [item(tree, r).text(c) for c in range(tree.columnCount()) if not tree.isColumnHidden(c)]
        for r in range(tree.topLevelItemCount())
    ]


def numbers(tree: QTreeWidget) -> list[str]:
    return [row[0] for row in rows(tree)]


def known_error_with_article(workspace: Workspace) -> tuple[str, str, str, str, str]:
    """A known error of the demo with a workaround and a published article on the same symptom: the symptom as a
    person would type it, the known error's number and workaround, the article's number and title."""
    with workspace.cache().connect() as conn:
        known = conn.execute(
            select(Problem.number, Problem.title, Problem.workaround)
            .where(Problem.status.in_(KNOWN), Problem.workaround.is_not(None)).order_by(Problem.number)
        ).all()  # fmt: skip
        articles = conn.execute(
            select(KnowledgeArticle.number, KnowledgeArticle.title).where(
                KnowledgeArticle.status == ArticleStatus.PUBLISHED, KnowledgeArticle.title.startswith("How to fix: ")
            )
        ).all()
    by_symptom = {title.removeprefix("How to fix: "): (number, title) for number, title in articles}
    for number, title, workaround in known:
        symptom = title.removeprefix("Recurring: ")
        if symptom in by_symptom:
            typed = " ".join(symptom.replace("…", "4711").split())
            return typed, number, workaround or "", *by_symptom[symptom]
    raise AssertionError("the demo has no known error with a published article on its symptom")


def type_in(widget: QWidget, text: str) -> None:
    """Type ``text`` key by key as a Persian keyboard sends it: QTest's keyClicks takes only Latin letters."""
    for letter in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, letter))


def new_ticket(qtbot: QtBot, desk: Desk) -> NewTicketDialog:
    dialog = NewTicketDialog(desk, TaskRunner(), desk.queue_choices())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


@pytest.fixture
def persian(qapp: QApplication, gui_workspace: Workspace) -> Iterator[str]:
    """The workspace in Persian, as tests/gui/test_window_languages.py opens it; English again afterwards."""
    gui_workspace.settings.set("language", "fa")
    i18n.choose("fa")
    apply_language(qapp)
    yield "fa"
    i18n.choose("en")
    apply_language(qapp)


def test_typing_a_title_suggests_the_known_error_and_its_article(qtbot: QtBot, gui_workspace: Workspace) -> None:
    typed, problem, workaround, article, article_title = known_error_with_article(gui_workspace)
    desk = Desk(gui_workspace, me(gui_workspace))
    counted = Counted(desk)
    dialog = new_ticket(qtbot, desk)
    panel = dialog.suggestions
    assert panel.lead.text() == "What is known about this shows here as you type."  # nothing typed, nothing asked
    assert counted.asked == []
    dialog.resize(1000, 620)
    save_shot(dialog, "suggest_new_empty")

    qtbot.keyClicks(dialog.title, typed)  # as fast as a person types, and faster
    qtbot.waitUntil(lambda: problem in numbers(panel.known_errors), timeout=WAIT)
    qtbot.waitUntil(lambda: not panel.waiting, timeout=WAIT)
    assert 1 <= len(counted.asked) < len(typed)  # once the typing paused, not once a keystroke
    assert counted.asked[-1][0] == typed
    assert numbers(panel.known_errors)[0] == problem
    assert rows(panel.known_errors)[0][1].startswith("Recurring: ")
    # the best one's workaround, beneath the list
    assert panel.workaround.text() == f"Workaround: {workaround}"
    assert [article, article_title] in rows(panel.articles)
    assert not panel.link_button.isVisible()  # no ticket yet to link it to
    assert panel.tickets.topLevelItemCount() > 0  # tickets resolved like it
    for number, title, day in rows(panel.tickets):
        assert number[:3] in ("INC", "REQ")
        assert title
        assert day
        assert "T" not in day  # a day in words ("27 Nov 2026"), not an ISO moment
        assert ":" not in day
    assert panel.lead.text() == "Most alike first. Enter or a double click opens one."

    save_shot(dialog, "suggest_new")

    asked = len(counted.asked)
    dialog.module.setCurrentIndex(dialog.module.findText("TEC"))  # another module: asked again, ranked for it
    qtbot.waitUntil(lambda: len(counted.asked) == asked + 1 and not panel.waiting, timeout=WAIT)
    with desk.workspace.cache().connect() as conn:
        tec = conn.execute(select(ErpModule.id).where(ErpModule.code == "TEC")).scalar_one()
    assert counted.asked[-1][2] == uuid.UUID(str(tec))

    dialog.title.clear()
    qtbot.keyClicks(dialog.title, "the and of")  # only stop words: nothing to look for
    qtbot.waitUntil(lambda: not panel.waiting and panel.lead.text() == "Nothing similar found.", timeout=WAIT)
    assert panel.known_errors.topLevelItemCount() == 0
    none = dialog.findChild(QLabel, "suggested-known-errors-none")
    assert none is not None
    assert none.text() == "none found"


def test_an_older_answer_is_dropped_for_the_newer_question(qtbot: QtBot, gui_workspace: Workspace) -> None:
    typed, problem, _workaround, _article, _title = known_error_with_article(gui_workspace)
    desk = Desk(gui_workspace, me(gui_workspace))
    counted = Counted(desk)
    panel = SuggestionsPanel(desk, TaskRunner())
    qtbot.addWidget(panel)
    shown: list[Suggestions] = []
    panel.shown.connect(shown.append)
    shown.clear()
    panel.ask("Goods receipt posted to the wrong warehouse")
    panel._delay.stop()
    panel._ask_now()  # the pause is over: the first question is on the worker…
    panel.ask(typed)  # …when the person types on
    qtbot.waitUntil(lambda: not panel.waiting, timeout=WAIT)
    assert [args[0] for args in counted.asked] == ["Goods receipt posted to the wrong warehouse", typed]
    assert len(shown) == 1  # the first answer came, and was not shown
    assert problem in numbers(panel.known_errors)
    assert panel.showing is not None
    assert panel.showing.title == typed
    panel.ask(typed)  # the same again (a reload): nothing asked
    qtbot.waitUntil(lambda: not panel.waiting, timeout=WAIT)
    assert len(counted.asked) == 2


def test_tab_reaches_the_lists_and_enter_opens(qtbot: QtBot, gui_workspace: Workspace) -> None:
    typed, problem, _workaround, article, _title = known_error_with_article(gui_workspace)
    dialog = new_ticket(qtbot, Desk(gui_workspace, me(gui_workspace)))
    panel = dialog.suggestions
    qtbot.keyClicks(dialog.title, typed)
    qtbot.waitUntil(lambda: problem in numbers(panel.known_errors) and not panel.waiting, timeout=WAIT)
    dialog.activateWindow()
    dialog.title.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.title, timeout=WAIT)
    reached: list[QTreeWidget] = []
    for _ in range(20):  # the form's fields, then the lists beside it
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if isinstance(focused, QTreeWidget):
            reached.append(focused)
        if focused is panel.tickets:
            break
    assert reached == [panel.articles, panel.known_errors, panel.tickets]

    ticket = item(panel.tickets, 0).text(0)
    with qtbot.waitSignal(dialog.open_ticket, timeout=WAIT) as opened:
        qtbot.keyClick(panel.tickets, Qt.Key.Key_Return)  # the first row, current once Tab reached the list
    assert opened.args == [ticket]
    qtbot.keyClick(panel.tickets, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is panel.known_errors
    with qtbot.waitSignal(dialog.open_problem, timeout=WAIT) as opened:
        qtbot.keyClick(panel.known_errors, Qt.Key.Key_Return)
    assert opened.args == [problem]
    row = numbers(panel.articles).index(article)
    rect = panel.articles.visualItemRect(item(panel.articles, row))
    with qtbot.waitSignal(dialog.open_article, timeout=WAIT) as opened:  # a double click, as a mouse sends it
        qtbot.mouseClick(panel.articles.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.articles.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [article]


def test_the_ticket_leaves_itself_out_of_its_suggestions(qtbot: QtBot, gui_workspace: Workspace) -> None:
    desk = Desk(gui_workspace, me(gui_workspace))
    resolved = desk.suggestions("Goods receipt posted to the wrong warehouse").tickets
    assert len(resolved) >= 2
    itself = resolved[0]
    detail = desk.ticket(itself.number)
    row = detail.row
    alike = desk.suggestions(row["title"], row["description"] or "", row["module_id"])
    assert itself.number in [t.number for t in alike.tickets]  # the best match of its own words: itself

    view = TicketView(desk, TaskRunner())
    qtbot.addWidget(view)
    view.resize(1060, 760)
    view.show()
    with qtbot.waitSignal(view.suggestions.shown, timeout=WAIT):
        view.open(itself.number)
    listed = numbers(view.suggestions.tickets)
    assert listed, "tickets resolved like it"
    assert itself.number not in listed
    assert set(listed) <= {t.number for t in alike.tickets} | {t.number for t in desk.suggestions(
        row["title"], row["description"] or "", row["module_id"], row["id"]).tickets}  # fmt: skip
    count = sum(tree.topLevelItemCount() for tree in (view.suggestions.articles, view.suggestions.known_errors,
                                                       view.suggestions.tickets))  # fmt: skip
    assert view.suggestions_toggle.text() == f"Suggestions ({count})"  # counted while closed
    assert view.suggestions.isHidden()


def test_link_article_from_the_ticket_suggestions(qtbot: QtBot, gui_workspace: Workspace) -> None:
    with gui_workspace.cache().connect() as conn:
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        article_id, article, title = conn.execute(
            select(KnowledgeArticle.id, KnowledgeArticle.number, KnowledgeArticle.title).where(
                KnowledgeArticle.status == ArticleStatus.PUBLISHED, KnowledgeArticle.module_id == fin,
                KnowledgeArticle.title.startswith("How to fix: ")).order_by(KnowledgeArticle.number).limit(1)
        ).one()  # fmt: skip
    typed = " ".join(title.removeprefix("How to fix: ").replace("…", "4711").split())
    number, _fin = worked_finance_ticket(gui_workspace, clock.now(), typed, Impact.MEDIUM, Urgency.HIGH)
    desk = Desk(gui_workspace, me(gui_workspace))
    view = TicketView(desk, TaskRunner())
    qtbot.addWidget(view)
    view.resize(1060, 760)
    view.show()
    with qtbot.waitSignal(view.suggestions.shown, timeout=WAIT):
        view.open(number)
    assert view.detail is not None
    ticket_id = view.detail.row["id"]
    panel = view.suggestions
    assert panel.isHidden()
    qtbot.mouseClick(view.suggestions_toggle, Qt.MouseButton.LeftButton)  # opened
    assert panel.isVisible()
    assert panel.link_button.isVisible()
    assert not panel.link_button.isEnabled()  # no article chosen yet
    assert article in numbers(panel.articles)
    assert rows(panel.articles)[numbers(panel.articles).index(article)] == [article, title, ""]
    panel.articles.setCurrentItem(item(panel.articles, numbers(panel.articles).index(article)))
    assert panel.link_button.isEnabled()
    save_shot(view, "suggest_ticket")

    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        qtbot.mouseClick(panel.link_button, Qt.MouseButton.LeftButton)
    with gui_workspace.cache().connect() as conn:
        links = conn.execute(
            select(ticket_articles.c.article_id).where(ticket_articles.c.ticket_id == ticket_id)
        ).scalars().all()  # fmt: skip
    assert [uuid.UUID(str(a)) for a in links] == [uuid.UUID(str(article_id))]
    assert ["article", article, title] in view.links.rows  # as "Link article…" shows it
    linked = rows(panel.articles)[numbers(panel.articles).index(article)]
    assert linked == [article, title, "linked"]
    assert not panel.link_button.isEnabled()  # not offered twice
    save_shot(view, "suggest_ticket_linked")


def test_in_persian_the_panel_reads_right_to_left(qtbot: QtBot, gui_workspace: Workspace, persian: str) -> None:
    with gui_workspace.cache().connect() as conn:
        article, title = conn.execute(
            select(KnowledgeArticle.number, KnowledgeArticle.title).where(
                KnowledgeArticle.status == ArticleStatus.PUBLISHED, KnowledgeArticle.language == "fa"
            ).order_by(KnowledgeArticle.number).limit(1)
        ).one()  # fmt: skip
    typed = " ".join(title.removeprefix("راهنما: ").replace("…", "").split())
    typed_latin = known_error_with_article(gui_workspace)[0]
    dialog = new_ticket(qtbot, Desk(gui_workspace, me(gui_workspace)))
    panel = dialog.suggestions
    assert panel.layoutDirection() == RTL
    type_in(dialog.title, typed)
    assert dialog.title.text() == typed
    qtbot.waitUntil(lambda: article in [n.strip("\u2066\u2069") for n in numbers(panel.articles)], timeout=WAIT)
    assert panel.lead.isVisible()
    dialog.resize(1000, 620)
    save_shot(dialog, f"suggest_new_{persian}")
    dialog.title.clear()
    qtbot.keyClicks(dialog.title, typed_latin)
    qtbot.waitUntil(lambda: panel.tickets.topLevelItemCount() > 0 and not panel.waiting, timeout=WAIT)
    for _number, _title, day in rows(panel.tickets):
        assert any("\u06f0" <= c <= "\u06f9" for c in day)  # a Jalali day in Persian digits
    save_shot(dialog, f"suggest_new_{persian}_latin")


def test_in_persian_the_ticket_strip_reads_right_to_left(qtbot: QtBot, gui_workspace: Workspace, persian: str) -> None:
    desk = Desk(gui_workspace, me(gui_workspace))
    typed = known_error_with_article(gui_workspace)[0]
    resolved = desk.suggestions(typed).tickets
    assert resolved
    view = TicketView(desk, TaskRunner())
    qtbot.addWidget(view)
    view.resize(1060, 760)
    view.show()
    with qtbot.waitSignal(view.suggestions.shown, timeout=WAIT):
        view.open(resolved[0].number)
    assert view.suggestions_toggle.arrowType() == Qt.ArrowType.LeftArrow  # closed, pointing the way Persian reads
    view.suggestions_toggle.click()
    assert view.suggestions_toggle.arrowType() == Qt.ArrowType.DownArrow
    assert view.suggestions.layoutDirection() == RTL
    assert view.suggestions.known_errors.topLevelItemCount() > 0
    save_shot(view, f"suggest_ticket_{persian}")
