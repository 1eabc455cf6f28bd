"""Knowledge articles exported as one HTML file or a PDF: escaped, right to left where the article is, the days in the
reader's zone and calendar, written whole or not at all, with no Qt."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from console import i18n, zone
from console.errors import ConsoleError
from console.knowledge import export
from console.knowledge.export import ArticleDoc, render_html, write_export

TEHRAN = ZoneInfo("Asia/Tehran")
LATE_EVENING = datetime(2027, 1, 15, 21, 30, tzinfo=UTC)  # already the 16th in Tehran (01:00)

ENGLISH = ArticleDoc(
    number="KB-0042",
    title="Posting a vendor invoice",
    body=textwrap.dedent(
        """\
        # Before you start

        You need the **AP clerk** role. See [the FI guide](https://example.com/fi) or <mailto:fi@example.com>.
        Not a link: [click](javascript:alert(1)). <script>alert(1)</script>

        1. Open `FB60`.
        2. Post.

        | Field | Value |
        |:------|------:|
        | Company code | 1000 |
        """
    ),
    language="en",
    module="FI",
    version=3,
    updated_at=LATE_EVENING,
)
PERSIAN = ArticleDoc(
    number="KB-0043",
    title="ثبت فاکتور فروشنده",
    body=textwrap.dedent(
        """\
        اول **وسط** آخر

        ## گام‌ها

        - تراکنش `FB60` را باز کنید.
        - ببب گچ پژ ژاله یک.

        | فیلد | مقدار |
        |------|------|
        | کد شرکت | 1000 |
        """
    ),
    language="fa",
    module=None,
    version=2,
    updated_at=datetime(2026, 12, 15, 18, 0, tzinfo=UTC),
)


# ---- a small tree of the HTML written -------------------------------------------------------------------------

VOID = frozenset({"meta", "br", "hr", "img", "link", "input", "source", "col", "area", "base", "wbr", "embed"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(tag)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parsed(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "elements left open"
    return builder.root


def articles(root: Element) -> dict[str, Element]:
    return {element.attrs["lang"] or "": element for element in root.iter("article")}


@pytest.fixture
def persian_reader() -> Iterator[None]:
    before = i18n.language()
    i18n.choose("fa")
    yield
    i18n.choose(before)


# ---- HTML ------------------------------------------------------------------------------------------------------


def test_the_html_holds_both_articles_each_in_its_direction() -> None:
    root = parsed(render_html([ENGLISH, PERSIAN], title="Tier 0 <articles>", zone=TEHRAN, language="en"))
    (page,) = root.iter("html")
    assert (page.attrs["lang"], page.attrs["dir"]) == ("en", "ltr")
    assert [t.text() for t in root.iter("title")] == ["Tier 0 <articles>"]
    assert [h.text() for h in root.iter("h1")] == ["Tier 0 <articles>"]
    english, persian = articles(root)["en"], articles(root)["fa"]
    assert english.attrs["dir"] == "ltr"
    assert persian.attrs["dir"] == "rtl"
    assert next(persian.iter("h2")).text() == "KB-0043 ثبت فاکتور فروشنده"
    assert next(persian.iter("h4")).text() == "گام‌ها"  # "##" in the body: two below the article's own heading
    assert next(english.iter("h3")).text() == "Before you start"
    # the table of contents links to each article, in order
    (contents,) = root.iter("nav")
    assert [a.attrs["href"] for a in contents.iter("a")] == [f"#{english.attrs['id']}", f"#{persian.attrs['id']}"]


def test_tables_lists_and_code_are_html() -> None:
    root = parsed(render_html([ENGLISH], title="One", zone=UTC, language="en"))
    (article,) = root.iter("article")
    (table,) = article.iter("table")
    assert [th.text() for th in table.iter("th")] == ["Field", "Value"]
    assert [td.text() for td in table.iter("td")] == ["Company code", "1000"]
    assert [li.text() for li in article.iter("li")] == ["Open FB60.", "Post."]
    assert [c.text() for c in article.iter("code")] == ["FB60"]
    assert list(root.iter("nav")) == []  # one article: no table of contents


def test_the_facts_of_an_article_are_in_the_readers_zone_and_words() -> None:
    root = parsed(render_html([ENGLISH, PERSIAN], title="T", zone=TEHRAN, language="en"))
    meta = {lang: next(a.iter("p")) for lang, a in articles(root).items()}
    assert meta["en"].attrs["class"] == "meta"
    assert meta["en"].text() == "module FI · version 3 · updated 16 Jan 2027"  # Tehran's day, not UTC's 15th
    assert meta["fa"].text() == "version 2 · updated 15 Dec 2026"  # no module: not named
    assert "2027-01-15" not in str(root.text())


def test_a_persian_reader_gets_a_right_to_left_page_and_the_jalali_day(persian_reader: None) -> None:
    root = parsed(render_html([ENGLISH], title="مقاله‌ها", zone=TEHRAN, language="fa"))
    (page,) = root.iter("html")
    assert (page.attrs["lang"], page.attrs["dir"]) == ("fa", "rtl")
    (article,) = root.iter("article")
    assert (article.attrs["lang"], article.attrs["dir"]) == ("en", "ltr")  # the article keeps its own direction
    meta = next(article.iter("p"))
    assert (meta.attrs["lang"], meta.attrs["dir"]) == ("fa", "rtl")
    day = zone.day_text(LATE_EVENING, TEHRAN)
    assert day == "۲۶ دی ۱۴۰۵"
    assert day in meta.text()
    assert "۳" in meta.text()  # version 3, in the day's digits
    assert "3" not in meta.text()


def test_raw_html_is_text_and_only_web_and_mail_addresses_are_links() -> None:
    page = render_html([ENGLISH], title="T", zone=UTC, language="en")
    root = parsed(page)
    assert list(root.iter("script")) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" in root.text()
    links = [a.attrs["href"] for a in root.iter("a")]
    assert links == ["https://example.com/fi", "mailto:fi@example.com"]
    assert "[click](javascript:alert(1))" in root.text()


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "[x](/relative/page)",
        "![x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        "<iframe src=https://example.com></iframe>",
    ],
)
def test_no_dangerous_link_nor_element(markdown: str) -> None:
    doc = ArticleDoc("KB-1", "T", markdown, "en", None, 1, LATE_EVENING)
    root = parsed(render_html([doc], title="T", zone=UTC, language="en"))
    (article,) = root.iter("article")
    assert list(article.iter("a")) == []
    assert [e.tag for e in article.iter() if e.tag in ("script", "img", "iframe")] == []
    assert all(not name.startswith("on") for e in root.iter() for name in e.attrs)


def test_a_picture_is_a_link_not_fetched() -> None:
    doc = ArticleDoc("KB-1", "T", "![the *posting* screen](https://example.com/fb60.png)", "en", None, 1, LATE_EVENING)
    root = parsed(render_html([doc], title="T", zone=UTC, language="en"))
    (link,) = next(root.iter("article")).iter("a")
    assert (link.attrs["href"], link.text()) == ("https://example.com/fb60.png", "the posting screen")


def test_the_page_needs_nothing_from_outside() -> None:
    root = parsed(render_html([ENGLISH, PERSIAN], title="T", zone=UTC, language="en"))
    assert [e.tag for e in root.iter() if e.tag in ("link", "img", "script", "iframe", "object", "embed")] == []
    assert all("src" not in e.attrs for e in root.iter())
    (style,) = root.iter("style")
    assert "url(" not in style.text()
    assert "@import" not in style.text()


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'de'"):
        render_html([ENGLISH], title="T", zone=UTC, language="de")


# ---- PDF -------------------------------------------------------------------------------------------------------


def text_runs(page: Any) -> list[tuple[float, float, str]]:
    """(x, y, text) of each run of text pypdf reads on a page."""
    runs: list[tuple[float, float, str]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            runs.append((float(tm[4]), float(tm[5]), text))

    page.extract_text(visitor_text=visit)
    return runs


def x_of(runs: list[tuple[float, float, str]], word: str) -> float:
    (x,) = [x for x, _, text in runs if text.strip() == word]
    return x


def fonts_of(reader: PdfReader) -> list[tuple[str, Any]]:
    """(name, font) of each font the pages use: ``DejaVuSansBook`` for ``/MPDFAA+DejaVuSansBook``."""
    resources: list[Any] = [page["/Resources"] for page in reader.pages]
    found = {id(f.get_object()): f.get_object() for r in resources for f in r["/Font"].values()}
    return [(str(font["/BaseFont"]).split("+")[-1], font) for font in found.values()]


def glyphs_per_letter(font: Any) -> dict[str, set[str]]:
    """Which glyphs (codes) the font's ToUnicode map reads as each letter: a letter shaped in more than one
    position (initial, medial, final) has more than one."""
    cmap = font["/ToUnicode"].get_object().get_data().decode("ascii")
    letters: dict[str, set[str]] = {}
    for code, unicode in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})>", cmap):
        letters.setdefault(chr(int(unicode, 16)), set()).add(code)
    return letters


def test_a_pdf_of_english_and_persian_articles(tmp_path: Path) -> None:
    path = write_export([ENGLISH, PERSIAN], tmp_path / "tier0.pdf", title="Tier 0", zone=TEHRAN, language="en")
    assert path == tmp_path / "tier0.pdf"
    reader = PdfReader(path, strict=True)
    assert len(reader.pages) == 3  # the contents, then each article on a page of its own
    assert reader.metadata is not None
    assert reader.metadata.title == "Tier 0"
    whole = "\n".join(page.extract_text() for page in reader.pages)
    for text in ("Posting a vendor invoice", "KB-0042", "KB-0043", "updated 16 Jan 2027", "Company code"):
        assert text in whole
    assert "<script>alert(1)</script>" in whole
    assert [p.name for p in tmp_path.iterdir()] == ["tier0.pdf"]  # no partial file left beside it


def test_persian_in_the_pdf_is_dejavu_joined_and_right_to_left(tmp_path: Path) -> None:
    reader = PdfReader(write_export([PERSIAN, ENGLISH], tmp_path / "fa.pdf", title="T", zone=TEHRAN, language="fa"))
    fonts = fonts_of(reader)
    assert {"DejaVuSansBook", "DejaVuSansBold"} <= {name for name, _ in fonts}
    persian_page = reader.pages[1]
    text = persian_page.extract_text()
    assert set("پچژگی") <= set(text)
    # joined: "ببب" takes beh's initial, medial and final forms, three glyphs read as the one letter
    beh = [glyphs_per_letter(font).get("ب", set()) for name, font in fonts if name == "DejaVuSansBook"]
    assert max(len(glyphs) for glyphs in beh) >= 3
    # right to left: "اول **وسط** آخر" is three runs, the first word on the right
    runs = text_runs(persian_page)
    assert x_of(runs, "اول") > x_of(runs, "وسط") > x_of(runs, "آخر")
    # while an English article stays left to right in the same file
    english = text_runs(reader.pages[2])
    assert x_of(english, "You need the") < x_of(english, "AP clerk")


def test_a_right_to_left_table_reads_its_first_column_on_the_right(tmp_path: Path) -> None:
    reader = PdfReader(write_export([PERSIAN], tmp_path / "fa.pdf", title="T", zone=TEHRAN, language="fa"))
    runs = text_runs(reader.pages[0])
    assert x_of(runs, "فیلد") > x_of(runs, "مقدار")
    assert x_of(runs, "کد شرکت") > x_of(runs, "1000")


# ---- writing ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["kb.html", "kb.HTM"])
def test_an_html_file_is_written_as_utf8(tmp_path: Path, name: str) -> None:
    path = write_export([PERSIAN], tmp_path / name, title="T", zone=UTC, language="en")
    assert path.read_text(encoding="utf-8") == render_html([PERSIAN], title="T", zone=UTC, language="en")


@pytest.mark.parametrize("name", ["kb.docx", "kb", "kb.pdf.txt"])
def test_another_suffix_is_refused_in_words(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConsoleError, match=re.escape(f"Cannot export articles to {name}: give a file name ending")):
        write_export([ENGLISH], tmp_path / name, title="T", zone=UTC, language="en")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["kb.pdf", "kb.html"])
def test_a_render_that_fails_leaves_no_file_and_the_old_one_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(export, "_write_block", broken)
    monkeypatch.setattr(export, "body_html", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        write_export([ENGLISH], tmp_path / name, title="T", zone=UTC, language="en")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / name).write_bytes(b"the export of yesterday")
    with pytest.raises(RuntimeError, match="drawing failed"):
        write_export([ENGLISH], tmp_path / name, title="T", zone=UTC, language="en")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert (tmp_path / name).read_bytes() == b"the export of yesterday"


def test_a_write_that_fails_says_why_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ConsoleError, match="No space left on device"):
        write_export([ENGLISH], tmp_path / "kb.html", title="T", zone=UTC, language="en")
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_readable_as_any_file_written_there(tmp_path: Path) -> None:
    beside = tmp_path / "beside.txt"
    beside.write_bytes(b"")
    path = write_export([ENGLISH], tmp_path / "kb.html", title="T", zone=UTC, language="en")
    assert path.stat().st_mode == beside.stat().st_mode  # the umask's, not 0600 as a temporary file's


def test_text_fpdf2_could_take_for_its_own_stays_as_written(tmp_path: Path) -> None:
    body = "Page {nb} of {nb}; a face 😀 and 漢字 the fonts lack."
    doc = ArticleDoc("KB-1", "{nb} pages", body, "en", None, 1, LATE_EVENING)
    reader = PdfReader(write_export([doc], tmp_path / "kb.pdf", title="T", zone=UTC, language="en"))
    text = reader.pages[0].extract_text()
    assert "{nb} pages" in text
    assert "Page {nb} of {nb}" in text
    assert "1 / 1" in text  # the footer's count of pages


def test_a_missing_folder_is_a_message(tmp_path: Path) -> None:
    with pytest.raises(ConsoleError, match=r"Cannot write .*nowhere.*kb\.pdf: "):
        write_export([ENGLISH], tmp_path / "nowhere" / "kb.pdf", title="T", zone=UTC, language="en")


NO_QT = """
import importlib.abc, sys
from datetime import UTC, datetime
from pathlib import Path

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"Qt is not installed here ({name})")
        return None

sys.meta_path.insert(0, NoQt())
from console.knowledge.export import ArticleDoc, write_export

doc = ArticleDoc("KB-7", "بدون نمایشگر", "متن **پررنگ**\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |", "fa", "FI", 1,
                 datetime(2027, 1, 1, tzinfo=UTC))
for name in ("kb.pdf", "kb.html"):
    write_export([doc, doc], Path(sys.argv[1]) / name, title="T", zone=UTC, language="fa")
assert not [m for m in sys.modules if m.partition(".")[0] in ("PySide6", "shiboken6", "views")]
print("written")
"""


def test_exports_with_no_display_and_no_qt(tmp_path: Path) -> None:
    script = tmp_path / "no_qt.py"
    script.write_text(NO_QT, encoding="utf-8")
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {name: value for name, value in os.environ.items() if name not in hidden}  # no display at all
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "written"
    assert (tmp_path / "kb.pdf").read_bytes().startswith(b"%PDF")
    assert PdfReader(io.BytesIO((tmp_path / "kb.pdf").read_bytes())).pages
    assert 'dir="rtl"' in (tmp_path / "kb.html").read_text(encoding="utf-8")
