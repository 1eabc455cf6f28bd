"""Change services: a governed ERP change from request to production, one intent at a time.

As with tickets, every edit is an *intent* (what the person wants, with what they saw and a
mutation id) that ``apply_change`` validates and writes together with its audit events, in
the caller's transaction, or refuses with the reason and writes nothing. The rules themselves
(risk, gates, quorum, delegation, conflicts, freezes) live in ``console.changes.rules``; this
module reads the facts they need from the database and writes what they allow.

- Submitting a change for approval (Assessment → Awaiting approval) asks every approver its
  approval policies name: the owner group of each affected module, the super-users of each
  affected unit, the change advisory board or a named group, never the requester.
- A decision is taken by the approver, or by their delegate while they are away, always with
  a comment. When every policy's quorum is met the change is Approved; a required approver's
  rejection makes it Rejected at once. Both happen in the decision's own transaction.
- Conflicts (overlapping windows on a module or unit, freeze windows, period-end close on each
  affected unit's working calendar) are worked out when a window is planned and again when the
  change is approved, from the local cache, so they show offline.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update

from console.access import Actor, Refused
from console.changes.rules import (
    DEFAULT_RULES,
    ApprovalRule,
    ChangeFacts,
    Conflict,
    Delegation,
    Freeze,
    FreezePolicy,
    GateClosed,
    PlannedChange,
    RiskResult,
    Vote,
    approval_outcome,
    assess,
    check_decision,
    check_stage_move,
    conflicts,
    deciding_for,
    period_end_freezes,
)
from console.journal import conflicts as sync_conflicts
from console.journal import outbox
from console.journal.audit import CONFLICT_RESOLVED, audit, ids_of, next_id
from console.journal.intents import AssessRisk as AssessRisk
from console.journal.intents import Away as Away
from console.journal.intents import Back as Back
from console.journal.intents import ChangeIntent as ChangeIntent
from console.journal.intents import Decide as Decide
from console.journal.intents import EditChange as EditChange
from console.journal.intents import MoveStage as MoveStage
from console.journal.intents import NewChange as NewChange
from console.journal.intents import ResolveChangeConflict as ResolveChangeConflict
from console.journal.intents import SetFreezes as SetFreezes
from console.journal.intents import SettingIntent as SettingIntent
from console.journal.values import as_text, encode, snapshot
from console.sla.calendar import WorkingCalendar
from console.sla.store import SlaContext
from console.store.numbering import take_or_reserve
from console.text import clean_text
from models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApproverDelegation,
    ApproverKind,
    AuditAction,
    AuditEvent,
    BusinessUnit,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    DeploymentInfo,
    EntityType,
    ErpModule,
    FreezeWindow,
    Membership,
    Problem,
    QuorumKind,
    RiskLevel,
    Role,
    User,
    change_business_units,
    change_modules,
    change_problems,
    group_members,
    table_of,
)
from models.tickets import TITLE_MAX

CHANGES = table_of(ChangeRequest)
APPROVALS = table_of(ChangeApproval)
TEXT_MAX = 20_000
S = ChangeStage
FINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
# Stages whose planned window takes a slot in the calendar (and can conflict).
IN_CALENDAR = frozenset(set(S) - FINAL - {S.DRAFT, S.FAILED})
LABELS = {stage: stage.value.replace("_", " ").capitalize() for stage in S}
LABELS[S.IMPLEMENTING_TEST] = "Implementing in test"
LABELS[S.SCHEDULED] = "Scheduled for production"
# Who may request and steer changes (create, edit, move); decisions go by the approval rows only.
REQUESTERS = frozenset({Role.FUNCTIONAL_CONSULTANT, Role.TECHNICAL, Role.SUPER_USER, Role.SUPPORT_MANAGER, Role.ADMIN})
COORDINATORS = frozenset({Role.SUPPORT_MANAGER, Role.CHANGE_APPROVER, Role.ADMIN})
# Text fields, and the stages in which each may still be edited.
PLANNING = frozenset({S.DRAFT, S.ASSESSMENT})
EDITABLE: dict[str, frozenset[ChangeStage]] = {
    "title": PLANNING,
    "description": PLANNING,
    "reason": PLANNING,
    "implementation_plan": PLANNING,
    "test_plan": PLANNING | {S.APPROVED},
    "backout_plan": PLANNING | {S.APPROVED, S.IMPLEMENTING_TEST, S.TEST_PASSED},
    "test_evidence": frozenset({S.IMPLEMENTING_TEST}),
    "review_notes": frozenset({S.IMPLEMENTED, S.FAILED}),
    # Re-planning the production window is allowed until it is scheduled; conflicts are shown again.
    "window": PLANNING | {S.APPROVED, S.IMPLEMENTING_TEST, S.TEST_PASSED},
    "modules": PLANNING,
    "units": PLANNING,
}


@dataclass(frozen=True)
class ChangeApplied:
    change_id: uuid.UUID
    number: str
    stage: ChangeStage
    events: int
    conflicts: tuple[Conflict, ...] = ()
    risk: RiskResult | None = None


# ---- reading ---------------------------------------------------------------------------------------------


def _change(conn: Connection, change_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute(select(CHANGES).where(ChangeRequest.id == change_id)).first()
    if row is None:
        raise Refused("This change request does not exist here.")
    return dict(row._mapping)


def change_id_by_number(conn: Connection, number: str) -> uuid.UUID:
    found = conn.execute(select(ChangeRequest.id).where(ChangeRequest.number == number.strip().upper())).scalar()
    if found is None:
        raise Refused(f"No change request {number.strip().upper()!r} in this workspace.")
    return uuid.UUID(str(found))


Scope = tuple[frozenset[uuid.UUID], frozenset[uuid.UUID]]  # the modules and business units a change affects
CHUNK = 500  # ids per IN (...) list


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    return (ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK))


def scopes(conn: Connection, change_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Scope]:
    """Each change's modules and units, read a few hundred changes at a time."""
    ids = list(dict.fromkeys(change_ids))
    modules: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
    units: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
    for part in _chunks(ids):
        links = change_modules.c
        for change_id, module_id in conn.execute(
            select(links.change_id, links.module_id).where(links.change_id.in_(part))
        ):
            modules[change_id].add(module_id)
        where = change_business_units.c
        for change_id, unit_id in conn.execute(
            select(where.change_id, where.business_unit_id).where(where.change_id.in_(part))
        ):
            units[change_id].add(unit_id)
    return {i: (frozenset(modules[i]), frozenset(units[i])) for i in ids}


def scope(conn: Connection, change_id: uuid.UUID) -> Scope:
    return scopes(conn, [change_id])[change_id]


def sees(actor: Actor, units: Iterable[uuid.UUID]) -> bool:
    """A super-user sees the changes that touch one of their units; everyone else sees all."""
    return not actor.scoped or bool(actor.units & set(units))


Approvals = tuple[list[ApprovalRule], list[Vote], list[dict[str, Any]]]


def approvals_by_change(conn: Connection, change_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Approvals]:
    """Each change's approval rules (one per policy, with its approvers as asked), votes and approval rows."""
    ids = list(dict.fromkeys(change_ids))
    rows: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    for part in _chunks(ids):
        query = select(APPROVALS).where(ChangeApproval.change_id.in_(part)).order_by(ChangeApproval.requested_at)
        for r in conn.execute(query):
            rows[r.change_id].append(dict(r._mapping))
    policies = {
        p.id: p
        for p in conn.execute(
            select(ApprovalPolicy.id, ApprovalPolicy.name, ApprovalPolicy.quorum_kind, ApprovalPolicy.quorum_value)
        )
    }
    out: dict[uuid.UUID, Approvals] = {}
    for change_id, asked in rows.items():
        approvers: dict[uuid.UUID | None, set[uuid.UUID]] = {}
        for row in asked:
            approvers.setdefault(row["policy_id"], set()).add(row["approver_id"])
        rules = []
        for policy_id, who in approvers.items():
            policy = policies.get(policy_id) if policy_id else None
            rules.append(
                ApprovalRule(
                    policy.name if policy else "Approvers asked",
                    frozenset(who),
                    QuorumKind(policy.quorum_kind) if policy else QuorumKind.ALL,
                    policy.quorum_value if policy else None,
                )
            )
        out[change_id] = (rules, [Vote(r["approver_id"], ApprovalDecision(r["decision"])) for r in asked], asked)
    return out


def approvals_of(conn: Connection, change_id: uuid.UUID) -> Approvals:
    return approvals_by_change(conn, [change_id])[change_id]


def facts(conn: Connection, change: Mapping[str, Any]) -> ChangeFacts:
    modules, units = scope(conn, change["id"])
    rules, votes, _ = approvals_of(conn, change["id"])
    approved, rejected = approval_outcome(rules, votes) if rules else (False, False)
    was_approved = (
        conn.execute(
            select(AuditEvent.id)
            .where(
                AuditEvent.entity_type == EntityType.CHANGE,
                AuditEvent.entity_id == change["id"],
                AuditEvent.field == "stage",
                AuditEvent.new_value == S.APPROVED.value,
            )
            .limit(1)
        ).first()
        is not None
    )
    return ChangeFacts(
        change_type=ChangeType(change["change_type"]),
        stage=ChangeStage(change["stage"]),
        description=change["description"] or "",
        reason=change["reason"] or "",
        implementation_plan=change["implementation_plan"] or "",
        test_plan=change["test_plan"] or "",
        backout_plan=change["backout_plan"] or "",
        test_evidence=change["test_evidence"] or "",
        review_notes=change["review_notes"] or "",
        risk=RiskLevel(change["risk"]) if change["risk"] else None,
        modules=len(modules),
        units=len(units),
        planned_start=change["planned_start"],
        planned_end=change["planned_end"],
        approved=approved,
        rejected=rejected,
        was_approved=was_approved,
    )


def delegations(conn: Connection) -> list[Delegation]:
    return [
        Delegation(r.approver_id, r.delegate_id, r.starts_at, r.ends_at)
        for r in conn.execute(
            select(
                ApproverDelegation.approver_id,
                ApproverDelegation.delegate_id,
                ApproverDelegation.starts_at,
                ApproverDelegation.ends_at,
            )
        )
    ]


# ---- freezes and conflicts -------------------------------------------------------------------------------

FREEZE_KEY = "change_freeze_days"


def freeze_policy(conn: Connection) -> FreezePolicy:
    """The period-end freeze lengths of this deployment (``deployment_info``), else the defaults."""
    text = conn.execute(select(DeploymentInfo.value).where(DeploymentInfo.key == FREEZE_KEY)).scalar()
    return parse_freeze_policy(text) if text else FreezePolicy()


def parse_freeze_policy(text: str) -> FreezePolicy:
    """``month=3,2 quarter=5,3 year=7,5``: working days frozen before and after each period end."""
    values: dict[str, tuple[int, int]] = {}
    for part in text.split():
        key, _, days = part.partition("=")
        try:
            last, first = (int(n) for n in days.split(","))
        except ValueError:
            raise Refused(f"{part!r}: write PERIOD=LAST,FIRST, e.g. month=3,2.") from None
        if key not in ("month", "quarter", "year") or not (0 <= last <= 15 and 0 <= first <= 15):
            raise Refused(f"{part!r}: the period is month, quarter or year, and each count 0 to 15 working days.")
        values[key] = (last, first)
    return replace(FreezePolicy(), **values)


def freeze_text(policy: FreezePolicy) -> str:
    """The policy as ``parse_freeze_policy`` reads it."""
    return " ".join(f"{name}={days[0]},{days[1]}" for name, days in
                    (("month", policy.month), ("quarter", policy.quarter), ("year", policy.year)))  # fmt: skip


def set_freeze_policy(conn: Connection, policy: FreezePolicy) -> None:
    conn.execute(delete(DeploymentInfo).where(DeploymentInfo.key == FREEZE_KEY))
    conn.execute(insert(table_of(DeploymentInfo)), [{"key": FREEZE_KEY, "value": freeze_text(policy)}])


class Planner:
    """What conflict checks need, read once: names, unit calendars, freeze windows, the freeze policy."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.names: dict[uuid.UUID, str] = {
            **{r.id: f"module {r.code}" for r in conn.execute(select(ErpModule.id, ErpModule.code))},
            **{r.id: f"unit {r.code}" for r in conn.execute(select(BusinessUnit.id, BusinessUnit.code))},
        }
        self.codes = {k: v.split(" ", 1)[1] for k, v in self.names.items()}
        context = SlaContext.load(conn)
        self.calendars: dict[uuid.UUID, WorkingCalendar] = {
            unit: context.calendars[calendar]
            for unit, (_, calendar) in context.units.items()
            if calendar in context.calendars
        }
        self.policy = freeze_policy(conn)

    def freezes(self, start: datetime, end: datetime, units: Iterable[uuid.UUID] | None = None) -> list[Freeze]:
        """Freeze windows stored as data, and every period-end close of these units (all when None)."""
        rows = self.conn.execute(
            select(table_of(FreezeWindow)).where(FreezeWindow.starts_at < end, FreezeWindow.ends_at > start)
        )
        found = [
            Freeze(
                w.name,
                w.starts_at,
                w.ends_at,
                frozenset({w.module_id}) if w.module_id else frozenset(),
                frozenset({w.business_unit_id}) if w.business_unit_id else frozenset(),
            )
            for w in rows
        ]
        first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
        for unit in sorted(self.calendars if units is None else units):
            calendar = self.calendars.get(unit)
            if calendar is not None:
                for freeze in period_end_freezes(calendar, first, last, self.policy, unit=unit):
                    if freeze.starts_at < end and freeze.ends_at > start:
                        found.append(replace(freeze, name=f"{freeze.name} ({self.codes.get(unit, '?')})"))
        return found

    def planned(self, start: datetime, end: datetime) -> list[PlannedChange]:
        """Changes whose window overlaps [start, end) and still takes its slot."""
        rows = self.conn.execute(
            select(
                ChangeRequest.id, ChangeRequest.number, ChangeRequest.planned_start, ChangeRequest.planned_end
            ).where(
                ChangeRequest.planned_start < end,
                ChangeRequest.planned_end > start,
                ChangeRequest.stage.in_([s.value for s in IN_CALENDAR]),
            )
        ).all()
        found = scopes(self.conn, [r.id for r in rows])
        return [PlannedChange(r.id, r.number, r.planned_start, r.planned_end, *found[r.id]) for r in rows]

    def conflicts_of(self, change: PlannedChange) -> list[Conflict]:
        return conflicts(
            change,
            self.planned(change.starts_at, change.ends_at),
            self.freezes(change.starts_at, change.ends_at, change.units),
            self.names,
        )


def change_conflicts(conn: Connection, change_id: uuid.UUID, planner: Planner | None = None) -> list[Conflict]:
    """Why the change's planned window is a problem, if it has one and it is."""
    row = _change(conn, change_id)
    if row["planned_start"] is None or row["planned_end"] is None:
        return []
    modules, units = scope(conn, change_id)
    planned = PlannedChange(change_id, row["number"], row["planned_start"], row["planned_end"], modules, units)
    return (planner or Planner(conn)).conflicts_of(planned)


# ---- applying --------------------------------------------------------------------------------------------


def _text(value: str, what: str, limit: int = TEXT_MAX) -> str:
    return clean_text(value, what, limit, required=False)


def _event(
    conn: Connection,
    actor: Actor,
    change: Mapping[str, Any],
    unit: uuid.UUID | None,
    now: datetime,
    action: AuditAction,
    **values: Any,
) -> None:
    audit(conn, at=now, actor_id=actor.id, entity_type=values.pop("entity", EntityType.CHANGE),
          entity_id=change["id"], unit_id=unit, action=action, **values)  # fmt: skip


def _may_steer(actor: Actor, change: Mapping[str, Any], units: Iterable[uuid.UUID]) -> None:
    if not sees(actor, units):
        raise Refused(f"{actor.login} is a super-user of other business units and cannot see {change['number']}.")
    if actor.id in (change["requester_id"], change["owner_id"]) or actor.role in COORDINATORS:
        return
    raise Refused(
        f"Only the requester or owner of {change['number']}, a change approver or a support manager can change it."
    )


def _check_ids(conn: Connection, ids: Iterable[uuid.UUID], model: Any, what: str) -> None:
    ids = set(ids)
    found = set(conn.execute(select(model.id).where(model.id.in_(ids))).scalars()) if ids else set()
    if found != ids:
        raise Refused(f"Unknown {what}: {len(ids - found)} of the ones given do not exist here.")


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    if (start is None) != (end is None):
        raise Refused("A planned window has both a start and an end.")
    if start is not None and end is not None:
        if start.tzinfo is None or end.tzinfo is None:
            raise Refused("A planned window needs times with their time zone.")
        if end <= start:
            raise Refused("The planned window ends before it starts.")
        if end - start > timedelta(days=14):
            raise Refused("A planned window longer than 14 days is not a change window; split the change.")
    return start, end


def apply_change(conn: Connection, actor: Actor, intent: ChangeIntent, now: datetime) -> ChangeApplied:
    """Validate and apply one change intent in the caller's transaction, or refuse and write nothing."""
    with ids_of(intent.mutation_id):
        return _apply(conn, actor, intent, now)


def _apply(conn: Connection, actor: Actor, intent: ChangeIntent, now: datetime) -> ChangeApplied:
    if isinstance(intent, NewChange):
        return _create(conn, actor, intent, now)
    change = _change(conn, intent.change_id)
    now = max(now, change["updated_at"] + timedelta(microseconds=1))
    modules, units = scope(conn, change["id"])
    unit = min(units) if units else None
    if isinstance(intent, Decide):
        return _decide(conn, actor, change, units, intent, now)
    _may_steer(actor, change, units)
    stage = ChangeStage(change["stage"])
    found: list[Conflict] = []
    risk: RiskResult | None = None
    if isinstance(intent, EditChange | ResolveChangeConflict):
        edit = (
            _resolution(conn, change, modules, units, intent) if isinstance(intent, ResolveChangeConflict) else intent
        )
        events = _edit(conn, actor, change, modules, units, edit, now) if edit else 0
        if isinstance(intent, ResolveChangeConflict):
            sync_conflicts.mark_resolved(conn, intent.conflict_id, actor, intent.resolution, now)
            _event(conn, actor, change, unit, now + events * timedelta(microseconds=1), AuditAction.FIELD_CHANGED,
                   field=CONFLICT_RESOLVED, old=edit.field if edit else None, new=intent.resolution)  # fmt: skip
            events += 1
        if edit and edit.field in ("window", "modules", "units"):
            found = change_conflicts(conn, change["id"])
    elif isinstance(intent, AssessRisk):
        if stage not in PLANNING:
            raise Refused(f"{change['number']} is {LABELS[stage].lower()}; its risk was assessed before approval.")
        risk = assess(intent.answers, DEFAULT_RULES)
        answers = json.dumps(dict(intent.answers), sort_keys=True)
        conn.execute(
            update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(risk=risk.level, risk_answers=answers)
        )
        _event(conn, actor, change, unit, now, AuditAction.FIELD_CHANGED, field="risk", old=change["risk"],
               new=risk.level, reason="; ".join(risk.reasons))  # fmt: skip
        events = 1
    elif isinstance(intent, MoveStage):
        if stage is not intent.base:
            raise Refused(f"{change['number']} changed meanwhile: it is {LABELS[stage].lower()} now, "
                          f"not {LABELS[intent.base].lower()} as you saw it. Look again, then retry.")  # fmt: skip
        events = _move(conn, actor, change, modules, units, intent.to, now, _text(intent.note or "", "note"))
        if intent.to in (S.AWAITING_APPROVAL, S.APPROVED, S.SCHEDULED):
            found = change_conflicts(conn, change["id"])
    else:  # pragma: no cover - every intent type is handled above
        raise TypeError(intent)
    last = now + (events - 1) * timedelta(microseconds=1)
    conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(updated_at=last))
    stage = ChangeStage(conn.execute(select(ChangeRequest.stage).where(ChangeRequest.id == change["id"])).scalar_one())
    return ChangeApplied(change["id"], change["number"], stage, events, tuple(found), risk)


def _create(conn: Connection, actor: Actor, intent: NewChange, now: datetime) -> ChangeApplied:
    if actor.role not in REQUESTERS:
        raise Refused(f"A {actor.role.value.replace('_', ' ')} cannot request changes.")
    title = _text(intent.title, "title", TITLE_MAX)
    if not title:
        raise Refused("A change needs a title.")
    if not intent.modules or not intent.units:
        raise Refused("Name the ERP modules and business units the change affects.")
    _check_ids(conn, intent.modules, ErpModule, "ERP modules")
    _check_ids(conn, intent.units, BusinessUnit, "business units")
    _check_ids(conn, intent.problems, Problem, "problems")
    if actor.scoped and not intent.units <= actor.units:
        raise Refused("A super-user requests changes for their own business units only.")
    start, end = _window(intent.planned_start, intent.planned_end)
    if end is not None and end <= now:
        raise Refused("The planned window is over already; plan one ahead.")
    plans = _from_template(conn, intent)
    values: dict[str, Any] = {
        "id": intent.change_id,
        "number": intent.number,
        "title": title,
        "change_type": intent.change_type,
        "stage": S.DRAFT,
        "risk": None,
        "risk_answers": None,
        "template_id": intent.template_id,
        "requester_id": actor.id,
        "owner_id": actor.id,
        "description": _text(intent.description or plans.get("description", ""), "description"),
        "reason": _text(intent.reason, "reason"),
        "implementation_plan": _text(intent.implementation_plan or plans.get("implementation_plan", ""), "plan"),
        "test_plan": _text(intent.test_plan, "test plan"),
        "test_evidence": None,
        "backout_plan": _text(intent.backout_plan or plans.get("backout_plan", ""), "backout plan"),
        "planned_start": start,
        "planned_end": end,
        "implemented_at": None,
        "review_notes": None,
        "reviewed_at": None,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(insert(CHANGES), [values])
    _put_scope(conn, intent.change_id, intent.modules, intent.units)
    if intent.problems:
        conn.execute(
            insert(change_problems), [{"change_id": intent.change_id, "problem_id": p} for p in intent.problems]
        )
    first = {k: v for k, v in values.items() if k != "updated_at"}
    first["modules"] = ",".join(sorted(str(m) for m in intent.modules))
    first["units"] = ",".join(sorted(str(u) for u in intent.units))
    _event(conn, actor, values, min(intent.units), now, AuditAction.CREATED, new=snapshot(first))
    found = change_conflicts(conn, intent.change_id) if start else []
    return ChangeApplied(intent.change_id, intent.number, S.DRAFT, 1, tuple(found))


def _from_template(conn: Connection, intent: NewChange) -> dict[str, str]:
    """A standard change comes from a template of pre-approved changes, whose plans it starts with."""
    if intent.change_type is not ChangeType.STANDARD:
        if intent.template_id is not None:
            raise Refused("Only a standard change comes from a template.")
        return {}
    if intent.template_id is None:
        raise Refused("A standard change is pre-approved only as one of the templates; choose a template.")
    template = conn.execute(select(table_of(ChangeTemplate)).where(ChangeTemplate.id == intent.template_id)).first()
    if template is None:
        raise Refused("No such change template here.")
    if template.module_id is not None and template.module_id not in intent.modules:
        raise Refused(f"The template {template.name!r} is for another ERP module.")
    return {k: getattr(template, k) for k in ("description", "implementation_plan", "backout_plan")}


def _put_scope(
    conn: Connection, change_id: uuid.UUID, modules: Iterable[uuid.UUID] | None, units: Iterable[uuid.UUID] | None
) -> None:
    if modules is not None:
        conn.execute(delete(change_modules).where(change_modules.c.change_id == change_id))
        conn.execute(insert(change_modules), [{"change_id": change_id, "module_id": m} for m in modules])
    if units is not None:
        conn.execute(delete(change_business_units).where(change_business_units.c.change_id == change_id))
        conn.execute(insert(change_business_units), [{"change_id": change_id, "business_unit_id": u} for u in units])


def _resolution(
    conn: Connection,
    change: Mapping[str, Any],
    modules: frozenset[uuid.UUID],
    units: frozenset[uuid.UUID],
    intent: ResolveChangeConflict,
) -> EditChange | None:
    """The edit a resolution makes (none for "theirs", or when the change already holds the value wanted)."""
    row = sync_conflicts.conflict_to_resolve(conn, intent.conflict_id, change["id"], intent.resolution)
    if intent.resolution == "theirs":
        return None
    if intent.resolution == "edited" and row.field in sync_conflicts.CHOSEN_NOT_TYPED:
        raise Refused(f"The {row.field} of a change is chosen, not typed: keep yours or take theirs.")
    current: Any
    if row.field == "window":
        current = (change["planned_start"], change["planned_end"])
        wanted: Any = tuple(datetime.fromisoformat(t) for t in (row.mine_value or "").split(" – ")) or None
    elif row.field in ("modules", "units"):
        current = modules if row.field == "modules" else units
        wanted = frozenset(uuid.UUID(t) for t in (row.mine_value or "").split(",") if t)
    else:
        current = change[row.field]
        wanted = row.mine_value if intent.resolution == "mine" else intent.value
    if as_text(current) == as_text(wanted):
        return None
    return EditChange(change["id"], row.field, wanted, current, mutation_id=intent.mutation_id)


def _ids(value: Iterable[uuid.UUID]) -> str:
    return as_text(frozenset(value)) or ""


def _edit(
    conn: Connection,
    actor: Actor,
    change: Mapping[str, Any],
    modules: frozenset[uuid.UUID],
    units: frozenset[uuid.UUID],
    intent: EditChange,
    now: datetime,
) -> int:
    stages = EDITABLE.get(intent.field)
    if stages is None:
        raise Refused(f"{intent.field!r} is not a field of a change one can edit.")
    stage = ChangeStage(change["stage"])
    what = intent.field.replace("_", " ")
    if stage not in stages:
        raise Refused(f"The {what} of {change['number']} cannot be changed while it is {LABELS[stage].lower()}.")
    unit = min(units) if units else None
    if intent.field in ("modules", "units"):
        current = modules if intent.field == "modules" else units
        if _ids(current) != _ids(intent.base):
            raise Refused(f"{change['number']} changed meanwhile: its {what} are not the ones you saw. Look again.")
        new = frozenset(intent.value)
        if not new:
            raise Refused(f"A change affects at least one of its {what}.")
        _check_ids(conn, new, ErpModule if intent.field == "modules" else BusinessUnit, what)
        if intent.field == "units" and actor.scoped and not new <= actor.units:
            raise Refused("A super-user names their own business units only.")
        _put_scope(
            conn, change["id"], new if intent.field == "modules" else None, new if intent.field == "units" else None
        )
        _event(
            conn,
            actor,
            change,
            unit,
            now,
            AuditAction.FIELD_CHANGED,
            field=intent.field,
            old=_ids(current),
            new=_ids(new),
        )
        return 1
    if intent.field == "window":
        seen = (change["planned_start"], change["planned_end"])
        if tuple(encode(v) for v in seen) != tuple(encode(v) for v in intent.base):
            raise Refused(f"{change['number']} was re-planned meanwhile. Look again, then retry.")
        start, end = _window(*intent.value)
        conn.execute(
            update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(planned_start=start, planned_end=end)
        )
        for name, before, after in (("planned_start", seen[0], start), ("planned_end", seen[1], end)):
            _event(conn, actor, change, unit, now, AuditAction.FIELD_CHANGED, field=name, old=before, new=after)
        return 2
    if encode(change[intent.field]) != encode(intent.base):
        raise Refused(f"{change['number']} changed meanwhile: its {what} is not what you saw. Look again, then retry.")
    text = _text(str(intent.value), what, TITLE_MAX if intent.field == "title" else TEXT_MAX)
    if intent.field == "title" and not text:
        raise Refused("A change needs a title.")
    values: dict[str, Any] = {intent.field: text}
    if intent.field == "review_notes":
        values["reviewed_at"] = now
    conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(values))
    _event(
        conn,
        actor,
        change,
        unit,
        now,
        AuditAction.FIELD_CHANGED,
        field=intent.field,
        old=change[intent.field],
        new=text,
    )
    return 1


def _move(
    conn: Connection,
    actor: Actor,
    change: Mapping[str, Any],
    modules: frozenset[uuid.UUID],
    units: frozenset[uuid.UUID],
    to: ChangeStage,
    now: datetime,
    note: str,
) -> int:
    current = facts(conn, change)
    try:
        check_stage_move(current, to)
    except GateClosed as closed:
        raise Refused(f"{change['number']}: {closed}") from None
    if to in (S.CANCELLED, S.FAILED) and not note:
        raise Refused(f"Say why {change['number']} is {LABELS[to].lower()} (a note is required).")
    if to is S.AWAITING_APPROVAL:
        _ask_approvers(conn, change, modules, units, now)
    values: dict[str, Any] = {"stage": to}
    if to is S.IMPLEMENTED:
        values["implemented_at"] = now
    conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(values))
    _event(conn, actor, change, min(units) if units else None, now, AuditAction.FIELD_CHANGED,
           field="stage", old=change["stage"], new=to, reason=note or None)  # fmt: skip
    return 1


def required_approvers(
    conn: Connection, change: Mapping[str, Any], modules: Iterable[uuid.UUID], units: Iterable[uuid.UUID]
) -> list[tuple[dict[str, Any], frozenset[uuid.UUID]]]:
    """Each approval policy that applies to the change, with the people it asks (never the requester)."""
    kind, risk = change["change_type"], change["risk"]
    policies = conn.execute(
        select(table_of(ApprovalPolicy))
        .where(ApprovalPolicy.change_type == kind, or_(ApprovalPolicy.risk.is_(None), ApprovalPolicy.risk == risk))
        .order_by(ApprovalPolicy.name)
    ).all()
    asked = []
    for policy in policies:
        members = select(group_members.c.user_id)
        who = ApproverKind(policy.approver_kind)
        if who is ApproverKind.MODULE_OWNER:
            owners = select(ErpModule.owner_group_id).where(ErpModule.id.in_(list(modules)))
            members = members.where(group_members.c.group_id.in_(owners))
        elif who is ApproverKind.UNIT_SUPER_USERS:
            members = select(Membership.user_id).where(
                Membership.business_unit_id.in_(list(units)),
                Membership.user_id.in_(select(User.id).where(User.role == Role.SUPER_USER)),
            )
        else:
            members = members.where(group_members.c.group_id == policy.group_id)
        people = frozenset(
            conn.execute(
                select(User.id).where(User.id.in_(members), User.active.is_(True), User.id != change["requester_id"])
            ).scalars()
        )
        asked.append(({"id": policy.id, "name": policy.name}, people))
    return asked


def _ask_approvers(
    conn: Connection,
    change: Mapping[str, Any],
    modules: frozenset[uuid.UUID],
    units: frozenset[uuid.UUID],
    now: datetime,
) -> None:
    asked = required_approvers(conn, change, modules, units)
    risk = change["risk"] or "unassessed"
    if not asked:
        raise Refused(f"No approval policy covers {change['change_type']} changes of {risk} risk; "
                      "an administrator adds one before this change can be approved.")  # fmt: skip
    empty = [policy["name"] for policy, people in asked if not people]
    if empty:
        raise Refused(f"No one but the requester can decide for: {', '.join(empty)}. Add approvers first.")
    conn.execute(delete(ChangeApproval).where(ChangeApproval.change_id == change["id"]))
    conn.execute(
        insert(APPROVALS),
        [
            {
                "id": next_id(),
                "change_id": change["id"],
                "policy_id": policy["id"],
                "approver_id": person,
                "decided_by_id": None,
                "decision": ApprovalDecision.PENDING,
                "comment": None,
                "requested_at": now,
                "decided_at": None,
            }
            for policy, people in asked
            for person in sorted(people)
        ],
    )


def _decide(
    conn: Connection,
    actor: Actor,
    change: Mapping[str, Any],
    units: frozenset[uuid.UUID],
    intent: Decide,
    now: datetime,
) -> ChangeApplied:
    if intent.decision is ApprovalDecision.PENDING:
        raise Refused("A decision approves or rejects.")
    if not sees(actor, units):
        raise Refused(f"{actor.login} is a super-user of other business units and cannot see {change['number']}.")
    stage = ChangeStage(change["stage"])
    emergency_late = change["change_type"] == ChangeType.EMERGENCY and stage in (S.SCHEDULED, S.IMPLEMENTED)
    if stage is not S.AWAITING_APPROVAL and not emergency_late:
        raise Refused(f"{change['number']} is {LABELS[stage].lower()}, not awaiting approval.")
    comment = _text(intent.comment, "comment", TEXT_MAX)
    away = delegations(conn)
    _, _, rows = approvals_of(conn, change["id"])
    mine = [r for r in rows if deciding_for(actor.id, r["approver_id"], away, now)]
    if not mine:
        if actor.id == change["requester_id"]:
            check_decision(person=actor.id, approver=actor.id, requester=change["requester_id"],
                           already=ApprovalDecision.PENDING, comment=comment, delegations=away, now=now)  # fmt: skip
        raise Refused(f"{actor.login} is not among the approvers of {change['number']} nor deciding for one now.")
    pending = [r for r in mine if r["decision"] == ApprovalDecision.PENDING]
    try:
        for row in pending or mine[:1]:
            already = ApprovalDecision(row["decision"])
            check_decision(person=actor.id, approver=row["approver_id"], requester=change["requester_id"],
                           already=already, comment=comment, delegations=away, now=now)  # fmt: skip
    except GateClosed as closed:
        raise Refused(f"{change['number']}: {closed}") from None
    unit = min(units) if units else None
    for row in pending:
        conn.execute(
            update(ChangeApproval)
            .where(ChangeApproval.id == row["id"], ChangeApproval.decision == ApprovalDecision.PENDING)
            .values(decision=intent.decision, comment=comment, decided_by_id=actor.id, decided_at=now)
        )
    in_name_of = sorted({r["approver_id"] for r in pending})
    logins = dict(conn.execute(select(User.id, User.login).where(User.id.in_(in_name_of))).all())
    _event(conn, actor, change, unit, now, AuditAction.APPROVAL_DECIDED,
           field=",".join(logins[i] for i in in_name_of), new=intent.decision, reason=comment)  # fmt: skip
    events = 1
    found: list[Conflict] = []
    rules, votes, _ = approvals_of(conn, change["id"])
    approved, rejected = approval_outcome(rules, votes)
    outcome = S.REJECTED if rejected else S.APPROVED if approved else None
    if stage is S.AWAITING_APPROVAL and outcome is not None:
        conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(stage=outcome))
        why = "every approval rule's quorum is met" if approved else f"rejected: {comment}"
        _event(conn, actor, change, unit, now + timedelta(microseconds=1), AuditAction.FIELD_CHANGED,
               field="stage", old=stage, new=outcome, reason=why)  # fmt: skip
        events += 1
        stage = outcome
        if approved:
            found = change_conflicts(conn, change["id"])
    conn.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == change["id"])
        .values(updated_at=now + (events - 1) * timedelta(microseconds=1))
    )
    return ChangeApplied(change["id"], change["number"], stage, events, tuple(found))


def execute_change(engine: Engine, actor: Actor, intent: ChangeIntent, now: datetime | None = None) -> ChangeApplied:
    """Apply one change intent to the local cache in its own transaction, with its outbox entry."""
    with engine.begin() as conn:
        return submit_change(conn, actor, intent, now or datetime.now(UTC))


def submit_change(conn: Connection, actor: Actor, intent: ChangeIntent, now: datetime) -> ChangeApplied:
    """Apply one change intent here and keep it in the outbox, in the caller's (cache) transaction."""
    applied = apply_change(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return applied


def new_change_number(conn: Connection, client_id: str, reserve: Callable[[str], Any] | None = None) -> str:
    return take_or_reserve(conn, "CHG", client_id, reserve)


# ---- delegation while away ---------------------------------------------------------------------------------

DELEGATION_MAX = timedelta(days=90)


def set_delegation(
    conn: Connection, actor: Actor, delegate_id: uuid.UUID, starts_at: datetime, ends_at: datetime, now: datetime
) -> str:
    """While ``actor`` is away, ``delegate_id`` decides their approvals; audited. One period at a time.
    Returns the delegate's login."""
    if delegate_id == actor.id:
        raise Refused("Choose someone else to decide while you are away.")
    delegate = conn.execute(select(User.login, User.active).where(User.id == delegate_id)).first()
    if delegate is None or not delegate.active:
        raise Refused("The delegate is not an active user here.")
    if starts_at.tzinfo is None or ends_at.tzinfo is None or ends_at <= starts_at:
        raise Refused("The time away ends after it starts (with time zones).")
    if ends_at <= now:
        raise Refused("That time away is already over.")
    if ends_at - starts_at > DELEGATION_MAX:
        raise Refused(f"A delegation lasts at most {DELEGATION_MAX.days} days; set a new one after.")
    overlapping = conn.execute(
        select(ApproverDelegation.id).where(
            ApproverDelegation.approver_id == actor.id,
            ApproverDelegation.starts_at < ends_at,
            ApproverDelegation.ends_at > starts_at,
        )
    ).first()
    if overlapping is not None:
        raise Refused("You already have a delegate for part of that time; end it first.")
    conn.execute(
        insert(table_of(ApproverDelegation)),
        [{"id": next_id(), "approver_id": actor.id, "delegate_id": delegate_id, "starts_at": starts_at,
          "ends_at": ends_at}],
    )  # fmt: skip
    _user_event(conn, actor, now, delegate.login, f"away {starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC")
    return str(delegate.login)


def end_delegation(conn: Connection, actor: Actor, now: datetime) -> int:
    """Back early: every current or future delegation of ``actor`` ends now. Returns how many."""
    mine = (ApproverDelegation.approver_id == actor.id, ApproverDelegation.ends_at > now)
    ended = conn.execute(
        update(ApproverDelegation).where(*mine, ApproverDelegation.starts_at < now).values(ends_at=now)
    )
    future = conn.execute(delete(ApproverDelegation).where(*mine, ApproverDelegation.starts_at >= now))
    count = int(ended.rowcount or 0) + int(future.rowcount or 0)
    if count:
        _user_event(conn, actor, now, None, "back: delegation ended")
    return count


# ---- a person's own settings, as intents that sync ---------------------------------------------------------------

FREEZE_SETTERS = (Role.ADMIN, Role.SUPPORT_MANAGER)


def apply_setting(conn: Connection, actor: Actor, intent: SettingIntent, now: datetime) -> str:
    """Validate and apply one setting intent in the caller's transaction; what was done, in words."""
    with ids_of(intent.mutation_id):
        if isinstance(intent, Away):
            login = set_delegation(conn, actor, intent.delegate_id, intent.starts_at, intent.ends_at, now)
            return f"Until {intent.ends_at:%Y-%m-%d %H:%M} UTC, {login} decides your approvals."
        if isinstance(intent, Back):
            return f"Back: {end_delegation(conn, actor, now)} delegation(s) ended."
        if actor.role not in FREEZE_SETTERS:
            raise Refused("Only an administrator or a support manager sets the freeze windows.")
        policy = parse_freeze_policy(intent.policy)
        set_freeze_policy(conn, policy)
        return f"Freeze windows set: {freeze_text(policy)}"


def submit_setting(conn: Connection, actor: Actor, intent: SettingIntent, now: datetime) -> str:
    """Apply one setting intent here and keep it in the outbox, in the caller's (cache) transaction."""
    done = apply_setting(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return done


def _user_event(conn: Connection, actor: Actor, now: datetime, delegate: str | None, reason: str) -> None:
    _event(conn, actor, {"id": actor.id}, None, now, AuditAction.FIELD_CHANGED, entity=EntityType.USER,
           field="delegate", new=delegate, reason=reason)  # fmt: skip
