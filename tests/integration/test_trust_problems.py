"""Problems on a shared PostgreSQL database, each person with a login of their own: a consultant's desk works a
problem through its lifecycle under the database's rules, and in psql no one skips them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from console.errors import ConsoleError
from console.journal.intents import EditProblem, MoveProblem, NewProblem, SetField
from console.problems.lists import ProblemFilter, list_problems, load_problem
from console.problems.service import execute_problem, new_problem_number
from console.sync.conflicts import open_conflicts, resolve
from console.tickets.service import execute
from models import ErpModule, Priority, Problem, ProblemStatus, Role, Ticket, TicketStatus
from tests import clock
from tests.conftest import PgServer
from tests.people import HOW, Desks, People, fingerprint, give_logins, other_unit
from tests.threats import REFUSED

pytestmark = pytest.mark.postgres
PICKS = {
    "cora": (Role.FUNCTIONAL_CONSULTANT, 0),
    "dan": (Role.FUNCTIONAL_CONSULTANT, 1),
    "sue": (Role.SUPER_USER, 0),
    "max": (Role.SUPPORT_MANAGER, 0),
}
P = ProblemStatus


@pytest.fixture
def people(pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest) -> People:
    return give_logins(pg_demo(), pg_server, PICKS, request.addfinalizer)


def test_a_consultant_works_a_problem_under_the_databases_rules(people: People, desks: Desks) -> None:
    desk, cora = desks["cora"], desks.actor("cora")
    with desk.cache().begin() as conn:
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code)).scalars().first()
        linked = list(conn.execute(select(Ticket.id).where(Ticket.status == TicketStatus.IN_PROGRESS).limit(2))
                      .scalars())  # fmt: skip
        number = new_problem_number(conn, desk.client_id, desk.reserve_numbers)
    assert module is not None
    problem_id = uuid.uuid4()
    engine = desk.cache()
    execute_problem(engine, cora, NewProblem(problem_id, number, "Posting fails", module, Priority.HIGH,
                                             incidents=frozenset(linked)))  # fmt: skip
    execute_problem(engine, cora, MoveProblem(problem_id, P.INVESTIGATING, P.NEW))
    execute_problem(engine, cora, EditProblem(problem_id, "workaround", "Open the period by hand", None))
    execute_problem(engine, cora, MoveProblem(problem_id, P.KNOWN_ERROR, P.INVESTIGATING))
    desks.sync("cora")  # every intent applied as Cora's own role: none refused
    desks.sync("dan")
    with desks["dan"].cache().connect() as conn:
        row = conn.execute(select(Problem.status, Problem.workaround).where(Problem.id == problem_id)).one()
        assert tuple(row) == (P.KNOWN_ERROR, "Open the period by hand")
        assert set(conn.execute(select(Ticket.id).where(Ticket.problem_id == problem_id)).scalars()) == set(linked)


def test_a_field_edited_on_two_desks_is_a_conflict_each_reads_and_the_author_settles(
    people: People, desks: Desks
) -> None:
    """Dan's root cause meets Cora's: the shared database keeps his as a conflict naming her, both read it in psql,
    and his desk settles it (his text, edited) through the database's rules."""
    desk, cora, dan = desks["cora"], desks.actor("cora"), desks.actor("dan")
    with desk.cache().begin() as conn:
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code)).scalars().first()
        number = new_problem_number(conn, desk.client_id, desk.reserve_numbers)
    assert module is not None
    problem_id = uuid.uuid4()
    execute_problem(desk.cache(), cora, NewProblem(problem_id, number, "Posting fails", module, Priority.HIGH))
    desks.sync("cora")
    desks.sync("dan")
    execute_problem(desk.cache(), cora, EditProblem(problem_id, "root_cause", "The period is closed", None))
    desks.sync("cora")
    execute_problem(desks["dan"].cache(), dan, EditProblem(problem_id, "root_cause", "A batch job fails", None))
    desks.sync("dan")
    with people.admin() as conn:
        found = conn.execute(
            "SELECT user_id, theirs_user_id, mine_value, theirs_value FROM sync_conflicts "
            "WHERE entity_table = 'problems' AND entity_id = %s",
            (problem_id,),
        ).fetchall()
    assert found == [(dan.id, cora.id, "A batch job fails", "The period is closed")]
    for name in ("cora", "dan"):
        with people.connect(name) as session:
            assert session.value("SELECT count(*) FROM sync_conflicts WHERE entity_id = %s", (problem_id,)) == 1
    with desks["dan"].cache().connect() as conn:
        (conflict,) = open_conflicts(conn, dan)
    resolve(desks["dan"].cache(), dan, conflict, "edited", "A batch job fails when the period is closed")
    desks.sync("dan")
    desks.sync("cora")
    with desk.cache().connect() as conn:
        assert conn.execute(select(Problem.root_cause).where(Problem.id == problem_id)).scalar() == (
            "A batch job fails when the period is closed"
        )
        assert open_conflicts(conn, cora) == []


BLOCK = (
    "INSERT INTO number_blocks (id, series, first, last, next_free, client_id, reserved_at) "
    "SELECT gen_random_uuid(), 'PRB', COALESCE(max(last), 0) + 1, COALESCE(max(last), 0) + 10, "
    "COALESCE(max(last), 0) + 1, 'desk', now() FROM number_blocks WHERE series = 'PRB' RETURNING first"
)
OPEN = (
    "INSERT INTO problems (id, number, title, description, status, priority, module_id, owner_id, created_at, "
    "updated_at) SELECT gen_random_uuid(), %s, 'Mine', '', %s, 'high', id, %s, now(), now() FROM erp_modules LIMIT 1"
)


def a_problem(
    people: People, owner: str, status: str, workaround: str | None = None, unit: uuid.UUID | None = None
) -> str:
    """A problem the administrator made (of a business unit, or of none): its number."""
    with people.admin() as conn:
        number = f"PRB-{uuid.uuid4().int % 10**7:07d}"
        conn.execute(
            "INSERT INTO problems (id, number, title, description, status, priority, module_id, owner_id, "
            "workaround, business_unit_id, created_at, updated_at) SELECT gen_random_uuid(), %s, 'Theirs', '', %s, "
            "'high', id, %s, %s, %s, now(), now() FROM erp_modules LIMIT 1",
            (number, status, people[owner].id, workaround, unit),
        )
        conn.commit()
    return number


@pytest.mark.parametrize("how", HOW)
def test_no_one_skips_a_problems_rules_in_psql(people: People, how: str) -> None:
    """A super-user opens none; a consultant opens one only as New with a number of her own, moves it only along
    the lifecycle with what each status asks, closes only her own, and changes nothing of a closed one."""
    investigating = a_problem(people, "dan", "investigating", unit=min(people["sue"].units))  # one Sue reads
    dans_known = a_problem(people, "dan", "known_error", "Open the period by hand")
    dans_resolved = a_problem(people, "dan", "resolved", "Open the period by hand")
    closed = a_problem(people, "dan", "closed")
    with people.connect("cora", how) as session:
        session._as_person()
        row = session.conn.execute(BLOCK).fetchone()
        session.conn.commit()
    assert row is not None
    mine = f"PRB-{row[0]:07d}"
    attempts = [
        ("sue", OPEN, (mine, "new", people["sue"].id)),
        ("cora", OPEN, (mine, "known_error", people["cora"].id)),  # straight into Known error
        ("cora", OPEN, ("PRB-9999999", "new", people["cora"].id)),  # not a number of hers
        ("cora", "UPDATE problems SET status = 'known_error' WHERE number = %s", (investigating,)),  # no workaround
        ("cora", "UPDATE problems SET status = 'closed' WHERE number = %s", (investigating,)),  # not a move
        ("cora", "UPDATE problems SET status = 'closed' WHERE number = %s", (dans_resolved,)),  # not her own
        ("cora", "UPDATE problems SET title = 'Reopened' WHERE number = %s", (closed,)),
        ("sue", "UPDATE problems SET title = 'Mine now' WHERE number = %s", (investigating,)),
    ]
    before = fingerprint(people)
    for name, statement, params in attempts:
        with people.connect(name, how) as session:
            error = session.attempt(statement, params)
        assert error is not None, (name, statement, params)
        assert error.sqlstate == REFUSED, f"{name}: {statement}: {error.sqlstate} {error}"
    after = fingerprint(people)
    assert {t: v for t, v in after.items() if t != "number_blocks"} == {
        t: v for t, v in before.items() if t != "number_blocks"
    }
    # What she may: open one of her own as New, and resolve a known error (the positive control).
    with people.connect("cora", how) as session:
        assert session.attempt(OPEN, (mine, "new", people["cora"].id)) is None
        assert session.attempt("UPDATE problems SET status = 'resolved' WHERE number = %s", (dans_known,)) is None


@dataclass(frozen=True)
class Touching:
    """Problems by the administrator, some touching Sue's units (their numbers), and what she should read."""

    of_hers: str  # of her unit
    linked_here: str  # of another unit, with an incident in hers
    elsewhere: str  # of another unit, its incident there
    nowhere: str  # of no unit, no incident, fixed by a change and with a history
    sees: set[str]  # every problem touching her units (or what a published article is about), as the database has it
    everyone: int  # every problem


def touching(people: People) -> Touching:
    mine, other = min(people["sue"].units), other_unit(people, "sue")
    of_hers = a_problem(people, "dan", "investigating", unit=mine)
    linked_here = a_problem(people, "dan", "investigating", unit=other)
    elsewhere = a_problem(people, "dan", "investigating", unit=other)
    nowhere = a_problem(people, "dan", "new")
    link = (
        "UPDATE tickets SET problem_id = (SELECT id FROM problems WHERE number = %s) WHERE id = (SELECT id FROM "
        "tickets WHERE business_unit_id = %s AND problem_id IS NULL AND status <> 'closed' "
        "ORDER BY number LIMIT 1)"
    )
    with people.admin() as conn:
        conn.execute(link, (linked_here, mine))
        conn.execute(link, (elsewhere, other))
        conn.execute(
            "INSERT INTO change_problems SELECT c.id, p.id FROM change_requests c, problems p WHERE p.number = %s "
            "ORDER BY c.number LIMIT 1",
            (nowhere,),
        )
        conn.execute(
            "INSERT INTO audit_events (id, occurred_at, seq, actor_id, entity_type, entity_id, action) "
            "SELECT gen_random_uuid(), now(), 1, owner_id, 'problem', id, 'created' FROM problems WHERE number = %s",
            (nowhere,),
        )
        sees = {
            r[0]
            for r in conn.execute(
                "SELECT number FROM problems p WHERE p.business_unit_id = ANY (%(units)s) OR EXISTS (SELECT 1 FROM "
                "tickets t WHERE t.problem_id = p.id AND t.business_unit_id = ANY (%(units)s)) OR EXISTS (SELECT 1 "
                "FROM knowledge_articles a WHERE a.problem_id = p.id AND a.status = 'published')",
                {"units": list(people["sue"].units)},
            )
        }
        everyone = conn.execute("SELECT count(*) FROM problems").fetchone()
        conn.commit()
    assert everyone is not None
    return Touching(of_hers, linked_here, elsewhere, nowhere, sees, int(everyone[0]))


@pytest.mark.parametrize("how", HOW)
def test_a_super_user_reads_only_the_problems_touching_her_units(people: People, how: str) -> None:
    """In psql Sue reads the problems of her units or with an incident in them (and what a published article she
    reads is about: her desk holds what it refers to), not their fixes or history otherwise; a consultant, all."""
    scene = touching(people)
    fixes = "SELECT count(*) FROM change_problems WHERE problem_id = %s"
    history = "SELECT count(*) FROM audit_events WHERE entity_type = 'problem' AND entity_id = %s"
    with people.admin() as conn:
        found = conn.execute("SELECT id FROM problems WHERE number = %s", (scene.nowhere,)).fetchone()
    assert found is not None
    with people.connect("sue", how) as sue:
        seen = {r[0] for r in sue.query("SELECT number FROM problems")}
        assert seen == scene.sees
        assert {scene.of_hers, scene.linked_here} <= seen
        assert not {scene.elsewhere, scene.nowhere} & seen
        assert sue.value(fixes, (found[0],)) == 0
        assert sue.value(history, (found[0],)) == 0
        assert sue.value("SELECT count(*) FROM change_problems") == sue.value(
            "SELECT count(*) FROM change_problems c WHERE EXISTS (SELECT 1 FROM problems p WHERE p.id = c.problem_id)"
        )
        # What she reads refers to no problem she does not: her incidents', her articles'.
        for refers in ("tickets", "knowledge_articles"):
            assert sue.value(f"SELECT count(*) FROM {refers} r WHERE r.problem_id IS NOT NULL AND NOT EXISTS "
                             "(SELECT 1 FROM problems p WHERE p.id = r.problem_id)") == 0, refers  # fmt: skip
    with people.connect("cora", how) as cora:
        assert cora.value("SELECT count(*) FROM problems") == scene.everyone
        assert cora.value(fixes, (found[0],)) == 1
        assert cora.value(history, (found[0],)) == 1


def test_a_super_users_desk_lists_the_problems_her_login_reads(people: People, desks: Desks) -> None:
    """Her desk lists and opens what the database lets her read, and a problem that stops touching her units (its
    incident there unlinked) leaves her list though her cache still holds it."""
    scene = touching(people)
    sue = desks.actor("sue")
    every = ProblemFilter(statuses=tuple(ProblemStatus))

    def listed() -> set[str]:
        with desks["sue"].cache().connect() as conn:
            return {row.number for row in list_problems(conn, sue, every)}

    def in_psql() -> set[str]:
        with people.connect("sue") as session:
            return {r[0] for r in session.query("SELECT number FROM problems")}

    assert listed() == in_psql() == scene.sees
    with desks["sue"].cache().connect() as cache:
        assert load_problem(cache, sue, scene.linked_here).number == scene.linked_here
        with pytest.raises(ConsoleError, match="No problem"):
            load_problem(cache, sue, scene.elsewhere)
    cora, mine = desks.actor("cora"), min(people["sue"].units)
    with people.admin() as conn:
        found = conn.execute(
            "SELECT t.id, p.id FROM tickets t JOIN problems p ON p.id = t.problem_id "
            "WHERE p.number = %s AND t.business_unit_id = %s",
            (scene.linked_here, mine),
        ).fetchone()
    assert found is not None
    desks.sync("cora")
    execute(desks["cora"].cache(), cora, [SetField(found[0], "problem_id", None, found[1])], clock.now())
    desks.sync("cora")
    desks.sync("sue")
    with desks["sue"].cache().connect() as cache:  # still held, no longer hers to read
        assert cache.execute(select(Problem.id).where(Problem.number == scene.linked_here)).first() is not None
    assert scene.linked_here not in listed()
    assert listed() == in_psql() == scene.sees - {scene.linked_here}


def test_a_super_users_sync_goes_on_when_her_incident_is_linked_to_a_problem_new_to_her(
    people: People, desks: Desks
) -> None:
    scene = touching(people)
    desks["sue"]
    mine = min(people["sue"].units)
    with people.admin() as conn:  # her incident of another unit's problem goes to one touching none of hers
        found = conn.execute(
            "SELECT t.id, t.problem_id, p.id FROM tickets t, problems p WHERE t.business_unit_id = %s "
            "AND t.problem_id = (SELECT id FROM problems WHERE number = %s) AND p.number = %s",
            (mine, scene.linked_here, scene.nowhere),
        ).fetchone()
    assert found is not None
    cora = desks.actor("cora")
    desks.sync("cora")
    execute(desks["cora"].cache(), cora, [SetField(found[0], "problem_id", found[2], found[1])], clock.now())
    desks.sync("cora")
    desks.sync("sue")
    with desks["sue"].cache().connect() as conn:
        assert conn.execute(select(Ticket.problem_id).where(Ticket.id == found[0])).scalar() == found[2]
