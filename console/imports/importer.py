"""A file opened for import, and its tickets read from it, streamed: the entry point of the reading side.

``ImportFile`` opens a file: it reads the encoding, the delimiter and the header, tells the source from the
columns (or takes the one given), and lays the mapping on the header, so a wrong file fails at once with a
message. ``ImportFile.read()`` then reads it afresh, ticket by ticket (``Reading``): memory stays flat in the
file's size, but for a set of ticket numbers (to tell duplicates, and whether each ticket's rows are together).

The rows of one ticket in an event log are usually together. When they are not, they are first gathered in a
temporary SQLite file beside no other data (``spilled``) and the tickets come in order of their numbers.

A file's dates with no zone need one: ``needs_time_zone`` tells from its first rows, and reading raises
``TimeZoneRequired`` (naming ``--time-zone``) at the first such date when none was given.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from console.i18n import _
from console.imports.dates import DateReader
from console.imports.lines import Line, LineReader
from console.imports.mapping import Binding, Field, Mapping, RowShape
from console.imports.missing import NameTally
from console.imports.problems import ImportFailed, Outcome, Problem, ProblemKind, ProblemLog, TimeZoneRequired
from console.imports.reading import CELL_LIMIT, CsvFile, Encoding, Row
from console.imports.records import ImportedTicket
from console.imports.sources import Source, detect_source, load_mapping, mapping_for
from console.imports.tickets import TicketBuilder
from console.zone import known_zone, zone_problem

SPILL_BATCH = 5_000


@dataclass(frozen=True)
class Preview:
    """What the wizard shows before anything is read in full."""

    encoding: Encoding
    delimiter: str
    source: Source
    columns: list[tuple[str, Field | None]]
    """Each heading and the field it is read as (None: not read)."""
    rows: list[tuple[str, ...]]
    """The first rows as they are in the file."""
    needs_time_zone: bool


class ImportFile:
    """One file, opened for import: its encoding, source, mapping and zone, checked against its header.

    Raises (on opening):
        UnreadableFile: no such file, an empty file, or an encoding that is no encoding.
        UnknownSource: the columns match no source we know and no mapping was given.
        MappingError: the mapping cannot be read, or the file lacks a column every ticket needs.
        ImportFailed: ``time_zone`` names no zone.
    """

    def __init__(
        self,
        path: Path,
        *,
        source: str | None = None,
        mapping: Mapping | Path | str | None = None,
        time_zone: str | None = None,
        encoding: str | None = None,
        cell_limit: int = CELL_LIMIT,
    ) -> None:
        self.path = Path(path)
        self.csv = CsvFile(self.path, encoding=encoding, cell_limit=cell_limit)
        given = load_mapping(Path(mapping)) if isinstance(mapping, Path | str) else mapping
        self.source = detect_source(self.csv.header, source or ("csv" if given is not None else None))
        self.mapping = mapping_for(self.source, given)
        self.binding: Binding = self.mapping.bind(self.csv.header)
        zone_name = time_zone or self.mapping.time_zone
        self.zone: ZoneInfo | None = None
        if zone_name:
            found = known_zone(zone_name)
            if not isinstance(found, ZoneInfo):
                raise ImportFailed(zone_problem(zone_name) or zone_name)
            self.zone = found

    def dates(self) -> DateReader:
        return DateReader(order=self.mapping.date_order, date_format=self.mapping.date_format, zone=self.zone)

    @property
    def needs_time_zone(self) -> bool:
        """Whether the first rows hold a date with no zone while none was given."""
        if self.zone is not None:
            return False
        try:
            for _line in self._lines(islice(self.csv.rows(self.binding.used), 50), ProblemLog()):
                pass
        except TimeZoneRequired:
            return True
        return False

    def preview(self, rows: int = 20) -> Preview:
        """The detected reading of the file, and its first ``rows`` rows as they are."""
        first = [row.cells for row in islice(self.csv.rows(()), rows)]
        return Preview(
            self.csv.encoding, self.csv.delimiter, self.source, self.binding.columns(), first, self.needs_time_zone
        )

    def words(
        self, fields: Iterable[Field] = (Field.STATUS, Field.PRIORITY), limit: int = 500
    ) -> dict[Field, Counter[str]]:
        """The distinct words of each field's column in the whole file, with their rows (at most ``limit`` words
        each): what the wizard shows for its value maps."""
        wanted = {target: self.binding.fields.get(target, ()) for target in fields}
        found: dict[Field, Counter[str]] = {target: Counter() for target in wanted}
        for row in self.csv.rows(()):
            for target, indexes in wanted.items():
                for index in indexes[:1]:
                    word = row.cells[index].strip()
                    if (
                        word
                        and word not in self.mapping.missing
                        and (word in found[target] or len(found[target]) < limit)
                    ):
                        found[target][word] += 1
        return found

    def read(self, *, one_pass: bool = False, tally: bool = True) -> Reading:
        """A fresh read of the whole file, ticket by ticket.

        ``one_pass``: the file is read once, trusting each ticket's rows to be together (as they nearly always
        are), instead of first looking through it for that; ``Scattered`` is raised at the first row that shows
        otherwise, and the caller reads the file again as usual (``console.imports.write`` does). ``tally``: the
        names are counted as they come (``Reading.names``)."""
        return Reading(self, one_pass=one_pass, tally=tally)

    def _lines(self, rows: Iterable[Row], problems: ProblemLog) -> Iterator[Line]:
        reader = LineReader(self.binding, self.dates(), problems, self.path.name)
        for row in rows:
            line = reader.read(row)
            if line is not None:
                yield line


class Scattered(ImportFailed):
    """A ticket's rows are not together in the file, found by a read in one pass (``ImportFile.read(one_pass=
    True)``): read it again as usual, which gathers them first. Raised before the ticket is yielded; its argument
    is the ticket's number."""


class Reading:
    """The tickets of one read of a file, streamed; ``problems`` and ``names`` fill as they come.

    The problems of a ticket's rows are logged before the ticket is yielded, so a caller that stops at the first
    bad row (``--on-error stop``) can look at ``problems.refuses`` after each ticket.
    """

    def __init__(self, file: ImportFile, *, one_pass: bool = False, tally: bool = True) -> None:
        self.file = file
        self.problems = ProblemLog()
        self.names = NameTally()
        self.rows = 0
        self.tickets = 0
        self.one_pass = one_pass
        self.tally = tally

    def __iter__(self) -> Iterator[ImportedTicket]:
        builder = TicketBuilder(self.file.mapping, self.problems)
        tally = self.names.add if self.tally else None
        for lines in self._groups():
            ticket = builder.ticket(lines)
            if tally is not None:
                tally(ticket)
            self.tickets += 1
            yield ticket

    def _counted(self, rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            self.rows += 1
            yield row

    def _groups(self) -> Iterator[list[Line]]:
        file = self.file
        if self.one_pass:
            yield from self._grouped(self._lines_in_one_pass())
            return
        rows = self._counted(file.csv.rows(file.binding.used))
        if file.mapping.rows is RowShape.TICKETS:
            yield from self._single(file._lines(rows, self.problems))
            return
        key_index = file.binding.fields[Field.KEY][0]
        if not together(file.csv.column(key_index)):
            rows = spilled(rows, key_index)
        yield from self._grouped(file._lines(rows, self.problems))

    def _lines_in_one_pass(self) -> Iterator[Line]:
        """The rows read into lines, counted and, for a file of one row per update, held to each key's rows being
        together (as ``together`` tells them: ``Scattered`` at the first row that shows otherwise)."""
        file = self.file
        read = LineReader(file.binding, file.dates(), self.problems, file.path.name).read_cells
        key_index = file.binding.fields[Field.KEY][0] if file.mapping.rows is RowShape.UPDATES else None
        done: set[str] = set()
        current = None
        for number, cells, found in file.csv.records(file.binding.used):
            self.rows += 1
            if key_index is not None:
                key = cells[key_index].strip()
                if key and key != current:
                    if key in done:
                        raise Scattered(key)  # the caller's own signal: read again the usual way
                    if current is not None:
                        done.add(current)
                    current = key
            line = read(number, cells, found)
            if line is not None:
                yield line

    def _grouped(self, lines: Iterable[Line]) -> Iterator[list[Line]]:
        if self.file.mapping.rows is RowShape.TICKETS:
            yield from self._single(lines)
            return
        group: list[Line] = []
        for line in lines:
            if group and line.key != group[0].key:
                yield group
                group = []
            group.append(line)
        if group:
            yield group

    def _single(self, lines: Iterable[Line]) -> Iterator[list[Line]]:
        seen: dict[str, int] = {}
        for line in lines:
            if line.key in seen:
                self._duplicate(line, seen[line.key])
                continue
            seen[line.key] = line.row
            yield [line]

    def _duplicate(self, line: Line, first: int) -> None:
        message = _("the ticket {key} came already in row {first}; this row is left out").format(
            key=line.key, first=first
        )
        self.problems.add(Problem(line.row, ProblemKind.DUPLICATE_KEY, Outcome.SKIPPED, message, key=line.key))


def together(keys: Iterable[str]) -> bool:
    """Whether each key's rows follow one another (rows with no key aside)."""
    done: set[str] = set()
    current = None
    for cell in keys:
        key = cell.strip()
        if not key or key == current:
            continue
        if key in done:
            return False
        if current is not None:
            done.add(current)
        current = key
    return True


def spilled(rows: Iterable[Row], key_index: int) -> Iterator[Row]:
    """The rows again, each key's together (in order of the keys, each key's rows in file order), gathered in a
    temporary SQLite file so that memory stays flat."""
    with tempfile.TemporaryDirectory(prefix="support-console-import-") as folder:
        db = sqlite3.connect(Path(folder) / "rows.sqlite3")
        try:
            db.execute("CREATE TABLE rows (key TEXT NOT NULL, number INTEGER NOT NULL, row BLOB NOT NULL)")
            batch: list[tuple[str, int, bytes]] = []
            for row in rows:
                batch.append((row.cells[key_index].strip(), row.number, pickle.dumps(row)))
                if len(batch) >= SPILL_BATCH:
                    db.executemany("INSERT INTO rows VALUES (?, ?, ?)", batch)
                    batch.clear()
            db.executemany("INSERT INTO rows VALUES (?, ?, ?)", batch)
            db.execute("CREATE INDEX rows_by_key ON rows (key, number)")
            for (blob,) in db.execute("SELECT row FROM rows ORDER BY key, number"):
                yield pickle.loads(blob)  # our own rows, written a moment ago to a private folder
        finally:
            db.close()
