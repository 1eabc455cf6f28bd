"""`support-console ticket …` on a demo workspace: the same rules as the window, from a shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from console.cli.command import main
from console.store.workspace import Workspace
from models import BusinessUnit, Comment, DeploymentInfo, Membership, Role, Ticket, TicketStatus, User


def run(home: Path, *args: str) -> int:
    return main(["--home", str(home), "ticket", *args])


def login_of(home: Path, role: Role) -> str:
    with Workspace.open(home).cache().connect() as conn:
        return str(conn.execute(select(User.login).where(User.role == role).order_by(User.login)).scalars().first())


def test_list_filters_and_formats(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(demo_copy, "list", "--status", "all", "--unit", "dxb-hq", "--format", "json", "--limit", "500") == 0
    rows = json.loads(capsys.readouterr().out)["tickets"]
    assert rows
    assert {r["unit"] for r in rows} == {"DXB-HQ"}
    with Workspace.open(demo_copy).cache().connect() as conn:
        unit = conn.execute(select(BusinessUnit.id).where(BusinessUnit.code == "DXB-HQ")).scalar_one()
        expected = conn.execute(select(Ticket.number).where(Ticket.business_unit_id == unit)).scalars().all()
    assert len(rows) == min(500, len(expected))
    assert run(demo_copy, "list", "--unit", "nowhere") == 1
    assert "No business unit NOWHERE; known: " in capsys.readouterr().err


def test_search_takes_sql_and_fts_syntax_as_plain_words(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for text in ("'; DROP TABLE tickets; --", 'NEAR("a" OR', "*", "title:x AND ^"):
        assert run(demo_copy, "list", "--status", "all", "--search", text, "--format", "csv") == 0
    capsys.readouterr()
    assert run(demo_copy, "list", "--status", "all", "--search", "invoice", "--format", "json") == 0
    found = json.loads(capsys.readouterr().out)["tickets"]
    assert found
    assert all("invoice" in r["title"].lower() or r["number"] for r in found)


def test_log_work_and_show_a_ticket(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    consultant = login_of(demo_copy, Role.FUNCTIONAL_CONSULTANT)
    assert run(demo_copy, "new", "--title", "Payment run 4711 stuck", "--unit", "dxb-hq", "--module", "fin") == 0
    number = capsys.readouterr().out.split()[1]
    assert number.startswith("INC-")
    assert run(demo_copy, "set", number, "--status", "resolved") == 1
    assert "cannot go from New to Resolved" in capsys.readouterr().err
    assert run(demo_copy, "set", number, "--assignee", consultant, "--status", "in_progress") == 0
    assert run(demo_copy, "note", number, "Asked the bank for the payment file", "--internal") == 0
    assert run(demo_copy, "set", number, "--status", "pending_vendor") == 1
    assert "a reason is required" in capsys.readouterr().err
    assert run(demo_copy, "show", number, "--format", "json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ticket"]["status"] == "in_progress"  # JSON: the machine value; the table says "In progress"
    assert [n["text"] for n in shown["notes"]] == ["Asked the bank for the payment file"]
    with Workspace.open(demo_copy).cache().connect() as conn:
        row = conn.execute(select(Ticket.status, Ticket.assignee_id, Ticket.id).where(Ticket.number == number)).one()
        assert row.status == TicketStatus.IN_PROGRESS
        assert conn.execute(select(User.login).where(User.id == row.assignee_id)).scalar() == consultant
        assert conn.execute(select(Comment.visibility).where(Comment.ticket_id == row.id)).scalar() == "internal"


def test_a_super_user_sees_only_their_units(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace.open(demo_copy).cache().connect() as conn:
        user_id, login = conn.execute(select(User.id, User.login).where(User.role == Role.SUPER_USER).limit(1)).one()
        units = set(
            conn.execute(
                select(BusinessUnit.code)
                .join(Membership, Membership.business_unit_id == BusinessUnit.id)
                .where(Membership.user_id == user_id)
            ).scalars()
        )
        other = conn.execute(
            select(Ticket.number).join(BusinessUnit).where(BusinessUnit.code.not_in(units)).limit(1)
        ).scalar_one()
    assert run(demo_copy, "--as", login, "list", "--status", "all", "--format", "json", "--limit", "5000") == 0
    seen = {r["unit"] for r in json.loads(capsys.readouterr().out)["tickets"]}
    assert seen
    assert seen <= units
    assert run(demo_copy, "--as", login, "show", other) == 1
    assert "that you can see" in capsys.readouterr().err
    assert run(demo_copy, "--as", login, "list", "--status", "all", "--search", other) == 0
    assert other not in capsys.readouterr().out


def test_acting_as_someone_else_only_in_a_demo(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    consultant = login_of(demo_copy, Role.FUNCTIONAL_CONSULTANT)
    with Workspace.open(demo_copy).cache().begin() as conn:
        conn.execute(update(DeploymentInfo).where(DeploymentInfo.key == "kind").values(value="production"))
    assert run(demo_copy, "--as", consultant, "list") == 1
    assert "--as works only in a demo workspace" in capsys.readouterr().err
