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
