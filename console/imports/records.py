"""An imported ticket as every source becomes it: the normalised record the write path stores.

One ``ImportedTicket`` per ticket of the source, with the source's own number (``key``) and system, our values
for its status and priority (the source's words kept beside them), names as the source gives them (mapped
through the mapping's value maps: people, groups, units, modules), moments in UTC, and its whole history as
``ImportedEvent``s in source order. Each event's ``seq`` (1, 2, 3… within the ticket) keeps that order for
updates made in the same minute, as ``AuditEvent.seq`` does: the SLA engine replays by ``(at, seq)``.

The first value of a field is the ``old`` side of its first event, else its last value (``first``), as
``console.sla.store.history_of`` reads an audit trail.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from models import Impact, Priority, TicketStatus, Urgency


class EventKind(enum.StrEnum):
    STATUS = "status"
    PRIORITY = "priority"
    GROUP = "group"
    ASSIGNEE = "assignee"
    COMMENT = "comment"
    WORK_NOTE = "work_note"


CHANGES = (EventKind.PRIORITY, EventKind.GROUP, EventKind.ASSIGNEE, EventKind.STATUS)
"""The fields whose changes are events, in the order one update's changes are numbered."""
NOTES = (EventKind.COMMENT, EventKind.WORK_NOTE)


@dataclass(frozen=True, slots=True)
class ImportedEvent:
    seq: int
    """1, 2, 3… within the ticket, in source order."""
    at: datetime
    """UTC; never before the ticket's creation (clamped to it, and reported, as the SLA engine does)."""
    kind: EventKind
    old: str | None
    """The value before (ours for a status or priority); None for a note, or a field that was empty."""
    new: str | None
    """The value after (ours for a status or priority), or a note's text."""
    actor: str | None = None
    """Who made the change or wrote the note, as the source names them."""
    source_value: str | None = None
    """The source's own word for ``new`` (``Awaiting Problem`` for ``pending_change``), when it had one."""
    row: int = field(default=0, compare=False)
    """The file row it came from (0: none); not part of the event's identity."""


@dataclass(frozen=True, slots=True)
class ImportedTicket:
    source_system: str
    """``servicenow``, ``jira``, or the mapping's name."""
    key: str
    """The source's own number (``INC0000045``, ``SD-123``): the external reference."""
    title: str
    description: str
    status: TicketStatus
    source_status: str
    """The source's word for the status it ends in."""
    priority: Priority
    source_priority: str
    impact: Impact | None
    urgency: Urgency | None
    module: str | None
    unit: str | None
    category: str | None
    reporter: str | None
    assignee: str | None
    group: str | None
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    source_sla_met: bool | None
    """The source's own SLA flag at the end (ServiceNow's ``made_sla``), when the file has one."""
    events: tuple[ImportedEvent, ...] = ()
    row: int = field(default=0, compare=False)
    """The file row of its first line (0: none)."""

    def first(self, kind: EventKind) -> str | None:
        """The field's value when the ticket was created."""
        for event in self.events:
            if event.kind is kind:
                return event.old
        last = {
            EventKind.STATUS: self.status.value,
            EventKind.PRIORITY: self.priority.value,
            EventKind.GROUP: self.group,
            EventKind.ASSIGNEE: self.assignee,
        }
        return last.get(kind)

    def names(self, kind: EventKind) -> list[str]:
        """Every name the ticket gives a group (``GROUP``) or a person (``ASSIGNEE``: reporter, assignees, actors)."""
        found: list[str | None] = []
        if kind is EventKind.GROUP:
            found = [self.group, *(v for e in self.events if e.kind is kind for v in (e.old, e.new))]
        elif kind is EventKind.ASSIGNEE:
            found = [self.reporter, self.assignee, *(e.actor for e in self.events)]
            found += [v for e in self.events if e.kind is kind for v in (e.old, e.new)]
        return [name for name in dict.fromkeys(found) if name]
