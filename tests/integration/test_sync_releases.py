"""The release calendar syncs like any edit, on SQLite and PostgreSQL: a support manager's plan, move or cancel
is pushed as an intent and applied on the shared database as its author; every desk that pulls it holds the
release and its Low tickets re-dated; a move made meanwhile elsewhere is refused and read back."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from console.access import Refused
from console.releases.service import CancelRelease, MoveRelease, PlanRelease, submit_release
from console.store.workspace import Workspace
from console.sync import client
from console.tickets import edits, queue
from console.tickets import service as tickets
from models import (
    AuditEvent,
    EntityType,
    ErpModule,
    Impact,
    OutboxEntry,
    Release,
    Role,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    table_of,
)
from tests import clock
from tests.sync_team import TICKETS, Team, rows

RELEASES = table_of(Release)


def module_id(team: Team, code: str) -> uuid.UUID:
    with team.shared.connect() as conn:
        return uuid.UUID(str(conn.execute(select(ErpModule.id).where(ErpModule.code == code)).scalar_one()))


def next_release(team: Team, module: uuid.UUID, after: datetime) -> datetime:
    with team.shared.connect() as conn:
        return conn.execute(
            select(Release.production_at)
            .where(Release.module_id == module, Release.cancelled_at.is_(None), Release.production_at > after)
            .order_by(Release.production_at)
            .limit(1)
        ).scalar_one()


def low_ticket(team: Team, desk: Workspace, module: uuid.UUID, now: datetime) -> uuid.UUID:
    """A Low ticket logged on this desk and taken up (its resolution clock runs), pushed."""
    worker = team.actor(desk)
    with desk.cache().begin() as conn:
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, desk.client_id, desk.reserve_numbers)
        unit = conn.execute(select(Ticket.business_unit_id).order_by(Ticket.number).limit(1)).scalar_one()
    ticket_id = uuid.uuid4()
    logged = tickets.CreateTicket(ticket_id, TicketKind.INCIDENT, "Dunning letter shows the old bank account", "",
                                  Impact.LOW, Urgency.LOW, unit, module, worker.id, number)  # fmt: skip
    tickets.execute(desk.cache(), worker, [logged], now)
    worked = [
        edits.assign(ticket_id, worker.id, base=None),
        edits.set_status(ticket_id, TicketStatus.IN_PROGRESS, base=TicketStatus.ASSIGNED),
    ]
    tickets.execute(desk.cache(), worker, worked, now + timedelta(seconds=1))
    assert client.sync_workspace(desk).rejected == []
    return ticket_id


def due(workspace: Workspace | None, team: Team, ticket_id: uuid.UUID) -> datetime | None:
    engine = workspace.cache() if workspace is not None else team.shared
    with engine.connect() as conn:
        return conn.execute(select(Ticket.resolution_due_at).where(Ticket.id == ticket_id)).scalar_one()


def shown(team: Team, desk: Workspace, ticket_id: uuid.UUID) -> tuple[str | None, datetime | None]:
    """The release and due time the desk's queue shows for the ticket."""
    with desk.cache().connect() as conn:
        number = conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one()
        row = queue.row_by_number(conn, team.actor(desk), number)
    assert row is not None
    return row.release, row.due_at


def test_a_plan_on_one_desk_re_dates_the_low_tickets_of_every_desk(team: Team) -> None:
    now = clock.now()
    max_ = team.desk("max", Role.SUPPORT_MANAGER)
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    fin = module_id(team, "FIN")
    ticket_id = low_ticket(team, max_, fin, now)
    client.sync_workspace(alice)
    calendar_due = next_release(team, fin, now)
    assert due(alice, team, ticket_id) == calendar_due

    # Alice, a consultant, cannot plan one: refused on her desk before anything is sent.
    with alice.cache().begin() as conn, pytest.raises(Refused, match="Only a support manager"):
        submit_release(conn, team.actor(alice), PlanRelease(fin, "R-HOTFIX", now + timedelta(days=1)), now)
    with alice.cache().connect() as conn:
        assert conn.execute(select(OutboxEntry.kind)).scalars().all() == []

    # Max plans an extra release before the quarterly one: his queue shows it at once.
    extra = now + (calendar_due - now) / 2
    plan = PlanRelease(fin, "R-HOTFIX", extra, "Statutory dunning text")
    with max_.cache().begin() as conn:
        submit_release(conn, team.actor(max_), plan, now)
    assert shown(team, max_, ticket_id) == ("R-HOTFIX", extra)
    report = client.sync_workspace(max_)
    assert (report.pushed, report.rejected) == (1, [])
    # Applied on the shared database as Max, with its audit event, and the ticket re-dated there too.
    assert rows(team.shared, RELEASES, Release.id == plan.release_id) == rows(
        max_.cache(), RELEASES, Release.id == plan.release_id
    )
    with team.shared.connect() as conn:
        author = conn.execute(
            select(AuditEvent.actor_id).where(
                AuditEvent.entity_type == EntityType.POLICY, AuditEvent.entity_id == plan.release_id
            )
        ).scalar_one()
    assert author == team.actor(max_).id
    assert due(None, team, ticket_id) == extra

    # Alice pulls it: the release is in her cache, her ticket is due with it, her queue says so.
    client.sync_workspace(alice)
    assert rows(alice.cache(), RELEASES) == rows(team.shared, RELEASES)
    assert shown(team, alice, ticket_id) == ("R-HOTFIX", extra)
    assert rows(alice.cache(), TICKETS, Ticket.id == ticket_id) == rows(team.shared, TICKETS, Ticket.id == ticket_id)

    # Moved: every desk re-dates the ticket.
    later = extra + (calendar_due - extra) / 2
    with max_.cache().begin() as conn:
        submit_release(conn, team.actor(max_), MoveRelease(plan.release_id, later, base=extra, reason="UAT"), now)
    assert client.sync_workspace(max_).rejected == []
    client.sync_workspace(alice)
    assert shown(team, alice, ticket_id) == ("R-HOTFIX", later)
    assert due(None, team, ticket_id) == later

    # Cancelled: due with the quarterly release again, everywhere.
    with max_.cache().begin() as conn:
        submit_release(conn, team.actor(max_), CancelRelease(plan.release_id, "Folded into the quarter"), now)
    assert client.sync_workspace(max_).rejected == []
    client.sync_workspace(alice)
    assert due(alice, team, ticket_id) == due(None, team, ticket_id) == calendar_due
    assert shown(team, alice, ticket_id)[1] == calendar_due


def test_a_move_made_meanwhile_elsewhere_is_refused_and_read_back(team: Team) -> None:
    now = clock.now()
    max_ = team.desk("max", Role.SUPPORT_MANAGER, nth=0)
    meg = team.desk("meg", Role.SUPPORT_MANAGER, nth=1)
    prc = module_id(team, "PRC")
    ticket_id = low_ticket(team, max_, prc, now)
    calendar_due = next_release(team, prc, now)
    extra = now + (calendar_due - now) / 2
    plan = PlanRelease(prc, "R-EXTRA", extra)
    with max_.cache().begin() as conn:
        submit_release(conn, team.actor(max_), plan, now)
    client.sync_workspace(max_)
    client.sync_workspace(meg)
    assert due(meg, team, ticket_id) == extra
    # Both move it, from the same time: Max pushes first, Meg's move no longer starts from what she saw.
    max_time, meg_time = extra + timedelta(hours=1), extra + timedelta(hours=2)
    with max_.cache().begin() as conn:
        submit_release(conn, team.actor(max_), MoveRelease(plan.release_id, max_time, base=extra), now)
    with meg.cache().begin() as conn:
        submit_release(conn, team.actor(meg), MoveRelease(plan.release_id, meg_time, base=extra), now)
    assert due(meg, team, ticket_id) == meg_time  # her own edit, until the shared database answers
    assert client.sync_workspace(max_).rejected == []
    report = client.sync_workspace(meg)
    assert len(report.rejected) == 1
    assert report.rejected[0].startswith("R-EXTRA, release move: R-EXTRA of Procurement was moved meanwhile")
    # Her cache holds what the shared database holds again: the release at Max's time, the ticket re-dated back.
    assert rows(meg.cache(), RELEASES) == rows(team.shared, RELEASES)
    assert due(meg, team, ticket_id) == due(None, team, ticket_id) == max_time


def test_a_release_written_by_another_sql_client_re_dates_the_desk(team: Team) -> None:
    now = clock.now()
    max_ = team.desk("max", Role.SUPPORT_MANAGER)
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    inv = module_id(team, "INV")
    ticket_id = low_ticket(team, max_, inv, now)
    client.sync_workspace(alice)
    extra = now + (next_release(team, inv, now) - now) / 3
    with team.shared.begin() as conn:  # the release management tool writes straight into the table
        conn.execute(insert(RELEASES), [{"id": uuid.uuid4(), "module_id": inv, "name": "R-TOOL",
                                          "production_at": extra, "cancelled_at": None}])  # fmt: skip
    client.sync_workspace(alice)
    assert shown(team, alice, ticket_id) == ("R-TOOL", extra)
