"""The workspace folder: where it is, its settings, its passwords and its local cache."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import keyring
import keyring.backends.fail
import platformdirs
import pytest
from alembic.config import Config
from keyring.backend import KeyringBackend
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

import console.store.database
import models.migrations
from console import zone
from console.cli.command import main
from console.errors import SchemaError, SecretStoreError, SettingError, WorkspaceError
from console.store.database import current_revision, head_revision, make_engine, upgrade
from console.store.home import APP_NAME, HOME_ENV, default_home, resolve_home
from console.store.secrets import SERVICE, SecretStore
from console.store.settings import SETTINGS, Settings
from console.store.workspace import Workspace, secret_account

MIGRATIONS = Path(models.migrations.__file__).parent

# A later schema revision, as a future release of the app would ship it on top of today's head.
HEAD = head_revision()
FUTURE = "9000"
REVISION_FUTURE = """
import sqlalchemy as sa
from alembic import op

revision = "{future}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("saved_filters", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("nickname")
    op.drop_table("saved_filters")
"""


# --- the local cache -----------------------------------------------------------------------------


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_open_cache_creates_a_migrated_cache_with_the_safety_pragmas(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    assert not workspace.has_cache
    engine, result = workspace.open_cache()
    try:
        assert workspace.has_cache
        assert workspace.cache_path == tmp_path / "ws" / "cache.sqlite3"
        assert (result.before, result.after, result.backup) == (None, head_revision(), None)
        # Two connections at once: each new connection gets the pragmas, not just the first.
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()

    engine, again = workspace.open_cache()
    engine.dispose()
    assert (again.before, again.after, again.backup) == (head_revision(), head_revision(), None)
    assert not workspace.backups_dir.exists()


def test_the_cache_enforces_foreign_keys(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path)
    engine, _ = workspace.open_cache()
    try:
        with engine.connect() as conn, pytest.raises(IntegrityError, match="FOREIGN KEY"):
            conn.exec_driver_sql(
                "INSERT INTO memberships (user_id, business_unit_id) VALUES ('00000000000040008000000000000001', "
                "'00000000000040008000000000000002')"
            )
    finally:
        engine.dispose()


@pytest.fixture
def future_migrations(tmp_path: Path) -> Callable[[], Config]:
    """``alembic_config`` as a later release would have it: today's migrations plus a real later one."""
    scripts = tmp_path / "future-migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / f"{FUTURE}_saved_filters.py").write_text(
        REVISION_FUTURE.replace("{future}", FUTURE).replace("{head}", HEAD), encoding="utf-8"
    )

    def future_config() -> Config:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        return config

    return future_config


def _cache_with_data(workspace: Workspace) -> None:
    engine, _ = workspace.open_cache()
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO deployment_info (key, value) VALUES ('kind', 'production')"))
    finally:
        engine.dispose()


def test_migrating_an_older_cache_backs_it_up_first(
    tmp_path: Path, future_migrations: Callable[[], Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    _cache_with_data(workspace)  # written by this release ...
    monkeypatch.setattr(console.store.database, "alembic_config", future_migrations)  # ... opened by the next one
    monkeypatch.setattr(console.store.database, "APP_HEAD", FUTURE)

    engine, result = workspace.open_cache()
    try:
        assert (result.before, result.after) == (HEAD, FUTURE)
        with engine.connect() as conn:
            assert current_revision(conn) == FUTURE
            assert "saved_filters" in inspect(conn).get_table_names()
            assert conn.execute(text("SELECT value FROM deployment_info WHERE key = 'kind'")).scalar() == "production"
    finally:
        engine.dispose()

    assert result.backup is not None
    assert result.backup.parent == workspace.backups_dir
    assert result.backup.name.startswith(f"cache-{HEAD}-")
    backup = sqlite3.connect(result.backup)
    try:
        assert backup.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert backup.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert backup.execute("SELECT key, value FROM deployment_info").fetchall() == [("kind", "production")]
        tables = {r[0] for r in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "saved_filters" not in tables
        assert "tickets" in tables
    finally:
        backup.close()


def test_backup_sqlite_copies_a_live_database(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    _cache_with_data(workspace)
    engine, _ = workspace.open_cache()
    try:
        with engine.connect() as conn:  # an open connection and an uncheckpointed WAL
            conn.execute(text("INSERT INTO deployment_info (key, value) VALUES ('note', 'in the WAL')"))
            conn.commit()
            target = console.store.database.backup_sqlite(workspace.cache_path, tmp_path / "bk", label="manual")
    finally:
        engine.dispose()
    assert target.parent == tmp_path / "bk"
    assert target.name.startswith("cache-manual-")
    copy = sqlite3.connect(target)
    try:
        assert sorted(copy.execute("SELECT key, value FROM deployment_info")) == [
            ("kind", "production"),
            ("note", "in the WAL"),
        ]
    finally:
        copy.close()


def test_a_cache_from_a_newer_release_is_refused_and_left_untouched(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    _cache_with_data(workspace)
    raw = sqlite3.connect(workspace.cache_path)
    raw.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    raw.commit()
    raw.close()
    before = files_in(workspace.home)

    with pytest.raises(SchemaError, match="newer version") as caught:
        workspace.open_cache()
    assert "ffff_from_the_future" in str(caught.value)
    assert files_in(workspace.home) == before  # byte for byte, and no backup or WAL left behind


def test_a_cache_migrated_by_a_newer_release_is_refused(
    tmp_path: Path, future_migrations: Callable[[], Config]
) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    _cache_with_data(workspace)
    with pytest.MonkeyPatch.context() as patch:  # the user tried the next release, then went back
        patch.setattr(console.store.database, "alembic_config", future_migrations)
        patch.setattr(console.store.database, "APP_HEAD", FUTURE)
        engine, result = workspace.open_cache()
        engine.dispose()
        assert result.after == FUTURE
    shutil.rmtree(workspace.backups_dir)
    before = files_in(workspace.home)

    with pytest.raises(SchemaError, match="newer version") as caught:
        workspace.open_cache()
    assert f"schema {FUTURE}" in str(caught.value)
    assert files_in(workspace.home) == before


def test_foreign_tables_without_alembic_version_are_refused(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    raw = sqlite3.connect(workspace.cache_path)
    raw.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    raw.execute("INSERT INTO customers (name) VALUES ('ACME')")
    raw.commit()
    raw.close()
    before = workspace.cache_path.read_bytes()

    with pytest.raises(SchemaError, match="not a Support Console database"):
        workspace.open_cache()
    assert workspace.cache_path.read_bytes() == before  # not even switched to WAL
    raw = sqlite3.connect(workspace.cache_path)
    try:
        assert raw.execute("SELECT name FROM sqlite_master").fetchall() == [("customers",)]
        assert raw.execute("SELECT id, name FROM customers").fetchall() == [(1, "ACME")]
    finally:
        raw.close()
    assert not workspace.backups_dir.exists()


def test_shared_databases_are_checked_the_same_way(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
            conn.execute(text("INSERT INTO customers (id, name) VALUES (1, 'ACME')"))
        with pytest.raises(SchemaError, match="not a Support Console database"):
            upgrade(engine)
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == {"customers"}
            assert conn.execute(text("SELECT name FROM customers")).all() == [("ACME",)]
    finally:
        engine.dispose()


def test_a_shared_database_of_a_newer_release_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
        with pytest.raises(SchemaError, match="newer version"):
            upgrade(engine)
        with engine.connect() as conn:
            assert current_revision(conn) == "ffff_from_the_future"
    finally:
        engine.dispose()


# --- where the workspace is ------------------------------------------------------------------------


def test_home_precedence_argument_then_environment_then_platform(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit, from_env = tmp_path / "explicit", tmp_path / "from-env"
    monkeypatch.setenv(HOME_ENV, str(from_env))
    assert resolve_home(explicit) == explicit.resolve()
    assert resolve_home(str(explicit)) == explicit.resolve()
    assert resolve_home(None) == from_env.resolve()
    assert resolve_home("") == from_env.resolve()

    monkeypatch.delenv(HOME_ENV)
    platform_default = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    assert resolve_home(None) == default_home() == platform_default
    assert platform_default.name == APP_NAME
    assert platform_default.is_relative_to(tmp_path_factory.getbasetemp())  # the test's, not the user's
    assert resolve_home(None, environ={HOME_ENV: ""}) == default_home()
    assert resolve_home(None, environ={HOME_ENV: str(from_env)}) == from_env.resolve()

    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert resolve_home("~/support") == tmp_path / "user" / "support"


def test_tests_never_see_the_real_user_folders(tmp_path_factory: pytest.TempPathFactory) -> None:
    workspace = Workspace.open()
    assert workspace.home == Path(os.environ[HOME_ENV]).resolve()
    assert workspace.home.is_relative_to(tmp_path_factory.getbasetemp().resolve())
    assert workspace.home.is_dir()


def test_workspace_open_creates_the_folder_and_refuses_a_file(tmp_path: Path) -> None:
    home = tmp_path / "a" / "b"
    assert Workspace.open(home).home == home.resolve()
    assert home.is_dir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        Workspace.open(a_file)


def test_shared_url_defaults_to_the_workspace_file_and_keeps_passwords_in_the_keyring(
    tmp_path: Path, memory_keyring: KeyringBackend
) -> None:
    workspace = Workspace.open(tmp_path)
    assert workspace.shared_url().get_backend_name() == "sqlite"
    assert workspace.shared_url().database == str(workspace.default_shared_path)
    assert workspace.shared_password() is None

    workspace.settings.set("shared_url", "postgresql://alice@db.example.com:5433/support")
    url = workspace.shared_url()
    assert url.drivername == "postgresql+psycopg"
    account = secret_account(url)
    assert account == "postgresql://alice@db.example.com:5433/support"
    assert workspace.shared_password() is None
    workspace.secrets.set_password(account, "pa55")
    assert memory_keyring.get_password(SERVICE, account) == "pa55"
    assert workspace.shared_password() == "pa55"
    workspace.settings.save()
    assert "pa55" not in (tmp_path / "settings.json").read_text(encoding="utf-8")


# --- settings --------------------------------------------------------------------------------------


def test_settings_defaults(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "settings.json")
    assert {s.key: settings.get(s.key) for s in SETTINGS} == {
        "shared_url": "",
        "shared_read_url": "",
        "user": "",
        "sync_interval_seconds": 120,
        "sync_automatically": True,
        "max_offline_days": 30,
        "compliance_target_percent": 90,
        "breach_horizon_hours": 24,
        "notify_warnings": True,
        "time_zone": "",
        "language": "auto",
    }
    assert not (tmp_path / "settings.json").exists()


def test_settings_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"from_a_later_version": [1, 2], "user": "old"}), encoding="utf-8")
    settings = Settings.load(path)
    settings.set("user", "maryam.hosseini")
    settings.set("sync_interval_seconds", "300")  # text from a command line becomes a number
    settings.set("shared_url", "postgresql://support@db/support")
    settings.save()

    assert json.loads(path.read_text(encoding="utf-8")) == {
        "from_a_later_version": [1, 2],
        "shared_url": "postgresql://support@db/support",
        "sync_interval_seconds": 300,
        "user": "maryam.hosseini",
    }
    assert not path.with_suffix(".json.tmp").exists()
    again = Settings.load(path)
    assert again.get("user") == "maryam.hosseini"
    assert again.get("sync_interval_seconds") == 300
    assert again.get("max_offline_days") == 30


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sync_interval_seconds", "abc", "not a whole number"),
        ("sync_interval_seconds", 12.5, "expected int"),
        ("sync_interval_seconds", True, "expected int"),
        ("sync_interval_seconds", 5, "at least 10"),
        ("max_offline_days", 0, "at least 1"),
        ("user", 42, "expected str"),
        ("shared_url", "not a url at all", "not a database URL"),
        ("no_such_setting", "x", "Unknown setting"),
        ("time_zone", "Mars/Olympus_Mons", "not a time zone"),
        ("time_zone", "asia/tehran", "Did you mean Asia/Tehran"),
        ("time_zone", "../../etc/passwd", "not a time zone"),
        ("time_zone", 3.5, "expected str"),
    ],
)
def test_bad_setting_values_are_refused(tmp_path: Path, key: str, value: object, message: str) -> None:
    settings = Settings.load(tmp_path / "settings.json")
    before = {s.key: settings.get(s.key) for s in SETTINGS}
    with pytest.raises(SettingError, match=message):
        settings.set(key, value)
    assert {s.key: settings.get(s.key) for s in SETTINGS} == before


def test_the_time_zone_setting_chooses_the_zone_every_time_is_shown_in(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path)
    assert zone.local_zone() == ZoneInfo("UTC")  # empty: the machine's (the suite's TZ)
    workspace.settings.set("time_zone", " Asia/Tehran ")
    workspace.settings.save()
    assert json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))["time_zone"] == "Asia/Tehran"
    Workspace.open(tmp_path)
    assert zone.local_zone() == ZoneInfo("Asia/Tehran")
    assert zone.moment_text(datetime(2027, 3, 20, 20, 0, tzinfo=UTC), named=True) == "20 Mar 2027 23:30 Asia/Tehran"
    # Back to empty: the machine's zone again, for every screen and file of the next start.
    workspace.settings.set("time_zone", "")
    workspace.settings.save()
    Workspace.open(tmp_path)
    assert zone.local_zone() == ZoneInfo("UTC")


def test_an_unknown_time_zone_is_refused_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = Workspace.open(tmp_path)
    workspace.settings.set("time_zone", "Europe/London")
    workspace.settings.save()
    before = (tmp_path / "settings.json").read_bytes()
    assert main(["--home", str(tmp_path), "settings", "time_zone", "Mars/Olympus_Mons"]) != 0
    said = capsys.readouterr()
    assert "'Mars/Olympus_Mons' is not a time zone" in said.err
    assert "Europe/London or Asia/Tehran" in said.err  # what to give instead
    assert (tmp_path / "settings.json").read_bytes() == before
    assert zone.local_zone() == ZoneInfo("Europe/London")  # what was chosen stays chosen
    # A name written into the file by hand is refused when the workspace opens, naming the file.
    (tmp_path / "settings.json").write_text(json.dumps({"time_zone": "Tehran"}), encoding="utf-8")
    with pytest.raises(SettingError, match="not a time zone") as caught:
        Workspace.open(tmp_path)
    assert "settings.json" in str(caught.value)
    assert "Asia/Tehran" in str(caught.value)  # the name it may have meant
    assert zone.local_zone() == ZoneInfo("Europe/London")


def test_a_shared_url_with_a_password_is_refused(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "settings.json")
    with pytest.raises(SettingError, match="password") as caught:
        settings.set("shared_url", "postgresql://alice:s3cret@db.example.com/support")
    assert "s3cret" not in str(caught.value)
    assert settings.get("shared_url") == ""


def test_a_password_written_into_settings_json_by_hand_is_refused(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"shared_url": "postgresql://a:b@h/d"}), encoding="utf-8")
    with pytest.raises(SettingError, match="password"):
        Workspace.open(tmp_path)


@pytest.mark.parametrize("content", ["{not json", "[1, 2, 3]", "\xff\xfe garbage"])
def test_a_damaged_settings_file_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(SettingError) as caught:
        Settings.load(path)
    assert str(path) in str(caught.value)
    with pytest.raises(SettingError):
        Workspace.open(tmp_path)
    assert path.read_bytes() == content.encode("latin-1")  # left for the user to fix


# --- passwords -------------------------------------------------------------------------------------


def test_secret_store_keeps_passwords_in_the_keyring(memory_keyring: KeyringBackend) -> None:
    store = SecretStore()
    assert store.available
    assert store.backend is memory_keyring
    assert store.get_password("postgresql://a@h/d") is None
    store.set_password("postgresql://a@h/d", "one")
    store.set_password("postgresql://b@h/d", "two")
    assert store.get_password("postgresql://a@h/d") == "one"
    assert memory_keyring.get_password(SERVICE, "postgresql://b@h/d") == "two"
    store.delete_password("postgresql://a@h/d")
    assert store.get_password("postgresql://a@h/d") is None
    assert store.get_password("postgresql://b@h/d") == "two"
    store.delete_password("postgresql://a@h/d")  # deleting twice is fine


def test_secret_store_without_a_keyring_says_what_to_install(memory_keyring: KeyringBackend) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = SecretStore()
    assert not store.available
    with pytest.raises(SecretStoreError, match="install") as caught:
        store.set_password("postgresql://a@h/d", "pw")
    assert "Secret Service" in str(caught.value)
    assert store.get_password("postgresql://a@h/d") is None
    store.delete_password("postgresql://a@h/d")
    assert memory_keyring.get_password(SERVICE, "postgresql://a@h/d") is None

    explicit = SecretStore(keyring.backends.fail.Keyring())
    assert not explicit.available
    with pytest.raises(SecretStoreError, match="install"):
        explicit.set_password("x", "y")


def test_plain_sqlite_engines_do_not_get_the_pragmas(tmp_path: Path) -> None:
    # The control for the pragma test: a stock engine on the same kind of file reports the defaults.
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    finally:
        engine.dispose()


def test_stop_reading_cuts_short_a_read_and_leaves_a_write_alone(workspace: Workspace) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    long_write = (  # touches one ticket, after counting to two million
        "UPDATE tickets SET title = title || '!' WHERE rowid = (WITH RECURSIVE n(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) SELECT count(*) - 1999999 FROM n)"
    )
    reading, writing = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}
    drivers: dict[str, Any] = {}

    def run(name: str, connection: Any, statement: str, running: threading.Event) -> None:
        def runs() -> int:  # called while the statement runs
            running.set()
            return 0

        with connection as conn:
            driver = drivers[name] = conn.connection.dbapi_connection
            driver.set_progress_handler(runs, 1000)
            try:
                outcomes[name] = conn.exec_driver_sql(statement).rowcount
            except OperationalError as error:
                outcomes[name] = error
            finally:
                driver.set_progress_handler(None, 0)

    reader = threading.Thread(target=run, args=("read", workspace.reading(), endless, reading))
    writer = threading.Thread(target=run, args=("write", workspace.cache().begin(), long_write, writing))
    reader.start()
    writer.start()
    reading.wait()
    writing.wait()
    workspace.stop_reading()  # while both statements run
    reader.join(60)
    if reader.is_alive():  # not stopped: end the endless read here rather than hang
        drivers["read"].interrupt()
        reader.join()
        pytest.fail("stop_reading did not interrupt the read")
    writer.join()
    assert isinstance(outcomes["read"], OperationalError)
    assert "interrupted" in str(outcomes["read"])
    assert outcomes["write"] == 1  # the write went through, whole
    with workspace.reading() as conn:  # and the next read runs as ever
        assert str(conn.exec_driver_sql("SELECT title FROM tickets WHERE rowid = 1").scalar()).endswith("!")


def test_a_read_stopped_between_two_statements_runs_no_more(workspace: Workspace) -> None:
    between, go = threading.Event(), threading.Event()
    outcomes: list[object] = []

    def read() -> None:
        try:
            with workspace.reading() as conn:
                outcomes.append(conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar())
                between.set()
                go.wait()
                outcomes.append(conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar())
        except OperationalError as error:
            outcomes.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    between.wait()
    workspace.stop_reading()  # no statement runs now
    go.set()
    reader.join()
    assert len(outcomes) == 2
    assert isinstance(outcomes[0], int)
    assert isinstance(outcomes[1], OperationalError)
    assert "interrupted" in str(outcomes[1])
    with workspace.reading() as conn:  # a read begun afterwards runs as ever
        assert conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar() == outcomes[0]
