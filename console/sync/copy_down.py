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

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Date, Enum, Integer, String, Table, Text, Uuid, select
from sqlalchemy.engine import Dialect

from console.bulk import insert_rows
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


_DONE = object()


def _read(sconn: Connection, parts: Sequence[Part], out: queue.Queue[Any], stop: threading.Event) -> None:
    """In the reading thread: each table's rows in batches, then ``_DONE``; an error goes to the queue."""

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    try:
        raw = sconn.connection.driver_connection
        assert raw is not None
        for table, where in parts:
            if stop.is_set():
                return
            statement = copy_sql(sconn.dialect, table, where)
            if statement is None:
                query = select(table) if where is None else select(table).where(where)
                for part in sconn.execute(query.execution_options(yield_per=BATCH)).partitions():
                    put((table, False, [dict(r._mapping) for r in part]))
                continue
            with raw.cursor() as cursor, cursor.copy(f"COPY ({statement}) TO STDOUT") as copy:
                batch: list[tuple[Any, ...]] = []
                for row in copy.rows():
                    batch.append(row)
                    if len(batch) == BATCH:
                        put((table, True, batch))
                        batch = []
                        if stop.is_set():  # the writer failed: the transaction is rolled back anyway
                            return
                if batch:
                    put((table, True, batch))
        put(_DONE)
    except BaseException as exc:  # handed to the writing thread, which raises it
        put(exc)


def _items(out: queue.Queue[Any]) -> Iterator[tuple[Table, bool, list[Any]]]:
    while True:
        item = out.get()
        if item is _DONE:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def copy_tables(conn: Connection, sconn: Connection, parts: Sequence[Part]) -> int:
    """Copy the rows of ``parts`` (parents first) from the shared connection's snapshot into the cache's
    empty tables."""
    out: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()
    reader = threading.Thread(target=_read, args=(sconn, parts, out, stop), name="copy-down", daemon=True)
    reader.start()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    written = 0
    try:
        for table, stored, rows in _items(out):
            if stored:
                names = ", ".join(f'"{c.name}"' for c in table.columns)
                marks = ", ".join("?" for _ in table.columns)
                cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
            else:
                insert_rows(conn, table, rows)
            written += len(rows)
    finally:
        stop.set()
        reader.join()
        cursor.close()
    return written
