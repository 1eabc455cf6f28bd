"""One pushed intent merged into the shared database: applied, kept as a conflict, or rejected; once.

The shared database's half of the push (the client's loop over its outbox is ``console.sync.push``).

The shared database runs the very services the cache ran (``tickets.apply``, ``changes.apply_change``,
``releases.apply_release``) with the same validation, as the person who made the edit. Before applying,
the intent's base values are compared with what the shared database holds now:

- comments, notes, attachments, links and new tickets or changes are appended: they never conflict;
- a status (or a change's stage) that moved meanwhile goes through the state machine from where it
  is now: applied when that move is allowed, rejected with the reason when not;
- a priority raised above the current one wins (escalation); one lowered meets a conflict;
- any other field (assignee, texts, the planned window…) whose value changed meanwhile is not
  overwritten: a ``sync_conflicts`` row keeps base, mine and theirs for a person to resolve.

The outcome is recorded in ``client_mutations`` in the same transaction, keyed by the mutation id,
so a retry after a crash or a cut connection answers from there and applies nothing twice.

The audit events an intent writes are numbered here again (``seq``, ``audit.next_seq``), after the
entity's events on the shared database, under a lock of the entity; the numbers the cache gave them
offline are replaced by these when it pulls the events back (the same rows: their ids come from the
mutation id).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError, ProgrammingError

from console.access import Actor, Refused
from console.changes import facts as change_facts
from console.changes import service as changes
from console.changes import settings as change_settings
from console.journal.intents import (
    AnyIntent,
    ArticleIntent,
    ChangeIntent,
    EditArticle,
    EditChange,
    EditProblem,
    ImportTickets,
    LinkIncidents,
    MoveStage,
    NewProblem,
    ProblemIntent,
    ReleaseIntent,
    SetField,
    SetStatus,
    SettingIntent,
    TicketIntent,
)
from console.journal.values import as_text, encode
from console.knowledge import service as knowledge
from console.knowledge.rules import EDITABLE_IN
from console.problems import service as problems
from console.releases import service as releases
from console.tickets import routing
from console.tickets import service as tickets
from models import (
    ChangeRequest,
    ChangeStage,
    ClientMutation,
    Priority,
    ProblemStatus,
    Release,
    SyncConflict,
    Ticket,
    metadata,
    new_id,
    table_of,
)

APPLIED, CONFLICT, REJECTED = "applied", "conflict", "rejected"


@dataclass(frozen=True)
class Outcome:
    mutation_id: uuid.UUID
    outcome: str  # applied, conflict, rejected
    reason: str | None = None
    entity: tuple[str, uuid.UUID] | None = None  # what to read back when the cache's optimistic edit did not stand
    repeated: bool = False  # answered from client_mutations: applied before


def answered(shared: Connection, mutation_id: uuid.UUID) -> Outcome | None:
    row = shared.execute(
        select(ClientMutation.outcome, ClientMutation.reason).where(ClientMutation.mutation_id == mutation_id)
    ).first()
    return Outcome(mutation_id, row.outcome, row.reason, repeated=True) if row else None


def apply_remote(shared: Connection, actor: Actor, client_id: str, intent: AnyIntent, at: datetime) -> Outcome:
    """Apply one intent on the shared database (in the caller's transaction) and record its outcome."""
    before = answered(shared, intent.mutation_id)
    if before is not None:  # answered before: whatever it was, the cache reads the entity back
        return dataclasses.replace(before, entity=_entity(intent, actor))
    now = min(at, datetime.now(UTC))
    entity = _entity(intent, actor)
    savepoint = shared.begin_nested()  # a refusal, by the rules or by the database, undoes only this intent
    try:
        if isinstance(intent, ChangeIntent):
            outcome = _change(shared, actor, intent, now)
        elif isinstance(intent, SettingIntent):
            change_settings.apply_setting(shared, actor, intent, now)
            outcome = Outcome(intent.mutation_id, APPLIED)
        elif isinstance(intent, ReleaseIntent):  # a move made meanwhile is refused: the base differs
            releases.apply_release(shared, actor, intent, now)
            outcome = Outcome(intent.mutation_id, APPLIED)
        elif isinstance(intent, ProblemIntent):  # a field edited on two desks: a conflict; a status: by the rules
            outcome = _problem(shared, actor, intent, now)
        elif isinstance(intent, ArticleIntent):  # a text edited on two desks: a conflict to resolve
            outcome = _article(shared, actor, intent, now)
        elif isinstance(intent, ImportTickets):  # history: written as it was, merged by the source's numbers
            from console.imports.write import apply_import  # the import's code, loaded only for an import

            apply_import(shared, actor, intent, now)
            outcome = Outcome(intent.mutation_id, APPLIED)
        else:
            outcome = _ticket(shared, actor, intent, now)
        savepoint.commit()
    except Refused as refused:
        savepoint.rollback()
        outcome = Outcome(intent.mutation_id, REJECTED, f"{_what(shared, intent, entity)}: {refused}")
    except (IntegrityError, ProgrammingError) as refused_by_database:  # row-level security: not your unit
        savepoint.rollback()
        reason = str(refused_by_database.orig).strip().splitlines()[0]
        outcome = Outcome(
            intent.mutation_id, REJECTED, f"{_what(shared, intent, entity)}: the shared database refused it: {reason}"
        )
    if outcome.outcome != APPLIED:  # the cache's optimistic edit did not stand: it reads the entity back
        outcome = dataclasses.replace(outcome, entity=entity)
    shared.execute(
        insert(table_of(ClientMutation)),
        [{"mutation_id": intent.mutation_id, "client_id": client_id, "user_id": actor.id, "outcome": outcome.outcome,
          "reason": outcome.reason, "applied_at": datetime.now(UTC)}],
    )  # fmt: skip
    return outcome


WHAT = {
    "SetStatus": "status", "AddComment": "note", "AddAttachment": "attachment", "LinkArticle": "article link",
    "CreateTicket": "new ticket", "ResolveConflict": "conflict resolution", "NewChange": "new change",
    "AssessRisk": "risk assessment", "MoveStage": "stage", "Decide": "approval decision",
    "ResolveChangeConflict": "conflict resolution", "Away": "time away", "Back": "back early",
    "SetFreezes": "freeze lengths", "PlanRelease": "release plan", "MoveRelease": "release move",
    "CancelRelease": "release cancellation", "ImportTickets": "import", "NewProblem": "new problem",
    "EditProblem": "problem", "MoveProblem": "problem status", "LinkIncidents": "incident links",
    "ResolveProblemConflict": "conflict resolution",
    "NewArticle": "new article", "EditArticle": "article", "MoveArticle": "article status",
    "RateArticle": "article feedback", "ResolveArticleConflict": "conflict resolution",
}  # fmt: skip


def _what(shared: Connection, intent: AnyIntent, entity: tuple[str, uuid.UUID]) -> str:
    """Which edit of what, for a person reading why it was refused: "INC-0000464, assignee"."""
    field = getattr(intent, "field", None)
    what = field.removesuffix("_id").replace("_", " ") if field else WHAT.get(type(intent).__name__, "edit")
    table, entity_id = entity
    if table == "releases":
        name = shared.execute(select(Release.name).where(Release.id == entity_id)).scalar()
        what = f"{name or getattr(intent, 'name', 'a release')}, {what}"
    elif table in ("tickets", "change_requests", "problems", "knowledge_articles"):
        numbers = metadata.tables[table]
        number = shared.execute(select(numbers.c.number).where(numbers.c.id == entity_id)).scalar()
        what = f"{number or getattr(intent, 'number', 'a new one')}, {what}"
    return what


def _entity(intent: AnyIntent, actor: Actor) -> tuple[str, uuid.UUID]:
    """What the cache reads back when the intent did not stand: a ticket, a change, a release, a person's settings."""
    if isinstance(intent, ChangeIntent):
        return "change_requests", intent.change_id
    if isinstance(intent, ReleaseIntent):
        return "releases", intent.release_id
    if isinstance(intent, SettingIntent):
        return "users", actor.id
    if isinstance(intent, ImportTickets):  # the first of its tickets (``entities`` names them all)
        return "tickets", intent.tickets[0]["id"]
    if isinstance(intent, ProblemIntent):
        return "problems", intent.problem_id
    if isinstance(intent, ArticleIntent):
        return "knowledge_articles", intent.article_id
    return "tickets", intent.ticket_id


def entities(intent: AnyIntent, entity: tuple[str, uuid.UUID]) -> list[tuple[str, uuid.UUID]]:
    """Everything the cache reads back when the intent did not stand: an import's every ticket."""
    if isinstance(intent, ImportTickets):
        return [("tickets", record["id"]) for record in intent.tickets]
    if isinstance(intent, NewProblem | LinkIncidents):  # and the incidents it linked
        return [entity, *(("tickets", ticket_id) for ticket_id in sorted(intent.incidents, key=str))]
    return [entity]


def _conflict(
    shared: Connection,
    actor: Actor,
    intent: SetField | SetStatus | EditChange | EditArticle | EditProblem,
    table: str,
    row: dict[str, Any],
    field: str,
    mine: Any,
    now: datetime,
) -> Outcome:
    theirs = (row["planned_start"], row["planned_end"]) if field == "window" else row[field]
    shared.execute(
        insert(table_of(SyncConflict)),
        [
            {
                "id": new_id(),
                "entity_table": table,
                "entity_id": row["id"],
                "business_unit_id": row.get("business_unit_id"),
                "number": row["number"],
                "field": field,
                "base_value": as_text(intent.base),
                "mine_value": as_text(mine),
                "theirs_value": as_text(theirs),
                "user_id": actor.id,
                "mutation_id": intent.mutation_id,
                "created_at": now,
                "resolved_at": None,
                "resolved_by_id": None,
                "resolution": None,
            }
        ],
    )
    what = field.removesuffix("_id").replace("_", " ")
    return Outcome(
        intent.mutation_id,
        CONFLICT,
        f"{row['number']}: its {what} was changed by someone else meanwhile ({as_text(theirs) or 'empty'}); "
        f"yours ({as_text(mine) or 'empty'}) is kept in a conflict to resolve.",
    )


def _ticket(shared: Connection, actor: Actor, intent: TicketIntent, now: datetime) -> Outcome:
    done = Outcome(intent.mutation_id, APPLIED)
    if isinstance(intent, SetField | SetStatus):
        found = shared.execute(select(table_of(Ticket)).where(Ticket.id == intent.ticket_id)).first()
        if found is None:
            raise Refused("This ticket no longer exists on the shared database (deleted).")
        row = dict(found._mapping)
        field = intent.field if isinstance(intent, SetField) else "status"
        wanted = intent.value if isinstance(intent, SetField) else intent.status
        current = row[field]
        if encode(current) != encode(intent.base):
            if encode(current) == encode(wanted):  # someone else made the same change: nothing to do
                return dataclasses.replace(done, entity=_entity(intent, actor))
            if isinstance(intent, SetStatus):
                intent = dataclasses.replace(intent, base=current)  # through the state machine from here
            elif field == "priority" and Priority(wanted).rank < Priority(current).rank:
                intent = dataclasses.replace(intent, base=current)  # escalation wins
            else:
                return _conflict(shared, actor, intent, "tickets", row, field, wanted, now)
    tickets.apply(shared, actor, intent, now)
    if isinstance(intent, SetField) and intent.field in routing.FOLLOWS:
        # The routing rules here may have given another group than the desk's did: it reads the ticket back.
        return dataclasses.replace(done, entity=_entity(intent, actor))
    return done


def _change(shared: Connection, actor: Actor, intent: ChangeIntent, now: datetime) -> Outcome:
    done = Outcome(intent.mutation_id, APPLIED)
    if isinstance(intent, EditChange | MoveStage):
        found = shared.execute(select(change_facts.CHANGES).where(ChangeRequest.id == intent.change_id)).first()
        if found is None:
            raise Refused("This change request no longer exists on the shared database.")
        row = dict(found._mapping)
        if isinstance(intent, MoveStage):
            if row["stage"] != intent.base:
                if row["stage"] == intent.to:
                    return dataclasses.replace(done, entity=_entity(intent, actor))
                intent = dataclasses.replace(intent, base=ChangeStage(row["stage"]))
        elif intent.field in ("modules", "units"):
            modules, units = change_facts.scope(shared, intent.change_id)
            linked = modules if intent.field == "modules" else units
            if as_text(linked) != as_text(frozenset(intent.base)):
                return _conflict(shared, actor, intent, "change_requests", row | {intent.field: linked},
                                 intent.field, intent.value, now)  # fmt: skip
        else:
            current = (row["planned_start"], row["planned_end"]) if intent.field == "window" else row.get(intent.field)
            if as_text(current) != as_text(intent.base):
                if as_text(current) == as_text(intent.value):
                    return dataclasses.replace(done, entity=_entity(intent, actor))
                return _conflict(shared, actor, intent, "change_requests", row, intent.field, intent.value, now)
    changes.apply_change(shared, actor, intent, now)
    return done


def _meanwhile(
    shared: Connection,
    actor: Actor,
    intent: EditArticle | EditProblem,
    table: str,
    entity_id: uuid.UUID,
    may: Callable[[Actor], None],
    editable: Callable[[dict[str, Any]], bool],
    now: datetime,
) -> Outcome | None:
    """An edit of one field of an article or a problem that holds neither what its author saw nor what they wanted
    (two desks edited it meanwhile): a conflict kept for a person to resolve, if the author may make the edit and
    the entity is still edited; None: the rules decide (and refuse, saying why, what they do not allow)."""
    found = shared.execute(select(metadata.tables[table]).where(metadata.tables[table].c.id == entity_id)).first()
    if found is None:
        return None
    row = dict(found._mapping)
    current = row.get(intent.field)
    if encode(current) == encode(intent.base):
        return None
    if encode(current) == encode(intent.value):  # someone else made the same edit: nothing to do
        return Outcome(intent.mutation_id, APPLIED, entity=_entity(intent, actor))
    may(actor)
    if not editable(row):
        return None
    return _conflict(shared, actor, intent, table, row, intent.field, intent.value, now)


def _article(shared: Connection, actor: Actor, intent: ArticleIntent, now: datetime) -> Outcome:
    if isinstance(intent, EditArticle):
        kept = _meanwhile(shared, actor, intent, "knowledge_articles", intent.article_id, knowledge.may_write,
                          lambda row: row["status"] in EDITABLE_IN, now)  # fmt: skip
        if kept is not None:
            return kept
    knowledge.apply_article(shared, actor, intent, now)
    return Outcome(intent.mutation_id, APPLIED)


def _problem(shared: Connection, actor: Actor, intent: ProblemIntent, now: datetime) -> Outcome:
    if isinstance(intent, EditProblem):
        kept = _meanwhile(shared, actor, intent, "problems", intent.problem_id, problems.may_work,
                          lambda row: row["status"] != ProblemStatus.CLOSED, now)  # fmt: skip
        if kept is not None:
            return kept
    problems.apply_problem(shared, actor, intent, now)
    return Outcome(intent.mutation_id, APPLIED)
