"""One row of a file read into values: each cell of a mapped column parsed, mapped and checked, or the row's
problems said.

A row is left out (a bad row) for: no ticket number, a date that is no date, a required date missing, a status
or priority nothing maps, a count that is no whole number, a cell the reader found broken (too large, bytes
that are not text, a lone surrogate), or a comment whose date is no date. A formula in a free-text cell is
kept, with a ``'`` in front (neutralised). An impact, urgency or SLA flag nobody can read is left empty (said).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import NoReturn

from console.i18n import N_, _
from console.imports.dates import BadDate, DateReader, NaiveDate
from console.imports.mapping import DATES, NAME_MAPS, NOTES, TEXTS, Binding, CommentFormat, Field, RowShape
from console.imports.problems import Outcome, Problem, ProblemKind, ProblemLog, TimeZoneRequired
from console.imports.reading import Row, is_formula, neutralise
from console.imports.values import (
    JIRA_STATES,
    SERVICENOW_STATES,
    flag_of,
    level_of,
    priority_of,
    status_of,
)
from models import Impact, Priority, TicketStatus, Urgency

FORMULA_STARTS = frozenset("=+-@\t\r")
WORDS_KEPT = 10_000
"""Distinct status and priority words remembered (a real source has tens)."""
MOMENTS_KEPT = 50_000
"""Date texts remembered; forgotten all at once when there are more."""
LEVEL_NAMES = {Field.IMPACT: N_("impact"), Field.URGENCY: N_("urgency")}
VOCABULARIES = {"servicenow": SERVICENOW_STATES, "jira": JIRA_STATES, "generic": JIRA_STATES}
F = Field


@dataclass(slots=True)
class Note:
    kind: Field
    """``COMMENT`` or ``WORK_NOTE``."""
    at: datetime | None
    """Its own date (``date;author;body``), else None: the row's."""
    author: str | None
    body: str


@dataclass(slots=True)
class Line:
    """A row's values, ours where we have a vocabulary, the source's words beside them.

    Not frozen (nothing changes one once read): a frozen dataclass takes several times longer to make, and
    there is one per row."""

    row: int
    key: str
    source_system: str | None
    status: TicketStatus
    source_status: str
    priority: Priority
    source_priority: str
    texts: dict[Field, str]
    """The free-text fields the row has a value for (names mapped through the value maps)."""
    impact: Impact | None
    urgency: Urgency | None
    dates: dict[Field, datetime]
    update_seq: int | None
    reopen_count: int | None
    sla_met: bool | None
    notes: tuple[Note, ...]


class _Skip(Exception):
    """The row is left out; its problem is logged already."""


LEVELS: dict[Field, type[Impact] | type[Urgency]] = {Field.IMPACT: Impact, Field.URGENCY: Urgency}


class LineReader:
    """Reads rows into ``Line``s with one binding, logging each row's problems."""

    def __init__(self, binding: Binding, dates: DateReader, problems: ProblemLog, file_name: str) -> None:
        self.binding = binding
        self.mapping = binding.mapping
        self.dates = dates
        self.problems = problems
        self.file_name = file_name
        self.vocabulary = VOCABULARIES.get(self.mapping.states, JIRA_STATES)
        self.columns = binding.fields
        self.missing = self.mapping.missing | {""}
        read = set(self.columns) | set(self.mapping.defaults)
        self.texts = tuple(f for f in Field if f in TEXTS and f not in NOTES and f in read)
        self.names = {f: self.mapping.values.get(NAME_MAPS.get(f, ""), {}) for f in Field}
        self._text_names = tuple((f, self.names[f]) for f in self.texts)
        plain = [(f, i) for f, i in self.columns.items() if f not in NOTES]
        self.single = tuple(f for f, i in plain if len(i) == 1)
        self.repeated = tuple((f, i) for f, i in plain if len(i) > 1)
        picked = [i[0] for f, i in plain if len(i) == 1]
        pick_all = itemgetter(*picked) if picked else None
        self.pick: Callable[[Sequence[str]], tuple[str, ...]] = (
            (lambda cells: (pick_all(cells),)) if len(picked) == 1 else pick_all or (lambda cells: ())  # type: ignore[misc]
        )
        self.notes = tuple(f for f in (F.COMMENT, F.WORK_NOTE) if f in self.columns)
        self.needed = (F.CREATED, F.UPDATED) if self.mapping.rows is RowShape.UPDATES else (F.CREATED,)
        self.defaults = {f: v for f, v in self.mapping.defaults.items() if f not in NOTES}
        self._simple = not self.defaults and not self.repeated and not self.mapping.escaped
        """Each field from one column, as it is: ``_values`` in one step."""
        self._source_status = F.SOURCE_STATUS in self.columns
        self._source_priority = F.SOURCE_PRIORITY in self.columns
        # Words and dates repeat from row to row (an event log repeats its opening date in every row): each is
        # read once. Bounded, so a file of all-different dates keeps memory flat.
        self._statuses: dict[str, TicketStatus | None] = {}
        self._priorities: dict[str, Priority | None] = {}
        self._moments: dict[str, datetime] = {}
        self._flags: dict[str, bool | None] = {}
        self._levels: dict[Field, dict[str, tuple[str | None, Impact | Urgency | None]]] = {
            target: {} for target in LEVELS
        }

    def read(self, row: Row) -> Line | None:
        """The row's values, or None when it is left out (its problems logged).

        Raises:
            TimeZoneRequired: a date has no zone and none was given.
        """
        return self.read_cells(row.number, row.cells, row.problems)

    def read_cells(self, number: int, cells: Sequence[str], problems: Sequence[Problem] = ()) -> Line | None:
        """``read`` of a row given by its number, cells and the reader's problems with it."""
        values = self._values(cells)
        key = (values.get(F.KEY) or "").strip()
        if problems:
            for problem in problems:
                self.problems.add(
                    Problem(problem.row, problem.kind, problem.outcome, problem.message, problem.column, key or None)
                )
            if any(p.outcome is Outcome.SKIPPED for p in problems):
                return None
        try:
            return self._line(number, key, values, cells)
        except _Skip:
            return None

    def _line(self, number: int, key: str, values: dict[Field, str], cells: Sequence[str]) -> Line:
        if not key:
            self._skip(number, None, ProblemKind.NO_KEY, F.KEY, _("no ticket number in {column}; the row is left out"))
        get = values.get
        texts: dict[Field, str] = {}
        for target, names in self._text_names:
            value = get(target)
            if value is not None:
                if value[0] in FORMULA_STARTS:
                    value = self._text(number, key, target, value)
                texts[target] = names.get(" ".join(value.casefold().split()), value) if names else value
        key = texts.get(F.KEY, key)
        status_word = get(F.STATUS) or ""
        try:
            status = self._statuses[status_word]
        except KeyError:
            status = self._status(status_word)
        if status is None:
            why = (
                _("the status {value!r} in {column} is none we know and the mapping does not map it (map it under "
                  "[values.status]); the row is left out")
                if status_word
                else _("no status in {column}; the row is left out")
            )  # fmt: skip
            self._skip(number, key, ProblemKind.UNKNOWN_STATUS, F.STATUS, why, status_word)
        priority_word = get(F.PRIORITY) or ""
        try:
            priority = self._priorities[priority_word]
        except KeyError:
            priority = self._priority(priority_word)
        if priority is None:
            why = (
                _("the priority {value!r} in {column} is none we know and the mapping does not map it (map it "
                  "under [values.priority]); the row is left out")
                if priority_word
                else _("no priority in {column}; the row is left out")
            )  # fmt: skip
            self._skip(number, key, ProblemKind.UNKNOWN_PRIORITY, F.PRIORITY, why, priority_word)
        dates = {}
        moments = self._moments
        for target in DATES:
            text = get(target)
            if text is not None:
                dates[target] = moments.get(text) or self._date(number, key, target, text)
        for target in self.needed:
            if target not in dates:
                why = _("no date in {column}, which every row needs; the row is left out")
                self._skip(number, key, ProblemKind.NO_DATE, target, why)
        impact, urgency = self._level(number, key, F.IMPACT, values), self._level(number, key, F.URGENCY, values)
        return Line(
            number,
            key,
            get(F.SOURCE_SYSTEM),
            status,
            (get(F.SOURCE_STATUS) or "") if self._source_status else status_word.strip(),
            priority,
            (get(F.SOURCE_PRIORITY) or "") if self._source_priority else priority_word.strip(),
            texts,
            impact,  # type: ignore[arg-type]
            urgency,  # type: ignore[arg-type]
            dates,
            self._number(number, key, F.UPDATE_SEQ, values),
            self._number(number, key, F.REOPEN_COUNT, values),
            self._flag(number, key, values),
            tuple(note for target in self.notes for note in self._notes(number, cells, key, target))
            if self.notes
            else (),
        )

    # ---- cells --------------------------------------------------------------------------------------------------

    def _status(self, word: str) -> TicketStatus | None:
        found = status_of(word, self.mapping.values.get("status", {}), self.vocabulary) if word else None
        if len(self._statuses) < WORDS_KEPT:
            self._statuses[word] = found
        return found

    def _priority(self, word: str) -> Priority | None:
        found = priority_of(word, self.mapping.values.get("priority", {})) if word else None
        if len(self._priorities) < WORDS_KEPT:
            self._priorities[word] = found
        return found

    def _cells(self, cells: Sequence[str], target: Field) -> list[str]:
        """The field's cells that hold a value (several: a repeated column), unescaped in our own export."""
        found = []
        for index in self.columns.get(target, ()):
            cell = cells[index]
            if cell.strip() in self.missing:
                continue
            found.append(cell[1:] if self.mapping.escaped and cell.startswith("'") else cell)
        return found

    def _values(self, cells: Sequence[str]) -> dict[Field, str]:
        """Each field's first cell that holds a value (notes aside), else the mapping's default for it."""
        missing = self.missing
        if self._simple:
            return {
                target: cell for target, cell in zip(self.single, self.pick(cells), strict=True) if cell not in missing
            }
        found = dict(self.defaults)
        found.update(
            {target: cell for target, cell in zip(self.single, self.pick(cells), strict=True) if cell not in missing}
        )
        for target, indexes in self.repeated:
            for index in indexes:
                cell = cells[index]
                if cell.strip() not in missing:
                    found[target] = cell
                    break
        if self.mapping.escaped:
            found = {target: cell[1:] if cell[0] == "'" else cell for target, cell in found.items()}
        return found

    def _text(self, number: int, key: str | None, target: Field, value: str) -> str:
        if self.mapping.escaped or not is_formula(value):
            return value
        start = value.strip()[:24] + ("…" if len(value.strip()) > 24 else "")
        self.problems.add(
            Problem(
                number,
                ProblemKind.FORMULA,
                Outcome.NEUTRALISED,
                _(
                    "the cell in {column} starts like a spreadsheet formula ({start}); kept as text, with a ' in front"
                ).format(column=self.binding.heading(target), start=start),
                self.binding.heading(target),
                key,
            )
        )
        return neutralise(value)

    def _named(self, target: Field, value: str) -> str:
        names = self.names[target]
        return names.get(" ".join(value.casefold().split()), value) if names else value

    def _date(self, number: int, key: str, target: Field, text: str) -> datetime:
        try:
            found = self.dates.read(text)
        except BadDate as why:
            message = _("{column}: {why}; the row is left out").format(column=self.binding.heading(target), why=why)
            self.problems.add(
                Problem(number, ProblemKind.BAD_DATE, Outcome.SKIPPED, message, self.binding.heading(target), key)
            )
            raise _Skip from None
        except NaiveDate:
            raise self.zone_required(text, target, number) from None
        if len(self._moments) >= MOMENTS_KEPT:
            self._moments.clear()
        self._moments[text] = found
        return found

    def zone_required(self, text: str, target: Field, row: int) -> TimeZoneRequired:
        return TimeZoneRequired(
            _(
                "The dates in {file} have no time zone (the first: {text!r} in {column}, row {row}). Say which zone "
                "they were written in with --time-zone, for example --time-zone Asia/Dubai."
            ).format(file=self.file_name, text=text.strip(), column=self.binding.heading(target), row=row)
        )

    def _level(self, number: int, key: str, target: Field, values: dict[Field, str]) -> Impact | Urgency | None:
        """An impact or urgency (``high``, ``medium`` or ``low``), or None (said when the cell holds a word we
        cannot read)."""
        text = values.get(target)
        if text is None:
            return None
        known = self._levels[target]
        try:
            found, level = known[text]
        except KeyError:
            found = level_of(text, self.mapping.values.get(target.value, {}))
            level = LEVELS[target](found) if found else None
            if len(known) < WORDS_KEPT:
                known[text] = (found, level)
        if found is None:  # said on every row that holds it
            message = _("the {field} {value!r} in {column} is none we know (high, medium, low); left empty").format(
                field=_(LEVEL_NAMES[target]), value=text, column=self.binding.heading(target)
            )
            self.problems.add(
                Problem(number, ProblemKind.UNKNOWN_VALUE, Outcome.ADJUSTED, message, self.binding.heading(target), key)
            )
        return level

    def _flag(self, number: int, key: str, values: dict[Field, str]) -> bool | None:
        text = values.get(F.SLA_MET)
        if text is None:
            return None
        if text in self._flags:
            return self._flags[text]
        found = flag_of(text)
        if found is not None and len(self._flags) < WORDS_KEPT:  # an unknown one is said on every row
            self._flags[text] = found
        if found is None:
            message = _("the SLA flag {value!r} in {column} is neither true nor false; left empty").format(
                value=text, column=self.binding.heading(F.SLA_MET)
            )
            self.problems.add(
                Problem(
                    number,
                    ProblemKind.UNKNOWN_VALUE,
                    Outcome.ADJUSTED,
                    message,
                    self.binding.heading(F.SLA_MET),
                    key,
                )
            )
        return found

    def _number(self, number: int, key: str, target: Field, values: dict[Field, str]) -> int | None:
        text = values.get(target)
        if text is None:
            return None
        try:
            found = int(text.strip())
        except ValueError:
            found = -1
        if found < 0:
            why = _("{column} holds {value!r}, not a whole number; the row is left out")
            self._skip(number, key, ProblemKind.BAD_NUMBER, target, why, text)
        return found

    def _notes(self, number: int, cells: Sequence[str], key: str, target: Field) -> list[Note]:
        notes = []
        for cell in self._cells(cells, target):
            at, author, body = None, None, cell
            parts = cell.split(";", 2)
            if self.mapping.comment_format is not CommentFormat.BODY and len(parts) == 3:
                try:
                    at, author, body = self.dates.read(parts[0]), parts[1].strip() or None, parts[2]
                except BadDate as why:
                    if self.mapping.comment_format is CommentFormat.DATED:
                        message = _("a comment in {column}: {why}; the row is left out").format(
                            column=self.binding.heading(target), why=why
                        )
                        self.problems.add(
                            Problem(
                                number,
                                ProblemKind.BAD_DATE,
                                Outcome.SKIPPED,
                                message,
                                self.binding.heading(target),
                                key,
                            )
                        )
                        raise _Skip from None
                except NaiveDate:
                    raise self.zone_required(parts[0], target, number) from None
            elif self.mapping.comment_format is CommentFormat.DATED:
                message = _("a comment in {column} is not written date;author;text; the row is left out").format(
                    column=self.binding.heading(target)
                )
                self.problems.add(
                    Problem(number, ProblemKind.BAD_DATE, Outcome.SKIPPED, message, self.binding.heading(target), key)
                )
                raise _Skip
            if author is not None:
                author = self._named(F.UPDATED_BY, author)
            if body.strip():
                notes.append(Note(target, at, author, self._text(number, key, target, body)))
        return notes

    def _skip(
        self, number: int, key: str | None, kind: ProblemKind, target: Field, why: str, value: str | None = None
    ) -> NoReturn:
        column = self.binding.heading(target)
        self.problems.add(Problem(number, kind, Outcome.SKIPPED, why.format(column=column, value=value), column, key))
        raise _Skip
