"""One function per edit a person makes: the ticket intent the window and the command line hand to
``service.execute``.

The window and the command line offer the same edits; building each intent in one place means both
send the same fields, bases and escalation flags, so the shared database judges them alike.
"""

from __future__ import annotations

import uuid

from console.access import Refused
from console.journal.intents import AddAttachment, AddComment, LinkArticle, SetField, SetStatus, TicketIntent
from models import Priority, TicketStatus, Visibility


def assign(ticket_id: uuid.UUID, assignee_id: uuid.UUID | None, *, base: uuid.UUID | None) -> SetField:
    return SetField(ticket_id, "assignee_id", assignee_id, base)


def set_priority(ticket_id: uuid.UUID, priority: Priority, *, base: Priority, reason: str | None) -> SetField:
    escalation = priority.rank < Priority(base).rank
    return SetField(ticket_id, "priority", priority, base, reason, escalation=escalation)


def set_module(ticket_id: uuid.UUID, module_id: uuid.UUID, *, base: uuid.UUID) -> SetField:
    return SetField(ticket_id, "module_id", module_id, base)


def move_tier(ticket_id: uuid.UUID, tier: int, *, base: int, reason: str | None = None) -> SetField:
    return SetField(ticket_id, "tier", tier, base, reason, escalation=tier > base)


def set_status(
    ticket_id: uuid.UUID, status: TicketStatus, *, base: TicketStatus, reason: str | None = None
) -> SetStatus:
    return SetStatus(ticket_id, status, base, reason)


def add_note(ticket_id: uuid.UUID, body: str, *, internal: bool) -> AddComment:
    return AddComment(ticket_id, body, Visibility.INTERNAL if internal else Visibility.PUBLIC)


def escalate(
    ticket_id: uuid.UUID, *, base_tier: int, reason: str, vendor: str | None = None, base_vendor: str | None = None
) -> list[TicketIntent]:
    """To tier 3 (technical), or to a vendor as well: with the reason, as escalation events."""
    intents: list[TicketIntent] = (
        [SetField(ticket_id, "tier", 3, base_tier, reason, escalation=True)] if base_tier != 3 else []
    )
    if vendor is not None:
        intents.append(SetField(ticket_id, "vendor", vendor, base_vendor, reason, escalation=True))
    if not intents:
        raise Refused("The ticket is already at tier 3; name a vendor to escalate further.")
    return intents


def link_problem(ticket_id: uuid.UUID, problem_id: uuid.UUID | None, *, base: uuid.UUID | None) -> SetField:
    return SetField(ticket_id, "problem_id", problem_id, base)


def link_change(ticket_id: uuid.UUID, change_id: uuid.UUID | None, *, base: uuid.UUID | None) -> SetField:
    return SetField(ticket_id, "change_id", change_id, base)


def link_article(ticket_id: uuid.UUID, article_id: uuid.UUID, *, unlink: bool = False) -> LinkArticle:
    return LinkArticle(ticket_id, article_id, unlink)


def attach(ticket_id: uuid.UUID, filename: str, content: bytes, media_type: str = "") -> AddAttachment:
    return AddAttachment(ticket_id, filename, media_type or "application/octet-stream", content)
