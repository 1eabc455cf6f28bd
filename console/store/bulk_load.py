"""Fast bulk loading of many rows: the demo's millions of events, and first downloads.

SQLAlchemy's ``insert()`` spends most of its time building parameters; here each
column's own bind processor is applied in a tight loop and the rows go to the driver
directly (``executemany`` on SQLite, ``COPY`` on PostgreSQL). Types stay exactly what
the ORM would write.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Enum, Table, Uuid

from console.store.database import sqlite_pragma
from models.base import UTCDateTime

Progress = Callable[[str, int, int], None]


def _column_default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        if not column.nullable and not column.primary_key:
            raise KeyError(f"{column.table.name}.{column.name} has no value and no default")
        return None
    if getattr(default, "is_scalar", False):
        return getattr(default, "arg", None)
    raise KeyError(f"{column.table.name}.{column.name} needs an explicit value in bulk loads")


def _sqlite_timestamp(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime writes: UTC, always with microseconds.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", timespec="microseconds")[:26]


def converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's bind processor (None: the value goes to the driver as it is); the hot ones on SQLite are done
    directly."""
    if dialect.name == "sqlite":
        if isinstance(column.type, Uuid):
            return attrgetter("hex")
        if isinstance(column.type, UTCDateTime):
            return _sqlite_timestamp
        if isinstance(column.type, Enum):
            return str
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` into ``table``.

    Rows are mappings by column name, all with the same keys; a column missing from
    them gets its scalar default (or NULL), and one that has neither is an error.
    """
    if not rows:
        return 0
    dialect = conn.dialect
    columns = list(table.columns)
    present = [(c.name, converter(c, dialect)) for c in columns if c.name in rows[0]]
    filled = tuple(_column_default(c) for c in columns if c.name not in rows[0])

    def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
        out = [row[name] if process is None or row[name] is None else process(row[name]) for name, process in present]
        return (*out, *filled)

    names = ", ".join(
        f'"{c.name}"'
        for c in [*(c for c in columns if c.name in rows[0]), *(c for c in columns if c.name not in rows[0])]
    )
    if dialect.name == "postgresql":
        if not conn.in_transaction():
            conn.begin()  # so the caller's commit() covers the raw COPY
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(values(row))
        finally:
            cursor.close()
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', [values(r) for r in rows])
    return len(rows)


BULK_CACHE_KIB = 262_144  # 256 MiB of page cache while loading: random-UUID indexes stay in memory


@contextmanager
def sqlite_bulk_load(conn: Connection) -> Iterator[None]:
    """Settings of a SQLite connection for a bulk load from a consistent source, outside any transaction:
    no foreign-key lookups per row (the caller checks them once afterwards), a large page cache, and
    helper threads for the sorts of index builds.
    Restored on the way out; on PostgreSQL, nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = {name: sqlite_pragma(conn, f"PRAGMA {name}") for name in ("foreign_keys", "cache_size", "threads")}
    sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
    sqlite_pragma(conn, f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    sqlite_pragma(conn, f"PRAGMA threads={min(4, os.cpu_count() or 1)}")  # sorts of index builds in parallel
    try:
        yield
    finally:
        for name, value in before.items():
            sqlite_pragma(conn, f"PRAGMA {name}={value}")


def foreign_key_problems(conn: Connection) -> list[tuple[Any, ...]]:
    """Rows of a SQLite database whose foreign keys point nowhere (the first few)."""
    if conn.dialect.name != "sqlite":
        return []
    return [tuple(r) for r in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(5)]


@contextmanager
def indexes_deferred(conn: Connection, tables: Iterable[Table], progress: Progress | None = None) -> Iterator[None]:
    """Drop the tables' secondary indexes for a bulk load and build them again afterwards.

    Building an index once over sorted data is far cheaper than keeping it current row
    by row (random UUID keys touch a random page each). Unique constraints stay on.
    """
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(conn)
    yield
    for number, index in enumerate(indexes):
        if progress:
            progress("indexing", number, len(indexes))
        index.create(conn)


def insert_many(conn: Connection, batches: Iterable[tuple[Table, Sequence[Mapping[str, Any]]]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, rows in batches:
        counts[table.name] = counts.get(table.name, 0) + insert_rows(conn, table, rows)
    return counts
