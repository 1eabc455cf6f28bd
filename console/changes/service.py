"""Applying change intents: a governed ERP change from request to production, one intent at a time.

As with tickets, every edit is an *intent* (what the person wants, with what they saw and a
mutation id) that ``apply_change`` validates and writes together with its audit events, in the
caller's transaction, or refuses with the reason and writes nothing. This module creates, edits,
assesses and moves changes; whom an approval asks and how decisions settle it are in ``approvals``,
window clashes and freezes in ``freezes`` (the package docstring maps the rest).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from console.access import Actor, Refused
from console.changes.applied import TEXT_MAX, ChangeApplied, clean, write_event
from console.changes.approvals import ask_approvers, decide
from console.changes.facts import CHANGES, change_row, facts, scope, sees
from console.changes.freezes import change_conflicts
from console.changes.rules import DEFAULT_RULES, Conflict, GateClosed, RiskResult, assess, check_stage_move
from console.changes.stages import COORDINATORS, EDITABLE, PLANNING, REQUESTERS, S
from console.journal import conflicts as sync_conflicts
from console.journal import outbox
from console.journal.audit import CONFLICT_RESOLVED, ids_of
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
from console.store.numbering import take_or_reserve
from console.words import STAGE_LABELS
from models import (
    AuditAction,
    BusinessUnit,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    ErpModule,
    Problem,
    change_business_units,
    change_modules,
    change_problems,
    table_of,
)
from models.tickets import TITLE_MAX


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
    change = change_row(conn, intent.change_id)
    now = max(now, change["updated_at"] + timedelta(microseconds=1))
    modules, units = scope(conn, change["id"])
    unit = min(units) if units else None
    if isinstance(intent, Decide):
        return decide(conn, actor, change, units, intent, now)
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
            write_event(conn, actor, change, unit, now + events * timedelta(microseconds=1), AuditAction.FIELD_CHANGED,
                   field=CONFLICT_RESOLVED, old=edit.field if edit else None, new=intent.resolution)  # fmt: skip
            events += 1
        if edit and edit.field in ("window", "modules", "units"):
            found = change_conflicts(conn, change["id"])
    elif isinstance(intent, AssessRisk):
        if stage not in PLANNING:
            raise Refused(
                f"{change['number']} is {STAGE_LABELS[stage].lower()}; its risk was assessed before approval."
            )
        risk = assess(intent.answers, DEFAULT_RULES)
        answers = json.dumps(dict(intent.answers), sort_keys=True)
        conn.execute(
            update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(risk=risk.level, risk_answers=answers)
        )
        write_event(conn, actor, change, unit, now, AuditAction.FIELD_CHANGED, field="risk", old=change["risk"],
               new=risk.level, reason="; ".join(risk.reasons))  # fmt: skip
        events = 1
    elif isinstance(intent, MoveStage):
        if stage is not intent.base:
            now_is, saw = STAGE_LABELS[stage].lower(), STAGE_LABELS[intent.base].lower()
            raise Refused(f"{change['number']} changed meanwhile: it is {now_is} now, not {saw} as you saw it. "
                          "Look again, then retry.")  # fmt: skip
        events = _move(conn, actor, change, modules, units, intent.to, now, clean(intent.note or "", "note"))
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
    title = clean(intent.title, "title", TITLE_MAX)
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
        "description": clean(intent.description or plans.get("description", ""), "description"),
        "reason": clean(intent.reason, "reason"),
        "implementation_plan": clean(intent.implementation_plan or plans.get("implementation_plan", ""), "plan"),
        "test_plan": clean(intent.test_plan, "test plan"),
        "test_evidence": None,
        "backout_plan": clean(intent.backout_plan or plans.get("backout_plan", ""), "backout plan"),
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
    write_event(conn, actor, values, min(intent.units), now, AuditAction.CREATED, new=snapshot(first))
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
        said = STAGE_LABELS[stage].lower()
        raise Refused(f"The {what} of {change['number']} cannot be changed while it is {said}.")
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
        write_event(
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
            write_event(conn, actor, change, unit, now, AuditAction.FIELD_CHANGED, field=name, old=before, new=after)
        return 2
    if encode(change[intent.field]) != encode(intent.base):
        raise Refused(f"{change['number']} changed meanwhile: its {what} is not what you saw. Look again, then retry.")
    text = clean(str(intent.value), what, TITLE_MAX if intent.field == "title" else TEXT_MAX)
    if intent.field == "title" and not text:
        raise Refused("A change needs a title.")
    values: dict[str, Any] = {intent.field: text}
    if intent.field == "review_notes":
        values["reviewed_at"] = now
    conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(values))
    write_event(
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
        raise Refused(f"Say why {change['number']} is {STAGE_LABELS[to].lower()} (a note is required).")
    if to is S.AWAITING_APPROVAL:
        ask_approvers(conn, change, modules, units, now)
    values: dict[str, Any] = {"stage": to}
    if to is S.IMPLEMENTED:
        values["implemented_at"] = now
    conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(values))
    write_event(conn, actor, change, min(units) if units else None, now, AuditAction.FIELD_CHANGED,
           field="stage", old=change["stage"], new=to, reason=note or None)  # fmt: skip
    return 1


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
