"""Engines for the local cache and the shared database, and the migrations that keep them current.

Both are created by the same Alembic migrations. The local cache is SQLite with WAL,
``synchronous=FULL`` and foreign keys on; it is backed up before any migration, and a
database written by a newer version of the app is refused rather than damaged.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from console.errors import DatabaseUnavailable, SchemaError
from console.store.secrets import masked, masked_text
from models.migrations import HEAD as APP_HEAD

if TYPE_CHECKING:
    from alembic.config import Config

# Per-connection settings. WAL is a property of the file, switched on by ``upgrade`` only once
# the file is known to be ours, so a foreign file is refused without being touched.
SQLITE_PRAGMAS = (
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


def parse_url(url: str | URL) -> URL:
    """Parse a database URL, choosing psycopg 3 for ``postgresql://``."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # a port that is not a number is a ValueError
        raise DatabaseUnavailable(
            f"Not a database URL: {masked_text(str(url))}. Use sqlite:///PATH or postgresql://USER@HOST/DB."
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(f"Unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL.")
    return parsed


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
    # The driver's own transaction handling starts a transaction only at the first write and lets a
    # SAVEPOINT begin (and its RELEASE commit) a transaction of its own: a savepoint inside
    # ``engine.begin()`` would commit on release, before the rest. SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None


def _begin_sqlite(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def sqlite_pragma(conn: Connection, pragma: str) -> Any:
    """Run a PRAGMA that must not be inside a transaction (journal mode, foreign keys, checkpoints) on the
    driver connection directly, outside SQLAlchemy's transaction; its first value."""
    row = conn.connection.dbapi_connection.execute(pragma).fetchone()  # type: ignore[union-attr]
    return row[0] if row else None


KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
              "tcp_user_timeout": 30_000}  # fmt: skip


CONNECT_TIMEOUT_S = 5


def make_engine(url: str | URL, *, password: str | None = None, connect_timeout: int = CONNECT_TIMEOUT_S) -> Engine:
    """An engine for SQLite (with the cache pragmas) or PostgreSQL (psycopg 3): a connection not up within
    ``connect_timeout`` seconds fails."""
    parsed = parse_url(url)
    if password is not None:
        parsed = parsed.set(password=password)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _apply_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # A connection that goes silent (a peer gone, a half-open link) is noticed within about half a minute, not
    # at TCP's two hours: keepalives probe an idle link and tcp_user_timeout bounds unacknowledged data.
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": connect_timeout, **KEEPALIVES})


# PostgreSQL aborts one of two transactions that wait for each other (a deadlock) or that a
# serializable snapshot cannot order; running it again is the documented answer.
RETRYABLE = {"40P01", "40001"}
T = TypeVar("T")


def in_transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = 10) -> T:
    """Run ``work`` in a transaction of its own, again when the database aborted it for a deadlock or a
    serialization failure (nothing of an aborted attempt remains). Each retry waits a random moment,
    longer each time, so two transactions that collided do not collide again in step."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE or attempt == attempts:
                raise
        time.sleep(random.uniform(0, 0.01 * attempt))
    raise AssertionError("unreachable")


def describe(url: str | URL) -> str:
    """The database as it may be shown or logged: a file's path, or the URL with every secret masked (a password
    in its user info or its query)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return masked(parsed.set(drivername=parsed.get_backend_name()))


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection, with 'cannot connect' turned into an error a user can act on."""
    try:
        conn = engine.connect()
    except OperationalError as exc:
        raise DatabaseUnavailable(unavailable_message(engine, exc)) from exc
    with conn:
        yield conn


def unavailable_message(engine: Engine, exc: OperationalError) -> str:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    where = describe(engine.url)
    if "password authentication failed" in reason:
        return f"Wrong user name or password for {where}."
    if "no password supplied" in reason:
        return (
            f"{where} asks for a password: give it when `support-console connect` asks, "
            "or set SUPPORT_CONSOLE_PASSWORD for scripts."
        )
    if "database is locked" in reason:
        return f"{where} is locked by another program; close it and try again."
    state = getattr(exc.orig, "sqlstate", None)
    if state == "57014":  # query_canceled: a statement timeout, or the administrator cancelled it
        return f"{where} stopped the work before it finished (it took too long, or was cancelled); try again."
    if state in ("57P01", "57P02", "57P03"):  # the connection ended by an administrator, a crash or a restart
        return f"{where} ended the connection (an administrator, or the server restarting); try again."
    return f"Cannot reach {where}: {reason}"


def alembic_config() -> Config:
    from alembic.config import Config  # Alembic loads only when a schema must change

    config = Config()
    config.set_main_option("script_location", "models:migrations")
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str
    backup: Path | None


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_schema(conn: Connection) -> str | None:
    """The database's schema revision; raise if it is newer than this app or not ours."""
    revision = current_revision(conn)
    if revision is None:
        if inspect(conn).get_table_names():
            raise SchemaError(
                f"{describe(conn.engine.url)} holds tables that are not a Support Console database; "
                "choose an empty database."
            )
        return None
    if revision == APP_HEAD:
        return revision
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError as exc:
        raise SchemaError(
            f"{describe(conn.engine.url)} was written by a newer version of Support Console "
            f"(schema {revision}); this version knows up to {head_revision()}. Update the app; "
            "the database was left untouched."
        ) from exc
    return revision


def upgrade(engine: Engine, *, backup_dir: Path | None = None) -> MigrationResult:
    """Bring a database to this app's schema, backing a SQLite file up first when it has data."""
    with connect(engine) as conn:
        before = check_schema(conn)
        if conn.dialect.name == "sqlite" and sqlite_pragma(conn, "PRAGMA journal_mode") != "wal":
            conn.rollback()
            sqlite_pragma(conn, "PRAGMA journal_mode=WAL")
    if before == APP_HEAD:
        return MigrationResult(before, APP_HEAD, None)
    from alembic import command

    head = head_revision()
    if before == head:
        return MigrationResult(before, head, None)
    backup = None
    if before is not None and backup_dir is not None and engine.url.get_backend_name() == "sqlite":
        backup = backup_sqlite(Path(str(engine.url.database)), backup_dir, label=before)
    with connect(engine) as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    return MigrationResult(before, head, backup)


def backup_sqlite(path: Path, backup_dir: Path, *, label: str) -> Path:
    """A consistent copy of a live SQLite file, kept in ``backup_dir``."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"{path.stem}-{label}-{stamp}.sqlite3"
    copy_sqlite_file(path, target)
    return target


def copy_sqlite_file(source: Path, target: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Copy a SQLite database page by page with the online backup API (safe while it is in use, WAL included)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            report = (
                None if progress is None else (lambda _status, remaining, total: progress(total - remaining, total))
            )
            src.backup(dst, pages=16384, progress=report)
        finally:
            dst.close()
    finally:
        src.close()
