"""Rows for a person (an aligned table; CSV with headings in words) or for a program (JSON, typed): the one
writer of every listing the command line prints and of the CSV files.

Each value is given as what it is — a number, a moment, a length of time, a status — and written as each
format needs it:

- **table and CSV**, for a person: headings and states in words (``console.words``), moments as
  "15 Jan 2027 18:00" in the person's zone, named once in the heading of their column ("Due (Europe/London)"),
  lengths of time as hours:minutes, nothing as an empty cell. In a table a tab or a
  line break in a cell (a title pasted from a mail) is a space or a ⏎, never a broken row, and a wide
  character (Chinese, Japanese) takes its two columns; CSV keeps the text whole, quoted.
- **JSON**, for a program: the keys and the machine values of the enums; numbers as numbers, moments as
  ISO 8601 with their zone, a length of time as whole minutes (its key says so: ``used_minutes``), nothing as
  null.
"""

from __future__ import annotations

import csv
import enum
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TextIO

from console.words import word
from console.zone import moment_text, zoned

Cell = str | int | float | bool | datetime | date | timedelta | enum.Enum | None
Machine = str | int | float | bool | None
FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Rows:
    """Things one to a row. ``columns`` maps each key to its heading, in order: the table's and the CSV's
    columns. JSON carries the keys of ``machine`` (default: the columns'), so a window shown as one text can
    reach a program as its start and end."""

    title: str
    columns: Mapping[str, str]
    rows: Sequence[Mapping[str, Cell]]
    machine: Sequence[str] = ()


@dataclass(frozen=True)
class Record:
    """One thing's fields: a table lists them heading by heading, CSV is one row under the headings, JSON
    one object of the keys of ``machine`` (default: the fields')."""

    title: str
    fields: Mapping[str, str]
    values: Mapping[str, Cell]
    machine: Sequence[str] = ()


Section = Rows | Record


def machine_value(value: Cell) -> Machine:
    """A value as JSON carries it."""
    if isinstance(value, enum.Enum):
        return value.value  # type: ignore[no-any-return]
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds() / 60)  # whole minutes, toward zero, as the table's hours:minutes
    return value


def hours_minutes(value: timedelta) -> str:
    """4:00, 633:28, -3:10."""
    sign = "-" if value < timedelta() else ""
    minutes = abs(int(value.total_seconds())) // 60
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def text_value(value: Cell, *, grouped: bool = True) -> str:
    """A value as a person reads it in a table (``grouped``: 1,400) or a CSV file (1400)."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return word(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if grouped else str(value)
    if isinstance(value, float):
        return f"{value:,.1f}" if grouped else f"{value:.1f}"
    if isinstance(value, datetime):
        return moment_text(value)  # the zone is named in the heading (``headings``)
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    if isinstance(value, timedelta):
        return hours_minutes(value)
    return value


_BREAK = re.compile(r"[ \t]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])[ \t]*")


def one_line(text: str) -> str:
    """A cell's text on one line: a line break is a ⏎, a tab a space, another control character a �."""
    text = _BREAK.sub(" ⏎ ", text)
    return "".join(" " if ch == "\t" else "\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in text)


def width(text: str) -> int:
    """The columns ``text`` takes in a terminal: a wide character two, a combining mark or a joiner none."""
    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def _aligned(lines: Sequence[Sequence[str]]) -> Iterator[str]:
    widths = [max(width(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        yield "  ".join(cell + " " * (w - width(cell)) for cell, w in zip(line, widths, strict=True)).rstrip()


def _moments(key: str) -> bool:
    """A key that names moments (``at``, ``due_at``): its column names the zone even when it lists nothing, so
    a script finds the same headings in a CSV file of none."""
    return key == "at" or key.endswith("_at")


def headings(section: Section) -> list[str]:
    """The section's headings, those over moments naming the person's zone they are in: "Due (Asia/Tehran)"."""
    if isinstance(section, Record):
        values = section.values
        return [
            zoned(h) if _moments(k) or isinstance(values.get(k), datetime) else h for k, h in section.fields.items()
        ]
    timed = {k for row in section.rows for k, v in row.items() if isinstance(v, datetime)}
    return [zoned(h) if _moments(k) or k in timed else h for k, h in section.columns.items()]


def _table(section: Section) -> list[str]:
    if isinstance(section, Record):
        values = [text_value(section.values.get(k)) for k in section.fields]
        lines = [[one_line(h), one_line(v)] for h, v in zip(headings(section), values, strict=True)]
    else:
        lines = [[one_line(h) for h in headings(section)]]
        lines += [[one_line(text_value(row.get(k))) for k in section.columns] for row in section.rows]
    return ([section.title] if section.title else []) + list(_aligned(lines))


def _csv(out: TextIO, section: Section) -> None:
    writer = csv.writer(out, lineterminator="\n")
    if isinstance(section, Record):
        writer.writerow(headings(section))
        writer.writerow(text_value(section.values.get(k), grouped=False) for k in section.fields)
        return
    writer.writerow(headings(section))
    writer.writerows([text_value(row.get(k), grouped=False) for k in section.columns] for row in section.rows)


def _json(section: Section) -> object:
    if isinstance(section, Record):
        return {k: machine_value(section.values.get(k)) for k in section.machine or section.fields}
    keys = section.machine or list(section.columns)
    return [{k: machine_value(row.get(k)) for k in keys} for row in section.rows]


def write_sections(out: TextIO, fmt: str, sections: Mapping[str, Section]) -> None:
    """Write the sections as a table (each under its title, an empty list left out), as CSV (one after the
    other, each under its headings; a listing with no rows its headings alone) or as one JSON object of the
    sections by name. A table of nothing writes nothing: the caller says what matched none."""
    if fmt == "json":
        json.dump({name: _json(s) for name, s in sections.items()}, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    alone = fmt == "csv" and len(sections) == 1
    shown = [s for s in sections.values() if isinstance(s, Record) or s.rows or (alone and s.columns)]
    for index, section in enumerate(shown):
        if fmt == "csv":
            _csv(out, section)
            continue
        out.write(("\n" if index else "") + "\n".join(_table(section)) + "\n")


def write_rows(out: TextIO, fmt: str, sections: Mapping[str, Sequence[Mapping[str, Cell]]]) -> None:
    """Sections of rows whose keys are their headings (the report's and the agenda's tables)."""
    write_sections(
        out,
        fmt,
        {
            name: Rows(name[:1].upper() + name[1:], {k: k for k in rows[0]} if rows else {}, rows)
            for name, rows in sections.items()
        },
    )
