"""The pages of the PDF reports (the SLA report, the CAB agenda): an A4 landscape sheet with its title and
footer, and tables set in columns (numbers to the right, long text wrapped) that break across pages with
their header repeated, never running into the footer.

matplotlib is imported inside the functions that draw: every command-line verb imports this module
through the CAB agenda, and matplotlib's PDF backend alone takes most of a second to import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

A4_LANDSCAPE = (11.69, 8.27)
PAGE_WIDTH, PAGE_HEIGHT = A4_LANDSCAPE[0] * 72, A4_LANDSCAPE[1] * 72  # points
MARGIN = 34.0  # left and right, points
CONTENT_TOP = 52.0  # below the page's title, points from the top
CONTENT_BOTTOM = PAGE_HEIGHT - 34.0  # above the footer
FONT = 8.0
LINE = 10.5  # one line of a cell
ROW_PAD = 2.5  # above and below a row's text
HEADING = 11.0  # a table's title
GAP = 16.0  # between two tables
PAD = 10.0  # between two columns
MOST_LINES = 3  # of a wrapped cell; the rest is cut with an ellipsis
GREY, INK, RULE, SHADE = "#555555", "#222222", "#9aa3ab", "#f1f3f5"
NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+( ?%| h)?|–|")

Block = tuple[str, list[dict[str, str]]]  # a titled table: its rows, the columns named by the first row's keys


def clipped(text: str, width: int) -> str:
    """Text cut to ``width`` characters, with an ellipsis, so it fits its column."""
    return text if len(text) <= width else text[: width - 1] + "…"


def page(title: str, footer: str, *, layout: Literal["constrained"] | None = "constrained") -> Figure:
    """An A4 landscape page with its title at the top left and a footer line."""
    from matplotlib.figure import Figure  # drawing only: see the module's note

    figure = Figure(figsize=A4_LANDSCAPE, layout=layout)
    figure.suptitle(title, x=0.01, ha="left", fontsize=14, fontweight="bold")
    figure.supxlabel(footer, fontsize=7, color=GREY)
    return figure


def number_pages(figures: Sequence[Figure]) -> None:
    """ "page 3 of 11" at the bottom right of each page."""
    for index, figure in enumerate(figures):
        figure.text(0.99, 0.01, f"page {index + 1} of {len(figures)}", ha="right", va="bottom", fontsize=7, color=GREY)


# ---- measuring text ---------------------------------------------------------------------------------


@functools.cache
def _glyph_width(char: str, size: float, bold: bool) -> float:
    from matplotlib.font_manager import FontProperties  # drawing only: see the module's note
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=size, weight="bold" if bold else "normal")
    measure = TextToPath().get_text_width_height_descent
    return float(measure(f"x{char}x", font, ismath=False)[0] - measure("xx", font, ismath=False)[0])


def text_width(text: str, size: float = FONT, *, bold: bool = False) -> float:
    """The width of a line of text in points: the sum of its glyphs (kerning and joining aside, close enough to
    set columns by, with the padding between them; and quick, where measuring each string is not)."""
    return sum(_glyph_width(char, size, bold) for char in text) * 1.02


def wrapped(text: str, width: float, size: float = FONT, most: int = MOST_LINES, *, bold: bool = False) -> list[str]:
    """Text broken into lines no wider than ``width`` points at its spaces (a longer word is cut), at most
    ``most`` lines, the last ending in an ellipsis when text is left over."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, bold=bold) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
        while text_width(line, size, bold=bold) > width and len(line) > 1:  # one word wider than the column
            cut = len(line) - 1
            while cut > 1 and text_width(line[:cut], size, bold=bold) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    lines.append(line)
    if len(lines) > most:
        last = lines[most - 1]
        while last and text_width(last + " …", size, bold=bold) > width:
            last = last[:-1]
        lines = [*lines[: most - 1], last.rstrip() + " …"]
    return lines


# ---- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    heading: list[str]  # the header's lines
    width: float  # points, padding included
    right: bool  # numbers: aligned to the right


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[list[list[str]]]  # per row, per column: the lines of the cell

    @property
    def header_height(self) -> float:
        return max(len(c.heading) for c in self.columns) * LINE + 2 * ROW_PAD

    def row_height(self, row: list[list[str]]) -> float:
        return max(len(lines) for lines in row) * LINE + 2 * ROW_PAD


def _heading(name: str, width: float) -> list[str]:
    """A column's name on one line, or on two when it is much wider than the column's values."""
    words = name.split()
    if len(words) < 2 or text_width(name, bold=True) <= width:
        return [name]
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    return list(min(splits, key=lambda pair: max(text_width(part, bold=True) for part in pair)))


def set_table(title: str, rows: list[dict[str, str]], width: float = PAGE_WIDTH - 2 * MARGIN) -> Table:
    """Columns as wide as their widest value (a heading may take two lines); when they do not all fit in
    ``width``, the widest column of words gives way and its text wraps."""
    if not rows:
        return Table(title, [Column("", [], width, right=False)], [])
    names = list(rows[0])
    right = {n: all(NUMBER.fullmatch(r[n]) for r in rows) for n in names}
    content = {n: max(text_width(r[n]) for r in rows) for n in names}
    headings = {n: _heading(n[:1].upper() + n[1:], max(content[n], text_width("0000000"))) for n in names}
    widths = {n: max(content[n], *(text_width(line, bold=True) for line in headings[n])) + PAD for n in names}
    over = sum(widths.values()) - width
    words = [n for n in names if not right[n]]
    if over > 0 and words:
        widest = max(words, key=lambda n: widths[n])
        widths[widest] = max(widths[widest] - over, 60.0)
    columns = [Column(n, headings[n], widths[n], right[n]) for n in names]
    # (half a point to spare: a value as wide as its column is summed in another order when wrapped)
    cells = [[wrapped(r[c.name], c.width - PAD + 0.5) if r[c.name] else [""] for c in columns] for r in rows]
    return Table(title, columns, cells)


@dataclass(frozen=True)
class Piece:
    """The part of a table on one page: its title (with "continued" after the first), and some of its rows."""

    table: Table
    title: str
    rows: list[list[list[str]]]
    top: float  # points from the top of the page


def paginate(tables: Sequence[Table], top: float = CONTENT_TOP, bottom: float = CONTENT_BOTTOM) -> list[list[Piece]]:
    """The tables flowed down pages: a table that runs over continues on the next page under its header
    again; one that cannot show three rows (or all it has) where it would start begins on a new page."""
    pages: list[list[Piece]] = [[]]
    y = top
    for table in tables:
        rows = table.rows or [[["None in this period."]] + [[""]] * (len(table.columns) - 1)]
        title = table.title
        while rows:
            start = y + (GAP if pages[-1] else 0)
            room = bottom - start - HEADING - table.header_height
            fit = 0
            used = 0.0
            while fit < len(rows) and used + table.row_height(rows[fit]) <= room:
                used += table.row_height(rows[fit])
                fit += 1
            if fit < min(len(rows), 3) and pages[-1]:  # too little room here: a new page
                pages.append([])
                y = top
                continue
            fit = max(fit, 1)  # a row taller than a page is drawn all the same
            pages[-1].append(Piece(table, title, rows[:fit], start))
            y = start + HEADING + table.header_height + sum(table.row_height(r) for r in rows[:fit])
            rows = rows[fit:]
            title = f"{table.title} (continued)"
    return [p for p in pages if p]


def CellText(figure: Figure) -> Any:
    """A table's title and cells as one artist: each line drawn straight at its place, as a ``Text`` of the same
    font, size and colour with ``va="top"`` (``ha="right"`` for numbers) would draw it, without the layout each
    ``Text`` does (a page holds a few hundred cells, and their layout was a third of its time). Drawn after the
    page's own texts (title, footer, page number) and in the order added, so the PDF's text reads as before:
    the page's title first, then each table's title, header and rows."""
    return _cell_text_class()(figure)


# A font's properties, the height and depth of "lp" in it, and which glyphs lie within them: per (bold, size, scale,
# renderer).
_FONTS: dict[tuple[bool, float, float, str], tuple[Any, float, float, dict[str, bool]]] = {}


@functools.cache
def _cell_text_class() -> type:
    from matplotlib.artist import Artist
    from matplotlib.font_manager import FontProperties

    class _CellText(Artist):
        def __init__(self, figure: Figure) -> None:
            super().__init__()
            self.set_figure(figure)
            self.set_zorder(3.5)  # after the page's Text artists (3)
            self.cells: list[tuple[float, float, str, bool, bool, float]] = []  # points from the left and the top

        def add(self, x: float, top: float, line: str, *, right: bool, bold: bool, size: float = FONT) -> None:
            if line:
                self.cells.append((x, top, line, right, bold, size))

        def draw(self, renderer: Any) -> None:
            if not self.get_visible():
                return
            width, height = self.figure.bbox.width, self.figure.bbox.height  # placed as Text places a fraction
            gc = renderer.new_gc()
            gc.set_foreground(INK)
            try:
                for x, top, line, right, bold, size in self.cells:
                    # Per font (and scale: every page of a PDF has the same), measured once in this process.
                    key = (bold, size, renderer.points_to_pixels(72.0), type(renderer).__name__)
                    if key not in _FONTS:
                        font = FontProperties(size=size, weight="bold" if bold else "normal")
                        _, lp_h, lp_d = renderer.get_text_width_height_descent("lp", font, ismath=False)
                        _FONTS[key] = font, lp_h, lp_d, {}
                    font, lp_h, lp_d, within = _FONTS[key]
                    # A top-aligned line's baseline lies below its top by its height less its depth, each at least
                    # that of "lp" (as Text lays a line out). A line of glyphs all within "lp" needs no measuring;
                    # which glyphs are is found once each.
                    for char in set(line) - within.keys():
                        _, h, d = renderer.get_text_width_height_descent(char, font, ismath=False)
                        within[char] = h - d <= lp_h - lp_d and d <= lp_d
                    h, d = lp_h, lp_d
                    if not all(within[char] for char in line):
                        _, h, d = renderer.get_text_width_height_descent(line, font, ismath=False)
                        h, d = max(h, lp_h), max(d, lp_d)
                    px = x / PAGE_WIDTH * width
                    if right:
                        px -= renderer.get_text_width_height_descent(line, font, ismath=False)[0]
                    y = (1 - top / PAGE_HEIGHT) * height - (h - d)
                    if renderer.flipy():  # as Text.draw does: a raster's y runs downwards (PDF's upwards)
                        y = renderer.get_canvas_width_height()[1] - y
                    renderer.draw_text(gc, px, y, line, font, 0)
            finally:
                gc.restore()
            self.stale = False

    return _CellText


def draw_piece(figure: Figure, piece: Piece, left: float = MARGIN) -> float:
    """Draw a table's title, header and rows on a page from ``piece.top``; where it ends (points from the top)."""
    from matplotlib.lines import Line2D  # drawing only: see the module's note
    from matplotlib.patches import Rectangle

    table = piece.table
    width = sum(c.width for c in table.columns)

    def fy(points: float) -> float:
        return 1 - points / PAGE_HEIGHT

    def fx(points: float) -> float:
        return points / PAGE_WIDTH

    y = piece.top
    text = CellText(figure)
    figure.add_artist(text)
    text.add(left, y, piece.title, right=False, bold=True, size=HEADING - 1)
    y += HEADING + 2

    def cells(row: list[list[str]], top: float, *, bold: bool) -> None:
        x = left
        for column, lines in zip(table.columns, row, strict=True):
            at = x + column.width - PAD / 2 if column.right else x + PAD / 2
            for n, line in enumerate(lines):
                text.add(at, top + ROW_PAD + n * LINE, line, right=column.right, bold=bold)
            x += column.width

    cells([c.heading for c in table.columns], y, bold=True)
    y += table.header_height
    figure.add_artist(Line2D([fx(left), fx(left + width)], [fy(y), fy(y)], color=RULE, linewidth=0.8))
    for index, row in enumerate(piece.rows):
        height = table.row_height(row)
        if index % 2:
            figure.add_artist(
                Rectangle(
                    (fx(left), fy(y + height)),
                    fx(width),
                    height / PAGE_HEIGHT,
                    facecolor=SHADE,
                    edgecolor="none",
                    zorder=0,
                )
            )
        cells(row, y, bold=False)
        y += height
    return y


def table_pages(title: str, footer: str, blocks: Sequence[Block], *, numbered: bool = True) -> Iterator[Figure]:
    """Pages of tables, set in columns; their text copies out of the PDF row by row. ``numbered``: the
    page's title counts its pages, "(2/3)"."""
    pages = paginate([set_table(name, rows) for name, rows in blocks])
    for index, pieces in enumerate(pages):
        counted = f" ({index + 1}/{len(pages)})" if numbered and len(pages) > 1 else ""
        sheet = page(title + counted, footer, layout=None)
        for piece in pieces:
            draw_piece(sheet, piece)
        yield sheet
