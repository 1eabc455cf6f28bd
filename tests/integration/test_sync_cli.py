"""`connect`, `sync --once` and `admin` from a shell, and PostgreSQL's row-level security tried with raw SQL
as a super-user's own database role (the whole threat model: ``test_trust*.py``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from console.access import load_actor
from console.cli.command import main
from console.demo import DemoSpec, create_demo
from console.store.database import make_engine
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.tickets import edits
from console.tickets import service as tickets
from models import (
    BusinessUnit,
    CacheSeed,
    ChangeIndexEntry,
    Comment,
    DeploymentInfo,
    Ticket,
    User,
    table_of,
)
from tests import clock
from tests.conftest import DEMO_SEED, DEMO_UNTIL, MemoryKeyring, PgServer, copy_workspace


def cli(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


def test_connect_and_sync_once_with_a_shared_file(
    tmp_path: Path, demo_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = copy_workspace(demo_home, tmp_path / "seed")
    url = f"sqlite:///{seed / 'shared.sqlite3'}"
    login = Workspace.open(seed).settings.get("user")
    desk = tmp_path / "desk"
    assert cli(desk, "connect", "--shared", url, "--user", "nobody") == 1
    assert "No user 'nobody'" in capsys.readouterr().err
    assert cli(desk, "admin", "--shared", url, "seed", "--unit", "NOPE") == 1
    assert "No business unit NOPE" in capsys.readouterr().err
    assert cli(desk, "connect", "--shared", url, "--user", str(login)) == 0
    assert cli(desk, "sync", "--once") == 0
    out, err = capsys.readouterr()
    assert "downloaded 7 spaces" in out
    assert "Downloading DXB-HQ…" in err  # a first download says what it is doing
    assert "Indexing for search and metrics…" in err
    engine = make_engine(url)
    with engine.connect() as shared, Workspace.open(desk).cache().connect() as cache:
        count = select(func.count()).select_from(Ticket)
        assert cache.execute(count).scalar_one() == shared.execute(count).scalar_one()
    assert cli(desk, "sync", "--once") == 0
    assert "pulled 0 rows" in capsys.readouterr().out

    # A month later: the daily prune forgets what is older than the longest offline period.
    with engine.begin() as shared:
        shared.execute(update(table_of(Ticket)).values(vendor_reference="ERP-9"))
        shared.execute(update(table_of(ChangeIndexEntry)).values(at=clock.now() - timedelta(days=40)))
    assert cli(desk, "admin", "prune", "--days", "0") == 1
    assert "at least one day" in capsys.readouterr().err
    assert cli(desk, "admin", "prune") == 0  # max_offline_days: 30
    assert "older than 30 days in 7 spaces" in capsys.readouterr().out
    with engine.connect() as shared:
        assert shared.execute(select(func.count()).select_from(ChangeIndexEntry)).scalar_one() == 0
    assert cli(desk, "sync", "--once") == 0
    out = capsys.readouterr().out
    assert "read 6 spaces again" in out  # every unit; nothing global changed since her last sync
    assert "downloaded" not in out

    # A shared database versioned by an earlier release: refused until an administrator prepares it again.
    with engine.begin() as shared:
        shared.execute(update(table_of(DeploymentInfo)).where(DeploymentInfo.key == "sync_triggers").values(value="1"))
    assert cli(desk, "sync", "--once") == 1
    assert "not prepared for sync by this version" in capsys.readouterr().err
    assert cli(desk, "admin", "prepare") == 0
    assert cli(desk, "sync", "--once") == 0
    with Workspace.open(desk).cache().connect() as cache:
        assert set(cache.execute(select(Ticket.vendor_reference)).scalars()) == {"ERP-9"}
    engine.dispose()


def test_sync_says_so_when_the_server_cannot_be_reached(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    desk = Workspace.open(tmp_path / "desk")
    desk.settings.set("shared_url", "postgresql://nobody@127.0.0.1:1/support")
    desk.settings.set("user", "nobody")
    desk.settings.save()
    assert cli(desk.home, "sync", "--once") == 1
    assert "Cannot reach postgresql://nobody@127.0.0.1:1/support" in capsys.readouterr().err


def drop_role(server: PgServer, login: str) -> None:
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


@pytest.mark.postgres
def test_a_super_users_database_role_sees_only_their_units(
    tmp_path: Path,
    pg_url: str,
    pg_database: Callable[[], str],
    pg_server: PgServer,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = Workspace.open(tmp_path / "admin", secrets=SecretStore(MemoryKeyring()))
    create_demo(admin, DemoSpec(tickets=300, seed=DEMO_SEED, until=DEMO_UNTIL), shared_url=pg_url)
    admin.close()
    assert cli(admin.home, "admin", "prepare") == 0
    monkeypatch.setenv("SUPPORT_CONSOLE_NEW_PASSWORD", "s3cret-sue")  # hers, for add-user
    monkeypatch.setenv("SUPPORT_CONSOLE_PASSWORD", "s3cret-sue")  # and her desk's, to connect as her
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        mine, other = conn.execute(select(BusinessUnit.code, BusinessUnit.id).order_by(BusinessUnit.code)).all()[:2]
        in_mine = conn.execute(select(func.count()).where(Ticket.business_unit_id == mine.id)).scalar_one()
        assert cli(admin.home, "admin", "seed") == 0  # ready-made caches of every unit, before Sue exists
        other_seed = conn.execute(select(CacheSeed.id).where(CacheSeed.business_unit_id == other.id)).scalar_one()
    engine.dispose()
    assert f"{mine.code}: {in_mine:,} tickets" in capsys.readouterr().out
    login = f"sue_{secrets.token_hex(4)}"  # database roles belong to the whole server: one of her own
    request.addfinalizer(lambda: drop_role(pg_server, login))
    assert cli(admin.home, "admin", "add-user", login, "--role", "super_user", "--unit", mine.code) == 0
    assert cli(admin.home, "admin", "add-user", login, "--role", "super_user", "--unit", mine.code) == 1
    assert "exists already" in capsys.readouterr().err

    # Raw SQL with Sue's own role: her unit's rows and nothing else, whatever the query says.
    url = make_url(pg_url)
    raw = psycopg.connect(host=url.host, port=url.port, dbname=url.database, user=login, password="s3cret-sue")
    try:
        assert raw.execute("SELECT count(*) FROM tickets").fetchone() == (in_mine,)
        assert raw.execute("SELECT count(*) FROM tickets WHERE business_unit_id = %s", (other.id,)).fetchone() == (0,)
        spaces = {row[0] for row in raw.execute("SELECT DISTINCT space FROM change_index")}
        assert other.id.hex not in spaces
        comments = raw.execute(
            "SELECT count(*) FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE t.business_unit_id <> %s",
            (mine.id,),
        ).fetchone()
        assert comments == (0,)
        events = raw.execute(
            "SELECT count(*) FROM audit_events WHERE entity_type = 'ticket' AND business_unit_id = %s", (other.id,)
        ).fetchone()
        assert events == (0,)
        # Ready-made caches: her unit's only, and no person's role may write one.
        assert raw.execute("SELECT business_unit_id FROM cache_seeds").fetchall() == [(mine.id,)]
        pieces = raw.execute("SELECT count(*) FROM cache_seed_chunks WHERE seed_id = %s", (other_seed,)).fetchone()
        assert pieces == (0,)
        for statement in ("DELETE FROM cache_seed_chunks", "UPDATE cache_seeds SET sha256 = ''"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(statement)
            raw.rollback()
        changed = raw.execute("UPDATE tickets SET title = 'mine now' WHERE business_unit_id = %s", (other.id,))
        assert changed.rowcount == 0
        raw.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute("UPDATE tickets SET business_unit_id = %s WHERE business_unit_id = %s", (other.id, mine.id))
        raw.rollback()
    finally:
        raw.close()

    # The same role through the app: connect, sync, and a cache with her unit only. Her login acts as her alone.
    desk = tmp_path / "sue"
    sue_url = url.set(username=login, password=None).render_as_string(hide_password=False)
    someone = str(Workspace.open(admin.home).settings.get("user"))
    assert cli(desk, "connect", "--shared", sue_url, "--user", someone) == 1
    assert f"This database login is {login}, not {someone}" in capsys.readouterr().err
    assert cli(desk, "connect", "--shared", sue_url, "--user", login) == 0
    assert cli(desk, "sync", "--once") == 0
    assert "started from a ready-made cache" in capsys.readouterr().out  # then pulled her own user row
    with Workspace.open(desk).cache().connect() as cache:
        assert set(cache.execute(select(Ticket.business_unit_id).distinct()).scalars()) == {mine.id}
        assert cache.execute(select(func.count()).select_from(Ticket)).scalar_one() == in_mine
        assert cache.execute(select(User.login).where(User.login == login)).scalar_one() == login
        ticket_id = cache.execute(select(Ticket.id).order_by(Ticket.created_at.desc())).scalars().first()
    assert ticket_id is not None
    # Her edits go out as her role: the versioning triggers run under row-level security too.
    sue = Workspace.open(desk)
    with sue.cache().connect() as cache:
        actor = load_actor(cache, login)
    note = edits.add_note(ticket_id, "Checked with the plant controller.", internal=True)
    tickets.execute(sue.cache(), actor, [note], clock.now())
    sue.close()
    assert cli(desk, "sync", "--once") == 0
    assert "pushed 1" in capsys.readouterr().out
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(select(Comment.body).where(Comment.id == note.comment_id)).scalar_one() == (
            "Checked with the plant controller."
        )
        indexed = select(ChangeIndexEntry.space).where(ChangeIndexEntry.entity_key == note.comment_id.hex)
        assert conn.execute(indexed).scalars().all() == [mine.id.hex]
    engine.dispose()

    # Another database of the server: closed to her until its administrator adds her there too (her role exists
    # already: it joins that database's group and keeps its password).
    second = pg_database()
    assert cli(admin.home, "admin", "--shared", second, "prepare") == 0
    there = make_url(second)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(host=there.host, port=there.port, dbname=there.database, user=login, password="s3cret-sue")
    assert cli(admin.home, "admin", "--shared", second, "add-user", login, "--role", "functional_consultant") == 0
    assert "existed already" in capsys.readouterr().out
    with psycopg.connect(
        host=there.host, port=there.port, dbname=there.database, user=login, password="s3cret-sue"
    ) as raw:
        assert raw.execute("SELECT login FROM users").fetchall() == [(login,)]
