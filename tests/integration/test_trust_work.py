"""What each role legitimately does still works when its desk connects with the person's own database role:
the shared database applies every intent as that role, under the grants, row policies and guards of
``admin prepare``. Logging, triage, work, notes, conflicts and their resolution, a unit move, number blocks,
the freeze lengths, the release calendar, and a change from request through approval by a delegate."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from console.changes import freezes
from console.changes import service as changes
from console.changes.service import AssessRisk, Decide, MoveStage, NewChange
from console.changes.settings import submit_setting
from console.releases.service import PlanRelease, submit_release
from console.store.database import make_engine
from console.sync import seed_build
from console.sync.conflicts import open_conflicts
from console.tickets import edits
from console.tickets import service as tickets
from models import (
    ApprovalDecision,
    AuditEvent,
    BusinessUnit,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeType,
    ErpModule,
    Impact,
    KnowledgeArticle,
    Priority,
    Release,
    Role,
    RoutingRule,
    SyncConflict,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    User,
    group_members,
    table_of,
)
from tests import clock
from tests.conftest import PgServer
from tests.people import Desks, People, give_logins

TICKETS = table_of(Ticket)
pytestmark = pytest.mark.postgres

S = ChangeStage
LOW_RISK = {"business_impact": "none", "users_affected": "few", "complexity": "config", "tested": "yes",
            "backout": "tested", "period_end": "far"}  # fmt: skip
PICKS = {
    "ana": (Role.SERVICE_DESK_ANALYST, 0),
    "sue": (Role.SUPER_USER, 0),
    "cora": (Role.FUNCTIONAL_CONSULTANT, 0),
    "dan": (Role.FUNCTIONAL_CONSULTANT, 1),
    "max": (Role.SUPPORT_MANAGER, 0),
}


@pytest.fixture
def people(pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest) -> People:
    return give_logins(pg_demo(), pg_server, PICKS, request.addfinalizer)


def shared(people: People, query: Any) -> list[tuple[Any, ...]]:
    engine = make_engine(people.url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]
    finally:
        engine.dispose()


def test_tickets_are_logged_triaged_worked_and_handed_over_by_each_role(people: People, desks: Desks) -> None:
    now = clock.now()
    unit = min(people["sue"].units)
    # The service desk logs a ticket with a number of its own block (reserved as the analyst's role), answers
    # first and hands it over to tier 2.
    ana, sue, cora, max_ = (desks.actor(n) for n in ("ana", "sue", "cora", "max"))
    desk = desks["ana"]
    with desk.cache().begin() as conn:
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, desk.client_id, desk.reserve_numbers)
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code)).scalars().first()
    assert module is not None
    ticket = uuid.uuid4()
    logged = tickets.CreateTicket(ticket, TicketKind.INCIDENT, "Goods receipt posts to the wrong plant", "",
                                  Impact.MEDIUM, Urgency.HIGH, unit, module, ana.id, number)  # fmt: skip
    tickets.execute(desk.cache(), ana, [logged], now)
    tickets.execute(desk.cache(), ana, [
        edits.assign(ticket, ana.id, base=None),
        edits.add_note(ticket, "Reproduced with the plant controller.", internal=False),
        edits.set_status(ticket, TicketStatus.IN_PROGRESS, base=TicketStatus.ASSIGNED),
        edits.move_tier(ticket, 2, base=1, reason="Needs a functional consultant"),
    ], now + timedelta(seconds=1))  # fmt: skip
    desks.sync("ana")
    # The shared database routed it as her role, reading the rules: logged to the module's tier-1 group, handed over
    # to its tier-2 group.
    (logged_to, handed_to), (created,), (routed,) = (
        shared(people, select(RoutingRule.group_id).where(RoutingRule.module_id == module).order_by(RoutingRule.tier)),
        shared(people, select(AuditEvent.new_value).where(AuditEvent.entity_id == ticket, AuditEvent.seq == 1)),
        shared(people, select(AuditEvent.old_value, AuditEvent.new_value, AuditEvent.actor_id, AuditEvent.reason)
               .where(AuditEvent.entity_id == ticket, AuditEvent.field == "group_id")),
    )  # fmt: skip
    assert json.loads(created[0])["group_id"] == str(logged_to[0])
    assert routed[:3] == (str(logged_to[0]), str(handed_to[0]), ana.id)
    assert str(routed[3]).startswith("routing rule ")
    # The unit's super-user triages it: a note, a higher priority, to a consultant; and an attachment.
    desks.sync("sue")
    tickets.execute(desks["sue"].cache(), sue, [
        edits.add_note(ticket, "Month-end is blocked by this.", internal=True),
        edits.set_priority(ticket, Priority.CRITICAL, base=Priority.HIGH, reason="Month-end"),
        edits.assign(ticket, cora.id, base=ana.id),
        edits.attach(ticket, "screen.png", b"\x89PNG fake"),
    ], now + timedelta(seconds=2))  # fmt: skip
    desks.sync("sue")
    # The consultant works it: escalates to a vendor, waits on them, links an article.
    desks.sync("cora")
    with desks["cora"].cache().connect() as conn:
        article = conn.execute(select(KnowledgeArticle.id).limit(1)).scalar_one()
    tickets.execute(desks["cora"].cache(), cora, [
        *edits.escalate(ticket, base_tier=2, reason="Vendor bug", vendor="SAP", base_vendor=None),
        edits.set_status(ticket, TicketStatus.PENDING_VENDOR, base=TicketStatus.IN_PROGRESS, reason="SAP note"),
        edits.link_article(ticket, article),
    ], now + timedelta(seconds=3))  # fmt: skip
    desks.sync("cora")
    # The manager moves it to another unit.
    other = next(u for u in shared(people, select(Ticket.business_unit_id).distinct()) if u[0] != unit)[0]
    desks.sync("max")
    moved = tickets.SetField(ticket, "business_unit_id", other, unit)
    tickets.execute(desks["max"].cache(), max_, [moved], now + timedelta(seconds=4))
    desks.sync("max")
    row = shared(people, select(Ticket.status, Ticket.tier, Ticket.vendor, Ticket.assignee_id, Ticket.priority,
                                Ticket.business_unit_id, Ticket.group_id).where(Ticket.id == ticket))  # fmt: skip
    # At tier 3 there is no rule: the ticket keeps its tier-2 group.
    assert row == [(TicketStatus.PENDING_VENDOR, 3, "SAP", cora.id, Priority.CRITICAL, other, handed_to[0])]
    authors = shared(people, select(AuditEvent.actor_id, func.count()).where(AuditEvent.entity_id == ticket)
                     .group_by(AuditEvent.actor_id))  # fmt: skip
    assert dict(authors) == {ana.id: 7, sue.id: 4, cora.id: 4, max_.id: 1}
    # It left Sue's unit: her next sync removes it from her cache.
    desks.sync("sue")
    with desks["sue"].cache().connect() as conn:
        assert conn.execute(select(Ticket.id).where(Ticket.id == ticket)).first() is None


def test_a_conflict_is_its_peoples_and_is_resolved_by_its_author(people: People, desks: Desks) -> None:
    now = clock.now()
    unit = min(people["sue"].units)
    # A ticket of Sue's unit she never touched, being worked by someone else.
    untouched = ~Ticket.id.in_(select(AuditEvent.entity_id).where(AuditEvent.actor_id == people["sue"].id))
    ((ticket,),) = shared(people, select(Ticket.id).where(Ticket.business_unit_id == unit, untouched).limit(1))
    assignee = people["max"].id
    engine = make_engine(people.url)
    with engine.begin() as conn:
        conn.execute(update(TICKETS).where(Ticket.id == ticket).values(status=TicketStatus.IN_PROGRESS,
                                                                       assignee_id=assignee))  # fmt: skip
    engine.dispose()
    cora, dan = desks.actor("cora"), desks.actor("dan")
    desks["cora"], desks["dan"], desks["sue"]
    tickets.execute(desks["cora"].cache(), cora, [edits.assign(ticket, cora.id, base=assignee)], now)
    tickets.execute(desks["dan"].cache(), dan, [edits.assign(ticket, dan.id, base=assignee)], now)
    desks.sync("cora")
    assert desks.sync("dan").conflicts == 1
    desks.sync("cora")
    desks.sync("sue")
    # Dan's, and Cora's (hers is the value it met); not the unit's super-user's, who is neither.
    for name, sees in (("dan", 1), ("cora", 1), ("sue", 0)):
        with desks[name].cache().connect() as conn:
            assert conn.execute(select(func.count()).select_from(SyncConflict)).scalar_one() == sees, name
    with desks["dan"].cache().connect() as conn:
        [conflict] = open_conflicts(conn, dan)
    tickets.execute(desks["dan"].cache(), dan, [tickets.ResolveConflict(ticket, conflict.id, "mine")], clock.now())
    desks.sync("dan")
    desks.sync("cora")
    assert shared(people, select(Ticket.assignee_id).where(Ticket.id == ticket)) == [(dan.id,)]
    with desks["cora"].cache().connect() as conn:
        assert open_conflicts(conn, cora) == []


def test_the_freeze_lengths_and_the_release_calendar_are_a_managers(people: People, desks: Desks) -> None:
    now = clock.now()
    max_ = desks.actor("max")
    with desks["max"].cache().begin() as conn:
        submit_setting(conn, max_, changes.SetFreezes("month=4,1 quarter=6,2 year=8,3"), now)
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code)).scalars().first()
        assert module is not None
        plan = PlanRelease(module, "R-TRUST", now + timedelta(days=20), "Hotfix")
        submit_release(conn, max_, plan, now)
    desks.sync("max")
    assert shared(people, select(Release.name).where(Release.id == plan.release_id)) == [("R-TRUST",)]
    desks.sync("cora")
    with desks["cora"].cache().connect() as conn:
        assert freezes.freeze_text(freezes.freeze_policy(conn)) == "month=4,1 quarter=6,2 year=8,3"


def test_a_change_is_requested_sent_for_approval_and_approved_by_a_delegate(
    people: People, desks: Desks, pg_server: PgServer, request: pytest.FixtureRequest
) -> None:
    now = clock.now()
    cora = desks.actor("cora")
    unit = min(people["sue"].units)
    # A module whose owner group has people besides Cora: they are the approvers of a low-risk normal change.
    owners = shared(people, select(ErpModule.id, group_members.c.user_id).join(
        group_members, group_members.c.group_id == ErpModule.owner_group_id).order_by(ErpModule.code))  # fmt: skip
    picked = {p.id for p in people.people.values()}
    module = next(m for m, u in owners if u not in picked)
    asked = sorted({u for m, u in owners if m == module and u != cora.id})
    desk = desks["cora"]
    with desk.cache().begin() as conn:
        number = changes.new_change_number(conn, desk.client_id, desk.reserve_numbers)
    change = uuid.uuid4()
    start = now + timedelta(days=40)
    new = NewChange(change, number, "Tolerance for price variances", ChangeType.NORMAL, frozenset({module}),
                    frozenset({unit}), description="Raise the tolerance to 2 %.", reason="Audit finding",
                    implementation_plan="Transport", test_plan="Key users in QA", backout_plan="Re-import",
                    planned_start=start, planned_end=start + timedelta(hours=2))  # fmt: skip
    for intent in (new, MoveStage(change, S.ASSESSMENT, S.DRAFT), AssessRisk(change, LOW_RISK),
                   MoveStage(change, S.AWAITING_APPROVAL, S.ASSESSMENT)):  # fmt: skip
        changes.execute_change(desk.cache(), cora, intent, now)
    desks.sync("cora")
    rows = shared(people, select(ChangeApproval.approver_id, ChangeApproval.decision).where(
        ChangeApproval.change_id == change))  # fmt: skip
    assert sorted(r[0] for r in rows) == asked
    # The first approver is away: a colleague decides in their name, as their own role.
    approver = next(u for u in asked if u not in picked)
    (login,) = shared(people, select(User.login).where(User.id == approver))[0]
    away = people.add("away", uuid.UUID(str(approver)), request.addfinalizer)
    assert away.login != login
    absent = desks.actor("away")
    with desks["away"].cache().begin() as conn:
        submit_setting(conn, absent, changes.Back(), now)
        submit_setting(conn, absent, changes.Away(desks.actor("dan").id, now - timedelta(hours=1),
                                                          now + timedelta(days=3)), now)  # fmt: skip
    desks.sync("away")
    dan = desks.actor("dan")
    desks.sync("dan")
    decision = Decide(change, ApprovalDecision.APPROVED, "Deciding while they are away.")
    decided = changes.execute_change(desks["dan"].cache(), dan, decision, now)
    assert decided.stage is S.APPROVED  # a count-of-one quorum
    desks.sync("dan")
    assert shared(people, select(ChangeRequest.stage).where(ChangeRequest.id == change)) == [(S.APPROVED,)]
    assert shared(people, select(ChangeApproval.decided_by_id).where(
        ChangeApproval.change_id == change, ChangeApproval.approver_id == approver)) == [(dan.id,)]  # fmt: skip
    # The requester goes on steering it; the approver is back.
    desks.sync("cora")
    changes.execute_change(desk.cache(), cora, MoveStage(change, S.IMPLEMENTING_TEST, S.APPROVED), clock.now())
    desks.sync("cora")
    with desks["away"].cache().begin() as conn:
        submit_setting(conn, absent, changes.Back(), clock.now())
    desks.sync("away")
    # A super-user requests one for her own unit.
    sue = desks.actor("sue")
    with desks["sue"].cache().begin() as conn:
        number = changes.new_change_number(conn, desks["sue"].client_id, desks["sue"].reserve_numbers)
    mine = uuid.uuid4()
    request_ = NewChange(mine, number, "Plant calendar", ChangeType.NORMAL, frozenset({module}), frozenset({unit}))
    changes.execute_change(desks["sue"].cache(), sue, request_, now)
    changes.execute_change(desks["sue"].cache(), sue, changes.EditChange(mine, "reason", "Shutdown week", ""), now)
    desks.sync("sue")
    assert shared(people, select(ChangeRequest.reason).where(ChangeRequest.id == mine)) == [("Shutdown week",)]


def test_a_ready_made_cache_holds_no_ones_conflicts_and_the_desk_reads_its_own(
    people: People, desks: Desks, tmp_path: Path
) -> None:
    sue, cora = people["sue"], people["cora"]
    unit = min(sue.units)
    engine = make_engine(people.url)
    try:
        with engine.begin() as conn:
            code = conn.execute(select(BusinessUnit.code).where(BusinessUnit.id == unit)).scalar_one()
            ticket = conn.execute(select(Ticket.id).where(Ticket.business_unit_id == unit).limit(1)).scalar_one()
            for owner in (sue, cora):
                conn.execute(
                    insert(table_of(SyncConflict)),
                    [{"id": uuid.uuid4(), "entity_table": "tickets", "entity_id": ticket, "business_unit_id": unit,
                      "number": "INC-X", "field": "trust_field", "base_value": "a", "mine_value": owner.login,
                      "theirs_value": "c", "user_id": owner.id, "mutation_id": uuid.uuid4(),
                      "created_at": clock.now()}],
                )  # fmt: skip
        seed_build.build(engine, code, tmp_path)  # the administrator's daily seed of Sue's unit
    finally:
        engine.dispose()
    assert desks["sue"] is not None  # her first sync
    assert desks.first["sue"].seeded == unit.hex
    with desks["sue"].cache().connect() as conn:
        assert conn.execute(select(SyncConflict.mine_value)).scalars().all() == [sue.login]
