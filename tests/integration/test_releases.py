"""The release calendar on a desk: a support manager plans, moves and cancels releases, the Low tickets they
date are re-dated in the same transaction, everyone else is refused; the command line; Low compliance."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, delete, func, select

from console.access import Actor, Refused, load_actor
from console.cli.command import main
from console.metrics.queries import Filter, compliance, rates
from console.releases.service import CancelRelease, MoveRelease, PlanRelease, moment_text, submit_release
from console.sla.recompute import recompute
from console.sla.store import ticket_sla
from console.store.workspace import Workspace
from console.tickets import edits, queue
from console.tickets import service as tickets
from console.tickets.queue import QueueFilter, Sort
from models import (
    AuditEvent,
    EntityType,
    ErpModule,
    Impact,
    OutboxEntry,
    Priority,
    Release,
    Role,
    SlaState,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    User,
    table_of,
)
from tests import clock

RELEASES = table_of(Release)


def person(conn: Connection, role: Role, nth: int = 0) -> Actor:
    logins = conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login)).scalars()
    return load_actor(conn, list(logins)[nth])


def next_release(conn: Connection, module_id: uuid.UUID, after: datetime) -> tuple[str, datetime]:
    found = conn.execute(
        select(Release.name, Release.production_at)
        .where(Release.module_id == module_id, Release.cancelled_at.is_(None), Release.production_at > after)
        .order_by(Release.production_at)
        .limit(1)
    ).one()
    return found.name, found.production_at


def worked_low_ticket(workspace: Workspace, module_code: str, now: datetime) -> uuid.UUID:
    """A Low ticket logged now and taken up (so its resolution clock runs), through the ticket services."""
    engine = workspace.cache()
    with engine.begin() as conn:
        worker = person(conn, Role.SUPPORT_MANAGER)
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, workspace.client_id, workspace.reserve_numbers)
        module = conn.execute(select(ErpModule.id).where(ErpModule.code == module_code)).scalar_one()
        unit = conn.execute(select(Ticket.business_unit_id).order_by(Ticket.number).limit(1)).scalar_one()
    ticket_id = uuid.uuid4()
    logged = tickets.CreateTicket(ticket_id, TicketKind.INCIDENT, "Report layout of the dunning letter", "",
                                  Impact.LOW, Urgency.LOW, unit, module, worker.id, number)  # fmt: skip
    tickets.execute(engine, worker, [logged], now)
    work = [  # assigning answers it (New to Assigned): the response clock stops, the resolution clock runs
        edits.assign(ticket_id, worker.id, base=None),
        edits.set_status(ticket_id, TicketStatus.IN_PROGRESS, base=TicketStatus.ASSIGNED),
    ]
    tickets.execute(engine, worker, work, now + timedelta(seconds=1))
    return ticket_id


def stored(engine: Engine, ticket_id: uuid.UUID) -> tuple[datetime | None, SlaState]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Ticket.resolution_due_at, Ticket.resolution_state).where(Ticket.id == ticket_id)
        ).one()
    return row.resolution_due_at, row.resolution_state


def queue_row(engine: Engine, actor: Actor, ticket_id: uuid.UUID, now: datetime) -> queue.QueueRow:
    with engine.connect() as conn:
        number = conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one()
        found = queue.row_by_number(conn, actor, number)
    assert found is not None
    return found


def outbox_kinds(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxEntry.kind).order_by(OutboxEntry.seq)).scalars())


def test_a_manager_plans_moves_and_cancels_and_the_low_ticket_follows(workspace: Workspace) -> None:
    now = clock.now()
    engine = workspace.cache()
    ticket_id = worked_low_ticket(workspace, "FIN", now)
    with engine.connect() as conn:
        boss = person(conn, Role.SUPPORT_MANAGER)
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        planned_name, planned_at = next_release(conn, fin, now)
    assert stored(engine, ticket_id) == (planned_at, SlaState.RUNNING)  # the demo's calendar dates it
    assert queue_row(engine, boss, ticket_id, now).release == planned_name
    before = outbox_kinds(engine)

    # An extra release before that one: the ticket is due with it now, in the same transaction.
    extra = now + (planned_at - now) / 2
    with engine.begin() as conn:
        done = submit_release(conn, boss, PlanRelease(fin, "R-HOTFIX", extra, "Statutory dunning text"), now)
    assert done.summary.startswith(f"Planned R-HOTFIX of Finance: its fixes reach production {moment_text(extra)}.")
    assert done.retimed >= 1
    assert stored(engine, ticket_id)[0] == extra
    row = queue_row(engine, boss, ticket_id, now)
    assert (row.release, row.due_at) == ("R-HOTFIX", extra)
    assert outbox_kinds(engine) == [*before, "PlanRelease"]
    with engine.connect() as conn:
        sla = ticket_sla(conn, ticket_id, now)
        release_id = conn.execute(select(Release.id).where(Release.name == "R-HOTFIX")).scalar_one()
        history = conn.execute(
            select(AuditEvent.action, AuditEvent.reason).where(
                AuditEvent.entity_type == EntityType.POLICY, AuditEvent.entity_id == release_id
            )
        ).all()
    assert sla.resolution.release is not None
    assert (sla.resolution.release.name, sla.resolution.due_at) == ("R-HOTFIX", extra)
    assert [(str(a), r) for a, r in history] == [("created", "Statutory dunning text")]

    # Moved later (still before the planned one): the ticket moves with it.
    later = extra + (planned_at - extra) / 2
    with engine.begin() as conn:
        moved = submit_release(conn, boss, MoveRelease(release_id, later, base=extra, reason="UAT slipped"), now)
    assert "Moved R-HOTFIX of Finance" in moved.summary
    assert stored(engine, ticket_id)[0] == later
    # A move from a time the person did not see is refused, with what it is now.
    with engine.begin() as conn, pytest.raises(Refused, match="was moved meanwhile to"):
        submit_release(conn, boss, MoveRelease(release_id, later + timedelta(hours=1), base=extra), now)
    # To the past: refused with the reason; nothing changes.
    with engine.begin() as conn, pytest.raises(Refused, match="that time has passed"):
        submit_release(conn, boss, MoveRelease(release_id, now - timedelta(hours=1), base=later), now)
    assert stored(engine, ticket_id)[0] == later

    # Cancelled: due with the calendar's next release again.
    with engine.begin() as conn:
        cancelled = submit_release(conn, boss, CancelRelease(release_id, "Folded into the quarterly release"), now)
    assert cancelled.summary.startswith("Cancelled R-HOTFIX of Finance")
    assert stored(engine, ticket_id)[0] == planned_at
    assert queue_row(engine, boss, ticket_id, now).release == planned_name
    # Planned again by name: the same release comes back.
    with engine.begin() as conn:
        again = submit_release(conn, boss, PlanRelease(fin, "r-hotfix", extra), now)
    assert again.release_id == release_id
    assert stored(engine, ticket_id)[0] == extra
    assert outbox_kinds(engine) == [*before, "PlanRelease", "MoveRelease", "CancelRelease", "PlanRelease"]


def test_only_a_support_manager_may_change_the_calendar(workspace: Workspace) -> None:
    now = clock.now()
    engine = workspace.cache()
    with engine.connect() as conn:
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        count = conn.execute(select(func.count()).select_from(Release)).scalar_one()
        others = [person(conn, role) for role in (Role.FUNCTIONAL_CONSULTANT, Role.SUPER_USER, Role.ADMIN)]
        name, _ = next_release(conn, fin, now)
        release_id = conn.execute(select(Release.id).where(Release.module_id == fin, Release.name == name)).scalar_one()
    before = outbox_kinds(engine)
    for someone in others:
        role = someone.role.value.replace("_", " ")
        for intent in (PlanRelease(fin, "R-X", now + timedelta(days=3)), CancelRelease(release_id)):
            with engine.begin() as conn, pytest.raises(Refused) as refused:
                submit_release(conn, someone, intent, now)
            assert str(refused.value) == (
                f"Only a support manager plans, moves or cancels releases; {someone.login} is a {role}."
            )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Release)).scalar_one() == count
        assert conn.execute(select(Release.cancelled_at).where(Release.id == release_id)).scalar() is None
    assert outbox_kinds(engine) == before


def test_what_would_rewrite_the_past_is_refused_with_the_reason(workspace: Workspace) -> None:
    now = clock.now()
    engine = workspace.cache()
    with engine.connect() as conn:
        boss = person(conn, Role.SUPPORT_MANAGER)
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        shipped = conn.execute(
            select(Release.id, Release.name, Release.production_at)
            .where(Release.module_id == fin, Release.production_at <= now)
            .order_by(Release.production_at.desc())
            .limit(1)
        ).one()
        name, _ = next_release(conn, fin, now)
    cases: list[tuple[PlanRelease | MoveRelease | CancelRelease, str]] = [
        (PlanRelease(fin, "R-LATE", now - timedelta(minutes=1)), "cannot be planned for .*: that time has passed"),
        (MoveRelease(shipped.id, now + timedelta(days=9), base=shipped.production_at), "shipped, so it cannot move"),
        (CancelRelease(shipped.id), "it has shipped, so it cannot be cancelled"),
        (PlanRelease(fin, name, now + timedelta(days=400)), f"{name} of Finance is already planned for"),
        (PlanRelease(fin, "two\nlines", now + timedelta(days=4)), "one line"),
        (PlanRelease(fin, "   ", now + timedelta(days=4)), "release name is empty"),
        (PlanRelease(uuid.uuid4(), "R-X", now + timedelta(days=4)), "module does not exist"),
    ]  # fmt: skip
    with engine.connect() as conn:
        calendar = set(conn.execute(select(RELEASES)).all())
    before = outbox_kinds(engine)
    messages = []
    for intent, reason in cases:
        with engine.begin() as conn, pytest.raises(Refused, match=reason) as refused:
            submit_release(conn, boss, intent, now)
        messages.append(str(refused.value))
    with engine.connect() as conn:
        assert set(conn.execute(select(RELEASES)).all()) == calendar
    assert outbox_kinds(engine) == before
    assert messages[2].startswith(
        f"{shipped.name} of Finance reached production on {moment_text(shipped.production_at)}"
    )


def test_a_ticket_is_due_with_the_first_release_after_it_was_logged(workspace: Workspace) -> None:
    engine = workspace.cache()
    now = clock.demo_now()
    with engine.connect() as conn:
        low = conn.execute(
            select(Ticket.id, Ticket.module_id, Ticket.created_at, Ticket.resolution_due_at, Ticket.planned_release)
            .where(Ticket.priority == Priority.LOW)
            .order_by(Ticket.number)
        ).all()
        calendar = conn.execute(select(Release.module_id, Release.name, Release.production_at)).all()
    assert len(low) > 50

    def due_after(module_id: uuid.UUID, logged: datetime) -> list[tuple[datetime, str]]:
        return sorted((at, name) for module, name, at in calendar if module == module_id and at > logged)

    for ticket in low:
        after = due_after(ticket.module_id, ticket.created_at)
        assert after, "the demo plans releases two quarters ahead"
        assert ticket.resolution_due_at == after[0][0]  # not a release before it was logged
        assert ticket.planned_release == after[0][1]  # the demo's planned release agrees with the calendar
    # A cancelled release is not used: its tickets are due with the next one.
    target = low[-1]
    with engine.begin() as conn:
        first = due_after(target.module_id, target.created_at)
        cancel = RELEASES.update().where(Release.module_id == target.module_id, Release.name == first[0][1])
        conn.execute(cancel.values(cancelled_at=now))
        sla = ticket_sla(conn, target.id, now)
    assert sla.resolution.release is not None
    assert (sla.resolution.release.name, sla.resolution.due_at) == (first[1][1], first[1][0])


# ---- the command line ------------------------------------------------------------------------------------------


def release(home: Path, *args: str) -> int:
    try:
        return main(["--home", str(home), "release", *args])
    except SystemExit as exit_:  # argparse exits for usage errors
        return exit_.code if isinstance(exit_.code, int) else 1


def test_plan_move_cancel_and_list_from_the_command_line(
    workspace: Workspace, demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = clock.now()
    engine = workspace.cache()
    with engine.connect() as conn:
        boss = person(conn, Role.SUPPORT_MANAGER).login
        fin = conn.execute(select(ErpModule.id).where(ErpModule.code == "FIN")).scalar_one()
        _, planned_at = next_release(conn, fin, now)
    capsys.readouterr()
    at = (now + (planned_at - now) / 2).replace(second=0, microsecond=0)
    assert at > now
    me = ["--as", boss]
    assert release(demo_copy, "plan", "--module", "fin", "--name", "R-CLI", "--at", at.strftime("%Y-%m-%dT%H:%M")) == 1
    err = capsys.readouterr().err
    assert "Only a support manager plans, moves or cancels releases" in err
    assert "Traceback" not in err
    assert release(demo_copy, *me, "plan", "--module", "fin", "--name", "R-CLI", "--at", at.isoformat()) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Planned R-CLI of Finance: its fixes reach production {at:%d %b %Y %H:%M} UTC.")
    assert not re.search(r"\d{4}-\d\d-\d\dT", out)  # words, not ISO
    assert release(demo_copy, "list", "--module", "FIN") == 0
    listed = capsys.readouterr().out
    line = next(line for line in listed.splitlines() if "R-CLI" in line)
    assert "Reaches production (UTC)" in listed  # the zone named once, in the heading
    assert f"{at:%d %b %Y %H:%M}" in line
    assert "planned" in line
    assert listed.index("R-CLI") < listed.index("R20")  # by production time: it comes first
    later = at + timedelta(hours=2)
    zoned = later.astimezone(ZoneInfo("Asia/Dubai")).isoformat()  # a time with its zone is honoured
    assert release(demo_copy, *me, "move", "fin", "r-cli", "--to", zoned, "--reason", "UAT slipped") == 0
    assert f"now reach production {later:%d %b %Y %H:%M} UTC" in capsys.readouterr().out
    with engine.connect() as conn:
        assert conn.execute(select(Release.production_at).where(Release.name == "R-CLI")).scalar() == later
    assert release(demo_copy, *me, "move", "fin", "R-CLI", "--to", "2001-01-01") == 1
    assert "that time has passed" in capsys.readouterr().err
    assert release(demo_copy, *me, "move", "fin", "R-NONE", "--to", later.isoformat()) == 1
    assert "Finance has no release 'R-NONE'; its releases: " in capsys.readouterr().err
    assert release(demo_copy, *me, "move", "fin", "R-CLI", "--to", "tomorrow") == 2
    assert "is not a date and time" in capsys.readouterr().err
    assert release(demo_copy, *me, "cancel", "fin", "R-CLI", "--reason", "merged") == 0
    assert capsys.readouterr().out.startswith("Cancelled R-CLI of Finance")
    assert release(demo_copy, "list", "--module", "fin") == 0
    assert "R-CLI" not in capsys.readouterr().out
    assert release(demo_copy, "list", "--module", "fin", "--all", "--format", "json") == 0
    cancelled = next(r for r in json.loads(capsys.readouterr().out)["releases"] if r["release"] == "R-CLI")
    assert cancelled["state"] == "cancelled"
    assert cancelled["production_at"] == later.isoformat(timespec="seconds")
    assert release(demo_copy, "list", "--module", "XYZ") == 1
    assert "No ERP module XYZ; the modules are" in capsys.readouterr().err


def test_sla_show_names_the_release(workspace: Workspace, demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = clock.now()
    ticket_id = worked_low_ticket(workspace, "PRC", now)
    with workspace.cache().connect() as conn:
        number = conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one()
        prc = conn.execute(select(ErpModule.id).where(ErpModule.code == "PRC")).scalar_one()
        name, at = next_release(conn, prc, now)
    capsys.readouterr()
    for fmt in ("table", "csv"):
        assert main(["--home", str(demo_copy), "sla", "show", number, "--format", fmt]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0 if fmt == "csv" else 1].split("," if fmt == "csv" else None)[-1] == "Release", fmt
        resolution = next(line for line in lines if "resolution" in line)
        assert resolution.endswith(name), fmt
    assert main(["--home", str(demo_copy), "sla", "show", number, "--format", "json"]) == 0
    clocks = json.loads(capsys.readouterr().out)["clocks"]
    assert [(c["clock"], c["release"]) for c in clocks] == [("response", None), ("resolution", name)]
    assert clocks[1]["due_at"] == at.isoformat(timespec="seconds")


# ---- metrics -----------------------------------------------------------------------------------------------------


def test_low_compliance_is_resolved_by_the_release_it_was_due_for(workspace: Workspace) -> None:
    now = clock.demo_now()
    engine = workspace.cache()
    year = Filter(now.date() - timedelta(days=365), now.date())
    with engine.begin() as conn:  # Technical/Integration has no calendar: its Low tickets are judged by nothing
        tec = conn.execute(select(ErpModule.id).where(ErpModule.code == "TEC")).scalar_one()
        conn.execute(delete(RELEASES).where(Release.module_id == tec))
    recompute(engine, now)
    with engine.connect() as conn:
        calendar = conn.execute(
            select(Release.module_id, Release.production_at).where(Release.cancelled_at.is_(None))
        ).all()
        resolved = conn.execute(
            select(Ticket.module_id, Ticket.created_at, Ticket.resolved_at).where(
                Ticket.priority == Priority.LOW,
                Ticket.resolved_at >= year.start_at,
                Ticket.resolved_at < year.end_at,
            )
        ).all()
        by_priority = {c.key: c for c in compliance(conn, year, "resolution", "priority")}
        by_module = {c.key: c for c in compliance(conn, year.narrowed(priorities=("low",)), "resolution", "module")}
        counted = rates(conn, year)
    expected: Counter[str] = Counter()
    for module, created, done in resolved:
        assert done is not None
        due = min((at for m, at in calendar if m == module and at > created), default=None)
        expected["not counted" if due is None else "met" if done <= due else "missed"] += 1
    assert expected["met"] > 0
    assert expected["missed"] > 0
    assert expected["not counted"] > 0
    assert (by_priority["low"].met, by_priority["low"].missed) == (expected["met"], expected["missed"])
    assert "TEC" not in by_module  # none planned: neither met nor missed
    assert counted.not_timed == expected["not counted"]
    # The queue says so in words: a TEC Low ticket is due with its next release, none planned.
    with engine.connect() as conn:
        consultant = person(conn, Role.FUNCTIONAL_CONSULTANT)
        every_low_tec = QueueFilter(statuses=tuple(TicketStatus), priorities=(Priority.LOW,), modules=("TEC",))
        page = queue.page(conn, consultant, every_low_tec, Sort(), now, limit=5)
    assert page
    assert {r.sla_state for r in page if r.clock == "resolution"} <= {SlaState.NOT_TIMED}
    assert all(r.release is None for r in page)
