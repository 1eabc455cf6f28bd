"""A mapping: which column of a file holds which field of a ticket, and how its values read.

The built-in sources are mappings too (``console.imports.sources``); a mapping file (JSON or TOML, read by
``sources.load_mapping``) describes any other CSV, or adjusts a built-in one (``base``)::

    base = "servicenow-events"      # optional: start from a built-in source
    source = "remedy"               # stored as each ticket's source system
    rows = "tickets"                # one row per ticket; "updates": one row per update of a ticket
    date_format = "%d/%m/%Y %H:%M"  # strptime; or leave it out and say date_order = "month-first"
    time_zone = "Asia/Dubai"        # the zone of dates written without one (--time-zone overrides)
    missing = ["", "?", "N/A"]      # cells that mean "no value"
    comment_format = "auto"         # "date;author;body" (Jira), "body", or "auto": either

    [columns]                       # heading → field (a heading may repeat: Jira's Comment columns)
    "Incident ID" = "key"
    "Summary" = "title"

    [values.status]                 # the source's words → ours (also priority, impact, urgency)
    "Work In Progress" = "in_progress"
    [values.people]                 # names → our logins (also unit, module, group, category)
    "jsmith" = "j.smith"

    [defaults]                      # a value for a field the file has no column for
    priority = "medium"

Words are matched without regard to case or spacing. Fields are ``Field``'s values.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from console.i18n import _
from console.imports.dates import DateOrder
from console.imports.problems import MappingError
from console.zone import known_zone, zone_problem
from models import Impact, Priority, TicketStatus, Urgency

E = TypeVar("E", bound=enum.StrEnum)


class Field(enum.StrEnum):
    KEY = "key"
    TITLE = "title"
    DESCRIPTION = "description"
    STATUS = "status"
    PRIORITY = "priority"
    IMPACT = "impact"
    URGENCY = "urgency"
    MODULE = "module"
    UNIT = "unit"
    CATEGORY = "category"
    REPORTER = "reporter"
    ASSIGNEE = "assignee"
    GROUP = "group"
    CREATED = "created"
    RESOLVED = "resolved"
    CLOSED = "closed"
    UPDATED = "updated"
    """When the row's update was made (one row per update), or when the ticket was last updated."""
    UPDATE_SEQ = "update_seq"
    """The update's number within its ticket (ServiceNow's ``sys_mod_count``): orders updates of one minute."""
    UPDATED_BY = "updated_by"
    REOPEN_COUNT = "reopen_count"
    SLA_MET = "sla_met"
    COMMENT = "comment"
    WORK_NOTE = "work_note"
    SOURCE_STATUS = "source_status"
    """The source's word for the status (our own export keeps it beside ours)."""
    SOURCE_PRIORITY = "source_priority"
    SOURCE_SYSTEM = "source_system"


DATES = (Field.CREATED, Field.RESOLVED, Field.CLOSED, Field.UPDATED)  # in the order a row's dates are read
NOTES = frozenset({Field.COMMENT, Field.WORK_NOTE})
TEXTS = frozenset(
    {Field.KEY, Field.TITLE, Field.DESCRIPTION, Field.MODULE, Field.UNIT, Field.CATEGORY, Field.REPORTER}
    | {Field.ASSIGNEE, Field.GROUP, Field.UPDATED_BY, Field.COMMENT, Field.WORK_NOTE}
)
"""Free text that is kept as it is: the fields whose formulas are reported and neutralised."""


class RowShape(enum.StrEnum):
    TICKETS = "tickets"
    UPDATES = "updates"


class CommentFormat(enum.StrEnum):
    AUTO = "auto"
    DATED = "date;author;body"
    BODY = "body"


VALUE_MAPS: dict[str, frozenset[str] | None] = {
    "status": frozenset(s.value for s in TicketStatus),
    "priority": frozenset(p.value for p in Priority),
    "impact": frozenset(i.value for i in Impact),
    "urgency": frozenset(u.value for u in Urgency),
    "people": None,
    "group": None,
    "unit": None,
    "module": None,
    "category": None,
}
"""Each value map, and the values it may map to (None: any name)."""
NAME_MAPS = {
    Field.REPORTER: "people",
    Field.ASSIGNEE: "people",
    Field.UPDATED_BY: "people",
    Field.GROUP: "group",
    Field.UNIT: "unit",
    Field.MODULE: "module",
    Field.CATEGORY: "category",
}


def heading_key(heading: str) -> str:
    return " ".join(heading.replace("\ufeff", "").casefold().split())


@dataclass(frozen=True)
class Mapping:
    source: str
    """Stored as each ticket's source system: ``servicenow``, ``jira``, or the mapping's own name."""
    columns: tuple[tuple[str, Field], ...]
    """(heading, field), first match first: several headings may name one field (ServiceNow's ``number`` and
    its label ``Number``); the first the file has is read."""
    rows: RowShape = RowShape.TICKETS
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    """Value map name → {the source's word, case-folded → our value or name}."""
    defaults: dict[Field, str] = field(default_factory=dict)
    date_format: str | None = None
    date_order: DateOrder = DateOrder.DAY_FIRST
    time_zone: str | None = None
    missing: frozenset[str] = frozenset({""})
    comment_format: CommentFormat = CommentFormat.AUTO
    states: str = "generic"
    """The vocabulary of states besides ours: ``servicenow``, ``jira`` or ``generic`` (``values.JIRA_STATES``)."""
    escaped: bool = False
    """Our own export: a cell that starts with ``'`` was escaped, so one ``'`` is taken off and nothing is
    a formula (``console.imports.export``)."""

    def bind(self, header: Sequence[str]) -> Binding:
        """Which columns of ``header`` hold which field.

        Raises:
            MappingError: the file has no column for a field every ticket needs, and the mapping gives no default.
        """
        where: dict[str, list[int]] = {}
        for index, heading in enumerate(header):
            where.setdefault(heading_key(heading), []).append(index)
        fields: dict[Field, tuple[int, ...]] = {}
        for heading, target in self.columns:
            found = where.get(heading_key(heading))
            if found and (target not in fields or target in NOTES):
                fields[target] = tuple(sorted({*fields.get(target, ()), *found}))
        needed = [Field.KEY, Field.CREATED, Field.STATUS, Field.PRIORITY]
        if self.rows is RowShape.UPDATES:
            needed.append(Field.UPDATED)
        lacking = [f for f in needed if f not in fields and f not in self.defaults]
        if lacking:
            raise MappingError(
                _(
                    "The file has no column for {fields} ({source}). Its columns are: {columns}. Name the column "
                    "of each in a mapping file, under [columns], or give a default under [defaults]."
                ).format(
                    fields=", ".join(lacking),
                    source=self.source,
                    columns=", ".join(repr(h) for h in header) or _("none"),
                )
            )
        return Binding(self, tuple(header), fields)

    def with_document(self, document: dict[str, Any], name: str) -> Mapping:
        """This mapping with a mapping file's settings laid over it (``name`` is the file, for messages)."""
        unknown = sorted(set(document) - {"base", *MAPPING_KEYS})
        if unknown:
            raise MappingError(
                _("{name}: unknown setting {settings}; the settings are: {known}.").format(
                    name=name, settings=", ".join(unknown), known=", ".join(MAPPING_KEYS)
                )
            )
        changes: dict[str, Any] = {}
        if "columns" in document:
            columns = _columns(document["columns"], name)
            mapped = {target for _heading, target in columns}
            kept = tuple((h, f) for h, f in self.columns if f not in mapped or f in NOTES)
            changes["columns"] = columns + kept
        if "values" in document:
            values = {key: dict(found) for key, found in self.values.items()}
            for map_name, words in _values(document["values"], name).items():
                values.setdefault(map_name, {}).update(words)
            changes["values"] = values
        if "defaults" in document:
            changes["defaults"] = {**self.defaults, **_defaults(document["defaults"], name)}
        for key in ("source", "date_format", "time_zone"):
            if key in document:
                changes[key] = _text(document[key], key, name)
        if "rows" in document:
            changes["rows"] = _choice(RowShape, document["rows"], "rows", name)
        if "date_order" in document:
            changes["date_order"] = _choice(DateOrder, document["date_order"], "date_order", name)
        if "comment_format" in document:
            changes["comment_format"] = _choice(CommentFormat, document["comment_format"], "comment_format", name)
        if "missing" in document:
            cells = document["missing"]
            if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
                raise MappingError(_('{name}: missing is a list of texts, such as ["", "?"].').format(name=name))
            changes["missing"] = frozenset(c.strip() for c in cells)
        zone = changes.get("time_zone")
        if zone is not None and known_zone(zone) is None:
            raise MappingError(f"{name}: {zone_problem(zone)}")
        return replace(self, **changes)


MAPPING_KEYS = (
    "source", "rows", "columns", "values", "defaults", "date_format", "date_order", "time_zone", "missing",
    "comment_format",
)  # fmt: skip


@dataclass(frozen=True)
class Binding:
    """A mapping laid on one file's header: the column indexes of each field."""

    mapping: Mapping
    header: tuple[str, ...]
    fields: dict[Field, tuple[int, ...]]

    def heading(self, target: Field) -> str:
        """The heading of the (first) column that holds ``target``; the field's name when there is none."""
        indexes = self.fields.get(target)
        return self.header[indexes[0]] if indexes else target.value

    @property
    def used(self) -> frozenset[int]:
        return frozenset(i for indexes in self.fields.values() for i in indexes)

    def columns(self) -> list[tuple[str, Field | None]]:
        """Each heading of the file with the field it is read as (None: not read), for the preview."""
        by_index = {i: target for target, indexes in self.fields.items() for i in indexes}
        return [(heading, by_index.get(index)) for index, heading in enumerate(self.header)]


def _columns(value: object, name: str) -> tuple[tuple[str, Field], ...]:
    if not isinstance(value, dict):
        raise MappingError(_("{name}: columns is a table of heading = field.").format(name=name))
    found = []
    for heading, target in value.items():
        found.append((str(heading), _field(target, name)))
    return tuple(found)


def _field(value: object, name: str) -> Field:
    try:
        return Field(str(value))
    except ValueError:
        raise MappingError(
            _("{name}: {value!r} is not a field; the fields are: {fields}.").format(
                name=name, value=value, fields=", ".join(f.value for f in Field)
            )
        ) from None


def _values(value: object, name: str) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        raise MappingError(_("{name}: values is a table of value maps.").format(name=name))
    found: dict[str, dict[str, str]] = {}
    for map_name, words in value.items():
        if map_name not in VALUE_MAPS:
            raise MappingError(
                _("{name}: there is no value map {map!r}; the value maps are: {maps}.").format(
                    name=name, map=map_name, maps=", ".join(VALUE_MAPS)
                )
            )
        if not isinstance(words, dict):
            raise MappingError(_("{name}: values.{map} is a table of word = value.").format(name=name, map=map_name))
        allowed = VALUE_MAPS[map_name]
        for word, ours in words.items():
            if not isinstance(ours, str) or (allowed is not None and ours not in allowed):
                raise MappingError(
                    _("{name}: values.{map} maps {word!r} to {ours!r}; it maps to one of: {allowed}.").format(
                        name=name, map=map_name, word=word, ours=ours, allowed=", ".join(sorted(allowed or ()))
                    )
                )
        found[map_name] = {" ".join(str(w).casefold().split()): str(v) for w, v in words.items()}
    return found


def _defaults(value: object, name: str) -> dict[Field, str]:
    if not isinstance(value, dict):
        raise MappingError(_("{name}: defaults is a table of field = value.").format(name=name))
    return {_field(key, name): _text(found, str(key), name) for key, found in value.items()}


def _text(value: object, key: str, name: str) -> str:
    if not isinstance(value, str):
        raise MappingError(_("{name}: {key} is a text.").format(name=name, key=key))
    return value


def _choice(kind: type[E], value: object, key: str, name: str) -> E:
    try:
        return kind(str(value))
    except ValueError:
        raise MappingError(
            _("{name}: {key} is one of: {choices}.").format(name=name, key=key, choices=", ".join(kind))
        ) from None


def aliases(target: Field, *headings: str) -> tuple[tuple[str, Field], ...]:
    return tuple((heading, target) for heading in headings)


def columns_of(pairs: Iterable[tuple[tuple[str, Field], ...]]) -> tuple[tuple[str, Field], ...]:
    return tuple(pair for group in pairs for pair in group)
