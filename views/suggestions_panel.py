"""Suggestions where the work is: the published articles, known errors and resolved tickets most like the ticket
being typed or read (``Desk.suggestions``, ``console.problems.similar``), in three short ranked lists.

The question runs on the database worker, never on the UI thread: ``ask`` waits for a pause in the typing
(``DEBOUNCE_MS``) before asking, and every ``ask`` numbers the request, so an answer to an older one (a keystroke
burst since superseded) is dropped when it arrives. Asking again what is shown already asks nothing.

Enter or a double click opens an item: the panel says which through its signals and the window opens it; the
known error's workaround is shown beneath its list for the one chosen (and in its tooltip).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import _
from console.problems.similar import (
    LIMIT,
    ArticleSuggestion,
    KnownErrorSuggestion,
    Suggestions,
    TicketSuggestion,
)
from console.zone import day_text, moment_text
from models import TicketStatus
from views import words
from views.errors import show_error
from views.tasks import TaskRunner

DEBOUNCE_MS = 150
"""The pause in the typing after which the suggestions are asked for."""
SUGGESTION = Qt.ItemDataRole.UserRole
"""The role an item keeps its suggestion (an ArticleSuggestion, KnownErrorSuggestion or TicketSuggestion) in."""


@dataclass(frozen=True)
class Asked:
    """What the suggestions are for."""

    title: str
    description: str = ""
    module_id: uuid.UUID | None = None
    exclude: uuid.UUID | None = None

    @property
    def empty(self) -> bool:
        return not (self.title.strip() or self.description.strip())


class SuggestionsPanel(QWidget):
    open_ticket = Signal(str)  # a resolved ticket's number
    open_problem = Signal(str)  # a known error's number
    open_article = Signal(str)  # a knowledge article's number
    link_article = Signal(object)  # a knowledge article's id (uuid.UUID), from "Link article"
    shown = Signal(object)  # the Suggestions now shown

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        *,
        linking: bool = False,
        across: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        """``linking``: offer "Link article" for an article suggestion (a ticket to link it to is shown); ``across``:
        the three lists side by side (a wide, low strip), else one above the other (a column beside a form)."""
        super().__init__(parent)
        self.setObjectName("suggestions")
        self.desk, self.runner = desk, runner
        self.linking = linking
        self.linked: frozenset[uuid.UUID] = frozenset()  # articles already linked to the ticket shown
        self.wanted = Asked("")
        self.showing: Asked | None = None  # what the lists show the suggestions for
        self.request = 0  # the newest request: an answer to any other is stale
        self.in_flight = 0
        self.found = Suggestions()
        self._bug_shown = False
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(DEBOUNCE_MS)
        self._delay.timeout.connect(self._ask_now)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.lead = QLabel()
        self.lead.setObjectName("suggestions-lead")
        self.lead.setProperty("role", "lead")
        self.lead.setWordWrap(True)
        layout.addWidget(self.lead)
        sections = QBoxLayout(QBoxLayout.Direction.LeftToRight if across else QBoxLayout.Direction.TopToBottom)
        layout.addLayout(sections)
        columns = [QVBoxLayout() for _kind in range(3)]
        for column in columns:
            sections.addLayout(column, 1)

        self.articles = self._section(columns[0], _("Articles"), "suggested-articles", columns=3)
        self.articles.setColumnHidden(2, not linking)  # "linked", beside an article the ticket has already
        self.link_button = QPushButton(_("Link article"))
        self.link_button.setObjectName("suggestion-link-article")
        self.link_button.setToolTip(_("Link the chosen article to this ticket"))
        self.link_button.clicked.connect(self._link_current)
        self.link_button.setEnabled(False)
        if not linking:
            self.link_button.hide()
        row = QHBoxLayout()
        row.addWidget(self.link_button)
        row.addStretch(1)
        columns[0].addLayout(row)
        self.articles.currentItemChanged.connect(self._article_chosen)

        self.known_errors = self._section(columns[1], _("Known errors"), "suggested-known-errors", columns=2)
        self.workaround = QLabel()
        self.workaround.setObjectName("suggested-workaround")
        self.workaround.setTextFormat(Qt.TextFormat.PlainText)
        self.workaround.setWordWrap(True)
        self.workaround.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.workaround.setMinimumHeight(self.workaround.fontMetrics().lineSpacing())  # kept, empty: nothing moves
        columns[1].addWidget(self.workaround)
        self.known_errors.currentItemChanged.connect(self._known_error_chosen)

        self.tickets = self._section(columns[2], _("Similar resolved tickets"), "suggested-tickets", columns=3)
        for column in columns if across else []:
            column.addStretch(1)  # side by side, the lists line up at the top
        layout.addStretch(1)
        self._show(Suggestions(), asked=None)

    def _section(self, layout: QVBoxLayout, heading: str, name: str, *, columns: int) -> QTreeWidget:
        """A heading, and beneath it a short list or, while it has nothing, a line saying so."""
        label = QLabel(heading)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        layout.addWidget(label)
        tree = QTreeWidget()
        tree.setObjectName(name)
        tree.setAccessibleName(heading)
        tree.setColumnCount(columns)
        tree.setHeaderHidden(True)
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setAllColumnsShowFocus(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the title takes what is left
        tree.itemActivated.connect(self._activated)  # Enter, or a double click
        # As high as its longest list, whatever it holds now: the panel does not jump as the person types.
        tree.addTopLevelItem(QTreeWidgetItem(["KB"]))
        height = tree.sizeHintForRow(0) * LIMIT + 2 * tree.frameWidth() + 2
        tree.clear()
        none = QLabel(_("none found"))
        none.setObjectName(name + "-none")
        none.setEnabled(False)  # the placeholder's grey
        none.setAlignment(Qt.AlignmentFlag.AlignTop)
        stack = QStackedWidget()
        stack.addWidget(tree)
        stack.addWidget(none)
        stack.setFixedHeight(height)
        layout.addWidget(stack)
        return tree

    # -- asking ------------------------------------------------------------------------------------------------

    def ask(
        self, title: str, description: str = "", module_id: uuid.UUID | None = None, exclude: uuid.UUID | None = None
    ) -> None:
        """Suggestions for this text, asked once the typing pauses; an answer to an earlier ask is dropped."""
        self.wanted = Asked(title, description, module_id, exclude)
        self.request += 1
        if self.wanted != self.showing:
            self.link_button.setEnabled(False)  # what is listed is for another ticket until the answer comes
        self._delay.start()

    def stop(self) -> None:
        """Ask nothing more, and drop the answer under way (the panel is closing)."""
        self._delay.stop()
        self.request += 1

    @property
    def waiting(self) -> bool:
        """Whether an ask is not answered yet (its pause running, or its question on the worker)."""
        return self._delay.isActive() or self.in_flight > 0

    def _ask_now(self) -> None:
        wanted, request = self.wanted, self.request
        if wanted == self.showing:
            return  # shown already: a reload of the same ticket, a key that changed nothing
        if wanted.empty:
            self._show(Suggestions(), asked=None)
            return
        self.in_flight += 1
        self.runner.op(
            self.desk.suggestions, wanted.title, wanted.description, wanted.module_id, wanted.exclude
        ).success(partial(self._answered, request, wanted)).failure(partial(self._failed, request)).run()

    def _answered(self, request: int, asked: Asked, found: Suggestions) -> None:
        self.in_flight -= 1
        if request != self.request:
            return  # typed on since: a newer ask is coming
        self._show(found, asked)

    def _failed(self, request: int, error: BaseException) -> None:
        self.in_flight -= 1
        if request != self.request:
            return
        self.showing = None
        self.lead.setText(_("The suggestions could not be read."))
        self.lead.show()
        if not isinstance(error, ConsoleError) and not self._bug_shown:
            self._bug_shown = True  # a bug: its report once, not at every pause in the typing
            show_error(self, error)

    # -- showing -----------------------------------------------------------------------------------------------

    def _show(self, found: Suggestions, asked: Asked | None) -> None:
        self.showing = asked
        self.found = found
        if asked is None:
            self.lead.setText(_("What is known about this shows here as you type."))
        elif found:
            self.lead.setText(_("Most alike first. Enter or a double click opens one."))
        else:
            self.lead.setText(_("Nothing similar found."))
        self.lead.show()  # always there, one line: the lists beneath it stay where they are as answers come
        _fill(self.articles, [self._article_item(s) for s in found.articles], asked is not None)
        _fill(self.known_errors, [_known_error_item(s) for s in found.known_errors], asked is not None)
        _fill(self.tickets, [_ticket_item(s) for s in found.tickets], asked is not None)
        best = self.known_errors.topLevelItem(0)
        if best is not None:
            self.known_errors.setCurrentItem(best)  # its workaround shown at once
        self._known_error_chosen(self.known_errors.currentItem())
        self._article_chosen(self.articles.currentItem())
        self.shown.emit(found)

    def set_linked(self, article_ids: frozenset[uuid.UUID]) -> None:
        """The articles the ticket shown is linked to already: said so, and not offered to link again."""
        self.linked = article_ids
        for item in _items(self.articles):
            item.setText(2, _linked_word(item.data(0, SUGGESTION).id in article_ids))
        self._article_chosen(self.articles.currentItem())

    def _article_item(self, article: ArticleSuggestion) -> QTreeWidgetItem:
        item = _item(article, [article.number, article.title, _linked_word(article.id in self.linked)])
        item.setToolTip(1, article.title)
        return item

    def _article_chosen(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        article = item.data(0, SUGGESTION) if item is not None else None
        linked = article is not None and article.id in self.linked
        current = self.wanted == self.showing  # not while what is listed is for another ticket
        self.link_button.setEnabled(self.linking and current and article is not None and not linked)
        if linked:
            self.link_button.setToolTip(_("This article is linked to the ticket already."))
        else:
            self.link_button.setToolTip(_("Link the chosen article to this ticket"))

    def _known_error_chosen(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        known: KnownErrorSuggestion | None = item.data(0, SUGGESTION) if item is not None else None
        if known is None or not known.workaround:
            self.workaround.clear()
        else:
            self.workaround.setText(_("Workaround: {text}").format(text=known.workaround))

    def _link_current(self) -> None:
        item = self.articles.currentItem()
        if item is not None and self.link_button.isEnabled() and self.wanted == self.showing:
            self.link_article.emit(item.data(0, SUGGESTION).id)

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        found = item.data(0, SUGGESTION)
        if isinstance(found, TicketSuggestion):
            self.open_ticket.emit(found.number)
        elif isinstance(found, KnownErrorSuggestion):
            self.open_problem.emit(found.number)
        elif isinstance(found, ArticleSuggestion):
            self.open_article.emit(found.number)


def _item(found: object, texts: list[str]) -> QTreeWidgetItem:
    """A row of a list: its texts each kept whole in a right-to-left list, its suggestion kept with it."""
    item = QTreeWidgetItem([words.isolated(text) for text in texts])
    item.setData(0, SUGGESTION, found)
    return item


def _known_error_item(known: KnownErrorSuggestion) -> QTreeWidgetItem:
    item = _item(known, [known.number, known.title])
    tip = known.title
    if known.workaround:
        tip += "\n\n" + _("Workaround: {text}").format(text=known.workaround)
    item.setToolTip(1, tip)
    return item


def _ticket_item(ticket: TicketSuggestion) -> QTreeWidgetItem:
    if ticket.resolved_at is not None:
        day = day_text(ticket.resolved_at)
        when = _("resolved {moment}").format(moment=words.isolated(moment_text(ticket.resolved_at, named=True)))
    else:  # closed without a moment of resolution (imported so)
        day = when = words.status(TicketStatus(ticket.status))
    item = _item(ticket, [ticket.number, ticket.title, day])
    for column, tip in ((1, ticket.title + "\n" + when), (2, when)):
        item.setToolTip(column, tip)
    return item


def _items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    return [item for n in range(tree.topLevelItemCount()) if (item := tree.topLevelItem(n)) is not None]


def _linked_word(linked: bool) -> str:
    return _("linked") if linked else ""


def _fill(tree: QTreeWidget, items: list[QTreeWidgetItem], asked: bool) -> None:
    """The list's rows; while it has none, the line in its place says so (nothing, before anything is asked)."""
    tree.clear()
    tree.addTopLevelItems(items)
    stack = tree.parentWidget()
    assert isinstance(stack, QStackedWidget)
    none = stack.widget(1)
    assert isinstance(none, QLabel)
    none.setText(_("none found") if asked else "")
    stack.setCurrentIndex(0 if items else 1)
