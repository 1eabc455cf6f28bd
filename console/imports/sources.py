"""The sources we read without a mapping file, told from the file's columns; and mapping files read.

- **ServiceNow incident event log** (``servicenow-events``): one row per update of an incident, told by its
  update counter ``sys_mod_count``; the columns of the public "Incident management process enriched event
  log" (``number``, ``incident_state``, ``priority``, ``assignment_group``, ``assigned_to``, ``opened_at``,
  ``sys_updated_at``, ``made_sla``…), or their labels (``Number``, ``State``…). ``?`` is a missing value, dates
  are day-first with no zone.
- **ServiceNow incident list** (``servicenow-list``): the same columns, one row per incident (no update counter).
- **Jira Service Management** (``jira``): ``Issue key``, ``Summary``, ``Status``… with a ``Comment`` column per
  comment (``date;author;body``) and Jira's dates (``12/Mar/24 9:15 AM``).
- **Our own export** (``console``): one row per event, written by ``console.imports.export``.
- **Any CSV** (``csv``): with a mapping file.

``--from servicenow`` means either ServiceNow shape, told by the columns.
"""

from __future__ import annotations

import enum
import json
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from console.i18n import _
from console.imports.dates import DateOrder
from console.imports.mapping import (
    CommentFormat,
    Field,
    Mapping,
    RowShape,
    aliases,
    columns_of,
    heading_key,
)
from console.imports.problems import MappingError, UnknownSource

F = Field


class Source(enum.StrEnum):
    SERVICENOW_EVENTS = "servicenow-events"
    SERVICENOW_LIST = "servicenow-list"
    JIRA = "jira"
    CONSOLE = "console"
    CSV = "csv"


SERVICENOW_COLUMNS = columns_of(
    (
        aliases(F.KEY, "number"),
        aliases(F.STATUS, "incident_state", "state", "incident state"),
        aliases(F.PRIORITY, "priority"),
        aliases(F.IMPACT, "impact"),
        aliases(F.URGENCY, "urgency"),
        aliases(F.GROUP, "assignment_group", "assignment group"),
        aliases(F.ASSIGNEE, "assigned_to", "assigned to"),
        aliases(F.CATEGORY, "category"),
        aliases(F.REPORTER, "caller_id", "caller", "opened_by", "opened by"),
        aliases(F.MODULE, "u_erp_module", "u_module", "business_service", "business service"),
        aliases(F.UNIT, "u_business_unit", "company"),
        aliases(F.CREATED, "opened_at", "opened", "sys_created_on", "sys_created_at", "created"),
        aliases(F.RESOLVED, "resolved_at", "resolved"),
        aliases(F.CLOSED, "closed_at", "closed"),
        aliases(F.UPDATED, "sys_updated_at", "sys_updated_on", "updated"),
        aliases(F.UPDATED_BY, "sys_updated_by", "updated by"),
        aliases(F.UPDATE_SEQ, "sys_mod_count", "updates"),
        aliases(F.REOPEN_COUNT, "reopen_count", "reopen count"),
        aliases(F.SLA_MET, "made_sla", "made sla"),
        aliases(F.TITLE, "short_description", "short description"),
        aliases(F.DESCRIPTION, "description"),
    )
)

JIRA_COLUMNS = columns_of(
    (
        aliases(F.KEY, "issue key"),
        aliases(F.TITLE, "summary"),
        aliases(F.DESCRIPTION, "description"),
        aliases(F.STATUS, "status"),
        aliases(F.PRIORITY, "priority"),
        aliases(F.CREATED, "created"),
        aliases(F.RESOLVED, "resolved"),
        aliases(F.UPDATED, "updated"),
        aliases(F.ASSIGNEE, "assignee"),
        aliases(F.REPORTER, "reporter"),
        aliases(F.MODULE, "component/s", "components", "component"),
        aliases(F.UNIT, "custom field (organizations)", "organizations"),
        aliases(F.IMPACT, "custom field (impact)", "impact"),
        aliases(F.URGENCY, "custom field (urgency)", "urgency"),
        aliases(F.CATEGORY, "custom field (request type)", "request type"),
        aliases(F.COMMENT, "comment"),
    )
)

CONSOLE_COLUMNS: tuple[tuple[str, Field], ...] = (
    ("source_system", F.SOURCE_SYSTEM),
    ("key", F.KEY),
    ("event_seq", F.UPDATE_SEQ),
    ("event_at", F.UPDATED),
    ("event_by", F.UPDATED_BY),
    ("status", F.STATUS),
    ("source_status", F.SOURCE_STATUS),
    ("priority", F.PRIORITY),
    ("source_priority", F.SOURCE_PRIORITY),
    ("group", F.GROUP),
    ("assignee", F.ASSIGNEE),
    ("comment", F.COMMENT),
    ("work_note", F.WORK_NOTE),
    ("title", F.TITLE),
    ("description", F.DESCRIPTION),
    ("impact", F.IMPACT),
    ("urgency", F.URGENCY),
    ("module", F.MODULE),
    ("unit", F.UNIT),
    ("category", F.CATEGORY),
    ("reporter", F.REPORTER),
    ("created", F.CREATED),
    ("resolved", F.RESOLVED),
    ("closed", F.CLOSED),
    ("reopen_count", F.REOPEN_COUNT),
    ("sla_met", F.SLA_MET),
)
"""Our export's columns, in its order (``console.imports.export`` writes one more, ``event``, for people)."""

BUILTIN: dict[Source, Mapping] = {
    Source.SERVICENOW_EVENTS: Mapping(
        "servicenow", SERVICENOW_COLUMNS, RowShape.UPDATES, missing=frozenset({"", "?"}), states="servicenow"
    ),
    Source.SERVICENOW_LIST: Mapping(
        "servicenow", SERVICENOW_COLUMNS, RowShape.TICKETS, missing=frozenset({"", "?"}), states="servicenow"
    ),
    Source.JIRA: Mapping("jira", JIRA_COLUMNS, RowShape.TICKETS, comment_format=CommentFormat.DATED, states="jira"),
    Source.CONSOLE: Mapping(
        "console", CONSOLE_COLUMNS, RowShape.UPDATES, comment_format=CommentFormat.BODY, escaped=True
    ),
    Source.CSV: Mapping("csv", (), RowShape.TICKETS, date_order=DateOrder.DAY_FIRST),
}
CHOICES = ("servicenow", *(s.value for s in Source))
"""What ``--from`` accepts."""


def detect_source(header: Sequence[str], wanted: str | None = None) -> Source:
    """The source a file's columns come from; ``wanted`` (a ``--from`` choice) narrows it or decides it.

    Raises:
        UnknownSource: the columns match no source we know (and none, or ``csv``, was wanted).
    """
    names = {heading_key(h) for h in header}
    if wanted and wanted not in CHOICES:
        raise UnknownSource(
            _("{wanted!r} is not a source; the sources are: {choices}.").format(
                wanted=wanted, choices=", ".join(CHOICES)
            )
        )
    if wanted and wanted != "servicenow":
        return Source(wanted)
    events = bool(names & {"sys_mod_count", "updates"})
    if wanted == "servicenow":
        return Source.SERVICENOW_EVENTS if events else Source.SERVICENOW_LIST
    if {"source_system", "key", "event_seq"} <= names:
        return Source.CONSOLE
    if "number" in names and names & {"incident_state", "state", "incident state"}:
        return Source.SERVICENOW_EVENTS if events else Source.SERVICENOW_LIST
    if {"issue key", "summary"} <= names:
        return Source.JIRA
    raise UnknownSource(
        _(
            "The columns of this file match no export we know (ServiceNow, Jira Service Management, or our own): "
            "{columns}. Describe them in a mapping file (--mapping FILE) and import it as --from csv."
        ).format(columns=", ".join(repr(h) for h in header[:12]) + ("…" if len(header) > 12 else ""))
    )


def load_mapping(path: Path) -> Mapping:
    """A mapping file, JSON or TOML (by its suffix; either, tried in turn, for another), laid over its ``base``
    source (any CSV when it names none).

    Raises:
        MappingError: the file cannot be read, or says something a mapping cannot.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise MappingError(
            _("The mapping file {path} cannot be read: {error}.").format(path=path, error=error)
        ) from None
    document = _document(raw, Path(path))
    base_name = document.get("base", Source.CSV.value)
    try:
        base = BUILTIN[Source(base_name)]
    except ValueError:
        raise MappingError(
            _("{name}: base is one of: {sources}.").format(name=Path(path).name, sources=", ".join(Source))
        ) from None
    mapping = base.with_document(document, Path(path).name)
    if base_name == Source.CSV.value and "source" not in document:
        mapping = replace(mapping, source=Path(path).stem[:32] or "csv")
    return mapping


def _document(raw: bytes, path: Path) -> dict[str, Any]:
    suffix = path.suffix.lower()
    readers = [_toml, _json] if suffix == ".toml" else [_json, _toml] if suffix != ".json" else [_json]
    problems = []
    for read in readers:
        try:
            document = read(raw)
        except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
            problems.append(str(error))
            continue
        if not isinstance(document, dict):
            raise MappingError(_("{name}: a mapping is a table of settings.").format(name=path.name))
        return document
    raise MappingError(
        _("The mapping file {name} is neither JSON nor TOML as written: {problem}.").format(
            name=path.name, problem="; ".join(problems)
        )
    )


def _toml(raw: bytes) -> Any:
    return tomllib.loads(raw.decode("utf-8-sig"))


def _json(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8-sig"))


def mapping_for(source: Source, mapping: Mapping | None) -> Mapping:
    """The mapping a source is read with: the one given, else the source's own.

    Raises:
        MappingError: any CSV, with no mapping.
    """
    if mapping is not None:
        return mapping
    if source is Source.CSV:
        raise MappingError(_("A CSV file of another source is read with a mapping file: give --mapping FILE."))
    return BUILTIN[source]
