"""The write path of an import: tickets read from another tool's export, stored with their history, once.

``import_files`` reads the files (``ImportFile``), resolves the names they give (``Names``), numbers the new
tickets from the importer's own blocks and stores them in batches of ``BATCH`` tickets, each batch an
``ImportTickets`` intent: applied to the local cache and kept in the outbox, all in **one** cache transaction,
so a refused import (``--on-error stop``), a cancelled one and a dry run leave nothing behind. On a team, sync
pushes each batch as one intent (100,000 tickets are 200 round trips, not 100,000), and the shared database
applies it with the very same ``apply_import``, as the person who imported it.

**Written as history, not replayed through the workflow.** A real export goes New → Resolved, Pending →
Pending, starts at Active: the importer writes what happened. A ticket's ``created`` event carries its first
values; each change is a ``field_changed`` event at its own time, numbered in source order (``seq``) so that
same-minute updates keep their order; comments and work notes are comments. The events are in the name of the
importer (``actor_id``; only managers import: ``Can.IMPORT``); who made each change in the other tool, and the
tool's own word for a value, are kept beside (``source``, ``source_actor``, ``source_value``). The ticket's
row is what replaying those events gives (``console.tickets.history``), so the History tab and the row agree.

**Safe to run twice.** A ticket's id comes from its source system and number (``imported_id``), and every
event's and comment's id from what it says, so importing the same file again finds everything there and
changes nothing; a newer export appends the events that are new and brings the ticket's fields up to date —
unless the ticket was changed here since it was imported, then its fields are left as they are here (said
in the report: never a silent overwrite), though its new history is still appended.

**Quick, the same.** An import of 100,000 tickets spends its time in a few places, each made shorter without
changing what is stored or said: a file of one row per update is read in one pass (``Reading``'s
``one_pass``, read again the usual way when a ticket's rows prove not to be together); a ticket found with every
event of its record stored, as numbered, none made here, is told unchanged from its record replayed
(``console.tickets.history.replay``) without its events written out again, and its SLA outcome, stopped when it
was stored, is counted as stored (``StoredSla``); new rows are written with each column's own conversion at once
(``insert_rows``), with a larger page cache, and with the tickets' indexes set aside while a large import fills a
table that held fewer (``Indexes``).
"""

from __future__ import annotations

import copy
import enum
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from hashlib import sha1
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, String, Table, insert, select, type_coerce, update
from sqlalchemy import Enum as SqlEnum

from console.access import Actor, Can, Refused, require
from console.i18n import N_, _, n_
from console.imports.importer import ImportFile, Reading, Scattered, together
from console.imports.mapping import Field, RowShape
from console.imports.missing import NameKind, name_key
from console.imports.problems import ImportFailed, Outcome, Problem, ProblemKind, ProblemLog
from console.imports.reconcile import Reason, Reconciliation, explain
from console.imports.records import EventKind, ImportedEvent, ImportedTicket
from console.journal import outbox
from console.journal.audit import ids_of
from console.journal.intents import ImportTickets
from console.journal.values import INT_FIELDS, decode, encode, snapshot
from console.sla.engine import Change, SlaResult
from console.sla.recompute import STORED_COLUMNS, stored_values
from console.sla.store import SlaContext, TicketFacts, UnjudgedSla
from console.store.database import sqlite_pragma
from console.store.numbering import format_number, keep_block
from console.text import clean_text
from console.tickets.history import replay
from console.tickets.service import DESCRIPTION_MAX, MATRIX, NOTE_MAX, store_sla
from models import (
    AuditAction,
    AuditEvent,
    BusinessUnit,
    Comment,
    EntityType,
    ErpModule,
    Impact,
    NumberBlock,
    Priority,
    Role,
    SlaState,
    SupportGroup,
    Ticket,
    TicketKind,
    Urgency,
    User,
    Visibility,
    table_of,
)
from models.base import UTCDateTime
from models.tickets import TITLE_MAX

BATCH = 500
"""Tickets in one intent: one transaction on the shared database, a few hundred kilobytes in the outbox."""
NAMESPACE = uuid.UUID("5b0c8f4e-2f1a-4c55-9a63-0d6c1e7f2a10")
SERIES = "INC"
ASIDE = "—"
TICKETS, EVENTS, COMMENTS = table_of(Ticket), table_of(AuditEvent), table_of(Comment)
FIELD_OF = {
    EventKind.STATUS: "status",
    EventKind.PRIORITY: "priority",
    EventKind.GROUP: "group_id",
    EventKind.ASSIGNEE: "assignee_id",
}
NAMED = {EventKind.GROUP: NameKind.GROUP, EventKind.ASSIGNEE: NameKind.PERSON}
VISIBILITY_OF = {EventKind.COMMENT: Visibility.PUBLIC, EventKind.WORK_NOTE: Visibility.INTERNAL}
# The fields a newer export brings up to date (the rest — number, reporter, creation — are the ticket's own).
UPDATED = (
    "title", "description", "status", "priority", "impact", "urgency", "module_id", "category", "business_unit_id",
    "assignee_id", "group_id", "first_response_at", "resolved_at", "closed_at", "reopen_count", "updated_at",
    "source_sla_met",
)  # fmt: skip
BLANK: dict[str, Any] = {"first_response_at": None, "resolved_at": None, "closed_at": None}
"""What a replay sets only when it happens, so every row of a batch has every column."""
UNJUDGED: dict[str, Any] = dict.fromkeys(STORED_COLUMNS)
"""The stored SLA of a ticket the engine cannot judge (``sla show`` says why)."""


class OnError(enum.StrEnum):
    STOP = "stop"
    SKIP = "skip"


class Cancelled(ImportFailed):
    """The person stopped the import: nothing of it was kept."""


STOPPED = N_("The import was stopped; nothing of it was kept.")


class RefusedRows(ImportFailed):
    """``--on-error stop`` and a bad row: nothing was imported; ``problems`` lists them."""

    def __init__(self, message: str, problems: ProblemLog) -> None:
        super().__init__(message)
        self.problems = problems


_VERSION_5 = (0x8000 << 48) | (5 << 76)  # RFC 4122's variant and version 5, as ``uuid.UUID(version=5)`` sets them
_NOT_VERSION = ~((0xC000 << 48) | (0xF000 << 64))
_SAFE = uuid.SafeUUID.unknown
_set = object.__setattr__


def _quick_uuid5(namespace: bytes, name: str) -> uuid.UUID:
    number = int.from_bytes(sha1(namespace + name.encode("utf-8")).digest()[:16], "big") & _NOT_VERSION | _VERSION_5
    made = object.__new__(uuid.UUID)
    _set(made, "int", number)
    _set(made, "is_safe", _SAFE)
    return made


def _sure_uuid5(namespace: bytes, name: str) -> uuid.UUID:
    return uuid.UUID(bytes=sha1(namespace + name.encode("utf-8")).digest()[:16], version=5)


_NAMESPACE = NAMESPACE.bytes


def _quick_is_sure() -> bool:
    try:
        return all(_quick_uuid5(_NAMESPACE, name) == uuid.uuid5(NAMESPACE, name) for name in ("", "created", "é\n1"))
    except (AttributeError, TypeError):  # a Python whose ids are made otherwise
        return False


uuid5: Callable[[bytes, str], uuid.UUID] = _quick_uuid5 if _quick_is_sure() else _sure_uuid5
"""``uuid.uuid5`` for a namespace given as its ``bytes``: the very same id, made without ``uuid.UUID``'s checks of
its arguments where this Python's ids are made as expected (an import makes one for every event, twice)."""


def imported_id(source_system: str, key: str) -> uuid.UUID:
    """An imported ticket's id: the same on every desk, for every import of the same ticket."""
    return uuid5(_NAMESPACE, f"ticket\n{source_system}\n{key}")


def _name_id(kind: NameKind, name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}\n{name_key(name)}")


def _code(name: str, limit: int, taken: set[str]) -> str:
    """A code for a created unit, module or group: the name's letters and digits, capitals, unique."""
    base = re.sub(r"[^0-9A-Za-z]+", "-", name).strip("-").upper()[:limit] or "IMPORTED"
    code, number = base, 1
    while code.casefold() in taken:
        number += 1
        suffix = f"-{number}"
        code = base[: limit - len(suffix)] + suffix
    taken.add(code.casefold())
    return code


@dataclass
class Names:
    """The workspace's people, groups, units and modules by every name they go by (case and spaces aside), the
    defaults the unknown ones map to, and (``create_missing``) the ones this import creates."""

    people: dict[str, uuid.UUID]
    groups: dict[str, uuid.UUID]
    units: dict[str, uuid.UUID]
    modules: dict[str, uuid.UUID]
    default_person: uuid.UUID
    default_unit: uuid.UUID
    default_module: uuid.UUID
    create_missing: bool
    created: list[dict[str, Any]] = field(default_factory=list)
    """What this import creates, each a mapping with its ``kind`` (``NameKind``) and its row."""
    unit_rules: tuple[str, uuid.UUID | None, uuid.UUID | None] = ("UTC", None, None)
    codes: dict[NameKind, set[str]] = field(default_factory=dict)
    defaulted: Counter[tuple[NameKind, str]] = field(default_factory=Counter)
    """Names that were mapped to a default, with how often."""
    found: dict[NameKind, dict[str, tuple[uuid.UUID, str]]] = field(default_factory=dict)
    """Each name already found, as it was written, with its id and the id as text (``encode``): names repeat from
    ticket to ticket, and a name once found stands for the same id to the end."""
    unknown: dict[NameKind, set[str]] = field(default_factory=dict)
    """Each name not found (and not created: not ``create_missing``), as it was written: it stays unknown."""

    @classmethod
    def read(
        cls,
        conn: Connection,
        actor: Actor,
        *,
        unit: str,
        module: str | None = None,
        person: str | None = None,
        create_missing: bool = False,
    ) -> Names:
        def by_name(*columns: Any) -> dict[str, uuid.UUID]:
            found: dict[str, uuid.UUID] = {}
            for row in conn.execute(select(*columns)):
                for value in row[1:]:
                    if value:
                        found.setdefault(name_key(str(value)), row[0])
            return found

        people = by_name(User.id, User.login, User.display_name, User.email)
        groups = by_name(SupportGroup.id, SupportGroup.code, SupportGroup.name)
        units = by_name(BusinessUnit.id, BusinessUnit.code, BusinessUnit.name)
        modules = by_name(ErpModule.id, ErpModule.code, ErpModule.name)

        def default(kind: str, found: dict[str, uuid.UUID], name: str) -> uuid.UUID:
            chosen = found.get(name_key(name))
            if chosen is None:
                raise ImportFailed(
                    _("There is no {kind} {name!r} in this workspace to map unknown names to.").format(
                        kind=kind, name=name
                    )
                )
            return chosen

        default_unit = default(_("business unit"), units, unit)
        if module is None:
            first = conn.execute(select(ErpModule.id).order_by(ErpModule.code).limit(1)).scalar()
            if first is None:
                raise ImportFailed(_("This workspace has no ERP modules yet; import into a prepared workspace."))
            default_module = first
        else:
            default_module = default(_("module"), modules, module)
        unit_row = conn.execute(
            select(BusinessUnit.time_zone, BusinessUnit.calendar_id, BusinessUnit.sla_policy_id).where(
                BusinessUnit.id == default_unit
            )
        ).one()
        codes = {
            NameKind.UNIT: {str(c).casefold() for c in conn.execute(select(BusinessUnit.code)).scalars()},
            NameKind.MODULE: {str(c).casefold() for c in conn.execute(select(ErpModule.code)).scalars()},
            NameKind.GROUP: {str(c).casefold() for c in conn.execute(select(SupportGroup.code)).scalars()},
            NameKind.PERSON: {str(c).casefold() for c in conn.execute(select(User.login)).scalars()},
        }
        return cls(
            people, groups, units, modules,
            default_person=default(_("person"), people, person) if person else actor.id,
            default_unit=default_unit, default_module=default_module, create_missing=create_missing,
            unit_rules=(unit_row.time_zone, unit_row.calendar_id, unit_row.sla_policy_id), codes=codes,
        )  # fmt: skip

    def _known(self, kind: NameKind) -> dict[str, uuid.UUID]:
        if kind is NameKind.PERSON:
            return self.people
        if kind is NameKind.GROUP:
            return self.groups
        return {NameKind.UNIT: self.units, NameKind.MODULE: self.modules}[kind]

    def find(self, kind: NameKind, name: str | None) -> uuid.UUID | None:
        """The id a name stands for: known, created now (``create_missing``), or None when it is unknown."""
        if not name:
            return None
        seen = self.found.get(kind)
        if seen is not None and name in seen:
            return seen[name][0]
        unknown = self.unknown.get(kind)
        if unknown is not None and name in unknown:
            self.defaulted[(kind, name)] += 1
            return None
        found = self._find(kind, name)
        if found is not None:
            self.found.setdefault(kind, {})[name] = (found, str(found))
        elif (kind, name) in self.defaulted:
            self.unknown.setdefault(kind, set()).add(name)
        return found

    def find_text(self, kind: NameKind, name: str | None) -> str | None:
        """``encode(find(kind, name))``."""
        if name:
            seen = self.found.get(kind)
            if seen is not None and name in seen:
                return seen[name][1]
        return encode(self.find(kind, name))

    def _find(self, kind: NameKind, name: str) -> uuid.UUID | None:
        if not name.strip():
            return None
        known = self._known(kind)
        key = name_key(name)
        if key in known:
            return known[key]
        if not self.create_missing:
            self.defaulted[(kind, name)] += 1
            return None
        known[key] = new = _name_id(kind, name)
        self.created.append({"kind": kind.value, **self._row(kind, new, name.strip())})
        return new

    def unit(self, name: str | None) -> uuid.UUID:
        return self.find(NameKind.UNIT, name) or self.default_unit

    def module(self, name: str | None) -> uuid.UUID:
        return self.find(NameKind.MODULE, name) or self.default_module

    def person(self, name: str | None) -> uuid.UUID:
        return self.find(NameKind.PERSON, name) or self.default_person

    def _row(self, kind: NameKind, new: uuid.UUID, name: str) -> dict[str, Any]:
        taken = self.codes.setdefault(kind, set())
        if kind is NameKind.PERSON:  # a name in the history, who never signs in here: no role of the database
            login = "imported." + _code(name, 55, taken).lower()
            return {"id": new, "login": login, "display_name": name[:120], "email": None,
                    "role": Role.SERVICE_DESK_ANALYST, "active": False, "locale": "en"}  # fmt: skip
        if kind is NameKind.GROUP:
            return {"id": new, "code": _code(name, 32, taken), "name": name[:120], "tier": 2, "vendor": None,
                    "email": None}  # fmt: skip
        if kind is NameKind.UNIT:
            zone, calendar, policy = self.unit_rules
            return {"id": new, "code": _code(name, 16, taken), "name": name[:120], "time_zone": zone,
                    "calendar_id": calendar, "sla_policy_id": policy, "active": True}  # fmt: skip
        return {"id": new, "code": _code(name, 16, taken), "name": name[:80], "owner_group_id": None}

    def take_created(self) -> tuple[Mapping[str, Any], ...]:
        found, self.created = tuple(self.created), []
        return found

    def saved(self) -> Names:
        """A copy to go back to (``restore``): what finding and creating names changes."""
        return Names(
            {**self.people}, {**self.groups}, {**self.units}, {**self.modules}, self.default_person,
            self.default_unit, self.default_module, self.create_missing, [*self.created], self.unit_rules,
            {kind: set(codes) for kind, codes in self.codes.items()}, Counter(self.defaulted),
            {kind: dict(found) for kind, found in self.found.items()},
            {kind: set(unknown) for kind, unknown in self.unknown.items()},
        )  # fmt: skip

    def restore(self, saved: Names) -> None:
        """Back to what ``saved`` was, as if nothing was found or created since."""
        self.__dict__.update(saved.saved().__dict__)


NAME_TABLES = {
    NameKind.PERSON: table_of(User),
    NameKind.GROUP: table_of(SupportGroup),
    NameKind.UNIT: table_of(BusinessUnit),
    NameKind.MODULE: table_of(ErpModule),
}


# ---- one ticket as the intent carries it -----------------------------------------------------------------


def impact_and_urgency(ticket: ImportedTicket) -> tuple[Impact, Urgency]:
    """The file's impact and urgency; where it lacks one, the pair of the priority matrix that gives its first
    priority (with the other when one is given)."""
    first = Priority(ticket.first(EventKind.PRIORITY) or ticket.priority)
    if ticket.impact is not None and ticket.urgency is not None:
        return ticket.impact, ticket.urgency
    pairs = [pair for pair, priority in MATRIX.items() if priority is first]
    for impact, urgency in pairs:
        if ticket.impact in (None, impact) and ticket.urgency in (None, urgency):
            return impact, urgency
    return pairs[0]


def _event_id(ticket_id: uuid.UUID, event: ImportedEvent, seen: Counter[str]) -> uuid.UUID:
    """An imported event's id, from what it says (and how many alike came before it in the ticket)."""
    said = "\n".join((event.kind.value, event.at.isoformat(), event.old or "", event.new or "", event.actor or ""))
    seen[said] += 1
    return uuid.uuid5(ticket_id, f"{said}\n{seen[said]}")


_KIND_VALUE = {kind: kind.value for kind in EventKind}


def _first(ticket: ImportedTicket, firsts: dict[EventKind, str | None], kind: EventKind) -> str | None:
    """``ticket.first(kind)``, its events looked through once already (``firsts``: the old value of each kind's
    first event); a kind with none is as the ticket ends."""
    if kind in firsts:
        return firsts[kind]
    if kind is EventKind.STATUS:
        return ticket.status.value
    if kind is EventKind.PRIORITY:
        return ticket.priority.value
    if kind is EventKind.GROUP:
        return ticket.group
    if kind is EventKind.ASSIGNEE:
        return ticket.assignee
    return ticket.first(kind)


def _cleaned(value: str, what: str, limit: int) -> str:
    """``clean_text(value, what, limit, required=False)``, at once for text that holds nothing to take out."""
    if value.isprintable():
        text = value.strip()
        if len(text) <= limit:
            return text
    return clean_text(value, what, limit, required=False)


def ticket_record(ticket: ImportedTicket, names: Names) -> dict[str, Any]:
    """The ticket as the intent carries it: our ids for its names, its first values, its events with their ids.

    Raises ``Refused`` for a ticket that cannot be stored as it is (a description or a note over our limit)."""
    ticket_id = imported_id(ticket.source_system, ticket.key)
    title = _cleaned(ticket.title, "title", 10**9) or ticket.key
    description = _cleaned(ticket.description, "description", DESCRIPTION_MAX)
    if len(title) > TITLE_MAX:
        title, description = title[: TITLE_MAX - 1] + "…", f"{title}\n\n{description}".strip()
        if len(description) > DESCRIPTION_MAX:
            raise Refused(_("The title and description are together over {limit:,} characters.").format(
                limit=DESCRIPTION_MAX))  # fmt: skip
    impact, urgency = impact_and_urgency(ticket)
    firsts: dict[EventKind, str | None] = {}
    for event in ticket.events:  # ``ticket.first``, for every kind in one look
        if event.kind not in firsts:
            firsts[event.kind] = event.old
    namespace = ticket_id.bytes
    seen: dict[str, int] = {}
    moments: dict[datetime, str] = {}
    events = []
    find_text = names.find_text
    for event in ticket.events:
        kind, at, old, new, said, actor = event.kind, event.at, event.old, event.new, event.source_value, event.actor
        if kind is EventKind.GROUP or kind is EventKind.ASSIGNEE:  # the name as the source gives it, beside our id
            named = NAMED[kind]
            old, new = find_text(named, old), find_text(named, new)
            said = said or event.new
        elif kind in VISIBILITY_OF:
            new = _cleaned(new or "", "note", NOTE_MAX)
            if not new:
                continue
        # The event's id, from what it says and how many alike came before it in the ticket: ``_event_id``.
        moment = moments.get(at)
        if moment is None:
            moment = moments[at] = at.isoformat()
        word = _KIND_VALUE[kind]
        line = "\n".join((word, moment, event.old or "", event.new or "", actor or ""))
        count = seen[line] = seen.get(line, 0) + 1
        events.append((uuid5(namespace, f"{line}\n{count}"), at, word, old, new, (actor or None) and actor[:120],
                       (said or None) and said[:120]))  # fmt: skip
    return {
        "id": ticket_id,
        "key": ticket.key,
        "title": title,
        "description": description,
        "impact": impact,
        "urgency": urgency,
        "priority": Priority(_first(ticket, firsts, EventKind.PRIORITY) or ticket.priority),
        "status": _first(ticket, firsts, EventKind.STATUS) or ticket.status.value,
        "module_id": names.module(ticket.module),
        "business_unit_id": names.unit(ticket.unit),
        "category": (ticket.category or None) and ticket.category[:80],
        "reporter_id": names.person(ticket.reporter),
        "assignee_id": names.find(NameKind.PERSON, _first(ticket, firsts, EventKind.ASSIGNEE)),
        "group_id": names.find(NameKind.GROUP, _first(ticket, firsts, EventKind.GROUP)),
        "created_at": ticket.created_at,
        "source_sla_met": ticket.source_sla_met,
        "events": tuple(events),
        "row": ticket.row,
    }


# ---- applying a batch (the cache and the shared database alike) ------------------------------------------


@dataclass(frozen=True)
class StoredSla:
    """The SLA outcome of a ticket the import found unchanged, as stored: its resolution clock stopped, judged on
    the very history the import carries (every event stored as it numbers it, none other), then and there, under
    the rules in force (a change of a policy, calendar, holiday or release recomputes every stored outcome it
    touches). The engine would say the same now, so it is not asked again; ``judge`` does, for the few outcomes the
    report explains."""

    state: SlaState
    judge: Callable[[], SlaResult | UnjudgedSla]


@dataclass
class Applied:
    """What one batch did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_here: list[str] = field(default_factory=list)
    """Numbers of tickets changed here since they were imported: new history appended, fields left as here."""
    events: int = 0
    results: dict[uuid.UUID, SlaResult | UnjudgedSla | StoredSla] = field(default_factory=dict)

    def add(self, other: Applied) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.kept_here += other.kept_here
        self.events += other.events


CREATED_ID = "created"
"""The ``created`` event's id: ``uuid5`` of the ticket's id and this."""
FIELD_OF_KIND: dict[str, str | None] = {
    **{kind.value: name for kind, name in FIELD_OF.items()},
    **dict.fromkeys((kind.value for kind in VISIBILITY_OF), None),
}
"""The field each kind of event (as a record names it) changes; None: a note, which changes none."""


def _event_rows(
    record: Mapping[str, Any], actor: Actor, source: str, first: dict[str, Any], seq: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit events and comments of a record (``created`` first), numbered from ``seq``."""
    ticket_id, unit, actor_id = record["id"], record["business_unit_id"], actor.id
    ticket = EntityType.TICKET
    events = [{"actor_id": actor_id, "entity_type": ticket, "entity_id": ticket_id, "business_unit_id": unit,
               "reason": None, "source": source, "id": uuid5(ticket_id.bytes, CREATED_ID),
               "occurred_at": record["created_at"], "seq": seq, "action": AuditAction.CREATED, "field": None,
               "old_value": None, "new_value": snapshot(first), "source_actor": None,
               "source_value": None}]  # fmt: skip
    comments = []
    for event_id, at, kind, old, new, actor_name, source_value in record["events"]:
        seq += 1
        visibility = VISIBILITY_OF.get(EventKind(kind))
        if visibility is None:
            events.append({"actor_id": actor_id, "entity_type": ticket, "entity_id": ticket_id,
                           "business_unit_id": unit, "reason": None, "source": source, "id": event_id,
                           "occurred_at": at, "seq": seq, "action": AuditAction.FIELD_CHANGED,
                           "field": FIELD_OF[EventKind(kind)], "old_value": old, "new_value": new,
                           "source_actor": actor_name, "source_value": source_value})  # fmt: skip
            continue
        comment_id = uuid5(event_id.bytes, "comment")
        comments.append({"id": comment_id, "ticket_id": ticket_id, "author_id": actor_id, "visibility": visibility,
                         "body": new, "created_at": at, "source_author": actor_name})  # fmt: skip
        events.append({"actor_id": actor_id, "entity_type": ticket, "entity_id": ticket_id, "business_unit_id": unit,
                       "reason": None, "source": source, "id": event_id, "occurred_at": at, "seq": seq,
                       "action": AuditAction.COMMENTED, "field": visibility.value, "old_value": None,
                       "new_value": str(comment_id), "source_actor": actor_name, "source_value": None})  # fmt: skip
    return events, comments


def _first_values(record: Mapping[str, Any], number: str, source: str, policy: uuid.UUID | None) -> dict[str, Any]:
    return {
        "id": record["id"], "number": number, "kind": TicketKind.INCIDENT, "title": record["title"],
        "description": record["description"], "status": record["status"], "priority": record["priority"],
        "impact": record["impact"], "urgency": record["urgency"], "tier": 1, "module_id": record["module_id"],
        "category": record["category"], "business_unit_id": record["business_unit_id"],
        "reporter_id": record["reporter_id"], "assignee_id": record["assignee_id"], "group_id": record["group_id"],
        "sla_policy_id": policy, "reopen_count": 0, "created_at": record["created_at"], "source_system": source,
        "source_key": record["key"],
    }  # fmt: skip


def _replayed(record: Mapping[str, Any], first: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket's state from its history: ``rebuild`` of ``_event_rows``' events, replayed from the record
    itself (``console.tickets.history.replay``): the first values as the created event's JSON reads back, each
    event numbered as ``_event_rows`` numbers it."""
    kept = _KEPT_AS_IS
    values = {
        name: value if value is None or type(value) is kept.get(name) else _read_back(name, value)
        for name, value in first.items()
    }
    steps = [
        (at, seq, FIELD_OF_KIND.get(kind), new) for seq, (_, at, kind, _, new, _, _) in enumerate(record["events"], 2)
    ]
    return replay(values, record["created_at"], steps)


def _read_back(name: str, value: Any) -> Any:
    """``decode(name, encode(value))``: a first value as the created event's JSON reads back. Most come back as
    they went (an id as an id, a text as a text): those are not written out to be read again."""
    kind = type(value)
    if value is None or (kind is uuid.UUID and name.endswith("_id")):
        return value
    if isinstance(value, enum.StrEnum) and not name.endswith(("_id", "_at")) and name not in INT_FIELDS:
        return str(value)  # its text, which decodes as it is
    if (kind is str and not name.endswith(("_id", "_at")) and name not in INT_FIELDS) or (
        kind is int and name in INT_FIELDS
    ):
        return value
    return decode(name, encode(value))


_KEPT_AS_IS: dict[str, type] = {
    name: uuid.UUID if name.endswith("_id") else int if name in INT_FIELDS else str
    for name in ("number", "kind", "title", "description", "status", "priority", "impact", "urgency", "tier",
                 "module_id", "category", "business_unit_id", "reporter_id", "assignee_id", "group_id",
                 "sla_policy_id", "reopen_count", "source_system", "source_key")
}  # fmt: skip
"""The type of each first value that reads back as it went (``_read_back``): ids, whole numbers and texts."""


def _changes(record: Mapping[str, Any]) -> list[Change]:
    """The record's changes of status and priority as the SLA engine reads them from ``_event_rows``' events."""
    return [
        Change(at, kind, new or "", old, seq=seq)
        for seq, (_, at, kind, old, new, _, _) in enumerate(record["events"], 2)
        if kind == "status" or kind == "priority"
    ]


def _judged(
    context: SlaContext, row: Mapping[str, Any], changes: list[Change], now: datetime
) -> SlaResult | UnjudgedSla:
    facts = TicketFacts(row["id"], row["business_unit_id"], row["sla_policy_id"], row["created_at"],
                        str(row["priority"]), str(row["status"]), row["module_id"], row["number"])  # fmt: skip
    try:
        return context.evaluate(facts, changes, now)
    except UnjudgedSla as why:
        return why


def _judge(
    context: SlaContext, row: Mapping[str, Any], record: Mapping[str, Any], now: datetime
) -> SlaResult | UnjudgedSla:
    return _judged(context, row, _changes(record), now)


@dataclass(frozen=True)
class Rules:
    """What a batch is judged by: each unit's SLA policy, and the SLA engine's context. Read once for an import
    (the import changes them only by creating units)."""

    policies: dict[uuid.UUID, uuid.UUID | None]
    context: SlaContext

    @classmethod
    def load(cls, conn: Connection) -> Rules:
        return cls(dict(conn.execute(select(BusinessUnit.id, BusinessUnit.sla_policy_id)).all()), SlaContext.load(conn))


def apply_import(conn: Connection, actor: Actor, intent: ImportTickets, now: datetime) -> Applied:
    """Store a batch in the caller's transaction: each ticket created, brought up to date, or found unchanged.

    Raises ``Refused`` (and writes nothing) unless the person may import."""
    return _apply_import(conn, actor, intent, now, None)[0]


def _apply_import(
    conn: Connection, actor: Actor, intent: ImportTickets, now: datetime, rules: Rules | None
) -> tuple[Applied, Rules]:
    """``apply_import`` with the rules an earlier batch read (None: read them), and the rules it used."""
    require(actor, Can.IMPORT)
    with ids_of(intent.mutation_id):
        _create_names(conn, intent.names, now)
        if rules is None or any(created["kind"] == NameKind.UNIT for created in intent.names):
            rules = Rules.load(conn)
        return _apply(conn, actor, intent, now, rules), rules


def _create_names(conn: Connection, names: Iterable[Mapping[str, Any]], now: datetime) -> None:
    """The people, groups, units and modules the batch brings (each once, whichever desk made it first)."""
    for created in names:
        kind = NameKind(created["kind"])
        table = NAME_TABLES[kind]
        row = {k: v for k, v in created.items() if k != "kind"}
        if kind is NameKind.PERSON:
            row["created_at"] = now
        if conn.execute(select(table.c.id).where(table.c.id == row["id"])).first() is None:
            conn.execute(insert(table), [row])


BEFORE = ("id", "number", "sla_policy_id", "created_at", "resolution_state", "sla_computed_at", *UPDATED)
"""What a batch reads of the tickets it finds stored already."""
STOPPED_CLOCK = frozenset({SlaState.MET, SlaState.MISSED})
"""A resolution clock's states once it stopped: what it says no longer depends on when it is asked."""


def _apply(conn: Connection, actor: Actor, intent: ImportTickets, now: datetime, rules: Rules) -> Applied:
    source = intent.source_system
    ids = [record["id"] for record in intent.tickets]
    # Which are stored first, by the id's own index alone: the rows' other columns are read for those only (a query
    # for all of them would walk the whole table where the planner's statistics are from when it was small).
    present = list(conn.execute(select(Ticket.id).where(Ticket.id.in_(ids))).scalars())
    as_id: Callable[[Any], Any] = (
        EVENTS.c.id.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None) or _same
    )
    existing = {}
    if present:
        # The ids among the columns as the database holds them (``_differs_id``): made into ids when they differ.
        columns = [type_coerce(TICKETS.c[n], String).label(n) if n in RAW_IDS else TICKETS.c[n] for n in BEFORE]
        existing = {row.id: row._mapping for row in conn.execute(select(*columns).where(Ticket.id.in_(present))).all()}
    differs = partial(_differs_field, as_id)
    stored: dict[uuid.UUID, tuple[int, int, bool]] = {}
    """Each stored ticket's events: how many, its highest seq, and whether any was made here (no source)."""
    kept: set[uuid.UUID] = set()
    """The stored tickets whose every event the record carries, stored as it numbers it (``_numbered``)."""
    known_events: dict[uuid.UUID, set[uuid.UUID]] = {}
    if existing:
        # The events as the database holds their ids (no id made for each): told apart from the record's by the
        # ids as they are written (``raw``); an id written another way only takes the longer way below.
        raw_id = EVENTS.c.id.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) or _same
        found: dict[Any, dict[Any, int]] = {}
        here: set[Any] = set()
        top: dict[Any, int] = {}
        query = select(
            type_coerce(AuditEvent.entity_id, String), type_coerce(AuditEvent.id, String), AuditEvent.seq,
            AuditEvent.source.is_(None),
        ).where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id.in_(list(existing)))  # fmt: skip
        for entity, raw_event, seq, made_here in conn.execute(query).all():
            by_id = found.get(entity)
            if by_id is None:
                by_id = found[entity] = {}
            by_id[raw_event] = seq
            if made_here:
                here.add(entity)
            if seq > top.get(entity, 0):
                top[entity] = seq
        tickets = {as_id(entity): entity for entity in found}  # each ticket's id, however it is written
        for record in intent.tickets:
            ticket_id = record["id"]
            if ticket_id not in existing:
                continue
            written = tickets.get(ticket_id)
            by_id = found.get(written, {})
            stored[ticket_id] = (len(by_id), top.get(written, 0), written in here)
            if written not in here and all(by_id.get(raw_id(event_id)) == seq for event_id, seq in _numbered(record)):
                kept.add(ticket_id)
            else:  # the rest are read as their events' ids
                known_events[ticket_id] = {as_id(raw_event) for raw_event in by_id}
    policies, context = rules.policies, rules.context
    done = Applied()
    new_tickets: list[dict[str, Any]] = []
    new_events: list[dict[str, Any]] = []
    new_comments: list[dict[str, Any]] = []
    again: list[uuid.UUID] = []
    for record in intent.tickets:
        ticket_id = record["id"]
        before = existing.get(ticket_id)
        number = before["number"] if before else record["number"]
        first = _first_values(record, number, source, policies.get(record["business_unit_id"]))
        count, top_seq, made_here = stored.get(ticket_id, (0, 0, False))
        if before is not None and ticket_id in kept:
            # Every event of the record is stored, as it numbers it, and none was made here: nothing is new.
            row = BLANK | _replayed(record, first) | {"id": ticket_id, "sla_policy_id": first["sla_policy_id"],
                                                      "source_sla_met": record["source_sla_met"]}  # fmt: skip
            changed = {k: row[k] for k in UPDATED if differs(k, row.get(k), before.get(k))}
            if changed:
                done.results[ticket_id] = _judge(context, row, record, now)
                conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(changed))
                again.append(ticket_id)
                done.updated += 1
            else:
                done.results[ticket_id] = _stored(before, row, record, count, now, context, as_id) or _judge(
                    context, row, record, now
                )
                done.unchanged += 1
            continue
        events, comments = _event_rows(record, actor, source, first, 1)
        if number is None:
            raise Refused(_("{key} is new here but came with no number.").format(key=record["key"]))
        row = BLANK | _replayed(record, first) | {"id": ticket_id, "sla_policy_id": first["sla_policy_id"],
                                                  "source_sla_met": record["source_sla_met"]}  # fmt: skip
        done.results[ticket_id] = _judge(context, row, record, now)
        if before is None:
            new_tickets.append(row)
            new_events += events
            new_comments += comments
            done.events += len(events)
            result = done.results[ticket_id]
            row |= stored_values(result, now) if isinstance(result, SlaResult) else UNJUDGED
            done.created += 1
            continue
        known = known_events.get(ticket_id, set())
        fresh = [e for e in events if e["id"] not in known]
        fresh_ids = {e["new_value"] for e in fresh if e["action"] is AuditAction.COMMENTED}
        seq = top_seq
        for event in fresh:  # numbered after the ticket's last: appended to its history
            seq += 1
            event["seq"] = seq
        new_events += fresh
        new_comments += [c for c in comments if str(c["id"]) in fresh_ids]
        done.events += len(fresh)
        changed = {k: row[k] for k in UPDATED if differs(k, row.get(k), before.get(k))}
        if made_here:
            if changed or fresh:
                done.kept_here.append(number)
            if fresh:
                again.append(ticket_id)
            continue
        if not changed and not fresh:
            done.unchanged += 1
            continue
        if changed:
            conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(changed))
        again.append(ticket_id)
        done.updated += 1
    insert_rows(conn, TICKETS, new_tickets)
    insert_rows(conn, COMMENTS, new_comments)
    insert_rows(conn, EVENTS, new_events)
    for ticket_id in again:
        store_sla(conn, ticket_id, now)
    return done


def _numbered(record: Mapping[str, Any]) -> list[tuple[uuid.UUID, int]]:
    """The ids of the record's events (``created`` first) with the seq ``_event_rows`` gives each."""
    return [(uuid5(record["id"].bytes, CREATED_ID), 1), *((e[0], seq) for seq, e in enumerate(record["events"], 2))]


RAW_IDS = frozenset({"sla_policy_id", "module_id", "business_unit_id", "assignee_id", "group_id"})
"""The columns of ``BEFORE`` read as the database holds them (``_differs_id``)."""


def _differs_field(as_id: Callable[[Any], Any], name: str, ours: Any, stored: Any) -> bool:
    """``encode(ours) != encode(stored)``, ``stored`` as read (``RAW_IDS`` as the database holds them)."""
    return _differs_id(as_id, ours, stored) if name in RAW_IDS else _differs(ours, stored)


def _differs_id(as_id: Callable[[Any], Any], ours: Any, stored: Any) -> bool:
    """``_differs`` of an id and one as the database holds it: the same when it holds the id's own text (as
    SQLite does), else told by the id it is read as (``as_id``, the column's own conversion)."""
    if type(ours) is uuid.UUID and type(stored) is str and ours.hex == stored:
        return False
    return _differs(ours, None if stored is None else as_id(stored))


def _differs(ours: Any, stored: Any) -> bool:
    """``encode(ours) != encode(stored)``, told at once where it is plain: the same value of the same plain type (a
    moment in the same offset), or a word beside an enum member."""
    if ours is stored:
        return False
    kind = type(ours)
    if kind is type(stored) and ours == stored:
        if kind in _PLAIN or isinstance(ours, enum.Enum):
            return False
        if kind is datetime and ours.utcoffset() == stored.utcoffset():
            return False
    elif kind is str and isinstance(stored, enum.Enum):
        return bool(ours != str(stored))
    return bool(encode(ours) != encode(stored))


_PLAIN = frozenset({str, int, bool, uuid.UUID})
"""Types whose equal values are written alike (``encode``)."""


def _same(value: Any) -> Any:
    return value


def _stored(
    before: Mapping[Any, Any], row: Mapping[str, Any], record: Mapping[str, Any], count: int, now: datetime,
    context: SlaContext, as_id: Callable[[Any], Any] = _same,
) -> StoredSla | None:  # fmt: skip
    """The stored outcome of an unchanged ticket, where it is what the engine would say now (``StoredSla``): the
    stored history is the record's and none other, judged by the same policy from the same moment, its
    resolution clock stopped when it was judged, after the last of its changes and not after now."""
    state, judged = before["resolution_state"], before["sla_computed_at"]
    if (
        state not in STOPPED_CLOCK
        or judged is None
        or count != len(record["events"]) + 1
        or _differs_id(as_id, row["sla_policy_id"], before["sla_policy_id"])
        or before["created_at"] != row["created_at"]
    ):
        return None
    last = max((event[1] for event in record["events"]), default=row["created_at"])
    if max(last, row["created_at"]) > min(judged, now):
        return None
    return StoredSla(SlaState(state), partial(_judge, context, row, record, now))


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(insert(table), rows)`` (each row with the same keys). On SQLite the same statement is run
    with each value converted by its column's own type (``_converter``), without SQLAlchemy's work for each row,
    which an import of hundreds of thousands of rows would spend most of its writing time in."""
    if not rows:
        return
    names = list(rows[0])
    dialect = conn.dialect
    if dialect.name != "sqlite" or any(c.default is not None for c in table.c if c.name not in rows[0]):
        conn.execute(insert(table), rows)
        return
    convert = [(index, to) for index, name in enumerate(names) if (to := _converter(table.c[name], dialect))]
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    values = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    params = []
    for row in rows:
        found = list(values(row))
        for index, to in convert:
            found[index] = to(found[index])
        params.append(tuple(found))
    conn.exec_driver_sql(sql, params)


def _converter(column: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """How a column's type writes a value (None: as it is): its own conversion, at once for the common values
    of a few types: an enum's few members remembered, a moment in UTC written as SQLite's date and time type
    writes it (should that type write it otherwise, checked on two moments, its own conversion is used)."""
    process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    if isinstance(column.type, SqlEnum):
        return _remembered(process)
    if isinstance(column.type, UTCDateTime):
        quick = partial(_utc_moment, process)
        if all(quick(moment) == process(moment) for moment in _PROBES):
            return quick
    return process


_PROBES = (datetime(2024, 2, 29, 23, 59, 58, 7, tzinfo=UTC), datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC))


def _utc_moment(process: Callable[[Any], Any], value: Any) -> Any:
    if type(value) is datetime and value.tzinfo is UTC:
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return process(value)


def _remembered(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            found = seen[value] = process(value)
            return found
        except TypeError:  # a value that cannot be remembered
            return process(value)

    return convert


# ---- numbers ---------------------------------------------------------------------------------------------


def take_numbers(
    conn: Connection, count: int, client_id: str, reserve: Callable[[str, int], NumberBlock] | None
) -> list[str]:
    """``count`` numbers of this workspace's blocks, in order, reserving more (online) when they run out."""
    Block = NumberBlock
    numbers: list[str] = []
    while len(numbers) < count:
        row = conn.execute(
            select(Block.id, Block.next_free, Block.last)
            .where(Block.series == SERIES, Block.client_id == client_id, Block.next_free <= Block.last)
            .order_by(Block.first)
            .limit(1)
        ).first()
        if row is None:
            if reserve is None:
                raise ImportFailed(
                    _("No ticket numbers are left in this workspace for {count:,} new tickets; connect to the shared "
                      "database so that it can reserve more.").format(count=count - len(numbers))
                )  # fmt: skip
            keep_block(conn, reserve(SERIES, count - len(numbers)))
            continue
        taken = min(count - len(numbers), row.last - row.next_free + 1)
        numbers += [format_number(SERIES, n) for n in range(row.next_free, row.next_free + taken)]
        conn.execute(update(Block).where(Block.id == row.id).values(next_free=row.next_free + taken))
    return numbers


# ---- a whole import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    source: str | None = None
    mapping: Path | None = None
    time_zone: str | None = None
    unit: str | None = None
    """The business unit of tickets whose unit is unknown (or not in the file); default: the first unit."""
    module: str | None = None
    person: str | None = None
    create_missing: bool = False
    dry_run: bool = False
    on_error: OnError = OnError.STOP
    batch: int = BATCH


@dataclass
class ImportReport:
    """What an import did (or, dry, would do)."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    tickets: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    events: int = 0
    kept_here: list[str] = field(default_factory=list)
    problems: ProblemLog = field(default_factory=ProblemLog)
    created_names: Counter[str] = field(default_factory=Counter)
    defaulted: Counter[tuple[NameKind, str]] = field(default_factory=Counter)
    reconciliation: Reconciliation = field(default_factory=Reconciliation)
    dry_run: bool = False

    def lines(self) -> list[str]:
        """The report in words, for the command line and the wizard's last page."""
        head = _("Would import") if self.dry_run else _("Imported")
        out = [
            _("{head} {tickets} from {rows} in {files}: {created} new, {updated} brought up to date, {unchanged} "
              "unchanged, {skipped} rows left out; {events} events.").format(
                head=head,
                tickets=n_("{n} ticket", "{n} tickets", self.tickets).format(n=f"{self.tickets:,}"),
                rows=n_("{n} row", "{n} rows", self.rows).format(n=f"{self.rows:,}"),
                files=", ".join(self.files), created=f"{self.created:,}", updated=f"{self.updated:,}",
                unchanged=f"{self.unchanged:,}", skipped=f"{self.skipped:,}", events=f"{self.events:,}")
        ]  # fmt: skip
        if self.kept_here:
            shown = ", ".join(self.kept_here[:10]) + (" …" if len(self.kept_here) > 10 else "")
            out.append(
                _("Changed here since they were imported, so their fields were left as they are here (their new "
                  "history was added): {numbers}.").format(numbers=shown)
            )  # fmt: skip
        for kind, count in sorted(self.created_names.items()):
            out.append(CREATED[NameKind(kind)](count).format(n=f"{count:,}"))
        unknown: dict[NameKind, list[str]] = {}
        for (kind, name), _count in self.defaulted.most_common():
            unknown.setdefault(kind, []).append(name)
        for kind, found in unknown.items():
            shown = ", ".join(found[:8]) + (" …" if len(found) > 8 else "")
            out.append(
                _("Not known here, so mapped to the default (--create-missing creates them): {kind}: {names}.").format(
                    kind=_(KIND_WORDS[kind]), names=shown
                )
            )
        if self.problems.total:
            out.append(self.problems.summary())
            out += [f"  {problem}" for problem in self.problems.problems[:20]]
        return out


CREATED: dict[NameKind, Callable[[int], str]] = {
    NameKind.PERSON: lambda n: n_("Created {n} person not known before.", "Created {n} people not known before.", n),
    NameKind.GROUP: lambda n: n_("Created {n} group not known before.", "Created {n} groups not known before.", n),
    NameKind.UNIT: lambda n: n_(
        "Created {n} business unit not known before.", "Created {n} business units not known before.", n
    ),
    NameKind.MODULE: lambda n: n_("Created {n} module not known before.", "Created {n} modules not known before.", n),
}
KIND_WORDS = {NameKind.PERSON: N_("people"), NameKind.GROUP: N_("groups"), NameKind.UNIT: N_("business units"),
              NameKind.MODULE: N_("modules")}  # fmt: skip


class _DryRun(Exception):
    """Raised inside the import's transaction to undo it after a dry run."""


def _batches(items: Iterable[ImportedTicket], size: int) -> Iterator[list[ImportedTicket]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def import_files(
    engine: Engine,
    actor: Actor,
    paths: Sequence[Path],
    options: ImportOptions,
    now: datetime,
    *,
    client_id: str,
    reserve: Callable[[str, int], NumberBlock] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import the files into the cache in one transaction, each batch also kept in the outbox for sync.

    ``progress(rows, tickets)`` is called after each batch; ``cancelled()`` is asked before each. Raises
    ``ImportFailed`` for a file that cannot be imported, ``RefusedRows`` for a bad row under ``--on-error stop``,
    ``Cancelled`` when stopped, and ``Refused`` when the person may not import; nothing is kept in any of them.
    """
    require(actor, Can.IMPORT)
    files = [
        ImportFile(path, source=options.source, mapping=options.mapping, time_zone=options.time_zone) for path in paths
    ]
    report = ImportReport(files=[path.name for path in paths], dry_run=options.dry_run)
    try:
        with engine.begin() as conn, _page_cache(conn):
            unit = options.unit or conn.execute(select(BusinessUnit.code).order_by(BusinessUnit.code)).scalar()
            if unit is None:
                raise ImportFailed(_("This workspace has no business units yet; import into a prepared workspace."))
            names = Names.read(
                conn, actor, unit=unit, module=options.module, person=options.person,
                create_missing=options.create_missing,
            )  # fmt: skip
            writer = _Writer(conn, actor, options, names, report, now, client_id, reserve, progress, cancelled)
            for file in files:
                writer.file(file)
            report.defaulted = names.defaulted
            if cancelled is not None and cancelled():  # stopped during the last batch: still before the commit
                raise Cancelled(_(STOPPED))
            if options.dry_run:
                raise _DryRun
            writer.indexes.restore()
    except _DryRun:
        pass
    return report


WRITE_CACHE_KIB = 65_536
"""The import's page cache on SQLite (the default is 2 MiB): the tickets' many indexes, and the events'."""


@contextmanager
def _page_cache(conn: Connection) -> Iterator[None]:
    """A larger page cache for the import's connection, as it was again after."""
    if conn.dialect.name != "sqlite":
        yield
        return
    was = sqlite_pragma(conn, "PRAGMA cache_size")
    sqlite_pragma(conn, f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        sqlite_pragma(conn, f"PRAGMA cache_size={was}")  # the pooled connection as it was


ASIDE_FROM = BATCH
"""New tickets from which an import sets the tickets' indexes aside (``Indexes``), when the table held fewer."""


ANALYSIS_LIMIT = 2_000
"""Rows of each index the statistics are sampled from after a large import, as ``console.store.derived`` does."""


@dataclass
class Indexes:
    """The tickets table's indexes, set aside while an import writes many tickets into a table that held fewer,
    and made again before it commits: an index is made from all its rows at once many times faster than it is
    kept up to date row by row, and the tickets table has dozens. SQLite only, in the import's transaction (a
    failed, cancelled or dry import gets them back by its rollback; other connections never see them missing);
    only the ones that enforce nothing (no unique index, no constraint's), made again from their own SQL.

    The query planner's statistics of the tickets and their events are then taken again (sampled, as when the
    cache was built): they described the tables before the import, a fraction of their size now, and a plan
    made for a table of a few rows walks the whole of a large one."""

    conn: Connection
    held: int | None = None
    """The tickets the table held when the import began (None: not counted yet)."""
    written: int = 0
    """New tickets written by the import so far."""
    aside: list[str] = field(default_factory=list)
    """The SQL of the indexes set aside."""

    def writing(self, count: int) -> None:
        """``count`` new tickets are about to be written."""
        self.written += count
        if self.aside or self.conn.dialect.name != "sqlite":
            return
        if self.held is None:
            self.held = int(self.conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one())
        if self.written >= max(ASIDE_FROM, self.held):
            self._set_aside()

    def _set_aside(self) -> None:
        conn = self.conn
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY rowid"
        ).all()  # fmt: skip
        quote = conn.dialect.identifier_preparer.quote
        for name, _sql in found:
            conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        self.aside = [str(sql) for _name, sql in found]

    def restore(self) -> None:
        """The indexes made again, and the statistics taken again."""
        if not self.aside:
            return
        conn = self.conn
        for sql in self.aside:
            conn.exec_driver_sql(sql)
        self.aside = []
        limit = sqlite_pragma(conn, "PRAGMA analysis_limit")
        sqlite_pragma(conn, f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        try:
            conn.exec_driver_sql("ANALYZE tickets")
            conn.exec_driver_sql("ANALYZE audit_events")
        finally:
            sqlite_pragma(conn, f"PRAGMA analysis_limit = {limit}")

    def undone(self) -> None:
        """A savepoint was rolled back: the indexes set aside since are back."""
        if (
            self.aside
            and self.conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND sql = ?", (self.aside[0],)
            ).first()
        ):
            self.aside = []


@dataclass
class _Writer:
    """One import's files, written batch by batch into its transaction."""

    conn: Connection
    actor: Actor
    options: ImportOptions
    names: Names
    report: ImportReport
    now: datetime
    client_id: str
    reserve: Callable[[str, int], NumberBlock] | None
    progress: Callable[[int, int], None] | None
    cancelled: Callable[[], bool] | None
    rules: Rules | None = None
    indexes: Indexes = field(init=False)

    def __post_init__(self) -> None:
        self.indexes = Indexes(self.conn)

    def file(self, file: ImportFile) -> None:
        """Read and write one file.

        A file of one row per update is read in one pass, trusting each ticket's rows to be together, as they
        nearly always are. When they prove not to be (``Scattered``), or the import fails while they might not
        be, everything since the file began is undone (a savepoint, and the report and names as they were) and
        the file is read again the usual way, which looks through it first and gathers each ticket's rows: the
        same outcome, or the same failure, as reading it that way at once."""
        if file.mapping.rows is not RowShape.UPDATES:
            self._write(file.read(tally=False))
            return
        report, names, written = copy.deepcopy(self.report), self.names.saved(), self.indexes.written
        savepoint = self.conn.begin_nested()
        try:
            self._write(file.read(one_pass=True, tally=False))
        except Cancelled:
            raise
        except Exception as error:
            if not isinstance(error, Scattered) and together(file.csv.column(file.binding.fields[Field.KEY][0])):
                raise  # read the usual way, the rows would have come as they did
            savepoint.rollback()
            self.report.__dict__.update(report.__dict__)
            self.names.restore(names)
            self.rules = None
            self.indexes.written = written
            self.indexes.undone()
            self._write(file.read(tally=False))
        else:
            savepoint.commit()

    def _write(self, reading: Reading) -> None:
        conn, options, names, report, cancelled = self.conn, self.options, self.names, self.report, self.cancelled
        rows_before, problems = report.rows, reading.problems
        for batch in _batches(reading, options.batch):
            if cancelled is not None and cancelled():
                raise Cancelled(_(STOPPED))
            if options.on_error is OnError.STOP and problems.refuses:
                raise RefusedRows(_refusal(problems), problems)
            records = []
            ids: list[uuid.UUID] = []
            for ticket in batch:
                try:
                    record = ticket_record(ticket, names)
                except Refused as why:
                    problems.add(Problem(ticket.row, ProblemKind.TOO_LONG, Outcome.SKIPPED, str(why), key=ticket.key))
                    ids.append(imported_id(ticket.source_system, ticket.key))
                    continue
                records.append(record)
                ids.append(record["id"])
            if options.on_error is OnError.STOP and problems.refuses:
                raise RefusedRows(_refusal(problems), problems)
            fresh = {r["id"] for r in records} - set(
                conn.execute(select(Ticket.id).where(Ticket.id.in_([r["id"] for r in records]))).scalars()
            )
            numbers = iter(take_numbers(conn, len(fresh), self.client_id, self.reserve) if fresh else [])
            if fresh:
                self.indexes.writing(len(fresh))
            for record in records:
                record["number"] = next(numbers) if record["id"] in fresh else None
            for created in names.created:
                report.created_names[created["kind"]] += 1
            intent = ImportTickets(batch[0].source_system, tuple(records), names.take_created())
            applied, self.rules = _apply_import(conn, self.actor, intent, self.now, self.rules)
            if applied.created or applied.updated or applied.events or intent.names:  # else nothing to tell the team
                outbox.record(conn, self.actor.login, intent, self.now)
            report.created += applied.created
            report.updated += applied.updated
            report.unchanged += applied.unchanged
            report.kept_here += applied.kept_here
            report.events += applied.events
            for ticket, ticket_id in zip(batch, ids, strict=True):
                result = applied.results.get(ticket_id)
                if isinstance(result, StoredSla):
                    _count_stored(report.reconciliation, ticket, result)
                elif result is not None:
                    report.reconciliation.add(ticket, result)
            report.tickets += len(records)
            report.rows = rows_before + reading.rows
            if self.progress is not None:
                self.progress(report.rows, report.tickets)
        if options.on_error is OnError.STOP and problems.refuses:
            raise RefusedRows(_refusal(problems), problems)
        report.rows = rows_before + reading.rows
        report.skipped += len(problems.bad_rows) - problems.counts[ProblemKind.FORMULA]
        for problem in problems.problems:
            if len(report.problems.problems) < report.problems.limit:
                report.problems.problems.append(problem)
        report.problems.counts.update(problems.counts)
        report.problems.bad_rows |= problems.bad_rows


def _count_stored(found: Reconciliation, ticket: ImportedTicket, stored: StoredSla) -> None:
    """``Reconciliation.add`` for an outcome as stored: the same count; the engine asked only to explain it."""
    status = ticket.source_status or ticket.status.value

    def why() -> tuple[Reason, str]:
        result = stored.judge()
        if isinstance(result, UnjudgedSla):  # the rules changed under the stored outcome since it was judged
            return Reason.TARGET, str(result)
        return explain(ticket.created_at, status, result)

    found.count(ticket.key, ticket.priority, ticket.source_sla_met, stored.state, why)


def _refusal(problems: ProblemLog) -> str:
    return _("Nothing was imported: {summary}. Fix the rows, or import with --on-error skip to leave them out.").format(
        summary=problems.summary()
    )
