"""The Support Console schema: SQLAlchemy 2.x typed declarative models.

This package imports nothing from ``console`` or ``views``; the Alembic migrations that
create the schema on SQLite and PostgreSQL live in ``models/migrations``.
"""

from models.base import Base, new_id, table_of
from models.changes import (
    ApprovalDecision,
    ApprovalPolicy,
    ApproverDelegation,
    ApproverKind,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    FreezeWindow,
    QuorumKind,
    RiskLevel,
    change_business_units,
    change_modules,
    change_problems,
)
from models.enums import Impact, Priority, SlaState, TicketKind, TicketStatus, Urgency, Visibility
from models.knowledge import ArticleStatus, KnowledgeArticle, ticket_articles
from models.org import BusinessUnit, ErpModule, Membership, Role, RoutingRule, SupportGroup, User, group_members
from models.problems import Problem, ProblemStatus
from models.releases import Release
from models.sla import BusinessCalendar, BusinessHours, Holiday, SlaPauseStatus, SlaPolicy, SlaTarget
from models.sync import (
    GLOBAL_SPACE,
    CacheSeed,
    CacheSeedChunk,
    ChangeIndexEntry,
    ClientMutation,
    OutboxEntry,
    SyncConflict,
    SyncCursor,
    SyncNotice,
    SyncSpace,
)
from models.system import DeploymentInfo, NumberBlock
from models.tickets import Attachment, AuditAction, AuditEvent, Comment, EntityType, Ticket

metadata = Base.metadata

__all__ = [
    "GLOBAL_SPACE",
    "ApprovalDecision",
    "ApprovalPolicy",
    "ApproverDelegation",
    "ApproverKind",
    "ArticleStatus",
    "Attachment",
    "AuditAction",
    "AuditEvent",
    "Base",
    "BusinessCalendar",
    "BusinessHours",
    "BusinessUnit",
    "CacheSeed",
    "CacheSeedChunk",
    "ChangeApproval",
    "ChangeIndexEntry",
    "ChangeRequest",
    "ChangeStage",
    "ChangeTemplate",
    "ChangeType",
    "ClientMutation",
    "Comment",
    "DeploymentInfo",
    "EntityType",
    "ErpModule",
    "FreezeWindow",
    "Holiday",
    "Impact",
    "KnowledgeArticle",
    "Membership",
    "NumberBlock",
    "OutboxEntry",
    "Priority",
    "Problem",
    "ProblemStatus",
    "QuorumKind",
    "Release",
    "RiskLevel",
    "Role",
    "RoutingRule",
    "SlaPauseStatus",
    "SlaPolicy",
    "SlaState",
    "SlaTarget",
    "SupportGroup",
    "SyncConflict",
    "SyncCursor",
    "SyncNotice",
    "SyncSpace",
    "Ticket",
    "TicketKind",
    "TicketStatus",
    "Urgency",
    "User",
    "Visibility",
    "change_business_units",
    "change_modules",
    "change_problems",
    "group_members",
    "metadata",
    "new_id",
    "table_of",
    "ticket_articles",
]
