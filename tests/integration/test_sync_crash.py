"""kill -9 of a running `support-console sync`, many times at random points of its push and pull, then one
clean sync: nothing lost, nothing doubled, both databases sound."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update

from console.access import load_actor
from console.journal.outbox import OUTBOX
from console.store.database import make_engine
from console.store.workspace import Workspace
from console.sync import client, seed_build
from console.tickets import edits
from console.tickets import service as tickets
from models import AuditEvent, CacheSeed, ClientMutation, Comment, Role, Ticket, TicketStatus, User, table_of
from tests import clock
from tests.sync_team import TICKETS, Team, as_her_login_reads, same_caches, single_unit_super_users

ROUNDS = 8
NOTES_PER_ROUND = 40


def count_of(engine: Engine, ids: list[uuid.UUID]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(Comment.id.in_(ids))).scalar_one())


def wait_for(condition: object, limit_s: float = 60.0) -> None:
    """Poll until the condition holds (the sync child makes progress), or give up after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def desk_home(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A consultant's workspace, synced, with a SQLite shared file or a PostgreSQL shared database."""
    if request.param == "sqlite":
        home: Path = request.getfixturevalue("demo_copy")
        return home
    url = request.getfixturevalue("pg_demo")()
    desk = Workspace.open(tmp_path / "desk")
    shared = make_engine(url)
    with shared.connect() as conn:
        login = (
            conn.execute(select(User.login).where(User.role == Role.FUNCTIONAL_CONSULTANT).order_by(User.login))
            .scalars()
            .first()
        )
    shared.dispose()
    desk.settings.set("shared_url", url)
    desk.settings.set("user", str(login))
    desk.settings.save()
    client.sync_workspace(desk)
    desk.close()
    return desk.home


def test_sync_killed_at_random_points_loses_and_doubles_nothing(desk_home: Path) -> None:
    dice = random.Random(int(os.environ.get("SUPPORT_CONSOLE_CRASH_SEED", "4711")))
    desk = Workspace.open(desk_home)
    cache = desk.cache()
    shared = make_engine(desk.shared_url())
    with cache.connect() as conn:
        actor = load_actor(conn, str(desk.settings.get("user")))
        ticket_ids = (
            conn.execute(select(Ticket.id).where(Ticket.status.in_([s for s in TicketStatus if s.is_open])).limit(10))
            .scalars()
            .all()
        )
    cli = clock.python_module("console")
    written: list[uuid.UUID] = []
    mutations: list[uuid.UUID] = []
    moment = clock.now()
    kills = 0
    for round_ in range(ROUNDS):
        notes = [
            edits.add_note(dice.choice(ticket_ids), f"round {round_} note {n}", internal=bool(n % 2))
            for n in range(NOTES_PER_ROUND)
        ]
        for note in notes:
            moment += timedelta(milliseconds=5)
            tickets.execute(cache, actor, [note], moment)
        written += [n.comment_id for n in notes]
        mutations += [n.mutation_id for n in notes]
        target = count_of(shared, written) + dice.randint(1, NOTES_PER_ROUND - 1)
        child = subprocess.Popen(
            [*cli, "--home", str(desk_home), "sync", "--every", "0.05"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda t=target, c=child, w=list(written): count_of(shared, w) >= t or c.poll() is not None)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
    assert kills == ROUNDS
    # On a busy machine the last child may push everything before it is killed: one note written now, with no
    # sync running, makes sure the clean run below has work left whatever the timing was.
    last = edits.add_note(ticket_ids[0], "after the last kill", internal=True)
    tickets.execute(cache, actor, [last], moment + timedelta(milliseconds=5))
    written.append(last.comment_id)
    mutations.append(last.mutation_id)
    with cache.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one() > 0  # work left for the clean run
    desk.close()

    clean = subprocess.run([*cli, "--home", str(desk_home), "sync", "--once"], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    desk = Workspace.open(desk_home)
    cache = desk.cache()
    with shared.connect() as conn:
        on_shared = conn.execute(select(Comment.id).where(Comment.id.in_(written))).scalars().all()
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    with cache.connect() as conn:
        in_cache = conn.execute(select(Comment.id).where(Comment.id.in_(written))).scalars().all()
        assert conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one() == 0
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert sorted(on_shared) == sorted(written)  # nothing lost, nothing doubled (ids are unique per note)
    assert sorted(in_cache) == sorted(written)
    with shared.connect() as conn:  # one audit event per note, and every intent answered "applied" once
        events = (
            conn.execute(select(AuditEvent.new_value).where(AuditEvent.new_value.in_([str(i) for i in written])))
            .scalars()
            .all()
        )
        answers = conn.execute(
            select(ClientMutation.outcome, ClientMutation.reason).where(ClientMutation.mutation_id.in_(mutations))
        ).all()
    assert [a.reason for a in answers if a.outcome != "applied"] == []
    assert sorted(str(e) for e in events) == sorted(str(i) for i in written)
    assert [a.outcome for a in answers] == ["applied"] * len(written)
    desk.close()
    shared.dispose()


def test_a_first_sync_from_a_seed_killed_at_random_points_ends_sound(team: Team, tmp_path: Path) -> None:
    """kill -9 while the seed downloads, while it is copied into the cache, or while the changes after it
    are pulled; each time the cache is sound (empty, or the seed with some of what came after), and a
    clean sync ends with what a row-by-row first sync holds."""
    dice = random.Random(int(os.environ.get("SUPPORT_CONSOLE_CRASH_SEED", "4711")))
    login, unit, code = single_unit_super_users(team)[0]
    seed_build.build(team.shared, code, tmp_path)
    with team.shared.begin() as conn:  # changes after the seed, for the pull that follows it
        conn.execute(update(TICKETS).where(Ticket.business_unit_id == unit).values(vendor_reference="AFTER-SEED"))
    desk = team.workspace("desk", login)
    desk.settings.save()
    home = desk.home
    desk.close()
    cache_file, part, journal = home / "cache.sqlite3", home / "cache.seed-part", home / "cache.sqlite3-journal"
    moments = {
        "downloading": part.exists,
        "installing": journal.exists,  # the copy into the cache runs through a rollback journal
        "pulling": lambda: cache_file.exists() and cache_file.stat().st_size > 1 << 20 and not part.exists(),
    }
    cli = clock.python_module("console")
    killed: list[str] = []
    for _round in range(ROUNDS):
        moment = dice.choice(list(moments))
        child = subprocess.Popen([*cli, "--home", str(home), "sync", "--once"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        wait_for(lambda c=child, m=moment: moments[m]() or c.poll() is not None)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed.append(moment)
        child.wait()
        with sqlite3.connect(cache_file) as db:  # a hot journal is rolled back here: the copy is all or nothing
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            made = db.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('tickets', 'sync_cursors')").fetchone()
            tickets_held, cursors = (0, 0)  # killed before the cache had its tables: as good as empty
            if made == (2,):
                tickets_held = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
                cursors = db.execute("SELECT count(*) FROM sync_cursors").fetchone()[0]
        db.close()
        assert (tickets_held == 0) == (cursors == 0)  # empty, or the seed (its cursors with it)
        if cursors and dice.random() < 0.5:  # start again as a new desk now and then
            for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
                (home / name).unlink(missing_ok=True)
    assert killed, "no run was killed before it finished"
    print("killed while", ", ".join(killed))

    clean = subprocess.run([*cli, "--home", str(home), "sync", "--once"], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    assert not part.exists()
    with team.shared.begin() as conn:
        conn.execute(delete(table_of(CacheSeed)))
    by_rows = team.desk("rows", Role.SUPER_USER, login=login)
    as_her_login_reads(by_rows, login)
    same_caches(Workspace.open(home), by_rows)
    with by_rows.cache().connect() as conn:
        assert set(conn.execute(select(Ticket.vendor_reference)).scalars()) == {"AFTER-SEED"}
