"""Recompute and store every ticket's SLA from its history: after a policy, calendar or
holiday change, after a demo is built, or for evidence. Also the what-if of a proposed policy,
and the few tickets a release that is planned, moved or cancelled re-dates.

Reads with one connection (a consistent snapshot) and writes in batches with another, so
a million tickets stream through in constant memory.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, select, update

from console.sla.engine import Change, ClockResult, Policy, SlaResult
from console.sla.store import SlaContext, TicketFacts, UnjudgedSla, changes_by_ticket, ticket_facts
from models import Ticket, table_of

Progress = Callable[[str, int, int], None]
BATCH = 5000
CHUNK = 500  # tickets per IN (...) list


@dataclass
class RecomputeSummary:
    tickets: int = 0
    response: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)
    unjudged: list[str] = field(default_factory=list)
    """Why each ticket whose SLA could not be judged was left as it was stored."""


def histories(conn: Connection) -> Iterator[tuple[TicketFacts, list[Change]]]:
    """Every ticket with its status and priority changes: two id-ordered streams merged."""
    changes = changes_by_ticket(conn)
    pending: tuple[uuid.UUID, list[Change]] | None = next(changes, None)
    for facts in ticket_facts(conn):
        while pending is not None and pending[0] < facts.id:
            pending = next(changes, None)
        if pending is not None and pending[0] == facts.id:
            yield facts, pending[1]
        else:
            yield facts, []


def _seconds(clock: ClockResult) -> int:
    return int(clock.used.total_seconds())


def stored_values(result: SlaResult, now: datetime) -> dict[str, object]:
    return {
        "response_due_at": result.response.due_at,
        "resolution_due_at": result.resolution.due_at,
        "response_state": result.response.state,
        "resolution_state": result.resolution.state,
        "response_seconds": _seconds(result.response),
        "resolution_seconds": _seconds(result.resolution),
        "response_breached_at": result.response.breached_at,
        "resolution_breached_at": result.resolution.breached_at,
        "sla_computed_at": now,
    }


STORED_COLUMNS = (
    "response_due_at",
    "resolution_due_at",
    "response_state",
    "resolution_state",
    "response_seconds",
    "resolution_seconds",
    "response_breached_at",
    "resolution_breached_at",
    "sla_computed_at",
)
UPDATE = update(Ticket).where(Ticket.id == bindparam("ticket_id")).values({c: bindparam(c) for c in STORED_COLUMNS})


def recompute(engine: Engine, now: datetime, progress: Progress | None = None) -> RecomputeSummary:
    """Store the SLA of every ticket as of ``now``; returns how many are in each state."""
    summary = RecomputeSummary()
    batch: list[dict[str, object]] = []
    with engine.connect() as reader, engine.connect() as writer:
        total = int(reader.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one())
        context = SlaContext.load(reader)

        def flush() -> None:
            if batch:
                writer.execute(UPDATE, batch)
                writer.commit()
                batch.clear()
            if progress:
                progress("computing SLAs", summary.tickets, total)

        for facts, changes in histories(reader):
            try:
                result = context.evaluate(facts, changes, now)
            except UnjudgedSla as why:
                summary.unjudged.append(str(why))
                continue
            summary.tickets += 1
            summary.response[result.response.state] += 1
            summary.resolution[result.resolution.state] += 1
            batch.append({"ticket_id": facts.id, **stored_values(result, now)})
            if len(batch) >= BATCH:
                flush()
        flush()
    return summary


def recompute_release_tickets(
    conn: Connection, module_id: uuid.UUID, logged_from: datetime | None, logged_before: datetime, now: datetime
) -> int:
    """Store again the SLA of the module's tickets due with a release that were logged in
    [``logged_from``, ``logged_before``) (from the first when None), in the caller's transaction:
    after a release of the module is planned, moved or cancelled, only these can be due with
    another one. Writes only the tickets whose outcome changed; returns how many."""
    context = SlaContext.load(conn)
    priorities = sorted(context.untimed)
    if not priorities:
        return 0
    where = [Ticket.module_id == module_id, Ticket.priority.in_(priorities), Ticket.created_at < logged_before]
    if logged_from is not None:
        where.append(Ticket.created_at >= logged_from)
    facts = list(ticket_facts(conn, None, *where))
    compared = [c for c in STORED_COLUMNS if c != "sla_computed_at"]
    changed = 0
    for start in range(0, len(facts), CHUNK):
        part = facts[start : start + CHUNK]
        ids = [f.id for f in part]
        histories = dict(changes_by_ticket(conn, ids))
        stored = {
            row.id: row._mapping
            for row in conn.execute(
                select(Ticket.id, *(table_of(Ticket).c[c] for c in compared)).where(Ticket.id.in_(ids))
            )
        }
        batch = []
        for ticket in part:
            try:
                values = stored_values(context.evaluate(ticket, histories.get(ticket.id, []), now), now)
            except UnjudgedSla:  # left as stored; `sla recompute` names it
                continue
            if any(stored[ticket.id][c] != values[c] for c in compared):
                batch.append({"ticket_id": ticket.id, **values})
        if batch:
            conn.execute(UPDATE, batch)
            changed += len(batch)
    return changed


@dataclass(frozen=True)
class WhatIf:
    """How the current and a proposed policy judge the same tickets."""

    tickets: int
    current_missed: int
    proposed_missed: int
    current_response_missed: int
    proposed_response_missed: int


def what_if(conn: Connection, proposed: Policy, start: datetime, end: datetime, now: datetime) -> WhatIf:
    """Resolution and response breaches of tickets created in [start, end), under both policies."""
    context = SlaContext.load(conn)
    counts = Counter[str]()
    missed = ("missed", "breached")
    for facts, changes in histories(conn):
        if not start <= facts.created_at < end:
            continue
        current = context.evaluate(facts, changes, now)
        other = context.evaluate(facts, changes, now, policy=proposed)
        counts["tickets"] += 1
        counts["current"] += current.resolution.state in missed
        counts["proposed"] += other.resolution.state in missed
        counts["current_response"] += current.response.state in missed
        counts["proposed_response"] += other.response.state in missed
    return WhatIf(
        counts["tickets"],
        counts["current"],
        counts["proposed"],
        counts["current_response"],
        counts["proposed_response"],
    )
