"""A damaged local cache: named as the local cache, set aside untouched, its unsynced edits saved.

A cache is a copy: everything in it but the edits not yet synced can be downloaded again from the shared
database. So a cache that is truncated, overwritten or not a database at all is not a crash and
not an error in the shared database: the person is told that their *local cache* is damaged, and
``support-console repair`` (or the window's offer) moves the file aside into ``backups/`` as it is, keeps every
edit of its outbox that can still be read, and lets the next sync download the rest again.

The check on opening is cheap at any size: the file's header (SQLite's magic string, a page size, and a
page count its length must hold); a file small enough is also read through (``PRAGMA quick_check``). An
error SQLite raises later ("database disk image is malformed") is the same damage, found later.
"""

from __future__ import annotations

import sqlite3
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from console.errors import ConsoleError
from console.i18n import N_, _

MAGIC = b"SQLite format 3\x00"
QUICK_CHECK_BYTES = 64 * 2**20  # read through on opening up to this size (well under a second)
SIDE_FILES = ("-wal", "-shm", "-journal")
DAMAGE_WORDS = ("malformed", "not a database", "file is encrypted", "disk image")


class DamagedCache(ConsoleError):
    """The local cache cannot be read; ``repair`` sets it aside and downloads it again."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        super().__init__(
            _(
                "Your local cache {path} is damaged ({what}). Nothing was changed. `support-console repair` sets it "
                "aside in backups/ and downloads your data again from the shared database, keeping every edit not "
                "yet synced that can still be read."
            ).format(path=path, what=what)
        )


def is_damage(error: BaseException) -> bool:
    """An error of SQLite that means the file itself is damaged."""
    return any(word in str(error).lower() for word in DAMAGE_WORDS)


DISK_WORDS = {
    "database or disk is full": N_("the disk is full: free some space there"),
    "attempt to write a readonly database": N_("the folder or the file is read-only: make it writable"),
    "disk i/o error": N_("the disk reported an error: check it"),
}


def disk_problem(error: BaseException, path: Path) -> str | None:
    """What a write of the cache that SQLite refused for the disk's sake means, in words; None for anything else."""
    text = str(error).lower()
    for words, meaning in DISK_WORDS.items():
        if words in text:
            return _("The local cache {path} could not be written ({meaning}). Nothing was changed.").format(
                path=path, meaning=_(meaning)
            )
    return None


def problem(path: Path) -> str | None:
    """What is wrong with a cache file, in words; None when it looks sound (or does not exist yet)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:  # SQLite's own empty database: a first sync stopped before it began (kill -9), not damage
        return None
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(MAGIC):
        return _("the file is not a SQLite database")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", header[28:32])[0]
    valid = struct.unpack(">I", header[24:28])[0] == struct.unpack(">I", header[92:96])[0]
    if page_size < 512 or page_size & (page_size - 1):
        return _("its header is damaged")
    if valid and pages and size < pages * page_size:
        return _("the file is cut short: {have:,} of its {want:,} bytes").format(have=size, want=pages * page_size)
    if size <= QUICK_CHECK_BYTES:
        return _quick_check(path)
    return None


def _quick_check(path: Path) -> str | None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        answer = db.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        db.close()
    return None if answer and answer[0] == "ok" else _("SQLite's check says: {answer}").format(answer=answer[0])


@dataclass
class SetAside:
    """A damaged cache moved into ``backups/``, and the edits read from its outbox."""

    folder: Path
    edits: list[tuple[object, ...]] = field(default_factory=list)  # outbox rows, as stored
    unreadable: int = 0  # outbox rows that could not be read
    outbox_lost: bool = False  # the outbox itself could not be read: how many edits it held is unknown


OUTBOX_COLUMNS = ("mutation_id", "kind", "payload", "login", "created_at", "attempts", "last_error")


def set_aside(path: Path, backups: Path, now: datetime | None = None) -> SetAside:
    """Move the cache file and its side files, as they are, into a folder of ``backups``; read what its outbox
    still holds first."""
    edits, unreadable, lost = read_outbox(path)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = backups / f"damaged-cache-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", *SIDE_FILES):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.replace(folder / part.name)
    return SetAside(folder, edits, unreadable, lost)


def read_outbox(path: Path) -> tuple[list[tuple[object, ...]], int, bool]:
    """Every outbox row of a damaged cache that can be read, how many could not be, and whether the outbox
    could not be read at all (so how many edits it held is unknown)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return [], 0, True
    columns = ", ".join(OUTBOX_COLUMNS)
    try:
        try:
            return db.execute(f"SELECT {columns} FROM outbox ORDER BY seq").fetchall(), 0, False
        except sqlite3.DatabaseError:
            pass
        try:  # read around the damage, row by row
            top = db.execute("SELECT max(seq) FROM outbox").fetchone()[0] or 0
        except sqlite3.DatabaseError:
            return [], 0, True  # not even the outbox's last row
        rows: list[tuple[object, ...]] = []
        lost = 0
        for seq in range(1, int(top) + 1):
            try:
                row = db.execute(f"SELECT {columns} FROM outbox WHERE seq = ?", (seq,)).fetchone()
            except sqlite3.DatabaseError:
                lost += 1
                continue
            if row is not None:
                rows.append(row)
        return rows, lost, False
    finally:
        db.close()
