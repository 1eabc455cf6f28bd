"""The words a person reads for the states of things — a ticket's status, an SLA clock's state, a change's
stage — and for counts of things: one vocabulary for the window, the command line, the CSV files and the
report. Kept below every feature (it imports only the models and ``console.i18n``), so every screen and file
says a state the same way. Machine formats (JSON, the database, the command line's choices) keep the enums'
values; whatever a person reads takes its words from here, and no other module defines a word for a state.

The tables keep their words in English (the command line, the CSV files and the report print them so) and mark
them for the catalogue with the context the window translates them by (``views.words``): "Closed" is a ticket
status, a change stage and a problem status, each with its own translation.

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

from console import i18n
from console.i18n import _
from models import ArticleStatus, Audience, ChangeStage, Priority, ProblemStatus, SlaState, TicketStatus

S = TicketStatus


def p_(context: str, text: str) -> str:
    """Only marks a word for the catalogue, with the context the window looks it up by (``views.words``): the tables
    below keep their words in English, as the command line, the CSV files and the report print them, and the window
    translates a word where it shows it (``console.i18n.p_``). A word with two meanings ("Closed": a ticket's status,
    a change's stage, a problem's status) has a translation for each."""
    return text


STATUS_LABELS = {
    S.NEW: p_("ticket status", "New"),
    S.ASSIGNED: p_("ticket status", "Assigned"),
    S.IN_PROGRESS: p_("ticket status", "In progress"),
    S.PENDING_REPORTER: p_("ticket status", "Pending reporter"),
    S.PENDING_VENDOR: p_("ticket status", "Pending vendor"),
    S.PENDING_CHANGE: p_("ticket status", "Pending change"),
    S.RESOLVED: p_("ticket status", "Resolved"),
    S.CLOSED: p_("ticket status", "Closed"),
}

PROBLEM_LABELS = {
    ProblemStatus.NEW: p_("problem status", "New"),
    ProblemStatus.INVESTIGATING: p_("problem status", "Investigating"),
    ProblemStatus.ROOT_CAUSE_KNOWN: p_("problem status", "Root cause known"),
    ProblemStatus.KNOWN_ERROR: p_("problem status", "Known error"),
    ProblemStatus.FIX_IN_CHANGE: p_("problem status", "Fix in change"),
    ProblemStatus.RESOLVED: p_("problem status", "Resolved"),
    ProblemStatus.CLOSED: p_("problem status", "Closed"),
}

ARTICLE_LABELS = {
    ArticleStatus.DRAFT: p_("article status", "Draft"),
    ArticleStatus.IN_REVIEW: p_("article status", "In review"),
    ArticleStatus.PUBLISHED: p_("article status", "Published"),
    ArticleStatus.RETIRED: p_("article status", "Retired"),
}

AUDIENCE_LABELS = {
    Audience.INTERNAL: p_("article audience", "Support"),
    Audience.TIER0: p_("article audience", "End users (tier 0)"),
}

STAGE_LABELS = {
    ChangeStage.DRAFT: p_("change stage", "Draft"),
    ChangeStage.ASSESSMENT: p_("change stage", "Assessment"),
    ChangeStage.AWAITING_APPROVAL: p_("change stage", "Awaiting approval"),
    ChangeStage.APPROVED: p_("change stage", "Approved"),
    ChangeStage.IMPLEMENTING_TEST: p_("change stage", "Implementing in test"),
    ChangeStage.TEST_PASSED: p_("change stage", "Test passed"),
    ChangeStage.SCHEDULED: p_("change stage", "Scheduled for production"),
    ChangeStage.IMPLEMENTED: p_("change stage", "Implemented"),
    ChangeStage.CLOSED: p_("change stage", "Closed"),
    ChangeStage.REJECTED: p_("change stage", "Rejected"),
    ChangeStage.CANCELLED: p_("change stage", "Cancelled"),
    ChangeStage.FAILED: p_("change stage", "Failed"),
}

SLA_STATE_WORDS = {
    SlaState.MET: p_("SLA state", "met"),
    SlaState.MISSED: p_("SLA state", "breached"),  # stopped after its due time
    SlaState.BREACHED: p_("SLA state", "breached"),  # past its due time, still running
    SlaState.RUNNING: p_("SLA state", "running"),
    SlaState.WARNING: p_("SLA state", "due soon"),  # running, past its warning mark
    SlaState.PAUSED: p_("SLA state", "paused"),
    SlaState.NOT_TIMED: p_("SLA state", "next release"),
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
    "body": "Text",  # an article's
    "reviewer": "Reviewer",
    "audience": "Audience",
    "language": "Language",
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
    if isinstance(value, ProblemStatus):
        return PROBLEM_LABELS[value]
    if isinstance(value, ArticleStatus):
        return ARTICLE_LABELS[value]
    if isinstance(value, Audience):
        return AUDIENCE_LABELS[value]
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


def short_duration_said(value: timedelta) -> str:
    """``short_duration`` in the person's language (the window's chips and cells): "3h 12m", "۳ ساعت ۱۲ دقیقه"."""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("{days}d {hours}h").format(days=days, hours=hours)
    if hours:
        return _("{hours}h {minutes}m").format(hours=hours, minutes=f"{minutes:02d}")
    return _("{minutes}m").format(minutes=minutes)


def countdown_said(left: timedelta) -> str:
    """``countdown`` in the person's language: "3h 12m left", "7h 02m overdue"."""
    if left > timedelta():
        return _("{duration} left").format(duration=short_duration_said(left))
    return _("{duration} overdue").format(duration=short_duration_said(left))


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """1 ticket, 2 tickets, 1,400 tickets, 0 tickets; ``plural`` when adding an s will not do (1 breach, 2 breaches)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


TOOL_NAMES = {"servicenow": "ServiceNow", "jira": "Jira Service Management", "support-console": "Support Console"}
"""The tools tickets are imported from, by the name their import gives them (a mapping's own name stays as it is)."""


def tool_name(source: str) -> str:
    return TOOL_NAMES.get(source, source)


def problem_word(status: ProblemStatus) -> str:
    return PROBLEM_LABELS[status]


def article_word(status: ArticleStatus) -> str:
    return ARTICLE_LABELS[status]


def said(status: ProblemStatus | ArticleStatus) -> str:
    """A problem's or an article's status inside a sentence the catalogue translates (a refusal): in the person's
    language, as the window shows it."""
    if isinstance(status, ProblemStatus):
        return i18n.p_("problem status", PROBLEM_LABELS[status])
    return i18n.p_("article status", ARTICLE_LABELS[status])


def audience_word(audience: Audience) -> str:
    return AUDIENCE_LABELS[audience]
