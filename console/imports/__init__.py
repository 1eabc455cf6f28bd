"""Bringing a team's history in, and taking it out: the reading side of ``support-console import`` and ``export``.

The files, lowest first:

- ``problems``: per-row problems in plain words, and the errors that stop a read;
- ``reading``: a file's encoding, delimiter and rows, streamed, with each cell checked (size, bytes that are not
  text, lone surrogates) and formulas told;
- ``dates``: the sources' dates, read into UTC moments (``--time-zone`` when they have none);
- ``values``: the sources' words for states and priorities, and the rule that maps them to ours;
- ``mapping``: which column holds which field (a mapping file's format);
- ``sources``: the built-in sources (ServiceNow list and event log, Jira, our own export), told by the columns;
- ``records``: the normalised ticket and its events;
- ``lines``, ``tickets``: a row read into values, and a ticket built from its rows with its history;
- ``importer``: ``ImportFile`` and its ``Reading``, the entry point;
- ``missing``: the people, groups, units and modules the workspace does not know yet;
- ``reconcile``: our SLA outcome against the source's flag, per priority, disagreements explained;
- ``export``: tickets with their history to CSV (an event log we read back) and JSONL.

Nothing here writes to the database: the write path takes ``ImportedTicket`` records and decides.
"""

from console.imports.export import export, read_jsonl, write_csv, write_jsonl
from console.imports.importer import ImportFile, Preview, Reading
from console.imports.mapping import Field, Mapping
from console.imports.missing import KnownNames, NameKind, NameTally, missing_names
from console.imports.problems import (
    ImportFailed,
    MappingError,
    Outcome,
    Problem,
    ProblemKind,
    ProblemLog,
    TimeZoneRequired,
    UnknownSource,
    UnreadableFile,
)
from console.imports.reconcile import Reconciliation, WorkspaceJudge, engine_changes, reconcile
from console.imports.records import EventKind, ImportedEvent, ImportedTicket
from console.imports.sources import CHOICES, Source, load_mapping

__all__ = [
    "CHOICES",
    "EventKind",
    "Field",
    "ImportFailed",
    "ImportFile",
    "ImportedEvent",
    "ImportedTicket",
    "KnownNames",
    "Mapping",
    "MappingError",
    "NameKind",
    "NameTally",
    "Outcome",
    "Preview",
    "Problem",
    "ProblemKind",
    "ProblemLog",
    "Reading",
    "Reconciliation",
    "Source",
    "TimeZoneRequired",
    "UnknownSource",
    "UnreadableFile",
    "WorkspaceJudge",
    "engine_changes",
    "export",
    "load_mapping",
    "missing_names",
    "read_jsonl",
    "reconcile",
    "write_csv",
    "write_jsonl",
]
