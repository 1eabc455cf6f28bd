"""Change governance rules that need no database: risk from a questionnaire, period-end freezes,
and schedule conflicts. Pure functions over plain values, so the approval view, the command line
and (later) the shared database apply exactly the same rules, offline.

- **Risk**: each answer adds points and may set a floor ("not tested in the test environment"
  is never low risk); the total gives low / medium / high by thresholds. Questions, points,
  floors and thresholds are data (``RiskRules``), and the result lists every reason.
- **Freezes**: period-end close means no production changes in the last working days of a
  month and the first working days of the next (default 3 and 2; quarter ends 5 and 3; the
  year end 7 and 5), counted on the business unit's own working calendar.
- **Conflicts**: a planned window overlapping another change's on the same module or business
  unit, or falling in a freeze window for everything, that module or that unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from console.access import Refused
from console.sla.calendar import WorkingCalendar
from console.words import STAGE_LABELS
from console.zone import moment_text, window_text
from models import ApprovalDecision, ChangeStage, ChangeType, QuorumKind, RiskLevel

# ---- risk ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    label: str
    points: int
    floor: RiskLevel | None = None  # the least risk this answer allows


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: Mapping[str, Option]


@dataclass(frozen=True)
class RiskRules:
    questions: Sequence[Question]
    medium_from: int = 4
    high_from: int = 8


DEFAULT_RULES = RiskRules(
    questions=(
        Question("business_impact", "What stops if the change goes wrong?", {
            "none": Option("Nothing visible to the business", 0),
            "one_process": Option("One business process", 2),
            "critical_process": Option("A critical process (payroll, payments, shipping, close)", 4, RiskLevel.MEDIUM),
        }),
        Question("users_affected", "Who is affected?", {
            "few": Option("A few users", 0),
            "one_unit": Option("One business unit", 1),
            "all": Option("All units", 3),
        }),
        Question("complexity", "How complex is it?", {
            "config": Option("A setting or a report", 0),
            "code": Option("Custom code or a workflow", 2),
            "integration": Option("Interfaces to other systems or data migration", 3),
        }),
        Question("tested", "Was it tested in the test environment?", {
            "yes": Option("Yes, with the business signing off", 0),
            "partly": Option("Partly", 2, RiskLevel.MEDIUM),
            "no": Option("No", 4, RiskLevel.MEDIUM),
        }),
        Question("backout", "Is a backout ready?", {
            "tested": Option("Yes, and rehearsed", 0),
            "planned": Option("Planned, not rehearsed", 1),
            "none": Option("No backout possible", 3, RiskLevel.HIGH),
        }),
        Question("period_end", "How close is it to the period-end close?", {
            "far": Option("More than a week away", 0),
            "near": Option("Within a week", 2),
            "during": Option("During the close", 4, RiskLevel.HIGH),
        }),
    ),
)  # fmt: skip
ORDER = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)


class RiskAnswersError(Refused):
    pass


@dataclass(frozen=True)
class RiskResult:
    level: RiskLevel
    score: int
    reasons: list[str]


def assess(answers: Mapping[str, str], rules: RiskRules = DEFAULT_RULES) -> RiskResult:
    """The risk level of a change from its questionnaire, with the reasons that made it."""
    unknown = sorted(set(answers) - {q.key for q in rules.questions})
    if unknown:
        raise RiskAnswersError(
            f"{', '.join(unknown)}: not a question of the risk assessment; the questions are "
            f"{', '.join(q.key for q in rules.questions)}."
        )
    missing = [q.text for q in rules.questions if q.key not in answers]
    if missing:
        raise RiskAnswersError("Answer every question: " + " ".join(missing))
    score = 0
    floor = RiskLevel.LOW
    reasons: list[str] = []
    for question in rules.questions:
        choice = question.options.get(answers[question.key])
        if choice is None:
            known = ", ".join(question.options)
            raise RiskAnswersError(f"{question.text} {answers[question.key]!r} is not an answer ({known}).")
        score += choice.points
        if choice.points:
            reasons.append(f"{question.text} {choice.label} (+{choice.points})")
        if choice.floor is not None and ORDER.index(choice.floor) > ORDER.index(floor):
            floor = choice.floor
            reasons.append(f"{choice.label}: at least {choice.floor.value} risk")
    by_score = (
        RiskLevel.HIGH
        if score >= rules.high_from
        else RiskLevel.MEDIUM
        if score >= rules.medium_from
        else RiskLevel.LOW
    )
    reasons.append(f"score {score}: {by_score.value} (medium from {rules.medium_from}, high from {rules.high_from})")
    level = max(by_score, floor, key=ORDER.index)
    return RiskResult(level, score, reasons)


# ---- freezes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreezePolicy:
    """Working days frozen at the end of a month and the start of the next: (last, first)."""

    month: tuple[int, int] = (3, 2)
    quarter: tuple[int, int] = (5, 3)
    year: tuple[int, int] = (7, 5)

    def days_for(self, month_ending: int) -> tuple[int, int]:
        if month_ending == 12:
            return self.year
        if month_ending % 3 == 0:
            return self.quarter
        return self.month


@dataclass(frozen=True)
class Freeze:
    name: str
    starts_at: datetime
    ends_at: datetime
    modules: frozenset[uuid.UUID] = frozenset()  # empty: every module
    units: frozenset[uuid.UUID] = frozenset()  # empty: every unit

    def covers(self, modules: Iterable[uuid.UUID], units: Iterable[uuid.UUID]) -> bool:
        return (not self.modules or bool(self.modules & set(modules))) and (
            not self.units or bool(self.units & set(units))
        )


def _working_days(calendar: WorkingCalendar, first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def period_end_freezes(
    calendar: WorkingCalendar,
    start: date,
    end: date,
    policy: FreezePolicy = FreezePolicy(),
    unit: uuid.UUID | None = None,
) -> list[Freeze]:
    """The period-end freezes touching [start, end], each from the first frozen working day's start
    to the end of the last, in the calendar's time zone (weekends between are inside)."""
    freezes: list[Freeze] = []
    year, month = start.year, start.month
    # A freeze starts in the month before the one it spills into: look one month back.
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    while date(year, month, 1) <= end:
        last_n, first_n = policy.days_for(month)
        month_first, month_last = _month_bounds(year, month)
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        next_first, next_last = _month_bounds(next_year, next_month)
        ending = _working_days(calendar, month_first, month_last)[-last_n:]
        starting = _working_days(calendar, next_first, next_last)[:first_n]
        if ending and starting:
            starts_at = datetime.combine(ending[0], time(), calendar.zone)
            ends_at = datetime.combine(starting[-1] + timedelta(days=1), time(), calendar.zone)
            if starts_at.date() <= end and ends_at.date() > start:
                label = "Year-end" if month == 12 else "Quarter-end" if month % 3 == 0 else "Month-end"
                freezes.append(
                    Freeze(
                        f"{label} close {month_last:%b %Y}",
                        starts_at,
                        ends_at,
                        units=frozenset({unit}) if unit else frozenset(),
                    )
                )
        year, month = next_year, next_month
    return freezes


# ---- conflicts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedChange:
    id: uuid.UUID
    number: str
    starts_at: datetime
    ends_at: datetime
    modules: frozenset[uuid.UUID] = field(default_factory=frozenset)
    units: frozenset[uuid.UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Conflict:
    kind: str  # "overlap" or "freeze"
    with_: str  # the other change's number, or the freeze's name
    explanation: str


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def conflicts(
    change: PlannedChange,
    others: Iterable[PlannedChange],
    freezes: Iterable[Freeze],
    names: Mapping[uuid.UUID, str] | None = None,
) -> list[Conflict]:
    """Why this planned window is a problem, if it is: overlapping changes and freeze windows."""
    names = names or {}
    found: list[Conflict] = []
    for other in others:
        if other.id == change.id or not _overlap(change.starts_at, change.ends_at, other.starts_at, other.ends_at):
            continue
        shared = sorted(names.get(i, str(i)) for i in (change.modules & other.modules) | (change.units & other.units))
        if shared:
            found.append(
                Conflict(
                    "overlap",
                    other.number,
                    f"{other.number} is planned {window_text(other.starts_at, other.ends_at, named=True)} "
                    f"on the same {', '.join(shared)}",
                )
            )
    for freeze in freezes:
        if _overlap(change.starts_at, change.ends_at, freeze.starts_at, freeze.ends_at) and freeze.covers(
            change.modules, change.units
        ):
            found.append(
                Conflict(
                    "freeze",
                    freeze.name,
                    f"inside the freeze {freeze.name} ({moment_text(freeze.starts_at)} to "
                    f"{moment_text(freeze.ends_at, named=True)})",
                )
            )
    return found


# ---- stages and their gates ----------------------------------------------------------------------

S = ChangeStage
STAGE_MOVES: dict[ChangeStage, tuple[ChangeStage, ...]] = {
    S.DRAFT: (S.ASSESSMENT, S.CANCELLED),
    S.ASSESSMENT: (S.AWAITING_APPROVAL, S.APPROVED, S.DRAFT, S.CANCELLED),
    S.AWAITING_APPROVAL: (S.APPROVED, S.REJECTED, S.SCHEDULED, S.CANCELLED),
    S.APPROVED: (S.IMPLEMENTING_TEST, S.CANCELLED),
    S.IMPLEMENTING_TEST: (S.TEST_PASSED, S.FAILED, S.CANCELLED),
    S.TEST_PASSED: (S.SCHEDULED, S.CANCELLED),
    S.SCHEDULED: (S.IMPLEMENTED, S.FAILED),
    S.IMPLEMENTED: (S.CLOSED,),
    S.FAILED: (S.CLOSED,),
    S.REJECTED: (),
    S.CANCELLED: (),
    S.CLOSED: (),
}


@dataclass(frozen=True)
class ChangeFacts:
    """What the gates look at, read from a change request (and its approvals) as it is now."""

    change_type: ChangeType
    stage: ChangeStage
    description: str = ""
    reason: str = ""
    implementation_plan: str = ""
    test_plan: str = ""
    backout_plan: str = ""
    test_evidence: str = ""
    review_notes: str = ""
    risk: RiskLevel | None = None
    modules: int = 0
    units: int = 0
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    approved: bool = False  # every approval rule's quorum is met
    rejected: bool = False  # someone who had to decide said no
    was_approved: bool = False  # it passed Approved on its way (an emergency may not have)


class GateClosed(Refused):
    """A stage move whose gate is not met; the message lists every reason."""


# The texts a change must have before it may go to a stage (``_gate``; the shared database's guard checks the
# same columns: ``console.sync.guards``). "approval" is the gate of Awaiting approval, and of Approved straight
# from assessment (a standard change).
TEXT_GATES: dict[str, tuple[tuple[str, str], ...]] = {
    "assessment": (("description", "a description"), ("reason", "the reason for the change")),
    "approval": (
        ("implementation_plan", "an implementation plan"),
        ("test_plan", "a test plan"),
        ("backout_plan", "a backout plan"),
    ),
    "test_passed": (("test_evidence", "evidence of the test (what was tested, by whom, the result)"),),
    "closed": (("review_notes", "a post-implementation review"),),
}


def _gate(facts: ChangeFacts, to: ChangeStage) -> list[str]:
    missing: list[str] = []

    def need(gate: str) -> None:
        missing.extend(what for column, what in TEXT_GATES[gate] if not str(getattr(facts, column)).strip())

    if to is S.ASSESSMENT:
        need("assessment")
        if not facts.modules or not facts.units:
            missing.append("the ERP modules and business units it affects")
    elif to is S.AWAITING_APPROVAL or (to is S.APPROVED and facts.stage is S.ASSESSMENT):
        if facts.risk is None:
            missing.append("a risk assessment")
        need("approval")
        if facts.planned_start is None or facts.planned_end is None or facts.planned_end <= facts.planned_start:
            missing.append("a planned window (start before end)")
        if to is S.APPROVED and facts.change_type is not ChangeType.STANDARD:
            missing.append("approval: only a standard change is pre-approved")
    elif to is S.APPROVED and not facts.approved:
        missing.append("the approvals its rules require (quorum not met yet)")
    elif to is S.REJECTED and not facts.rejected:
        missing.append("a rejection by one of its approvers")
    elif to is S.TEST_PASSED:
        need("test_passed")
    elif to is S.SCHEDULED:
        if facts.stage is S.AWAITING_APPROVAL and facts.change_type is not ChangeType.EMERGENCY:
            missing.append("approval and a passed test: only an emergency change may go ahead of its approval")
        if facts.planned_start is None or facts.planned_end is None:
            missing.append("a planned production window")
    elif to is S.CLOSED:
        need("closed")
    return missing


def check_stage_move(facts: ChangeFacts, to: ChangeStage) -> None:
    """Refuse a move that the stage order or its gate does not allow, with every reason at once."""
    allowed = STAGE_MOVES[facts.stage]
    if to not in allowed:
        options = ", ".join(_stage(s) for s in allowed) or "nothing (it is final)"
        raise GateClosed(
            f"A change cannot go from {_stage(facts.stage)} to {_stage(to)}; from there it can go to {options}."
        )
    missing = _gate(facts, to)
    if missing:
        raise GateClosed(f"To go to {_stage(to)} the change needs " + "; ".join(missing) + ".")


def _stage(stage: ChangeStage) -> str:
    return STAGE_LABELS[stage].lower()


# ---- approvals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRule:
    """One approver group a change must satisfy: who decides, and how many must say yes."""

    name: str
    approvers: frozenset[uuid.UUID]
    quorum: QuorumKind = QuorumKind.ALL
    value: int | None = None  # COUNT: how many; PERCENT: what share


@dataclass(frozen=True)
class Vote:
    approver_id: uuid.UUID  # in whose name (the approver, also when a delegate decided)
    decision: ApprovalDecision


@dataclass(frozen=True)
class Delegation:
    approver_id: uuid.UUID
    delegate_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


def quorum_met(rule: ApprovalRule, votes: Iterable[Vote]) -> bool:
    approving = {v.approver_id for v in votes if v.decision is ApprovalDecision.APPROVED}
    yes = len(approving & rule.approvers)
    if rule.quorum is QuorumKind.ALL:
        return yes == len(rule.approvers) > 0
    if rule.quorum is QuorumKind.COUNT:
        return yes >= max(1, rule.value or 1)
    return len(rule.approvers) > 0 and 100 * yes >= (rule.value or 100) * len(rule.approvers)


def approval_outcome(rules: Sequence[ApprovalRule], votes: Sequence[Vote]) -> tuple[bool, bool]:
    """(approved, rejected): approved when every rule's quorum is met; rejected by any required approver's no."""
    required = set().union(*(r.approvers for r in rules)) if rules else set()
    rejected = any(v.decision is ApprovalDecision.REJECTED and v.approver_id in required for v in votes)
    return (not rejected and all(quorum_met(r, votes) for r in rules)), rejected


def deciding_for(person: uuid.UUID, approver: uuid.UUID, delegations: Iterable[Delegation], now: datetime) -> bool:
    """True when ``person`` may decide in ``approver``'s name now: themself, or their delegate while away."""
    return person == approver or any(
        d.approver_id == approver and d.delegate_id == person and d.starts_at <= now < d.ends_at for d in delegations
    )


def check_decision(
    *,
    person: uuid.UUID,
    approver: uuid.UUID,
    requester: uuid.UUID,
    already: ApprovalDecision,
    comment: str,
    delegations: Iterable[Delegation],
    now: datetime,
) -> None:
    """Refuse a decision the approval rules do not allow, saying why."""
    if person == requester:
        raise GateClosed("The requester of a change cannot decide on it, not even in someone else's name.")
    if not deciding_for(person, approver, delegations, now):
        raise GateClosed("Only the approver, or their delegate while they are away, can decide here.")
    if already is not ApprovalDecision.PENDING:
        raise GateClosed(f"This approval was already decided ({already.value}).")
    if not comment.strip():
        raise GateClosed("Every decision carries a comment: say why.")
