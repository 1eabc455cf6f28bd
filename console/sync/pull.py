"""The client's pull: each space the person may see, brought up to date by cursor.

Each space is asked for its change-index entries after the cache's cursor, page by page; each page's
rows are written and the cursor moved in one cache transaction, so a cut connection loses nothing. A
space never pulled before is downloaded whole (``download``); an empty cache starts from its unit's
ready-made cache instead, when there is a usable one (``seeds``). Spaces the person may no longer see
are removed. A release planned, moved or cancelled elsewhere (even by another SQL client) re-dates this
cache's Low tickets in the transaction that brings it (``releases.retime``), so the queue and the charts
follow the calendar at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from console.access import Actor
from console.releases import service as releases
from console.store import derived
from console.store.bulk_load import sqlite_bulk_load
from console.store.replica import replica_writes
from console.sync import server
from console.sync.cache_rows import (
    CHUNK,
    ORDER,
    cursors_of,
    in_units,
    key_values,
    read_rows,
    remove_tickets,
    set_cursor,
    ticket_children,
    upsert,
    where_keys,
)
from console.sync.download import download, remove_space
from console.sync.report import SyncReport
from console.sync.seeds import SeedUnusable, cache_is_empty, part_of, remove, take
from console.sync.server import BY_TABLE, TICKET_CHILDREN
from models import GLOBAL_SPACE, BusinessUnit, ChangeIndexEntry, Ticket, metadata

PAGE = 2_000  # change-index entries per pulled page


def spaces_for(sconn: Connection, actor: Actor) -> list[str]:
    """The spaces a person's cache holds: everything global, and their units (a super-user) or all units."""
    units = actor.units if actor.scoped else set(sconn.execute(select(BusinessUnit.id)).scalars())
    return [GLOBAL_SPACE, *sorted(u.hex for u in units)]


def _still_visible(sconn: Connection, ids: Sequence[uuid.UUID], visible: set[str]) -> set[uuid.UUID]:
    staying: set[uuid.UUID] = set()
    for start in range(0, len(ids), CHUNK):
        found = sconn.execute(
            select(Ticket.id, Ticket.business_unit_id).where(Ticket.id.in_(list(ids[start : start + CHUNK])))
        )
        staying |= {ticket for ticket, unit in found if unit.hex in visible}
    return staying


def pull_space(cache: Engine, shared: Engine, space: str, after: int, visible: set[str] | None = None) -> int:
    """Apply a space's change-index entries after ``after``, a page per cache transaction."""
    written = 0
    while True:
        with shared.connect() as sconn:
            entries = sconn.execute(
                select(ChangeIndexEntry.version, ChangeIndexEntry.table_name, ChangeIndexEntry.entity_key,
                       ChangeIndexEntry.op)
                .where(ChangeIndexEntry.space == space, ChangeIndexEntry.version > after)
                .order_by(ChangeIndexEntry.version)
                .limit(PAGE)
            ).all()  # fmt: skip
            if not entries:
                return written
            latest: dict[tuple[str, str], str] = {}
            for entry in entries:  # the last word on each row in this page
                latest.pop((entry.table_name, entry.entity_key), None)
                latest[(entry.table_name, entry.entity_key)] = entry.op
            upserts: dict[str, list[tuple[Any, ...]]] = {}
            deletes: dict[str, list[tuple[Any, ...]]] = {}
            for (name, key), op in latest.items():
                if name in BY_TABLE:
                    (upserts if op == "upsert" else deletes).setdefault(name, []).append(
                        key_values(BY_TABLE[name], key)
                    )
            staying: set[uuid.UUID] = set()
            if deletes.get("tickets") and visible:  # moved to another unit this cache also holds: it stays
                staying = _still_visible(sconn, [k[0] for k in deletes["tickets"]], visible)
                deletes["tickets"] = [k for k in deletes["tickets"] if k[0] not in staying]
            fetched: dict[str, list[dict[str, Any]]] = {}
            for name, keys in upserts.items():
                synced, table = BY_TABLE[name], metadata.tables[name]
                rows: list[dict[str, Any]] = []
                for start in range(0, len(keys), CHUNK):
                    where = where_keys(table, synced.key, keys[start : start + CHUNK])
                    if space != GLOBAL_SPACE:  # moved meanwhile to a unit this cache does not hold: not ours
                        where = where & in_units(synced, table, visible or {space})
                    rows += read_rows(sconn, table, where)
                fetched[name] = rows
            arriving = [r["id"] for r in fetched.get("tickets", [])]
            with cache.connect() as conn:
                known = _existing(conn, arriving)
            # A ticket that left this unit and came back between two pulls missed what was written
            # about it elsewhere meanwhile: like a newcomer, its rows are read whole.
            away = {
                key_values(BY_TABLE["tickets"], e.entity_key)[0]
                for e in entries
                if e.table_name == "tickets" and e.op == "delete"
            }
            returned = [i for i in arriving if i in known and i in away] + sorted(staying)
            children = ticket_children(sconn, [i for i in arriving if i not in known] + returned)
        with cache.begin() as conn, replica_writes(conn):
            calendar = [k[0] for k in upserts.get("releases", []) + deletes.get("releases", [])]
            before = releases.moments(conn, calendar)  # the releases as this cache had them
            for name in sorted(deletes, key=ORDER.__getitem__, reverse=True):
                keys = deletes[name]
                if name == "tickets":
                    written += remove_tickets(conn, [k[0] for k in keys])
                    continue
                table = metadata.tables[name]
                for start in range(0, len(keys), CHUNK):
                    where = where_keys(table, BY_TABLE[name].key, keys[start : start + CHUNK])
                    written += conn.execute(delete(table).where(where)).rowcount or 0
            for name in sorted(set(fetched) | set(children), key=ORDER.__getitem__):
                rows = fetched.get(name, []) + children.get(name, [])
                if space != GLOBAL_SPACE and name in CHILD_COLUMN:  # a ticket's rows stay only with their ticket
                    rows = _with_their_ticket(conn, name, rows, set(arriving))
                upsert(conn, metadata.tables[name], rows)
                written += len(rows)
            if calendar:  # a release planned, moved or cancelled elsewhere re-dates this cache's tickets
                releases.retime(conn, before, datetime.now(UTC), calendar)
            after = int(entries[-1].version)
            set_cursor(conn, space, after)


CHILD_COLUMN = dict(TICKET_CHILDREN)


def _with_their_ticket(
    conn: Connection, name: str, rows: list[dict[str, Any]], arriving: set[uuid.UUID]
) -> list[dict[str, Any]]:
    """The rows whose ticket is in this cache or arriving with them (one that moved out takes its rows along)."""
    column = CHILD_COLUMN[name]
    present = _existing(conn, {r[column] for r in rows}) | arriving
    return [r for r in rows if r[column] in present]


def _existing(conn: Connection, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        found |= set(conn.execute(select(Ticket.id).where(Ticket.id.in_(ids[start : start + CHUNK]))).scalars())
    return found


def own_conflicts(cache: Engine, shared: Engine, space: str) -> int:
    """A ready-made cache holds no one's conflicts: after taking one, a desk reads those of the unit it may see
    (on PostgreSQL, row-level security: its person's own, the other side's, or all of them for a manager)."""
    synced, table = BY_TABLE["sync_conflicts"], metadata.tables["sync_conflicts"]
    with shared.connect() as sconn, cache.begin() as conn, replica_writes(conn):
        rows = read_rows(sconn, table, in_units(synced, table, [space]))
        upsert(conn, table, rows)
    return len(rows)


def pull(cache: Engine, shared: Engine, actor: Actor, report: SyncReport,
         say: Callable[[str], None] = lambda _what: None, *, seeds: bool = True) -> None:  # fmt: skip
    """Pull every space ``actor`` may see. An empty cache starts from its unit's ready-made cache when there is
    a usable one (``seeds``), and is otherwise downloaded row by row."""
    with shared.connect() as sconn:
        spaces = spaces_for(sconn, actor)
        pruned = server.pruned_versions(sconn)
        codes = {unit.hex: code for unit, code in sconn.execute(select(BusinessUnit.id, BusinessUnit.code))}
    codes[GLOBAL_SPACE] = "people, units, problems and changes"
    with cache.connect() as conn:
        cursors = cursors_of(conn)
    for space in sorted(set(cursors) - set(spaces)):
        report.pulled += remove_space(cache, space)
        report.removed.append(space)
    # Offline for longer than the change index is kept: entries this cache has not seen (tombstones
    # among them) are gone, so its spaces are read again whole. Its edits went out first (push).
    behind = [s for s in spaces if s in cursors and cursors[s] < pruned.get(s, 0)]
    for space in behind:
        report.redownloaded.append(space)
        if space != GLOBAL_SPACE:  # its tickets leave, then come again as in a first download
            report.pulled += remove_space(cache, space)
            del cursors[space]
    if GLOBAL_SPACE in behind:
        say(f"Reading {codes[GLOBAL_SPACE]} again…")
        report.pulled += download(cache, shared, GLOBAL_SPACE, replace=True)
    with cache.connect() as conn:
        first = not cursors and conn.execute(select(Ticket.id).limit(1)).first() is None
        empty = first and seeds and cache_is_empty(conn)
    if not empty:  # a seed that was installed by a run stopped before it removed the download (kill -9)
        remove(part_of(cache))
    if empty:
        try:
            report.seeded = take(cache, shared, spaces, say)
        except SeedUnusable as exc:
            report.notes.append(f"{exc} Downloaded row by row instead.")
        if report.seeded:
            report.pulled += own_conflicts(cache, shared, report.seeded)
            with cache.connect() as conn:
                cursors = cursors_of(conn)
            first = any(space not in cursors for space in spaces)  # another unit still comes row by row
    if first:  # an empty cache: derived structures (rollups, search) are built once, after the download
        with cache.begin() as conn:
            derived.drop(conn)
            conn.exec_driver_sql("PRAGMA user_version = 0")  # cut short, the next start rebuilds them
    for space in spaces:  # global first: the people and units the rest refers to
        if space not in cursors:
            say(f"Downloading {codes.get(space, space)}…")
            report.pulled += download(cache, shared, space, bulk=first)
            if space not in behind:
                report.downloaded.append(space)
        elif space not in behind:
            report.pulled += pull_space(cache, shared, space, cursors[space], set(spaces))
    if first:
        say("Indexing for search and metrics…")
        with cache.connect() as conn, sqlite_bulk_load(conn), conn.begin():
            derived.build(conn)
