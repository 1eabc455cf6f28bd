"""The incident workflow: the moves a ticket's status may make, in one place.

The same rules run on the local cache when a person edits and on the shared database when the
edit is pushed (and its guards mirror them), so a ticket can never be put into a state the rules
forbid from either side. Who may move a ticket at all is ``console.access``.

Status: New → Assigned → In progress ⇄ Pending (reporter / vendor / change) → Resolved →
Closed, and Reopen (Resolved or Closed → In progress, with a reason). Handing a ticket
over (In progress → Assigned) is allowed; skipping steps is not.
"""

from __future__ import annotations

from collections.abc import Collection

from console.access import Refused
from console.words import STATUS_LABELS
from models import TicketStatus

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


def check_transition(old: TicketStatus, new: TicketStatus, *, reason: str | None, assignee: object | None) -> None:
    """Refuse an illegal status change with the moves that are allowed from ``old``."""
    if old == new:
        raise Refused(f"The ticket is already {STATUS_LABELS[new]}.")
    allowed = TRANSITIONS[old]
    if new not in allowed:
        options = ", ".join(STATUS_LABELS[s] for s in allowed)
        raise Refused(
            f"A ticket cannot go from {STATUS_LABELS[old]} to {STATUS_LABELS[new]}; "
            f"from {STATUS_LABELS[old]} it can go to {options}."
        )
    if (old, new) in NEEDS_REASON and not (reason or "").strip():
        raise Refused(
            f"Say why the ticket goes from {STATUS_LABELS[old]} to {STATUS_LABELS[new]} (a reason is required)."
        )
    if new in (S.ASSIGNED, S.IN_PROGRESS) and assignee is None:
        raise Refused(f"Assign the ticket to someone before it goes to {STATUS_LABELS[new]}.")


def allowed_moves(old: TicketStatus) -> Collection[TicketStatus]:
    return TRANSITIONS[old]
