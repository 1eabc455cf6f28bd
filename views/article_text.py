"""An article's text as it reads: its Markdown laid out by Qt's own reader (md4c, GitHub's dialect: tables,
strikethrough, task lists), under its title, in the article's own direction — right to left for a Persian or
Arabic article whatever the window's language, and left to right for an English one.

As the export (``console.knowledge.export``) does, raw HTML in the Markdown is shown as text, a picture is not
fetched (it becomes a link to it: an article written by one person must not make another's desk open files or
addresses), and a link opens in the browser only for an ``http``, ``https`` or ``mailto`` address.

Qt lays a rich-text table out left to right whatever its direction, so in a right-to-left article each row's
cells are put in the other order: its first column reads on the right. A code block stays left to right.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextTable,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

from console.i18n import RIGHT_TO_LEFT

MARKDOWN = QTextDocument.MarkdownFeature.MarkdownDialectGitHub | QTextDocument.MarkdownFeature.MarkdownNoHTML
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
HEADING_SCALE = {1: 1.55, 2: 1.3, 3: 1.15}
"""A heading's size against the text's (Qt's own steps make the title three times the text); h4 to h6: 1.05."""
CODE_BACKGROUND = "#f6f8fa"  # as the export's
READING_SCALE = 1.12
"""The text of an article against the window's: a little larger, to be read rather than scanned."""
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # ASCII punctuation: each may be escaped with a backslash


def direction(language: str) -> Qt.LayoutDirection:
    """The direction an article in ``language`` reads in."""
    return Qt.LayoutDirection.RightToLeft if language in RIGHT_TO_LEFT else Qt.LayoutDirection.LeftToRight


def title_line(title: str) -> str:
    """The title as a Markdown heading of its own, its punctuation kept as typed ("#1: *all* fails")."""
    return "# " + _PUNCTUATION.sub(r"\\\1", " ".join(title.split()))


def render(document: QTextDocument, title: str, body: str, language: str) -> None:
    """Lay ``body`` out in ``document`` under ``title``, in the direction of ``language``."""
    text = f"{title_line(title)}\n\n{body}" if title.strip() else body
    document.setMarkdown(text, MARKDOWN)
    _pictures_as_links(document)
    side = direction(language)
    option = document.defaultTextOption()
    option.setTextDirection(side)
    document.setDefaultTextOption(option)
    for table in _tables(document):
        spaced = table.format()
        spaced.setTopMargin(6)
        spaced.setBottomMargin(6)
        spaced.setCellPadding(3)
        table.setFormat(spaced)
    if side is Qt.LayoutDirection.RightToLeft:
        _mirror_tables(document)
    _set_directions(document, side)
    _size_headings(document)


def _pictures_as_links(document: QTextDocument) -> None:
    """Each picture in place of a link to it, its description the link's text: nothing is fetched."""
    found: list[tuple[int, int, str, str]] = []
    block = document.begin()
    while block.isValid():
        pieces = block.begin()
        while not pieces.atEnd():
            piece = pieces.fragment()
            if piece.charFormat().isImageFormat():
                image = piece.charFormat().toImageFormat()
                alt = str(image.property(QTextFormat.Property.ImageAltText) or "")
                found.append((piece.position(), piece.length(), image.name(), alt))
            pieces += 1
        block = block.next()
    for position, length, name, alt in reversed(found):
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        link = QTextCharFormat()
        link.setAnchor(True)
        link.setAnchorHref(name)
        link.setFontUnderline(True)
        cursor.insertText(alt or name, link)


def _tables(document: QTextDocument) -> list[QTextTable]:
    found: list[QTextTable] = []
    frames = [document.rootFrame()]
    while frames:
        frame = frames.pop()
        if isinstance(frame, QTextTable):
            found.append(frame)
        frames.extend(frame.childFrames())
    return found


def _mirror_tables(document: QTextDocument) -> None:
    """Each table on the right, each row's cells in the other order (Qt draws cells left to right)."""
    for table in _tables(document):
        layout = table.format()
        layout.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout.setRightMargin(document.documentMargin())  # Qt puts a table on the right past the page's margin
        table.setFormat(layout)
        columns = table.columns()
        for row in range(table.rows()):
            cells = []
            for column in range(columns):
                cursor = _cell_cursor(table, row, column)
                cells.append((cursor.selection(), cursor.blockFormat()))
            for column in range(columns):
                cursor = _cell_cursor(table, row, column)
                cursor.removeSelectedText()
                content, layout_of_block = cells[columns - 1 - column]
                cursor.insertFragment(content)
                cursor.setBlockFormat(layout_of_block)


def _cell_cursor(table: QTextTable, row: int, column: int) -> QTextCursor:
    """A cursor selecting the whole text of one cell."""
    cell = table.cellAt(row, column)
    cursor = cell.firstCursorPosition()
    cursor.setPosition(cell.lastCursorPosition().position(), QTextCursor.MoveMode.KeepAnchor)
    return cursor


def _set_directions(document: QTextDocument, side: Qt.LayoutDirection) -> None:
    """Every paragraph, heading, list item and cell in the article's direction; a code block left to right, on
    a grey ground."""
    block = document.begin()
    while block.isValid():
        layout = block.blockFormat()
        code = layout.nonBreakableLines() or layout.hasProperty(QTextFormat.Property.BlockCodeFence)
        layout.setLayoutDirection(Qt.LayoutDirection.LeftToRight if code else side)
        if code:
            layout.setBackground(QColor(CODE_BACKGROUND))
        QTextCursor(block).setBlockFormat(layout)
        block = block.next()


def _size_headings(document: QTextDocument) -> None:
    """Headings in sizes a step apart from the text (``HEADING_SCALE``), not Qt's own, far larger ones."""
    size = document.defaultFont().pointSizeF()
    found: list[tuple[int, int, QTextCharFormat]] = []
    block = document.begin()
    while block.isValid():
        level = block.blockFormat().headingLevel()
        if level:
            spaced = block.blockFormat()
            spaced.setTopMargin(size * (0.4 if level == 1 else 1.2))
            spaced.setBottomMargin(size * 0.4)
            QTextCursor(block).setBlockFormat(spaced)
        pieces = block.begin()
        while level and not pieces.atEnd():
            piece = pieces.fragment()
            heading = piece.charFormat()
            heading.clearProperty(QTextFormat.Property.FontSizeAdjustment)
            heading.setFontPointSize(size * HEADING_SCALE.get(level, 1.05))
            heading.setFontWeight(QFont.Weight.Bold)
            found.append((piece.position(), piece.length(), heading))
            pieces += 1
        block = block.next()
    for position, length, heading in found:  # changed once read: a change would end the reading
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(heading)


class ArticleBrowser(QTextBrowser):
    """An article read: its Markdown laid out, links to the web opened in the browser, nothing else followed."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(follow)
        self.document().setDocumentMargin(14)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * READING_SCALE)
        self.document().setDefaultFont(font)
        self.language = "en"

    def show_article(self, title: str, body: str, language: str) -> None:
        """The article in its own direction (the scroll position kept when the same text is shown again)."""
        position = self.verticalScrollBar().value()
        self.language = language
        self.setLayoutDirection(direction(language))
        render(self.document(), title, body, language)
        self.verticalScrollBar().setValue(position)

    def show_nothing(self, said: str = "") -> None:
        self.document().setPlainText(said)


def follow(url: QUrl) -> None:
    """A link of an article clicked: opened only if it is an address of the web or for mail."""
    if url.scheme().lower() in LINK_SCHEMES:
        QDesktopServices.openUrl(url)
