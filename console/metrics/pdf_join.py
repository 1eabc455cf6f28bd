"""Two PDF files as matplotlib's PDF backend writes them, joined into one: the pages of the second after those of
the first. A report's pages are drawn by two processes side by side (``console.metrics.report``), each into a
file of its own; this puts them together without drawing anything again.

Only what that backend writes is read: a classic cross-reference table, one flat ``/Pages`` node, indirect
objects ``N 0 obj ... endobj``. The second file's objects are renumbered after the first's (references in
dictionaries and arrays; strings and stream data are copied as they are), its pages join the first file's page
tree, and the first file's catalog and document information stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref", re.S)
_STREAM = re.compile(rb">>\s*stream\r?\n")
_REFERENCE = re.compile(rb"(?<![\w.])(\d+) 0 R(?![\w])")
_HEADER = re.compile(rb"\s*(\d+) 0 obj")


class NotJoinable(ValueError):
    """A file this joiner does not read (not written by matplotlib's PDF backend)."""


@dataclass(frozen=True)
class _Pdf:
    data: bytes
    offsets: dict[int, int]  # object number → where it starts
    xref_at: int
    size: int
    root: int
    pages: int
    info: int | None
    kids: list[int]
    ends: dict[int, int]  # object number → where the next object (or the cross-reference table) starts

    @classmethod
    def read(cls, data: bytes) -> _Pdf:
        found = _STARTXREF.search(data[-64:])
        if found is None or not data.startswith(b"%PDF-"):
            raise NotJoinable("no cross-reference table at the end")
        xref_at = int(found[1])
        lines = data[xref_at:].split(b"\n", 2)
        if lines[0].strip() != b"xref":
            raise NotJoinable("a cross-reference stream, not a table")
        first, count = (int(n) for n in lines[1].split())
        entries = lines[2]
        offsets = {}
        for index in range(count):
            entry = entries[index * 20 : index * 20 + 20]
            if entry[17:18] == b"n":
                offsets[first + index] = int(entry[:10])
        trailer = _TRAILER.search(data, xref_at)
        if trailer is None:
            raise NotJoinable("no trailer")
        fields = trailer[1]
        root = _number_of(fields, b"/Root")
        info = _number_of(fields, b"/Info") if b"/Info" in fields else None
        catalog = _object(data, offsets, root)
        pages = _number_of(catalog, b"/Pages")
        tree = _object(data, offsets, pages)
        kids_at = tree.index(b"/Kids")
        kids = [int(n) for n in _REFERENCE.findall(tree[kids_at : tree.index(b"]", kids_at)])]
        size = _number_of(fields, b"/Size", reference=False)
        starts = sorted(offsets.values())
        following = dict(zip(starts, [*starts[1:], xref_at], strict=True))
        ends = {number: following[start] for number, start in offsets.items()}
        return cls(data, offsets, xref_at, size, root, pages, info, kids, ends)

    def body(self, number: int) -> bytes:
        """The object's bytes from ``N 0 obj`` to the next object (or the cross-reference table)."""
        return self.data[self.offsets[number] : self.ends[number]]


def _number_of(text: bytes, key: bytes, *, reference: bool = True) -> int:
    found = re.search(re.escape(key) + (rb"\s+(\d+) 0 R" if reference else rb"\s+(\d+)"), text)
    if found is None:
        raise NotJoinable(f"no {key.decode()}")
    return int(found[1])


def _object(data: bytes, offsets: dict[int, int], number: int) -> bytes:
    start = offsets[number]
    return data[start : data.index(b"endobj", start)]


def _renumbered(body: bytes, shift: int, parent: tuple[int, int] | None = None) -> bytes:
    """An object's bytes with every reference outside strings and stream data moved by ``shift``, and its number
    too; ``parent``: (old, new) page tree node of a page."""
    stream = _STREAM.search(body)
    head, tail = (body[: stream.start()], body[stream.start() :]) if stream else (body, b"")
    out = bytearray()
    depth = 0  # inside a (string), its nesting
    plain = 0  # where the text outside strings began
    index = 0
    while index < len(head):
        char = head[index : index + 1]
        if depth:
            if char == b"\\":
                index += 1
            elif char == b"(":
                depth += 1
            elif char == b")":
                depth -= 1
                if not depth:
                    out += head[plain : index + 1]
                    plain = index + 1
        elif char == b"(":
            out += _moved(head[plain:index], shift, parent)
            plain = index
            depth = 1
        index += 1
    out += head[plain:] if depth else _moved(head[plain:], shift, parent)
    header = _HEADER.match(out)
    if header is None:
        raise NotJoinable("an object without its header")
    number = int(header[1])
    return b"%d 0 obj" % (number + shift) + bytes(out[header.end() :]) + tail


def _moved(text: bytes, shift: int, parent: tuple[int, int] | None) -> bytes:
    def move(found: re.Match[bytes]) -> bytes:
        number = int(found[1])
        if parent is not None and number == parent[0]:
            return b"%d 0 R" % parent[1]
        return b"%d 0 R" % (number + shift)

    return _REFERENCE.sub(move, text)


def join(first: bytes, second: bytes) -> bytes:
    """One PDF: the pages of ``first``, then those of ``second``."""
    a, b = _Pdf.read(first), _Pdf.read(second)
    shift = a.size - 1
    out = bytearray(first[: a.xref_at])
    if not out.endswith(b"\n"):
        out += b"\n"
    where = dict(a.offsets)
    skipped = {b.root, b.pages} | ({b.info} if b.info is not None else set())
    kids = set(b.kids)
    for number in sorted(b.offsets):
        if number in skipped:
            continue
        where[number + shift] = len(out)
        out += _renumbered(b.body(number), shift, (b.pages, a.pages) if number in kids else None)
    pages = [*a.kids, *(k + shift for k in b.kids)]
    where[a.pages] = len(out)  # the page tree again, with both files' pages: this copy is the one the table names
    out += b"%d 0 obj\n<< /Type /Pages /Kids [ %s ] /Count %d >>\nendobj\n" % (
        a.pages,
        b" ".join(b"%d 0 R" % k for k in pages),
        len(pages),
    )
    size = a.size + b.size - 1
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % where[number] if number in where else b"0000000000 65535 f \n"
    info = b" /Info %d 0 R" % a.info if a.info is not None else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, a.root, info, xref_at)
    return bytes(out)
