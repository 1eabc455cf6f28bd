"""What the change approval view and the ``change`` verbs read: lists, one change in full, the
calendar of planned windows with its freezes, and the CAB agenda. All from the local cache."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, select

from console.access import Actor, Refused
from console.changes.facts import CHANGES, approvals_by_change, delegations, facts, scopes, sees
from console.changes.freezes import Planner
from console.changes.rules import (
    DEFAULT_RULES,
    STAGE_MOVES,
    Conflict,
    Freeze,
    GateClosed,
    PlannedChange,
    RiskAnswersError,
    assess,
    check_stage_move,
    deciding_for,
)
from console.changes.stages import CHECKED, FINAL
from console.journal.audit import REPLAY_ORDER
from console.words import STAGE_LABELS
from console.zone import moment_text, window_text
from models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApproverKind,
    AuditEvent,
    BusinessUnit,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    EntityType,
    ErpModule,
    Problem,
    Ticket,
    User,
    change_problems,
    table_of,
)

Which = Literal["awaiting", "open", "all"]
S = ChangeStage


@dataclass(frozen=True)
class ChangeRow:
    id: uuid.UUID
    number: str
    title: str
    change_type: ChangeType
    stage: ChangeStage
    risk: str
    planned_start: datetime | None
    planned_end: datetime | None
    requester: str
    modules: str  # codes, comma-separated
    units: str
    approvals: str  # "2 of 3 approved"
    conflicts: tuple[Conflict, ...]
    awaiting_me: bool  # the viewer (or the one they stand in for) has a pending decision here

    @property
    def window(self) -> str:
        """The planned window in a sentence, its zone named: "25 Mar 2027 18:00–22:00 Europe/London"."""
        if self.planned_start is None or self.planned_end is None:
            return ""
        return window_text(self.planned_start, self.planned_end, named=True)

    @property
    def window_cell(self) -> str:
        """The planned window in a column whose heading names the zone (``console.zone.zoned``)."""
        if self.planned_start is None or self.planned_end is None:
            return ""
        return window_text(self.planned_start, self.planned_end)


def _rows(
    conn: Connection, actor: Actor, changes: Sequence[Row[Any]], now: datetime, planner: Planner | None = None
) -> list[ChangeRow]:
    planner = planner or Planner(conn)
    names = dict(conn.execute(select(User.id, User.display_name)).all())
    away = delegations(conn)
    scoped = scopes(conn, [c.id for c in changes])
    visible = [c for c in changes if sees(actor, scoped[c.id][1])]
    decisions = approvals_by_change(conn, [c.id for c in visible])
    out = []
    for change in visible:
        modules, units = scoped[change.id]
        _, votes, approvals = decisions[change.id]
        stage = ChangeStage(change.stage)
        found: list[Conflict] = []
        if stage in CHECKED and change.planned_start and change.planned_end:
            found = planner.conflicts_of(
                PlannedChange(change.id, change.number, change.planned_start, change.planned_end, modules, units)
            )
        yes = len({v.approver_id for v in votes if v.decision is ApprovalDecision.APPROVED})
        asked = len({v.approver_id for v in votes})
        awaiting = (
            stage is S.AWAITING_APPROVAL
            and actor.id != change.requester_id
            and any(
                a["decision"] == ApprovalDecision.PENDING and deciding_for(actor.id, a["approver_id"], away, now)
                for a in approvals
            )
        )
        out.append(
            ChangeRow(
                change.id,
                change.number,
                change.title,
                ChangeType(change.change_type),
                stage,
                change.risk or "",
                change.planned_start,
                change.planned_end,
                names.get(change.requester_id, "?"),
                ", ".join(sorted(planner.codes.get(m, "?") for m in modules)),
                ", ".join(sorted(planner.codes.get(u, "?") for u in units)),
                f"{yes} of {asked} approved" if asked else "",
                tuple(found),
                awaiting,
            )
        )
    return out


def list_changes(
    conn: Connection, actor: Actor, now: datetime, which: Which = "open", search: str = ""
) -> list[ChangeRow]:
    """Changes the viewer may see: awaiting their decision, still open, or all; newest window first."""
    query = select(CHANGES).order_by(ChangeRequest.planned_start.desc().nulls_last(), ChangeRequest.number)
    if which == "awaiting":
        mine = {actor.id} | {
            d.approver_id for d in delegations(conn) if d.delegate_id == actor.id and d.starts_at <= now < d.ends_at
        }
        pending = select(ChangeApproval.change_id).where(
            ChangeApproval.decision == ApprovalDecision.PENDING, ChangeApproval.approver_id.in_(mine)
        )
        query = query.where(ChangeRequest.id.in_(pending), ChangeRequest.stage == S.AWAITING_APPROVAL)
    elif which == "open":
        query = query.where(ChangeRequest.stage.not_in([s.value for s in FINAL]))
    text = search.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            ChangeRequest.number.ilike(like, escape="\\") | ChangeRequest.title.ilike(like, escape="\\")
        )
    rows = _rows(conn, actor, conn.execute(query).all(), now)
    return [r for r in rows if r.awaiting_me] if which == "awaiting" else rows


# ---- one change in full ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalLine:
    policy: str
    approver: str
    decided_by: str  # the approver, or "delegate for approver"
    decision: ApprovalDecision
    comment: str
    decided_at: datetime | None
    mine: bool  # the viewer may decide this one now


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    what: str
    why: str


@dataclass(frozen=True)
class ChangeDetail:
    row: ChangeRow
    change: Row[Any]
    answers: dict[str, str]
    risk_reasons: list[str]
    questionnaire: list[tuple[str, str]]  # question, answer label
    approvals: list[ApprovalLine]
    incidents: list[tuple[str, str, str]]  # number, status, title
    problems: list[tuple[str, str]]
    history: list[HistoryLine]
    moves: tuple[ChangeStage, ...]
    gate_problems: dict[ChangeStage, str]  # why a move is closed now, for each move shown


def load_change(conn: Connection, actor: Actor, change_id: uuid.UUID, now: datetime) -> ChangeDetail:
    change = conn.execute(select(CHANGES).where(ChangeRequest.id == change_id)).first()
    if change is None:
        raise Refused("This change request does not exist here.")
    rows = _rows(conn, actor, [change], now)
    if not rows:
        raise Refused(f"{actor.login} is a super-user of other business units and cannot see {change.number}.")
    answers: dict[str, str] = json.loads(change.risk_answers) if change.risk_answers else {}
    questionnaire = []
    for question in DEFAULT_RULES.questions:
        option = question.options.get(str(answers.get(question.key, "")))
        questionnaire.append((question.text, option.label if option else "not answered"))
    try:
        reasons = assess({k: str(v) for k, v in answers.items()}).reasons if answers else ["Not assessed yet."]
    except RiskAnswersError as incomplete:
        reasons = [f"The questionnaire is incomplete: {incomplete}"]
    names: dict[uuid.UUID | None, str] = dict(conn.execute(select(User.id, User.display_name)).all())
    policies: dict[uuid.UUID | None, str] = dict(conn.execute(select(ApprovalPolicy.id, ApprovalPolicy.name)).all())
    away = delegations(conn)
    approvals = [
        ApprovalLine(
            policies.get(a.policy_id, "Approvers asked"),
            names.get(a.approver_id, "?"),
            ""
            if a.decided_by_id is None
            else names.get(a.decided_by_id, "?")
            if a.decided_by_id == a.approver_id
            else f"{names.get(a.decided_by_id, '?')} for {names.get(a.approver_id, '?')}",
            ApprovalDecision(a.decision),
            a.comment or "",
            a.decided_at,
            a.decision == ApprovalDecision.PENDING
            and actor.id != change.requester_id
            and deciding_for(actor.id, a.approver_id, away, now),
        )
        for a in conn.execute(
            select(table_of(ChangeApproval))
            .where(ChangeApproval.change_id == change_id)
            .order_by(ChangeApproval.requested_at)
        )
    ]
    incidents = [
        (t.number, str(t.status), t.title)
        for t in conn.execute(
            select(Ticket.number, Ticket.status, Ticket.title)
            .where(Ticket.change_id == change_id)
            .order_by(Ticket.number)
        )
    ]
    problems = [
        (p.number, p.title)
        for p in conn.execute(
            select(Problem.number, Problem.title)
            .join(change_problems, change_problems.c.problem_id == Problem.id)
            .where(change_problems.c.change_id == change_id)
        )
    ]
    history = [
        HistoryLine(e.occurred_at, names.get(e.actor_id, "system"), _describe(e), e.reason or "")
        for e in conn.execute(
            select(table_of(AuditEvent))
            .where(AuditEvent.entity_type == EntityType.CHANGE, AuditEvent.entity_id == change_id)
            .order_by(*REPLAY_ORDER)
        )
    ]
    current = facts(conn, dict(change._mapping))
    gates = {}
    for move in STAGE_MOVES[ChangeStage(change.stage)]:
        try:
            check_stage_move(current, move)
        except GateClosed as closed:
            gates[move] = str(closed)
    return ChangeDetail(
        rows[0],
        change,
        answers,
        reasons,
        questionnaire,
        approvals,
        incidents,
        problems,
        history,
        STAGE_MOVES[ChangeStage(change.stage)],
        gates,
    )


def _describe(event: Row[Any]) -> str:
    action = str(event.action)
    if action == "created":
        return "requested the change"
    if action == "approval_decided":
        return f"{event.new_value} (for {event.field})"
    if event.field == "stage":
        return (
            f"stage {STAGE_LABELS[ChangeStage(event.old_value)]} → {STAGE_LABELS[ChangeStage(event.new_value)]}"
            if event.old_value and event.new_value
            else ""
        )
    new = _moment_said(event.field or "", event.new_value or "") or (event.new_value or "")[:80]
    return f"{(event.field or '').replace('_', ' ')} → {new}" if new else f"{event.field} cleared"


MOMENT_FIELDS = ("planned_start", "planned_end", "implemented_at", "reviewed_at")


def _moment_said(field: str, text: str) -> str:
    """A moment of the change's history (its window re-planned) as a person reads it, in their zone; "" if none."""
    if field not in MOMENT_FIELDS or not text:
        return ""
    try:
        return moment_text(datetime.fromisoformat(text), named=True)
    except ValueError:
        return ""


# ---- calendar and CAB agenda -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    start: datetime
    end: datetime
    changes: list[ChangeRow]
    freezes: list[Freeze]  # the same interval for several units is one entry naming them all


def calendar(conn: Connection, actor: Actor, start: datetime, end: datetime, now: datetime) -> Calendar:
    planner = Planner(conn)
    query = (
        select(CHANGES)
        .where(ChangeRequest.planned_start < end, ChangeRequest.planned_end > start)
        .where(ChangeRequest.stage.not_in([S.REJECTED.value, S.CANCELLED.value]))
        .order_by(ChangeRequest.planned_start)
    )
    rows = _rows(conn, actor, conn.execute(query).all(), now, planner)
    units = None if not actor.scoped else actor.units
    merged: dict[tuple[datetime, datetime, str], Freeze] = {}
    for freeze in planner.freezes(start, end, units):
        label = freeze.name.split(" (")[0]
        key = (
            freeze.starts_at.astimezone().replace(tzinfo=None),
            freeze.ends_at.astimezone().replace(tzinfo=None),
            label,
        )
        seen = merged.get(key)
        merged[key] = (
            freeze
            if seen is None
            else Freeze(label, seen.starts_at, seen.ends_at, seen.modules, seen.units | freeze.units)
        )
    freezes = []
    for freeze in merged.values():
        codes = sorted(planner.codes.get(u, "?") for u in freeze.units)
        freezes.append(Freeze(f"{freeze.name.split(' (')[0]} ({', '.join(codes)})" if codes else freeze.name,
                              freeze.starts_at, freeze.ends_at, freeze.modules, freeze.units))  # fmt: skip
    freezes.sort(key=lambda f: (f.starts_at, f.name))
    return Calendar(start, end, rows, freezes)


def cab_agenda(conn: Connection, actor: Actor, now: datetime, days: int) -> list[ChangeRow]:
    """Changes waiting for the change advisory board whose window starts within ``days`` (or is overdue)."""
    if not 1 <= days <= 366:
        raise Refused("The agenda covers 1 to 366 days.")
    board = select(ApprovalPolicy.id).where(ApprovalPolicy.approver_kind.in_([ApproverKind.CAB, ApproverKind.GROUP]))
    pending = select(ChangeApproval.change_id).where(
        ChangeApproval.decision == ApprovalDecision.PENDING, ChangeApproval.policy_id.in_(board)
    )
    query = (
        select(CHANGES)
        .where(ChangeRequest.id.in_(pending), ChangeRequest.stage == S.AWAITING_APPROVAL)
        .where(ChangeRequest.planned_start < now + timedelta(days=days))
        .order_by(ChangeRequest.planned_start, ChangeRequest.number)
    )
    return _rows(conn, actor, conn.execute(query).all(), now)


@dataclass(frozen=True)
class ChangeChoices:
    """What a new change may name: modules and (for a super-user, their own) business units."""

    modules: list[tuple[uuid.UUID, str]]  # id, "CODE Name"
    units: list[tuple[uuid.UUID, str]]
    templates: list[tuple[uuid.UUID, str]]  # of standard changes
    people: list[tuple[uuid.UUID, str]]  # who can stand in for an approver


def change_choices(conn: Connection, actor: Actor) -> ChangeChoices:
    units = select(BusinessUnit.id, BusinessUnit.code, BusinessUnit.name).order_by(BusinessUnit.code)
    if actor.scoped:
        units = units.where(BusinessUnit.id.in_(sorted(actor.units, key=str)))
    modules = select(ErpModule.id, ErpModule.code, ErpModule.name).order_by(ErpModule.code)
    people = select(User.id, User.display_name).where(User.active, User.id != actor.id).order_by(User.display_name)
    return ChangeChoices(
        [(m.id, f"{m.code} {m.name}") for m in conn.execute(modules)],
        [(u.id, f"{u.code} {u.name}") for u in conn.execute(units)],
        change_templates(conn),
        [(p.id, p.display_name) for p in conn.execute(people)],
    )


def change_templates(conn: Connection) -> list[tuple[uuid.UUID, str]]:
    return [
        (t.id, t.name)
        for t in conn.execute(select(ChangeTemplate.id, ChangeTemplate.name).order_by(ChangeTemplate.name))
    ]
