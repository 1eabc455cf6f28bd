"""What the change rules need read from the database.

A change's row, its scope (modules and units), its approval rules and votes, the facts its stage
gates check, and who is away with a delegate. The rules (``console.changes.rules``) are pure
functions; this module is the one place that turns rows into their inputs, a few hundred changes at
a time, so that the service, the planner and the lists read them the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from console.access import Actor, Refused
from console.changes.rules import ApprovalRule, ChangeFacts, Delegation, Vote, approval_outcome
from console.changes.stages import S
from models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApproverDelegation,
    AuditEvent,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeType,
    EntityType,
    QuorumKind,
    RiskLevel,
    change_business_units,
    change_modules,
    table_of,
)

CHANGES = table_of(ChangeRequest)
APPROVALS = table_of(ChangeApproval)


def change_row(conn: Connection, change_id: uuid.UUID) -> dict[str, Any]:
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
