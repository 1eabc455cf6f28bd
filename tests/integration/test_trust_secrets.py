"""Nothing secret in the clear, and no edit lost by switching databases: a password anywhere in a URL (its user
info or its query) is refused as a setting, by ``connect`` and by ``admin``, and never printed; every URL shown is
masked; a workspace is its owner's alone on POSIX; ``settings shared_url`` refuses with unsynced edits exactly as
``connect`` does, through the same code."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from console.access import load_actor
from console.cli.command import main
from console.errors import SettingError
from console.store.database import describe, make_engine, unavailable_message
from console.store.secrets import masked_text
from console.store.settings import Settings
from console.store.workspace import Workspace
from console.tickets import edits
from console.tickets import service as tickets
from models import Ticket, TicketStatus
from tests import clock
from tests.conftest import MemoryKeyring, copy_workspace

SECRET = "s3cret-Pa55"
WITH_SECRETS = [
    f"postgresql://alice:{SECRET}@db.example.com/support",
    f"postgresql://alice@db.example.com/support?password={SECRET}",
    f"postgresql://alice@db.example.com/support?sslmode=require&PASSWORD={SECRET}",
    f"postgresql://db.example.com/support?user=alice&sslpassword={SECRET}",
]


def cli(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


@pytest.mark.parametrize("url", WITH_SECRETS)
def test_a_password_anywhere_in_the_url_is_refused_as_a_setting_and_never_echoed(tmp_path: Path, url: str) -> None:
    settings = Settings.load(tmp_path / "settings.json")
    with pytest.raises(SettingError, match="holds a secret") as caught:
        settings.set("shared_url", url)
    assert SECRET not in str(caught.value)
    assert settings.get("shared_url") == ""
    # Written into settings.json by hand (or by an earlier release): the workspace refuses to open, says where.
    (tmp_path / "settings.json").write_text(json.dumps({"shared_url": url}), encoding="utf-8")
    with pytest.raises(SettingError, match="holds a secret") as caught:
        Workspace.open(tmp_path)
    assert SECRET not in str(caught.value)
    assert str(tmp_path / "settings.json") in str(caught.value)


@pytest.mark.parametrize("url", WITH_SECRETS)
def test_connect_admin_and_settings_refuse_a_url_with_a_password_and_keep_nothing(
    tmp_path: Path, url: str, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "desk"
    for args in (("connect", "--shared", url, "--user", "alice"), ("admin", "--shared", url, "prepare"),
                 ("settings", "shared_url", url), ("demo", "--tickets", "5", "--shared", url)):  # fmt: skip
        assert cli(home, *args) == 1, args
        out, err = capsys.readouterr()
        assert "holds a secret" in err, args
        assert SECRET not in out + err, args
    assert Workspace.open(home).settings.get("shared_url") == ""
    assert not (home / "cache.sqlite3").exists()
    assert memory_keyring.passwords == {}
    # A URL that does not even parse is not echoed with its password either.
    assert cli(home, "connect", "--shared", f"postgresql://alice:{SECRET}@db:port/x", "--user", "alice") == 1
    assert SECRET not in "".join(capsys.readouterr())


def test_every_url_shown_is_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for url in WITH_SECRETS:
        assert SECRET not in describe(url)
        assert SECRET not in masked_text(url)
    assert describe("postgresql://alice@db/support?sslmode=require") == "postgresql://alice@db/support?sslmode=require"
    # The password from the keyring is in the engine's URL; a sync error names the database without it.
    engine = make_engine("postgresql://nobody@127.0.0.1:1/support", password=SECRET)
    try:
        with pytest.raises(OperationalError) as caught:
            engine.connect()
        message = unavailable_message(engine, caught.value)
    finally:
        engine.dispose()
    assert SECRET not in message
    assert "postgresql://nobody:***@127.0.0.1:1/support" in message
    home = tmp_path / "desk"
    assert cli(home, "settings", "shared_url", "postgresql://nobody@127.0.0.1:1/support?sslmode=disable") == 0
    assert cli(home, "info") == 0
    assert "postgresql://nobody@127.0.0.1:1/support?sslmode=disable" in capsys.readouterr().out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_workspace_is_its_owners_alone(demo_home: Path, tmp_path: Path) -> None:
    # A fresh workspace: the folder 0700, the cache, its WAL and the settings 0600.
    home = tmp_path / "fresh"
    workspace = Workspace.open(home)
    assert mode(home) == 0o700
    workspace.settings.set("sync_interval_seconds", 60)
    workspace.settings.save()
    with workspace.cache().begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert workspace.client_id  # written on first use
    for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm", "settings.json", "client-id"):
        assert mode(home / name) == 0o600, name
    workspace.close()
    # An older workspace, made before this release: its folder and files are made private when it opens,
    # backups and crash reports included; a file the app does not own is left as it was.
    old = copy_workspace(demo_home, tmp_path / "old")
    (old / "backups").mkdir()
    (old / "backups" / "cache-0005.sqlite3").write_bytes(b"")
    (old / "crash-reports").mkdir()
    (old / "crash-reports" / "crash-1.txt").write_text("Traceback…", encoding="utf-8")
    (old / "notes.txt").write_text("mine", encoding="utf-8")
    for path in (old, old / "backups", old / "crash-reports"):
        path.chmod(0o755)
    for path in (old / "settings.json", old / "cache.sqlite3", old / "shared.sqlite3", old / "notes.txt",
                 old / "backups" / "cache-0005.sqlite3", old / "crash-reports" / "crash-1.txt"):  # fmt: skip
        path.chmod(0o644)
    Workspace.open(old).close()
    assert mode(old) == mode(old / "backups") == mode(old / "crash-reports") == 0o700
    for path in (old / "settings.json", old / "cache.sqlite3", old / "shared.sqlite3",
                 old / "backups" / "cache-0005.sqlite3", old / "crash-reports" / "crash-1.txt"):  # fmt: skip
        assert mode(path) == 0o600, path
    assert mode(old / "notes.txt") == 0o644


def test_switching_databases_with_unsynced_edits_is_refused_by_settings_as_by_connect(
    demo_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = copy_workspace(demo_home, tmp_path / "desk")
    other = copy_workspace(demo_home, tmp_path / "other")  # another shared database the desk could use
    target = f"sqlite:///{other / 'shared.sqlite3'}"
    workspace = Workspace.open(home)
    login = str(workspace.settings.get("user"))
    with workspace.cache().connect() as conn:
        actor = load_actor(conn, login)
        ticket = conn.execute(select(Ticket.id).where(Ticket.status == TicketStatus.IN_PROGRESS)).scalars().first()
    assert ticket is not None
    tickets.execute(workspace.cache(), actor, [edits.add_note(ticket, "Not synced yet.", internal=True)], clock.now())
    workspace.close()
    before = (home / "settings.json").read_bytes()
    assert cli(home, "connect", "--shared", target, "--user", login) == 1
    by_connect = capsys.readouterr().err
    assert cli(home, "settings", "shared_url", target) == 1
    by_settings = capsys.readouterr().err
    assert "1 edits here are not synced with the current shared database yet" in by_connect
    assert by_settings == by_connect
    assert (home / "settings.json").read_bytes() == before
    assert (home / "cache.sqlite3").exists()
    assert not (home / "backups").exists()
    # Synced, the switch goes ahead: the cache of the previous database is set aside, not mixed with the next.
    assert cli(home, "sync", "--once") == 0
    capsys.readouterr()
    assert cli(home, "settings", "shared_url", target) == 0
    assert "cache of the previous shared database is kept as" in capsys.readouterr().out
    assert Workspace.open(home).settings.get("shared_url") == target
    assert list((home / "backups").glob("cache-before-connect-*.sqlite3"))
    assert not (home / "cache.sqlite3").exists()


@pytest.mark.postgres
def test_a_server_that_was_reached_is_not_said_to_be_unreachable(pg_url: str) -> None:
    """A statement stopped by its timeout, and a connection an administrator ended, are said as what they are
    (the load test's killed backends were reported as "Cannot reach")."""
    from sqlalchemy import text

    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET statement_timeout = 50"))
            with pytest.raises(OperationalError) as slow:
                conn.execute(text("SELECT pg_sleep(5)"))
        assert "took too long" in unavailable_message(engine, slow.value)
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with engine.connect() as admin:
                assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            with pytest.raises(OperationalError) as ended:
                conn.execute(text("SELECT 1"))
        message = unavailable_message(engine, ended.value)
        assert "ended the connection" in message
        assert "Cannot reach" not in message
    finally:
        engine.dispose()
