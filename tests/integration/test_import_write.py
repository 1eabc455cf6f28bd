"""The import's write path on a workspace: tickets with their history stored once, merged by the other tool's
number, all or nothing (a bad row, a cancel, a dry run), only by a manager, and out again by ``export``."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from console.access import Actor, Refused, load_actor
from console.cli.imports_args import SOURCES
from console.imports import CHOICES
from console.imports.stored import stored_tickets
from console.imports.write import (
    Cancelled,
    ImportOptions,
    ImportReport,
    OnError,
    RefusedRows,
    import_files,
    imported_id,
)
from console.journal.outbox import pending
from console.sla.store import ticket_sla
from console.store.replica import replica_writes
from console.store.workspace import Workspace
from console.tickets import edits
from console.tickets import service as tickets
from console.tickets.history import rebuild
from models import AuditEvent, Role, Ticket, TicketStatus, User
from tests import clock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
EVENTS = FIXTURES / "servicenow_events.csv"
BROKEN = FIXTURES / "servicenow_events_broken.csv"
DUBAI = ImportOptions(time_zone="Asia/Dubai")
SN_KEYS = ("INC0000045", "INC0000047", "INC0000050", "INC0000052")


def login_of(engine: Engine, role: Role) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login)).scalar())


def actor_of(workspace: Workspace, role: Role = Role.SUPPORT_MANAGER) -> Actor:
    engine = workspace.cache()
    with engine.connect() as conn:
        return load_actor(conn, login_of(engine, role))


def run(workspace: Workspace, paths: list[Path], options: ImportOptions = DUBAI, **kwargs: Any) -> ImportReport:
    return import_files(
        workspace.cache(), kwargs.pop("actor", None) or actor_of(workspace), paths, options, clock.now(),
        client_id=workspace.client_id, reserve=workspace.reserve_numbers, **kwargs,
    )  # fmt: skip


def fingerprint(engine: Engine) -> str:
    """Every table's rows (derived ones aside), as one digest."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in ("tickets", "audit_events", "comments", "outbox", "users", "support_groups", "erp_modules",
                      "business_units", "number_blocks"):  # fmt: skip
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def imported(engine: Engine, source: str = "servicenow") -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Ticket).where(Ticket.source_system == source)).mappings().all()
        return {row["source_key"]: dict(row) for row in rows}


def events_of(engine: Engine, ticket_id: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = select(AuditEvent).where(AuditEvent.entity_id == ticket_id).order_by(AuditEvent.seq)
        return [dict(row) for row in conn.execute(query).mappings()]


def test_an_event_log_comes_in_with_its_history_in_the_importers_name(workspace: Workspace) -> None:
    engine = workspace.cache()
    manager = actor_of(workspace)
    report = run(workspace, [EVENTS], actor=manager)
    assert (report.tickets, report.created, report.updated, report.unchanged) == (4, 4, 0, 0)
    found = imported(engine)
    assert sorted(found) == list(SN_KEYS)
    for key, row in found.items():
        assert row["id"] == imported_id("servicenow", key)
        events = events_of(engine, row["id"])
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert {e["actor_id"] for e in events} == {manager.id}  # in the importer's name
        assert {e["source"] for e in events} == {"servicenow"}
        # The row is what replaying its history gives: the History tab and the queue agree.
        state = rebuild(events)
        for field in ("status", "priority", "resolved_at", "closed_at", "first_response_at", "reopen_count"):
            assert str(state.get(field)) == str(row[field]), (key, field)
    closed = found["INC0000045"]
    assert closed["status"] == TicketStatus.CLOSED
    assert closed["number"].startswith("INC-")
    assert closed["source_sla_met"] is True
    assert closed["resolution_state"] is not None  # judged by our engine as it came in
    said = [e for e in events_of(engine, closed["id"]) if e["field"] == "status"]
    assert said[0]["source_actor"]  # who moved it in ServiceNow is kept beside
    assert "Resolved" in {e["source_value"] for e in said}  # and the tool's own word for the state
    assert report.reconciliation.rows()[-1].tickets == 4
    with engine.connect() as conn:
        assert pending(conn) == 1  # one batch, one intent for sync


def newer_export(folder: Path, state: str, when: str) -> Path:
    """The event log with one more update of INC0000052 (Active until now): to ``state`` at ``when``."""
    with EVENTS.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    header = rows[0]
    count = header.index("sys_mod_count")
    last = max((r for r in rows[1:] if r[0] == "INC0000052"), key=lambda r: int(r[count]))
    more = list(last)
    more[header.index("incident_state")] = state
    more[count] = str(int(last[count]) + 1)
    more[header.index("sys_updated_at")] = when
    if state == "Resolved":
        more[header.index("resolved_at")] = when
    newer = folder / "newer.csv"
    with newer.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([*rows, more])
    return newer


def test_the_same_file_again_changes_nothing_and_a_newer_export_appends(workspace: Workspace, tmp_path: Path) -> None:
    engine = workspace.cache()
    run(workspace, [EVENTS])
    before = fingerprint(engine)
    again = run(workspace, [EVENTS])
    assert (again.created, again.updated, again.unchanged, again.events) == (0, 0, 4, 0)
    assert fingerprint(engine) == before  # not a row, not an outbox entry
    active = imported(engine)["INC0000052"]
    had = events_of(engine, active["id"])
    newer = newer_export(tmp_path, "Resolved", "10-03-2016 09:00")
    report = run(workspace, [newer])
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    after = imported(engine)["INC0000052"]
    assert after["status"] == TicketStatus.RESOLVED
    assert after["number"] == active["number"]
    events = events_of(engine, after["id"])
    assert [e["id"] for e in events[: len(had)]] == [e["id"] for e in had]  # nothing duplicated, one appended
    assert len(events) == len(had) + 1
    assert (events[-1]["field"], events[-1]["new_value"], events[-1]["seq"]) == ("status", "resolved", len(had) + 1)
    assert run(workspace, [newer]).unchanged == 4  # and that one again: nothing


def test_a_ticket_changed_here_keeps_its_fields_when_a_newer_export_comes(workspace: Workspace, tmp_path: Path) -> None:
    engine = workspace.cache()
    manager = actor_of(workspace)
    run(workspace, [EVENTS], actor=manager)
    ticket = imported(engine)["INC0000052"]
    tickets.execute(engine, manager, [edits.add_note(ticket["id"], "Checked with the vendor", internal=True)],
                    clock.now())  # fmt: skip
    had = events_of(engine, ticket["id"])
    report = run(workspace, [newer_export(tmp_path, "Resolved", "10-03-2016 09:00")])
    assert report.kept_here == [ticket["number"]]
    assert any(ticket["number"] in line for line in report.lines())
    assert imported(engine)["INC0000052"]["status"] == ticket["status"]  # never a silent overwrite
    events = events_of(engine, ticket["id"])
    assert len(events) == len(had) + 1
    assert events[-1]["source"] == "servicenow"  # its history is still whole


def test_a_dry_run_writes_nothing(workspace: Workspace) -> None:
    engine = workspace.cache()
    before = fingerprint(engine)
    report = run(workspace, [EVENTS], ImportOptions(time_zone="Asia/Dubai", dry_run=True, create_missing=True))
    assert report.created == 4
    assert report.dry_run
    assert sum(report.created_names.values()) > 0
    assert "Would import 4 tickets" in report.lines()[0]
    assert fingerprint(engine) == before


def test_a_bad_row_refuses_the_whole_import_or_is_left_out(workspace: Workspace) -> None:
    engine = workspace.cache()
    before = fingerprint(engine)
    with pytest.raises(RefusedRows) as refused:
        run(workspace, [EVENTS, BROKEN])  # the good file first: it too is undone
    assert "Nothing was imported" in str(refused.value)
    assert refused.value.problems.refuses
    assert fingerprint(engine) == before
    report = run(workspace, [BROKEN], ImportOptions(time_zone="Asia/Dubai", on_error=OnError.SKIP))
    assert report.created > 0
    assert report.skipped > 0
    rows = {p.row for p in report.problems.problems}
    assert {4, 6, 14} <= rows
    with engine.connect() as conn:
        titles = conn.execute(select(Ticket.title).where(Ticket.source_system == "servicenow")).scalars().all()
    assert not any(t.startswith(("=", "@", "+", "-")) for t in titles)  # formulas kept inert


def test_a_cancelled_import_leaves_nothing(workspace: Workspace) -> None:
    engine = workspace.cache()
    before = fingerprint(engine)
    seen: list[int] = []
    with pytest.raises(Cancelled):
        run(workspace, [EVENTS], ImportOptions(time_zone="Asia/Dubai", batch=1),
            progress=lambda rows, done: seen.append(done), cancelled=lambda: len(seen) >= 2)  # fmt: skip
    assert seen == [1, 2]  # two batches were written, then undone
    assert fingerprint(engine) == before


@pytest.mark.parametrize("role", [Role.FUNCTIONAL_CONSULTANT, Role.SUPER_USER, Role.SERVICE_DESK_ANALYST])
def test_only_managers_import(workspace: Workspace, role: Role) -> None:
    engine = workspace.cache()
    before = fingerprint(engine)
    with pytest.raises(Refused, match="cannot import"):
        run(workspace, [EVENTS], actor=actor_of(workspace, role))
    assert fingerprint(engine) == before


def test_unknown_names_take_the_defaults_or_are_created(workspace: Workspace) -> None:
    engine = workspace.cache()
    manager = actor_of(workspace)
    report = run(workspace, [FIXTURES / "jira.csv"], ImportOptions(time_zone="Europe/London"), actor=manager)
    assert report.defaulted
    with engine.connect() as conn:
        reporters = set(conn.execute(select(Ticket.reporter_id).where(Ticket.source_system == "jira")).scalars())
    assert reporters == {manager.id}  # unknown reporters: the importer, as the report says
    created = run(workspace, [EVENTS], ImportOptions(time_zone="Asia/Dubai", create_missing=True), actor=manager)
    assert created.created_names["person"] > 0
    assert created.created_names["group"] > 0
    with engine.connect() as conn:
        people = conn.execute(select(User.login, User.active).where(User.login.like("imported.%"))).all()
        groups = set(conn.execute(select(Ticket.group_id).where(Ticket.source_system == "servicenow")).scalars())
    assert people
    assert not any(active for _login, active in people)  # names of the history: they never sign in
    assert groups != {None}
    assert any("Created" in line for line in created.lines())


def test_an_imported_ticket_is_found_by_its_own_number(workspace: Workspace) -> None:
    from console.tickets import queue
    from console.tickets.columns import Column
    from console.tickets.queue import QueueFilter, Sort

    run(workspace, [EVENTS])
    manager = actor_of(workspace)
    with workspace.cache().connect() as conn:
        flt = QueueFilter(statuses=tuple(TicketStatus), search="INC0000047")
        rows = queue.page(conn, manager, flt, Sort(Column.SLA, False), clock.now(), limit=10)
    assert [r.title for r in rows] == ["INC0000047"]


def test_export_then_import_into_an_empty_workspace_gives_the_same_tickets(
    workspace: Workspace, tmp_path: Path, demo_home: Path
) -> None:
    """Our own tickets out (with their history) and into another workspace of the same organisation: the same
    tickets, the same changes of status and priority, the same SLA outcomes."""
    from tests.conftest import copy_workspace

    engine = workspace.cache()
    out = tmp_path / "out.csv"
    with engine.connect() as conn:
        originals = {t.key: t for t in stored_tickets(conn, [Ticket.source_system.is_(None)])}
        count = len(originals)
    from console.imports.export import export

    with engine.connect() as conn:
        assert export(stored_tickets(conn, [Ticket.source_system.is_(None)]), out) == count
    other = Workspace.open(copy_workspace(demo_home, tmp_path / "other"))
    try:
        with other.cache().begin() as conn, replica_writes(conn):  # the same people, units, policies; no tickets
            for table in ("comments", "attachments", "ticket_articles", "sync_conflicts", "outbox"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM audit_events WHERE entity_type = 'ticket'"))
            conn.execute(text("DELETE FROM tickets"))
        report = run(other, [out], ImportOptions())
        now = clock.now()
        assert report.created == count
        with engine.connect() as conn, other.cache().connect() as back:
            mine = {r.number: r for r in conn.execute(select(Ticket).where(Ticket.source_system.is_(None)))}
            theirs = {r.source_key: r for r in back.execute(select(Ticket))}
            assert set(theirs) == set(mine)
            for number, row in mine.items():
                copy = theirs[number]
                for column in ("status", "priority", "impact", "urgency", "module_id", "business_unit_id",
                               "reporter_id", "assignee_id", "group_id", "created_at", "resolved_at", "closed_at",
                               "first_response_at", "reopen_count", "title"):  # fmt: skip
                    assert getattr(copy, column) == getattr(row, column), (number, column)
                ours, its = ticket_sla(conn, row.id, now), ticket_sla(back, copy.id, now)  # at one moment
                assert (its.response, its.resolution) == (ours.response, ours.resolution), number
            again = {t.key: t for t in stored_tickets(back, [])}
        for key, ticket in originals.items():
            copied = again[key]
            assert [(e.kind, e.at, e.old, e.new) for e in copied.events] == [
                (e.kind, e.at, e.old, e.new) for e in ticket.events
            ], key
    finally:
        other.close()


def test_the_verbs_sources_are_the_readers() -> None:
    assert set(SOURCES) == set(CHOICES)
