"""Bulk triage from the queue: one field set on many tickets at once.

Each ticket is its own transaction, unlike ``service.execute``: a ticket that changed meanwhile or that
the person may not triage is skipped and named, and the others are still done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from console.access import Actor, Refused
from console.journal.intents import SetField, TicketIntent
from console.tickets.edits import move_tier, set_priority
from console.tickets.service import STEP, execute
from models import Priority, Ticket


@dataclass(frozen=True)
class BulkResult:
    done: list[str]
    refused: list[tuple[str, str]]  # number, why


TRIAGE_FIELDS = ("assignee_id", "priority", "module_id", "tier")


def bulk_triage(
    engine: Engine,
    actor: Actor,
    ticket_ids: Sequence[uuid.UUID],
    field_name: str,
    value: Any,
    now: datetime,
    reason: str | None = None,
) -> BulkResult:
    """Set one triage field on many tickets, each in its own transaction: a refusal skips that ticket only."""
    if field_name not in TRIAGE_FIELDS:
        raise Refused(f"Bulk triage sets {', '.join(TRIAGE_FIELDS)}, not {field_name}.")
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    for index, ticket_id in enumerate(ticket_ids):
        with engine.connect() as conn:
            current = conn.execute(
                select(Ticket.number, getattr(Ticket, field_name)).where(Ticket.id == ticket_id)
            ).first()
        if current is None:
            refused.append((str(ticket_id), "no longer here"))
            continue
        number, base = current
        if field_name == "priority":
            intent: TicketIntent = set_priority(ticket_id, Priority(value), base=base, reason=reason)
        elif field_name == "tier":
            intent = move_tier(ticket_id, int(value), base=base, reason=reason)
        else:
            intent = SetField(ticket_id, field_name, value, base, reason)
        try:
            execute(engine, actor, [intent], now + index * STEP)
        except Refused as why:
            refused.append((number, str(why)))
        else:
            done.append(number)
    return BulkResult(done, refused)
