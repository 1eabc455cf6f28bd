"""Rebuilding a ticket, and every field's history, from hand-written audit events."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.journal.values import decode, encode, snapshot
from console.tickets.history import FieldChange, field_history, first_values, rebuild, status_side_effects
from models import AuditAction

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DESK = uuid.UUID("11111111-1111-4111-8111-111111111111")
CONSULTANT = uuid.UUID("22222222-2222-4222-8222-222222222222")
REPORTER = uuid.UUID("33333333-3333-4333-8333-333333333333")
FIRST_VALUES = {
    "number": "INC-0000042",
    "title": "Posting fails — ثبت سند",
    "status": "new",
    "priority": "medium",
    "tier": 1,
    "reporter_id": REPORTER,
    "assignee_id": None,
    "reopen_count": 0,
    "first_response_at": None,
    "resolved_at": None,
    "closed_at": None,
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def created(minutes: float = 0, **values: Any) -> dict[str, Any]:
    return {
        "action": AuditAction.CREATED.value,
        "occurred_at": at(minutes),
        "actor_id": REPORTER,
        "field": None,
        "new_value": snapshot({**FIRST_VALUES, **values}),
        "reason": None,
    }


def changed(
    minutes: float,
    field: str,
    new: Any,
    actor: uuid.UUID | None = CONSULTANT,
    reason: str | None = None,
    action: AuditAction = AuditAction.FIELD_CHANGED,
) -> dict[str, Any]:
    return {
        "action": action.value,
        "occurred_at": at(minutes),
        "actor_id": actor,
        "field": field,
        "new_value": encode(new),
        "reason": reason,
    }


def test_created_event_gives_the_first_values() -> None:
    state = rebuild([created()])
    assert state["number"] == "INC-0000042"
    assert state["title"] == "Posting fails — ثبت سند"
    assert state["status"] == "new"
    assert state["tier"] == 1  # decoded back to a number
    assert state["reporter_id"] == REPORTER  # and an id back to a UUID
    assert state["assignee_id"] is None
    assert state["created_at"] == T0  # not in the snapshot: the event's time
    assert state["updated_at"] == T0


def test_first_response_is_when_the_ticket_leaves_new() -> None:
    events = [
        created(),
        changed(5, "assignee_id", CONSULTANT, actor=DESK),
        changed(6, "status", "assigned", actor=DESK),
        changed(30, "status", "in_progress"),
    ]
    state = rebuild(events)
    assert state["first_response_at"] == at(6)  # not the assignment, not the start of work
    assert state["status"] == "in_progress"
    assert state["assignee_id"] == CONSULTANT
    assert state["updated_at"] == at(30)
    assert state["resolved_at"] is None


def test_first_response_is_kept_when_the_ticket_goes_back_to_new() -> None:
    events = [
        created(),
        changed(6, "status", "assigned"),
        changed(7, "status", "new"),
        changed(9, "status", "assigned"),
    ]
    assert rebuild(events)["first_response_at"] == at(6)


def test_resolve_sets_resolved_at_and_close_sets_closed_at() -> None:
    events = [
        created(),
        changed(6, "status", "assigned"),
        changed(60, "status", "resolved"),
        changed(60 + 3 * 24 * 60, "status", "closed", actor=None, reason="auto-close"),
    ]
    resolved = rebuild(events[:3])
    assert resolved["resolved_at"] == at(60)
    assert resolved["closed_at"] is None
    closed = rebuild(events)
    assert closed["resolved_at"] == at(60)  # closing keeps the resolution time
    assert closed["closed_at"] == at(60 + 3 * 24 * 60)
    assert closed["status"] == "closed"


def test_closing_an_unresolved_ticket_resolves_it_then() -> None:
    state = rebuild([created(), changed(6, "status", "in_progress"), changed(20, "status", "closed")])
    assert state["resolved_at"] == state["closed_at"] == at(20)


@pytest.mark.parametrize("closed_state", ["resolved", "closed"])
def test_reopen_counts_and_clears_the_resolution(closed_state: str) -> None:
    events = [
        created(),
        changed(6, "status", "assigned"),
        changed(60, "status", "resolved"),
        changed(61, "status", closed_state),
        changed(120, "status", "in_progress", actor=REPORTER, reason="the error is back"),
    ]
    state = rebuild(events)
    assert state["reopen_count"] == 1
    assert state["resolved_at"] is None
    assert state["closed_at"] is None
    assert state["first_response_at"] == at(6)

    again = rebuild([*events, changed(200, "status", "resolved"), changed(300, "status", "assigned")])
    assert again["reopen_count"] == 2
    assert again["resolved_at"] is None


def test_moves_between_open_states_are_not_reopens() -> None:
    events = [
        created(),
        changed(6, "status", "assigned"),
        changed(7, "status", "pending_reporter"),
        changed(8, "status", "in_progress"),
        changed(9, "status", "pending_vendor"),
    ]
    assert rebuild(events)["reopen_count"] == 0


def test_escalations_and_links_change_fields_and_comments_only_touch_the_time() -> None:
    problem = uuid.UUID("44444444-4444-4444-8444-444444444444")
    events = [
        created(),
        changed(10, "tier", 3, action=AuditAction.ESCALATED, reason="needs a technical fix"),
        changed(11, "priority", "high", action=AuditAction.ESCALATED),
        changed(12, "problem_id", problem, action=AuditAction.LINKED),
        {**changed(13, "", None), "action": AuditAction.COMMENTED.value, "field": None},
    ]
    state = rebuild(events)
    assert (state["tier"], state["priority"], state["problem_id"]) == (3, "high", problem)
    assert state["updated_at"] == at(13)
    unlinked = rebuild([*events, changed(14, "problem_id", None, action=AuditAction.UNLINKED)])
    assert unlinked["problem_id"] is None


def test_field_history_lists_every_change_with_who_and_why() -> None:
    events = [
        created(),
        changed(6, "status", "assigned", actor=DESK),
        changed(7, "assignee_id", CONSULTANT, actor=DESK, reason="module expert"),
        changed(60, "status", "resolved"),
        changed(120, "status", "in_progress", actor=REPORTER, reason="the error is back"),
    ]
    assert field_history(events) == [
        FieldChange(at(6), DESK, "first_response_at", None, at(6), None),
        FieldChange(at(6), DESK, "status", "new", "assigned", None),
        FieldChange(at(7), DESK, "assignee_id", None, CONSULTANT, "module expert"),
        FieldChange(at(60), CONSULTANT, "resolved_at", None, at(60), None),
        FieldChange(at(60), CONSULTANT, "status", "assigned", "resolved", None),
        FieldChange(at(120), REPORTER, "reopen_count", 0, 1, "the error is back"),
        FieldChange(at(120), REPORTER, "resolved_at", at(60), None, "the error is back"),
        FieldChange(at(120), REPORTER, "status", "resolved", "in_progress", "the error is back"),
    ]


def test_first_values_are_the_logged_line_field_history_leaves_out() -> None:
    group = uuid.UUID("44444444-4444-4444-8444-444444444444")
    events = [changed(6, "status", "assigned", actor=DESK), created(group_id=group)]  # in any order
    first = first_values(events)
    assert first is not None
    assert (first.occurred_at, first.actor_id, first.reason) == (at(0), REPORTER, None)
    assert first.values == {**FIRST_VALUES, "group_id": group}  # decoded: the tier a number, ids UUIDs
    assert [c.field for c in field_history(events)] == ["first_response_at", "status"]
    assert first_values([changed(6, "status", "assigned")]) is None  # a history that begins later


def test_field_history_skips_changes_that_change_nothing() -> None:
    events = [created(), changed(6, "priority", "medium"), changed(7, "priority", "low")]
    assert [(c.field, c.old, c.new) for c in field_history(events)] == [("priority", "medium", "low")]


def test_status_side_effects_directly() -> None:
    state: dict[str, Any] = {"first_response_at": None, "resolved_at": None, "closed_at": None, "reopen_count": 0}
    status_side_effects(state, "new", "in_progress", at(1))
    assert state == {"first_response_at": at(1), "resolved_at": None, "closed_at": None, "reopen_count": 0}
    status_side_effects(state, "in_progress", "resolved", at(2))
    assert state["resolved_at"] == at(2)
    status_side_effects(state, "resolved", "closed", at(3))
    assert (state["resolved_at"], state["closed_at"]) == (at(2), at(3))
    status_side_effects(state, "closed", "assigned", at(4))
    assert state == {"first_response_at": at(1), "resolved_at": None, "closed_at": None, "reopen_count": 1}


def test_encode_and_decode_round_trip() -> None:
    stamp = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    for field, value in (("created_at", stamp), ("assignee_id", CONSULTANT), ("tier", 3), ("title", "سلام")):
        text = encode(value)
        assert isinstance(text, str)
        assert decode(field, text) == value
    assert encode(None) is None
    assert decode("resolved_at", None) is None
    assert encode(stamp) == "2026-03-02T09:00:00.123456+00:00"


def test_snapshot_is_stable_readable_json() -> None:
    text = snapshot({"title": "ثبت سند", "tier": 2, "assignee_id": None, "created_at": T0})
    assert text == snapshot({"created_at": T0, "assignee_id": None, "tier": 2, "title": "ثبت سند"})
    assert "ثبت سند" in text  # not \\u-escaped
    assert json.loads(text) == {"title": "ثبت سند", "tier": "2", "assignee_id": None, "created_at": T0.isoformat()}
