"""A Hypothesis state machine of three desks editing the same tickets offline and online, syncing in
any order, with answers lost after the shared database committed (a crash), unit moves by a manager
and writes by another SQL client. On PostgreSQL each desk connects with its person's own database role.
After everyone has synced, for every run:

- every cache holds exactly the shared database's rows of its scope (what that person's role may read),
  and none outside it;
- every intent the shared database applied appears exactly once in its audit trail;
- every intent that met a changed value left a conflict record, and overwrote nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, delete, select, update

from console.access import Refused, load_actor
from console.errors import DatabaseUnavailable
from console.journal import codec
from console.journal.outbox import OUTBOX
from console.store.database import make_engine
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client, merge
from console.sync.server import TICKET_CHILDREN
from console.tickets import edits
from console.tickets import service as tickets
from models import (
    AuditEvent,
    ClientMutation,
    Comment,
    Membership,
    Priority,
    Role,
    SyncConflict,
    Ticket,
    TicketStatus,
    User,
    metadata,
    table_of,
)
from tests import clock
from tests.conftest import MemoryKeyring, PgServer, copy_workspace
from tests.people import prepared

TICKETS = table_of(Ticket)
PEOPLE = (("cora", Role.FUNCTIONAL_CONSULTANT, 0), ("dan", Role.FUNCTIONAL_CONSULTANT, 1), ("sue", Role.SUPER_USER, 0))
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/nowhere"  # nothing listens on the discard port
MOVES = (TicketStatus.IN_PROGRESS, TicketStatus.PENDING_VENDOR, TicketStatus.RESOLVED, TicketStatus.ASSIGNED)


def snapshot(engine: Engine, ticket_ids: set[uuid.UUID]) -> dict[str, set[tuple[Any, ...]]]:
    """The rows of these tickets (and all that belongs to them), as plain tuples per table."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    ids = sorted(ticket_ids)
    with engine.connect() as conn:
        out["tickets"] = {tuple(r) for r in conn.execute(select(TICKETS).where(Ticket.id.in_(ids)))}
        for name, column in TICKET_CHILDREN:
            table = metadata.tables[name]
            out[name] = {tuple(r) for r in conn.execute(select(table).where(table.columns[column].in_(ids)))}
    return out


class Desks(RuleBasedStateMachine):
    def __init__(self, shared_url: Callable[[Path], str], root: Path, pg: PgServer | None = None) -> None:
        """``pg``: on PostgreSQL each desk connects with its person's own database role (the shared database
        applies their intents as that role, under row-level security and the guards of ``admin prepare``)."""
        super().__init__()
        run = root / uuid.uuid4().hex[:8]
        self.url = shared_url(run)
        self.shared = make_engine(self.url)
        self.finalizers: list[Callable[[], None]] = []
        with self.shared.connect() as conn:
            logins = {
                role: conn.execute(select(User.login).where(User.role == role).order_by(User.login)).scalars().all()
                for role in (Role.FUNCTIONAL_CONSULTANT, Role.SUPER_USER, Role.SUPPORT_MANAGER)
            }
            super_unit = conn.execute(
                select(Membership.business_unit_id).join(User).where(User.login == logins[Role.SUPER_USER][0])
            ).scalar_one()
            # The tickets everyone fights over: open ones, some in the super-user's unit.
            open_ = [s for s in TicketStatus if s.is_open and s is not TicketStatus.NEW]
            inside = Ticket.business_unit_id == super_unit
            pool = [
                *conn.execute(select(Ticket.id).where(Ticket.status.in_(open_), inside).limit(2)).scalars(),
                *conn.execute(select(Ticket.id).where(Ticket.status.in_(open_), ~inside).limit(3)).scalars(),
            ]
        self.tickets = list(pool)
        self.unit = super_unit
        self.desks: dict[str, Workspace] = {}
        self.urls: dict[str, str] = {}
        self.engines: dict[str, Engine] = {}  # what each person's own role reads of the shared database
        people = prepared(self.url, pg) if pg is not None else None
        for name, role, nth in (*PEOPLE, ("max", Role.SUPPORT_MANAGER, 0)):
            login = logins[role][nth]
            self.urls[name] = self.url
            if people is not None:
                with self.shared.connect() as conn:
                    user_id = conn.execute(select(User.id).where(User.login == login)).scalar_one()
                login = people.add(name, user_id, self.finalizers.append).login
                self.urls[name] = people.url_of(name)
                self.engines[name] = make_engine(self.urls[name])
            desk = Workspace.open(run / name, secrets=SecretStore(MemoryKeyring()))
            desk.settings.set("shared_url", self.urls[name])
            desk.settings.set("user", login)
            client.sync_workspace(desk)
            self.desks[name] = desk
        self.clock = clock.now()

    def teardown(self) -> None:
        for desk in self.desks.values():
            desk.close()
        for engine in self.engines.values():
            engine.dispose()
        self.shared.dispose()
        for finalizer in self.finalizers:
            finalizer()

    def _now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _edit(self, name: str, make: Any) -> None:
        desk = self.desks[name]
        with desk.cache().connect() as conn:
            actor = load_actor(conn, str(desk.settings.get("user")))
        try:
            with desk.cache().connect() as conn:
                intents = make(conn, actor)
            if intents:
                tickets.execute(desk.cache(), actor, intents, self._now())
        except Refused:
            pass  # refused on the desk: nothing was written, nothing is queued

    def _row(self, conn: Any, index: int) -> Any:
        return conn.execute(select(TICKETS).where(Ticket.id == self.tickets[index % len(self.tickets)])).first()

    @rule(name=st.sampled_from([p[0] for p in PEOPLE]), index=st.integers(0, 9), text=st.text(min_size=1, max_size=40))
    def note(self, name: str, index: int, text: str) -> None:
        def make(conn: Any, actor: Any) -> list[Any]:
            row = self._row(conn, index)
            return [edits.add_note(row.id, text, internal=True)] if row else []

        self._edit(name, make)

    @rule(name=st.sampled_from([p[0] for p in PEOPLE]), index=st.integers(0, 9))
    def take(self, name: str, index: int) -> None:
        def make(conn: Any, actor: Any) -> list[Any]:
            row = self._row(conn, index)
            return [edits.assign(row.id, actor.id, base=row.assignee_id)] if row else []

        self._edit(name, make)

    @rule(name=st.sampled_from([p[0] for p in PEOPLE]), index=st.integers(0, 9), priority=st.sampled_from(Priority))
    def prioritise(self, name: str, index: int, priority: Priority) -> None:
        def make(conn: Any, actor: Any) -> list[Any]:
            row = self._row(conn, index)
            if row is None or row.priority == priority:
                return []
            return [edits.set_priority(row.id, priority, base=row.priority, reason="triage")]

        self._edit(name, make)

    @rule(name=st.sampled_from(["cora", "dan"]), index=st.integers(0, 9), status=st.sampled_from(MOVES))
    def move(self, name: str, index: int, status: TicketStatus) -> None:
        def make(conn: Any, actor: Any) -> list[Any]:
            row = self._row(conn, index)
            if row is None or row.status == status:
                return []
            return [edits.set_status(row.id, status, base=row.status, reason="work")]

        self._edit(name, make)

    @rule(index=st.integers(0, 9), home=st.booleans())
    def move_unit(self, index: int, home: bool) -> None:
        """The manager moves a ticket into or out of the super-user's unit."""

        def make(conn: Any, actor: Any) -> list[Any]:
            row = self._row(conn, index)
            if row is None:
                return []
            target = (
                self.unit
                if home
                else conn.execute(
                    select(Ticket.business_unit_id).where(Ticket.business_unit_id != self.unit).limit(1)
                ).scalar_one()
            )
            if row.business_unit_id == target:
                return []
            return [tickets.SetField(row.id, "business_unit_id", target, row.business_unit_id)]

        self._edit("max", make)

    @rule(name=st.sampled_from([*(p[0] for p in PEOPLE), "max"]))
    def sync(self, name: str) -> None:
        client.sync_workspace(self.desks[name])

    @rule(name=st.sampled_from([p[0] for p in PEOPLE]))
    def crash_after_the_shared_commit(self, name: str) -> None:
        """The shared database applied the first intent, and the answer never reached the desk."""
        desk = self.desks[name]
        with desk.cache().connect() as conn:
            entry = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq).limit(1)).first()
        if entry is None:
            return
        with self.engines.get(name, self.shared).begin() as conn:
            merge.apply_remote(conn, load_actor(conn, entry.login), desk.client_id,
                              codec.loads(entry.kind, entry.payload), entry.created_at)  # fmt: skip

    # What a SQL client can write at all: no NUL (PostgreSQL text cannot hold it) and no lone surrogate
    # (not Unicode; the drivers refuse it). The services strip both from what people type.
    @rule(
        index=st.integers(0, 9),
        text=st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1, max_size=30),
    )
    def another_sql_client(self, index: int, text: str) -> None:
        with self.shared.begin() as conn:
            ticket = self.tickets[index % len(self.tickets)]
            conn.execute(update(TICKETS).where(Ticket.id == ticket).values(vendor_reference=text.strip() or "x"))

    @rule(index=st.integers(0, 9))
    def another_sql_client_deletes_a_note(self, index: int) -> None:
        """An administrator removes a ticket's oldest note straight from the table."""
        ticket = self.tickets[index % len(self.tickets)]
        comments = table_of(Comment)
        with self.shared.begin() as conn:
            first = conn.execute(
                select(comments.c.id).where(comments.c.ticket_id == ticket).order_by(comments.c.created_at).limit(1)
            ).scalar()
            if first is not None:
                conn.execute(delete(comments).where(comments.c.id == first))

    @rule(name=st.sampled_from([p[0] for p in PEOPLE]))
    def offline(self, name: str) -> None:
        """A sync while the shared database cannot be reached fails and changes nothing on the desk."""
        desk = self.desks[name]
        before = snapshot(desk.cache(), set(self.tickets))
        with desk.cache().connect() as conn:
            waiting = conn.execute(select(OUTBOX.c.seq)).scalars().all()
        desk.settings.set("shared_url", UNREACHABLE)
        try:
            with pytest.raises(DatabaseUnavailable, match="Cannot reach"):
                client.sync_workspace(desk)
        finally:
            desk.settings.set("shared_url", self.urls[name])
        assert snapshot(desk.cache(), set(self.tickets)) == before
        with desk.cache().connect() as conn:
            assert conn.execute(select(OUTBOX.c.seq)).scalars().all() == waiting

    @invariant()
    def outbox_entries_are_readable(self) -> None:
        for desk in self.desks.values():
            with desk.cache().connect() as conn:
                for entry in conn.execute(select(OUTBOX)):
                    codec.loads(entry.kind, entry.payload)

    def check_quiescence(self) -> None:
        for _ in range(2):  # everyone syncs; the second round brings each the others' last edits
            for desk in self.desks.values():
                client.sync_workspace(desk)
        with self.shared.connect() as conn:
            scope_of = {
                name: set(conn.execute(select(Ticket.id).where(Ticket.id.in_(self.tickets))).scalars())
                for name in self.desks
            }
            scope_of["sue"] = set(
                conn.execute(
                    select(Ticket.id).where(Ticket.id.in_(self.tickets), Ticket.business_unit_id == self.unit)
                ).scalars()
            )
            applied = conn.execute(select(ClientMutation.mutation_id, ClientMutation.outcome)).all()
            conflicts = set(conn.execute(select(SyncConflict.mutation_id)).scalars())
            event_ids = list(conn.execute(select(AuditEvent.id)).scalars())
        for name, desk in self.desks.items():
            mine = snapshot(desk.cache(), set(self.tickets))
            theirs = snapshot(self.engines.get(name, self.shared), scope_of[name])  # as that person may read it
            assert mine == theirs, name
            with desk.cache().connect() as conn:
                assert conn.execute(select(OUTBOX)).first() is None
                if name == "sue":
                    units = set(conn.execute(select(Ticket.business_unit_id).distinct()).scalars())
                    assert units <= {self.unit}

        assert len(event_ids) == len(set(event_ids))
        for mutation, outcome in applied:
            first_event = uuid.uuid5(mutation, "0")
            if outcome == merge.APPLIED:
                assert event_ids.count(first_event) <= 1
            elif outcome == merge.CONFLICT:
                assert mutation in conflicts
                assert first_event not in event_ids  # a conflict overwrote nothing
        comments = table_of(Comment)
        with self.shared.connect() as conn:
            ids = conn.execute(select(comments.c.id)).scalars().all()
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_desks_converge(engine: str, request: pytest.FixtureRequest, demo_home: Path, tmp_path: Path) -> None:
    if engine == "sqlite":

        def shared_url(run: Path) -> str:
            return f"sqlite:///{copy_workspace(demo_home, run / 'seed') / 'shared.sqlite3'}"
    else:
        pg_demo = request.getfixturevalue("pg_demo")

        def shared_url(run: Path) -> str:
            return str(pg_demo())

    pg = request.getfixturevalue("pg_server") if engine == "postgresql" else None

    class Machine(Desks):
        def __init__(self) -> None:
            super().__init__(shared_url, tmp_path, pg)

        def teardown(self) -> None:
            try:
                self.check_quiescence()
            finally:
                super().teardown()

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
