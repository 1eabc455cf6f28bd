"""The knowledge list's table model, the choices of its filters, and the words an article's values are shown in:
its status and audience in the person's language (``console.words`` marks them, with the contexts looked up here),
its language by its own name, how helpful people found it as counts, the day it was last changed in the person's
calendar."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from console.i18n import N_, NAMES, _, n_, p_
from console.knowledge.lists import ArticleFilter, ArticleRow
from console.knowledge.rules import LANGUAGES, READERS_OF_DRAFTS
from console.words import article_word, audience_word
from console.zone import day_text
from models import ArticleStatus, Audience, Role
from views.tables import Index, RowsModel

A = ArticleStatus
STATUS_COLOURS = {A.DRAFT: "#59636e", A.IN_REVIEW: "#b54708", A.PUBLISHED: "#1a7f37", A.RETIRED: "#8c959f"}


class Column(IntEnum):
    NUMBER = 0
    TITLE = 1
    STATUS = 2
    AUDIENCE = 3
    LANGUAGE = 4
    MODULE = 5
    VERSION = 6
    HELPFUL = 7
    USED = 8
    UPDATED = 9


COLUMNS = (N_("Article"), N_("Title"), N_("Status"), N_("Audience"), N_("Language"), N_("Module"), N_("Version"),
           N_("Helpful"), N_("Tickets"), N_("Updated"))  # fmt: skip


def status_word(status: ArticleStatus) -> str:
    """An article's status in the person's language: "In review"."""
    return p_("article status", article_word(status))


def audience_said(audience: Audience) -> str:
    """Who an article is for, in the person's language: "End users (tier 0)"."""
    return p_("article audience", audience_word(audience))


def language_name(code: str) -> str:
    """An article's language by its own name (English, فارسی, العربية): read the same in every window language."""
    return NAMES.get(code, code)


def helpful_cell(yes: int, no: int) -> str:
    """The votes in a cell: "12 yes · 3 no"; "—" when nobody has said."""
    if not yes and not no:
        return "—"
    return _("{yes} yes · {no} no").format(yes=f"{yes:,}", no=f"{no:,}")


def helpful_said(yes: int, no: int) -> str:
    """The votes in a sentence: "12 found it helpful, 3 did not"."""
    if not yes and not no:
        return _("Nobody has rated it yet.")
    return _("Helpful to {yes}, not to {no}.").format(yes=f"{yes:,}", no=f"{no:,}")


def status_choices(role: Role) -> list[tuple[str, tuple[ArticleStatus, ...]]]:
    """The status filter: every status the person reads, or one; a super-user reads published articles only."""
    if role not in READERS_OF_DRAFTS:
        return [(status_word(A.PUBLISHED), (A.PUBLISHED,))]
    return [(_("Any status"), ()), *((status_word(s), (s,)) for s in ArticleStatus)]


def audience_choices() -> list[tuple[str, Audience | None]]:
    return [(_("Any audience"), None), *((audience_said(a), a) for a in Audience)]


def language_choices() -> list[tuple[str, str | None]]:
    return [(_("Any language"), None), *((language_name(code), code) for code in LANGUAGES)]


def article_filter(
    statuses: tuple[ArticleStatus, ...],
    module: str | None,
    audience: Audience | None,
    language: str | None,
    mine: bool,
    search: str,
) -> ArticleFilter:
    """The filter the bar's choices make (None: any)."""
    return ArticleFilter(
        statuses=statuses,
        modules=(module,) if module else (),
        audience=audience,
        language=language,
        search=search.strip(),
        mine=mine,
    )


def _cells(row: ArticleRow) -> list[str]:
    return [
        row.number,
        row.title,
        status_word(row.status),
        audience_said(row.audience),
        language_name(row.language),
        row.module or "—",
        f"{row.version:,}",
        helpful_cell(row.helpful, row.not_helpful),
        f"{row.used:,}" if row.used else "—",
        day_text(row.updated_at),
    ]


class ArticleListModel(RowsModel):
    """The articles listed, by module: each status in its colour, a published article's title in bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([_(c) for c in COLUMNS], parent)
        self.articles: list[ArticleRow] = []

    def set_articles(self, articles: list[ArticleRow]) -> None:
        self.articles = articles
        self.set_rows([_cells(a) for a in articles])

    def numbers(self) -> list[str]:
        return [a.number for a in self.articles]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        article = self.articles[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.STATUS:
            return QBrush(QColor(STATUS_COLOURS[article.status]))
        if role == Qt.ItemDataRole.FontRole and column == Column.STATUS and article.status is A.IN_REVIEW:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.VERSION, Column.USED):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(article, column)
        return super().data(index, role)

    @staticmethod
    def _tip(article: ArticleRow, column: int) -> str | None:
        if column == Column.TITLE:
            return article.title
        if column == Column.HELPFUL:
            return helpful_said(article.helpful, article.not_helpful)
        if column == Column.USED:
            return n_("Linked to {n} ticket", "Linked to {n} tickets", article.used).format(n=f"{article.used:,}")
        if column == Column.STATUS and article.reviewer:
            return _("Written by {author}, reviewed by {reviewer}").format(
                author=article.author, reviewer=article.reviewer
            )
        if column == Column.STATUS:
            return _("Written by {author}").format(author=article.author)
        return None
