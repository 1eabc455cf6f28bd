"""A workspace: the folder with one user's settings, local cache, backups and demo shared file.

Chosen by ``--home DIR``, else ``SUPPORT_CONSOLE_HOME``, else the platform's user data
directory. Nothing of the app lives anywhere else, so tests and demos never touch a
real user's data.

On POSIX the folder is its owner's alone: 0700, and each of the app's files in it 0600 (the cache
and its WAL, the settings, the single-seat shared file, backups, crash reports), made so when the
workspace opens and closes and when the cache is created.

Its shared database changes in one place, ``use_shared_database`` (``connect``, the window's dialog
and ``settings shared_url`` all pass through it): refused while edits made here are not yet synced
with the current one, and the current one's cache is set aside, never mixed with the next.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, OperationalError

from console.errors import ConsoleError, DatabaseUnavailable, WorkspaceError
from console.i18n import choose as choose_language
from console.journal import outbox
from console.store import damage, derived, replica
from console.store.database import (
    MigrationResult,
    connect,
    make_engine,
    parse_url,
    sqlite_url,
    unavailable_message,
    upgrade,
)
from console.store.home import resolve_home
from console.store.numbering import BLOCK_MAX, DEFAULT_BLOCK, reserve_block
from console.store.secrets import PRIVATE_DIR, SecretStore, create_private, make_private, without_secrets
from console.store.settings import Settings
from console.zone import choose as choose_zone
from models import NumberBlock

PASSWORD_ENV = "SUPPORT_CONSOLE_PASSWORD"
NEW_PASSWORD_ENV = "SUPPORT_CONSOLE_NEW_PASSWORD"
"""A new person's password for ``admin add-user`` in a script: never the administrator's own (``PASSWORD_ENV``)."""
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# What the app keeps in a workspace (README "Where data lives"); only these are made private, so a
# workspace put in a folder that holds other things leaves those alone.
PRIVATE_ENTRIES = (
    "settings.json", "cache.sqlite3", "shared.sqlite3", "window.ini", "saved-views.json", "first-screen.json",
    "client-id", "backups", "crash-reports",
)  # fmt: skip


@dataclass
class Workspace:
    home: Path
    settings: Settings
    secrets: SecretStore
    _cache: Engine | None = field(default=None, init=False, repr=False)
    session_password: str | None = field(default=None, init=False, repr=False)  # when no keyring can keep it
    _migration: MigrationResult | None = field(default=None, init=False, repr=False)
    # the driver connections of ``reading`` now, and those of them ``stop_reading`` stopped
    _readers: set[Any] = field(default_factory=set, init=False, repr=False, compare=False)
    _stopped: set[Any] = field(default_factory=set, init=False, repr=False, compare=False)
    _readers_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None, *, secrets: SecretStore | None = None) -> Workspace:
        path = resolve_home(home)
        if path.exists() and not path.is_dir():
            raise WorkspaceError(f"The workspace {path} is a file, not a folder.")
        try:
            path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            keep_private(path)
        except OSError as exc:
            raise WorkspaceError(f"Cannot create the workspace folder {path}: {exc.strerror}.") from exc
        settings = Settings.load(path / "settings.json")
        choose_zone(settings.get("time_zone"))  # every moment this process shows, in the person's zone
        choose_language(settings.get("language"))  # and every word, in their language
        return cls(path, settings, secrets or SecretStore())

    @property
    def cache_path(self) -> Path:
        return self.home / "cache.sqlite3"

    @property
    def backups_dir(self) -> Path:
        return self.home / "backups"

    @property
    def default_shared_path(self) -> Path:
        return self.home / "shared.sqlite3"

    @property
    def client_id(self) -> str:
        """This workspace's identity towards the shared database (its number blocks, later its sync cursor)."""
        path = self.home / "client-id"
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            client = uuid.uuid4().hex
            create_private(path)
            path.write_text(client + "\n", encoding="ascii")
            return client

    @property
    def has_cache(self) -> bool:
        return self.cache_path.exists()

    def shared_url(self) -> URL:
        """The shared database: the configured URL, or the single-seat SQLite file."""
        configured = self.settings.get("shared_url")
        return parse_url(configured) if configured else sqlite_url(self.default_shared_path)

    def shared_password(self) -> str | None:
        """The shared database's password: ``SUPPORT_CONSOLE_PASSWORD`` (scripts), else the OS keyring."""
        url = self.shared_url()
        if url.get_backend_name() == "sqlite":
            return None
        return os.environ.get(PASSWORD_ENV) or self.session_password or self.secrets.get_password(secret_account(url))

    def set_cache_aside(self, label: str) -> Path:
        """Move the local cache into ``backups/`` (a fresh one is made on next use) and say where."""
        self.close()
        self.backups_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.backups_dir / f"cache-{label}-{stamp}.sqlite3"
        self.cache_path.rename(target)
        for suffix in ("-wal", "-shm"):
            Path(str(self.cache_path) + suffix).unlink(missing_ok=True)
        return target

    def use_shared_database(self, target: str) -> Path | None:
        """Make ``target`` (a URL, "" for the single-seat file) this workspace's shared database, in the settings
        (not yet saved). Refused while edits made here wait to be synced with the current one; otherwise the
        current one's cache is set aside (in ``backups/``), never mixed with the next one's rows. Where it was
        kept, or None. ``connect`` and ``settings shared_url`` both come here."""
        aside = None
        target = self.settings.checked("shared_url", target)  # a bad URL (a password in it) changes nothing
        if target != (self.settings.get("shared_url") or "") and self.has_cache:
            with self.cache().connect() as conn:
                waiting = outbox.pending(conn)
            if waiting:
                raise ConsoleError(f"{waiting} edits here are not synced with the current shared database yet; "
                                   "sync them first (support-console sync --once).")  # fmt: skip
            aside = self.set_cache_aside("before-connect")
        self.settings.set("shared_url", target)
        return aside

    def open_cache(self) -> tuple[Engine, MigrationResult]:
        """The local cache, migrated to this version (backed up first if it held an older schema). A damaged one
        is ``DamagedCache``, named and left as it is (``console.sync.repair``)."""
        found = damage.problem(self.cache_path)
        if found is not None:
            raise damage.DamagedCache(self.cache_path, found)
        try:
            return open_cache_file(self.cache_path, self.backups_dir)
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            if damage.is_damage(exc):
                raise damage.DamagedCache(self.cache_path, str(getattr(exc, "orig", exc))) from exc
            raise
        finally:
            keep_private(self.home)

    def cache(self) -> Engine:
        """The local cache engine, opened (and migrated) once on first use."""
        if self._cache is None:
            self._cache, self._migration = self.open_cache()
        return self._cache

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to the cache for reading alone, which ``stop_reading`` may cut short."""
        with connect(self.cache()) as conn:
            driver = conn.connection.dbapi_connection

            def go_on(*_args: Any) -> None:
                if driver in self._stopped:  # stopped between two statements: the next one fails as the first would
                    raise sqlite3.OperationalError("interrupted")

            event.listen(conn, "before_cursor_execute", go_on)
            with self._readers_lock:
                self._readers.add(driver)
            try:
                yield conn
            finally:
                with self._readers_lock:
                    self._readers.discard(driver)
                    self._stopped.discard(driver)
                event.remove(conn, "before_cursor_execute", go_on)

    def stop_reading(self) -> None:
        """Cut short every read under way on a ``reading`` connection: the statement it runs is interrupted and any
        it would run next fails the same way ("interrupted"). For a window that closes, whose reads nobody waits
        for any more; a write never goes through ``reading``, so none is touched."""
        with self._readers_lock:
            self._stopped |= self._readers
            for driver in self._readers:
                with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile: nothing to stop
                    driver.interrupt()

    @property
    def migration(self) -> MigrationResult | None:
        """What opening the cache did to its schema (None until it is opened)."""
        return self._migration

    def close(self) -> None:
        if self._cache is not None:
            self._cache.dispose()
            self._cache = None
        keep_private(self.home)  # files written meanwhile: a backup, a crash report, the window's settings

    def open_shared(self, password: str | None = None) -> tuple[Engine, MigrationResult]:
        engine = make_engine(self.shared_url(), password=password or self.shared_password())
        try:
            return engine, upgrade(engine, backup_dir=self.backups_dir)
        except BaseException:
            engine.dispose()
            raise

    def reserve_numbers(self, series: str, size: int = DEFAULT_BLOCK) -> NumberBlock:
        """A new block of ``series`` numbers for this workspace, from the shared database (must be reachable):
        ``size`` numbers, within ``DEFAULT_BLOCK`` to ``BLOCK_MAX``."""
        engine, _ = self.open_shared()
        try:
            with engine.begin() as conn:
                return reserve_block(conn, series, self.client_id, min(max(size, DEFAULT_BLOCK), BLOCK_MAX))
        except OperationalError as gone:  # the link dropped while reserving: said as the database unreachable
            raise DatabaseUnavailable(unavailable_message(engine, gone)) from gone
        finally:
            engine.dispose()


def keep_private(home: Path) -> None:
    """The workspace folder 0700 and the app's files in it 0600 (POSIX). A file the app cannot change the mode
    of (another owner's) is left as it is: the folder's own mode already keeps everyone else out."""
    if os.name != "posix" or not home.is_dir():
        return
    home.chmod(PRIVATE_DIR)
    for name in PRIVATE_ENTRIES:
        for suffix in ("", *SQLITE_SIDE_FILES) if name.endswith(".sqlite3") else ("",):
            with contextlib.suppress(PermissionError):
                make_private(home / f"{name}{suffix}")


def open_cache_file(path: Path, backup_dir: Path | None = None) -> tuple[Engine, MigrationResult]:
    """A SQLite cache file, made or migrated to this version, with its derived structures.

    A new file is created readable by its owner only before SQLite opens it: SQLite gives its WAL and
    shared-memory files the main file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private(path)
    engine = make_engine(sqlite_url(path))
    try:
        result = upgrade(engine, backup_dir=backup_dir)
        derived.ensure(engine)
        with engine.begin() as conn:
            replica.ensure_cache(conn)
        return engine, result
    except BaseException:
        engine.dispose()
        raise


def secret_account(url: URL) -> str:
    """The keyring account of a shared database: its URL without any secret."""
    return without_secrets(url).set(drivername=url.get_backend_name()).render_as_string(hide_password=False)
