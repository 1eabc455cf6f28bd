"""The demo's fast UUIDs are exactly the UUIDs the standard library would make."""

from __future__ import annotations

import pickle
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from console.demo.rows import Dice, Rows, audit_row, created_row, uuid4_from_bits
from models import AuditAction, EntityType, table_of
from models.tickets import Ticket

BITS = st.integers(min_value=0, max_value=2**128 - 1)
AT = datetime(2026, 1, 1, tzinfo=UTC)


@given(BITS)
@example(0)
@example(2**128 - 1)
@example(0xC000 << 48)
@example(0xF000 << 64)
def test_uuid4_from_bits_is_uuid_version_4(bits: int) -> None:
    fast = uuid4_from_bits(bits)
    slow = uuid.UUID(int=bits, version=4)
    assert fast == slow
    assert fast.int == slow.int
    assert str(fast) == str(slow)
    assert fast.hex == slow.hex
    assert hash(fast) == hash(slow)
    assert fast.version == 4
    assert fast.variant == uuid.RFC_4122
    assert fast.is_safe is uuid.SafeUUID.unknown
    assert pickle.loads(pickle.dumps(fast)) == slow


@given(st.integers(min_value=0, max_value=2**32))
def test_dice_with_the_same_seed_makes_the_same_ids(seed: int) -> None:
    first, second = Dice(seed), Dice(seed)
    ids = [first.uid() for _ in range(5)]
    assert ids == [second.uid() for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(i.version == 4 for i in ids)


def test_rows_group_by_table_in_insertion_order() -> None:
    dice = Dice(1)
    rows = Rows()
    tickets = table_of(Ticket)
    first = rows.add(tickets, id=dice.uid(), title="a")
    rows.extend(tickets, [{"id": dice.uid(), "title": "b"}])
    assert rows.count() == 2
    assert [(t.name, [r["title"] for r in rs]) for t, rs in rows] == [("tickets", ["a", "b"])]
    assert first["title"] == "a"


def test_created_row_snapshots_the_first_values_without_the_id() -> None:
    dice = Dice(3)
    values: dict[str, Any] = {"id": dice.uid(), "title": "سلام", "tier": 1}
    event = created_row(dice, EntityType.TICKET, values, at=AT, actor_id=None, unit_id=None)
    assert event["action"] is AuditAction.CREATED
    assert event["entity_id"] == values["id"]
    assert event["new_value"] == '{"tier": "1", "title": "سلام"}'
    assert event["seq"] == 1  # the first event of its entity
    change = audit_row(
        dice, entity_type=EntityType.TICKET, entity_id=values["id"], at=AT, seq=2, actor_id=None, unit_id=None,
        field="tier", old="1", new="2",
    )  # fmt: skip
    assert (change["action"], change["field"], change["old_value"], change["new_value"]) == (
        AuditAction.FIELD_CHANGED,
        "tier",
        "1",
        "2",
    )
    assert change["id"] != event["id"]
    assert change["seq"] == 2
