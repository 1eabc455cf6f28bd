"""Building the ready-made caches ("seeds") of ``admin seed``: for each business unit, the cache a first
sync by one of its super-users would leave, checked, compressed and stored in the shared database.

An administrator's job, apart from a desk's: it runs the client's own first sync (``pull.pull``) into
a file of its own, so a seed holds exactly what a desk would have downloaded row by row. What a seed
is, and how a new desk takes one, is ``console.sync.seeds``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from console.access import Actor
from console.errors import ConsoleError
from console.knowledge.lists import readable
from console.problems.lists import in_scope
from console.store.database import describe, sqlite_pragma
from console.store.replica import replica_writes
from console.store.workspace import open_cache_file
from console.sync import roles, server
from console.sync.cache_rows import cursors_of, forget
from console.sync.pull import pull  # the client's own first sync writes the seed
from console.sync.report import SyncReport
from console.sync.seeds import SCHEMA, Say, remove
from models import (
    GLOBAL_SPACE,
    BusinessUnit,
    CacheSeed,
    CacheSeedChunk,
    KnowledgeArticle,
    Problem,
    Role,
    SyncConflict,
    Ticket,
    table_of,
)

PIECE = 8 << 20  # bytes of the file per stored piece
LEVEL = 1  # zlib: about a quarter of the size, at a few hundred MB/s each way


@dataclass(frozen=True)
class Built:
    unit: str  # the unit's code
    tickets: int
    size: int  # bytes of the SQLite file
    stored: int  # bytes stored, compressed
    seconds: float


def build(shared: Engine, code: str, workdir: Path, say: Say = lambda _what: None) -> Built:
    """Build the seed of the unit ``code`` in ``workdir`` and store it in the shared database, in place of
    the unit's previous seed (a desk downloading that one meanwhile still reads it whole)."""
    started = time.perf_counter()
    with shared.connect() as sconn:
        server.require_installed(sconn, describe(shared.url))
        roles.require_row_security(sconn, "cache_seeds")
        unit = sconn.execute(select(BusinessUnit.id).where(BusinessUnit.code == code.upper())).scalar()
    if unit is None:
        raise ConsoleError(f"No business unit {code.upper()} in {describe(shared.url)}.")
    path = workdir / f"seed-{unit.hex}.sqlite3"
    remove(path)
    cache, _ = open_cache_file(path)
    try:
        builder = Actor(uuid.UUID(int=0), "admin seed", "admin seed", Role.SUPER_USER, frozenset({unit}))
        pull(cache, shared, builder, SyncReport(), say, seeds=False)
        with cache.begin() as conn, replica_writes(conn):  # a conflict is its people's, not the whole unit's:
            conn.execute(delete(table_of(SyncConflict)))  # each desk reads its own after taking the seed
            unread(conn, builder)
        say(f"Checking the cache of {code.upper()}…")
        with cache.connect() as conn:
            check = sqlite_pragma(conn, "PRAGMA integrity_check")
            if check != "ok":
                raise ConsoleError(f"The cache built for {code.upper()} is damaged ({check}); nothing was stored.")
            cursors = cursors_of(conn)
            tickets = int(conn.execute(select(func.count()).select_from(Ticket)).scalar_one())
            conn.rollback()  # nothing was written; the pragmas below run outside any transaction
            sqlite_pragma(conn, "PRAGMA wal_checkpoint(TRUNCATE)")
            sqlite_pragma(conn, "PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        cache.dispose()
    try:
        say(f"Storing the cache of {code.upper()}…")
        stored = _store(shared, unit, path, cursors, tickets)
    finally:
        remove(path)
    return Built(code.upper(), tickets, stored[0], stored[1], time.perf_counter() - started)


def unread(conn: Connection, actor: Actor) -> None:
    """Out of a seed, what its unit's super-users do not read (the shared database's policies, as the desk's lists
    apply them: ``knowledge.lists.readable``, ``problems.lists.in_scope``): the articles neither published nor
    linked to one of the unit's tickets, the problems not touching the unit, with their texts, votes, fixes and
    history. The administrator's connection that builds the seed reads everything; a desk that reads more than a
    super-user reads the rest itself after taking the seed (``pull.pull``)."""
    scope = in_scope(actor)
    forget(
        conn,
        articles=select(KnowledgeArticle.id).where(~and_(*readable(actor, linked=True))),
        problems=select(Problem.id).where(~scope) if scope is not None else (),
    )


def _store(shared: Engine, unit: uuid.UUID, path: Path, cursors: dict[str, int], tickets: int) -> tuple[int, int]:
    seeds, pieces = table_of(CacheSeed), table_of(CacheSeedChunk)
    seed_id, digest, size, stored = uuid.uuid4(), hashlib.sha256(), 0, 0
    with shared.begin() as sconn, path.open("rb") as file:
        sconn.execute(delete(seeds).where(seeds.c.business_unit_id == unit))  # its pieces go with it
        record = {"global_version": cursors[GLOBAL_SPACE], "unit_version": cursors[unit.hex], "tickets": tickets}
        sconn.execute(
            insert(seeds),
            [{"id": seed_id, "business_unit_id": unit, "schema": SCHEMA, "size": 0, "sha256": "",
              "built_at": datetime.now(UTC), **record}],
        )  # fmt: skip
        seq = 0
        while piece := file.read(PIECE):
            digest.update(piece)
            packed = zlib.compress(piece, LEVEL)
            sconn.execute(insert(pieces), [{"seed_id": seed_id, "seq": seq, "data": packed}])
            seq, size, stored = seq + 1, size + len(piece), stored + len(packed)
        sconn.execute(update(seeds).where(seeds.c.id == seed_id).values(size=size, sha256=digest.hexdigest()))
    return size, stored
