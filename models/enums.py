"""Vocabularies shared by several tables (stored as their string values)."""

from __future__ import annotations

import enum


class TicketKind(enum.StrEnum):
    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING_REPORTER = "pending_reporter"
    PENDING_VENDOR = "pending_vendor"
    PENDING_CHANGE = "pending_change"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)

    @property
    def is_pending(self) -> bool:
        return self.value.startswith("pending_")


class Priority(enum.StrEnum):
    """Ordered from most to least urgent; ``rank`` 1 is the most urgent."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return list(Priority).index(self) + 1


class Impact(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Urgency(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Visibility(enum.StrEnum):
    """A public comment is seen by the reporter; an internal work note only by support."""

    PUBLIC = "public"
    INTERNAL = "internal"


class SlaState(enum.StrEnum):
    """Where an SLA clock stands, as the SLA engine last computed it."""

    RUNNING = "running"
    WARNING = "warning"
    PAUSED = "paused"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"
    NOT_TIMED = "not_timed"  # no time-based target (Low: tracked against its release)


class ChangeType(enum.StrEnum):
    STANDARD = "standard"
    NORMAL = "normal"
    EMERGENCY = "emergency"


class ChangeStage(enum.StrEnum):
    DRAFT = "draft"
    ASSESSMENT = "assessment"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    IMPLEMENTING_TEST = "implementing_test"
    TEST_PASSED = "test_passed"
    SCHEDULED = "scheduled"
    IMPLEMENTED = "implemented"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ApprovalDecision(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApproverKind(enum.StrEnum):
    """Who must decide: the owner group of each affected module, the super-users of each
    affected unit, the change advisory board, or a named group."""

    MODULE_OWNER = "module_owner"
    UNIT_SUPER_USERS = "unit_super_users"
    CAB = "cab"
    GROUP = "group"


class QuorumKind(enum.StrEnum):
    ALL = "all"
    COUNT = "count"
    PERCENT = "percent"


class Role(enum.StrEnum):
    SERVICE_DESK_ANALYST = "service_desk_analyst"
    FUNCTIONAL_CONSULTANT = "functional_consultant"
    TECHNICAL = "technical"
    SUPER_USER = "super_user"
    SUPPORT_MANAGER = "support_manager"
    CHANGE_APPROVER = "change_approver"
    ADMIN = "admin"


class ProblemStatus(enum.StrEnum):
    NEW = "new"
    INVESTIGATING = "investigating"
    ROOT_CAUSE_KNOWN = "root_cause_known"
    KNOWN_ERROR = "known_error"
    FIX_IN_CHANGE = "fix_in_change"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class Audience(enum.StrEnum):
    """Who an article is written for: support's own people, or end users (tier 0: self-service)."""

    INTERNAL = "internal"
    TIER0 = "tier0"


class EntityType(enum.StrEnum):
    TICKET = "ticket"
    PROBLEM = "problem"
    CHANGE = "change"
    ARTICLE = "article"
    USER = "user"
    POLICY = "policy"


class AuditAction(enum.StrEnum):
    CREATED = "created"
    FIELD_CHANGED = "field_changed"
    COMMENTED = "commented"
    ESCALATED = "escalated"
    LINKED = "linked"
    UNLINKED = "unlinked"
    APPROVAL_DECIDED = "approval_decided"
    DELETED = "deleted"
