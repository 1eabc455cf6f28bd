"""Reading an exported file safely: its encoding, its delimiter, and its rows streamed with their cells checked.

Exports come from Excel and from web tools in whatever encoding the desk had: UTF-8 with or without a byte
order mark, UTF-16 (Excel's "Unicode text", tab-separated), Windows-1256 (Persian and Arabic Excel). The
encoding is read from a byte order mark; else the file's first MiB is tried as UTF-8 (valid, or mostly valid
with a few broken rows); else charset-normalizer chooses among the code pages our desks' Excel writes
(``CODE_PAGES``): on a small file its unrestricted guess is as often Big5 or Mac Cyrillic as the truth. Where
it says Windows-1252 but the words past ASCII are made of such bytes alone (Persian or Arabic, which a few
words of read as well as accented Latin), Windows-1256 is taken. An encoding given by the caller wins.

The file is decoded as it is read, so memory stays flat whatever its size. Bytes that are not text in the
encoding, and halves of a UTF-16 surrogate pair without their other half, become marker characters (two
Unicode noncharacters, which no export writes) instead of stopping the read: the row holding them is reported
and the rows around it are read as usual. Each checked cell is held to ``CELL_LIMIT`` bytes.

A spreadsheet would run a cell such as ``=HYPERLINK(…)`` as a formula when the data is exported again and
opened: ``is_formula`` tells such cells, ``neutralise`` keeps them as text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from charset_normalizer import from_bytes

from console.i18n import _
from console.imports.problems import Outcome, Problem, ProblemKind, UnreadableFile

INVALID = "\ufdd0"
"""Stands for bytes that are not text in the file's encoding."""
SURROGATE = "\ufdd1"
"""Stands for half of a UTF-16 surrogate pair without its other half (a lone surrogate)."""
ERRORS = "support-console-import"
CELL_LIMIT = 1_000_000
"""Bytes (UTF-8) one cell may hold; a larger cell makes its row a bad row."""
FIELD_CEILING = 64 * 1024 * 1024
"""Characters the csv module reads in one cell before giving up on the file (its own default is 128 KiB)."""
SAMPLE_BYTES = 1 << 20
CODE_PAGES = ("cp1256", "cp1252")
"""Windows-1256 (Persian, Arabic) and Windows-1252 (English): what Excel on our desks writes without Unicode."""
DELIMITERS = (",", "\t", ";", "|")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _marked(error: UnicodeError) -> tuple[str, int]:
    """The decoding error handler: a marker in place of what is not text, and read on."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data, start = error.object, error.start
    if (
        error.encoding.startswith("utf-8")
        and data[start : start + 1] == b"\xed"
        and len(data) >= start + 3
        and 0xA0 <= data[start + 1] <= 0xBF
        and 0x80 <= data[start + 2] <= 0xBF
    ):
        return SURROGATE, start + 3  # a surrogate written as UTF-8 (CESU-8, or a broken conversion)
    if error.encoding.startswith("utf-16") and error.reason in ("illegal UTF-16 surrogate", "illegal encoding"):
        return SURROGATE, error.end
    return INVALID, error.end


codecs.register_error(ERRORS, _marked)


@dataclass(frozen=True)
class Encoding:
    name: str
    """The Python codec: ``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1256``…"""
    how: str
    """How it was told, in words, for the preview and the dry run."""


def detect_encoding(path: Path) -> Encoding:
    """The encoding of the file at ``path``, from its first MiB."""
    with path.open("rb") as handle:
        return encoding_of(handle.read(SAMPLE_BYTES))


def encoding_of(sample: bytes) -> Encoding:
    """The encoding of a file that starts with ``sample``."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Encoding(name, _("byte order mark"))
    wide = _utf16_without_bom(sample)
    if wide:
        return Encoding(wide, _("UTF-16 without a byte order mark"))
    decoded = codecs.getincrementaldecoder("utf-8")(ERRORS).decode(sample, final=False)
    broken = decoded.count(INVALID) + decoded.count(SURROGATE)
    if not broken:
        return Encoding("utf-8", _("valid UTF-8"))
    letters = sum(1 for ch in decoded if ch > "\x7f") - broken
    if letters >= 4 * broken:  # mostly UTF-8: the broken bytes are the rows to report, not another encoding
        return Encoding("utf-8", _("UTF-8 with some bytes that are not text"))
    best = from_bytes(sample, cp_isolation=list(CODE_PAGES)).best()
    found = codecs.lookup(best.encoding).name if best is not None else None
    if found != "cp1256" and _arabic_script(sample):
        return Encoding("cp1256", _("Arabic-script words in Windows-1256"))
    if found is None:  # too little text to judge by: the first of our desks' code pages, which reads any byte
        return Encoding(CODE_PAGES[0], _("not UTF-8; read as the first of our code pages"))
    return Encoding(found, _("detected by charset-normalizer"))


_WORD = re.compile(rb"[^\s,;|\"'()\[\]]+")


def _arabic_script(sample: bytes) -> bool:
    """Whether the words with bytes past ASCII are mostly made of them alone: Persian or Arabic written in a code
    page (a few such words read as well as accented Latin, where charset-normalizer's guess is a coin toss); a
    Latin word has its accented letters among plain ones (café, Grüße)."""
    words = [w for w in _WORD.findall(sample) if max(w) >= 0x80]
    alone = sum(1 for w in words if min(w) >= 0x80)
    return bool(words) and alone * 2 >= len(words)


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 of mostly ASCII headings and numbers shows as a zero byte in every other place."""
    head = sample[:4096]
    if len(head) < 8:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > half * 0.25 and even < half * 0.02:
        return "utf-16-le"
    if even > half * 0.25 and odd < half * 0.02:
        return "utf-16-be"
    return None


def delimiter_of(line: str) -> str:
    """The delimiter of a header line: the candidate seen most often outside quotes (a comma on a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


_CALL = re.compile(r"[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*\(")
_DDE = re.compile(r"\|.*!")


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet would run the cell: ``=`` anything, or ``+``, ``-``, ``@`` before a function call or
    a DDE link (``cmd|' /C calc'!A0``), also behind a tab or carriage return. Text such as "- step 1", "+1 from
    finance" or "@sara please check" is not a formula (it is escaped when exported, ``console.imports.export``)."""
    text = cell.lstrip("\t\r")
    if not text or text[0] not in "=+-@":
        return False
    return text[0] == "=" or text != cell or bool(_CALL.match(text)) or bool(_DDE.search(text))


def neutralise(cell: str) -> str:
    """The cell kept as text: a ``'`` in front, as a spreadsheet itself writes a text that starts with ``=``."""
    return "'" + cell


def utf8_size(cell: str) -> int:
    return len(cell.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Row:
    number: int
    """As a spreadsheet shows it: the header is row 1."""
    cells: tuple[str, ...]
    """As many as the header has: padded with "" when short (and then a problem says so)."""
    problems: tuple[Problem, ...] = ()


Record = tuple[int, Sequence[str], tuple[Problem, ...]]
"""A row as ``CsvFile.records`` gives it: its number, its cells and its problems (``Row``'s fields)."""


class CsvFile:
    """One delimited text file: its encoding, delimiter and header, and its rows, read afresh on each call."""

    def __init__(
        self, path: Path, *, encoding: str | None = None, delimiter: str | None = None, cell_limit: int = CELL_LIMIT
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UnreadableFile(_("There is no file {path}.").format(path=self.path))
        if encoding:
            try:
                self.encoding = Encoding(codecs.lookup(encoding).name, _("given"))
            except LookupError:
                raise UnreadableFile(_("{name!r} is not an encoding.").format(name=encoding)) from None
        else:
            self.encoding = detect_encoding(self.path)
        self.cell_limit = cell_limit
        with self._text() as stream:
            first, skipped = self._first_line(stream)
        if not first.strip():
            raise UnreadableFile(_("{path} is empty: it has no header row.").format(path=self.path))
        self.delimiter = delimiter or skipped or delimiter_of(first)
        self._sep_line = skipped is not None
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        self.header = tuple(cell.replace("\ufeff", "").strip() for cell in header)

    def _text(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self.path.open("rb"), encoding=self.encoding.name, errors=ERRORS, newline="")

    @staticmethod
    def _first_line(stream: io.TextIOWrapper) -> tuple[str, str | None]:
        """The header line, past Excel's ``sep=;`` line if there is one (and the delimiter that line names)."""
        first = stream.readline()
        found = re.fullmatch(r"\ufeff?sep=(.)\r?\n?", first)
        if found:
            return stream.readline(), found.group(1)
        return first, None

    def column(self, index: int) -> Iterator[str]:
        """One column's cells, row after row, unchecked: a quick look through the file (blank lines give "").

        Raises:
            UnreadableFile: as ``rows``.
        """
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_CEILING))
        with self._text() as stream:
            if self._sep_line:
                stream.readline()
            reader = csv.reader(stream, delimiter=self.delimiter)
            next(reader, None)
            try:
                for cells in reader:
                    yield cells[index] if index < len(cells) else ""
            except csv.Error as error:
                raise UnreadableFile(
                    _("{path} cannot be read as CSV ({error}).").format(path=self.path.name, error=error)
                ) from None

    def rows(self, checked: Collection[int] | None = None) -> Iterator[Row]:
        """Every row after the header, streamed. Cells in the columns ``checked`` (every column when None) are held
        to the size limit and must be text; a row with more or fewer cells than the header is a bad row too.

        Raises:
            UnreadableFile: the csv module cannot go on (a cell larger than ``FIELD_CEILING``).
        """
        for number, cells, problems in self.records(checked):
            yield Row(number, tuple(cells), problems)

    def records(self, checked: Collection[int] | None = None) -> Iterator[Record]:
        """``rows`` as plain tuples (number, cells, problems): what the import reads, one per row, made quickly.
        The cells are as many as the header has, as in a ``Row``."""
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_CEILING))  # process-wide; only ever raised
        width = len(self.header)
        columns = range(width) if checked is None else sorted(i for i in checked if i < width)
        limit = self.cell_limit
        with self._text() as stream:
            if self._sep_line:
                stream.readline()
            first = stream.readline()
            reader = csv.reader(chain([first], stream), delimiter=self.delimiter)
            next(reader, None)
            number = 1
            try:
                for cells in reader:
                    number += 1
                    if len(cells) == width:  # nearly every row: one look at the whole row first
                        whole = "".join(cells)  # no marker in text that is all ASCII (told at once)
                        if len(whole) * 4 <= limit and (
                            whole.isascii() or (INVALID not in whole and SURROGATE not in whole)
                        ):
                            yield number, cells, ()
                            continue
                    elif not cells or (len(cells) == 1 and not cells[0].strip() and width > 1):
                        continue  # a blank line
                    yield self._checked(number, cells, width, columns)
            except csv.Error as error:
                raise UnreadableFile(
                    _("Row {row} of {path} cannot be read ({error}); nothing after it can be trusted.").format(
                        row=number + 1, path=self.path.name, error=error
                    )
                ) from None

    def _checked(self, number: int, cells: list[str], width: int, columns: Collection[int]) -> Record:
        problems: list[Problem] = []
        if len(cells) < width:
            problems.append(self._count_problem(number, len(cells), width, _("the row looks cut off")))
            cells += [""] * (width - len(cells))
        elif len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(
                self._count_problem(number, len(cells), width, _("a cell may hold the delimiter without quotes"))
            )
        whole = "".join(cells)  # one look at the whole row first: nearly every row passes it
        if len(whole) * 4 <= self.cell_limit and INVALID not in whole and SURROGATE not in whole:
            return number, cells[:width], tuple(problems)
        for index in columns:
            cell = cells[index]
            kind = None
            if len(cell) * 4 > self.cell_limit and utf8_size(cell) > self.cell_limit:
                kind = ProblemKind.CELL_TOO_LARGE
                message = _(
                    "the cell in {column} holds {size:,} bytes, over the limit of {limit:,}; the row is left out"
                ).format(column=self.header[index], size=utf8_size(cell), limit=self.cell_limit)
                cells[index] = ""  # not kept in memory
            elif cell.isascii():
                continue
            elif INVALID in cell:
                kind = ProblemKind.INVALID_BYTES
                message = _(
                    "the cell in {column} holds bytes that are not {encoding} text; the row is left out"
                ).format(column=self.header[index], encoding=self.encoding.name)
            elif SURROGATE in cell:
                kind = ProblemKind.LONE_SURROGATE
                message = _("the cell in {column} holds half of a UTF-16 character pair without its other half").format(
                    column=self.header[index]
                )
            if kind is not None:
                problems.append(Problem(number, kind, Outcome.SKIPPED, message, column=self.header[index]))
        return number, cells[:width], tuple(problems)

    @staticmethod
    def _count_problem(number: int, found: int, width: int, why: str) -> Problem:
        message = _("the row has {found} cells and the header {width}: {why}; the row is left out").format(
            found=found, width=width, why=why
        )
        return Problem(number, ProblemKind.CELL_COUNT, Outcome.SKIPPED, message)
