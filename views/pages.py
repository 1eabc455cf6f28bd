"""The main window's four views: their keys, titles and icons, in navigation order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    icon: str
    lead: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("queue", "Ticket queue", "queue.svg", "Your tickets and your business units' tickets."),
    PageSpec("ticket", "Ticket detail", "ticket.svg", "One ticket with its notes, history and SLA."),
    PageSpec("changes", "Change approval", "changes.svg", "Governed ERP changes from request to production."),
    PageSpec("metrics", "Metrics", "metrics.svg", "SLA compliance a manager can take to the business review."),
)
