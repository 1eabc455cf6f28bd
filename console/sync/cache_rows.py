"""Rows of the shared database written into the cache, shared by the push, the pull and the downloads.

The cache is a replica: a row arrives by key and replaces what was there, a ticket comes and goes with
every row that belongs to it, and an entity whose edit did not stand is read back whole. One place for
these rules keeps the three ways in agreement about what a cache holds; the cursors say how far each
space has been read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from console.changes.freezes import FREEZE_KEY
from console.releases import service as releases
from console.store.replica import replica_writes
from console.sync.server import TICKET_CHILDREN, Synced
from models import (
    GLOBAL_SPACE,
    ApproverDelegation,
    AuditEvent,
    DeploymentInfo,
    EntityType,
    Release,
    SyncCursor,
    Ticket,
    metadata,
    table_of,
)

CHUNK = 500  # keys per IN (...) list
ORDER = {t.name: i for i, t in enumerate(metadata.sorted_tables)}  # parents before children


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write rows by primary key: a row the cache holds already is replaced, so a repeated pull is harmless.

    A row the cache holds has only its changed columns written: SQLite rewrites every index and fires every
    ``UPDATE OF`` trigger of each column a statement sets, and a ticket has some thirty indexes and its search
    entry, so setting every column of 4,000 tickets whose vendor reference changed takes seconds where setting
    that one column takes a tenth of one."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    others = [c.name for c in table.columns if c.name not in keys]
    rows = list({tuple(r[k] for k in keys): r for r in rows}.values())  # a key twice: the last one stands
    held = _held(conn, table, keys, rows) if others else {}
    arriving: list[dict[str, Any]] = []
    changed: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        before = held.get(tuple(row[k] for k in keys))
        if before is None:
            arriving.append(row)
            continue
        columns = tuple(c for c in others if not _same(row[c], before[c]))
        if columns:
            changed.setdefault(columns, []).append(row)
    statement = sqlite_insert(table)
    statement = (
        statement.on_conflict_do_update(index_elements=keys, set_={c: statement.excluded[c] for c in others})
        if others
        else statement.on_conflict_do_nothing(index_elements=keys)
    )
    for start in range(0, len(arriving), CHUNK):
        conn.execute(statement, arriving[start : start + CHUNK])
    for columns, group in changed.items():
        where = [table.c[k] == bindparam(f"key_{k}") for k in keys]
        setting = update(table).where(*where).values({c: bindparam(f"set_{c}") for c in columns})
        conn.execute(setting, [{**{f"key_{k}": r[k] for k in keys}, **{f"set_{c}": r[c] for c in columns}}
                               for r in group])  # fmt: skip


def _held(
    conn: Connection, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]
) -> dict[tuple[Any, ...], Any]:
    """The rows the cache holds already with these rows' keys, by key."""
    wanted = [tuple(r[k] for k in keys) for r in rows]
    held: dict[tuple[Any, ...], Any] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        for row in conn.execute(select(table).where(where_keys(table, keys, part))):
            held[tuple(getattr(row, k) for k in keys)] = row._mapping
    return held


def _same(new: Any, old: Any) -> bool:
    """The same value, of the same type (1 and 1.0 or True are stored differently)."""
    return type(new) is type(old) and bool(new == old)


def key_values(synced: Synced, key: str) -> tuple[Any, ...]:
    """A change-index entry's key (``a|b`` text) as the values of the table's key columns."""
    table = metadata.tables[synced.table]
    out = []
    for column, text in zip(synced.key, key.split("|"), strict=True):
        out.append(uuid.UUID(hex=text) if table.columns[column].type.python_type is uuid.UUID else text)
    return tuple(out)


def where_keys(table: Table, columns: Sequence[str], keys: Sequence[tuple[Any, ...]]) -> Any:
    """The rows of ``table`` with these keys (one column or several)."""
    if len(columns) == 1:
        return table.columns[columns[0]].in_([k[0] for k in keys])
    return tuple_(*(table.columns[c] for c in columns)).in_(keys)


def read_rows(sconn: Connection, table: Table, where: Any) -> list[dict[str, Any]]:
    """The rows of ``table`` that match ``where``, as dicts ready for ``upsert``."""
    return [dict(r._mapping) for r in sconn.execute(select(table).where(where))]


def remove_tickets(conn: Connection, ids: Sequence[uuid.UUID]) -> int:
    """Tickets leave the cache with everything that belongs to them."""
    removed = 0
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start : start + CHUNK])
        for name, column in TICKET_CHILDREN:
            table = metadata.tables[name]
            removed += conn.execute(delete(table).where(table.columns[column].in_(part))).rowcount or 0
        removed += conn.execute(delete(table_of(Ticket)).where(Ticket.id.in_(part))).rowcount or 0
    return removed


def ticket_children(sconn: Connection, ticket_ids: Sequence[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    """Every row that belongs to these tickets, by table: what comes with a ticket that arrives."""
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ticket_ids), CHUNK):
        part = list(ticket_ids[start : start + CHUNK])
        for name, column in TICKET_CHILDREN:
            table = metadata.tables[name]
            found.setdefault(name, []).extend(read_rows(sconn, table, table.columns[column].in_(part)))
    return found


def in_units(synced: Synced, table: Table, spaces: Iterable[str]) -> Any:
    """Rows of ``table`` that belong to these unit spaces now. A ticket's rows (its history included)
    belong where the ticket is now, whichever unit they were written in."""
    units = [uuid.UUID(hex=space) for space in spaces if space != GLOBAL_SPACE]
    kind, _, column = synced.space.partition(":")
    tickets_there = select(Ticket.id).where(Ticket.business_unit_id.in_(units))
    if kind == "column":
        return table.columns[column].in_(units)
    if kind == "ticket":
        return table.columns[column].in_(tickets_there)
    return (table.c.entity_type == "ticket") & table.c.entity_id.in_(tickets_there)


CHANGE_ROWS = ("change_modules", "change_business_units", "change_problems", "change_approvals")


def read_back(cache: Engine, shared: Engine, table_name: str, entity_id: uuid.UUID) -> None:
    """Make the cache hold exactly what the shared database holds for one ticket, change, problem, article or
    release (and its rows)."""
    with shared.connect() as sconn, cache.begin() as conn, replica_writes(conn):
        if table_name == "tickets":
            row = read_rows(sconn, table_of(Ticket), Ticket.id == entity_id)
            remove_tickets(conn, [entity_id])
            if row:
                upsert(conn, table_of(Ticket), row)
                for name, rows in ticket_children(sconn, [entity_id]).items():
                    upsert(conn, metadata.tables[name], rows)
            return
        events = table_of(AuditEvent)
        if table_name == "releases":  # the calendar is small: all of it, and the tickets it re-dates here
            _read_back_releases(conn, sconn, entity_id)
            return
        if table_name == "users":  # a person's settings: their delegations, the freeze lengths, their events
            delegations, info = table_of(ApproverDelegation), table_of(DeploymentInfo)
            for table, where in (
                (delegations, delegations.c.approver_id == entity_id),
                (info, info.c.key == FREEZE_KEY),
                (events, events.c.entity_id == entity_id),
            ):
                conn.execute(delete(table).where(where))
                upsert(conn, table, read_rows(sconn, table, where))
            return
        linked: tuple[tuple[str, str], ...] = ()  # a problem: its own row and events
        if table_name == "change_requests":
            linked = tuple((name, "change_id") for name in CHANGE_ROWS)
        elif table_name == "knowledge_articles":
            linked = (("article_versions", "article_id"), ("article_feedback", "article_id"))
        table = metadata.tables[table_name]
        for name, key in linked:
            child = metadata.tables[name]
            conn.execute(delete(child).where(child.c[key] == entity_id))
        conn.execute(delete(events).where(events.c.entity_id == entity_id))
        row = read_rows(sconn, table, table.c.id == entity_id)
        if row:  # replaced where it is held, not deleted first: what points at it (an article's tickets) stays
            upsert(conn, table, row)
        else:
            conn.execute(delete(table).where(table.c.id == entity_id))
        for name, key in linked:
            child = metadata.tables[name]
            upsert(conn, child, read_rows(sconn, child, child.c[key] == entity_id))
        upsert(conn, events, read_rows(sconn, events, events.c.entity_id == entity_id))


def _read_back_releases(conn: Connection, sconn: Connection, entity_id: uuid.UUID) -> None:
    table, events = table_of(Release), table_of(AuditEvent)
    mine = set(conn.execute(select(Release.id)).scalars())
    theirs = read_rows(sconn, table, table.c.id.is_not(None))
    before = releases.moments(conn, mine)
    ids = mine | {r["id"] for r in theirs} | {entity_id}
    about = (events.c.entity_type == EntityType.POLICY) & events.c.entity_id.in_(ids)
    conn.execute(delete(events).where(about))
    conn.execute(delete(table))
    upsert(conn, table, theirs)
    upsert(conn, events, read_rows(sconn, events, about))
    releases.retime(conn, before, datetime.now(UTC), ids)


def set_cursor(conn: Connection, space: str, version: int) -> None:
    """Note that the cache holds a space up to ``version``, in the transaction that wrote its rows."""
    cursors = table_of(SyncCursor)
    conn.execute(delete(cursors).where(cursors.c.space == space))
    conn.execute(insert(cursors), [{"space": space, "version": version}])


def cursors_of(conn: Connection) -> dict[str, int]:
    """How far a cache has pulled each space."""
    return {space: int(version) for space, version in conn.execute(select(SyncCursor.space, SyncCursor.version))}


def forget(conn: Connection, *, articles: Any = (), problems: Any = ()) -> None:
    """Take articles and problems (ids, or a select of them) out of a cache, with what is only theirs: an
    article's versions, votes and history; a problem's fixes and history. For what its person no longer reads (a
    draft she read while it was published; a problem that stopped touching her units) and what a unit's seed
    leaves out. What still points at them (her tickets) is what she reads, so nothing else refers to them."""
    events = table_of(AuditEvent)
    versions, votes = metadata.tables["article_versions"], metadata.tables["article_feedback"]
    for table in (versions, votes):
        conn.execute(delete(table).where(table.c.article_id.in_(articles)))
    articles_table, problems_table = metadata.tables["knowledge_articles"], metadata.tables["problems"]
    conn.execute(delete(events).where(events.c.entity_type == EntityType.ARTICLE, events.c.entity_id.in_(articles)))
    conn.execute(delete(articles_table).where(articles_table.c.id.in_(articles)))
    fixes = metadata.tables["change_problems"]
    conn.execute(delete(fixes).where(fixes.c.problem_id.in_(problems)))
    conn.execute(delete(events).where(events.c.entity_type == EntityType.PROBLEM, events.c.entity_id.in_(problems)))
    conn.execute(delete(problems_table).where(problems_table.c.id.in_(problems)))
