"""Human numbers (INC-0001234) that never collide between clients working offline.

A client reserves a block of numbers from the shared database while online and hands
them out from its cache while offline; the shared database never gives the same block
twice (``UNIQUE (series, first)`` and the reservation runs in one transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select, update

from console.errors import ConsoleError
from models import NumberBlock, new_id, table_of

SERIES = ("INC", "REQ", "PRB", "CHG", "KB")
DEFAULT_BLOCK = 1000
BLOCK_MAX = 10_000  # numbers in one reserved block at most (the shared database's guard holds it)


class NumbersExhausted(ConsoleError):
    """The client has no free number left in its blocks and must reserve more (go online)."""


def format_number(series: str, value: int) -> str:
    return f"{series}-{value:07d}"


def reserve_block(shared: Connection, series: str, client_id: str, size: int = DEFAULT_BLOCK) -> NumberBlock:
    """Reserve the next ``size`` numbers of ``series`` for ``client_id`` on the shared database."""
    if series not in SERIES:
        raise ConsoleError(f"Unknown number series {series!r}; known: {', '.join(SERIES)}.")
    if size < 1:
        raise ConsoleError("A number block holds at least one number.")
    if shared.dialect.name == "postgresql":
        # Serialise reservations of a series: the second waits, then sees the first's block.
        shared.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"number_blocks:{series}"))))
    last = shared.execute(select(func.max(NumberBlock.last)).where(NumberBlock.series == series)).scalar() or 0
    block = {
        "id": new_id(),
        "series": series,
        "first": last + 1,
        "last": last + size,
        "next_free": last + 1,
        "client_id": client_id,
        "reserved_at": datetime.now(UTC),
    }
    shared.execute(table_of(NumberBlock).insert(), [block])
    return NumberBlock(**block)


def keep_block(cache: Connection, block: NumberBlock) -> None:
    """Store a block reserved on the shared database in the client's cache."""
    cache.execute(
        table_of(NumberBlock).insert(),
        [{c.name: getattr(block, c.name) for c in table_of(NumberBlock).columns}],
    )


def take_number(cache: Connection, series: str, client_id: str) -> str:
    """The next free number of this client's blocks, marked used in the same transaction."""
    row = cache.execute(
        select(NumberBlock.id, NumberBlock.next_free)
        .where(
            NumberBlock.series == series, NumberBlock.client_id == client_id, NumberBlock.next_free <= NumberBlock.last
        )
        .order_by(NumberBlock.first)
        .limit(1)
    ).first()
    if row is None:
        raise NumbersExhausted(
            f"No {series} numbers left in this workspace; connect to the shared database to reserve more."
        )
    cache.execute(update(NumberBlock).where(NumberBlock.id == row.id).values(next_free=row.next_free + 1))
    return format_number(series, row.next_free)


def take_or_reserve(
    cache: Connection, series: str, client_id: str, reserve: Callable[[str], NumberBlock] | None = None
) -> str:
    """The next free number; when this client's blocks are used up, reserve a new block (online) first."""
    try:
        return take_number(cache, series, client_id)
    except NumbersExhausted as exhausted:
        if reserve is None:
            raise
        try:
            block = reserve(series)
        except ConsoleError as offline:
            raise NumbersExhausted(f"{exhausted} ({offline})") from offline
        keep_block(cache, block)
        return take_number(cache, series, client_id)
