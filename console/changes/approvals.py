"""Who must approve a change, how their decisions settle it, and who decides while one is away.

Submitting a change for approval asks the people each approval policy names (never the requester); a
decision is taken by an approver or their delegate, always with a comment, and the quorum of every
policy makes the change Approved, a required approver's rejection Rejected. Asking and deciding are
steps of applying a change intent (``console.changes.service``); they live here so that "who
approves this change, and when is it approved" is read in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from console.access import Actor, Refused
from console.changes.applied import TEXT_MAX, ChangeApplied, clean, write_event
from console.changes.facts import APPROVALS, approvals_of, delegations, sees
from console.changes.freezes import change_conflicts
from console.changes.rules import Conflict, GateClosed, approval_outcome, check_decision, deciding_for
from console.changes.stages import S
from console.journal.audit import next_id
from console.journal.intents import Decide
from console.words import STAGE_LABELS
from models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApproverDelegation,
    ApproverKind,
    AuditAction,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeType,
    EntityType,
    ErpModule,
    Membership,
    Role,
    User,
    group_members,
    table_of,
)


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


def ask_approvers(
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


def decide(
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
        raise Refused(f"{change['number']} is {STAGE_LABELS[stage].lower()}, not awaiting approval.")
    comment = clean(intent.comment, "comment", TEXT_MAX)
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
    write_event(conn, actor, change, unit, now, AuditAction.APPROVAL_DECIDED,
           field=",".join(logins[i] for i in in_name_of), new=intent.decision, reason=comment)  # fmt: skip
    events = 1
    found: list[Conflict] = []
    rules, votes, _ = approvals_of(conn, change["id"])
    approved, rejected = approval_outcome(rules, votes)
    outcome = S.REJECTED if rejected else S.APPROVED if approved else None
    if stage is S.AWAITING_APPROVAL and outcome is not None:
        conn.execute(update(ChangeRequest).where(ChangeRequest.id == change["id"]).values(stage=outcome))
        why = "every approval rule's quorum is met" if approved else f"rejected: {comment}"
        write_event(conn, actor, change, unit, now + timedelta(microseconds=1), AuditAction.FIELD_CHANGED,
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


def _user_event(conn: Connection, actor: Actor, now: datetime, delegate: str | None, reason: str) -> None:
    write_event(conn, actor, {"id": actor.id}, None, now, AuditAction.FIELD_CHANGED, entity=EntityType.USER,
           field="delegate", new=delegate, reason=reason)  # fmt: skip
