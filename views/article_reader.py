"""One article read in full: its text laid out from its Markdown in its own direction (``views.article_text``),
its facts (number, status, audience, language, module, version, author, reviewer, linked problem), "Was this
helpful?" for a published one (the counts and the person's own vote), its lifecycle (``views.article_lifecycle``)
and Edit, and in tabs its earlier versions (choose one to read it), the tickets it answered (Enter opens one) and
its history in people's words.

Every read and edit runs on the database worker through the person's desk; a refusal is said beside the control
that asked and changes nothing.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.access import Refused
from console.desk import Desk
from console.i18n import _, right_to_left
from console.journal.intents import RateArticle
from console.knowledge.lists import ArticleDetail, Version
from console.knowledge.rules import EDITABLE_IN, WRITERS
from console.knowledge.service import ArticleApplied, article_field, may_write
from console.problems.lists import Step
from console.zone import day_text, moment_text, zoned
from models import ArticleStatus, Audience
from views import words
from views.article_lifecycle import ArticleLifecycle
from views.article_text import ArticleBrowser
from views.errors import show_error
from views.knowledge_model import STATUS_COLOURS, audience_said, helpful_said, language_name, status_word
from views.problem_work import Pending, refusal_label, said_beside
from views.tables import RowsModel, rows_table, when_text
from views.words import isolated

A = ArticleStatus
SHORT = 90  # a title in the history is cut to this many characters
OWN_WORDS = ("logged", "conflict_resolved")  # history fields named by the ticket's words (``views.words.field``)


class ArticleReader(QWidget):
    loaded = Signal(object)  # the ArticleDetail shown
    applied = Signal(object)  # an ArticleApplied: the list reads again
    refused = Signal(str)
    open_ticket = Signal(str)  # a ticket's number
    edit_asked = Signal()

    def __init__(self, desk: Desk, pending: Pending) -> None:
        super().__init__()
        self.setObjectName("article-reader")
        self.desk, self.actor, self.pending = desk, desk.actor, pending
        self.detail: ArticleDetail | None = None
        self.reading: Version | None = None  # an earlier version read, or None: the current text
        self.modules: dict[str, str] = {}  # id → code, for the history
        self.writes = self.actor.role in WRITERS

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.facts = QLabel()
        self.facts.setObjectName("article-facts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.facts)
        self.read_only = QLabel()
        self.read_only.setObjectName("article-read-only")
        self.read_only.setWordWrap(True)
        self.read_only.setProperty("role", "lead")
        try:
            may_write(self.actor)
        except Refused as why:
            self.read_only.setText(_("Read only: {why}").format(why=why))
        if self.writes:  # (hidden, never shown, before it has a parent: shown alone, a widget is a window)
            self.read_only.hide()
        layout.addWidget(self.read_only)

        work = QHBoxLayout()
        self.edit_button = QPushButton(_("&Edit"))
        self.edit_button.setObjectName("article-edit")
        self.edit_button.clicked.connect(self.edit_asked)
        if not self.writes:
            self.edit_button.hide()
        work.addWidget(self.edit_button)
        self.lifecycle = ArticleLifecycle(desk, pending)
        self.lifecycle.applied.connect(self.applied)
        self.lifecycle.refused.connect(self._lifecycle_refused)
        work.addWidget(self.lifecycle, 1)
        layout.addLayout(work)

        self.rating = QWidget()
        self.rating.setObjectName("article-rating")
        rating = QHBoxLayout(self.rating)
        rating.setContentsMargins(0, 0, 0, 0)
        rating.addWidget(QLabel(_("Was this helpful?")))
        self.yes = QPushButton(_("Yes"))
        self.yes.setObjectName("article-helpful")
        self.no = QPushButton(_("No"))
        self.no.setObjectName("article-not-helpful")
        for button, helpful in ((self.yes, True), (self.no, False)):
            button.setCheckable(True)
            button.clicked.connect(lambda _checked=False, h=helpful: self.rate(h))
            rating.addWidget(button)
        self.votes = QLabel()
        self.votes.setObjectName("article-votes")
        rating.addWidget(self.votes)
        self.rating_refusal = refusal_label("article-rating-refusal")
        rating.addWidget(self.rating_refusal, 1)
        rating.addStretch(0)
        layout.addWidget(self.rating)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("article-tabs")
        self.tabs.addTab(self._build_text(), _("Article"))
        self.versions = RowsModel([_("Version"), _("Title"), _("By"), zoned(_("When"))], self)
        self.versions_table = rows_table(self.versions, "article-versions")
        self.versions_table.horizontalHeader().setStretchLastSection(False)
        self.versions_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.versions_table.activated.connect(self._version_chosen)  # Enter or a double click
        self.versions_table.clicked.connect(self._version_chosen)
        self.tabs.addTab(self.versions_table, _("Versions"))
        self.tickets = RowsModel([_("Ticket"), _("Title"), _("Status")], self)
        self.tickets_table = rows_table(self.tickets, "article-tickets")
        self.tickets_table.horizontalHeader().setStretchLastSection(False)
        self.tickets_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tickets_table.activated.connect(self._ticket_chosen)
        self.tabs.addTab(self.tickets_table, _("Tickets"))
        self.history = RowsModel([zoned(_("When")), _("By"), _("What"), _("From"), _("To"), _("Why")], self)
        self.tabs.addTab(rows_table(self.history, "article-history"), _("History"))
        layout.addWidget(self.tabs, 1)
        self._show_nothing()

    def _build_text(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.version_bar = QWidget()
        self.version_bar.setObjectName("article-version-bar")
        bar = QHBoxLayout(self.version_bar)
        bar.setContentsMargins(6, 4, 6, 0)
        self.version_said = QLabel()
        self.version_said.setObjectName("article-version-said")
        self.version_said.setProperty("role", "lead")
        bar.addWidget(self.version_said, 1)
        self.current_button = QPushButton(_("Show the &current version"))
        self.current_button.setObjectName("article-current")
        self.current_button.clicked.connect(self.show_current)
        bar.addWidget(self.current_button)
        self.version_bar.hide()
        layout.addWidget(self.version_bar)
        self.text = ArticleBrowser("article-text")
        layout.addWidget(self.text, 1)
        return page

    # -- reading -------------------------------------------------------------------------------------------------

    def open(self, number: str) -> None:
        self.pending.run(self.desk.article, number, label=_("Opening {number}…").format(number=number),
                         success=self.show_detail, failure=self._failed)  # fmt: skip

    def reload(self) -> None:
        if self.detail is not None:
            self.open(self.detail.number)

    def clear(self, said: str) -> None:
        self.detail = None
        self._show_nothing(said)

    def _show_nothing(self, said: str | None = None) -> None:
        self.facts.setText(escape(said or _("Choose an article above.")))
        self.text.show_nothing()
        self.reading = None
        self.version_bar.hide()
        for model in (self.versions, self.tickets, self.history):
            model.set_rows([])
        self.lifecycle.show_moves(None)
        self.rating.hide()
        self.edit_button.setEnabled(False)

    def show_detail(self, detail: ArticleDetail) -> None:
        again = self.detail is not None and self.detail.number == detail.number
        if not again:
            self.rating_refusal.hide()
            self.reading = None
        elif self.reading is not None:  # the version read is still there: it stays on screen
            self.reading = next((v for v in detail.versions if v.version == self.reading.version), None)
        self.detail = detail
        self.facts.setText(self._facts(detail))
        self._show_text()
        self.versions.set_rows([[str(v.version), v.title, v.by, when_text(v.at)] for v in detail.versions])
        self.tabs.setTabText(1, _("Versions ({count})").format(count=len(detail.versions)))
        self.tickets.set_rows([[t.number, t.title, words.status(t.status)] for t in detail.tickets])
        self.tabs.setTabText(2, _("Tickets ({count})").format(count=len(detail.tickets)))
        self.history.set_rows([self._step_cells(step) for step in reversed(detail.history)])
        self.lifecycle.show_moves(detail)
        self._show_rating(detail)
        editable = self.writes and detail.status in EDITABLE_IN
        self.edit_button.setEnabled(editable)
        self.edit_button.setToolTip(
            _("Edit its text and fields (Ctrl+E)")
            if editable
            else _("It is {status}: revise it (back to draft) to edit it.").format(
                status=status_word(detail.status).lower()
            )
        )
        self.loaded.emit(detail)

    def _facts(self, detail: ArticleDetail) -> str:
        row, names = detail.row, detail.names
        colour = STATUS_COLOURS[detail.status]
        first = [
            f"<b>{escape(isolated(detail.number))}</b>",
            f"<b style='color:{colour}'>{escape(status_word(detail.status))}</b>",
            escape(audience_said(Audience(row["audience"]))),
            escape(language_name(row["language"])),
            escape(_("module {module}").format(module=names["module"] or "—")),
            escape(_("version {version}").format(version=row["version"])),
        ]
        second = [
            escape(_("written by {author}").format(author=names["author"] or "—")),
            escape(_("reviewer {reviewer}").format(reviewer=names["reviewer"] or _("none yet"))),
        ]
        if names.get("problem"):
            second.append(escape(_("problem {number}").format(number=names["problem"])))
        second.append(escape(_("updated {day}").format(day=moment_text(row["updated_at"], named=True))))
        side = "rtl" if right_to_left() else "ltr"  # the window's, not that of the number the line starts with
        return f"<div dir='{side}'>" + " · ".join(first) + "<br>" + " · ".join(second) + "</div>"

    def _show_text(self) -> None:
        """The current text, or the earlier version chosen with a line saying which."""
        if self.detail is None:
            return
        row = self.detail.row
        version = self.reading
        if version is None or version.version == row["version"]:
            self.reading = None
            self.version_bar.hide()
            self.text.show_article(row["title"], row["body"], row["language"])
            return
        self.version_said.setText(
            _("Version {version} of {latest}, saved by {name} on {day}.").format(
                version=version.version, latest=row["version"], name=version.by, day=day_text(version.at)
            )
        )
        self.version_bar.show()
        self.text.show_article(version.title, version.body, row["language"])

    def show_version(self, number: int) -> None:
        """Read an earlier version of the article (its text as it was saved)."""
        if self.detail is None:
            return
        self.reading = next((v for v in self.detail.versions if v.version == number), None)
        self._show_text()
        self.tabs.setCurrentIndex(0)

    def show_current(self) -> None:
        self.reading = None
        self._show_text()
        self.text.setFocus()

    def _version_chosen(self, index: QModelIndex) -> None:
        if self.detail is not None and 0 <= index.row() < len(self.detail.versions):
            self.show_version(self.detail.versions[index.row()].version)

    def _ticket_chosen(self, index: QModelIndex) -> None:
        if self.detail is not None and 0 <= index.row() < len(self.detail.tickets):
            self.open_ticket.emit(self.detail.tickets[index.row()].number)

    def _step_cells(self, step: Step) -> list[str]:
        name = step.field
        what = words.field(name) if name in OWN_WORDS else words.capital(article_field(name))
        return [when_text(step.at), step.by, what, self._value(name, step.old), self._value(name, step.new),
                step.reason or ""]  # fmt: skip

    def _value(self, name: str, value: str | None) -> str:
        """A value of the history in words: a status, an audience, a language, a module, "version 3"."""
        if value is None:
            return ""
        if name == "status" and value in set(A):
            return status_word(A(value))
        if name == "audience" and value in set(Audience):
            return audience_said(Audience(value))
        if name == "language":
            return language_name(value)
        if name == "body":
            return _("version {version}").format(version=value)
        if name == "module_id":
            return self.modules.get(value, "—")
        if name == "problem_id":
            same = self.detail is not None and str(self.detail.row["problem_id"]) == value
            return self.detail.names["problem"] if same and self.detail is not None else "—"
        if name == "conflict_resolved":
            return article_field(value)
        one_line = " ".join(value.split())
        return one_line if len(one_line) <= SHORT else one_line[: SHORT - 1] + "…"

    def _failed(self, error: BaseException) -> None:
        self.facts.setText(escape(_("This article could not be opened.")))
        show_error(self, error)

    # -- rating --------------------------------------------------------------------------------------------------

    def _show_rating(self, detail: ArticleDetail) -> None:
        """Only a published article is rated: the counts, and the person's own vote on its button."""
        self.rating.setVisible(detail.status is A.PUBLISHED)
        self.yes.setChecked(detail.my_vote is True)
        self.no.setChecked(detail.my_vote is False)
        said = helpful_said(detail.helpful, detail.not_helpful)
        if detail.my_vote is not None:
            said += " " + (_("You said it helped.") if detail.my_vote else _("You said it did not help."))
        self.votes.setText(said)

    def rate(self, helpful: bool) -> None:
        if self.detail is None:
            return
        self.rating_refusal.hide()
        number = self.detail.number
        self.pending.run(self.desk.edit_article, RateArticle(self.detail.row["id"], helpful),
                         label=_("Saving {number}…").format(number=number), success=self._rated,
                         failure=self._rating_refused)  # fmt: skip

    def _rated(self, applied: ArticleApplied) -> None:
        self.applied.emit(applied)  # the view reads the list again, and this article with its counts

    def _rating_refused(self, error: BaseException) -> None:
        why = said_beside(self, error, self.rating_refusal)
        if why is not None:
            self.refused.emit(why)
            self.reload()

    # -- the lifecycle -------------------------------------------------------------------------------------------

    def _lifecycle_refused(self, message: str) -> None:
        self.refused.emit(message)
        self.reload()  # what is stored now
