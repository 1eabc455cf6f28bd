"""Problem management on a workspace: opened with its incidents, moved along its lifecycle by its rules, worked
only by those who may, shown in full; and synced to the team like tickets and changes."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from console.access import Actor, Refused, load_actor
from console.journal.intents import EditProblem, LinkIncidents, MoveProblem, NewProblem
from console.journal.outbox import pending
from console.problems.lists import ProblemFilter, known_error_for, list_problems, load_problem, open_incidents
from console.problems.service import execute_problem, new_problem_number
from console.store.workspace import Workspace
from console.sync import client
from console.sync.conflicts import open_conflicts, resolve
from models import (
    AuditEvent,
    ChangeRequest,
    EntityType,
    ErpModule,
    Priority,
    Problem,
    ProblemStatus,
    Role,
    Ticket,
    TicketStatus,
    User,
    change_problems,
)
from tests import clock
from tests.sync_team import Team

P = ProblemStatus


def person(workspace: Workspace, role: Role) -> Actor:
    with workspace.cache().connect() as conn:
        login = (
            conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login))
            .scalars()
            .first()
        )
        assert login is not None
        return load_actor(conn, login)


def incidents(workspace: Workspace, n: int) -> list[uuid.UUID]:
    with workspace.cache().connect() as conn:
        query = select(Ticket.id).where(Ticket.status.in_([TicketStatus.NEW, TicketStatus.IN_PROGRESS]))
        return list(conn.execute(query.order_by(Ticket.number).limit(n)).scalars())


def opened(workspace: Workspace, actor: Actor, linked: list[uuid.UUID]) -> uuid.UUID:
    with workspace.cache().begin() as conn:
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code)).scalars().first()
        assert module is not None
        number = new_problem_number(conn, workspace.client_id, workspace.reserve_numbers)
    problem_id = uuid.uuid4()
    intent = NewProblem(problem_id, number, "Period-end posting fails", module, Priority.HIGH,
                        incidents=frozenset(linked))  # fmt: skip
    execute_problem(workspace.cache(), actor, intent, clock.now())
    return problem_id


def status(workspace: Workspace, problem_id: uuid.UUID) -> ProblemStatus:
    with workspace.cache().connect() as conn:
        return ProblemStatus(conn.execute(select(Problem.status).where(Problem.id == problem_id)).scalar_one())


def move(
    workspace: Workspace, actor: Actor, problem_id: uuid.UUID, to: ProblemStatus, reason: str | None = None
) -> None:
    execute_problem(workspace.cache(), actor, MoveProblem(problem_id, to, status(workspace, problem_id), reason))


def edit(workspace: Workspace, actor: Actor, problem_id: uuid.UUID, field: str, value: object) -> None:
    with workspace.cache().connect() as conn:
        base = conn.execute(select(Problem.__table__.c[field]).where(Problem.id == problem_id)).scalar()
    execute_problem(workspace.cache(), actor, EditProblem(problem_id, field, value, base))


def test_a_problem_opened_from_incidents_links_them_each_audited(workspace: Workspace) -> None:
    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    linked = incidents(workspace, 3)
    problem_id = opened(workspace, consultant, linked)
    with workspace.cache().connect() as conn:
        row = conn.execute(select(Problem).where(Problem.id == problem_id)).one()
        assert (row.status, row.owner_id) == (P.NEW, consultant.id)
        assert set(conn.execute(select(Ticket.id).where(Ticket.problem_id == problem_id)).scalars()) == set(linked)
        on_tickets = conn.execute(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.entity_type == EntityType.TICKET, AuditEvent.field == "problem_id",
                AuditEvent.entity_id.in_(linked))
        ).scalar_one()  # fmt: skip
        assert on_tickets == 3
        assert pending(conn) == 1
        detail = load_problem(conn, consultant, row.number)
        assert {i.id for i in detail.incidents} == set(linked)
        assert [s.field for s in detail.history][:2] == ["logged", "incident"]
        assert len(open_incidents(conn, problem_id)) == 3


def test_the_lifecycle_moves_only_with_what_each_status_asks(workspace: Workspace) -> None:
    consultant, manager = person(workspace, Role.FUNCTIONAL_CONSULTANT), person(workspace, Role.SUPPORT_MANAGER)
    problem_id = opened(workspace, consultant, incidents(workspace, 1))
    with pytest.raises(Refused, match="cannot go from New to Known error"):
        move(workspace, consultant, problem_id, P.KNOWN_ERROR)
    move(workspace, consultant, problem_id, P.INVESTIGATING)
    with pytest.raises(Refused, match="root cause"):
        move(workspace, consultant, problem_id, P.ROOT_CAUSE_KNOWN)
    edit(workspace, consultant, problem_id, "root_cause", "The batch job does not open the posting period")
    move(workspace, consultant, problem_id, P.ROOT_CAUSE_KNOWN)
    with pytest.raises(Refused, match="workaround"):
        move(workspace, consultant, problem_id, P.KNOWN_ERROR)
    edit(workspace, consultant, problem_id, "workaround", "Open the period by hand, then post again")
    move(workspace, consultant, problem_id, P.KNOWN_ERROR)
    with workspace.cache().connect() as conn:
        linked = conn.execute(select(Ticket.id).where(Ticket.problem_id == problem_id)).scalar_one()
        assert known_error_for(conn, linked) is not None  # its workaround reaches the incident
        assert conn.execute(select(Problem.known_error_at).where(Problem.id == problem_id)).scalar() is not None
    with pytest.raises(Refused, match="change request"):
        move(workspace, consultant, problem_id, P.FIX_IN_CHANGE)
    with workspace.cache().begin() as conn:  # a change that fixes it (as requesting one from the problem links it)
        change = conn.execute(select(ChangeRequest.id).limit(1)).scalar_one()
        conn.execute(insert(change_problems), [{"change_id": change, "problem_id": problem_id}])
    move(workspace, consultant, problem_id, P.FIX_IN_CHANGE)
    with pytest.raises(Refused, match="Say why"):
        move(workspace, consultant, problem_id, P.RESOLVED)
    move(workspace, consultant, problem_id, P.RESOLVED, "The fix reached production")
    other = person(workspace, Role.TECHNICAL)
    with pytest.raises(Refused, match="Only its owner or a support manager"):
        move(workspace, other, problem_id, P.CLOSED, "Done")
    move(workspace, manager, problem_id, P.CLOSED, "Done")
    assert status(workspace, problem_id) is P.CLOSED
    with pytest.raises(Refused, match="closed"):
        edit(workspace, manager, problem_id, "title", "Again")


@pytest.mark.parametrize("role", [Role.SUPER_USER, Role.SERVICE_DESK_ANALYST, Role.CHANGE_APPROVER])
def test_only_those_who_work_problems_open_them(workspace: Workspace, role: Role) -> None:
    with pytest.raises(Refused, match="cannot work problems"):
        opened(workspace, person(workspace, role), [])


def test_an_edit_on_what_changed_meanwhile_is_refused_and_the_same_edit_is_nothing(workspace: Workspace) -> None:
    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    problem_id = opened(workspace, consultant, [])
    stale = EditProblem(problem_id, "title", "Mine", "Not what it says")
    with pytest.raises(Refused, match="changed meanwhile"):
        execute_problem(workspace.cache(), consultant, stale)
    same = EditProblem(problem_id, "title", "Period-end posting fails", "Not what it says")
    assert execute_problem(workspace.cache(), consultant, same).events == 0


def test_unlinking_and_the_list_filters(workspace: Workspace) -> None:
    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    linked = incidents(workspace, 2)
    problem_id = opened(workspace, consultant, linked)
    execute_problem(workspace.cache(), consultant, LinkIncidents(problem_id, frozenset(linked[:1]), unlink=True))
    with workspace.cache().connect() as conn:
        assert list(conn.execute(select(Ticket.id).where(Ticket.problem_id == problem_id)).scalars()) == linked[1:]
        found = list_problems(conn, consultant, ProblemFilter(search="period-end posting"))
        assert [(r.id, r.incidents) for r in found] == [(problem_id, 1)]
        assert list_problems(conn, consultant, ProblemFilter(search="period-end", known_error=True)) == []
        assert list_problems(conn, consultant, ProblemFilter(statuses=(P.CLOSED,), search="period-end")) == []


def test_problems_sync_with_their_incidents(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    bob = team.desk("bob", Role.FUNCTIONAL_CONSULTANT, nth=1)
    actor = team.actor(alice)
    linked = incidents(alice, 2)
    problem_id = opened(alice, actor, linked)
    move(alice, actor, problem_id, P.INVESTIGATING)
    report = client.sync_workspace(alice)
    assert report.rejected == []
    client.sync_workspace(bob)
    with bob.cache().connect() as conn:
        row = conn.execute(select(Problem.status, Problem.owner_id).where(Problem.id == problem_id)).one()
        assert (row.status, row.owner_id) == (P.INVESTIGATING, actor.id)
        assert set(conn.execute(select(Ticket.id).where(Ticket.problem_id == problem_id)).scalars()) == set(linked)
        events = conn.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_id == problem_id))
        assert events.scalar_one() == 1 + 2 + 1  # logged, two incidents, the move
    # Bob's edit of a title that Alice changed meanwhile is never a silent overwrite: his desk takes the shared
    # title back and his is kept in a conflict, which he settles (his, here) and which reaches Alice.
    bob_actor = team.actor(bob)
    title = "Period-end posting fails"
    execute_problem(alice.cache(), actor, EditProblem(problem_id, "title", "Posting fails on the last day", title))
    client.sync_workspace(alice)
    execute_problem(bob.cache(), bob_actor, EditProblem(problem_id, "title", "Posting period not open", title),
                    clock.now() + timedelta(seconds=1))  # fmt: skip
    report = client.sync_workspace(bob)
    assert (report.rejected, report.conflicts) == ([], 1)
    with bob.cache().connect() as conn:
        assert conn.execute(select(Problem.title).where(Problem.id == problem_id)).scalar() == (
            "Posting fails on the last day"
        )
        (conflict,) = open_conflicts(conn, bob_actor)
    assert (conflict.entity_table, conflict.field, conflict.mine, conflict.theirs) == (
        "problems", "title", "Posting period not open", "Posting fails on the last day")  # fmt: skip
    resolve(bob.cache(), bob_actor, conflict, "mine")
    assert client.sync_workspace(bob).rejected == []
    client.sync_workspace(alice)
    with alice.cache().connect() as conn:
        assert conn.execute(select(Problem.title).where(Problem.id == problem_id)).scalar() == "Posting period not open"
        assert open_conflicts(conn, actor) == []


def test_a_known_errors_workaround_is_applied_and_its_incidents_resolved_from_the_desk(workspace: Workspace) -> None:
    from console.desk import Desk

    consultant = person(workspace, Role.FUNCTIONAL_CONSULTANT)
    linked = incidents(workspace, 2)
    problem_id = opened(workspace, consultant, linked)
    desk = Desk(workspace, consultant, clock.now)
    assert desk.known_error(linked[0]) is None
    move(workspace, consultant, problem_id, P.INVESTIGATING)
    edit(workspace, consultant, problem_id, "workaround", "Open the period by hand, then post again")
    move(workspace, consultant, problem_id, P.KNOWN_ERROR)
    found = desk.known_error(linked[0])
    assert found is not None
    assert found[2] == "Open the period by hand, then post again"
    desk.apply_workaround(linked[0])
    assert [r.id for r in desk.problems(ProblemFilter(known_error=True, search="period-end"))] == [problem_id]
    detail = desk.ticket(_number(workspace, linked[0]))
    public = [n for n in detail.notes if not n.internal]
    assert public[-1].body.endswith("Open the period by hand, then post again")
    done, kept = desk.resolve_incidents(problem_id, "Fixed by the known error's workaround").value
    with workspace.cache().connect() as conn:
        statuses = list(conn.execute(select(Ticket.status).where(Ticket.id.in_(linked))).scalars())
    assert len(done) + len(kept) == 2
    assert sum(s == TicketStatus.RESOLVED for s in statuses) == len(done) >= 1


def _number(workspace: Workspace, ticket_id: uuid.UUID) -> str:
    with workspace.cache().connect() as conn:
        return str(conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one())


def test_the_command_line_opens_moves_shows_and_finds_problems(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.cli.command import main

    home = ["--home", str(demo_copy)]
    workspace = Workspace.open(demo_copy)
    try:
        manager = person(workspace, Role.SUPPORT_MANAGER).login
        with workspace.cache().connect() as conn:
            number = conn.execute(select(Ticket.number).where(Ticket.status == TicketStatus.IN_PROGRESS)).scalar()
    finally:
        workspace.close()
    assert number is not None
    assert main([*home, "problem", "--as", manager, "new", "--title", "GR/IR clearing stuck", "--module", "FIN",
                 "--incident", number]) == 0  # fmt: skip
    opened_line = capsys.readouterr().out
    problem = opened_line.split()[0]
    assert problem.startswith("PRB-")
    assert main([*home, "problem", "--as", manager, "move", problem, "known_error"]) == 1
    assert "cannot go from New to Known error" in capsys.readouterr().err
    assert main([*home, "problem", "--as", manager, "move", problem, "investigating"]) == 0
    assert main([*home, "problem", "--as", manager, "set", problem, "workaround", "Clear it by hand (F.13)"]) == 0
    assert main([*home, "problem", "--as", manager, "move", problem, "known_error"]) == 0
    capsys.readouterr()
    assert main([*home, "problem", "--as", manager, "show", problem, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["problem"]["status"] == "Known error"
    assert [i["number"] for i in shown["incidents"]] == [number]
    assert main([*home, "problem", "list", "--known-error", "--search", "GR/IR", "--format", "csv"]) == 0
    assert problem in capsys.readouterr().out
    assert main([*home, "problem", "candidates", "--days", "3650", "--limit", "3", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["candidates"]
    assert 0 < len(found) <= 3
    assert all(c["incidents"] >= 3 for c in found)
