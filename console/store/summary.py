"""What a workspace holds, in a few numbers: for ``support-console info`` and the main window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from console.store.workspace import Workspace
from models import (
    BusinessUnit,
    ChangeRequest,
    ChangeStage,
    DeploymentInfo,
    KnowledgeArticle,
    Problem,
    Ticket,
    TicketStatus,
    User,
)

OPEN_STATUSES = [s for s in TicketStatus if s.is_open]


@dataclass(frozen=True)
class WorkspaceSummary:
    tickets: int
    tickets_by_status: dict[str, int]
    open_tickets: int
    unassigned_open: int
    first_ticket_at: datetime | None
    last_ticket_at: datetime | None
    changes: int
    changes_awaiting_approval: int
    problems: int
    articles: int
    users: int
    units: list[str]
    deployment: dict[str, str] = field(default_factory=dict)


def summarize(conn: Connection) -> WorkspaceSummary:
    by_status = {
        str(status): count
        for status, count in conn.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    }
    # Two scalar subqueries, not min() and max() in one SELECT: each alone reads one end of the
    # created_at index, where the pair together makes SQLite scan every ticket.
    first, last = conn.execute(
        select(
            select(func.min(Ticket.created_at)).scalar_subquery(), select(func.max(Ticket.created_at)).scalar_subquery()
        )
    ).one()
    unassigned = conn.execute(
        select(func.count()).where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_(None))
    ).scalar_one()

    def count(model: type) -> int:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())

    return WorkspaceSummary(
        tickets=sum(by_status.values()),
        tickets_by_status=by_status,
        open_tickets=sum(n for s, n in by_status.items() if TicketStatus(s).is_open),
        unassigned_open=unassigned,
        first_ticket_at=first,
        last_ticket_at=last,
        changes=count(ChangeRequest),
        changes_awaiting_approval=int(
            conn.execute(select(func.count()).where(ChangeRequest.stage == ChangeStage.AWAITING_APPROVAL)).scalar_one()
        ),
        problems=count(Problem),
        articles=count(KnowledgeArticle),
        users=count(User),
        units=list(conn.execute(select(BusinessUnit.code).order_by(BusinessUnit.code)).scalars()),
        deployment=dict(conn.execute(select(DeploymentInfo.key, DeploymentInfo.value)).all()),
    )


def summarize_workspace(workspace: Workspace) -> WorkspaceSummary:
    """Open (and if needed migrate) the workspace's cache and summarise it: background work for the GUI."""
    with workspace.reading() as conn:
        return summarize(conn)
