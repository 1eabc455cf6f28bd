"""The incident workflow and who may do what: the rules every edit passes, in one place.

The same rules run on the local cache when a user edits, and (once sync lands) on the
shared database when the edit is pushed, so a ticket can never be put into a state the
rules forbid from either side.

Status: New → Assigned → In progress ⇄ Pending (reporter / vendor / change) → Resolved →
Closed, and Reopen (Resolved or Closed → In progress, with a reason). Handing a ticket
over (In progress → Assigned) is allowed; skipping steps is not.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from console.errors import ConsoleError
from models import Role, TicketStatus

S = TicketStatus
PENDING = (S.PENDING_REPORTER, S.PENDING_VENDOR, S.PENDING_CHANGE)
TRANSITIONS: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    S.NEW: (S.ASSIGNED,),
    S.ASSIGNED: (S.IN_PROGRESS, S.NEW),
    S.IN_PROGRESS: (*PENDING, S.RESOLVED, S.ASSIGNED),
    S.PENDING_REPORTER: (S.IN_PROGRESS, S.RESOLVED),
    S.PENDING_VENDOR: (S.IN_PROGRESS, S.RESOLVED),
    S.PENDING_CHANGE: (S.IN_PROGRESS, S.RESOLVED),
    S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (S.IN_PROGRESS,),
}
# Moves that must say why: waiting on someone, resolving, reopening, handing back.
NEEDS_REASON = frozenset(
    {(old, new) for old in S for new in PENDING}
    | {(old, S.RESOLVED) for old in S}
    | {(S.RESOLVED, S.IN_PROGRESS), (S.CLOSED, S.IN_PROGRESS), (S.ASSIGNED, S.NEW), (S.IN_PROGRESS, S.ASSIGNED)}
)

LABELS = {
    S.NEW: "New",
    S.ASSIGNED: "Assigned",
    S.IN_PROGRESS: "In progress",
    S.PENDING_REPORTER: "Pending reporter",
    S.PENDING_VENDOR: "Pending vendor",
    S.PENDING_CHANGE: "Pending change",
    S.RESOLVED: "Resolved",
    S.CLOSED: "Closed",
}


class Refused(ConsoleError):
    """An edit the rules do not allow; the message says why, and nothing was changed."""


class Can(enum.StrEnum):
    """What a role may do to a ticket it can see."""

    LOG = "log tickets"
    TRIAGE = "triage (assign, priority, module, category)"
    WORK = "work tickets (status, escalation, links)"
    NOTE = "add notes and comments"


ROLE_CAN: dict[Role, frozenset[Can]] = {
    Role.SERVICE_DESK_ANALYST: frozenset({Can.LOG, Can.TRIAGE, Can.NOTE, Can.WORK}),
    Role.FUNCTIONAL_CONSULTANT: frozenset({Can.LOG, Can.TRIAGE, Can.WORK, Can.NOTE}),
    Role.TECHNICAL: frozenset({Can.LOG, Can.TRIAGE, Can.WORK, Can.NOTE}),
    Role.SUPER_USER: frozenset({Can.LOG, Can.TRIAGE, Can.NOTE}),
    Role.SUPPORT_MANAGER: frozenset(Can),
    Role.CHANGE_APPROVER: frozenset({Can.NOTE}),
    Role.ADMIN: frozenset(Can),
}
# A tier-1 analyst works a ticket only while it is at the service desk (first-contact resolution);
# once handed over to tier 2 or 3 it is the consultants' to work.
ANALYST_WORKS_UP_TO_TIER = 1


@dataclass(frozen=True)
class Actor:
    """Who is editing: their role and, for a super-user, the only business units they may see."""

    id: uuid.UUID
    login: str
    display_name: str
    role: Role
    units: frozenset[uuid.UUID]

    @property
    def scoped(self) -> bool:
        """True when this person sees only their own business units' tickets."""
        return self.role is Role.SUPER_USER

    def sees(self, unit_id: uuid.UUID) -> bool:
        return not self.scoped or unit_id in self.units

    def may(self, action: Can) -> bool:
        return action in ROLE_CAN[self.role]


def require(actor: Actor, action: Can, *, unit_id: uuid.UUID | None = None, tier: int | None = None) -> None:
    """Refuse, with the reason, unless ``actor`` may do ``action`` on a ticket of ``unit_id`` at ``tier``."""
    role = actor.role.value.replace("_", " ")
    if unit_id is not None and not actor.sees(unit_id):
        raise Refused(f"{actor.login} is a super-user of other business units and cannot see this ticket.")
    if not actor.may(action):
        raise Refused(f"A {role} cannot {action.value}.")
    if (
        action is Can.WORK
        and actor.role is Role.SERVICE_DESK_ANALYST
        and tier is not None
        and tier > ANALYST_WORKS_UP_TO_TIER
    ):
        raise Refused(f"This ticket is at tier {tier}; the service desk hands it over but does not work it.")


def check_transition(old: TicketStatus, new: TicketStatus, *, reason: str | None, assignee: object | None) -> None:
    """Refuse an illegal status change with the moves that are allowed from ``old``."""
    if old == new:
        raise Refused(f"The ticket is already {LABELS[new]}.")
    allowed = TRANSITIONS[old]
    if new not in allowed:
        options = ", ".join(LABELS[s] for s in allowed)
        raise Refused(
            f"A ticket cannot go from {LABELS[old]} to {LABELS[new]}; from {LABELS[old]} it can go to {options}."
        )
    if (old, new) in NEEDS_REASON and not (reason or "").strip():
        raise Refused(f"Say why the ticket goes from {LABELS[old]} to {LABELS[new]} (a reason is required).")
    if new in (S.ASSIGNED, S.IN_PROGRESS) and assignee is None:
        raise Refused(f"Assign the ticket to someone before it goes to {LABELS[new]}.")


def allowed_moves(old: TicketStatus) -> Collection[TicketStatus]:
    return TRANSITIONS[old]


# Zero-width (non-)joiners and direction marks are part of Persian and Arabic text.
_KEPT_FORMAT = "\u200c\u200d\u200f\u200e"


def clean_text(value: str, what: str, limit: int, *, required: bool = True) -> str:
    """Text as stored: no NUL or other control characters but tab and newline, within ``limit``."""
    text = "".join(ch for ch in value if ch in "\t\n" or ch.isprintable() or ch in _KEPT_FORMAT).strip()
    if required and not text:
        raise Refused(f"The {what} is empty.")
    if len(text) > limit:
        raise Refused(f"The {what} is {len(text):,} characters long; the limit is {limit:,}.")
    return text
