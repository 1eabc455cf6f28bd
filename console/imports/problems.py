"""What is wrong with a file being imported: the per-row problems, in plain words, and the errors that stop a read.

A problem names the row as a spreadsheet shows it (the header is row 1), the column and the ticket's key when
known, and says what is wrong and what was done about it:

- **skipped**: the row is left out (an unparseable date, an unknown priority, a cell over the size limit, bytes
  that are not text…). A bad row: with ``--on-error stop`` the write path refuses the whole import.
- **neutralised**: a cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``), kept with a ``'`` in
  front so it stays text. Also a bad row (the issue counts a CSV-injection formula as one), but kept.
- **adjusted**: the row is kept with a value moved or dropped the way the SLA engine would treat it: a date
  before the ticket was created counts as made at creation; an update dated before the one before it is kept,
  and replayed in ``(time, sequence)`` order. Said, not refused.

A broken file can hold a million bad rows: ``ProblemLog`` keeps the first ``DETAIL_LIMIT`` in full and counts
every one by kind.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from console.errors import ConsoleError
from console.i18n import _, n_


class ImportFailed(ConsoleError):
    """A file that cannot be imported as it is; ``str(error)`` says why and what to do."""


class TimeZoneRequired(ImportFailed):
    """The file's dates carry no time zone and none was given (``--time-zone``)."""


class UnknownSource(ImportFailed):
    """The columns match no known export and no mapping was given."""


class MappingError(ImportFailed):
    """A mapping file (JSON or TOML) that cannot be used as written."""


class UnreadableFile(ImportFailed):
    """A file that cannot be read at all: missing, empty, not text, or broken beyond a row."""


class ProblemKind(enum.StrEnum):
    NO_KEY = "no_key"
    DUPLICATE_KEY = "duplicate_key"
    BAD_DATE = "bad_date"
    NO_DATE = "no_date"
    UNKNOWN_STATUS = "unknown_status"
    UNKNOWN_PRIORITY = "unknown_priority"
    UNKNOWN_VALUE = "unknown_value"
    BAD_NUMBER = "bad_number"
    CELL_TOO_LARGE = "cell_too_large"
    INVALID_BYTES = "invalid_bytes"
    LONE_SURROGATE = "lone_surrogate"
    CELL_COUNT = "cell_count"
    FORMULA = "formula"
    BEFORE_CREATION = "before_creation"
    OUT_OF_ORDER = "out_of_order"
    NO_RESOLUTION_TIME = "no_resolution_time"
    TOO_LONG = "too_long"


class Outcome(enum.StrEnum):
    SKIPPED = "skipped"
    NEUTRALISED = "neutralised"
    ADJUSTED = "adjusted"


@dataclass(frozen=True)
class Problem:
    row: int
    """The row as a spreadsheet shows it: the header is row 1, the first ticket row 2."""
    kind: ProblemKind
    outcome: Outcome
    message: str
    """What is wrong and what was done, in plain words (translated)."""
    column: str | None = None
    key: str | None = None

    @property
    def bad_row(self) -> bool:
        """A bad row: left out, or kept only with a formula made inert; ``--on-error stop`` refuses the import."""
        return self.outcome is not Outcome.ADJUSTED

    def __str__(self) -> str:
        where = _("row {row}").format(row=self.row)
        if self.key:
            where = _("row {row} ({key})").format(row=self.row, key=self.key)
        return f"{where}: {self.message}"


DETAIL_LIMIT = 10_000


@dataclass
class ProblemLog:
    """The problems of one read, as they are found."""

    limit: int = DETAIL_LIMIT
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[ProblemKind] = field(default_factory=Counter)
    bad_rows: set[int] = field(default_factory=set)
    """The rows with a bad-row problem (a set of numbers: small beside the rows themselves)."""

    def add(self, problem: Problem) -> None:
        self.counts[problem.kind] += 1
        if problem.bad_row:
            self.bad_rows.add(problem.row)
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def refuses(self) -> bool:
        """Whether ``--on-error stop`` refuses the import: some row is bad."""
        return bool(self.bad_rows)

    def summary(self) -> str:
        """One line for the end of a dry run: "3 bad rows; 5 problems in all (2 not listed)"."""
        bad = n_("{n} bad row", "{n} bad rows", len(self.bad_rows)).format(n=f"{len(self.bad_rows):,}")
        total = n_("{n} problem in all", "{n} problems in all", self.total).format(n=f"{self.total:,}")
        hidden = self.total - len(self.problems)
        if hidden:
            return _("{bad}; {total} ({hidden} not listed)").format(bad=bad, total=total, hidden=f"{hidden:,}")
        return _("{bad}; {total}").format(bad=bad, total=total)
