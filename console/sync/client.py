"""The client's side of sync: the outbox, push, pull by cursor, and one whole pass.

- ``record`` appends an intent to the outbox in the transaction that applied it to the cache.
- ``push`` sends the outbox in order. Each intent is applied on the shared database in its own
  transaction (``push.apply_remote``); only then is its outbox entry deleted, in the cache
  transaction that takes in the answer. A crash in between re-sends it, and the shared database
  answers from ``client_mutations``: nothing is applied twice. A rejected or conflicting intent is
  kept as a notice for the person and the entity is read back from the shared database, so the
  cache holds what the shared database holds; the next intent goes on.
- ``pull`` asks each space the person may see for the change-index entries after the cache's
  cursor, page by page; each page's rows are written and the cursor moved in one cache
  transaction. A space never pulled before is downloaded whole, from one consistent snapshot; an
  empty cache starts from its unit's ready-made cache instead, when there is a usable one (``seeds``).
  Spaces the person may no longer see are removed from the cache. A release planned, moved or
  cancelled elsewhere (even by another SQL client) re-dates this cache's Low tickets in the transaction
  that brings it (``releases.retime``), so the queue and the charts follow the calendar at once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from console.access import Actor, load_actor
from console.changes.service import FREEZE_KEY
from console.errors import ConsoleError, DatabaseUnavailable
from console.journal import codec, outbox
from console.journal.intents import AnyIntent
from console.journal.outbox import OUTBOX
from console.releases import service as releases
from console.store import derived
from console.store.bulk_load import foreign_key_problems, indexes_deferred, insert_rows, sqlite_bulk_load
from console.store.database import describe, in_transaction, make_engine, unavailable_message
from console.store.workspace import Workspace
from console.sync import copy_down, push, server
from console.sync.conflicts import unseen_notices
from console.sync.replica import replica_writes
from console.sync.seeds import SeedUnusable, cache_is_empty, take
from console.sync.server import BY_TABLE, GLOBAL_TABLES, TICKET_CHILDREN, UNIT_TABLES, Synced, space_versions
from models import (
    GLOBAL_SPACE,
    ApproverDelegation,
    AuditEvent,
    BusinessUnit,
    ChangeIndexEntry,
    DeploymentInfo,
    EntityType,
    Release,
    SyncConflict,
    SyncCursor,
    SyncNotice,
    Ticket,
    User,
    metadata,
    new_id,
    table_of,
)

PUSHING, PULLING = "Pushing…", "Pulling…"  # the steps of every pass; downloads and indexing are the long ones
PAGE = 2_000  # change-index entries per pulled page
BULK_PAGE = 20_000  # rows per insert of a first download
CHUNK = 500  # keys per IN (...) list
ORDER = {t.name: i for i, t in enumerate(metadata.sorted_tables)}  # parents before children


@dataclass
class SyncReport:
    pushed: int = 0
    conflicts: int = 0
    rejected: list[str] = field(default_factory=list)
    pulled: int = 0  # rows written or removed in the cache
    downloaded: list[str] = field(default_factory=list)  # spaces read whole
    removed: list[str] = field(default_factory=list)  # spaces no longer visible
    redownloaded: list[str] = field(default_factory=list)  # spaces read again: offline too long
    seeded: str | None = None  # the unit space whose ready-made cache an empty cache started from
    notes: list[str] = field(default_factory=list)  # what a person should know (a ready-made cache unusable)
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"pushed {self.pushed}", f"pulled {self.pulled:,} rows"]
        if self.conflicts:
            parts.append(f"{self.conflicts} conflicts to resolve")
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected")
        if self.seeded:
            parts.append("started from a ready-made cache")
        if self.downloaded:
            parts.append(f"downloaded {len(self.downloaded)} spaces")
        if self.redownloaded:
            parts.append(f"read {len(self.redownloaded)} spaces again (offline longer than changes are kept)")
        if self.removed:
            parts.append(f"removed {len(self.removed)} spaces no longer yours")
        return ". ".join([", ".join(parts) + f" in {self.seconds:.1f} s", *self.notes])


# ---- push ---------------------------------------------------------------------------------------------------


def push_outbox(cache: Engine, shared: Engine, client_id: str, report: SyncReport) -> None:
    """Send the outbox in order; stop at the first connection failure (the rest waits for the next pass)."""
    actors: dict[str, Actor] = {}
    while True:
        with cache.connect() as conn:
            entry = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq).limit(1)).first()
        if entry is None:
            return
        intent = codec.loads(entry.kind, entry.payload)

        def apply(sconn: Connection, entry: Any = entry, intent: AnyIntent = intent) -> push.Outcome:
            if entry.login not in actors:
                actors[entry.login] = load_actor(sconn, entry.login)
            return push.apply_remote(sconn, actors[entry.login], client_id, intent, entry.created_at)

        outcome = in_transaction(shared, apply)
        with cache.begin() as conn:
            conn.execute(delete(OUTBOX).where(OUTBOX.c.seq == entry.seq))
            if outcome.outcome != push.APPLIED:
                conn.execute(
                    insert(table_of(SyncNotice)),
                    [{"id": new_id(), "mutation_id": intent.mutation_id, "kind": outcome.outcome,
                      "summary": outcome.reason or outcome.outcome, "created_at": datetime.now(UTC), "seen_at": None}],
                )  # fmt: skip
        if outcome.entity is not None:
            read_back(cache, shared, *outcome.entity)
        report.pushed += 1
        if outcome.outcome == push.CONFLICT:
            report.conflicts += 1
        elif outcome.outcome == push.REJECTED:
            report.rejected.append(outcome.reason or "rejected")


# ---- writing rows into the cache -------------------------------------------------------------------------------


def _upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    statement = sqlite_insert(table)
    others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    statement = (
        statement.on_conflict_do_update(index_elements=keys, set_=others)
        if others
        else statement.on_conflict_do_nothing(index_elements=keys)
    )
    for start in range(0, len(rows), CHUNK):
        conn.execute(statement, list(rows[start : start + CHUNK]))


def _key_values(synced: Synced, key: str) -> tuple[Any, ...]:
    table = metadata.tables[synced.table]
    out = []
    for column, text in zip(synced.key, key.split("|"), strict=True):
        out.append(uuid.UUID(hex=text) if table.columns[column].type.python_type is uuid.UUID else text)
    return tuple(out)


def _where_keys(table: Table, columns: Sequence[str], keys: Sequence[tuple[Any, ...]]) -> Any:
    if len(columns) == 1:
        return table.columns[columns[0]].in_([k[0] for k in keys])
    return tuple_(*(table.columns[c] for c in columns)).in_(keys)


def _rows(sconn: Connection, table: Table, where: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in sconn.execute(select(table).where(where))]


def _remove_tickets(conn: Connection, ids: Sequence[uuid.UUID]) -> int:
    """Tickets leave the cache with everything that belongs to them."""
    removed = 0
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start : start + CHUNK])
        for name, column in TICKET_CHILDREN:
            table = metadata.tables[name]
            removed += conn.execute(delete(table).where(table.columns[column].in_(part))).rowcount or 0
        removed += conn.execute(delete(table_of(Ticket)).where(Ticket.id.in_(part))).rowcount or 0
    return removed


def _ticket_children(sconn: Connection, ticket_ids: Sequence[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ticket_ids), CHUNK):
        part = list(ticket_ids[start : start + CHUNK])
        for name, column in TICKET_CHILDREN:
            table = metadata.tables[name]
            found.setdefault(name, []).extend(_rows(sconn, table, table.columns[column].in_(part)))
    return found


def read_back(cache: Engine, shared: Engine, table_name: str, entity_id: uuid.UUID) -> None:
    """Make the cache hold exactly what the shared database holds for one ticket, change or release (and its
    rows)."""
    with shared.connect() as sconn, cache.begin() as conn, replica_writes(conn):
        if table_name == "tickets":
            row = _rows(sconn, table_of(Ticket), Ticket.id == entity_id)
            _remove_tickets(conn, [entity_id])
            if row:
                _upsert(conn, table_of(Ticket), row)
                for name, rows in _ticket_children(sconn, [entity_id]).items():
                    _upsert(conn, metadata.tables[name], rows)
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
                _upsert(conn, table, _rows(sconn, table, where))
            return
        linked = ("change_modules", "change_business_units", "change_problems", "change_approvals")
        table = metadata.tables[table_name]
        for name in linked:
            child = metadata.tables[name]
            conn.execute(delete(child).where(child.c.change_id == entity_id))
        conn.execute(delete(events).where(events.c.entity_id == entity_id))
        conn.execute(delete(table).where(table.c.id == entity_id))
        _upsert(conn, table, _rows(sconn, table, table.c.id == entity_id))
        for name in linked:
            child = metadata.tables[name]
            _upsert(conn, child, _rows(sconn, child, child.c.change_id == entity_id))
        _upsert(conn, events, _rows(sconn, events, events.c.entity_id == entity_id))


def _read_back_releases(conn: Connection, sconn: Connection, entity_id: uuid.UUID) -> None:
    table, events = table_of(Release), table_of(AuditEvent)
    mine = set(conn.execute(select(Release.id)).scalars())
    theirs = _rows(sconn, table, table.c.id.is_not(None))
    before = releases.moments(conn, mine)
    ids = mine | {r["id"] for r in theirs} | {entity_id}
    about = (events.c.entity_type == EntityType.POLICY) & events.c.entity_id.in_(ids)
    conn.execute(delete(events).where(about))
    conn.execute(delete(table))
    _upsert(conn, table, theirs)
    _upsert(conn, events, _rows(sconn, events, about))
    releases.retime(conn, before, datetime.now(UTC), ids)


# ---- pull -------------------------------------------------------------------------------------------------------


def spaces_for(sconn: Connection, actor: Actor) -> list[str]:
    """The spaces a person's cache holds: everything global, and their units (a super-user) or all units."""
    units = actor.units if actor.scoped else set(sconn.execute(select(BusinessUnit.id)).scalars())
    return [GLOBAL_SPACE, *sorted(u.hex for u in units)]


def _in_units(synced: Synced, table: Table, spaces: Iterable[str]) -> Any:
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
        calendar = space == GLOBAL_SPACE and not bulk  # read again over tickets this cache holds: re-date them
        before = releases.moments(conn, conn.execute(select(Release.id)).scalars()) if calendar else {}
        ordered = sorted(tables, key=lambda s: ORDER[s.table])
        tables_of = [(s, metadata.tables[s.table]) for s in ordered]
        parts = [(t, None if space == GLOBAL_SPACE else _in_units(s, t, [space])) for s, t in tables_of]
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
                            (insert_rows if bulk else _upsert)(conn, table, rows)
                            if replace:
                                kept.setdefault(table, set()).update(tuple(r[k] for k in keys) for r in rows)
                            written += len(part)
                if replace:
                    written += _remove_all_but(conn, [t for t, where in parts if where is None], kept)
        if calendar:
            releases.retime(conn, before, datetime.now(UTC), conn.execute(select(Release.id)).scalars().all())
        if bulk and (broken := foreign_key_problems(conn)):  # loaded without a lookup per row
            raise ConsoleError(f"The download of {space} refers to rows it does not hold: {broken}")
        _set_cursor(conn, space, version)
    return written


def _remove_all_but(conn: Connection, tables: Sequence[Table], kept: dict[Table, set[tuple[Any, ...]]]) -> int:
    """Delete the rows of these (whole) tables whose keys are not kept, children first."""
    removed = 0
    for table in reversed(tables):
        columns = [c.name for c in table.primary_key.columns]
        local = {tuple(r) for r in conn.execute(select(*(table.columns[c] for c in columns)))}
        gone = list(local - kept.get(table, set()))
        for start in range(0, len(gone), CHUNK):
            where = _where_keys(table, columns, gone[start : start + CHUNK])
            removed += conn.execute(delete(table).where(where)).rowcount or 0
    return removed


def _set_cursor(conn: Connection, space: str, version: int) -> None:
    cursors = table_of(SyncCursor)
    conn.execute(delete(cursors).where(cursors.c.space == space))
    conn.execute(insert(cursors), [{"space": space, "version": version}])


def remove_space(cache: Engine, space: str) -> int:
    """A unit the person may no longer see leaves their cache (tickets with all their rows)."""
    with cache.begin() as conn, replica_writes(conn):
        unit = uuid.UUID(hex=space)
        ids = list(conn.execute(select(Ticket.id).where(Ticket.business_unit_id == unit)).scalars())
        removed = _remove_tickets(conn, ids)  # with their history, wherever it was written
        conn.execute(delete(table_of(SyncCursor)).where(SyncCursor.space == space))
    return removed


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
                        _key_values(BY_TABLE[name], key)
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
                    where = _where_keys(table, synced.key, keys[start : start + CHUNK])
                    if space != GLOBAL_SPACE:  # moved meanwhile to a unit this cache does not hold: not ours
                        where = where & _in_units(synced, table, visible or {space})
                    rows += _rows(sconn, table, where)
                fetched[name] = rows
            arriving = [r["id"] for r in fetched.get("tickets", [])]
            with cache.connect() as conn:
                known = _existing(conn, arriving)
            # A ticket that left this unit and came back between two pulls missed what was written
            # about it elsewhere meanwhile: like a newcomer, its rows are read whole.
            away = {
                _key_values(BY_TABLE["tickets"], e.entity_key)[0]
                for e in entries
                if e.table_name == "tickets" and e.op == "delete"
            }
            returned = [i for i in arriving if i in known and i in away] + sorted(staying)
            children = _ticket_children(sconn, [i for i in arriving if i not in known] + returned)
        with cache.begin() as conn, replica_writes(conn):
            calendar = [k[0] for k in upserts.get("releases", []) + deletes.get("releases", [])]
            before = releases.moments(conn, calendar)  # the releases as this cache had them
            for name in sorted(deletes, key=ORDER.__getitem__, reverse=True):
                keys = deletes[name]
                if name == "tickets":
                    written += _remove_tickets(conn, [k[0] for k in keys])
                    continue
                table = metadata.tables[name]
                for start in range(0, len(keys), CHUNK):
                    where = _where_keys(table, BY_TABLE[name].key, keys[start : start + CHUNK])
                    written += conn.execute(delete(table).where(where)).rowcount or 0
            for name in sorted(set(fetched) | set(children), key=ORDER.__getitem__):
                rows = fetched.get(name, []) + children.get(name, [])
                if space != GLOBAL_SPACE and name in CHILD_COLUMN:  # a ticket's rows stay only with their ticket
                    rows = _with_their_ticket(conn, name, rows, set(arriving))
                _upsert(conn, metadata.tables[name], rows)
                written += len(rows)
            if calendar:  # a release planned, moved or cancelled elsewhere re-dates this cache's tickets
                releases.retime(conn, before, datetime.now(UTC), calendar)
            after = int(entries[-1].version)
            _set_cursor(conn, space, after)


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
        rows = _rows(sconn, table, _in_units(synced, table, [space]))
        _upsert(conn, table, rows)
    return len(rows)


def cursors_of(conn: Connection) -> dict[str, int]:
    """How far a cache has pulled each space."""
    return {space: int(version) for space, version in conn.execute(select(SyncCursor.space, SyncCursor.version))}


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


def sync_once(cache: Engine, shared: Engine, login: str, client_id: str,
              progress: Callable[[str], None] | None = None) -> SyncReport:  # fmt: skip
    """Push the outbox, then pull every space this person may see."""
    started = time.perf_counter()
    report = SyncReport()
    say = progress or (lambda _what: None)
    say(PUSHING)
    push_outbox(cache, shared, client_id, report)
    with shared.connect() as sconn:
        actor = load_actor(sconn, login)
    say(PULLING)
    pull(cache, shared, actor, report, say)
    report.seconds = time.perf_counter() - started
    return report


def sync_workspace(workspace: Workspace, progress: Callable[[str], None] | None = None) -> SyncReport:
    """One sync pass of a workspace with its shared database (password from the keyring)."""
    login = workspace.settings.get("user")
    if not login:
        raise ConsoleError("This workspace has no user yet; `support-console connect` sets one.")
    shared, _ = workspace.open_shared()
    try:
        with shared.connect() as conn:
            server.require_installed(conn, describe(shared.url))
        return sync_once(workspace.cache(), shared, str(login), workspace.client_id, progress)
    finally:
        shared.dispose()


def download_if_empty(workspace: Workspace, progress: Callable[[str], None] | None = None) -> SyncReport | None:
    """A desk connected to a shared database whose cache holds nothing yet downloads its data first (the
    window cannot open on a cache without its people). None when there is nothing to do."""
    if not workspace.settings.get("shared_url") or not workspace.settings.get("user"):
        return None
    with workspace.cache().connect() as conn:
        if conn.execute(select(User.id).limit(1)).first() is not None:
            return None
    try:
        return sync_workspace(workspace, progress)
    except (OperationalError, DatabaseUnavailable) as exc:
        reason = (
            str(exc)
            if isinstance(exc, DatabaseUnavailable)
            else unavailable_message(make_engine(workspace.shared_url()), exc)
        )
        raise ConsoleError(
            f"This desk has not downloaded its data yet, and the shared database cannot be reached. "
            f"{reason.rstrip('.')}. Check File → Shared database…; the download starts once it connects."
        ) from exc


@dataclass(frozen=True)
class SyncState:
    """What the window's status bar shows after a sync attempt."""

    at: datetime
    online: bool
    message: str  # what sync did, or why it could not reach the shared database
    pending: int  # intents not yet answered
    conflicts: int  # open conflicts in this cache
    rejected: tuple[str, ...] = ()
    pulled: int = 0  # rows the pull wrote or removed: the views read again when there were any
    refused: int = 0  # edits the shared database refused, not yet dismissed by the person


def sync_and_tell(workspace: Workspace, progress: Callable[[str], None] | None = None) -> SyncState:
    """One sync pass for the window: an unreachable server is a state to show, not an error."""
    online, pulled = True, 0
    rejected: tuple[str, ...] = ()
    try:
        report = sync_workspace(workspace, progress)
        message, pulled = report.summary(), report.pulled
        rejected = tuple(report.rejected)
    except OperationalError as exc:
        online, message = False, unavailable_message(make_engine(workspace.shared_url()), exc)
    except ConsoleError as exc:
        online, message = False, str(exc)
    with workspace.cache().connect() as conn:
        waiting = outbox.pending(conn)
        open_conflicts = conn.execute(
            select(func.count()).select_from(SyncConflict).where(SyncConflict.resolved_at.is_(None))
        ).scalar_one()
        refused = len(unseen_notices(conn))
    return SyncState(datetime.now(UTC), online, message, waiting, int(open_conflicts), rejected, pulled, refused)
