"""Change services on the demo cache, offline: a change taken through every stage by different people;
each gate and rule tried the wrong way round refuses with a reason and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Connection, Engine, func, select

from console.access import Actor, Refused, load_actor
from console.changes import facts as change_facts
from console.changes import freezes
from console.changes import service as changes
from console.changes.agenda import write_agenda
from console.changes.applied import TEXT_MAX
from console.changes.approvals import end_delegation, set_delegation
from console.changes.freezes import Planner, set_freeze_policy
from console.changes.lists import cab_agenda, calendar, list_changes, load_change
from console.changes.rules import FreezePolicy
from console.changes.service import (
    AssessRisk,
    Decide,
    EditChange,
    MoveStage,
    NewChange,
    execute_change,
)
from console.store.workspace import Workspace
from models import (
    ApprovalDecision,
    AuditEvent,
    BusinessUnit,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    EntityType,
    ErpModule,
    Membership,
    Role,
    User,
    new_id,
    table_of,
)
from tests import clock

S = ChangeStage
NOW = clock.demo_now() + timedelta(hours=9)
HIGH_RISK = {
    "business_impact": "critical_process",
    "users_affected": "all",
    "complexity": "code",
    "tested": "yes",
    "backout": "planned",
    "period_end": "far",
}


@pytest.fixture
def engine(workspace: Workspace) -> Engine:
    return workspace.cache()


def person(conn: Connection, role: Role, *, not_in: tuple[uuid.UUID, ...] = ()) -> Actor:
    logins = conn.execute(select(User.login, User.id).where(User.role == role).order_by(User.login)).all()
    return load_actor(conn, next(login for login, uid in logins if uid not in not_in))


def state(conn: Connection, change_id: uuid.UUID) -> tuple[Any, ...]:
    """What a refused intent must leave as it was: the row, its approvals and its audit trail."""
    row = conn.execute(select(change_facts.CHANGES).where(ChangeRequest.id == change_id)).one()
    approvals = conn.execute(
        select(ChangeApproval.approver_id, ChangeApproval.decision).where(ChangeApproval.change_id == change_id)
    ).all()
    events = conn.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_id == change_id)
    ).scalar_one()
    return tuple(row), sorted(approvals), events


def refused(engine: Engine, actor: Actor, intent: changes.ChangeIntent, match: str, now: datetime = NOW) -> None:
    with engine.connect() as conn:
        before = state(conn, intent.change_id)
    with pytest.raises(Refused, match=match):
        execute_change(engine, actor, intent, now)
    with engine.connect() as conn:
        assert state(conn, intent.change_id) == before


def stage_of(engine: Engine, change_id: uuid.UUID) -> ChangeStage:
    with engine.connect() as conn:
        return ChangeStage(conn.execute(select(ChangeRequest.stage).where(ChangeRequest.id == change_id)).scalar_one())


def unit_of_new_changes(conn: Connection, requester: Actor) -> uuid.UUID:
    """The business unit ``new_change`` plans a change for: the requester's own if scoped, else the first."""
    if requester.scoped:
        return next(iter(requester.units))
    unit_id = conn.execute(select(BusinessUnit.id).order_by(BusinessUnit.code)).scalars().first()
    assert unit_id is not None
    return unit_id


def new_change(
    engine: Engine, workspace: Workspace, requester: Actor, kind: ChangeType, start: datetime, **values: Any
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with engine.begin() as conn:
        module_id = conn.execute(select(ErpModule.id).order_by(ErpModule.code)).scalars().first()
        assert module_id is not None
        unit_id = unit_of_new_changes(conn, requester)
        number = changes.new_change_number(conn, workspace.client_id)
    change_id = new_id()
    fields = {
        "description": "Add a second approval step for purchase orders above 50,000.",
        "reason": "Audit finding 2026-17.",
        "implementation_plan": "Transport the workflow to production.",
        "test_plan": "Key users run the approval scenarios in QA.",
        "backout_plan": "Re-import the previous transport.",
    } | values
    execute_change(
        engine,
        requester,
        NewChange(
            change_id,
            number,
            "Purchase approval step",
            kind,
            frozenset({module_id}),
            frozenset({unit_id}),
            planned_start=start,
            planned_end=start + timedelta(hours=3),
            **fields,
        ),
        NOW,
    )
    return change_id, module_id, unit_id


def quiet_window(engine: Engine, unit_id: uuid.UUID) -> datetime:
    """A weekday evening outside any freeze of the unit."""
    with engine.connect() as conn:
        planner = Planner(conn)
        day = NOW + timedelta(days=10)
        while planner.freezes(day, day + timedelta(hours=3), {unit_id}) or day.weekday() >= 5:
            day += timedelta(days=1)
    return day.replace(hour=18)


def test_a_change_goes_through_every_stage_by_different_people(engine: Engine, workspace: Workspace) -> None:
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
    with engine.connect() as conn:
        unit = conn.execute(select(Membership.business_unit_id).where(Membership.user_id == requester.id)).scalar_one()
    change_id, _, _unit_id = new_change(engine, workspace, requester, ChangeType.NORMAL, quiet_window(engine, unit))
    assert stage_of(engine, change_id) is S.DRAFT

    # Gates the wrong way round: out of order, and a plan missing.
    refused(engine, requester, MoveStage(change_id, S.AWAITING_APPROVAL, S.DRAFT), "cannot go from draft to awaiting")
    refused(engine, requester, MoveStage(change_id, S.ASSESSMENT, S.ASSESSMENT), "changed meanwhile")
    execute_change(engine, requester, MoveStage(change_id, S.ASSESSMENT, S.DRAFT), NOW)
    refused(engine, requester, MoveStage(change_id, S.AWAITING_APPROVAL, S.ASSESSMENT), "needs a risk assessment")
    refused(engine, requester, AssessRisk(change_id, {"tested": "yes"}), "Answer every question")

    applied = execute_change(engine, requester, AssessRisk(change_id, HIGH_RISK), NOW)
    assert applied.risk is not None
    assert applied.risk.level == "high"
    assert any("critical process" in reason for reason in applied.risk.reasons)
    applied = execute_change(engine, requester, MoveStage(change_id, S.AWAITING_APPROVAL, S.ASSESSMENT), NOW)
    assert applied.stage is S.AWAITING_APPROVAL

    with engine.connect() as conn:
        asked = conn.execute(
            select(ChangeApproval.approver_id, ChangeApproval.policy_id).where(ChangeApproval.change_id == change_id)
        ).all()
        policies = {p for _, p in asked}
        assert len(policies) == 3  # module owner, the unit's super-users, the CAB (high risk)
        assert requester.id not in {a for a, _ in asked}
        by_policy = {p: sorted(a for a, q in asked if q == p) for p in policies}
        people = {
            a: load_actor(conn, conn.execute(select(User.login).where(User.id == a)).scalar_one()) for a, _ in asked
        }
        outsider = person(conn, Role.SERVICE_DESK_ANALYST)

    # Approval rules the wrong way round.
    refused(
        engine, requester, Decide(change_id, ApprovalDecision.APPROVED, "looks fine"), "requester of a change cannot"
    )
    refused(engine, outsider, Decide(change_id, ApprovalDecision.APPROVED, "ok"), "not among the approvers")
    first = people[asked[0][0]]
    refused(engine, first, Decide(change_id, ApprovalDecision.APPROVED, "   "), "carries a comment")
    refused(engine, requester, MoveStage(change_id, S.APPROVED, S.AWAITING_APPROVAL), "quorum not met")

    # Every approver decides (delegation checked in its own test); the last decision approves the change.
    decided = set()
    for _policy, approvers in by_policy.items():
        for approver in approvers:
            with engine.connect() as conn:
                pending = conn.execute(
                    select(ChangeApproval.id).where(
                        ChangeApproval.change_id == change_id,
                        ChangeApproval.approver_id == approver,
                        ChangeApproval.decision == ApprovalDecision.PENDING,
                    )
                ).first()
            if approver in decided or pending is None:  # decided already, maybe by their delegate
                continue
            result = execute_change(
                engine, people[approver], Decide(change_id, ApprovalDecision.APPROVED, "Agreed."), NOW
            )
            decided.add(approver)
            if result.stage is S.APPROVED:
                break
        if stage_of(engine, change_id) is S.APPROVED:
            break
    assert stage_of(engine, change_id) is S.APPROVED
    with engine.connect() as conn:
        rows = conn.execute(
            select(ChangeApproval.decision, ChangeApproval.comment, ChangeApproval.decided_by_id).where(
                ChangeApproval.change_id == change_id, ChangeApproval.decision != ApprovalDecision.PENDING
            )
        ).all()
    assert rows
    assert all(c == "Agreed." and by is not None for _, c, by in rows)
    refused(
        engine, people[asked[0][0]], Decide(change_id, ApprovalDecision.REJECTED, "too late"), "not awaiting approval"
    )

    # Test, evidence, production, review — a coordinator steers part of it.
    with engine.connect() as conn:
        manager = person(conn, Role.SUPPORT_MANAGER)
    execute_change(engine, requester, MoveStage(change_id, S.IMPLEMENTING_TEST, S.APPROVED), NOW)
    refused(engine, requester, MoveStage(change_id, S.TEST_PASSED, S.IMPLEMENTING_TEST), "evidence of the test")
    refused(engine, outsider, EditChange(change_id, "test_evidence", "all fine", None), "Only the requester or owner")
    execute_change(
        engine, requester, EditChange(change_id, "test_evidence", "QA run 14/14 passed, signed by K. User", None), NOW
    )
    execute_change(engine, requester, MoveStage(change_id, S.TEST_PASSED, S.IMPLEMENTING_TEST), NOW)
    execute_change(engine, manager, MoveStage(change_id, S.SCHEDULED, S.TEST_PASSED), NOW)
    execute_change(engine, manager, MoveStage(change_id, S.IMPLEMENTED, S.SCHEDULED), NOW)
    refused(engine, requester, MoveStage(change_id, S.CLOSED, S.IMPLEMENTED), "post-implementation review")
    execute_change(engine, requester, EditChange(change_id, "review_notes", "Incidents stopped.", None), NOW)
    execute_change(engine, requester, MoveStage(change_id, S.CLOSED, S.IMPLEMENTED), NOW)
    refused(engine, requester, MoveStage(change_id, S.ASSESSMENT, S.CLOSED), "it is final")

    with engine.connect() as conn:
        trail = (
            conn.execute(
                select(AuditEvent.new_value)
                .where(
                    AuditEvent.entity_type == EntityType.CHANGE,
                    AuditEvent.entity_id == change_id,
                    AuditEvent.field == "stage",
                )
                .order_by(AuditEvent.occurred_at, AuditEvent.seq)
            )
            .scalars()
            .all()
        )
        detail = load_change(conn, manager, change_id, NOW)
    assert trail == [s.value for s in (S.ASSESSMENT, S.AWAITING_APPROVAL, S.APPROVED, S.IMPLEMENTING_TEST,
                                       S.TEST_PASSED, S.SCHEDULED, S.IMPLEMENTED, S.CLOSED)]  # fmt: skip
    assert detail.row.stage is S.CLOSED
    assert detail.moves == ()
    assert any("quorum" in line.why for line in detail.history)


def test_a_delegate_decides_while_the_approver_is_away_and_a_rejection_stops_the_change(
    engine: Engine, workspace: Workspace
) -> None:
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
    change_id, _, _unit_id = new_change(engine, workspace, requester, ChangeType.EMERGENCY, NOW + timedelta(hours=2))
    for to, base in ((S.ASSESSMENT, S.DRAFT), (S.AWAITING_APPROVAL, S.ASSESSMENT)):
        if to is S.AWAITING_APPROVAL:
            execute_change(engine, requester, AssessRisk(change_id, HIGH_RISK), NOW)
        execute_change(engine, requester, MoveStage(change_id, to, base), NOW)
    with engine.begin() as conn:
        approvers = (
            conn.execute(select(ChangeApproval.approver_id).where(ChangeApproval.change_id == change_id))
            .scalars()
            .all()
        )
        away = approvers[0]
        delegate = person(conn, Role.FUNCTIONAL_CONSULTANT, not_in=(requester.id, *approvers))
        absent = load_actor(conn, conn.execute(select(User.login).where(User.id == away)).scalar_one())
        end_delegation(conn, absent, NOW - timedelta(days=1))  # whatever the demo had set is over
        set_delegation(conn, absent, delegate.id, NOW - timedelta(hours=1), NOW + timedelta(days=1), NOW)
        for wrong, why in (
            ((absent.id, NOW, NOW + timedelta(days=1)), "someone else"),
            ((delegate.id, NOW, NOW + timedelta(days=2)), "already have a delegate"),
            ((delegate.id, NOW + timedelta(days=5), NOW + timedelta(days=200)), "at most 90 days"),
            ((delegate.id, NOW - timedelta(days=9), NOW - timedelta(days=8)), "already over"),
        ):
            with pytest.raises(Refused, match=why):
                set_delegation(conn, absent, *wrong, NOW)
        trail = (
            conn.execute(
                select(AuditEvent.new_value).where(AuditEvent.entity_id == away, AuditEvent.field == "delegate")
            )
            .scalars()
            .all()
        )
        assert delegate.login in trail
    # Outside the delegation's period the delegate may not decide.
    later = NOW + timedelta(days=3)
    refused(
        engine, delegate, Decide(change_id, ApprovalDecision.APPROVED, "for them"), "not among the approvers", later
    )
    execute_change(
        engine, delegate, Decide(change_id, ApprovalDecision.APPROVED, "Deciding while they are on leave."), NOW
    )
    with engine.connect() as conn:
        row = conn.execute(
            select(ChangeApproval.decided_by_id, ChangeApproval.decision).where(
                ChangeApproval.change_id == change_id, ChangeApproval.approver_id == away
            )
        ).one()
    assert row == (delegate.id, ApprovalDecision.APPROVED)
    # An emergency may go to production ahead of its approval…
    execute_change(engine, requester, MoveStage(change_id, S.SCHEDULED, S.AWAITING_APPROVAL), NOW)
    # …and a required approver's rejection is still recorded; a normal change would stop here.
    with engine.connect() as conn:
        second = load_actor(conn, conn.execute(select(User.login).where(User.id == approvers[1])).scalar_one())
    result = execute_change(
        engine, second, Decide(change_id, ApprovalDecision.REJECTED, "Not without a CAB call."), NOW
    )
    assert result.stage is S.SCHEDULED
    execute_change(engine, requester, MoveStage(change_id, S.IMPLEMENTED, S.SCHEDULED), NOW)
    refused(engine, requester, MoveStage(change_id, S.CLOSED, S.IMPLEMENTED), "post-implementation review")

    normal, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, NOW + timedelta(days=40))
    execute_change(engine, requester, MoveStage(normal, S.ASSESSMENT, S.DRAFT), NOW)
    execute_change(engine, requester, AssessRisk(normal, HIGH_RISK), NOW)
    execute_change(engine, requester, MoveStage(normal, S.AWAITING_APPROVAL, S.ASSESSMENT), NOW)
    with engine.connect() as conn:
        approver = (
            conn.execute(select(ChangeApproval.approver_id).where(ChangeApproval.change_id == normal)).scalars().first()
        )
        no = load_actor(conn, conn.execute(select(User.login).where(User.id == approver)).scalar_one())
    assert (
        execute_change(engine, no, Decide(normal, ApprovalDecision.REJECTED, "Clashes with the audit."), NOW).stage
        is S.REJECTED
    )
    refused(engine, requester, MoveStage(normal, S.APPROVED, S.REJECTED), "it is final")


def test_a_window_in_the_period_end_freeze_is_flagged_offline_and_the_freeze_is_configurable(
    engine: Engine, workspace: Workspace
) -> None:
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
        unit = unit_of_new_changes(conn, requester)  # freezes differ by unit: Tehran's year closes at Nowruz
        ahead = Planner(conn).freezes(NOW, NOW + timedelta(days=45), {unit})
        freeze = next(f for f in ahead if "close" in f.name and f.starts_at > NOW)
    start = freeze.starts_at + timedelta(hours=20)
    change_id, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, start)
    with engine.connect() as conn:
        found = [c for c in freezes.change_conflicts(conn, change_id) if c.kind == "freeze"]  # and maybe a demo
    assert found  # change overlapping it, on some days
    assert all("close" in c.explanation for c in found)
    containing = [f for f in ahead if f.starts_at <= start < f.ends_at]  # a quarter's close holds its month's
    # when it starts, in the person's zone (the suite's: UTC), named
    assert any(f"({f.starts_at.astimezone(UTC):%d %b %Y %H:%M} to " in c.explanation for f in containing for c in found)
    assert all(c.explanation.endswith(" UTC)") for c in found)

    # A second change on the same module and unit overlapping the window is an overlap conflict, both ways.
    other, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, start + timedelta(hours=1))
    for change in (change_id, other):
        execute_change(engine, requester, MoveStage(change, S.ASSESSMENT, S.DRAFT), NOW)
    with engine.connect() as conn:
        number, other_number = (
            conn.execute(select(ChangeRequest.number).where(ChangeRequest.id == c)).scalar_one()
            for c in (change_id, other)
        )
        of_other = freezes.change_conflicts(conn, other)
        of_first = freezes.change_conflicts(conn, change_id)
    assert {c.kind for c in of_other} == {"freeze", "overlap"}
    assert number in {c.with_ for c in of_other if c.kind == "overlap"}
    assert other_number in {c.with_ for c in of_first if c.kind == "overlap"}

    with engine.begin() as conn:
        set_freeze_policy(conn, FreezePolicy(month=(0, 0), quarter=(0, 0), year=(0, 0)))
    with engine.connect() as conn:
        assert {c.kind for c in freezes.change_conflicts(conn, change_id)} == {"overlap"}
        cal = calendar(conn, requester, start - timedelta(days=2), start + timedelta(days=2), NOW)
    assert {r.number for r in cal.changes} >= {number}
    with pytest.raises(Refused, match="month=3,2"):
        freezes.parse_freeze_policy("month=three")


def test_a_draft_shows_its_own_conflicts_but_takes_no_slot_from_others(engine: Engine, workspace: Workspace) -> None:
    """The README flags a conflict when a change is planned: a draft too, in the lists and the detail. A draft
    is an idea its requester may still drop, so it does not flag the changes it overlaps."""
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
        unit = unit_of_new_changes(conn, requester)
        ahead = Planner(conn).freezes(NOW, NOW + timedelta(days=45), {unit})
        freeze = next(f for f in ahead if "close" in f.name and f.starts_at > NOW)
    frozen, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, freeze.starts_at + timedelta(hours=20))
    quiet = quiet_window(engine, unit)
    assessed, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, quiet)
    execute_change(engine, requester, MoveStage(assessed, S.ASSESSMENT, S.DRAFT), NOW)
    draft, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, quiet + timedelta(hours=1))
    with engine.connect() as conn:
        rows = {r.id: r for r in list_changes(conn, requester, NOW, "open")}
        detail = load_change(conn, requester, frozen, NOW)
    assert rows[frozen].stage is S.DRAFT
    assert "freeze" in {c.kind for c in rows[frozen].conflicts}
    assert any(c.explanation.startswith("inside the freeze") for c in detail.row.conflicts)
    assert ("overlap", rows[assessed].number) in {(c.kind, c.with_) for c in rows[draft].conflicts}
    assert rows[draft].number not in {c.with_ for c in rows[assessed].conflicts}  # a draft takes no slot


def test_a_super_user_sees_only_changes_of_their_units(engine: Engine, workspace: Workspace) -> None:
    with engine.connect() as conn:
        consultant = person(conn, Role.FUNCTIONAL_CONSULTANT)
        supers = conn.execute(
            select(User.login, Membership.business_unit_id).join(Membership).where(User.role == Role.SUPER_USER)
        ).all()
    mine_login, mine_unit = supers[0]
    other = next(login for login, unit in supers if unit != mine_unit)
    with engine.connect() as conn:
        super_user, stranger = load_actor(conn, mine_login), load_actor(conn, other)
    change_id, _, _ = new_change(engine, workspace, super_user, ChangeType.NORMAL, NOW + timedelta(days=20))
    with engine.connect() as conn:
        assert change_id in {r.id for r in list_changes(conn, super_user, NOW, "all")}
        assert change_id not in {r.id for r in list_changes(conn, stranger, NOW, "all")}
        assert change_id in {r.id for r in list_changes(conn, consultant, NOW, "all")}
        seen = list_changes(conn, stranger, NOW, "all")
        code = conn.execute(select(BusinessUnit.code).where(BusinessUnit.id == dict(supers)[other])).scalar_one()
        with pytest.raises(Refused, match="cannot see"):
            load_change(conn, stranger, change_id, NOW)
    assert seen
    assert all(code in r.units.split(", ") for r in seen)
    refused(engine, stranger, EditChange(change_id, "title", "Mine now", "Purchase approval step"), "cannot see")


def test_cab_agenda_lists_what_waits_for_the_board_and_exports_to_pdf(
    engine: Engine, workspace: Workspace, tmp_path: Path
) -> None:
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
        unit = conn.execute(select(Membership.business_unit_id).where(Membership.user_id == requester.id)).scalar_one()
    change_id, _, _ = new_change(engine, workspace, requester, ChangeType.NORMAL, quiet_window(engine, unit))
    execute_change(engine, requester, MoveStage(change_id, S.ASSESSMENT, S.DRAFT), NOW)
    execute_change(engine, requester, AssessRisk(change_id, HIGH_RISK), NOW)
    execute_change(engine, requester, MoveStage(change_id, S.AWAITING_APPROVAL, S.ASSESSMENT), NOW)
    with engine.connect() as conn:
        manager = person(conn, Role.SUPPORT_MANAGER)
        rows = cab_agenda(conn, manager, NOW, 30)
        assert change_id not in {r.id for r in cab_agenda(conn, manager, NOW, 1)}
        waiting = list_changes(conn, manager, NOW, "awaiting")
    number = next(r.number for r in rows if r.id == change_id)
    assert change_id in {r.id for r in waiting}
    assert all(r.awaiting_me for r in waiting)
    out = write_agenda(rows, tmp_path / "cab.pdf", NOW, 30)
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert number in text
    assert "Purchase approval step" in text
    with pytest.raises(Exception, match=r"\.pdf or \.csv"):
        write_agenda(rows, tmp_path / "cab.docx", NOW, 30)
    assert not (tmp_path / "cab.docx").exists()


def test_bad_input_is_refused_and_changes_nothing(engine: Engine, workspace: Workspace) -> None:
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
        analyst = person(conn, Role.SERVICE_DESK_ANALYST)
        before = conn.execute(select(func.count()).select_from(ChangeRequest)).scalar_one()
    change_id, module_id, unit_id = new_change(engine, workspace, requester, ChangeType.NORMAL, NOW + timedelta(days=9))
    huge = "x" * (TEXT_MAX + 1)
    refused(
        engine,
        requester,
        EditChange(change_id, "description", huge, "Add a second approval step for purchase orders above 50,000."),
        "characters long",
    )
    refused(
        engine,
        requester,
        EditChange(
            change_id,
            "window",
            (NOW, NOW - timedelta(hours=1)),
            (NOW + timedelta(days=9), NOW + timedelta(days=9, hours=3)),
        ),
        "ends before it starts",
    )
    refused(engine, requester, EditChange(change_id, "stage", "closed", "draft"), "not a field")
    refused(engine, requester, EditChange(change_id, "units", frozenset(), frozenset({unit_id})), "at least one")
    with pytest.raises(Refused, match="cannot request changes"):
        execute_change(
            engine,
            analyst,
            NewChange(new_id(), "CHG-9999999", "x", ChangeType.NORMAL, frozenset({module_id}), frozenset({unit_id})),
            NOW,
        )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ChangeRequest)).scalar_one() == before + 1
    # Odd Unicode survives as typed; control characters are dropped.
    title = "تغییر\u200cمنو \U0001f680 ok\x00"
    execute_change(engine, requester, EditChange(change_id, "title", title, "Purchase approval step"), NOW)
    with engine.connect() as conn:
        stored = conn.execute(select(ChangeRequest.title).where(ChangeRequest.id == change_id)).scalar_one()
    assert stored == "تغییر\u200cمنو \U0001f680 ok"


def test_demo_changes_follow_their_approval_rules(engine: Engine) -> None:
    """Every demo change past approval met its quorum; every rejected one has a rejection; none waits on no one."""
    with engine.connect() as conn:
        rows = conn.execute(select(change_facts.CHANGES)).all()
        for row in rows:
            facts = change_facts.facts(conn, dict(row._mapping))
            stage = ChangeStage(row.stage)
            if stage is S.AWAITING_APPROVAL:
                assert (facts.approved, facts.rejected) == (False, False), row.number
            elif stage is S.REJECTED:
                assert facts.rejected, row.number
            elif facts.was_approved and row.change_type != ChangeType.STANDARD:
                assert facts.approved, row.number


def test_a_standard_change_comes_from_a_template_and_is_pre_approved(engine: Engine, workspace: Workspace) -> None:
    with engine.connect() as conn:
        requester = person(conn, Role.FUNCTIONAL_CONSULTANT)
        template = conn.execute(select(table_of(ChangeTemplate)).order_by(ChangeTemplate.name)).first()
        unit = conn.execute(select(Membership.business_unit_id).where(Membership.user_id == requester.id)).scalar_one()
        number = changes.new_change_number(conn, workspace.client_id)
    assert template is not None
    modules, units = frozenset({template.module_id}), frozenset({unit})
    start = quiet_window(engine, unit)
    end = start + timedelta(hours=2)
    with pytest.raises(Refused, match="choose a template"):
        execute_change(
            engine,
            requester,
            NewChange(
                new_id(),
                number,
                "Mass update",
                ChangeType.STANDARD,
                modules,
                units,
                planned_start=start,
                planned_end=end,
            ),
            NOW,
        )
    with pytest.raises(Refused, match="Only a standard change"):
        execute_change(
            engine,
            requester,
            NewChange(
                new_id(),
                number,
                "Mass update",
                ChangeType.NORMAL,
                modules,
                units,
                template_id=template.id,
                planned_start=start,
                planned_end=end,
            ),
            NOW,
        )
    change_id = new_id()
    title = "Mass update of vendor bank data"
    intent = NewChange(change_id, number, title, ChangeType.STANDARD, modules, units, reason="Bank merger.",
                       template_id=template.id, planned_start=start, planned_end=end)  # fmt: skip
    execute_change(engine, requester, intent, NOW)
    with engine.connect() as conn:
        row = conn.execute(select(change_facts.CHANGES).where(ChangeRequest.id == change_id)).one()
    assert (row.implementation_plan, row.backout_plan) == (template.implementation_plan, template.backout_plan)
    execute_change(engine, requester, MoveStage(change_id, S.ASSESSMENT, S.DRAFT), NOW)
    execute_change(engine, requester, EditChange(change_id, "test_plan", "Upload 10 rows in QA first.", ""), NOW)
    execute_change(
        engine,
        requester,
        AssessRisk(
            change_id,
            {
                **HIGH_RISK,
                "business_impact": "none",
                "users_affected": "few",
                "complexity": "config",
                "backout": "tested",
            },
        ),
        NOW,
    )
    # Pre-approved: straight from assessment to approved, nobody asked.
    assert execute_change(engine, requester, MoveStage(change_id, S.APPROVED, S.ASSESSMENT), NOW).stage is S.APPROVED
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(ChangeApproval.change_id == change_id)).scalar_one() == 0
