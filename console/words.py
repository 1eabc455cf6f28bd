"""The words a person reads for the states of things — a ticket's status, an SLA clock's state, a change's
stage — and for counts of things: one vocabulary for the window, the command line, the CSV files and the
report. Kept below every feature (it imports only the models), so every screen and file says a state the
same way. Machine formats (JSON, the database, the command line's choices) keep the enums' values; whatever
a person reads takes its words from here, and no other module defines a word for a state.

One thing, one name:

- **breached**: an SLA clock that has passed its due time. The SLA broke at that moment, whether the clock
  still runs (``SlaState.BREACHED``) or has stopped since (``SlaState.MISSED``), so both read "breached"; a
  stopped one reads "met" or "breached", never "missed". It is the word of the service-management trade (an
  SLA breach), of the report's breach list, the queue's "Breaching in 4 h" and the ``breached_at`` moments.
  "Overdue" is no state: it is the countdown's word for time past the due moment ("7h 02m overdue"), as
  "left" is for time before it ("3h 12m left").
- **next release**: a resolution clock due with its module's next release, none planned yet
  (``SlaState.NOT_TIMED``), as the SLA policy says it ("Low: 2 days / next release").
- a change's stage and a ticket's status: capitalised words, "Awaiting approval", "In progress".
"""

from __future__ import annotations

import enum
from datetime import timedelta

from models import ChangeStage, Priority, SlaState, TicketStatus

S = TicketStatus

STATUS_LABELS = {
    S.NEW: "New",
    S.ASSIGNED: "Assigned",
    S.IN_PROGRESS: "In progress",
    S.PENDING_REPORTER: "Pending reporter",
    S.PENDING_VENDOR: "Pending vendor",
    S.PENDING_CHANGE: "Pending change",
    S.RESOLVED: "Resolved",
    S.CLOSED: "Closed",
}

STAGE_LABELS = {
    ChangeStage.DRAFT: "Draft",
    ChangeStage.ASSESSMENT: "Assessment",
    ChangeStage.AWAITING_APPROVAL: "Awaiting approval",
    ChangeStage.APPROVED: "Approved",
    ChangeStage.IMPLEMENTING_TEST: "Implementing in test",
    ChangeStage.TEST_PASSED: "Test passed",
    ChangeStage.SCHEDULED: "Scheduled for production",
    ChangeStage.IMPLEMENTED: "Implemented",
    ChangeStage.CLOSED: "Closed",
    ChangeStage.REJECTED: "Rejected",
    ChangeStage.CANCELLED: "Cancelled",
    ChangeStage.FAILED: "Failed",
}

SLA_STATE_WORDS = {
    SlaState.MET: "met",
    SlaState.MISSED: "breached",  # stopped after its due time
    SlaState.BREACHED: "breached",  # past its due time, still running
    SlaState.RUNNING: "running",
    SlaState.WARNING: "due soon",  # running, past its warning mark
    SlaState.PAUSED: "paused",
    SlaState.NOT_TIMED: "next release",
}


# The fields of a ticket's history, as its History tab and ``ticket show`` name them.
FIELD_WORDS = {
    "logged": "Logged",
    "status": "Status",
    "priority": "Priority",
    "assignee": "Assignee",
    "group": "Group",
    "tier": "Tier",
    "module": "Module",
    "business_unit": "Business unit",
    "category": "Category",
    "title": "Title",
    "description": "Description",
    "impact": "Impact",
    "urgency": "Urgency",
    "planned_release": "Planned release",
    "vendor": "Vendor",
    "vendor_reference": "Vendor reference",
    "problem": "Problem",
    "change": "Change",
    "article": "Knowledge article",
    "attachment": "Attachment",
    "first_response_at": "First response",
    "resolved_at": "Resolved",
    "closed_at": "Closed",
    "reopen_count": "Times reopened",
    "conflict_resolved": "Sync conflict settled",
}


def field_word(field: str) -> str:
    """A history field as a person reads it ("first_response_at": "First response")."""
    return FIELD_WORDS.get(field) or field.replace("_", " ").capitalize()


def word(value: object) -> str:
    """The word a person reads for a value: a status, a stage or an SLA state as above, a priority capitalised; any
    other enum its value with spaces (``normal``, ``high``); anything else as text."""
    if isinstance(value, TicketStatus):
        return STATUS_LABELS[value]
    if isinstance(value, ChangeStage):
        return STAGE_LABELS[value]
    if isinstance(value, SlaState):
        return SLA_STATE_WORDS[value]
    if isinstance(value, Priority):  # as the window shows it, in the queue and the ticket
        return value.value.capitalize()
    if isinstance(value, enum.Enum):
        return str(value.value).replace("_", " ")
    return str(value)


def short_duration(value: timedelta) -> str:
    """45m, 3h 12m, 2d 4h: a countdown's length (its sign is the caller's word)."""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def countdown(left: timedelta) -> str:
    """A running clock's time to its due moment: "3h 12m left", or past it, "7h 02m overdue"."""
    return f"{short_duration(left)} left" if left > timedelta() else f"{short_duration(left)} overdue"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """1 ticket, 2 tickets, 1,400 tickets, 0 tickets; ``plural`` when adding an s will not do (1 breach, 2 breaches)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


TOOL_NAMES = {"servicenow": "ServiceNow", "jira": "Jira Service Management", "support-console": "Support Console"}
"""The tools tickets are imported from, by the name their import gives them (a mapping's own name stays as it is)."""


def tool_name(source: str) -> str:
    return TOOL_NAMES.get(source, source)
