"""A team syncing with one shared database: each person's workspace, on SQLite or PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from console.access import Actor, load_actor
from console.store import derived
from console.store.database import make_engine
from console.store.replica import replica_writes
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client, seed_build
from console.sync.server import SYNCED
from models import BusinessUnit, Membership, Role, Ticket, TicketStatus, User, table_of
from tests.conftest import MemoryKeyring, copy_workspace

TICKETS = table_of(Ticket)
DERIVED = [t.name for t in derived.metadata.sorted_tables]


@dataclass
class Team:
    """One shared database and the workspaces of the people syncing with it."""

    url: str
    root: Path
    shared: Engine
    members: list[Workspace] = field(default_factory=list)

    def desk(self, name: str, role: Role, *, nth: int = 0, login: str | None = None) -> Workspace:
        """A new workspace for the nth person of a role (or this login), with its first sync done."""
        if login is None:
            with self.shared.connect() as conn:
                query = select(User.login).where(User.role == role).order_by(User.login)
                login = conn.execute(query).scalars().all()[nth]
        workspace = self.workspace(name, login)
        client.sync_workspace(workspace)
        return workspace

    def workspace(self, name: str, login: str) -> Workspace:
        """A new workspace of this login, connected to the shared database, not synced yet."""
        workspace = Workspace.open(self.root / name, secrets=SecretStore(MemoryKeyring()))
        workspace.settings.set("shared_url", self.url)
        workspace.settings.set("user", login)
        self.members.append(workspace)
        return workspace

    def actor(self, workspace: Workspace) -> Actor:
        with workspace.cache().connect() as conn:
            return load_actor(conn, str(workspace.settings.get("user")))


@contextmanager
def team_on(engine: str, root: Path, demo_home: Path, pg_demo: Callable[[], str] | None) -> Iterator[Team]:
    """A team on a copy of the small demo: a SQLite shared file, or a PostgreSQL database."""
    if engine == "sqlite":
        seed = copy_workspace(demo_home, root / "seed")
        url = f"sqlite:///{seed / 'shared.sqlite3'}"
    else:
        assert pg_demo is not None
        url = pg_demo()
    shared = make_engine(url)
    team = Team(url, root, shared)
    try:
        yield team
    finally:
        for workspace in team.members:
            workspace.close()
        shared.dispose()


def stored(cache: Engine, table: str) -> list[tuple[Any, ...]]:
    """The table's rows as SQLite holds them: each value with its storage class."""
    with cache.connect() as conn:
        columns = [row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')]
        assert columns, f"no table {table}"
        select = ", ".join(f'typeof("{c}"), "{c}"' for c in columns)
        return sorted(tuple(r) for r in conn.exec_driver_sql(f'SELECT {select} FROM "{table}"'))


def single_unit_super_users(team: Team) -> list[tuple[str, uuid.UUID, str]]:
    """(login, unit id, unit code) of every super-user who belongs to one unit only, largest unit first."""
    with team.shared.connect() as conn:
        singles = select(Membership.user_id).group_by(Membership.user_id).having(func.count() == 1)
        found = conn.execute(
            select(User.login, BusinessUnit.id, BusinessUnit.code)
            .join(Membership, Membership.user_id == User.id)
            .join(BusinessUnit, BusinessUnit.id == Membership.business_unit_id)
            .where(User.role == Role.SUPER_USER, User.id.in_(singles))
            .order_by(User.login)
        ).all()
        sizes = dict(
            conn.execute(select(Ticket.business_unit_id, func.count()).group_by(Ticket.business_unit_id)).all()
        )
    return sorted(((r.login, r.id, r.code) for r in found), key=lambda r: -sizes.get(r[1], 0))


def as_her_login_reads(workspace: Workspace, login: str) -> None:
    """Take out of a super-user's row-by-row cache what her own login would not have read: the team's desks
    connect as the database's owner, whom no row policy holds (drafts not linked to her tickets, problems not
    touching her units), and that is what her unit's seed leaves out (``seed_build.unread``)."""
    with workspace.cache().begin() as conn, replica_writes(conn):
        seed_build.unread(conn, load_actor(conn, login))


def same_caches(one: Workspace, other: Workspace) -> None:
    """Two caches hold the same synced rows and the same derived SLA rollups, value for value."""
    for synced in SYNCED:
        assert stored(one.cache(), synced.table) == stored(other.cache(), synced.table), synced.table
    for table in DERIVED:  # the SLA rollups and histograms the metrics read
        assert stored(one.cache(), table) == stored(other.cache(), table), table


def rows(engine: Engine, table: Any, *where: Any) -> set[tuple[Any, ...]]:
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(table).where(*where))}


def open_ticket(team: Team, unit: uuid.UUID | None = None, *where: Any) -> tuple[uuid.UUID, dict[str, Any]]:
    with team.shared.connect() as conn:
        query = select(TICKETS).where(Ticket.status == TicketStatus.IN_PROGRESS, *where).order_by(Ticket.number)
        if unit is not None:
            query = query.where(Ticket.business_unit_id == unit)
        row = conn.execute(query).first()
    assert row is not None
    return row.id, dict(row._mapping)
