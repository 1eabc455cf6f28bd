"""kill -9 of a running `support-console sync`, many times at random points of its push and pull, then one
clean sync: nothing lost, nothing doubled, both databases sound."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from console import tickets
from console.database import make_engine
from console.sync import client
from console.sync.outbox import OUTBOX
from console.tickets import load_actor
from console.workspace import Workspace
from models import AuditEvent, ClientMutation, Comment, Role, Ticket, TicketStatus, User

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
    gui = Path(sys.executable).with_name("support-console")
    written: list[uuid.UUID] = []
    mutations: list[uuid.UUID] = []
    clock = datetime.now(UTC)
    kills = 0
    for round_ in range(ROUNDS):
        notes = [
            tickets.add_note(dice.choice(ticket_ids), f"round {round_} note {n}", internal=bool(n % 2))
            for n in range(NOTES_PER_ROUND)
        ]
        for note in notes:
            clock += timedelta(milliseconds=5)
            tickets.execute(cache, actor, [note], clock)
        written += [n.comment_id for n in notes]
        mutations += [n.mutation_id for n in notes]
        target = count_of(shared, written) + dice.randint(1, NOTES_PER_ROUND - 1)
        child = subprocess.Popen(
            [str(gui), "--home", str(desk_home), "sync", "--every", "0.05"],
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
    with cache.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one() > 0  # work left for the clean run
    desk.close()

    clean = subprocess.run([str(gui), "--home", str(desk_home), "sync", "--once"], capture_output=True, text=True)
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
