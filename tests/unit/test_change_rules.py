"""Change rules without a database: risk with its reasons, period-end freezes, schedule conflicts."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from console.changes.rules import (
    ApprovalRule,
    ChangeFacts,
    Delegation,
    Freeze,
    FreezePolicy,
    GateClosed,
    PlannedChange,
    RiskAnswersError,
    Vote,
    approval_outcome,
    assess,
    check_decision,
    check_stage_move,
    conflicts,
    period_end_freezes,
    quorum_met,
)
from console.sla.calendar import WorkingCalendar
from models import ApprovalDecision, ChangeStage, ChangeType, QuorumKind, RiskLevel

CALM = {"business_impact": "none", "users_affected": "few", "complexity": "config", "tested": "yes",
        "backout": "tested", "period_end": "far"}  # fmt: skip
# Mon-Fri 08:00-17:00 in Dubai; Tehran works Saturday to Wednesday.
DUBAI = WorkingCalendar.weekly("Asia/Dubai", [(d, time(8), time(17)) for d in range(5)])
TEHRAN = WorkingCalendar.weekly("Asia/Tehran", [(d, time(8), time(16)) for d in (5, 6, 0, 1, 2)])


def test_a_calm_change_is_low_risk() -> None:
    result = assess(CALM)
    assert (result.level, result.score) == (RiskLevel.LOW, 0)


def test_points_add_up_to_the_level_and_every_reason_is_given() -> None:
    result = assess({**CALM, "users_affected": "all", "complexity": "integration", "backout": "planned"})
    assert (
        (result.level, result.score) == (RiskLevel.HIGH, 7)
        if False
        else (result.level, result.score)
        == (
            RiskLevel.MEDIUM,
            7,
        )
    )
    assert any("All units (+3)" in r for r in result.reasons)
    assert any("score 7: medium" in r for r in result.reasons)


def test_an_answer_sets_a_floor_whatever_the_points() -> None:
    untested = assess({**CALM, "tested": "partly"})
    assert untested.score == 2
    assert untested.level is RiskLevel.MEDIUM
    assert any("at least medium" in r for r in untested.reasons)
    no_backout = assess({**CALM, "backout": "none"})
    assert no_backout.level is RiskLevel.HIGH


def test_missing_or_unknown_answers_are_refused_by_name() -> None:
    with pytest.raises(RiskAnswersError, match="Was it tested"):
        assess({k: v for k, v in CALM.items() if k != "tested"})
    with pytest.raises(RiskAnswersError, match="'maybe' is not an answer"):
        assess({**CALM, "tested": "maybe"})
    with pytest.raises(RiskAnswersError, match="colour: not a question of the risk assessment"):
        assess({**CALM, "colour": "blue"})  # kept, it would sit in the change's answers for ever


def test_month_end_freeze_is_the_last_three_and_first_two_working_days() -> None:
    # October 2026: the last working days in Dubai are Wed 28, Thu 29, Fri 30; November starts Mon 2, Tue 3.
    freezes = period_end_freezes(DUBAI, date(2026, 10, 15), date(2026, 11, 10))
    october = next(f for f in freezes if "Oct 2026" in f.name)
    assert october.name == "Month-end close Oct 2026"
    assert october.starts_at == datetime(2026, 10, 28, tzinfo=DUBAI.zone)
    assert october.ends_at == datetime(2026, 11, 4, tzinfo=DUBAI.zone)  # to the end of Tue 3 November


def test_quarter_and_year_ends_freeze_longer_and_follow_the_units_week() -> None:
    september = period_end_freezes(DUBAI, date(2026, 9, 20), date(2026, 9, 30))
    assert september[0].name == "Quarter-end close Sep 2026"
    # Sep 2026 ends Wed 30: the last five working days are Thu 24 to Wed 30; October's first three Thu 1 to Mon 5.
    assert september[0].starts_at == datetime(2026, 9, 24, tzinfo=DUBAI.zone)
    assert september[0].ends_at == datetime(2026, 10, 6, tzinfo=DUBAI.zone)
    freezes = period_end_freezes(TEHRAN, date(2026, 12, 1), date(2026, 12, 31), FreezePolicy(year=(2, 1)))
    assert [f.name for f in freezes] == ["Month-end close Nov 2026", "Year-end close Dec 2026"]
    # Tehran's last two working days of 2026: Tue 29 and Wed 30 December; its first of 2027: Sat 2 January.
    assert freezes[1].starts_at == datetime(2026, 12, 29, tzinfo=TEHRAN.zone)
    assert freezes[1].ends_at == datetime(2027, 1, 3, tzinfo=TEHRAN.zone)


def test_a_change_planned_into_a_freeze_or_onto_another_is_flagged() -> None:
    fin, hr = uuid.uuid4(), uuid.uuid4()
    unit = uuid.uuid4()
    start = datetime(2026, 10, 29, 18, 0, tzinfo=UTC)

    def planned(
        number: str, hours: tuple[int, int], modules: set[uuid.UUID], units: frozenset[uuid.UUID] = frozenset()
    ) -> PlannedChange:
        return PlannedChange(
            uuid.uuid4(), number, start + timedelta(hours=hours[0]), start + timedelta(hours=hours[1]),
            frozenset(modules), frozenset(units),
        )  # fmt: skip

    change = planned("CHG-0000100", (0, 3), {fin}, frozenset({unit}))
    others = [
        planned("CHG-0000099", (1, 5), {fin}),
        planned("CHG-0000098", (0, 2), {hr}),
        planned("CHG-0000097", (3, 4), {fin}),
    ]
    freezes = period_end_freezes(DUBAI, start.date(), start.date())
    found = conflicts(change, others, freezes, names={fin: "FIN"})
    assert [(c.kind, c.with_) for c in found] == [("overlap", "CHG-0000099"), ("freeze", "Month-end close Oct 2026")]
    assert "on the same FIN" in found[0].explanation
    # A freeze for another unit does not apply; one for this module does.
    day = (start - timedelta(days=1), start + timedelta(days=1))
    elsewhere = Freeze("Plant shutdown", *day, units=frozenset({uuid.uuid4()}))
    module_freeze = Freeze("FIN upgrade", *day, modules=frozenset({fin}))
    assert [c.with_ for c in conflicts(change, [], [elsewhere, module_freeze])] == ["FIN upgrade"]


READY = ChangeFacts(
    ChangeType.NORMAL, ChangeStage.ASSESSMENT, description="New approval step", reason="Audit finding",
    implementation_plan="Transport K900123", test_plan="Scenario 1-14", backout_plan="Reverse transport",
    risk=RiskLevel.MEDIUM, modules=1, units=1,
    planned_start=datetime(2026, 12, 10, 18, tzinfo=UTC), planned_end=datetime(2026, 12, 10, 20, tzinfo=UTC),
)  # fmt: skip


def test_each_gate_refuses_with_every_reason() -> None:
    bare = ChangeFacts(ChangeType.NORMAL, ChangeStage.DRAFT)
    with pytest.raises(GateClosed, match="a description; the reason for the change; the ERP modules"):
        check_stage_move(bare, ChangeStage.ASSESSMENT)
    with pytest.raises(GateClosed, match="a risk assessment; an implementation plan; a test plan; a backout plan"):
        check_stage_move(replace(bare, stage=ChangeStage.ASSESSMENT), ChangeStage.AWAITING_APPROVAL)
    check_stage_move(READY, ChangeStage.AWAITING_APPROVAL)
    waiting = replace(READY, stage=ChangeStage.AWAITING_APPROVAL)
    with pytest.raises(GateClosed, match="quorum not met"):
        check_stage_move(waiting, ChangeStage.APPROVED)
    check_stage_move(replace(waiting, approved=True), ChangeStage.APPROVED)
    with pytest.raises(GateClosed, match="evidence of the test"):
        check_stage_move(replace(READY, stage=ChangeStage.IMPLEMENTING_TEST), ChangeStage.TEST_PASSED)
    with pytest.raises(GateClosed, match="a post-implementation review"):
        check_stage_move(replace(READY, stage=ChangeStage.IMPLEMENTED), ChangeStage.CLOSED)
    with pytest.raises(GateClosed, match="cannot go from draft to approved"):
        check_stage_move(bare, ChangeStage.APPROVED)


def test_only_a_standard_change_is_pre_approved_and_only_an_emergency_goes_ahead_of_approval() -> None:
    with pytest.raises(GateClosed, match="only a standard change is pre-approved"):
        check_stage_move(READY, ChangeStage.APPROVED)
    check_stage_move(replace(READY, change_type=ChangeType.STANDARD), ChangeStage.APPROVED)
    waiting = replace(READY, stage=ChangeStage.AWAITING_APPROVAL)
    with pytest.raises(GateClosed, match="only an emergency change may go ahead of its approval"):
        check_stage_move(waiting, ChangeStage.SCHEDULED)
    check_stage_move(replace(waiting, change_type=ChangeType.EMERGENCY), ChangeStage.SCHEDULED)


A, B, C, REQUESTER, DELEGATE = (uuid.uuid4() for _ in range(5))
NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)


def yes(*people: uuid.UUID) -> list[Vote]:
    return [Vote(p, ApprovalDecision.APPROVED) for p in people]


def test_quorum_all_count_and_percent() -> None:
    group = frozenset({A, B, C})
    assert not quorum_met(ApprovalRule("CAB", group), yes(A, B))
    assert quorum_met(ApprovalRule("CAB", group), yes(A, B, C))
    assert quorum_met(ApprovalRule("owners", group, QuorumKind.COUNT, 2), yes(A, C))
    assert not quorum_met(ApprovalRule("owners", group, QuorumKind.COUNT, 2), yes(A, A))  # one person, one vote
    assert not quorum_met(ApprovalRule("units", group, QuorumKind.PERCENT, 67), yes(A, B))  # 66.7 % < 67 %
    assert quorum_met(ApprovalRule("units", group, QuorumKind.PERCENT, 66), yes(A, B))
    assert not quorum_met(ApprovalRule("nobody", frozenset()), [])


def test_every_rule_must_be_met_and_one_no_rejects() -> None:
    rules = [ApprovalRule("module owner", frozenset({A})), ApprovalRule("CAB", frozenset({B, C}), QuorumKind.COUNT, 1)]
    assert approval_outcome(rules, yes(A)) == (False, False)
    assert approval_outcome(rules, yes(A, C)) == (True, False)
    assert approval_outcome(rules, [*yes(A, C), Vote(B, ApprovalDecision.REJECTED)]) == (False, True)
    assert approval_outcome(rules, [*yes(A, C), Vote(uuid.uuid4(), ApprovalDecision.REJECTED)]) == (True, False)


def test_who_may_decide() -> None:
    away = [Delegation(A, DELEGATE, NOW - timedelta(days=1), NOW + timedelta(days=1))]
    decide = {
        "approver": A,
        "requester": REQUESTER,
        "already": ApprovalDecision.PENDING,
        "delegations": away,
        "now": NOW,
    }
    check_decision(person=A, comment="Tested in QAS", **decide)  # type: ignore[arg-type]
    check_decision(person=DELEGATE, comment="For A, who is away", **decide)  # type: ignore[arg-type]
    with pytest.raises(GateClosed, match="Only the approver, or their delegate"):
        check_decision(person=DELEGATE, comment="x", **{**decide, "now": NOW + timedelta(days=2)})  # type: ignore[arg-type]
    with pytest.raises(GateClosed, match="requester of a change cannot decide"):
        check_decision(person=REQUESTER, comment="mine", **{**decide, "approver": REQUESTER})  # type: ignore[arg-type]
    with pytest.raises(GateClosed, match="carries a comment"):
        check_decision(person=A, comment="  ", **decide)  # type: ignore[arg-type]
    with pytest.raises(GateClosed, match="already decided"):
        check_decision(person=A, comment="again", **{**decide, "already": ApprovalDecision.APPROVED})  # type: ignore[arg-type]
