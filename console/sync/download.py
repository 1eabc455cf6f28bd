"""A space read whole from one snapshot: a first download, a space read again, a space that leaves.

Pulling entry by entry only works from a cursor; a space never pulled, or one whose entries were
pruned while the cache was offline, is read whole instead, and a unit the person may no longer see
leaves the cache with all its tickets' rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, select

from console.errors import ConsoleError
from console.i18n import _
from console.releases import service as releases
from console.store.bulk_load import foreign_key_problems, indexes_deferred, insert_rows, sqlite_bulk_load
from console.store.database import describe
from console.store.replica import replica_writes
from console.sync import copy_down, server
from console.sync.cache_rows import CHUNK, ORDER, in_units, remove_tickets, set_cursor, upsert, where_keys
from console.sync.server import GLOBAL_TABLES, UNIT_TABLES, space_versions
from models import GLOBAL_SPACE, AuditEvent, EntityType, Release, SyncCursor, Ticket, metadata, table_of

BULK_PAGE = 20_000  # rows per insert of a first download


def download(cache: Engine, shared: Engine, space: str, *, bulk: bool = False, replace: bool = False) -> int:
    """Read one space whole, from one snapshot, and set its cursor to that snapshot's version.

    ``bulk``: the cache holds none of these rows yet (its first sync), so they are inserted plainly,
    with the tables' secondary indexes built once at the end rather than row by row.
    ``replace``: rows of the space the snapshot no longer holds leave the cache."""
    tables = GLOBAL_TABLES if space == GLOBAL_SPACE else UNIT_TABLES
    written = 0
    with (
        server.snapshot(shared) as sconn,
        sconn.begin(),
        cache.connect() as conn,
        sqlite_bulk_load(conn) if bulk else nullcontext(),
        conn.begin(),
        replica_writes(conn),
    ):
        version = space_versions(sconn, [space]).get(space, 0)
        held = conn.execute(select(SyncCursor.version).where(SyncCursor.space == space)).scalar()
        if held is not None and held > version:  # a standby further behind than this cache: its cursor stays
            raise ConsoleError(
                _("{where} holds {space} as at version {version}, older than this cache's {held}: not read.").format(
                    where=describe(shared.url), space=space, version=version, held=held
                )
            )
        calendar = space == GLOBAL_SPACE and not bulk  # read again over tickets this cache holds: re-date them
        before = releases.moments(conn, conn.execute(select(Release.id)).scalars()) if calendar else {}
        ordered = sorted(tables, key=lambda s: ORDER[s.table])
        tables_of = [(s, metadata.tables[s.table]) for s in ordered]
        parts = [(t, None if space == GLOBAL_SPACE else in_units(s, t, [space])) for s, t in tables_of]
        if space == GLOBAL_SPACE:  # the history of changes, problems, people and policies (a ticket's is its unit's)
            events = table_of(AuditEvent)
            parts.append((events, events.c.entity_type != EntityType.TICKET))
        with indexes_deferred(conn, [table for table, _ in parts]) if bulk else nullcontext():
            if bulk and sconn.dialect.name == "postgresql":
                written += copy_down.copy_tables(conn, sconn, parts)
            else:
                kept: dict[Table, set[tuple[Any, ...]]] = {}
                for table, where in parts:
                    query = select(table) if where is None else select(table).where(where)
                    keys = [c.name for c in table.primary_key.columns]
                    with sconn.execute(query.execution_options(yield_per=BULK_PAGE if bulk else CHUNK)) as result:
                        for part in result.partitions():
                            rows = [dict(r._mapping) for r in part]
                            (insert_rows if bulk else upsert)(conn, table, rows)
                            if replace:
                                kept.setdefault(table, set()).update(tuple(r[k] for k in keys) for r in rows)
                            written += len(part)
                if replace:
                    written += _remove_all_but(conn, [t for t, where in parts if where is None], kept)
        if calendar:
            releases.retime(conn, before, datetime.now(UTC), conn.execute(select(Release.id)).scalars().all())
        if bulk and (broken := foreign_key_problems(conn)):  # loaded without a lookup per row
            raise ConsoleError(f"The download of {space} refers to rows it does not hold: {broken}")
        set_cursor(conn, space, version)
    return written


def _remove_all_but(conn: Connection, tables: Sequence[Table], kept: dict[Table, set[tuple[Any, ...]]]) -> int:
    """Delete the rows of these (whole) tables whose keys are not kept, children first."""
    removed = 0
    for table in reversed(tables):
        columns = [c.name for c in table.primary_key.columns]
        local = {tuple(r) for r in conn.execute(select(*(table.columns[c] for c in columns)))}
        gone = list(local - kept.get(table, set()))
        for start in range(0, len(gone), CHUNK):
            where = where_keys(table, columns, gone[start : start + CHUNK])
            removed += conn.execute(delete(table).where(where)).rowcount or 0
    return removed


def remove_space(cache: Engine, space: str) -> int:
    """A unit the person may no longer see leaves their cache (tickets with all their rows)."""
    with cache.begin() as conn, replica_writes(conn):
        unit = uuid.UUID(hex=space)
        ids = list(conn.execute(select(Ticket.id).where(Ticket.business_unit_id == unit)).scalars())
        removed = remove_tickets(conn, ids)  # with their history, wherever it was written
        conn.execute(delete(table_of(SyncCursor)).where(SyncCursor.space == space))
    return removed
