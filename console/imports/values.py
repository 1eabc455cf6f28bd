"""The sources' words for states, priorities, impact and urgency, and the rule that maps them to ours.

A mapping's own value maps come first (``Mapping.values``); then the source's vocabulary below; then our own
values and labels (``in_progress``, "In progress"), which every source may use. Words are matched without
regard to case, spacing or a leading number (``3 - Moderate`` is "moderate").

**ServiceNow states** (the incident event log's ``incident_state``, a list export's ``state``), and the rule
for those with no exact match among ours:

=====================  ====================  ==========================================================
ServiceNow             ours                  why
=====================  ====================  ==========================================================
New                    new                   the same
Active, In Progress    in_progress           someone works on it
Awaiting User Info     pending_reporter      waits on the person who reported it
Awaiting Evidence      pending_reporter      the evidence (logs, screenshots) comes from the reporter
Awaiting Vendor        pending_vendor        the same
Awaiting Problem       pending_change        the fix comes with the problem's change; we have no
                                             "pending problem", and a change is what a problem ends in
Awaiting Change        pending_change        the same
On Hold                pending_reporter      ServiceNow's default hold reason is "awaiting caller"
Resolved               resolved              the same
Closed, Canceled       closed                a cancelled incident is closed without a resolution
=====================  ====================  ==========================================================

All three pending statuses pause the SLA clock under the demo's policies (``console.demo.reference
.PAUSE_STATUSES``), as waiting on a user, a vendor or a problem pauses ServiceNow's SLA by default. The
source's own word is kept on the record and on each status event (``source_value``).

**ServiceNow priorities**: ``1 - Critical`` critical, ``2 - High`` high, ``3 - Moderate`` medium, ``4 - Low``
and ``5 - Planning`` low. **Jira**: Highest and Blocker critical, High and Major high, Medium medium, Low,
Lowest, Minor and Trivial low.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from models import Priority, TicketStatus

S = TicketStatus

SERVICENOW_STATES: dict[str, TicketStatus] = {
    "new": S.NEW,
    "active": S.IN_PROGRESS,
    "in progress": S.IN_PROGRESS,
    "work in progress": S.IN_PROGRESS,
    "assigned": S.ASSIGNED,
    "awaiting user info": S.PENDING_REPORTER,
    "awaiting caller": S.PENDING_REPORTER,
    "awaiting evidence": S.PENDING_REPORTER,
    "on hold": S.PENDING_REPORTER,
    "awaiting vendor": S.PENDING_VENDOR,
    "awaiting problem": S.PENDING_CHANGE,
    "awaiting change": S.PENDING_CHANGE,
    "resolved": S.RESOLVED,
    "closed": S.CLOSED,
    "canceled": S.CLOSED,
    "cancelled": S.CLOSED,
    # The stored values, when an export writes them: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.
    "1": S.NEW,
    "2": S.IN_PROGRESS,
    "3": S.PENDING_REPORTER,
    "6": S.RESOLVED,
    "7": S.CLOSED,
    "8": S.CLOSED,
}

JIRA_STATES: dict[str, TicketStatus] = {
    "open": S.NEW,
    "to do": S.NEW,
    "backlog": S.NEW,
    "waiting for support": S.NEW,
    "reopened": S.IN_PROGRESS,
    "in progress": S.IN_PROGRESS,
    "work in progress": S.IN_PROGRESS,
    "investigating": S.IN_PROGRESS,
    "under investigation": S.IN_PROGRESS,
    "escalated": S.IN_PROGRESS,
    "waiting for customer": S.PENDING_REPORTER,
    "pending": S.PENDING_REPORTER,
    "waiting for vendor": S.PENDING_VENDOR,
    "waiting for third party": S.PENDING_VENDOR,
    "waiting for approval": S.PENDING_CHANGE,
    "awaiting cab approval": S.PENDING_CHANGE,
    "awaiting implementation": S.PENDING_CHANGE,
    "resolved": S.RESOLVED,
    "done": S.RESOLVED,
    "completed": S.RESOLVED,
    "fixed": S.RESOLVED,
    "closed": S.CLOSED,
    "canceled": S.CLOSED,
    "cancelled": S.CLOSED,
    "declined": S.CLOSED,
    "won't do": S.CLOSED,
}

PRIORITY_WORDS: dict[str, Priority] = {
    "critical": Priority.CRITICAL,
    "highest": Priority.CRITICAL,
    "blocker": Priority.CRITICAL,
    "urgent": Priority.CRITICAL,
    "high": Priority.HIGH,
    "major": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "moderate": Priority.MEDIUM,
    "normal": Priority.MEDIUM,
    "low": Priority.LOW,
    "lowest": Priority.LOW,
    "minor": Priority.LOW,
    "trivial": Priority.LOW,
    "planning": Priority.LOW,
    "1": Priority.CRITICAL,
    "2": Priority.HIGH,
    "3": Priority.MEDIUM,
    "4": Priority.LOW,
    "5": Priority.LOW,
}

LEVEL_WORDS: dict[str, str] = {
    "high": "high",
    "extensive": "high",
    "critical": "high",
    "medium": "medium",
    "moderate": "medium",
    "significant": "medium",
    "low": "low",
    "minor": "low",
    "1": "high",
    "2": "medium",
    "3": "low",
}

OUR_STATES: dict[str, TicketStatus] = {  # ``in_progress``, and as the window writes it, "In progress"
    **{status.value: status for status in TicketStatus},
    **{status.value.replace("_", " "): status for status in TicketStatus},
}

_NUMBERED = re.compile(r"^\d+\s*-\s*(?=\S)")


def word_key(text: str) -> str:
    """A source word as the maps are keyed: case and spacing ignored, ``3 - Moderate`` is ``moderate``."""
    return " ".join(_NUMBERED.sub("", text.strip()).casefold().split())


def status_of(text: str, own: Mapping[str, str], vocabulary: Mapping[str, TicketStatus]) -> TicketStatus | None:
    """Our status for a source's word, or None when nothing maps it."""
    for key in (text.strip().casefold(), word_key(text)):
        if key in own:
            return TicketStatus(own[key])
    key = word_key(text)
    return vocabulary.get(key) or OUR_STATES.get(key)


def priority_of(text: str, own: Mapping[str, str]) -> Priority | None:
    """Our priority for a source's word (``1 - Critical``, ``Highest``, ``P2``…), or None."""
    for key in (text.strip().casefold(), word_key(text)):
        if key in own:
            return Priority(own[key])
    key = word_key(text)
    if re.fullmatch(r"p[1-5]", key):
        key = key[1:]
    return PRIORITY_WORDS.get(key)


def level_of(text: str, own: Mapping[str, str]) -> str | None:
    """Our impact or urgency (``high``, ``medium``, ``low``) for a source's word (``1 - High``), or None."""
    for key in (text.strip().casefold(), word_key(text)):
        if key in own:
            return own[key]
    return LEVEL_WORDS.get(word_key(text))


TRUE_WORDS = frozenset({"true", "yes", "y", "1", "met", "made", "within sla", "achieved"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "breached", "missed", "not met", "failed"})


def flag_of(text: str) -> bool | None:
    """A source's SLA flag (``true``/``false``, ``yes``/``no``, ``met``/``breached``), or None when unknown."""
    key = word_key(text)
    return True if key in TRUE_WORDS else False if key in FALSE_WORDS else None
