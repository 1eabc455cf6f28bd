"""Ready-made caches ("seeds"): a new desk takes its unit's cache whole, then pulls what changed since.

A first sync row by row spends most of its time in SQLite, not on the wire: inserting a unit's
hundred thousand tickets and their million-row history, building the indexes, the search index and
the SLA rollups, all on one core. That work is the same for every desk of a unit, so it is done
once: ``admin seed`` (daily, after ``admin prune``; ``console.sync.seed_build``) builds for each
business unit the cache a first sync by one of its super-users would leave, checks it and stores the
SQLite file in the shared database in compressed pieces, with the versions it holds, its length and
its SHA-256.

This module is the desk's side, called by the client's first sync (``pull.pull``): a desk whose
cache is empty takes the seed of its largest unit, if that seed is of this version's schema and its
versions are not older than the change index still kept. The pieces arrive in one snapshot, are
checked against the length and the hash, and the file is copied into the cache with SQLite's backup
API; sync then pulls the entries after the seed's cursors like any other pass and downloads any
other unit row by row. Without a usable seed the desk downloads row by row, and the reason is in the
sync report.

On PostgreSQL a super-user's role reads only the seeds of their own units (row-level security, the
same rule as their tickets) and no person's role may write seeds: only an administrator builds them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from console.errors import ConsoleError
from console.store import derived
from console.store.database import sqlite_pragma
from console.sync import server
from console.sync.ahead import read_ahead
from models import GLOBAL_SPACE, BusinessUnit, CacheSeed, CacheSeedChunk, metadata, table_of
from models.migrations import HEAD

SCHEMA = f"{HEAD}/{derived.VERSION}"  # a seed fits caches of exactly this schema and these derived structures

Say = Callable[[str], None]


class SeedUnusable(ConsoleError):
    """A seed that cannot be taken (damaged, or not what its record says); the desk downloads row by row."""


def remove(path: Path) -> None:
    """A SQLite file and the journal, log and shared-memory files beside it, wherever they are."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# ---- taking (a new desk) ---------------------------------------------------------------------------------------


def cache_is_empty(conn: Connection) -> bool:
    """True when the cache holds no row at all: nothing a seed could overwrite."""
    return all(conn.execute(select(1).select_from(t).limit(1)).first() is None for t in metadata.sorted_tables)


def part_of(cache: Engine) -> Path:
    """Where a seed is downloaded before it is installed: beside the cache."""
    return Path(str(cache.url.database)).with_name("cache.seed-part")


def take(cache: Engine, shared: Engine, spaces: Sequence[str], say: Say = lambda _what: None) -> str | None:
    """Fill an empty cache from the seed of the largest of ``spaces``' units; the unit's space, or None
    when there is no usable seed. Raises ``SeedUnusable`` (cache untouched) when the seed is damaged."""
    units = [uuid.UUID(hex=space) for space in spaces if space != GLOBAL_SPACE]
    with server.snapshot(shared) as sconn, sconn.begin():
        pruned = server.pruned_versions(sconn)
        seeds = table_of(CacheSeed)
        found = sconn.execute(
            select(seeds, BusinessUnit.code)
            .join(BusinessUnit, BusinessUnit.id == seeds.c.business_unit_id)
            .where(seeds.c.business_unit_id.in_(units), seeds.c.schema == SCHEMA)
            .order_by(seeds.c.tickets.desc(), BusinessUnit.code)
        ).all()
        usable = [
            seed
            for seed in found
            if seed.global_version >= pruned.get(GLOBAL_SPACE, 0)
            and seed.unit_version >= pruned.get(seed.business_unit_id.hex, 0)
        ]
        if not usable:
            return None
        seed, code = usable[0], usable[0].code
        say(f"Downloading the ready-made cache of {code} ({seed.size / 2**20:,.0f} MiB)…")
        part = part_of(cache)
        try:
            _fetch(sconn, seed, part)
            _check(part, seed)
            say(f"Installing the cache of {code}…")
            _install(cache, part)
        finally:
            remove(part)
    return str(seed.business_unit_id.hex)


def _pieces(sconn: Connection, seed_id: uuid.UUID) -> Iterator[bytes]:
    """The seed's file, piece by piece, unpacked (in the reading thread)."""
    pieces = select(func.count()).select_from(CacheSeedChunk).where(CacheSeedChunk.seed_id == seed_id)
    count = sconn.execute(pieces).scalar_one()
    for seq in range(count):
        packed = _piece(sconn, seed_id, seq)
        if packed is None:
            raise SeedUnusable(f"The ready-made cache is missing its piece {seq + 1} of {count}.")
        try:
            yield zlib.decompress(packed)
        except zlib.error as exc:
            raise SeedUnusable(f"Piece {seq + 1} of the ready-made cache is damaged ({exc}).") from exc


def _piece(sconn: Connection, seed_id: uuid.UUID, seq: int) -> bytes | None:
    if sconn.dialect.name == "postgresql":  # in binary: the bytes as they are, not as hex digits to decode
        raw = sconn.connection.driver_connection
        assert raw is not None
        with raw.cursor(binary=True) as cursor:
            cursor.execute("SELECT data FROM cache_seed_chunks WHERE seed_id = %s AND seq = %s", (seed_id, seq))
            found = cursor.fetchone()
            return bytes(found[0]) if found else None
    query = select(CacheSeedChunk.data).where(CacheSeedChunk.seed_id == seed_id, CacheSeedChunk.seq == seq)
    return sconn.execute(query).scalar()


def _fetch(sconn: Connection, seed: Any, part: Path) -> None:
    digest, size = hashlib.sha256(), 0
    with part.open("wb") as file, read_ahead(_pieces(sconn, seed.id), depth=2) as pieces:
        for piece in pieces:
            digest.update(piece)
            file.write(piece)
            size += len(piece)
    if size != seed.size or digest.hexdigest() != seed.sha256:
        raise SeedUnusable(
            f"The ready-made cache arrived as {size:,} bytes with SHA-256 {digest.hexdigest()[:12]}…, not the "
            f"{seed.size:,} bytes and {seed.sha256[:12]}… it was stored with."
        )


def _check(part: Path, seed: Any) -> None:
    """The file is a cache of this schema holding the versions its record names."""
    db = sqlite3.connect(f"file:{part}?mode=ro", uri=True)
    try:
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
        structures = db.execute("PRAGMA user_version").fetchone()
        cursors = dict(db.execute("SELECT space, version FROM sync_cursors").fetchall())
    except sqlite3.DatabaseError as exc:
        raise SeedUnusable(f"The ready-made cache is not a cache this app can read ({exc}).") from exc
    finally:
        db.close()
    expected = {GLOBAL_SPACE: seed.global_version, seed.business_unit_id.hex: seed.unit_version}
    if f"{revision[0] if revision else None}/{structures[0]}" != SCHEMA or cursors != expected:
        raise SeedUnusable("The ready-made cache does not hold what its record says (schema or versions).")


def _install(cache: Engine, part: Path) -> None:
    """Copy the file into the (empty) cache, page by page, in one step: all of it or nothing.

    Through a rollback journal rather than the cache's write-ahead log: the journal keeps the few pages of
    the empty cache, where the log would take every page of the seed once more before copying it back."""
    source = sqlite3.connect(part)
    cache.dispose()  # leaving WAL mode needs the only connection to the file
    try:
        with cache.connect() as conn:
            if not cache_is_empty(conn):
                raise SeedUnusable("The cache is no longer empty; the ready-made cache was not installed.")
            conn.rollback()  # the backup writes through this connection, outside any transaction of its own
            sqlite_pragma(conn, "PRAGMA journal_mode=DELETE")
            try:
                target = conn.connection.dbapi_connection
                assert isinstance(target, sqlite3.Connection)
                source.backup(target)
            except sqlite3.OperationalError as exc:  # another connection was reading the cache: nothing written
                raise SeedUnusable(f"The cache was busy ({exc}); the ready-made cache was not installed.") from exc
            finally:
                sqlite_pragma(conn, "PRAGMA journal_mode=WAL")
    finally:
        source.close()
