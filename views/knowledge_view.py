"""The knowledge screen: the articles that answer tickets, by module — filtered by status, module, audience,
language and "mine", searched as typed (Persian and Arabic either keyboard, ``ArticleFilter.search``) — above the
article chosen, read (``views.article_reader``) or edited (``views.article_editor``). New articles are written
here, and published ones exported for an intranet (``views.knowledge_export``).

Keys: Enter opens the chosen article, Ctrl+F searches, F5 reads everything again, Ctrl+Shift+N writes a new
article (Ctrl+N logs a ticket, in the whole window), Ctrl+E edits the one shown, Ctrl+S saves it. Every read and
write runs on the database worker through the person's desk; the bar's busy indicator runs while anything of this
view is under way. Leaving the editor with unsaved changes (another article, closing it, closing the window)
asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk, MetricChoices
from console.i18n import _, n_
from console.journal.touched import Touched
from console.knowledge.lists import ArticleChoices, ArticleDetail, ArticleFilter, ArticleRow
from console.knowledge.rules import WRITERS
from console.knowledge.service import ArticleApplied
from views.article_editor import ArticleEditor, ask_unsaved
from views.article_reader import ArticleReader
from views.errors import show_error
from views.knowledge_export import ExportBar
from views.knowledge_model import (
    ArticleListModel,
    Column,
    article_filter,
    audience_choices,
    language_choices,
    status_choices,
)
from views.list_page import busy_bar, list_over, list_table, searching
from views.problem_work import Pending
from views.queue_view import ChoiceBox
from views.tables import select_row
from views.tasks import TaskRunner

READING, EDITING = 0, 1  # the pages of the lower half


class KnowledgeView(QWidget):
    listed = Signal(int)  # the number of articles listed
    open_ticket = Signal(str)  # a ticket's number: the main window opens it in the ticket detail

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("knowledge-view")
        self.desk, self.runner, self.actor = desk, runner, desk.actor
        self.pending = Pending(runner)
        self.writes = self.actor.role in WRITERS
        self.modules: list[str] = []
        self._statuses = status_choices(self.actor.role)
        self._audiences = audience_choices()
        self._languages = language_choices()
        self._keep: str | None = None  # the article to show again once the list is read (just edited or asked for)
        self._listing = False  # the list is being shown again: choosing its row is not the person's doing
        self.dialog: QMessageBox | None = None  # the question open now (tests answer it)

        self.reader = ArticleReader(desk, self.pending)
        self.editor = ArticleEditor(desk, self.pending)
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_actions())
        layout.addLayout(self._build_filters())

        self.model = ArticleListModel(self)
        self.table = list_table(self.model, "knowledge-table", Column.TITLE)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.reader)
        self.pages.addWidget(self.editor)
        self.splitter = list_over("knowledge-splitter", self.table, self.pages, (240, 460))
        layout.addWidget(self.splitter, 1)

        self._search_delay = searching(self, self.search, self.reload)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_row(current.row()))
        self.table.activated.connect(self._enter)  # Enter or a double click
        self.reader.loaded.connect(self._loaded)
        self.reader.applied.connect(self._applied)
        self.reader.open_ticket.connect(self.open_ticket)
        self.reader.edit_asked.connect(self.edit_article)
        self.editor.saved.connect(self._applied)
        self.editor.refused.connect(lambda _message: self._reread(self.editor.number))
        self.editor.close_asked.connect(self.close_editor)
        runner.edited.connect(self._touched)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.new_article)
        QShortcut(QKeySequence("Ctrl+E"), self, self.edit_article)
        QShortcut(QKeySequence.StandardKey.Save, self, self._save_shortcut)

    def _build_actions(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.new_button = QPushButton(_("&New article"))
        self.new_button.setObjectName("knowledge-new")
        self.new_button.setToolTip(_("Write a new article, as a draft (Ctrl+Shift+N)"))
        self.new_button.clicked.connect(self.new_article)
        self.new_button.setEnabled(False)  # until the modules are read
        if not self.writes:
            self.new_button.setToolTip(self.reader.read_only.text())
        bar.addWidget(self.new_button)
        self.exports = ExportBar(self.desk, self.pending)
        bar.addWidget(self.exports, 1)
        bar.addStretch(0)
        self.busy = busy_bar("knowledge-busy", self.pending)
        bar.addWidget(self.busy)
        self.count = QLabel(_("Reading articles…"))
        self.count.setObjectName("knowledge-count")
        bar.addWidget(self.count)
        return bar

    def _build_filters(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.status = self._combo("status", [label for label, _s in self._statuses], _("Status filter"))
        self.status.setEnabled(len(self._statuses) > 1)  # a super-user reads published articles only
        self.module = self._combo("module", [_("Any module")], _("Module filter"))
        self.audience = self._combo("audience", [label for label, _a in self._audiences], _("Audience filter"))
        self.language = self._combo("language", [label for label, _l in self._languages], _("Language filter"))
        for combo in (self.status, self.module, self.audience, self.language):
            bar.addWidget(combo)
        self.mine = QCheckBox(_("&Mine"))
        self.mine.setObjectName("knowledge-mine")
        self.mine.setToolTip(_("Only the articles you wrote or review"))
        self.mine.toggled.connect(self.reload)
        if not self.writes:  # (hidden, never shown, before it has a parent: shown alone, a widget is a window)
            self.mine.hide()
        bar.addWidget(self.mine)
        self.search = QLineEdit()
        self.search.setObjectName("knowledge-search")
        self.search.setPlaceholderText(_("Search number, title and text (Ctrl+F)"))
        self.search.setAccessibleName(_("Search the articles"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        bar.addWidget(self.search, 1)
        return bar

    def _combo(self, name: str, items: list[str], what: str) -> ChoiceBox:
        combo = ChoiceBox(f"knowledge-{name}", items, what)
        combo.setToolTip(what)
        combo.currentIndexChanged.connect(self.reload)
        return combo

    # -- reading -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Read the list, the modules its filter offers, and the modules and people the editor offers."""
        self.reload()
        self.pending.run(self.desk.metric_choices, label=_("Reading modules and units…"), success=self._set_modules,
                         failure=self._failed)  # fmt: skip
        self.pending.run(self.desk.article_choices, label="", success=self._set_choices, failure=self._failed)

    def _set_modules(self, choices: MetricChoices) -> None:
        self.modules = choices.modules
        chosen = self.module.currentText() if self.module.currentIndex() > 0 else None
        self.module.blockSignals(True)
        while self.module.count() > 1:
            self.module.removeItem(1)
        self.module.addItems(choices.modules)
        self.module.setCurrentIndex(max(self.module.findText(chosen), 0) if chosen else 0)
        self.module.blockSignals(False)
        self.new_button.setEnabled(self.writes)

    def _set_choices(self, choices: ArticleChoices) -> None:
        self.editor.set_choices(choices.modules, choices.reviewers)
        self.reader.modules = {str(module_id): code for module_id, code in choices.modules}

    def current_filter(self) -> ArticleFilter:
        def index(combo: ChoiceBox) -> int:
            return max(combo.currentIndex(), 0)

        return article_filter(
            self._statuses[index(self.status)][1],
            self.module.currentText() if self.module.currentIndex() > 0 else None,
            self._audiences[index(self.audience)][1],
            self._languages[index(self.language)][1],
            self.mine.isChecked(),
            self.search.text(),
        )

    def reload(self) -> None:
        self._search_delay.stop()
        self.count.setText(_("Reading articles…"))
        self.pending.run(self.desk.articles, self.current_filter(), label=_("Reading articles…"),
                         success=self._listed, failure=self._failed)  # fmt: skip

    def refresh(self) -> None:
        """F5: the list and the article shown, read again (the editor keeps what is typed)."""
        shown = self.editor.number if self.editing() else self.shown_number()
        self._keep = shown or self._keep
        self.reload()

    def _touched(self, touched: Touched) -> None:
        """Others' edits a sync brought, or a ticket edited here (an article linked to it counts as used): the list
        is read again (its counts), and everything after a sync."""
        if touched.everything:
            self.refresh()
        elif touched.any_ticket:
            self.reload()

    def _listed(self, articles: list[ArticleRow]) -> None:
        keep, self._keep = self._keep, None
        shown = self.editor.number if self.editing() else self.shown_number()
        self._listing = True
        try:
            self.model.set_articles(articles)
            self.count.setText(n_("{n} article", "{n} articles", len(articles)).format(n=f"{len(articles):,}"))
            numbers = self.model.numbers()
            wanted = keep or shown
            if wanted in numbers:
                select_row(self.table, numbers.index(wanted))  # the reset cleared the selection: this opens it again
            elif keep is not None:
                self.reader.open(keep)  # not in this list (filtered out): still show it
            elif articles and not self.editing():
                select_row(self.table, 0)
            elif not self.editing():
                self.reader.clear(_("No article matches these filters."))
                self._loaded(None)
        finally:
            self._listing = False
        self.listed.emit(len(articles))

    def shown_number(self) -> str | None:
        return self.reader.detail.number if self.reader.detail is not None else None

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.model.articles):
            return
        number = self.model.articles[row].number
        if not self.editing() or self._listing:
            if number != self.shown_number() or self._listing:
                self.reader.open(number)
            return
        if number == self.editor.number:
            return
        self.leave_editor(partial(self._open_instead, number), stay=self._select_edited)

    def _open_instead(self, number: str) -> None:
        self.close_editor(force=True)
        self.reader.open(number)

    def _select_edited(self) -> None:
        """Stay in the editor: the list's choice back on its article (or, for a new one, on the one read before)."""
        numbers = self.model.numbers()
        wanted = self.editor.number if self.editor.number in numbers else self.shown_number()
        if wanted in numbers:
            self.table.selectionModel().blockSignals(True)
            select_row(self.table, numbers.index(wanted))
            self.table.selectionModel().blockSignals(False)
            self.table.viewport().update()

    def _enter(self, index: QModelIndex) -> None:
        """Enter on an article: it is read (if another was shown) and its text takes the focus."""
        number = self.model.articles[index.row()].number
        if self.editing():
            return
        if number != self.shown_number():
            self.reader.open(number)
        self.reader.tabs.setCurrentIndex(0)
        self.reader.text.setFocus()

    def show_article(self, number: str) -> None:
        """Open the article ``number`` (a link elsewhere in the window asked for it), leaving the editor first."""
        wanted = number.strip().upper()

        def go() -> None:
            self.close_editor(force=True)
            numbers = self.model.numbers()
            if not numbers:
                self._keep = wanted  # the list is still being read: it chooses this one once it is
            if wanted in numbers and self.table.currentIndex().row() != numbers.index(wanted):
                select_row(self.table, numbers.index(wanted))  # which opens it
            elif wanted != self.shown_number():
                self.reader.open(wanted)
            self.reader.tabs.setCurrentIndex(0)

        if self.editing() and wanted != self.editor.number:
            self.leave_editor(go)
        elif not self.editing():
            go()

    def _loaded(self, detail: ArticleDetail | None) -> None:
        """The article shown: the editor follows what is stored, and Export… says whether it takes it."""
        if detail is not None and self.editing():
            self.editor.rebase(detail)
        self.exports.show_for(detail)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _failed(self, error: BaseException) -> None:
        self.count.setText(_("The articles could not be read."))
        show_error(self, error)

    # -- writing -------------------------------------------------------------------------------------------------

    def editing(self) -> bool:
        return self.pages.currentIndex() == EDITING

    def new_article(self) -> None:
        """An empty article in the editor (in the module the list is filtered by, if one)."""
        if not self.writes or not self.modules:
            return

        def go() -> None:
            module = self.module.currentText() if self.module.currentIndex() > 0 else None
            self.editor.start_new(module)
            self.pages.setCurrentIndex(EDITING)
            self.editor.title.setFocus()

        if self.editing():
            self.leave_editor(go)
        else:
            go()

    def edit_article(self) -> None:
        """The article shown, in the editor (when this person may edit it in its status)."""
        detail = self.reader.detail
        if detail is None or self.editing() or not self.reader.edit_button.isEnabled():
            return
        self.editor.start_edit(detail)
        self.pages.setCurrentIndex(EDITING)
        self.editor.body.setFocus()

    def close_editor(self, force: bool = False) -> None:
        """Back to reading (asking first about unsaved changes unless ``force``)."""
        if not self.editing():
            return
        if not force and self.editor.is_dirty():
            self.leave_editor(lambda: self.close_editor(force=True))
            return
        self.pages.setCurrentIndex(READING)
        number = self.editor.number
        if number is not None and number != self.shown_number():
            self.reader.open(number)
        self.table.setFocus()

    def unsaved(self) -> bool:
        return self.editing() and self.editor.is_dirty()

    def leave_editor(self, then: Callable[[], None], stay: Callable[[], None] | None = None) -> None:
        """Go on with ``then`` once the editor's changes are saved or dropped; ``stay`` if the person stays."""
        if not self.editor.is_dirty():
            then()
            return
        what = self.editor.number or _("The new article")
        self.dialog = ask_unsaved(self, what, save=lambda: self.editor.save(then), discard=then, stay=stay)

    def _save_shortcut(self) -> None:
        if self.editing():
            self.editor.save()

    def _applied(self, applied: ArticleApplied) -> None:
        """An edit made here: the list is read again, and the article shown again."""
        self._reread(applied.number)

    def _reread(self, number: str | None) -> None:
        if number is not None:
            self._keep = number
        self.reload()
