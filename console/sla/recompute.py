"""Recompute and store every ticket's SLA from its history: after a policy, calendar or
holiday change, after a demo is built, or for evidence. Also the what-if of a proposed policy.

Reads with one connection (a consistent snapshot) and writes in batches with another, so
a million tickets stream through in constant memory.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, update

from console.sla.engine import Change, ClockResult, Policy, SlaResult
from console.sla.store import SlaContext, TicketFacts, changes_by_ticket, ticket_facts
from models import Ticket

Progress = Callable[[str, int, int], None]
BATCH = 5000


@dataclass
class RecomputeSummary:
    tickets: int = 0
    response: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)


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
            result = context.evaluate(facts, changes, now)
            summary.tickets += 1
            summary.response[result.response.state] += 1
            summary.resolution[result.resolution.state] += 1
            batch.append({"ticket_id": facts.id, **stored_values(result, now)})
            if len(batch) >= BATCH:
                flush()
        flush()
    return summary


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
