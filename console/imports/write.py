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
"""

from __future__ import annotations

import enum
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from console.access import Actor, Can, Refused, require
from console.i18n import N_, _, n_
from console.imports.importer import ImportFile, Reading
from console.imports.missing import NameKind, name_key
from console.imports.problems import ImportFailed, Outcome, Problem, ProblemKind, ProblemLog
from console.imports.reconcile import Reconciliation
from console.imports.records import EventKind, ImportedEvent, ImportedTicket
from console.journal import outbox
from console.journal.audit import ids_of
from console.journal.intents import ImportTickets
from console.journal.values import encode, snapshot
from console.sla.engine import Change, SlaResult
from console.sla.recompute import STORED_COLUMNS, stored_values
from console.sla.store import SlaContext, TicketFacts, UnjudgedSla
from console.store.numbering import format_number, keep_block
from console.text import clean_text
from console.tickets.history import rebuild
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
    SupportGroup,
    Ticket,
    TicketKind,
    Urgency,
    User,
    Visibility,
    table_of,
)
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


def imported_id(source_system: str, key: str) -> uuid.UUID:
    """An imported ticket's id: the same on every desk, for every import of the same ticket."""
    return uuid.uuid5(NAMESPACE, f"ticket\n{source_system}\n{key}")


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
        return {
            NameKind.PERSON: self.people,
            NameKind.GROUP: self.groups,
            NameKind.UNIT: self.units,
            NameKind.MODULE: self.modules,
        }[kind]

    def find(self, kind: NameKind, name: str | None) -> uuid.UUID | None:
        """The id a name stands for: known, created now (``create_missing``), or None when it is unknown."""
        if not name or not name.strip():
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


def ticket_record(ticket: ImportedTicket, names: Names) -> dict[str, Any]:
    """The ticket as the intent carries it: our ids for its names, its first values, its events with their ids.

    Raises ``Refused`` for a ticket that cannot be stored as it is (a description or a note over our limit)."""
    ticket_id = imported_id(ticket.source_system, ticket.key)
    title = clean_text(ticket.title, "title", 10**9, required=False) or ticket.key
    description = clean_text(ticket.description, "description", DESCRIPTION_MAX, required=False)
    if len(title) > TITLE_MAX:
        title, description = title[: TITLE_MAX - 1] + "…", f"{title}\n\n{description}".strip()
        if len(description) > DESCRIPTION_MAX:
            raise Refused(_("The title and description are together over {limit:,} characters.").format(
                limit=DESCRIPTION_MAX))  # fmt: skip
    impact, urgency = impact_and_urgency(ticket)
    seen: Counter[str] = Counter()
    events = []
    for event in ticket.events:
        old, new, said = event.old, event.new, event.source_value
        if event.kind in NAMED:  # the name as the source gives it is kept beside our id for it
            old, new = (encode(names.find(NAMED[event.kind], v)) for v in (old, new))
            said = said or event.new
        elif event.kind in VISIBILITY_OF:
            new = clean_text(new or "", "note", NOTE_MAX, required=False)
            if not new:
                continue
        actor = (event.actor or None) and event.actor[:120]
        events.append((_event_id(ticket_id, event, seen), event.at, event.kind.value, old, new, actor,
                       (said or None) and said[:120]))  # fmt: skip
    return {
        "id": ticket_id,
        "key": ticket.key,
        "title": title,
        "description": description,
        "impact": impact,
        "urgency": urgency,
        "priority": Priority(ticket.first(EventKind.PRIORITY) or ticket.priority),
        "status": ticket.first(EventKind.STATUS) or ticket.status.value,
        "module_id": names.module(ticket.module),
        "business_unit_id": names.unit(ticket.unit),
        "category": (ticket.category or None) and ticket.category[:80],
        "reporter_id": names.person(ticket.reporter),
        "assignee_id": names.find(NameKind.PERSON, ticket.first(EventKind.ASSIGNEE)),
        "group_id": names.find(NameKind.GROUP, ticket.first(EventKind.GROUP)),
        "created_at": ticket.created_at,
        "source_sla_met": ticket.source_sla_met,
        "events": tuple(events),
        "row": ticket.row,
    }


# ---- applying a batch (the cache and the shared database alike) ------------------------------------------


@dataclass
class Applied:
    """What one batch did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_here: list[str] = field(default_factory=list)
    """Numbers of tickets changed here since they were imported: new history appended, fields left as here."""
    events: int = 0
    results: dict[uuid.UUID, SlaResult | UnjudgedSla] = field(default_factory=dict)

    def add(self, other: Applied) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.kept_here += other.kept_here
        self.events += other.events


def _event_rows(
    record: Mapping[str, Any], actor: Actor, source: str, first: dict[str, Any], seq: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit events and comments of a record (``created`` first), numbered from ``seq``."""
    ticket_id, unit = record["id"], record["business_unit_id"]
    events = [{"id": uuid.uuid5(ticket_id, "created"), "occurred_at": record["created_at"], "seq": seq,
               "action": AuditAction.CREATED, "field": None, "old_value": None, "new_value": snapshot(first),
               "source_actor": None, "source_value": None}]  # fmt: skip
    comments = []
    for event_id, at, kind, old, new, actor_name, source_value in record["events"]:
        seq += 1
        visibility = VISIBILITY_OF.get(EventKind(kind))
        if visibility is None:
            events.append({"id": event_id, "occurred_at": at, "seq": seq, "action": AuditAction.FIELD_CHANGED,
                           "field": FIELD_OF[EventKind(kind)], "old_value": old, "new_value": new,
                           "source_actor": actor_name, "source_value": source_value})  # fmt: skip
            continue
        comment_id = uuid.uuid5(event_id, "comment")
        comments.append({"id": comment_id, "ticket_id": ticket_id, "author_id": actor.id, "visibility": visibility,
                         "body": new, "created_at": at, "source_author": actor_name})  # fmt: skip
        events.append({"id": event_id, "occurred_at": at, "seq": seq, "action": AuditAction.COMMENTED,
                       "field": visibility.value, "old_value": None, "new_value": str(comment_id),
                       "source_actor": actor_name, "source_value": None})  # fmt: skip
    common = {"actor_id": actor.id, "entity_type": EntityType.TICKET, "entity_id": ticket_id,
              "business_unit_id": unit, "reason": None, "source": source}  # fmt: skip
    return [common | row for row in events], comments


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


def _judged(
    context: SlaContext, row: Mapping[str, Any], events: list[dict[str, Any]], now: datetime
) -> SlaResult | UnjudgedSla:
    changes = [
        ev for ev in events if ev["action"] is AuditAction.FIELD_CHANGED and ev["field"] in ("status", "priority")
    ]
    facts = TicketFacts(row["id"], row["business_unit_id"], row["sla_policy_id"], row["created_at"],
                        str(row["priority"]), str(row["status"]), row["module_id"], row["number"])  # fmt: skip
    try:
        return context.evaluate(
            facts,
            [Change(e["occurred_at"], e["field"], e["new_value"] or "", e["old_value"], seq=e["seq"]) for e in changes],
            now,
        )
    except UnjudgedSla as why:
        return why


def apply_import(conn: Connection, actor: Actor, intent: ImportTickets, now: datetime) -> Applied:
    """Store a batch in the caller's transaction: each ticket created, brought up to date, or found unchanged.

    Raises ``Refused`` (and writes nothing) unless the person may import."""
    require(actor, Can.IMPORT)
    with ids_of(intent.mutation_id):
        _create_names(conn, intent.names, now)
        return _apply(conn, actor, intent, now)


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


def _apply(conn: Connection, actor: Actor, intent: ImportTickets, now: datetime) -> Applied:
    source = intent.source_system
    ids = [record["id"] for record in intent.tickets]
    existing = {row.id: dict(row._mapping) for row in conn.execute(select(TICKETS).where(Ticket.id.in_(ids)))}
    known_events: dict[uuid.UUID, set[uuid.UUID]] = {}
    local: set[uuid.UUID] = set()
    top_seq: dict[uuid.UUID, int] = {}
    if existing:
        for entity_id, event_id, seq, event_source in conn.execute(
            select(AuditEvent.entity_id, AuditEvent.id, AuditEvent.seq, AuditEvent.source).where(
                AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id.in_(list(existing))
            )
        ):
            known_events.setdefault(entity_id, set()).add(event_id)
            top_seq[entity_id] = max(top_seq.get(entity_id, 0), seq)
            if event_source is None:
                local.add(entity_id)
    policies: dict[uuid.UUID, uuid.UUID | None] = dict(
        conn.execute(select(BusinessUnit.id, BusinessUnit.sla_policy_id)).all()
    )
    context = SlaContext.load(conn)
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
        events, comments = _event_rows(record, actor, source, first, 1)
        if number is None:
            raise Refused(_("{key} is new here but came with no number.").format(key=record["key"]))
        row = BLANK | rebuild(events) | {"id": ticket_id, "sla_policy_id": first["sla_policy_id"],
                                         "source_sla_met": record["source_sla_met"]}  # fmt: skip
        done.results[ticket_id] = _judged(context, row, events, now)
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
        seq = top_seq.get(ticket_id, 0)
        for event in fresh:  # numbered after the ticket's last: appended to its history
            seq += 1
            event["seq"] = seq
        new_events += fresh
        new_comments += [c for c in comments if str(c["id"]) in fresh_ids]
        done.events += len(fresh)
        changed = {k: row[k] for k in UPDATED if encode(row.get(k)) != encode(before.get(k))}
        if ticket_id in local:
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
    if new_tickets:
        conn.execute(insert(TICKETS), new_tickets)
    if new_comments:
        conn.execute(insert(COMMENTS), new_comments)
    if new_events:
        conn.execute(insert(EVENTS), new_events)
    for ticket_id in again:
        store_sla(conn, ticket_id, now)
    return done


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
        with engine.begin() as conn:
            unit = options.unit or conn.execute(select(BusinessUnit.code).order_by(BusinessUnit.code)).scalar()
            if unit is None:
                raise ImportFailed(_("This workspace has no business units yet; import into a prepared workspace."))
            names = Names.read(
                conn, actor, unit=unit, module=options.module, person=options.person,
                create_missing=options.create_missing,
            )  # fmt: skip
            for file in files:
                _import_file(conn, actor, file, options, names, report, now, client_id, reserve, progress, cancelled)
            report.defaulted = names.defaulted
            if cancelled is not None and cancelled():  # stopped during the last batch: still before the commit
                raise Cancelled(_(STOPPED))
            if options.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _import_file(
    conn: Connection,
    actor: Actor,
    file: ImportFile,
    options: ImportOptions,
    names: Names,
    report: ImportReport,
    now: datetime,
    client_id: str,
    reserve: Callable[[str, int], NumberBlock] | None,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    reading: Reading = file.read()
    rows_before, problems = report.rows, reading.problems
    for batch in _batches(reading, options.batch):
        if cancelled is not None and cancelled():
            raise Cancelled(_(STOPPED))
        if options.on_error is OnError.STOP and problems.refuses:
            raise RefusedRows(_refusal(problems), problems)
        records = []
        for ticket in batch:
            try:
                records.append(ticket_record(ticket, names))
            except Refused as why:
                problems.add(Problem(ticket.row, ProblemKind.TOO_LONG, Outcome.SKIPPED, str(why), key=ticket.key))
        if options.on_error is OnError.STOP and problems.refuses:
            raise RefusedRows(_refusal(problems), problems)
        fresh = {r["id"] for r in records} - set(
            conn.execute(select(Ticket.id).where(Ticket.id.in_([r["id"] for r in records]))).scalars()
        )
        numbers = iter(take_numbers(conn, len(fresh), client_id, reserve) if fresh else [])
        records = [r | {"number": next(numbers) if r["id"] in fresh else None} for r in records]
        for created in names.created:
            report.created_names[created["kind"]] += 1
        intent = ImportTickets(batch[0].source_system, tuple(records), names.take_created())
        applied = apply_import(conn, actor, intent, now)
        if applied.created or applied.updated or applied.events or intent.names:  # else nothing to tell the team
            outbox.record(conn, actor.login, intent, now)
        report.created += applied.created
        report.updated += applied.updated
        report.unchanged += applied.unchanged
        report.kept_here += applied.kept_here
        report.events += applied.events
        for ticket in batch:
            result = applied.results.get(imported_id(ticket.source_system, ticket.key))
            if result is not None:
                report.reconciliation.add(ticket, result)
        report.tickets += len(records)
        report.rows = rows_before + reading.rows
        if progress is not None:
            progress(report.rows, report.tickets)
    if options.on_error is OnError.STOP and problems.refuses:
        raise RefusedRows(_refusal(problems), problems)
    report.rows = rows_before + reading.rows
    report.skipped += len(problems.bad_rows) - problems.counts[ProblemKind.FORMULA]
    for problem in problems.problems:
        if len(report.problems.problems) < report.problems.limit:
            report.problems.problems.append(problem)
    report.problems.counts.update(problems.counts)
    report.problems.bad_rows |= problems.bad_rows


def _refusal(problems: ProblemLog) -> str:
    return _("Nothing was imported: {summary}. Fix the rows, or import with --on-error skip to leave them out.").format(
        summary=problems.summary()
    )
