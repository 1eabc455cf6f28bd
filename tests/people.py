"""People of a prepared PostgreSQL shared database, each connecting with a login role of their own.

Login roles belong to the whole server, so each person's login is made unique for the test (their
``users.login`` is renamed to match) and the roles are dropped when the test ends. A person is reached
two ways: their own login, or an administrator's session that does ``SET ROLE`` to them; the database
must treat both alike.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from console.access import Actor, load_actor
from console.store.database import make_engine
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client, roles, server
from console.sync.report import SyncReport
from models import Membership, Role, User, table_of
from tests.conftest import MemoryKeyring, PgServer

HOW = ("login", "set role")  # a person's own login, and an administrator's session with SET ROLE


@dataclass(frozen=True)
class Person:
    login: str
    id: uuid.UUID
    role: Role
    units: frozenset[uuid.UUID]


@dataclass
class People:
    """A prepared shared database (``url``: the administrator's) and the people given logins in it."""

    url: str
    pg: PgServer
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def database(self) -> str:
        name = make_url(self.url).database
        assert name is not None
        return name

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def add(self, name: str, user_id: uuid.UUID, finalizer: Callable[[Callable[[], None]], None]) -> Person:
        """Give one more person (a user of the database) a login of their own, for this test."""
        return _add(self, name, user_id, finalizer)

    def url_of(self, name: str) -> str:
        """The shared database as this person's desk connects to it: with their own login."""
        return make_url(self.url).set(username=self.people[name].login).render_as_string(hide_password=False)

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.pg.conninfo(self.database)) as conn:
            yield conn

    @contextmanager
    def connect(self, name: str, how: str = "login", database: str | None = None) -> Iterator[Session]:
        """A raw connection acting as the person: their own login, or the administrator's session set to their
        role (in every transaction: a rolled-back SET ROLE is undone with it)."""
        login = self.people[name].login
        info = self.pg.conninfo(database or self.database)
        if how == "login":
            info = psycopg.conninfo.make_conninfo(info, user=login)
        with psycopg.connect(info) as conn:
            yield Session(conn, None if how == "login" else login)


@dataclass
class Session:
    conn: psycopg.Connection[Any]
    set_role: str | None  # None: the person's own login

    def _as_person(self) -> None:
        if self.set_role is not None:
            self.conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self.set_role)))

    def attempt(self, statement: str, params: Any = None) -> psycopg.Error | None:
        """One statement in a transaction of its own; committed if the database let it through (so a write that
        should have been refused shows in the rows), rolled back on the error it raised, which is returned."""
        try:
            self._as_person()
            self.conn.execute(statement, params)
        except psycopg.Error as exc:
            self.conn.rollback()
            return exc
        self.conn.commit()
        return None

    def query(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        try:
            self._as_person()
            return self.conn.execute(statement, params).fetchall()
        finally:
            self.conn.rollback()

    def value(self, statement: str, params: Any = None) -> Any:
        return self.query(statement, params)[0][0]


def fingerprint(people: People) -> dict[str, str]:
    """Every table's rows, as a digest each (read by the administrator)."""
    with people.admin() as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]  # fmt: skip
        digest = "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM {} x"
        return {t: conn.execute(sql.SQL(digest).format(sql.Identifier(t))).fetchone()[0] for t in tables}  # type: ignore[index]


def drop_logins(pg: PgServer, logins: list[str]) -> None:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        for login in logins:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


def single_unit(conn: Any, role: Role, nth: int = 0) -> str:
    """The nth person of a role who belongs to one business unit only (by login)."""
    singles = select(Membership.user_id).group_by(Membership.user_id).having(text("count(*) = 1"))
    query_ = select(User.login).where(User.role == role, User.active.is_(True), User.id.in_(singles))
    return str(conn.execute(query_.order_by(User.login)).scalars().all()[nth])


def prepared(url: str, pg: PgServer) -> People:
    """The shared database at ``url`` prepared (again: a copy of a database grants nothing until prepared), with
    no one given a login yet."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            server.prepare(conn)
    finally:
        engine.dispose()
    return People(url, pg)


def give_logins(url: str, pg: PgServer, picks: dict[str, tuple[Role, int]],
                finalizer: Callable[[Callable[[], None]], None]) -> People:  # fmt: skip
    """Prepare the shared database at ``url`` and give each pick (a name: its role, and which one of the role's
    people of a single unit) a login of its own."""
    people = prepared(url, pg)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            chosen = {name: single_unit(conn, role, nth) for name, (role, nth) in picks.items()}
            ids = {name: conn.execute(select(User.id).where(User.login == login)).scalar_one()
                   for name, login in chosen.items()}  # fmt: skip
    finally:
        engine.dispose()
    for name, user_id in ids.items():
        people.add(name, user_id, finalizer)
    return people


def _add(people: People, name: str, user_id: uuid.UUID, finalizer: Callable[[Callable[[], None]], None]) -> Person:
    engine = make_engine(people.url)
    try:
        with engine.begin() as conn:
            old = conn.execute(select(User.login).where(User.id == user_id)).scalar_one()
            login = f"{old.split('.')[0][:20]}_{name}_{secrets.token_hex(3)}"
            finalizer(lambda: drop_logins(people.pg, [login]))
            conn.execute(update(table_of(User)).where(User.id == user_id).values(login=login))
            roles.create_login(conn, login, f"pw-{secrets.token_hex(4)}")
            role = conn.execute(select(User.role).where(User.id == user_id)).scalar_one()
            units = frozenset(
                conn.execute(select(Membership.business_unit_id).where(Membership.user_id == user_id)).scalars()
            )
    finally:
        engine.dispose()
    person = Person(login, user_id, Role(role), units)
    people.people[name] = person
    return person


def other_unit(people: People, name: str) -> uuid.UUID:
    """A business unit the person does not belong to (the one with most tickets)."""
    engine = make_engine(people.url)
    try:
        with engine.connect() as conn:
            units = conn.execute(
                text("SELECT business_unit_id FROM tickets GROUP BY 1 ORDER BY count(*) DESC, 1")
            ).scalars()
            return uuid.UUID(str(next(u for u in units if u not in people[name].units)))
    finally:
        engine.dispose()


class Desks:
    """Each person's workspace, connected with their own login and downloaded."""

    def __init__(self, people: People, root: Path) -> None:
        self.people, self.root = people, root
        self.open: dict[str, Workspace] = {}
        self.first: dict[str, SyncReport] = {}  # each desk's first sync

    def __getitem__(self, name: str) -> Workspace:
        if name not in self.open:
            desk = Workspace.open(self.root / name, secrets=SecretStore(MemoryKeyring()))
            desk.settings.set("shared_url", self.people.url_of(name))
            desk.settings.set("user", self.people[name].login)
            self.first[name] = client.sync_workspace(desk)
            self.open[name] = desk
        return self.open[name]

    def actor(self, name: str) -> Actor:
        with self[name].cache().connect() as conn:
            return load_actor(conn, self.people[name].login)

    def sync(self, name: str) -> SyncReport:
        report = client.sync_workspace(self[name])
        assert report.rejected == [], report.rejected
        return report

    def close(self) -> None:
        for desk in self.open.values():
            desk.close()
