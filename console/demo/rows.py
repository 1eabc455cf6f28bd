"""What the demo generators share: a seeded random source and rows grouped by table."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table

from console.journal.values import snapshot
from models import AuditAction, EntityType

Row = dict[str, Any]


class Rows:
    """Rows to insert, per table, kept in insertion order of the tables."""

    def __init__(self) -> None:
        self._by_table: dict[Table, list[Row]] = defaultdict(list)

    def add(self, table: Table, **values: Any) -> Row:
        self._by_table[table].append(values)
        return values

    def extend(self, table: Table, rows: list[Row]) -> None:
        self._by_table[table].extend(rows)

    def __iter__(self) -> Iterator[tuple[Table, list[Row]]]:
        return iter(self._by_table.items())

    def count(self) -> int:
        return sum(len(rows) for rows in self._by_table.values())


# Version 4, variant RFC 4122: the bits uuid.UUID(int=..., version=4) would force.
_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_V4_SET = (0x8000 << 48) | (4 << 76)


def uuid4_from_bits(bits: int) -> uuid.UUID:
    """``uuid.UUID(int=bits, version=4)`` without its validation, which dominates demo generation."""
    value = uuid.UUID.__new__(uuid.UUID)
    object.__setattr__(value, "int", (bits & _V4_CLEAR) | _V4_SET)
    object.__setattr__(value, "is_safe", uuid.SafeUUID.unknown)
    return value


class Dice(random.Random):
    """A seeded random source that also makes ids, so a seed gives the same database each time."""

    def uid(self) -> uuid.UUID:
        return uuid4_from_bits(self.getrandbits(128))

    def side(self, name: str) -> Dice:
        """Another seeded source, named, made from this one's state without drawing from it: what it adds to the
        demo leaves everything this one makes as it was."""
        return Dice(f"{name}:{self.getstate()[1][:8]}")

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.uniform(low, high))

    def lognormal_minutes(self, median: float, sigma: float) -> timedelta:
        return timedelta(minutes=median * self.lognormvariate(0.0, sigma))


def audit_row(
    dice: Dice | None,
    *,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    at: datetime,
    seq: int,
    actor_id: uuid.UUID | None,
    unit_id: uuid.UUID | None,
    action: AuditAction = AuditAction.FIELD_CHANGED,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    reason: str | None = None,
) -> Row:
    """One audit event; ``seq`` is its place in the entity's history (1 for the first, as ``audit.next_seq``). With
    no ``dice``, its id comes from the entity's and its ``seq`` (the rest of the demo draws the same numbers)."""
    return {
        "id": dice.uid() if dice is not None else uuid.uuid5(entity_id, f"event {seq}"),
        "occurred_at": at,
        "seq": seq,
        "actor_id": actor_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "business_unit_id": unit_id,
        "action": action,
        "field": field,
        "old_value": old,
        "new_value": new,
        "reason": reason,
    }


def created_row(
    dice: Dice | None,
    entity_type: EntityType,
    values: Row,
    at: datetime,
    actor_id: uuid.UUID | None,
    unit_id: uuid.UUID | None,
) -> Row:
    """The ``created`` audit event for an entity, carrying its first values: the entity's first (``seq`` 1)."""
    return audit_row(
        dice,
        entity_type=entity_type,
        entity_id=values["id"],
        at=at,
        seq=1,
        actor_id=actor_id,
        unit_id=unit_id,
        action=AuditAction.CREATED,
        new=snapshot({k: v for k, v in values.items() if k != "id"}),
    )
