"""The history of changes, problems, people and policies reaches every desk, in its scope: a first download
holds every event that is not a ticket's (a ticket's history goes with the ticket, in its unit), on SQLite and
on PostgreSQL, and on PostgreSQL also when the desk reads with its person's own role."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from console.store.database import make_engine
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client
from models import AuditEvent, EntityType, Role, Ticket, table_of
from tests.conftest import MemoryKeyring, PgServer
from tests.people import give_logins
from tests.sync_team import Team, rows

EVENTS = table_of(AuditEvent)
NOT_A_TICKETS = AuditEvent.entity_type != EntityType.TICKET


def ticket_events_outside(cache: Engine, shared: Engine) -> set[uuid.UUID]:
    """Ticket events in the cache whose ticket is not in the cache."""
    with cache.connect() as conn:
        held = set(conn.execute(select(Ticket.id)).scalars())
        events = set(conn.execute(select(AuditEvent.entity_id).where(~NOT_A_TICKETS)).scalars())
    return events - held


def test_change_and_problem_history_reaches_every_desk(team: Team) -> None:
    with team.shared.connect() as conn:
        kinds = set(conn.execute(select(AuditEvent.entity_type).where(NOT_A_TICKETS).distinct()).scalars())
    assert {EntityType.CHANGE, EntityType.PROBLEM} <= kinds  # the demo has both
    for name, role in (("alice", Role.FUNCTIONAL_CONSULTANT), ("sue", Role.SUPER_USER)):
        desk = team.desk(name, role)
        assert rows(desk.cache(), EVENTS, NOT_A_TICKETS) == rows(team.shared, EVENTS, NOT_A_TICKETS), name
        assert ticket_events_outside(desk.cache(), team.shared) == set()


@pytest.mark.postgres
def test_a_super_users_own_role_reads_every_change_history_and_that_of_the_problems_she_reads(
    pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    people = give_logins(pg_demo(), pg_server, {"sue": (Role.SUPER_USER, 0)}, request.addfinalizer)
    desk = Workspace.open(tmp_path / "sue", secrets=SecretStore(MemoryKeyring()))
    desk.settings.set("shared_url", people.url_of("sue"))
    desk.settings.set("user", people["sue"].login)
    shared, hers = make_engine(people.url), make_engine(people.url_of("sue"))
    try:
        client.sync_workspace(desk)
        # Her cache holds what her own role reads: every change's history, and that of the problems touching her
        # units (not of every problem: the shared database's policy, ``grants.PROBLEMS_TOUCHING``).
        held = rows(desk.cache(), EVENTS, NOT_A_TICKETS)
        assert held == rows(hers, EVENTS, NOT_A_TICKETS)
        every = rows(shared, EVENTS, NOT_A_TICKETS)
        assert held < every
        changes = AuditEvent.entity_type == EntityType.CHANGE
        assert rows(desk.cache(), EVENTS, changes) == rows(shared, EVENTS, changes)
        with desk.cache().connect() as conn:
            units = set(conn.execute(select(Ticket.business_unit_id).distinct()).scalars())
        assert units == set(people["sue"].units)
        assert ticket_events_outside(desk.cache(), shared) == set()
    finally:
        desk.close()
        shared.dispose()
        hers.dispose()
