"""The Support Console schema: SQLAlchemy 2.x typed declarative models.

This package imports nothing from ``console`` or ``views``; the Alembic migrations that
create the schema on SQLite and PostgreSQL live in ``models/migrations``.

The vocabularies (``models.enums``: statuses, priorities, roles...) are plain Python and load with the
package. The tables, and SQLAlchemy with them, load all together on the first use of any other name
(``models.Ticket``, ``models.metadata``), or when SQLAlchemy first configures its mappers (``models.base``):
a command that only names a status or a priority (``support-console --help``) starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.enums import (
    ApprovalDecision,
    ApproverKind,
    ArticleStatus,
    Audience,
    AuditAction,
    ChangeStage,
    ChangeType,
    EntityType,
    Impact,
    Priority,
    ProblemStatus,
    QuorumKind,
    RiskLevel,
    Role,
    SlaState,
    TicketKind,
    TicketStatus,
    Urgency,
    Visibility,
)

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from models.base import (
        Base,
        new_id,
        table_of,
    )
    from models.changes import (
        ApprovalPolicy,
        ApproverDelegation,
        ChangeApproval,
        ChangeRequest,
        ChangeTemplate,
        FreezeWindow,
        change_business_units,
        change_modules,
        change_problems,
    )
    from models.knowledge import (
        ArticleFeedback,
        ArticleVersion,
        KnowledgeArticle,
        ticket_articles,
    )
    from models.org import (
        BusinessUnit,
        ErpModule,
        Membership,
        RoutingRule,
        SupportGroup,
        User,
        group_members,
    )
    from models.problems import (
        Problem,
    )
    from models.releases import (
        Release,
    )
    from models.sla import (
        BusinessCalendar,
        BusinessHours,
        Holiday,
        SlaPauseStatus,
        SlaPolicy,
        SlaTarget,
    )
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
    from models.system import (
        DeploymentInfo,
        NumberBlock,
    )
    from models.tickets import (
        Attachment,
        AuditEvent,
        Comment,
        Ticket,
    )

    metadata: MetaData

# Where each name of the tables lives; all of them load on the first use of any.
_TABLES = {
    "Base": "models.base",
    "new_id": "models.base",
    "table_of": "models.base",
    "ApprovalPolicy": "models.changes",
    "ApproverDelegation": "models.changes",
    "ChangeApproval": "models.changes",
    "ChangeRequest": "models.changes",
    "ChangeTemplate": "models.changes",
    "FreezeWindow": "models.changes",
    "change_business_units": "models.changes",
    "change_modules": "models.changes",
    "change_problems": "models.changes",
    "ArticleFeedback": "models.knowledge",
    "ArticleVersion": "models.knowledge",
    "KnowledgeArticle": "models.knowledge",
    "ticket_articles": "models.knowledge",
    "BusinessUnit": "models.org",
    "ErpModule": "models.org",
    "Membership": "models.org",
    "RoutingRule": "models.org",
    "SupportGroup": "models.org",
    "User": "models.org",
    "group_members": "models.org",
    "Problem": "models.problems",
    "Release": "models.releases",
    "BusinessCalendar": "models.sla",
    "BusinessHours": "models.sla",
    "Holiday": "models.sla",
    "SlaPauseStatus": "models.sla",
    "SlaPolicy": "models.sla",
    "SlaTarget": "models.sla",
    "GLOBAL_SPACE": "models.sync",
    "CacheSeed": "models.sync",
    "CacheSeedChunk": "models.sync",
    "ChangeIndexEntry": "models.sync",
    "ClientMutation": "models.sync",
    "OutboxEntry": "models.sync",
    "SyncConflict": "models.sync",
    "SyncCursor": "models.sync",
    "SyncNotice": "models.sync",
    "SyncSpace": "models.sync",
    "DeploymentInfo": "models.system",
    "NumberBlock": "models.system",
    "Attachment": "models.tickets",
    "AuditEvent": "models.tickets",
    "Comment": "models.tickets",
    "Ticket": "models.tickets",
}


def load() -> None:
    """Import every table module: each mapped class registered, ``metadata`` complete."""
    found = {name: getattr(importlib.import_module(module), name) for name, module in _TABLES.items()}
    globals().update(found, metadata=found["Base"].metadata)


if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _TABLES or name == "metadata":
            load()
            return globals()[name]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "GLOBAL_SPACE",
    "ApprovalDecision",
    "ApprovalPolicy",
    "ApproverDelegation",
    "ApproverKind",
    "ArticleFeedback",
    "ArticleStatus",
    "ArticleVersion",
    "Attachment",
    "Audience",
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
