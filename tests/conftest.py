"""Fixtures shared by every test: an isolated keyring and home, PostgreSQL databases, the demo.

No test touches the OS keyring, the real user data folder or a long-lived database:
passwords go to an in-memory keyring, ``SUPPORT_CONSOLE_HOME`` and platformdirs point
into ``tmp_path``, and every PostgreSQL test gets a database of its own that is dropped
afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import keyring.errors
import platformdirs
import psycopg
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from console.store.database import copy_sqlite_file
from tests import clock

PG_ENV = "SUPPORT_CONSOLE_TEST_PG"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"

DEMO_TICKETS = 1500
"""Enough that the demo has a standing backlog at any moment (600 left none on some days: Poisson luck)."""
PG_DEMO_TICKETS = 300
DEMO_SEED = 7

clock.travel()  # here, on import, before any other module, fixture or test reads the time


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(clock.ROOT).as_posix() in clock.DATE_SENSITIVE:
            item.add_marker(pytest.mark.clock)


def pytest_report_header(config: pytest.Config) -> str:
    moved = clock.shift()
    return f"clock: {clock.now():%Y-%m-%d %H:%M:%S} UTC" + (" (moved by SUPPORT_CONSOLE_TEST_NOW)" if moved else "")


DEMO_UNTIL: date = clock.demo_until()


# --- keyring ---------------------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, for the duration of one test."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(f"no password for {username!r} in {service!r}") from None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test runs against an in-memory keyring; the process's own backend is restored afterwards."""
    previous = keyring.core._keyring_backend  # read directly: get_keyring() would probe the OS
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous


# --- homes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IsolatedDirs:
    home: Path
    """``SUPPORT_CONSOLE_HOME`` during the test."""
    platform_data: Path
    """Where ``platformdirs.user_data_dir`` puts things during the test."""


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> IsolatedDirs:
    """Point the workspace and every platformdirs location into a temporary folder.

    The XDG variables and the keyring backend variable are set too, so subprocesses
    started by a test are just as isolated.
    """
    root = tmp_path_factory.mktemp("isolated")
    dirs = IsolatedDirs(home=root / "home", platform_data=root / "platform" / "data")
    monkeypatch.setenv("SUPPORT_CONSOLE_HOME", str(dirs.home))

    def fake_path(kind: str) -> Callable[..., Path]:
        def user_path(appname: str | None = None, *_args: Any, **_kwargs: Any) -> Path:
            base = root / "platform" / kind
            return base / appname if appname else base

        return user_path

    def fake_dir(kind: str) -> Callable[..., str]:
        def user_dir(*args: Any, **kwargs: Any) -> str:
            return str(fake_path(kind)(*args, **kwargs))

        return user_dir

    for kind in ("data", "config", "cache", "state", "log", "runtime"):
        monkeypatch.setattr(platformdirs, f"user_{kind}_dir", fake_dir(kind))
        monkeypatch.setattr(platformdirs, f"user_{kind}_path", fake_path(kind))
    for variable, kind in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
        monkeypatch.setenv(variable, str(root / "platform" / kind))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return dirs


# --- the person's time zone ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def person_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test reads times in UTC, whatever the machine's zone (subprocesses too, through ``TZ``), unless it
    chooses another with the ``time_zone`` setting; a zone a test chose is forgotten after it."""
    from console import zone

    monkeypatch.setenv("TZ", "UTC")
    zone.choose("")
    yield
    zone.choose("")


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgServer:
    url: URL
    """The admin database's URL (where CREATE DATABASE runs)."""
    problem: str | None
    """Why the server cannot be used, or None."""

    def conninfo(self, database: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 5432,
            user=self.url.username or "postgres",
            password=self.url.password or None,
            dbname=database or self.url.database or "postgres",
            connect_timeout=5,
        )

    def database_url(self, database: str) -> str:
        return self.url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    """The test PostgreSQL server, probed once per session."""
    raw = os.environ.get(PG_ENV) or PG_DEFAULT
    url = make_url(raw)
    server = PgServer(url, None)
    try:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return PgServer(url, reason)
    return server


def _require(server: PgServer) -> None:
    if server.problem is None:
        return
    where = server.url.render_as_string(hide_password=True)
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL not reachable at {where}: {server.problem} (required when CI=true)", pytrace=False)
    pytest.skip(f"PostgreSQL not reachable at {where}: {server.problem}")


@contextmanager
def _databases(server: PgServer, template: str | None = None) -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL databases (URLs), empty or copies of ``template``; all dropped at exit."""
    created: list[str] = []

    def make() -> str:
        name = f"sc_test_{secrets.token_hex(6)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute(statement)
        created.append(name)
        return server.database_url(name)

    try:
        yield make
    finally:
        from console.sync.roles import group_name

        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            for name in created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                # `admin prepare` made the database a person group of its own (a role: server-wide); a copy of
                # this database still alive (a template's) keeps it until it goes too
                with contextlib.suppress(psycopg.errors.DependentObjectsStillExist):
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(group_name(name))))


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty PostgreSQL databases (URLs), all dropped after the test."""
    _require(pg_server)
    with _databases(pg_server) as make:
        yield make


@pytest.fixture
def pg_url(pg_database: Callable[[], str]) -> str:
    """A fresh, empty PostgreSQL database for this test: postgresql://USER@HOST:PORT/sc_test_<hex>."""
    return pg_database()


@pytest.fixture(scope="session")
def pg_demo_template(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database holding the small demo, built once per session: the template of ``pg_demo``."""
    from console.demo import DemoSpec, create_demo
    from console.store.secrets import SecretStore
    from console.store.workspace import Workspace

    _require(pg_server)
    with _databases(pg_server) as make:
        url = make()
        seeding = Workspace.open(tmp_path_factory.mktemp("pg-demo"), secrets=SecretStore(MemoryKeyring()))
        create_demo(seeding, DemoSpec(tickets=PG_DEMO_TICKETS, seed=DEMO_SEED, until=DEMO_UNTIL), shared_url=url)
        seeding.close()
        name = make_url(url).database
        assert name is not None
        yield name


@pytest.fixture
def pg_demo(pg_server: PgServer, pg_demo_template: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL shared databases holding the small demo, prepared for sync
    (copies of the session's template), all dropped after the test."""
    with _databases(pg_server, pg_demo_template) as make:
        yield make


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each engine: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return URL.create("sqlite", database=str(tmp_path / "db.sqlite3")).render_as_string()
    url: str = request.getfixturevalue("pg_url")
    return url


# --- the demo workspace ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo workspace, built once per session. Read it; never change it (see ``demo_copy``)."""
    from console.demo import DemoSpec, create_demo
    from console.store.secrets import SecretStore
    from console.store.workspace import Workspace

    home = tmp_path_factory.mktemp("demo-template")
    workspace = Workspace.open(home, secrets=SecretStore(MemoryKeyring()))
    create_demo(workspace, DemoSpec(tickets=DEMO_TICKETS, seed=DEMO_SEED, until=DEMO_UNTIL))
    return home


def copy_workspace(source: Path, target: Path) -> Path:
    """Copy a workspace folder; SQLite files through the backup API so the copy is consistent."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name.endswith(("-wal", "-shm", "-journal")):
            continue
        if item.suffix == ".sqlite3":
            copy_sqlite_file(item, target / item.name)
        elif item.is_file():
            shutil.copy2(item, target / item.name)
    return target


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the session's demo workspace, free to change."""
    return copy_workspace(demo_home, tmp_path / "demo-copy")
