"""Concurrent writers on PostgreSQL, committing in any order while clients pull: no change is skipped.

A naive change feed (a serial column, ``updated_at``) loses a write that takes its number first and
commits last: a client that pulled in between has already moved its cursor past it. Here a space's
version is taken from its counter row, whose lock is held until commit, and a row that belongs to a
ticket locks that ticket as an update of it would, so the ticket cannot move to another unit under
an uncommitted note.
"""

from __future__ import annotations

import contextlib
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, text, update

from console.journal.audit import next_seq
from console.store.database import in_transaction
from console.store.workspace import Workspace
from console.sync import client
from models import (
    AuditAction,
    AuditEvent,
    BusinessUnit,
    Comment,
    EntityType,
    Membership,
    Role,
    Ticket,
    User,
    Visibility,
    table_of,
)
from tests import clock
from tests.integration.test_sync_model import snapshot
from tests.sync_team import TICKETS, Team, team_on

pytestmark = pytest.mark.postgres

WRITERS = 4
TRANSACTIONS = 30


@pytest.fixture
def team(tmp_path: Path, demo_home: Path, pg_demo: Callable[[], str]) -> Iterator[Team]:
    with team_on("postgresql", tmp_path, demo_home, pg_demo) as team:
        yield team


def super_unit(team: Team, desk: Workspace) -> uuid.UUID:
    with team.shared.connect() as conn:
        unit: uuid.UUID = conn.execute(
            select(Membership.business_unit_id).join(User).where(User.login == desk.settings.get("user"))
        ).scalar_one()
    return unit


def note(conn: Connection, ticket_id: uuid.UUID, author: uuid.UUID, body: str) -> uuid.UUID:
    """What an ERP integration writes for a ticket: a note and its audit event, with the unit it read,
    numbered after the ticket's last event as the app numbers its own (``history.next_seq``)."""
    comment_id = uuid.uuid4()
    now = clock.now()
    unit = conn.execute(select(Ticket.business_unit_id).where(Ticket.id == ticket_id)).scalar_one()
    conn.execute(
        table_of(Comment).insert(),
        [{"id": comment_id, "ticket_id": ticket_id, "author_id": author, "visibility": Visibility.INTERNAL,
          "body": body, "created_at": now}],
    )  # fmt: skip
    conn.execute(
        table_of(AuditEvent).insert(),
        [{"id": uuid.uuid4(), "occurred_at": now, "seq": next_seq(conn, EntityType.TICKET, ticket_id),
          "actor_id": author, "entity_type": EntityType.TICKET,
          "entity_id": ticket_id, "business_unit_id": unit, "action": AuditAction.COMMENTED, "field": None,
          "old_value": None, "new_value": str(comment_id), "reason": None}],
    )  # fmt: skip
    return comment_id


class GaveUp(Exception):
    """A writer rolls its transaction back."""


def waiting_on_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()
    return found == "Lock"


def test_a_note_written_while_its_ticket_moves_follows_the_ticket(team: Team) -> None:
    sue = team.desk("sue", Role.SUPER_USER)
    home = super_unit(team, sue)
    with team.shared.connect() as conn:
        ticket_id = conn.execute(
            select(Ticket.id).where(Ticket.business_unit_id != home).order_by(Ticket.number).limit(1)
        ).scalar_one()
        author = conn.execute(select(User.id).where(User.role == Role.TECHNICAL).limit(1)).scalar_one()

    # The ticket moves to her unit; before that commits, an integration writes a note about it,
    # reading the unit it saw last. The note commits after her next pull.
    mover = team.shared.connect()
    mover.begin()
    mover.execute(update(TICKETS).where(Ticket.id == ticket_id).values(business_unit_id=home))
    written, may_commit = threading.Event(), threading.Event()
    found: list[Any] = []

    def write() -> None:
        with team.shared.connect() as writer:
            found.append(writer.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            writer.rollback()
            with writer.begin():
                found.append(note(writer, ticket_id, author, "Interface run 4411 re-posted the invoice."))
                written.set()
                may_commit.wait()

    thread = threading.Thread(target=write)
    thread.start()
    while thread.is_alive() and not written.is_set() and not (found and waiting_on_a_lock(team.shared, found[0])):
        thread.join(0.01)
    mover.commit()
    mover.close()
    written.wait()
    client.sync_workspace(sue)  # the ticket has arrived; the note is not committed yet
    may_commit.set()
    thread.join()
    comment_id = found[1]
    client.sync_workspace(sue)

    with sue.cache().connect() as conn:
        assert conn.execute(select(Comment.body).where(Comment.id == comment_id)).scalar_one() == (
            "Interface run 4411 re-posted the invoice."
        )
    assert snapshot(sue.cache(), {ticket_id}) == snapshot(team.shared, {ticket_id})


def test_concurrent_writers_committing_out_of_order_skip_nothing(team: Team) -> None:
    max_ = team.desk("max", Role.SUPPORT_MANAGER)
    sue = team.desk("sue", Role.SUPER_USER)
    home = super_unit(team, sue)
    with team.shared.connect() as conn:
        units = list(conn.execute(select(BusinessUnit.id).order_by(BusinessUnit.code)).scalars())
        pool = list(conn.execute(select(Ticket.id).order_by(Ticket.number).limit(40)).scalars())
        pool += list(conn.execute(select(Ticket.id).where(Ticket.business_unit_id == home).limit(10)).scalars())
        author = conn.execute(select(User.id).where(User.role == Role.TECHNICAL).limit(1)).scalar_one()
        people = list(conn.execute(select(User.id).order_by(User.login).limit(10)).scalars())
    written: list[uuid.UUID] = []  # notes whose transaction committed
    failures: list[BaseException] = []

    def transaction(dice: random.Random, seed: int, n: int) -> Callable[[Connection], list[uuid.UUID]]:
        """One writer's transaction: a few writes in any units, held open a moment, sometimes rolled back."""
        count = dice.randint(1, 4)
        steps = [(dice.choice(pool), dice.random(), dice.choice(units), dice.choice(people)) for _ in range(count)]
        hold, abort = dice.random() * 0.02, dice.random() < 0.1

        def run(conn: Connection) -> list[uuid.UUID]:
            mine: list[uuid.UUID] = []
            for ticket_id, roll, unit, person in steps:
                row = update(TICKETS).where(Ticket.id == ticket_id)
                if roll < 0.4:
                    mine.append(note(conn, ticket_id, author, f"writer {seed} transaction {n}"))
                elif roll < 0.6:
                    conn.execute(row.values(business_unit_id=unit))
                elif roll < 0.85:
                    conn.execute(row.values(vendor_reference=f"W{seed}-{n}"))
                else:  # a global row: a person's display name
                    conn.execute(update(table_of(User)).where(User.id == person).values(display_name=f"P {seed}.{n}"))
            threading.Event().wait(hold)  # so that the writers' commits interleave
            if abort:
                raise GaveUp
            return mine

        return run

    def write(seed: int) -> None:
        dice = random.Random(seed)
        try:
            for n in range(TRANSACTIONS):
                # Two writers touching the same units in opposite orders may deadlock; like any
                # integration, the one PostgreSQL aborts runs again.
                with contextlib.suppress(GaveUp):
                    written.extend(in_transaction(team.shared, transaction(dice, seed, n)))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(WRITERS)]
    for thread in threads:
        thread.start()
    pulls = 0
    while any(thread.is_alive() for thread in threads):  # pull while they write
        client.sync_workspace(max_)
        client.sync_workspace(sue)
        pulls += 1
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert pulls >= 2
    client.sync_workspace(max_)
    client.sync_workspace(sue)

    with team.shared.connect() as conn:
        everything = set(conn.execute(select(Ticket.id)).scalars())
        hers = set(conn.execute(select(Ticket.id).where(Ticket.business_unit_id == home)).scalars())
        shared_people = _people(conn)
    assert snapshot(max_.cache(), everything) == snapshot(team.shared, everything)
    assert snapshot(sue.cache(), everything) == snapshot(team.shared, hers)
    for desk in (max_, sue):
        with desk.cache().connect() as conn:
            assert _people(conn) == shared_people
    with max_.cache().connect() as conn:
        assert set(conn.execute(select(Comment.id).where(Comment.id.in_(written))).scalars()) == set(written)
    # Writers of one ticket's events waited for each other: its events are numbered 1, 2, 3… without a repeat.
    with team.shared.connect() as conn:
        numbers: dict[uuid.UUID, list[int]] = {}
        for ticket_id, seq in conn.execute(
            select(AuditEvent.entity_id, AuditEvent.seq)
            .where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id.in_(pool))
            .order_by(AuditEvent.entity_id, AuditEvent.seq)
        ):
            numbers.setdefault(ticket_id, []).append(seq)
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in numbers.values())


def _people(conn: Connection) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in conn.execute(select(User.id, User.display_name))}
