"""Change management: requests, their approvals, the rules that require them, freezes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId, str_enum
from models.enums import ApprovalDecision, ApproverKind, ChangeStage, ChangeType, QuorumKind, RiskLevel


class ChangeTemplate(HasId, Base):
    """A pre-approved standard change."""

    __tablename__ = "change_templates"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    module_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("erp_modules.id"))
    description: Mapped[str] = mapped_column(Text)
    implementation_plan: Mapped[str] = mapped_column(Text)
    backout_plan: Mapped[str] = mapped_column(Text)


class ChangeRequest(HasId, Base):
    __tablename__ = "change_requests"
    __table_args__ = (
        CheckConstraint("planned_start IS NULL OR planned_end IS NULL OR planned_start < planned_end", name="window"),
        Index("ix_change_requests_stage_start", "stage", "planned_start"),
    )

    number: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    change_type: Mapped[ChangeType] = mapped_column(str_enum(ChangeType, "change_type"))
    stage: Mapped[ChangeStage] = mapped_column(str_enum(ChangeStage, "change_stage"), default=ChangeStage.DRAFT)
    risk: Mapped[RiskLevel | None] = mapped_column(str_enum(RiskLevel, "risk_level"))
    # The questionnaire's answers as a JSON object; the risk rules are data of their own.
    risk_answers: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("change_templates.id"))
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    implementation_plan: Mapped[str] = mapped_column(Text, default="")
    test_plan: Mapped[str] = mapped_column(Text, default="")
    test_evidence: Mapped[str | None] = mapped_column(Text)
    backout_plan: Mapped[str] = mapped_column(Text, default="")
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    implemented_at: Mapped[datetime | None]
    review_notes: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


change_modules = Table(
    "change_modules",
    Base.metadata,
    Column("change_id", ForeignKey("change_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", ForeignKey("erp_modules.id", ondelete="CASCADE"), primary_key=True, index=True),
)

change_business_units = Table(
    "change_business_units",
    Base.metadata,
    Column("change_id", ForeignKey("change_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("business_unit_id", ForeignKey("business_units.id", ondelete="CASCADE"), primary_key=True, index=True),
)

change_problems = Table(
    "change_problems",
    Base.metadata,
    Column("change_id", ForeignKey("change_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("problem_id", ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ApprovalPolicy(HasId, Base):
    """One approver group required for changes of a type (and, if set, a risk level)."""

    __tablename__ = "approval_policies"
    __table_args__ = (
        CheckConstraint("approver_kind <> 'group' OR group_id IS NOT NULL", name="group_named"),
        CheckConstraint(
            "(quorum_kind = 'all' AND quorum_value IS NULL)"
            " OR (quorum_kind = 'count' AND quorum_value >= 1)"
            " OR (quorum_kind = 'percent' AND quorum_value BETWEEN 1 AND 100)",
            name="quorum_value_fits",
        ),
    )

    name: Mapped[str] = mapped_column(String(120))
    change_type: Mapped[ChangeType] = mapped_column(str_enum(ChangeType, "change_type"))
    risk: Mapped[RiskLevel | None] = mapped_column(str_enum(RiskLevel, "risk_level"))
    approver_kind: Mapped[ApproverKind] = mapped_column(str_enum(ApproverKind, "approver_kind"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("support_groups.id"))
    quorum_kind: Mapped[QuorumKind] = mapped_column(str_enum(QuorumKind, "quorum_kind"), default=QuorumKind.ALL)
    quorum_value: Mapped[int | None] = mapped_column(Integer)


class ChangeApproval(HasId, Base):
    """One approver's decision on one change; a decision always carries a comment."""

    __tablename__ = "change_approvals"
    __table_args__ = (
        CheckConstraint(
            "decision = 'pending' OR (decided_at IS NOT NULL AND comment IS NOT NULL AND length(comment) > 0)",
            name="decision_explained",
        ),
        Index("ix_change_approvals_approver_decision", "approver_id", "decision"),
    )

    change_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("change_requests.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("approval_policies.id"))
    approver_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[ApprovalDecision] = mapped_column(
        str_enum(ApprovalDecision, "approval_decision"), default=ApprovalDecision.PENDING
    )
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ApproverDelegation(HasId, Base):
    """While an approver is away, their delegate decides in their name."""

    __tablename__ = "approver_delegations"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="period_order"),
        CheckConstraint("approver_id <> delegate_id", name="not_self"),
    )

    approver_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    delegate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class FreezeWindow(HasId, Base):
    """A period with no production changes, for everything or one module or unit."""

    __tablename__ = "freeze_windows"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="period_order"),
        Index("ix_freeze_windows_period", "starts_at", "ends_at"),
    )

    name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    module_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("erp_modules.id"))
    business_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_units.id"))
