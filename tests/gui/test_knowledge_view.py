"""The knowledge view driven by the people who use it, each at their own desk (a view with their user): the demo's
articles listed (Ctrl+6 in the window) and searched, in English and in Persian typed on either keyboard; an article
read, its Markdown laid out, a Persian one right to left; a consultant writing an article, editing it (a version
more), sending it to review, and its reviewer — not its author — publishing it; an edit refused because someone
changed the text meanwhile, with nothing typed lost; leaving unsaved changes asks first; a rating counted; a
super-user reading published articles only; an export to HTML and PDF. Each checked against the cache.

With ``SUPPORT_CONSOLE_SHOTS`` set, the screens are kept (``knowledge-list.png``, ``knowledge-editor.png``…)."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QTextDocument, QTextTable
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from console.access import Actor, load_actor
from console.desk import Desk
from console.journal.intents import EditArticle, LinkArticle
from console.knowledge.lists import ArticleDetail
from console.store.workspace import Workspace
from models import (
    ArticleFeedback,
    ArticleStatus,
    ArticleVersion,
    KnowledgeArticle,
    Role,
    Ticket,
    TicketStatus,
    User,
    ticket_articles,
)
from tests.gui.drive import become_super_user, open_window, save_shot
from views.knowledge_model import Column
from views.knowledge_view import EDITING, READING, KnowledgeView
from views.tasks import TaskRunner

A = ArticleStatus
WAIT = 20_000
VIEW_SIZE = (1060, 760)  # about what the main window gives a view at its default 1280×800
RTL, LTR = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight


def person(workspace: Workspace, role: Role, nth: int = 0) -> Actor:
    with workspace.cache().connect() as conn:
        logins = conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login))
        return load_actor(conn, logins.scalars().all()[nth])


def knowledge_view(qtbot: QtBot, workspace: Workspace, actor: Actor) -> KnowledgeView:
    """One person's knowledge view, its list read and its filters' and editor's choices with it."""
    view = KnowledgeView(Desk(workspace, actor), TaskRunner())
    qtbot.addWidget(view)
    view.resize(*VIEW_SIZE)
    view.show()
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.start()
    qtbot.waitUntil(lambda: bool(view.modules) and bool(view.editor.people) and view.pending.count == 0, timeout=WAIT)
    return view


def listed(view: KnowledgeView) -> set[str]:
    return set(view.model.numbers())


def numbers_in_cache(workspace: Workspace, *where: object) -> set[str]:
    with workspace.cache().connect() as conn:
        return set(conn.execute(select(KnowledgeArticle.number).where(*where)).scalars())  # type: ignore[arg-type]


def stored(workspace: Workspace, number: str) -> dict[str, object]:
    with workspace.cache().connect() as conn:
        return dict(conn.execute(select(KnowledgeArticle).where(KnowledgeArticle.number == number)).one()._mapping)


def shown(view: KnowledgeView) -> ArticleDetail | None:
    return view.reader.detail


def opened(qtbot: QtBot, view: KnowledgeView, number: str) -> ArticleDetail:
    """Ask the view for the article, as a link would, and wait until the reader shows it."""
    view.show_article(number)
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).number == number and view.pending.count == 0,  # type: ignore[union-attr]
                    timeout=WAIT)  # fmt: skip
    detail = shown(view)
    assert detail is not None
    return detail


def type_in(widget: QWidget, text: str) -> None:
    """Type ``text`` key by key as a keyboard sends it (QTest's keyClicks takes neither Persian nor a new line)."""
    for letter in text:
        key = Qt.Key.Key_Return if letter == "\n" else Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, letter))


def search(qtbot: QtBot, view: KnowledgeView, text: str) -> None:
    """Type in the search box and wait for the list the pause in the typing reads (no Enter: the debounce)."""
    view.search.clear()
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        type_in(view.search, text)


def blocks(document: QTextDocument) -> list[tuple[str, int, Qt.LayoutDirection]]:
    """Each paragraph of a laid-out article: its text, its heading level (0: none) and its direction."""
    found = []
    block = document.begin()
    while block.isValid():
        found.append((block.text(), block.blockFormat().headingLevel(), block.blockFormat().layoutDirection()))
        block = block.next()
    return found


def first_table(document: QTextDocument) -> QTextTable:
    table = next(f for f in document.rootFrame().childFrames() if isinstance(f, QTextTable))
    assert isinstance(table, QTextTable)
    return table


def cell_text(table: QTextTable, row: int, column: int) -> str:
    cell = table.cellAt(row, column)
    cursor = cell.firstCursorPosition()
    cursor.setPosition(cell.lastCursorPosition().position(), cursor.MoveMode.KeepAnchor)
    return cursor.selectedText()


def test_ctrl_6_shows_the_demos_articles_and_the_search_narrows_them(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "knowledge"
    assert window.navigation.currentItem().text() == "Knowledge"
    view = window.knowledge_view
    assert view is not None
    assert window.stack.currentWidget() is view
    tester = QAbstractItemModelTester(view.model, QAbstractItemModelTester.FailureReportingMode.Warning)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and shown(view) is not None and view.pending.count == 0,
                    timeout=WAIT)  # fmt: skip
    everything = numbers_in_cache(gui_workspace)  # a consultant reads every status
    assert len(everything) >= 20
    assert listed(view) == everything
    assert view.count.text() == f"{len(everything)} articles"
    modules = [view.model.articles[r].module for r in range(view.model.rowCount())]
    assert modules == sorted(modules)  # by module
    # What a row says: words, not enum values or ISO dates.
    first = view.model.articles[0]
    cells = [view.model.index(0, c).data() for c in Column]
    assert cells[Column.NUMBER] == first.number
    assert cells[Column.STATUS] in {"Draft", "In review", "Published", "Retired"}
    assert cells[Column.AUDIENCE] in {"Support", "End users (tier 0)"}
    assert cells[Column.LANGUAGE] in {"English", "فارسی", "العربية"}
    assert "-" not in cells[Column.UPDATED]
    assert cells[Column.UPDATED][-4:].isdigit()
    save_shot(window, "knowledge-window")

    # The search narrows the list as the person types; Ctrl+F finds the box.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()
    search(qtbot, view, "payroll")
    payroll = numbers_in_cache(gui_workspace, KnowledgeArticle.title.ilike("%payroll%"))
    assert payroll
    assert listed(view) == payroll
    # Persian, typed with the Arabic keyboard's yeh (ي for ی), finds the Persian spelling.
    search(qtbot, view, "حسابداري")
    accounting = numbers_in_cache(gui_workspace, KnowledgeArticle.title.contains("حسابداری"))
    assert accounting
    assert listed(view) == accounting
    search(qtbot, view, "zzzqqq")
    assert listed(view) == set()
    assert view.reader.detail is None
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.search.clear()
    assert listed(view) == everything

    # A filter narrows too: the Persian articles.
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.language.setCurrentIndex(view.language.findText("فارسی"))
    assert listed(view) == numbers_in_cache(gui_workspace, KnowledgeArticle.language == "fa")

    # Another part of the window links to an article: the view comes to the front, reading it.
    window.navigation.setCurrentRow(0)
    english = next(iter(numbers_in_cache(gui_workspace, KnowledgeArticle.language == "en")))
    window.show_article(english)
    assert window.current_view() == "knowledge"
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).number == english, timeout=WAIT)  # type: ignore[union-attr]
    del tester


def test_the_reader_lays_out_an_article_and_a_persian_one_right_to_left(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = knowledge_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    with gui_workspace.cache().connect() as conn:
        english = conn.execute(select(KnowledgeArticle.number, KnowledgeArticle.title).where(
            KnowledgeArticle.language == "en", KnowledgeArticle.problem_id.is_(None)
        ).order_by(KnowledgeArticle.number)).first()  # fmt: skip
        persian = conn.execute(select(KnowledgeArticle.number, KnowledgeArticle.title).where(
            KnowledgeArticle.language == "fa").order_by(KnowledgeArticle.number)).first()  # fmt: skip
    assert english is not None
    assert persian is not None

    detail = opened(qtbot, view, english.number)
    text = view.reader.text
    laid_out = blocks(text.document())
    assert laid_out[0] == (english.title, 1, LTR)  # its title, a heading
    assert ("When you see this", 2, LTR) in laid_out  # "## When you see this": a heading, not its Markdown
    assert "##" not in text.toPlainText()
    assert "|---|" not in text.toPlainText()  # the table is a table
    assert cell_text(first_table(text.document()), 0, 0) == "If"
    assert text.layoutDirection() == LTR
    assert view.reader.facts.text().startswith(f"<div dir='ltr'><b>{english.number}</b>")
    assert "Published" in view.reader.facts.text()
    assert view.reader.tabs.tabText(1) == f"Versions ({len(detail.versions)})"
    assert view.reader.tabs.tabText(2) == f"Tickets ({len(detail.tickets)})"
    save_shot(view, "knowledge-reader-en")

    opened(qtbot, view, persian.number)
    assert text.layoutDirection() == RTL
    laid_out = blocks(text.document())
    assert laid_out[0] == (persian.title, 1, RTL)
    assert all(direction == RTL for _text, _level, direction in laid_out if _text)
    table = first_table(text.document())
    # Its table reads from the right: the Markdown's first column ("اگر", if) is drawn last, on the right.
    assert [cell_text(table, 0, c) for c in range(table.columns())] == ["آنگاه", "اگر"]
    assert table.format().alignment() & Qt.AlignmentFlag.AlignRight
    save_shot(view, "knowledge-reader-fa")


def test_an_article_is_written_edited_sent_to_review_and_published_by_its_reviewer(
    qtbot: QtBot, gui_workspace: Workspace
) -> None:
    consultant = person(gui_workspace, Role.FUNCTIONAL_CONSULTANT)
    manager = person(gui_workspace, Role.SUPPORT_MANAGER)
    view = knowledge_view(qtbot, gui_workspace, consultant)
    before = numbers_in_cache(gui_workspace)

    qtbot.keyClick(view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert view.pages.currentIndex() == EDITING
    editor = view.editor
    assert editor.title.hasFocus()
    assert not editor.save_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(editor.title, "Reopen a closed posting period")
    type_in(editor.body, "## What to do\n\n1. Open **Periods**.\n2. Reopen it.")
    editor.module.setCurrentIndex(editor.module.findText("FIN"))
    editor.reviewer.setCurrentIndex(editor.reviewer.findData(str(manager.id)))
    assert editor.reviewer.findData(str(consultant.id)) == -1  # nobody reviews their own text
    analyst = person(gui_workspace, Role.SERVICE_DESK_ANALYST)
    assert editor.reviewer.findData(str(analyst.id)) == -1  # nor one who does not write articles
    qtbot.waitUntil(lambda: "Reopen a closed posting period" in editor.preview.toPlainText(), timeout=WAIT)
    assert ("What to do", 2, LTR) in blocks(editor.preview.document())  # the preview is laid out, live
    assert "Periods" in editor.preview.toPlainText()
    assert "**" not in editor.preview.toPlainText()
    save_shot(view, "knowledge-editor")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.number is not None and shown(view) is not None
                    and shown(view).number == editor.number and view.pending.count == 0, timeout=WAIT)  # type: ignore[union-attr]  # fmt: skip
    number = editor.number
    assert number is not None
    assert numbers_in_cache(gui_workspace) == before | {number}
    row = stored(gui_workspace, number)
    assert (row["status"], row["version"], row["author_id"], row["reviewer_id"]) == (A.DRAFT, 1, consultant.id,
                                                                                        manager.id)  # fmt: skip
    assert row["body"] == "## What to do\n\n1. Open **Periods**.\n2. Reopen it."
    assert number in listed(view)
    assert not editor.is_dirty()
    assert editor.heading.text() == f"Editing {number} (version 1)"

    # Edited: a new version, the reader's versions list one longer.
    editor.body.moveCursor(editor.body.textCursor().MoveOperation.End)
    type_in(editor.body, "\n3. Post again.")
    assert editor.is_dirty()
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S saves
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).row["version"] == 2 and view.pending.count == 0,  # type: ignore[union-attr]
                    timeout=WAIT)  # fmt: skip
    assert view.reader.versions.rowCount() == 2
    assert view.reader.tabs.tabText(1) == "Versions (2)"
    with gui_workspace.cache().connect() as conn:
        article_id = stored(gui_workspace, number)["id"]
        versions = conn.execute(
            select(ArticleVersion.version, ArticleVersion.body)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.version)
        ).all()
    assert [v for v, _b in versions] == [1, 2]
    assert versions[1][1].endswith("3. Post again.")
    assert editor.heading.text() == f"Editing {number} (version 2)"

    # The first version read again from the reader.
    qtbot.mouseClick(editor.close_button, Qt.MouseButton.LeftButton)
    assert view.pages.currentIndex() == READING
    view.reader.show_version(1)
    assert "Post again" not in view.reader.text.toPlainText()
    assert view.reader.version_said.text().startswith("Version 1 of 2, saved by ")
    qtbot.mouseClick(view.reader.current_button, Qt.MouseButton.LeftButton)
    assert "Post again" in view.reader.text.toPlainText()
    view.reader.tabs.setCurrentIndex(3)
    history = [view.reader.history.rows[r][2:5] for r in range(view.reader.history.rowCount())]
    assert history[0] == ["Text", "version 1", "version 2"]  # the newest first, in words
    assert ["Reviewer", "", manager.display_name] in history
    assert history[-1][0] == "Logged"
    save_shot(view, "knowledge-history")
    view.reader.tabs.setCurrentIndex(0)

    # Its author sends it to review, and may not publish it.
    lifecycle = view.reader.lifecycle
    publish = lifecycle.buttons["publish"]
    qtbot.mouseClick(lifecycle.buttons["review"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).status is A.IN_REVIEW and view.pending.count == 0,  # type: ignore[union-attr]
                    timeout=WAIT)  # fmt: skip
    assert stored(gui_workspace, number)["status"] == A.IN_REVIEW
    assert not publish.isEnabled()
    assert publish.toolTip() == "Only its reviewer or a manager who did not write it publishes."
    assert view.reader.edit_button.isEnabled()  # in review: still edited
    save_shot(view, "knowledge-in-review")

    # Its reviewer, at their own desk, publishes it.
    reviewer_view = knowledge_view(qtbot, gui_workspace, manager)
    opened(qtbot, reviewer_view, number)
    publish = reviewer_view.reader.lifecycle.buttons["publish"]
    assert publish.isEnabled()
    qtbot.mouseClick(publish, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(reviewer_view) is not None and shown(reviewer_view).status is A.PUBLISHED,  # type: ignore[union-attr]
                    timeout=WAIT)  # fmt: skip
    row = stored(gui_workspace, number)
    assert row["status"] == A.PUBLISHED
    assert row["published_at"] is not None
    assert reviewer_view.reader.rating.isVisible()  # a published article is rated
    assert not reviewer_view.reader.edit_button.isEnabled()
    assert "revise it" in reviewer_view.reader.edit_button.toolTip()

    # Retiring asks why.
    qtbot.mouseClick(reviewer_view.reader.lifecycle.buttons["retire"], Qt.MouseButton.LeftButton)
    dialog = reviewer_view.reader.lifecycle.dialog
    assert isinstance(dialog, QInputDialog)
    assert dialog.isVisible()
    dialog.setTextValue("Replaced by the period-end checklist")
    dialog.accept()
    qtbot.waitUntil(lambda: stored(gui_workspace, number)["status"] == A.RETIRED, timeout=WAIT)
    qtbot.waitUntil(lambda: reviewer_view.reader.history.rowCount() > 0
                    and reviewer_view.reader.history.rows[0][5] == "Replaced by the period-end checklist",
                    timeout=WAIT)  # fmt: skip


def test_a_text_changed_meanwhile_is_refused_and_nothing_typed_is_lost(qtbot: QtBot, gui_workspace: Workspace) -> None:
    consultant = person(gui_workspace, Role.FUNCTIONAL_CONSULTANT)
    other = person(gui_workspace, Role.FUNCTIONAL_CONSULTANT, 1)
    number = next(iter(sorted(numbers_in_cache(gui_workspace, KnowledgeArticle.status == A.DRAFT,
                                               KnowledgeArticle.language == "en"))))  # fmt: skip
    view = knowledge_view(qtbot, gui_workspace, consultant)
    opened(qtbot, view, number)
    qtbot.keyClick(view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # Ctrl+E edits
    assert view.pages.currentIndex() == EDITING
    editor = view.editor

    # Meanwhile a colleague saves another text at their desk.
    row = stored(gui_workspace, number)
    article_id = row["id"]
    assert isinstance(article_id, uuid.UUID)
    Desk(gui_workspace, other).edit_article(EditArticle(article_id, "body", "Their text.", row["body"]))

    mine = "My text, typed while they saved theirs."
    editor.body.selectAll()
    qtbot.keyClicks(editor.body, mine)
    with qtbot.waitSignal(view.editor.refused, timeout=WAIT) as refusal:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert refusal.args[0].startswith(f"{number} changed meanwhile: its text is not what you saw")
    qtbot.waitUntil(lambda: view.pending.count == 0, timeout=WAIT)
    assert editor.refusal.isVisible()
    assert "Nothing you typed is lost" in editor.refusal.text()
    assert editor.body.toPlainText() == mine  # still here
    assert view.pages.currentIndex() == EDITING
    assert stored(gui_workspace, number)["body"] == "Their text."
    save_shot(view, "knowledge-refusal")

    # Having seen theirs, the person saves again: theirs is a version, and now the person's.
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stored(gui_workspace, number)["body"] == mine, timeout=WAIT)
    qtbot.waitUntil(lambda: not editor.is_dirty() and view.pending.count == 0, timeout=WAIT)


def test_leaving_unsaved_changes_asks_first(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = knowledge_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.editor.title, "Half a thought")
    other = view.model.articles[1].number

    def asked() -> QMessageBox:
        qtbot.waitUntil(lambda: isinstance(view.dialog, QMessageBox) and view.dialog.isVisible(), timeout=WAIT)
        assert isinstance(view.dialog, QMessageBox)
        assert view.dialog.objectName() == "article-unsaved"
        return view.dialog

    view.table.setCurrentIndex(view.model.index(1, 0))  # another article chosen: stay
    box = asked()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert view.pages.currentIndex() == EDITING
    assert view.editor.title.text() == "Half a thought"
    qtbot.mouseClick(view.editor.close_button, Qt.MouseButton.LeftButton)  # closing the editor: drop it
    box = asked()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Discard), Qt.MouseButton.LeftButton)
    assert view.pages.currentIndex() == READING
    assert numbers_in_cache(gui_workspace, KnowledgeArticle.title == "Half a thought") == set()
    view.table.setCurrentIndex(view.model.index(1, 0))
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).number == other, timeout=WAIT)  # type: ignore[union-attr]


def test_rating_an_article_updates_its_counts(qtbot: QtBot, gui_workspace: Workspace) -> None:
    analyst = person(gui_workspace, Role.SERVICE_DESK_ANALYST)
    view = knowledge_view(qtbot, gui_workspace, analyst)
    number = sorted(numbers_in_cache(gui_workspace, KnowledgeArticle.status == A.PUBLISHED))[0]
    opened(qtbot, view, number)
    reader = view.reader
    assert reader.rating.isVisible()
    assert reader.votes.text() == "Nobody has rated it yet."
    assert not reader.lifecycle.isVisible()  # an analyst reads and rates; writing is for others
    assert reader.read_only.isVisible()

    qtbot.mouseClick(reader.yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).helpful == 1 and view.pending.count == 0,  # type: ignore[union-attr]
                    timeout=WAIT)  # fmt: skip
    assert reader.votes.text() == "Helpful to 1, not to 0. You said it helped."
    assert reader.yes.isChecked()
    assert not reader.no.isChecked()
    row = view.model.numbers().index(number)
    assert view.model.index(row, Column.HELPFUL).data() == "1 yes · 0 no"
    save_shot(view, "knowledge-rated")

    qtbot.mouseClick(reader.no, Qt.MouseButton.LeftButton)  # a second vote replaces the first
    qtbot.waitUntil(lambda: shown(view) is not None and shown(view).not_helpful == 1 and view.pending.count == 0,  # type: ignore[union-attr]
                    timeout=WAIT)  # fmt: skip
    assert reader.votes.text() == "Helpful to 0, not to 1. You said it did not help."
    assert view.model.index(view.model.numbers().index(number), Column.HELPFUL).data() == "0 yes · 1 no"
    with gui_workspace.cache().connect() as conn:
        votes = conn.execute(select(ArticleFeedback.helpful).join(KnowledgeArticle).where(
            KnowledgeArticle.number == number, ArticleFeedback.user_id == analyst.id)).scalars().all()  # fmt: skip
    assert votes == [False]

    draft = sorted(numbers_in_cache(gui_workspace, KnowledgeArticle.status == A.DRAFT))[0]
    opened(qtbot, view, draft)
    assert not reader.rating.isVisible()  # only a published article is rated


def test_a_super_user_reads_published_articles_only(qtbot: QtBot, gui_workspace: Workspace) -> None:
    become_super_user(gui_workspace)
    with gui_workspace.cache().connect() as conn:
        actor = load_actor(conn, str(gui_workspace.settings.get("user")))
    assert actor.role is Role.SUPER_USER
    view = knowledge_view(qtbot, gui_workspace, actor)
    published = numbers_in_cache(gui_workspace, KnowledgeArticle.status == A.PUBLISHED)
    assert published != numbers_in_cache(gui_workspace)  # the demo has drafts and articles in review
    assert listed(view) == published
    assert not view.status.isEnabled()
    assert view.status.currentText() == "Published"
    assert not view.mine.isVisible()
    assert not view.new_button.isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert view.pages.currentIndex() == READING
    qtbot.waitUntil(lambda: shown(view) is not None and view.pending.count == 0, timeout=WAIT)
    reader = view.reader
    assert reader.read_only.isVisible()
    assert "super user cannot write articles" in reader.read_only.text()
    assert not reader.lifecycle.isVisible()
    assert not reader.edit_button.isVisible()
    assert reader.rating.isVisible()  # she rates what she reads
    save_shot(view, "knowledge-super-user")


def test_a_published_article_and_the_end_users_set_are_exported(
    qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path
) -> None:
    view = knowledge_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    with gui_workspace.cache().connect() as conn:
        draft = (
            conn.execute(select(KnowledgeArticle.number).where(KnowledgeArticle.status == A.DRAFT)).scalars().first()
        )
        number, title = conn.execute(select(KnowledgeArticle.number, KnowledgeArticle.title).where(
            KnowledgeArticle.status == A.PUBLISHED, KnowledgeArticle.language == "en")).first()  # type: ignore[misc]  # fmt: skip
        tier0 = conn.execute(select(func.count()).where(KnowledgeArticle.status == A.PUBLISHED,
                                                       KnowledgeArticle.audience == "tier0")).scalar_one()  # fmt: skip
    assert draft is not None
    assert tier0 > 0
    exports = view.exports
    opened(qtbot, view, draft)
    assert not exports.button.isEnabled()
    assert exports.button.toolTip().startswith("Only a published article is exported")
    assert exports.ask(tier0=False) is None

    opened(qtbot, view, number)
    assert exports.button.isEnabled()
    dialog = exports.ask(tier0=False)
    assert dialog is not None
    target = tmp_path / "article.html"
    with qtbot.waitSignal(exports.exported, timeout=WAIT) as exported:
        dialog.selectFile(str(target))
        dialog.accept()
    assert exported.args == [str(target)]
    page = target.read_text(encoding="utf-8")
    assert title in page
    assert "<!DOCTYPE html>" in page
    assert exports.said.text() == f"Exported to {target}."
    save_shot(view, "knowledge-exported")

    pdf = tmp_path / "end-users.pdf"
    with qtbot.waitSignal(exports.exported, timeout=60_000):
        exports.export(str(pdf), tier0=True)
    assert pdf.read_bytes().startswith(b"%PDF")
    written: list[str] = []
    exports.exported.connect(written.append)
    exports.export(str(tmp_path / "end-users.txt"), tier0=True)  # neither .html nor .pdf: said, not written
    qtbot.waitUntil(exports.refusal.isVisible, timeout=WAIT)
    assert written == []
    assert "give a file name ending in .html or .pdf" in exports.refusal.text()
    assert not (tmp_path / "end-users.txt").exists()


def test_closing_the_window_with_an_unsaved_article_asks_first(qtbot: QtBot, gui_workspace: Workspace) -> None:
    window = open_window(qtbot, gui_workspace)
    window.navigation.setCurrentRow(window.navigation.count() - 1)
    view = window.knowledge_view
    assert view is not None
    qtbot.waitUntil(lambda: view.new_button.isEnabled() and view.pending.count == 0, timeout=WAIT)
    view.new_article()
    qtbot.keyClicks(view.editor.title, "A draft not saved yet")
    assert not window.close()  # not yet: the person is asked
    box = view.dialog
    assert isinstance(box, QMessageBox)
    assert box.isVisible()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert window.isVisible()
    assert view.editor.title.text() == "A draft not saved yet"
    assert not window.close()
    box = view.dialog
    assert isinstance(box, QMessageBox)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Discard), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    assert numbers_in_cache(gui_workspace, KnowledgeArticle.title == "A draft not saved yet") == set()


def test_an_article_linked_to_a_ticket_here_counts_in_the_list_at_once(qtbot: QtBot, gui_workspace: Workspace) -> None:
    consultant = person(gui_workspace, Role.FUNCTIONAL_CONSULTANT)
    view = knowledge_view(qtbot, gui_workspace, consultant)
    first = view.model.articles[0]
    with gui_workspace.cache().connect() as conn:
        linked = select(ticket_articles.c.ticket_id).where(ticket_articles.c.article_id == first.id)
        ticket = conn.execute(
            select(Ticket.id).where(Ticket.status == TicketStatus.IN_PROGRESS, ~Ticket.id.in_(linked)).limit(1)
        ).scalar_one()
    # The ticket view links it (as "Link article" does), and the runner tells every view what the edit touched.
    done = Desk(gui_workspace, consultant).edit_ticket(lambda ticket_id: [LinkArticle(ticket_id, first.id)], ticket, "")
    view.runner.announce(done.touched)
    qtbot.waitUntil(lambda: view.model.articles[0].used == first.used + 1, timeout=WAIT)
