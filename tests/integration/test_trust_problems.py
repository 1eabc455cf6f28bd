"""Problems on a shared PostgreSQL database, each person with a login of their own: a consultant's desk works a
problem through its lifecycle under the database's rules, and in psql no one skips them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import select

from console.journal.intents import EditProblem, MoveProblem, NewProblem
from console.problems.service import execute_problem, new_problem_number
from models import ErpModule, Priority, Problem, ProblemStatus, Role, Ticket, TicketStatus
from tests.conftest import PgServer
from tests.people import HOW, Desks, People, fingerprint, give_logins
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


BLOCK = (
    "INSERT INTO number_blocks (id, series, first, last, next_free, client_id, reserved_at) "
    "SELECT gen_random_uuid(), 'PRB', COALESCE(max(last), 0) + 1, COALESCE(max(last), 0) + 10, "
    "COALESCE(max(last), 0) + 1, 'desk', now() FROM number_blocks WHERE series = 'PRB' RETURNING first"
)
OPEN = (
    "INSERT INTO problems (id, number, title, description, status, priority, module_id, owner_id, created_at, "
    "updated_at) SELECT gen_random_uuid(), %s, 'Mine', '', %s, 'high', id, %s, now(), now() FROM erp_modules LIMIT 1"
)


def a_problem(people: People, owner: str, status: str, workaround: str | None = None) -> str:
    """A problem the administrator made: its number."""
    with people.admin() as conn:
        number = f"PRB-{uuid.uuid4().int % 10**7:07d}"
        conn.execute(
            "INSERT INTO problems (id, number, title, description, status, priority, module_id, owner_id, "
            "workaround, created_at, updated_at) SELECT gen_random_uuid(), %s, 'Theirs', '', %s, 'high', id, %s, "
            "%s, now(), now() FROM erp_modules LIMIT 1",
            (number, status, people[owner].id, workaround),
        )
        conn.commit()
    return number


@pytest.mark.parametrize("how", HOW)
def test_no_one_skips_a_problems_rules_in_psql(people: People, how: str) -> None:
    """A super-user opens none; a consultant opens one only as New with a number of her own, moves it only along
    the lifecycle with what each status asks, closes only her own, and changes nothing of a closed one."""
    investigating = a_problem(people, "dan", "investigating")
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
