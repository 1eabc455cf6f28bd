"""Rebuild a ticket's state, and every field's history, from its append-only audit trail.

The rules live here once: the demo generator folds its own events through them, the
ticket History tab reads them, and the tests check that replaying the audit trail gives
back exactly the rows in the database.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.journal.audit import BOOKKEEPING_FIELDS, replay_key
from console.journal.values import decode, encode
from models import AuditAction, Impact, Priority, TicketStatus, Urgency

# Ticket fields whose history the audit trail carries (the rest are computed, e.g. due times).
TICKET_FIELDS: tuple[str, ...] = (
    "number", "kind", "title", "description", "status", "priority", "impact", "urgency", "tier", "module_id",
    "category", "business_unit_id", "reporter_id", "assignee_id", "group_id", "vendor", "vendor_reference",
    "sla_policy_id", "problem_id", "change_id", "planned_release", "reopen_count", "created_at", "updated_at",
    "first_response_at", "resolved_at", "closed_at", "source_system", "source_key",
)  # fmt: skip
# Links kept in their own tables (a ticket's articles and attachments): audited, but not fields of the entity.
LINK_TABLE_FIELDS = frozenset({"article_id", "attachment_id"})
CLOSED_STATES = frozenset({TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value})


@dataclass(frozen=True)
class FieldChange:
    occurred_at: datetime
    actor_id: uuid.UUID | None
    field: str
    old: Any
    new: Any
    reason: str | None
    source: str | None = None
    """The tool an imported change came from (None: made here)."""
    source_actor: str | None = None
    """Who made it there, as that tool names them."""


@dataclass(frozen=True)
class Logged:
    """How an entity began: when, by whom, its first values (decoded) and the reason given (a priority
    against the matrix)."""

    occurred_at: datetime
    actor_id: uuid.UUID | None
    values: dict[str, Any]
    reason: str | None


def first_values(events: Iterable[Mapping[str, Any]]) -> Logged | None:
    """The ``created`` event of an entity's history, or None when it has none (its history begins later)."""
    for event in sorted(events, key=replay_key):
        if AuditAction(event["action"]) is AuditAction.CREATED:
            values = {k: decode(k, v) for k, v in json.loads(event["new_value"]).items()}
            return Logged(event["occurred_at"], event["actor_id"], values, event["reason"])
    return None


FIELD_ACTIONS = frozenset({AuditAction.FIELD_CHANGED, AuditAction.ESCALATED, AuditAction.LINKED, AuditAction.UNLINKED})
"""The actions that change a field (``field``, ``new_value``)."""


def apply_event(state: dict[str, Any], event: Mapping[str, Any]) -> None:
    """Fold one audit event (a row mapping) into ``state``, including the derived timestamps."""
    action = AuditAction(event["action"])
    at: datetime = event["occurred_at"]
    if action is AuditAction.CREATED:
        _created(state, {k: decode(k, v) for k, v in json.loads(event["new_value"]).items()}, at)
    elif action in FIELD_ACTIONS:
        _changed(state, event["field"], event["new_value"], at)
    state["updated_at"] = at


def _created(state: dict[str, Any], values: Mapping[str, Any], at: datetime) -> None:
    state.update(values)
    state.setdefault("created_at", at)


def _changed(state: dict[str, Any], field: str, text: str | None, at: datetime) -> None:
    if field not in LINK_TABLE_FIELDS and field not in BOOKKEEPING_FIELDS:
        new = decode(field, text)
        old = state.get(field)
        state[field] = new
        if field == "status":
            status_side_effects(state, encode(old), new, at)


def status_side_effects(state: dict[str, Any], old: str | None, new: str, at: datetime) -> None:
    """The timestamps and counters a status change implies: first response, resolved, closed, reopened."""
    if old == TicketStatus.NEW.value and state.get("first_response_at") is None:
        # The first response is the moment support first acts on the ticket: it leaves New.
        state["first_response_at"] = at
    if new == TicketStatus.RESOLVED.value:
        state["resolved_at"] = at
    elif new == TicketStatus.CLOSED.value:
        state["closed_at"] = at
        if state.get("resolved_at") is None:
            state["resolved_at"] = at
    elif old in CLOSED_STATES:
        state["reopen_count"] = state.get("reopen_count", 0) + 1
        state["resolved_at"] = None
        state["closed_at"] = None


def rebuild(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The entity's current state from its events, replayed in ``(occurred_at, seq)`` order whatever
    order they come in."""
    state: dict[str, Any] = {}
    for event in sorted(events, key=replay_key):
        apply_event(state, event)
    return state


Change = tuple[datetime, int, str | None, str | None]
"""A later event as ``replay`` takes it: (occurred_at, seq, the field it changes or None, the new value as the
audit trail writes it)."""


def replay(first: Mapping[str, Any], created_at: datetime, changes: Iterable[Change]) -> dict[str, Any]:
    """What ``rebuild`` gives for a history that is a ``created`` event at ``created_at`` (seq 1) with ``first``
    as its values (decoded, as ``first_values`` reads them) and the events ``changes`` (each a ``field_changed``
    event of its field, or one that changes none, such as a comment): the same rules in the same order, for a
    caller that has the history in hand before it is written (an import) and need not write the first values
    as JSON to read them back."""
    state: dict[str, Any] = {}
    steps: list[tuple[datetime, int, object, str | None]] = [(created_at, 1, _CREATED, None), *changes]
    for at, _seq, field, text in sorted(steps, key=_replay_order):
        if field is _CREATED:
            _created(state, first, at)
        elif isinstance(field, str):
            _changed(state, field, text, at)
        state["updated_at"] = at
    return state


_CREATED = object()
"""The created event among ``replay``'s steps."""


def _replay_order(step: tuple[datetime, int, object, str | None]) -> tuple[datetime, int]:
    return step[0], step[1] or 0  # ``replay_key``


def field_history(events: Iterable[Mapping[str, Any]]) -> list[FieldChange]:
    """Every change of every field, oldest first (in ``(occurred_at, seq)`` order), with who made it and why.

    The first values are no change: ``first_values`` has them (the History tab's "logged" line)."""
    state: dict[str, Any] = {}
    changes: list[FieldChange] = []
    for event in sorted(events, key=replay_key):
        before = dict(state)
        apply_event(state, event)
        if AuditAction(event["action"]) is AuditAction.CREATED:
            continue
        for field in sorted(set(state) | set(before)):
            if field != "updated_at" and before.get(field) != state.get(field):
                changes.append(
                    FieldChange(
                        event["occurred_at"],
                        event["actor_id"],
                        field,
                        before.get(field),
                        state.get(field),
                        event["reason"],
                        event.get("source"),
                        event.get("source_actor"),
                    )
                )
    return changes


def history_value(field: str, text: str) -> Any:
    """A value of the history as what it is: a status, a priority, a moment, or the text it was written as
    (empty: None). The window and ``ticket show`` turn it into words; JSON keeps the machine value."""
    if not text:
        return None
    kinds: dict[str, type[enum.Enum]] = {"status": TicketStatus, "priority": Priority, "impact": Impact,
                                         "urgency": Urgency}  # fmt: skip
    if field in kinds:
        try:
            return kinds[field](text)
        except ValueError:
            return text
    if field.endswith("_at"):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return text
    return text
