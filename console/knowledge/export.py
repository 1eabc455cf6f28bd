"""Knowledge articles exported for an intranet: one self-contained HTML file, or a PDF, with no display and no Qt.

The window shows an article's Markdown with Qt's own reader (md4c: CommonMark with GitHub's tables and
strikethrough); here markdown-it-py reads the same dialect, so an article exports as it reads on screen. An article
is written by people and read by others: raw HTML in its Markdown is shown as text, never run, and a link is a link
only to an ``http``, ``https`` or ``mailto`` address (anything else stays as the text that was typed). An image is
not fetched: the file must open with no network, so it becomes a link to the picture.

The PDF is drawn by fpdf2's ``write_html`` from the same Markdown, rendered for what it reads: no CSS and no
``dir``, so a right-to-left article's paragraphs carry ``align="right"``, its tables' columns are mirrored, and
lists are paragraphs that start with their marker (fpdf2 draws markers on the left, and none in a loose list);
a table cell is plain text (fpdf2 takes one run of text per cell). The font is DejaVu Sans, which matplotlib
ships and which has the Persian and Arabic letters (not in its oblique faces: italic Persian shows upright);
HarfBuzz joins the letters, and the Unicode bidi algorithm puts each line in its order (``_pdf_class``).

The words of the frame ("Contents", "updated …") and the day an article was updated are in the person's language
and calendar (``console.i18n``, ``console.zone``), as every other file the app writes.
"""

from __future__ import annotations

import functools
import html
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from console import i18n
from console.errors import ConsoleError
from console.i18n import LANGUAGES, RIGHT_TO_LEFT, _
from console.zone import day_text

if TYPE_CHECKING:
    from fpdf import FPDF
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# markdown-it and fpdf2 are imported where they are used: every command-line verb should not pay for them.

HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARTICLE_HEADING = 2
"""The level of an article's title; the headings of its body are moved below it (``# A`` becomes ``<h3>``)."""


@dataclass(frozen=True)
class ArticleDoc:
    """One published article, as it is exported."""

    number: str  # KB-0042
    title: str
    body: str  # Markdown
    language: str  # en, fa or ar
    module: str | None  # the ERP module's code (FI), None when the article is about no one module
    version: int
    updated_at: datetime  # aware, UTC


class ExportError(ConsoleError):
    pass


# ---- Markdown --------------------------------------------------------------------------------------------------


def _link_allowed(url: str) -> bool:
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:  # a malformed address (an unclosed [ in its host)
        return False
    return scheme in LINK_SCHEMES


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml

    class Articles(MarkdownIt):
        def validateLink(self, url: str) -> bool:
            return _link_allowed(url)

    md = Articles("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def image(renderer: object, tokens: Sequence[Token], idx: int, options: object, env: object) -> str:
        """A picture as a link to it, its description the link's text: the file fetches nothing."""
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        alt = "".join(child.content for child in token.children or ())
        return f'<a href="{escapeHtml(src)}">{escapeHtml(alt or src)}</a>'

    md.add_render_rule("image", image)
    return md


def _tokens(doc: ArticleDoc) -> list[Token]:
    """The article's Markdown read, its headings moved below the article's title (``# A`` becomes ``<h3>``)."""
    tokens = _markdown().parse(doc.body)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + ARTICLE_HEADING)}"
    return tokens


def _render(tokens: Sequence[Token]) -> str:
    md = _markdown()
    return str(md.renderer.render(tokens, md.options, {}))


def body_html(doc: ArticleDoc) -> str:
    """The article's Markdown as HTML: raw HTML escaped, links only to http, https and mailto addresses."""
    return _render(_tokens(doc))


# ---- HTML ------------------------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { margin: 0 auto; max-width: 52rem; padding: 1.5rem 2rem 4rem; color: #1f2328; background: #fff;
  font: 16px/1.6 "Segoe UI", "Noto Sans", "Noto Sans Arabic", Vazirmatn, Tahoma, "DejaVu Sans", sans-serif; }
h1 { font-size: 1.9rem; margin: 0 0 1rem; }
h2 { font-size: 1.5rem; margin: 0 0 .25rem; }
h3, h4, h5, h6 { margin: 1.4rem 0 .5rem; }
nav.contents { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem 1.5rem; margin-bottom: 2rem; }
nav.contents h2 { font-size: 1.1rem; margin-top: .5rem; }
article { border-top: 1px solid #d0d7de; padding-top: 1.5rem; margin-top: 2rem; }
.meta { color: #59636e; font-size: .9rem; margin: 0 0 1rem; }
.number { font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .3rem .7rem; text-align: start; }
th { background: #f6f8fa; }
code, pre { font-family: "DejaVu Sans Mono", Consolas, "Liberation Mono", monospace; font-size: .9em; }
code { background: #f6f8fa; padding: .1em .3em; border-radius: 4px; unicode-bidi: isolate; }
pre { background: #f6f8fa; padding: .8rem 1rem; overflow: auto; direction: ltr; text-align: left; }
pre code { padding: 0; background: none; }
blockquote { margin: 1rem 0; padding: 0 1rem; color: #59636e; border-inline-start: .25rem solid #d0d7de; }
a { color: #0969da; }
@media print {
  body { max-width: none; padding: 0; }
  nav.contents { break-after: page; }
  article { border: 0; break-before: page; margin: 0; }
  a { color: inherit; }
}
"""


def _direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def _anchor(doc: ArticleDoc, index: int) -> str:
    """An id for the article's place in the file: its number, made safe (and unique should two share one)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in doc.number.lower())
    return f"article-{index + 1}-{safe.strip('-') or 'kb'}"


def _meta(doc: ArticleDoc, zone: tzinfo) -> list[str]:
    """The article's facts, each a phrase in the person's language: module FI, version 3, updated 15 Jan 2027."""
    facts = [_("module {module}").format(module=doc.module)] if doc.module else []
    version = str(doc.version).translate(PERSIAN_DIGITS) if i18n.language() == "fa" else str(doc.version)
    facts.append(_("version {version}").format(version=version))  # in the day's digits
    facts.append(_("updated {day}").format(day=day_text(doc.updated_at, zone)))
    return facts


def _check(language: str, docs: Sequence[ArticleDoc]) -> None:
    for code in (language, *(doc.language for doc in docs)):
        if code not in LANGUAGES:
            raise ValueError(f"{code!r} is not one of the languages {LANGUAGES}")


def render_html(docs: Sequence[ArticleDoc], *, title: str, zone: tzinfo, language: str) -> str:
    """One HTML page holding ``docs`` in order, with no external resource; a table of contents when more than one.

    ``language`` is the reader's (``<html lang dir>``); each article carries its own ``lang`` and ``dir``, its
    facts (number, module, version, the day it was updated in ``zone``) are written in the reader's language."""
    _check(language, docs)
    esc = html.escape
    page_dir = _direction(language)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(language)}" dir="{page_dir}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{esc(title)}</h1></header>",
    ]
    if len(docs) > 1:
        parts.append(f'<nav class="contents" aria-labelledby="contents"><h2 id="contents">{esc(_("Contents"))}</h2>')
        parts.append("<ol>")
        for index, doc in enumerate(docs):
            parts.append(
                f'<li><a href="#{_anchor(doc, index)}"><bdi class="number">{esc(doc.number)}</bdi> '
                f'<bdi lang="{esc(doc.language)}">{esc(doc.title)}</bdi></a></li>'
            )
        parts.append("</ol></nav>")
    for index, doc in enumerate(docs):
        facts = " · ".join(f"<span>{esc(fact)}</span>" for fact in _meta(doc, zone))
        parts += [
            f'<article id="{_anchor(doc, index)}" lang="{esc(doc.language)}" dir="{_direction(doc.language)}">',
            f'<h2><bdi class="number">{esc(doc.number)}</bdi> {esc(doc.title)}</h2>',
            f'<p class="meta" lang="{esc(language)}" dir="{page_dir}">{facts}</p>',
            body_html(doc),
            "</article>",
        ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# ---- PDF -------------------------------------------------------------------------------------------------------

FONT = "DejaVu"
MONO = "DejaVuMono"
UPRIGHT = "DejaVuUpright"
"""DejaVu Sans again, for the letters its oblique faces lack (every Arabic-script letter): those show upright."""
GREY = "#59636e"
INK = "#1f2328"
LINE_HEIGHT = 1.3
INDENT = "\u00a0" * 5  # a list level
PAGES = "{kb-export-pages}"
"""Where fpdf2 writes the number of pages once it knows it: not its ``{nb}``, which an article may hold as text."""


def _cell_alignment(tokens: list[Token], rtl: bool) -> None:
    """fpdf2 reads a cell's ``align``, not markdown-it's ``style="text-align:…"``; a right-to-left cell is right."""
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            align = style.partition("text-align:")[2].strip() or ("right" if rtl else "")
            token.attrs.pop("style", None)
            if align:
                token.attrSet("align", align)


def _plain_cells(tokens: list[Token]) -> None:
    """A table cell's text without its inline markup: fpdf2 takes one run of text per cell (emphasis, code and
    links inside a cell are shown as plain text)."""
    from markdown_it.token import Token

    in_cell = False
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            in_cell = True
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif in_cell and token.type == "inline":
            text = "".join(
                " " if child.type in ("softbreak", "hardbreak") else child.content for child in token.children or ()
            )
            token.children = [Token("text", "", 0, content=text)]


def _mirror_tables(tokens: list[Token]) -> list[Token]:
    """Each table row's cells in the other order: a right-to-left table reads its first column on the right."""
    out: list[Token] = []
    cells: list[list[Token]] | None = None
    for token in tokens:
        if token.type == "tr_open":
            out.append(token)
            cells = []
        elif token.type == "tr_close" and cells is not None:
            out += [t for cell in reversed(cells) for t in cell]
            out.append(token)
            cells = None
        elif cells is not None:
            if token.type in ("th_open", "td_open"):
                cells.append([])
            cells[-1].append(token)
        else:
            out.append(token)
    return out


def _flatten_lists(tokens: list[Token], language: str) -> list[Token]:
    """Lists as paragraphs that start with their bullet or number. fpdf2 draws a list's markers on the left only,
    and none for the items of a loose list (``<li><p>``). A nested item, and an item's second paragraph, is
    indented by no-break spaces, which a line keeps at its start (the right, in a right-to-left article)."""
    from markdown_it.token import Token

    out: list[Token] = []
    counters: list[int | None] = []  # per open list: the next number, None for bullets
    marker = ""
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            counters.append(int(token.attrGet("start") or 1) if token.type == "ordered_list_open" else None)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
        elif token.type == "list_item_open":
            number = counters[-1]
            if number is not None:
                counters[-1] = number + 1
            mark = "•" if number is None else f"{number}."
            mark = mark.translate(PERSIAN_DIGITS) if language == "fa" else mark
            marker = INDENT * (len(counters) - 1) + mark + " "
        elif token.type == "list_item_close":
            marker = ""
        else:
            if token.type in ("paragraph_open", "paragraph_close"):
                token.hidden = False  # a tight list's items: paragraphs of their own here
            if token.type == "inline" and counters:
                lead = marker or INDENT * len(counters)
                token.children = [Token("text", "", 0, content=lead), *(token.children or [])]
                marker = ""
            out.append(token)
    return out


def _pdf_blocks(doc: ArticleDoc) -> list[tuple[str, bool]]:
    """The article's body as fpdf2 reads it, in blocks: (HTML, right to left). A code block at the top is a block
    of its own, always left to right; a right-to-left article's paragraphs and headings are aligned right."""
    rtl = doc.language in RIGHT_TO_LEFT
    tokens = _tokens(doc)
    _cell_alignment(tokens, rtl)
    _plain_cells(tokens)
    tokens = _flatten_lists(_mirror_tables(tokens) if rtl else tokens, doc.language)
    for token in tokens:
        if token.type == "paragraph_open":
            token.attrSet("style", f"line-height: {LINE_HEIGHT}")
        if rtl and token.type in ("paragraph_open", "heading_open"):
            token.attrSet("align", "right")
    blocks: list[tuple[list[Token], bool]] = []
    alone = False  # the block before is one to keep alone: a code block, a table, a rule
    for token in tokens:
        code = token.level == 0 and token.type in ("fence", "code_block")
        direction = rtl and not code
        if code or token.type in ("table_open", "hr") or alone or not blocks or blocks[-1][1] != direction:
            blocks.append(([], direction))
        blocks[-1][0].append(token)
        alone = code or token.type in ("table_close", "hr")
    return [(_render(part), direction) for part, direction in blocks]


@functools.cache
def _pdf_class() -> type[FPDF]:
    from fpdf import FPDF
    from fpdf.line_break import Fragment

    class ArticlePdf(FPDF):
        """fpdf2 2.8 puts right-to-left text in its order (the Unicode bidi algorithm) in ``cell``, ``multi_cell``
        and ``write``, but not in the text regions ``write_html`` writes with: there Persian came out joined but
        mirrored. Their text goes through the same step here; each paragraph's direction is the one
        ``set_text_shaping(direction=…)`` gave."""

        _ordering = False

        def _preload_bidirectional_text(self, text: str, markdown: bool) -> Sequence[Fragment]:
            before, self._ordering = self._ordering, True
            try:
                return super()._preload_bidirectional_text(text, markdown)
            finally:
                self._ordering = before

        def _preload_font_styles(
            self,
            text: str | None,
            markdown: bool,
            _initial_emphasis: tuple[bool, bool, bool, bool] | None = None,
        ) -> Sequence[Fragment]:
            if self._ordering or markdown or not text or not self.text_shaping:
                return super()._preload_font_styles(text, markdown, _initial_emphasis)
            return self._preload_bidirectional_text(text, markdown)

    return ArticlePdf


def _fonts_folder() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _new_pdf(title: str, language: str) -> FPDF:
    pdf = _pdf_class()(format="A4")
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.set_creator("Support Console")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.alias_nb_pages(PAGES)

    def footer() -> None:
        pdf.set_y(-12)
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(120)
        pdf.cell(0, 5, f"{pdf.page_no()} / {PAGES}", align="C")

    pdf.footer = footer  # type: ignore[method-assign]
    return pdf


def _add_fonts(pdf: FPDF) -> None:
    fonts = _fonts_folder()
    faces = {
        FONT: {"": "DejaVuSans", "B": "DejaVuSans-Bold", "I": "DejaVuSans-Oblique", "BI": "DejaVuSans-BoldOblique"},
        UPRIGHT: {"": "DejaVuSans", "B": "DejaVuSans-Bold"},
        MONO: {"": "DejaVuSansMono", "B": "DejaVuSansMono-Bold"},
    }
    for family, styles in faces.items():
        for style, name in styles.items():
            pdf.add_font(family, style, fonts / f"{name}.ttf")
    pdf.set_fallback_fonts([UPRIGHT], exact_match=False)


def _write_block(pdf: FPDF, block: str, *, rtl: bool) -> None:
    from fpdf import FontFace, TextStyle

    def heading(size: float, top: float, color: str = INK) -> TextStyle:
        return TextStyle(font_family=FONT, font_style="B", font_size_pt=size, color=color, t_margin=top, b_margin=0.3)

    if block.startswith(("<table", "<hr")):
        pdf.ln(3)  # fpdf2 draws them right under the line before
    pdf.set_text_shaping(True, direction="rtl" if rtl else "ltr")
    pdf.set_font(FONT, size=10.5)
    pdf.write_html(
        block,
        font_family=FONT,
        table_line_separators=True,
        tag_styles={
            "h1": heading(20, 0),
            "h2": heading(15, 2),
            "h3": heading(12.5, 4),
            "h4": heading(11, 3),
            "h5": heading(10.5, 3),
            "h6": heading(10.5, 3, GREY),
            "code": FontFace(family=MONO, color="#24292f"),
            "pre": TextStyle(font_family=MONO, font_size_pt=9, color="#24292f", t_margin=2, b_margin=2),
            "a": FontFace(color="#0969da"),
            "blockquote": TextStyle(color=GREY, t_margin=1, b_margin=1, l_margin=8),
            "p": TextStyle(t_margin=2.5),
            "ul": TextStyle(t_margin=1),
            "ol": TextStyle(t_margin=1),
        },
    )


def render_pdf(docs: Sequence[ArticleDoc], *, title: str, zone: tzinfo, language: str) -> bytes:
    """The articles as an A4 PDF: its text kept as text, DejaVu Sans embedded, the headings as its outline.

    The articles of a file with more than one start on a page of their own, after a list of them."""
    _check(language, docs)
    pdf = _new_pdf(title, language)
    try:
        _draw(pdf, docs, title=title, zone=zone, language=language)
        return bytes(pdf.output())
    finally:
        for font in pdf.fonts.values():  # fpdf2 reads its fonts lazily and leaves their files open
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()


def _draw(pdf: FPDF, docs: Sequence[ArticleDoc], *, title: str, zone: tzinfo, language: str) -> None:
    esc = html.escape
    frame_rtl = language in RIGHT_TO_LEFT
    frame_align = ' align="right"' if frame_rtl else ""
    _add_fonts(pdf)
    pdf.add_page()
    _write_block(pdf, f"<h1{frame_align}>{esc(title)}</h1>", rtl=frame_rtl)
    if len(docs) > 1:
        _write_block(pdf, f"<h2{frame_align}>{esc(_('Contents'))}</h2>", rtl=frame_rtl)
        for doc in docs:
            line = f"<p{frame_align}>{esc(doc.number)}  {esc(doc.title)}</p>"
            _write_block(pdf, line, rtl=doc.language in RIGHT_TO_LEFT)
    for index, doc in enumerate(docs):
        rtl = doc.language in RIGHT_TO_LEFT
        if index or len(docs) > 1:
            pdf.add_page()
        align = ' align="right"' if rtl else ""
        _write_block(pdf, f"<h2{align}>{esc(doc.number)} {esc(doc.title)}</h2>", rtl=rtl)
        facts = esc(" · ".join(_meta(doc, zone)))
        _write_block(pdf, f'<p{frame_align}><font color="{GREY}">{facts}</font></p>', rtl=frame_rtl)
        for block, block_rtl in _pdf_blocks(doc):
            _write_block(pdf, block, rtl=block_rtl)


# ---- writing ---------------------------------------------------------------------------------------------------


def write_export(docs: Sequence[ArticleDoc], path: Path, *, title: str, zone: tzinfo, language: str) -> Path:
    """Write ``docs`` to ``path`` as HTML (``.html``, ``.htm``) or PDF (``.pdf``), as its suffix says.

    The file appears whole or not at all: it is written beside ``path`` under another name and renamed into place.

    Raises:
        ExportError: the suffix is neither, or the file cannot be written (the message says why).
    """
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        content = render_html(docs, title=title, zone=zone, language=language).encode("utf-8")
    elif suffix in PDF_SUFFIXES:
        content = render_pdf(docs, title=title, zone=zone, language=language)
    else:
        raise ExportError(
            _("Cannot export articles to {name}: give a file name ending in .html or .pdf.").format(name=path.name)
        )
    _write_whole(path, content)
    return path


def _write_whole(path: Path, content: bytes) -> None:
    """``content`` written beside ``path`` under a name of its own, then renamed over it: a reader of ``path``
    sees the old file or the new one, never half of one. Created as ``open`` would (the umask decides who reads
    it), which ``tempfile.mkstemp`` does not: its files are the owner's alone."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        raise ExportError(_("Cannot write {path}: {reason}.").format(path=path, reason=exc.strerror or exc)) from exc
    finally:
        partial.unlink(missing_ok=True)  # renamed already, unless something failed
