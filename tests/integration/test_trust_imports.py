"""Imports on a shared PostgreSQL database, each desk connected with the person's own login: a manager's import
reaches the team as batched intents (history as the other tool had it, in any state, merged by its number),
and no one else can write history that way, not even in psql."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.desk import Desk
from console.imports.write import ImportOptions
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client
from models import AuditEvent, Comment, Role, Ticket, TicketStatus, User
from tests.conftest import MemoryKeyring, PgServer
from tests.people import HOW, Desks, People, fingerprint, give_logins
from tests.threats import REFUSED

pytestmark = pytest.mark.postgres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
EVENTS, JIRA = FIXTURES / "servicenow_events.csv", FIXTURES / "jira.csv"
PICKS = {
    "max": (Role.SUPPORT_MANAGER, 0),
    "cora": (Role.FUNCTIONAL_CONSULTANT, 0),
    "sue": (Role.SUPER_USER, 0),
}


@pytest.fixture
def people(pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest) -> People:
    return give_logins(pg_demo(), pg_server, PICKS, request.addfinalizer)


def shared_count(people: People, *where: object) -> int:
    from console.store.database import make_engine

    engine = make_engine(people.url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one())  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_a_managers_import_reaches_the_team_in_batches(people: People, desks: Desks, tmp_path: Path) -> None:
    max_ = Desk(desks["max"], desks.actor("max"))
    options = ImportOptions(time_zone="Asia/Dubai", create_missing=True, batch=3)
    report = max_.import_files([str(EVENTS), str(JIRA)], options).value
    assert report.created == 8
    with desks["max"].cache().connect() as conn:
        from console.journal.outbox import pending

        assert pending(conn) == 4  # 8 tickets in batches of 3 (a file's batches are its own): 3 intents and 1
    desks.sync("max")  # applied as Max's own role: no rejection
    servicenow = Ticket.source_system == "servicenow"
    assert shared_count(people, servicenow) == 4
    assert shared_count(people, Ticket.source_system == "jira") == 4
    # The consultant's desk pulls them, history and all: the events in Max's name, with ServiceNow's own words.
    desks.sync("cora")
    with desks["cora"].cache().connect() as conn:
        found = conn.execute(select(Ticket.id, Ticket.status, Ticket.number).where(servicenow)).all()
        assert len(found) == 4
        events = conn.execute(
            select(AuditEvent.actor_id, AuditEvent.source, AuditEvent.source_actor).where(
                AuditEvent.entity_id.in_([f.id for f in found])
            )
        ).all()
        assert {e.actor_id for e in events} == {people["max"].id}
        assert {e.source for e in events} == {"servicenow"}
        assert any(e.source_actor for e in events)
        notes = conn.execute(select(func.count()).select_from(Comment).where(Comment.source_author.is_not(None)))
        assert notes.scalar_one() > 0  # Jira's comments, with who wrote them there
        people_made = conn.execute(select(func.count()).select_from(User).where(User.login.like("imported.%")))
        assert people_made.scalar_one() > 0
    # A newer export brings one ticket up to date on the shared database (a move no workflow would allow).
    with EVENTS.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    header = rows[0]
    last = [r for r in rows[1:] if r[0] == "INC0000052"][-1]
    more = list(last)
    more[header.index("incident_state")] = "Closed"
    more[header.index("sys_mod_count")] = "9"
    more[header.index("sys_updated_at")] = more[header.index("closed_at")] = "10-03-2016 09:00"
    newer = tmp_path / "newer.csv"
    with newer.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([*rows, more])
    closed = Ticket.status == TicketStatus.CLOSED
    closed_before = shared_count(people, servicenow, closed)
    again = max_.import_files([str(newer)], ImportOptions(time_zone="Asia/Dubai")).value
    assert (again.created, again.updated, again.unchanged) == (0, 1, 3)
    desks.sync("max")
    assert shared_count(people, servicenow, closed) == closed_before + 1
    assert shared_count(people, servicenow) == 4  # merged by ServiceNow's number: nothing doubled


def test_two_desks_importing_the_same_file_offline_converge(people: People, desks: Desks, tmp_path: Path) -> None:
    """Both of the manager's desks import before either syncs: each numbers the tickets from its own block; the
    second's batch finds them on the shared database and changes nothing, and its desk takes their numbers."""
    laptop = Workspace.open(tmp_path / "laptop", secrets=SecretStore(MemoryKeyring()))
    try:
        laptop.settings.set("shared_url", people.url_of("max"))
        laptop.settings.set("user", people["max"].login)
        client.sync_workspace(laptop)
        actor = desks.actor("max")
        for workspace in (desks["max"], laptop):
            made = Desk(workspace, actor).import_files([str(EVENTS)], ImportOptions(time_zone="Asia/Dubai")).value
            assert made.created == 4
        desks.sync("max")
        report = client.sync_workspace(laptop)
        assert report.rejected == []
        assert report.conflicts == 0
        numbers = shared_numbers(people)
        assert len(numbers) == 4
        for workspace in (desks["max"], laptop):
            with workspace.cache().connect() as conn:
                mine = conn.execute(select(Ticket.number).where(Ticket.source_system == "servicenow")).scalars()
                assert set(mine) == set(numbers)
    finally:
        laptop.close()


def shared_numbers(people: People) -> list[str]:
    from console.store.database import make_engine

    engine = make_engine(people.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(Ticket.number).where(Ticket.source_system == "servicenow")).scalars())
    finally:
        engine.dispose()


BLOCK = (
    "INSERT INTO number_blocks (id, series, first, last, next_free, client_id, reserved_at) "
    "SELECT gen_random_uuid(), 'INC', COALESCE(max(last), 0) + 1, COALESCE(max(last), 0) + 10, "
    "COALESCE(max(last), 0) + 1, 'desk', now() FROM number_blocks WHERE series = 'INC' RETURNING first"
)
IMPORTED = (
    "INSERT INTO tickets (id, number, kind, title, description, status, priority, impact, urgency, tier, module_id, "
    "business_unit_id, reporter_id, reopen_count, created_at, updated_at, resolved_at, closed_at, source_system, "
    "source_key) SELECT %s, %s, 'incident', 'Imported', '', 'closed', 'low', 'low', 'low', 1, module_id, "
    "business_unit_id, %s, 0, now() - interval '9 days', now(), now() - interval '8 days', now(), 'servicenow', %s "
    "FROM tickets LIMIT 1"
)
SAID = (
    "INSERT INTO audit_events (id, occurred_at, seq, actor_id, entity_type, entity_id, business_unit_id, action, "
    "field, old_value, new_value, source, source_actor) SELECT gen_random_uuid(), now(), 99, %s, 'ticket', id, "
    "business_unit_id, 'field_changed', 'status', 'new', 'closed', 'servicenow', 'Someone else' FROM tickets "
    "ORDER BY id LIMIT 1"
)
HISTORICAL = (
    "INSERT INTO users (id, login, display_name, role, active, locale, created_at) VALUES (gen_random_uuid(), %s, "
    "'From the old tool', 'service_desk_analyst', false, 'en', now())"
)


@pytest.mark.parametrize("how", HOW)
def test_only_an_importer_writes_history_as_another_tool_had_it(people: People, how: str) -> None:
    """A consultant in psql, with a number of her own block: no ticket logged straight into Closed as if imported,
    no event said to come from ServiceNow, no person made up. The manager may (the positive control)."""
    for name, allowed in (("cora", False), ("max", True)):
        before = fingerprint(people)
        with people.connect(name, how) as session:
            session._as_person()
            row = session.conn.execute(BLOCK).fetchone()
            session.conn.commit()
            assert row is not None
            number = f"INC-{row[0]:07d}"
            me = people[name].id
            key = f"{name}-{uuid.uuid4().hex[:8]}"
            attempts = [
                (IMPORTED, (uuid.uuid4(), number, me, key)),
                (SAID, (me,)),  # on a ticket she sees
                (HISTORICAL, (f"imported.{key}",)),
            ]
            errors = [session.attempt(statement, params) for statement, params in attempts]
        if allowed:
            assert errors == [None, None, None], errors
            continue
        for error in errors:
            assert error is not None
            assert error.sqlstate == REFUSED, f"{error.sqlstate} {error}"
        after = fingerprint(people)
        assert {t: v for t, v in after.items() if t != "number_blocks"} == {
            t: v for t, v in before.items() if t != "number_blocks"
        }
