"""A workspace: the folder with one user's settings, local cache, backups and demo shared file.

Chosen by ``--home DIR``, else ``SUPPORT_CONSOLE_HOME``, else the platform's user data
directory. Nothing of the app lives anywhere else, so tests and demos never touch a
real user's data.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from console import derived
from console.database import MigrationResult, make_engine, parse_url, sqlite_url, upgrade
from console.errors import WorkspaceError
from console.home import resolve_home
from console.numbering import reserve_block
from console.secrets import SecretStore
from console.settings import Settings
from console.sync import replica
from models import NumberBlock

PASSWORD_ENV = "SUPPORT_CONSOLE_PASSWORD"


@dataclass
class Workspace:
    home: Path
    settings: Settings
    secrets: SecretStore
    _cache: Engine | None = field(default=None, init=False, repr=False)
    session_password: str | None = field(default=None, init=False, repr=False)  # when no keyring can keep it
    _migration: MigrationResult | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None, *, secrets: SecretStore | None = None) -> Workspace:
        path = resolve_home(home)
        if path.exists() and not path.is_dir():
            raise WorkspaceError(f"The workspace {path} is a file, not a folder.")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"Cannot create the workspace folder {path}: {exc.strerror}.") from exc
        return cls(path, Settings.load(path / "settings.json"), secrets or SecretStore())

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
        self.backups_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.backups_dir / f"cache-{label}-{stamp}.sqlite3"
        self.cache_path.rename(target)
        for suffix in ("-wal", "-shm"):
            Path(str(self.cache_path) + suffix).unlink(missing_ok=True)
        return target

    def open_cache(self) -> tuple[Engine, MigrationResult]:
        """The local cache, migrated to this version (backed up first if it held an older schema)."""
        return open_cache_file(self.cache_path, self.backups_dir)

    def cache(self) -> Engine:
        """The local cache engine, opened (and migrated) once on first use."""
        if self._cache is None:
            self._cache, self._migration = self.open_cache()
        return self._cache

    @property
    def migration(self) -> MigrationResult | None:
        """What opening the cache did to its schema (None until it is opened)."""
        return self._migration

    def close(self) -> None:
        if self._cache is not None:
            self._cache.dispose()
            self._cache = None

    def open_shared(self, password: str | None = None) -> tuple[Engine, MigrationResult]:
        engine = make_engine(self.shared_url(), password=password or self.shared_password())
        try:
            return engine, upgrade(engine, backup_dir=self.backups_dir)
        except BaseException:
            engine.dispose()
            raise

    def reserve_numbers(self, series: str) -> NumberBlock:
        """A new block of ``series`` numbers for this workspace, from the shared database (must be reachable)."""
        engine, _ = self.open_shared()
        try:
            with engine.begin() as conn:
                return reserve_block(conn, series, self.client_id)
        finally:
            engine.dispose()


def open_cache_file(path: Path, backup_dir: Path | None = None) -> tuple[Engine, MigrationResult]:
    """A SQLite cache file, made or migrated to this version, with its derived structures."""
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
    """The keyring account of a shared database: its URL without password."""
    return url.set(password=None, drivername=url.get_backend_name()).render_as_string(hide_password=False)
