"""The client's pull: each space the person may see, brought up to date by cursor.

Each space is asked for its change-index entries after the cache's cursor, page by page; each page's
rows are written and the cursor moved in one cache transaction, so a cut connection loses nothing. A
space never pulled before is downloaded whole (``download``); an empty cache starts from its unit's
ready-made cache instead, when there is a usable one (``seeds``). Spaces the person may no longer see
are removed. A release planned, moved or cancelled elsewhere (even by another SQL client) re-dates this
cache's Low tickets in the transaction that brings it (``releases.retime``), so the queue and the charts
follow the calendar at once.

With a standby for reading (``shared_read_url``), the change index, the rows and the downloads of a space are read
there while the pushes (and their read-backs) stay on the primary. The standby lags: what it holds is the primary as
it was a moment ago. So a pull first reads the primary's own version of each space (one small query), and a space
is read on the standby only once the standby has replayed that far, waiting ``STANDBY_WAIT`` at most; otherwise on
the primary. That version is at least every version the cache has seen: its cursor, the rows a push read back from
the primary just before, a page read on the primary by a pass cut short. So a cursor never goes back, a desk never
sees its own edit undone for a moment, and a desk that switches between the two (a standby set, cleared, stopped,
paused) needs nothing remembered. A standby that cannot be reached, is not a replica of this database, or gives up
a read (a conflict with recovery) is left for the rest of the pass and said so in the report: the primary serves.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, delete, select, text
from sqlalchemy.exc import DBAPIError

from console.access import Actor
from console.i18n import N_, _
from console.releases import service as releases
from console.store import derived
from console.store.bulk_load import sqlite_bulk_load
from console.store.database import describe
from console.store.replica import replica_writes
from console.sync import server
from console.sync.cache_rows import (
    CHUNK,
    ORDER,
    cursors_of,
    forget,
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
from models import GLOBAL_SPACE, BusinessUnit, ChangeIndexEntry, SyncCursor, Ticket, metadata

PAGE = 2_000  # change-index entries per pulled page
STANDBY_WAIT = 0.5  # seconds a pull waits for the standby to replay what the primary held when the pull began
STANDBY_POLL = 0.02  # seconds between two looks at the standby's versions meanwhile
WAITING = N_("Waiting for the standby to catch up…")  # said (through ``say``) while a pull waits for it
T = TypeVar("T")
CLUSTER = text(
    "SELECT (SELECT system_identifier FROM pg_control_system()), "
    "(SELECT oid FROM pg_database WHERE datname = current_database())"
)


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
            _referred_to(cache, sconn, fetched, children)
            unread = _unread(space, upserts, fetched)
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
            if unread:  # rows changed that this person no longer reads (a draft; a problem gone from her units)
                forget(conn, articles=unread.get("knowledge_articles", []), problems=unread.get("problems", []))
                written += sum(len(ids) for ids in unread.values())
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
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("tickets", "problem_id", "problems"),
    ("ticket_articles", "article_id", "knowledge_articles"),
    ("knowledge_articles", "problem_id", "problems"),
    ("change_problems", "problem_id", "problems"),
)
"""Rows of a problem or an article that arriving rows refer to (in the order to look: an article read may refer to
a problem in turn)."""


def _referred_to(
    cache: Engine,
    sconn: Connection,
    fetched: dict[str, list[dict[str, Any]]],
    children: dict[str, list[dict[str, Any]]],
) -> None:
    """Read along the problems and articles the arriving rows refer to that the cache lacks: a super-user reads a
    problem once one of her incidents is linked to it, an article once it is linked to one of her tickets, and the
    link re-versions the ticket, not what it points at — without this, her cache's foreign keys would refuse the
    page, and every pull after it."""
    for name, column, parent in REFERENCES:
        rows = fetched.get(name, []) + children.get(name, [])
        arriving = {r["id"] for r in fetched.get(parent, [])}
        wanted = {r[column] for r in rows if r[column] is not None} - arriving
        if not wanted:
            continue
        table = metadata.tables[parent]
        with cache.connect() as conn:
            held = {i for chunk in _chunks(sorted(wanted, key=str)) for i in conn.execute(
                select(table.c.id).where(table.c.id.in_(chunk))).scalars()}  # fmt: skip
        for chunk in _chunks(sorted(wanted - held, key=str)):
            fetched.setdefault(parent, []).extend(read_rows(sconn, table, table.c.id.in_(chunk)))


Rows = dict[str, list[dict[str, Any]]]
FORGOTTEN = ("knowledge_articles", "problems")
"""Global rows a person may stop reading: changed, they are not read again but taken out of the cache."""


def _unread(space: str, upserts: dict[str, list[tuple[Any, ...]]], fetched: Rows) -> dict[str, list[uuid.UUID]]:
    """The articles and problems that changed but could not be read: the shared database's row policies no longer
    let this person read them (a published article retired, a problem no longer touching her units)."""
    if space != GLOBAL_SPACE:
        return {}
    unread: dict[str, list[uuid.UUID]] = {}
    for name in FORGOTTEN:
        read = {row["id"] for row in fetched.get(name, [])}
        missing = [key[0] for key in upserts.get(name, []) if key[0] not in read]
        if missing:
            unread[name] = missing
    return unread


def _chunks(ids: list[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


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


@dataclass
class Sources:
    """Where one pull reads each space: the primary (the shared database), or the standby for the spaces it has
    replayed far enough (``ready``). A standby that fails a read is left for the rest of the pass, and that read is
    done again on the primary (a space's pages already taken stay: the standby had replayed what they hold)."""

    primary: Engine
    report: SyncReport
    standby: Engine | None = None
    ready: set[str] = field(default_factory=set)

    def engine(self, space: str) -> Engine:
        return self.standby if self.standby is not None and space in self.ready else self.primary

    def read(self, space: str, work: Callable[[Engine], T]) -> T:
        """``work`` with the engine that serves ``space``; again with the primary when the standby gives up."""
        engine = self.engine(space)
        if engine is self.primary:
            return work(engine)
        try:
            return work(engine)
        except Exception as exc:
            if not _lost(exc):
                raise
            self.leave(_("The standby for reading gave up ({reason}); the rest was read from the shared database.")
                       .format(reason=_reason(exc)))  # fmt: skip
        return work(self.primary)

    def leave(self, note: str) -> None:
        self.standby, self.ready = None, set()
        self.report.notes.append(note)


def _lost(exc: Exception) -> bool:
    """The server gave up, not the request: a dropped connection, a read cancelled by a conflict with recovery (a
    standby), a statement timeout. A cache's own error (SQLite), a refusal (a grant) and the code's own are not. A
    download by COPY meets psycopg's own error, the rest SQLAlchemy's wrapping of it."""
    import psycopg  # only once a read failed: a desk on a SQLite file never loads the PostgreSQL driver

    return isinstance(exc.orig if isinstance(exc, DBAPIError) else exc, psycopg.OperationalError)


def _reason(exc: Exception) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


def cluster_of(conn: Connection) -> tuple[int, int]:
    """Which PostgreSQL cluster and database a connection reaches. A physical standby's are its primary's."""
    found = conn.execute(CLUSTER).one()
    return int(found[0]), int(found[1])


def sources(shared: Engine, standby: Engine | None, need: dict[str, int], report: SyncReport,
            say: Callable[[str], None], wait: float | None = None) -> Sources:  # fmt: skip
    """Which spaces the standby may serve: those whose version there is at least ``need`` (the primary's own when
    the pull began), waited for ``wait`` seconds at most (``STANDBY_WAIT``). None of them when it is not a replica
    of the shared database, or cannot be reached or checked (the report says why)."""
    chosen = Sources(shared, report)
    if standby is None:
        return chosen
    where = describe(standby.url)
    deadline = time.monotonic() + (STANDBY_WAIT if wait is None else wait)
    try:
        with shared.connect() as sconn:
            primary = cluster_of(sconn)
        with standby.connect() as rconn:
            if cluster_of(rconn) != primary:
                chosen.leave(_("{standby} is not a standby of the shared database; read from the shared database.")
                             .format(standby=where))  # fmt: skip
                return chosen
            have = server.space_versions(rconn, need)
            told = False
            while (behind := {s for s, v in need.items() if have.get(s, 0) < v}) and time.monotonic() < deadline:
                if not told:
                    say(_(WAITING))
                    told = True
                time.sleep(STANDBY_POLL)
                have = server.space_versions(rconn, need)  # each statement sees what has been replayed by now
    except DBAPIError as exc:  # unreachable, or not to be checked (a server that keeps pg_control_system() to itself)
        chosen.leave(_("The standby for reading {standby} cannot be used ({reason}); read from the shared database.")
                     .format(standby=where, reason=_reason(exc)))  # fmt: skip
        return chosen
    chosen.standby, chosen.ready = standby, set(need) - behind
    return chosen


def _cursor(cache: Engine, space: str) -> int:
    with cache.connect() as conn:
        return int(conn.execute(select(SyncCursor.version).where(SyncCursor.space == space)).scalar_one())


def pull(cache: Engine, shared: Engine, actor: Actor, report: SyncReport,
         say: Callable[[str], None] = lambda _what: None, *, seeds: bool = True, read: Engine | None = None,
         wait: float | None = None) -> None:  # fmt: skip
    """Pull every space ``actor`` may see. An empty cache starts from its unit's ready-made cache when there is
    a usable one (``seeds``), and is otherwise downloaded row by row. ``read``: a standby of ``shared`` that serves
    the spaces it has replayed far enough (waited for ``wait`` seconds at most, ``STANDBY_WAIT`` unless given); the
    primary serves the others."""
    with shared.connect() as sconn:
        spaces = spaces_for(sconn, actor)
        pruned = server.pruned_versions(sconn)
        codes = {unit.hex: code for unit, code in sconn.execute(select(BusinessUnit.id, BusinessUnit.code))}
        latest = server.space_versions(sconn, spaces) if read is not None else {}
    codes[GLOBAL_SPACE] = "people, units, problems and changes"
    with cache.connect() as conn:
        cursors = cursors_of(conn)
    need = {space: max(latest.get(space, 0), cursors.get(space, 0)) for space in spaces}
    source = sources(shared, read, need, report, say, wait)
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
        report.pulled += source.read(GLOBAL_SPACE, partial(download, cache, space=GLOBAL_SPACE, replace=True))
    with cache.connect() as conn:
        first = not cursors and conn.execute(select(Ticket.id).limit(1)).first() is None
        empty = first and seeds and cache_is_empty(conn)
    if not empty:  # a seed that was installed by a run stopped before it removed the download (kill -9)
        remove(part_of(cache))
    if empty:
        try:
            report.seeded = source.read(GLOBAL_SPACE, partial(take, cache, spaces=spaces, say=say))
        except SeedUnusable as exc:
            report.notes.append(f"{exc} Downloaded row by row instead.")
        if report.seeded:
            report.pulled += source.read(report.seeded, partial(own_conflicts, cache, space=report.seeded))
            if not actor.scoped:  # a seed holds what its unit's super-users read of the rest: this desk reads more
                say(f"Reading {codes[GLOBAL_SPACE]}…")
                report.pulled += source.read(GLOBAL_SPACE, partial(download, cache, space=GLOBAL_SPACE, replace=True))
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
            report.pulled += source.read(space, partial(download, cache, space=space, bulk=first))
            if space not in behind:
                report.downloaded.append(space)
        elif space not in behind:
            visible = set(spaces)
            report.pulled += source.read(space, partial(_pull_on, cache, space=space, visible=visible))
    if first:
        say("Indexing for search and metrics…")
        with cache.connect() as conn, sqlite_bulk_load(conn), conn.begin():
            derived.build(conn)


def _pull_on(cache: Engine, shared: Engine, *, space: str, visible: set[str]) -> int:
    """A space pulled from wherever its cursor stands now (a standby that gave up may have moved it)."""
    return pull_space(cache, shared, space, _cursor(cache, space), visible)
