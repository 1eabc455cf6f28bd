"""What the command line prints, as a person and a script read it: options typed whole, "No tickets match.",
proper plurals, tables that a tab or a line break cannot break, typed JSON, a quiet end when the reader goes
away (``| head``), and a ticket's open sync conflicts in ``ticket show``."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from console.store.workspace import Workspace
from models import BusinessUnit, Membership, Role, SyncConflict, Ticket, User, new_id, table_of
from tests import clock
from tests.cli_run import run_at as cli

TITLE = "Payment\trun Zyxwv 4711\nstuck since Monday"


def test_as_after_the_action_acts_as_that_person(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace.open(demo_copy).cache().connect() as conn:
        user_id, login = conn.execute(select(User.id, User.login).where(User.role == Role.SUPER_USER).limit(1)).one()
        units = set(
            conn.execute(select(BusinessUnit.code).join(Membership).where(Membership.user_id == user_id)).scalars()
        )
    listing = ["list", "--status", "all", "--format", "json", "--limit", "5000"]
    before = cli(capsys, demo_copy, "ticket", "--as", login, *listing)
    after = cli(capsys, demo_copy, "ticket", *listing, "--as", login)  # once read as --assignee: nothing listed
    assert before.code == after.code == 0
    assert after.out == before.out
    seen = {t["unit"] for t in json.loads(after.out)["tickets"]}
    assert seen
    assert seen <= units
    assert cli(capsys, demo_copy, "change", "list", "--as", login).code == 0
    assert cli(capsys, demo_copy, "release", "list", "--as", login).code == 0
    refused = cli(capsys, demo_copy, "ticket", "list", "--assig", login)
    assert refused.code == 2
    assert "unrecognized arguments: --assig" in refused.err


def test_an_empty_list_says_so(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nothing = ["list", "--status", "all", "--search", "qqqzzz nothing like it"]
    run = cli(capsys, demo_copy, "ticket", *nothing)
    assert (run.code, run.out, run.err) == (0, "No tickets match.\n", "")
    run = cli(capsys, demo_copy, "ticket", *nothing, "--format", "json")
    assert (run.code, json.loads(run.out)) == (0, {"tickets": []})
    run = cli(capsys, demo_copy, "ticket", *nothing, "--format", "csv")
    assert (run.code, run.out.splitlines()) == (
        0,
        ["Number,Priority,Status,Unit,Module,Assignee,Tier,Age (h),SLA,Due (UTC),Title"],  # the zone, even of none
    )
    run = cli(capsys, demo_copy, "change", "list", "--all", "--search", "qqqzzz nothing like it")
    assert (run.code, run.out) == (0, "No changes match.\n")


def test_one_ticket_is_one_ticket_and_a_title_keeps_the_table(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logged = cli(capsys, demo_copy, "ticket", "new", "--title", TITLE, "--unit", "dxb-hq", "--module", "fin")
    assert logged.code == 0, logged.err
    assert "(1 audit event)" in logged.out
    number = logged.out.split()[1]
    run = cli(capsys, demo_copy, "ticket", "list", "--search", "zyxwv")
    assert (run.code, run.err) == (0, "1 ticket\n")
    lines = run.out.splitlines()
    assert len(lines) == 3  # the title over the table, its headings, one ticket: the line break broke no row
    header, row = lines[1:]
    assert row.startswith(number)
    assert row[header.index("Title") :] == "Payment run Zyxwv 4711 ⏎ stuck since Monday"
    assert row[header.index("Status") :].startswith("New ")
    assert "\t" not in run.out
    shown = cli(capsys, demo_copy, "ticket", "show", number)
    title = next(line for line in shown.out.splitlines() if line.startswith("Title "))
    assert title.endswith("Payment run Zyxwv 4711 ⏎ stuck since Monday")
    as_json = cli(capsys, demo_copy, "ticket", "list", "--search", "zyxwv", "--format", "json")
    assert json.loads(as_json.out)["tickets"][0]["title"] == TITLE  # a program gets the text as it is


def test_json_carries_numbers_as_numbers_and_times_with_their_zone(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, demo_copy, "ticket", "list", "--status", "all", "--format", "json", "--limit", "300")
    tickets = json.loads(run.out)["tickets"]
    assert all(isinstance(t["tier"], int) and isinstance(t["age_hours"], int) for t in tickets)
    due = [t["due_at"] for t in tickets if t["due_at"] is not None]
    assert due
    assert all(datetime.fromisoformat(d).tzinfo is not None for d in due)
    assert {t["sla"] for t in tickets} <= {
        "running",
        "warning",
        "paused",
        "breached",
        "met",
        "missed",
        "not_timed",
        None,
    }
    number = tickets[0]["number"]
    shown = json.loads(cli(capsys, demo_copy, "ticket", "show", number, "--format", "json").out)
    assert isinstance(shown["ticket"]["tier"], int)
    assert datetime.fromisoformat(shown["ticket"]["created_at"]).tzinfo is not None
    assert all(isinstance(c["used_minutes"], int) for c in shown["sla"])
    sla = json.loads(cli(capsys, demo_copy, "sla", "show", number, "--format", "json").out)
    assert all(isinstance(e["business_minutes_used"], int) for e in sla["timeline"])
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in sla["timeline"])
    changes = json.loads(cli(capsys, demo_copy, "change", "list", "--all", "--format", "json").out)["changes"]
    assert all(isinstance(c["conflicts"], int) for c in changes)
    planned = [c["planned_start"] for c in changes if c["planned_start"]]
    assert planned
    assert all(datetime.fromisoformat(p).tzinfo is not None for p in planned)


def test_a_reader_that_goes_away_ends_it_quietly(demo_copy: Path, tmp_path: Path) -> None:
    """`ticket list --format json | head -c 100`: far more than a pipe holds, read 100 bytes, then gone."""
    argv = ["--home", str(demo_copy), "ticket", "list", "--status", "all", "--format", "json", "--limit", "100000"]
    with subprocess.Popen(
        [*clock.python_module("console"), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        head = process.stdout.read(100)
        process.stdout.close()
        err = process.stderr.read().decode()
        code = process.wait(timeout=300)
    assert head.startswith(b'{\n  "tickets": [')
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err
    assert err == ""
    assert code in (0, 141)  # 141: what the shell reports for `yes | head`


def test_ticket_show_lists_its_open_sync_conflicts(
    workspace: Workspace, demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with workspace.cache().begin() as conn:
        me = conn.execute(select(User.id).where(User.login == workspace.settings.get("user"))).scalar_one()
        ticket_id, number = conn.execute(select(Ticket.id, Ticket.number).order_by(Ticket.number).limit(1)).one()
        conflict = new_id()
        conn.execute(
            insert(table_of(SyncConflict)),
            [{"id": conflict, "entity_table": "tickets", "entity_id": ticket_id, "business_unit_id": None,
              "number": number, "field": "title", "base_value": "Invoice stuck", "mine_value": "Invoice 88 stuck",
              "theirs_value": "Invoice 88 stuck in workflow", "user_id": me, "theirs_user_id": None,
              "mutation_id": new_id(), "created_at": clock.now(), "resolved_at": None, "resolved_by_id": None,
              "resolution": None}],
        )  # fmt: skip
    run = cli(capsys, demo_copy, "ticket", "show", number)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Open sync conflicts"))
    assert lines[at + 1].split()[:4] == ["Field", "You", "saw", "Yours"]
    assert "Invoice 88 stuck in workflow" in lines[at + 2]
    shown = json.loads(cli(capsys, demo_copy, "ticket", "show", number, "--format", "json").out)
    assert [(c["field"], c["mine"], c["theirs"]) for c in shown["conflicts"]] == [
        ("title", "Invoice 88 stuck", "Invoice 88 stuck in workflow")
    ]
    with workspace.cache().begin() as conn:
        conn.execute(update(SyncConflict).where(SyncConflict.id == conflict).values(resolved_at=clock.now()))
    run = cli(capsys, demo_copy, "ticket", "show", number)
    assert "Open sync conflicts" not in run.out  # resolved: no longer listed
