"""A first download from PostgreSQL into an empty SQLite cache, by ``COPY``.

Reading a hundred thousand tickets with their history row by row through the ORM's types costs
more than the rows themselves: every uuid, timestamp and enum is built as a Python object on the
way out of PostgreSQL and taken apart again on the way into SQLite. Here PostgreSQL writes each
value as the very text the cache stores (a uuid as 32 hex digits, a timestamp as UTC
``YYYY-MM-DD HH:MM:SS.ffffff``, a boolean as 0 or 1), ``COPY ... TO STDOUT`` hands the rows out, and
SQLite takes them with ``executemany``. Reading (a thread of its own) and writing overlap.

Tables with a column of another type (a time of day, a float, file contents: all small) are read
the ordinary way, in the same snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Date, Enum, Integer, String, Table, Text, Uuid, select
from sqlalchemy.engine import Dialect

from console.store.bulk_load import insert_rows
from console.sync.ahead import read_ahead
from models.base import UTCDateTime

BATCH = 20_000
Part = tuple[Table, Any]  # a table, and which of its rows (a WHERE clause, or None for all)


def _as_stored(column: Column[Any]) -> str | None:
    """SQL giving the column's value as the cache stores it, or None if not done here."""
    name = f'"{column.name}"'
    kind = column.type
    if isinstance(kind, Uuid):
        return f"replace(CAST({name} AS text), '-', '')"
    if isinstance(kind, UTCDateTime):
        return f"to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    if isinstance(kind, Date):
        return f"to_char({name}, 'YYYY-MM-DD')"
    if isinstance(kind, Boolean):
        return f"CAST({name} AS integer)"
    if isinstance(kind, Enum | String | Text | Integer):  # text as it is; SQLite makes integers of digits
        return name
    return None


def copy_sql(dialect: Dialect, table: Table, where: Any) -> str | None:
    """``SELECT`` of the table's rows (those of ``where``) as the cache stores them, or None."""
    columns = [_as_stored(c) for c in table.columns]
    if any(c is None for c in columns):
        return None
    query = f'SELECT {", ".join(c for c in columns if c)} FROM "{table.name}"'
    if where is not None:
        condition = where.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        query += f" WHERE {condition}"
    return query


def _batches(sconn: Connection, parts: Sequence[Part]) -> Iterator[tuple[Table, bool, list[Any]]]:
    """Each table's rows in batches: (table, True, rows as stored) read by COPY, or (table, False, rows
    as mappings) read the ordinary way."""
    raw = sconn.connection.driver_connection
    assert raw is not None
    for table, where in parts:
        statement = copy_sql(sconn.dialect, table, where)
        if statement is None:
            query = select(table) if where is None else select(table).where(where)
            for part in sconn.execute(query.execution_options(yield_per=BATCH)).partitions():
                yield table, False, [dict(r._mapping) for r in part]
            continue
        with raw.cursor() as cursor, cursor.copy(f"COPY ({statement}) TO STDOUT") as copy:
            batch: list[tuple[Any, ...]] = []
            for row in copy.rows():
                batch.append(row)
                if len(batch) == BATCH:
                    yield table, True, batch
                    batch = []
            if batch:
                yield table, True, batch


def copy_tables(conn: Connection, sconn: Connection, parts: Sequence[Part]) -> int:
    """Copy the rows of ``parts`` (parents first) from the shared connection's snapshot into the cache's
    empty tables."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    written = 0
    try:
        with read_ahead(_batches(sconn, parts)) as batches:
            for table, stored, rows in batches:
                if stored:
                    names = ", ".join(f'"{c.name}"' for c in table.columns)
                    marks = ", ".join("?" for _ in table.columns)
                    cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
                else:
                    insert_rows(conn, table, rows)
                written += len(rows)
    finally:
        cursor.close()
    return written
