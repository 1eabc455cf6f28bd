"""`support-console change …` on a demo workspace: a change through its stages from a shell, as
different people (``--as``), with the window's gates, approval rules and conflicts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.cli.command import main
from console.store.workspace import Workspace
from models import (
    ApprovalDecision,
    ApproverDelegation,
    BusinessUnit,
    ChangeApproval,
    ChangeRequest,
    ChangeTemplate,
    ErpModule,
    Membership,
    Role,
    User,
)
from tests import clock


def change(home: Path, *args: str) -> int:
    return main(["--home", str(home), "change", *args])


def query(home: Path, statement: object) -> list[tuple[object, ...]]:
    with Workspace.open(home).cache().connect() as conn:
        return [tuple(r) for r in conn.execute(statement)]  # type: ignore[call-overload]


def test_a_change_through_its_gates_from_the_command_line(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requester, unit = query(
        demo_copy,
        select(User.login, BusinessUnit.code)
        .join(Membership, Membership.user_id == User.id)
        .join(BusinessUnit, BusinessUnit.id == Membership.business_unit_id)
        .where(User.role == Role.FUNCTIONAL_CONSULTANT)
        .order_by(User.login),
    )[0]
    me = ["--as", str(requester)]
    start = f"{clock.now() + timedelta(days=70):%Y-%m}-10T18:00"  # mid-month, two months ahead: no freeze
    assert change(demo_copy, *me, "new", "--title", "Dunning letter layout", "--module", "fin", "--unit", str(unit),
                  "--start", start, "--description", "New dunning letter layout.",
                  "--reason", "Legal text changed.") == 0  # fmt: skip
    number = capsys.readouterr().out.split()[1].rstrip(":")
    assert number.startswith("CHG-")
    assert change(demo_copy, *me, "move", number, "awaiting_approval") == 1
    assert "cannot go from draft to awaiting approval" in capsys.readouterr().err
    assert change(demo_copy, *me, "move", number, "assessment") == 0
    assert change(demo_copy, *me, "assess", number, "tested=yes") == 1
    assert "Answer every question" in capsys.readouterr().err
    answers = ["business_impact=none", "users_affected=few", "complexity=config", "tested=yes", "backout=tested",
               "period_end=far"]  # fmt: skip
    assert change(demo_copy, *me, "assess", number, *answers) == 0
    assert "Risk low" in capsys.readouterr().out
    for field, text in (("implementation_plan", "Upload the form."), ("test_plan", "Print 3 letters."),
                        ("backout_plan", "Restore the old form.")):  # fmt: skip
        assert change(demo_copy, *me, "set", number, "--field", field, "--text", text) == 0
    assert change(demo_copy, *me, "move", number, "awaiting_approval") == 0
    assert change(demo_copy, *me, "approve", number, "--comment", "mine") == 1
    assert "requester of a change cannot decide" in capsys.readouterr().err

    approver = query(
        demo_copy,
        select(User.login)
        .join(ChangeApproval, ChangeApproval.approver_id == User.id)
        .join(ChangeRequest, ChangeRequest.id == ChangeApproval.change_id)
        .where(ChangeRequest.number == number),
    )[0][0]
    assert change(demo_copy, "--as", str(approver), "list", "--awaiting", "--format", "json") == 0
    waiting = [c["change"] for c in json.loads(capsys.readouterr().out)["changes"]]
    assert number in waiting
    assert change(demo_copy, "--as", str(approver), "approve", number, "--comment", "Low risk, fine.") == 0
    assert "now approved" in capsys.readouterr().out
    decided = query(
        demo_copy,
        select(ChangeApproval.decision, ChangeApproval.comment)
        .join(ChangeRequest, ChangeRequest.id == ChangeApproval.change_id)
        .where(ChangeRequest.number == number, ChangeApproval.decision != ApprovalDecision.PENDING),
    )
    assert decided == [(ApprovalDecision.APPROVED, "Low risk, fine.")]

    assert change(demo_copy, *me, "show", number, "--format", "json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["change"]["stage"] == "approved"  # JSON: the machine value; the table says "Approved"
    assert [h["what"] for h in shown["history"]][-1] == "stage Awaiting approval → Approved"


def test_freezes_and_the_agenda(demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manager = query(demo_copy, select(User.login).where(User.role == Role.SUPPORT_MANAGER).order_by(User.login))[0][0]
    assert change(demo_copy, "--as", str(manager), "freezes") == 0
    assert capsys.readouterr().out.startswith("month=3,2 quarter=5,3 year=7,5")
    assert change(demo_copy, "--as", str(manager), "freezes", "--set", "month=4,2 quarter=6,3 year=8,5") == 0
    assert change(demo_copy, "--as", str(manager), "freezes") == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("month=4,2 quarter=6,3 year=8,5")
    assert change(demo_copy, "--as", str(manager), "freezes", "--set", "month=lots") == 1
    assert "month=3,2" in capsys.readouterr().err
    out = tmp_path / "agenda.pdf"
    assert change(demo_copy, "--as", str(manager), "agenda", "--days", "366", "--out", str(out)) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert change(demo_copy, "--as", str(manager), "agenda", "--out", str(tmp_path / "agenda.txt")) == 1
    assert ".pdf or .csv" in capsys.readouterr().err


def test_templates_and_time_away(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    consultants = query(
        demo_copy, select(User.login).where(User.role == Role.FUNCTIONAL_CONSULTANT).order_by(User.login)
    )
    me, other = str(consultants[0][0]), str(consultants[1][0])
    assert change(demo_copy, "--as", me, "templates") == 0
    listed = capsys.readouterr().out
    name = query(demo_copy, select(ChangeTemplate.name).order_by(ChangeTemplate.name))[0][0]
    assert str(name) in listed
    unit = query(demo_copy, select(BusinessUnit.code).join(Membership).join(User).where(User.login == me))[0][0]
    module = str(name).split(": ")[1].split(" master-data")[0]
    code = query(demo_copy, select(ErpModule.code).where(ErpModule.name == module))[0][0]
    assert change(demo_copy, "--as", me, "new", "--type", "standard", "--title", "Bank data", "--module", str(code),
                  "--unit", str(unit), "--template", "no such template") == 1  # fmt: skip
    assert "change templates" in capsys.readouterr().err
    assert change(demo_copy, "--as", me, "new", "--type", "standard", "--title", "Bank data", "--module", str(code),
                  "--unit", str(unit), "--template", str(name)) == 0  # fmt: skip
    assert "Requested CHG-" in capsys.readouterr().out

    assert change(demo_copy, "--as", me, "away", "--to", me, "--until", "2099-01-01") == 1
    assert "someone else" in capsys.readouterr().err
    assert (
        change(
            demo_copy,
            "--as",
            me,
            "away",
            "--to",
            other,
            "--until",
            (clock.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        )
        == 0
    )
    assert f"{other} decides your approvals" in capsys.readouterr().out
    mine = query(
        demo_copy,
        select(ApproverDelegation.delegate_id)
        .join(User, User.id == ApproverDelegation.approver_id)
        .where(User.login == me),
    )
    assert len(mine) == 1
    assert change(demo_copy, "--as", me, "back") == 0
    assert "1 delegation ended" in capsys.readouterr().out
