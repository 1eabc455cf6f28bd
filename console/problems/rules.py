"""A problem's lifecycle and who may work it, as plain constants: read by the service, the lists, the window and
the shared database's guards (``console.sync.guards``), so every one applies the same rules.

New → Investigating → Root cause known → Known error → Fix in change → Resolved → Closed. Each move has its rule
(``GATES``: what the problem must hold to enter the status) and some need a reason (``NEEDS_REASON``: closing,
resolving, and every move back). A known error is a problem with a documented workaround: its incidents show it
in the ticket view; a fix in change has a change request linked (``change_problems``).
"""

from __future__ import annotations

from models import ProblemStatus, Role

P = ProblemStatus

MOVES: dict[ProblemStatus, frozenset[ProblemStatus]] = {
    P.NEW: frozenset({P.INVESTIGATING, P.CLOSED}),
    P.INVESTIGATING: frozenset({P.ROOT_CAUSE_KNOWN, P.KNOWN_ERROR, P.CLOSED}),
    P.ROOT_CAUSE_KNOWN: frozenset({P.KNOWN_ERROR, P.FIX_IN_CHANGE, P.INVESTIGATING}),
    P.KNOWN_ERROR: frozenset({P.FIX_IN_CHANGE, P.RESOLVED, P.INVESTIGATING}),
    P.FIX_IN_CHANGE: frozenset({P.RESOLVED, P.KNOWN_ERROR}),
    P.RESOLVED: frozenset({P.CLOSED, P.INVESTIGATING}),
    P.CLOSED: frozenset(),
}
ORDER = tuple(ProblemStatus)
"""The lifecycle in order; a move to an earlier status is a move back."""

GATES: dict[ProblemStatus, tuple[str, ...]] = {
    P.INVESTIGATING: ("owner_id",),
    P.ROOT_CAUSE_KNOWN: ("owner_id", "root_cause"),
    P.KNOWN_ERROR: ("owner_id", "workaround"),
    P.FIX_IN_CHANGE: ("owner_id", "root_cause", "change"),
}
"""What a problem must hold to enter a status: an owner, its root cause, its workaround, a linked change."""

OPEN = frozenset(set(P) - {P.RESOLVED, P.CLOSED})
KNOWN = frozenset({P.KNOWN_ERROR, P.FIX_IN_CHANGE})
"""Known errors: their workaround reaches the queue."""

WORKERS = frozenset({Role.FUNCTIONAL_CONSULTANT, Role.TECHNICAL, Role.SUPPORT_MANAGER, Role.ADMIN})
"""Who may open, edit and move problems (the rest read them, and link their own incidents as the ticket rules
allow)."""
CLOSERS = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})
"""Who may close a problem besides its owner."""

EDITABLE = (
    "title", "description", "priority", "module_id", "business_unit_id", "owner_id", "group_id", "root_cause",
    "workaround",
)  # fmt: skip
TEXTS = ("title", "description", "root_cause", "workaround")


def needs_reason(old: ProblemStatus, new: ProblemStatus) -> bool:
    """Closing, resolving and every move back need a reason."""
    return new in (P.RESOLVED, P.CLOSED) or ORDER.index(new) < ORDER.index(old)
