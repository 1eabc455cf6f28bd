"""The words of the domain the window shows, in the person's language: a ticket's status, a change's stage, an SLA
clock and its state, a priority, the queue's headings, the fields of a ticket's history, a length of time.

``console/words.py`` and ``console/tickets/queue.py`` write these words once, in English, for the window, the
command line and the report alike; the window translates them where it shows them, through the functions here,
so that one vocabulary serves every screen. A word with two meanings in English is looked up with its context
("Closed": a ticket status or a change stage, which Arabic says differently).

The words of states (statuses, stages, problem statuses, SLA states) are marked for the catalogue where they are
written, in ``console/words.py``, with the contexts ``status``, ``stage``, ``problem_status`` and ``sla_state`` look
them up with: no other module writes them out (tests/unit/test_words.py). The other words console/ writes and the
window shows are listed for the catalogue (``make catalogues``) by ``_marks`` below, until they are marked where
they are written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from console.i18n import _, n_, p_, right_to_left
from console.rows import Cell, text_value
from console.sla.words import CLOCK_HEADINGS, EVIDENCE_HEADINGS, TIMELINE_HEADINGS
from console.tickets.queue import HEADERS, Column
from console.words import (
    FIELD_WORDS,
    PROBLEM_LABELS,
    SLA_STATE_WORDS,
    STAGE_LABELS,
    STATUS_LABELS,
    countdown_said,
    field_word,
    short_duration_said,
)
from console.zone import zoned
from models import (
    ApprovalDecision,
    ChangeStage,
    ChangeType,
    Impact,
    Priority,
    ProblemStatus,
    Role,
    SlaState,
    TicketKind,
    TicketStatus,
    Urgency,
)


def status(value: TicketStatus) -> str:
    """A ticket's status: "In progress"."""
    return p_("ticket status", STATUS_LABELS[value])


def stage(value: ChangeStage) -> str:
    """A change's stage: "Awaiting approval"."""
    return p_("change stage", STAGE_LABELS[value])


def problem_status(value: ProblemStatus) -> str:
    """A problem's status: "Known error"."""
    return p_("problem status", PROBLEM_LABELS[value])


def sla_state(value: SlaState) -> str:
    """An SLA clock's state, in the words of a sentence: "met", "breached", "paused"."""
    return p_("SLA state", SLA_STATE_WORDS[value])


def clock(name: str) -> str:
    """An SLA clock, in the words of a sentence: "response", "resolution"."""
    return p_("SLA clock", name)


def priority(value: Priority) -> str:
    """A priority, as the queue and the ticket show it: "Critical"."""
    return _(value.value.capitalize())


def level(value: str) -> str:
    """An impact or an urgency (``high``, ``medium``, ``low``), in the words of a sentence: "high"."""
    return p_("impact or urgency", value)


def risk(value: str) -> str:
    """A change's risk (``high``, ``medium``, ``low``), in the words of a sentence: "high"."""
    return p_("change risk", value)


def kind(value: TicketKind) -> str:
    """A ticket's kind: "incident", "service request"."""
    return p_("ticket kind", value.value.replace("_", " "))


def change_type(value: ChangeType) -> str:
    """A change's type: "normal", "standard", "emergency"."""
    return p_("change type", value.value)


def decision(value: ApprovalDecision) -> str:
    """An approval's decision: "approved", "rejected", "pending"."""
    return p_("approval decision", value.value)


def role(value: Role) -> str:
    """A person's role: "service desk analyst"."""
    return p_("role", value.value.replace("_", " "))


def heading(column: Column) -> str:
    """A heading of the queue: "Priority" (its own context: a narrow column may want a shorter word)."""
    return p_("queue heading", HEADERS[column])


def field(name: str) -> str:
    """A field of a ticket's history, as its History tab names it: "First response"."""
    return _(field_word(name))


def headings(texts: Iterable[str], zoned_ones: Iterable[str] = ()) -> list[str]:
    """Table headings console/ writes (``console.sla.words``), each in the person's language; those of
    ``zoned_ones`` with the zone their times are in: "Due (Asia/Tehran)"."""
    named = set(zoned_ones)
    return [zoned(_(text)) if text in named else _(text) for text in texts]


def capital(text: str) -> str:
    """A word at the start of a label: "High" in English; Persian and Arabic have no capitals."""
    return text[:1].upper() + text[1:]


def counted(n: int, what: str) -> str:
    """1 ticket, 2 tickets, 1,400 tickets, in the person's language: ``what`` is "ticket" or "change"."""
    if what == "change":
        return n_("{n} change", "{n} changes", n).format(n=f"{n:,}")
    return n_("{n} ticket", "{n} tickets", n).format(n=f"{n:,}")


def duration(value: timedelta) -> str:
    """45m, 3h 12m, 2d 4h: a countdown's length (its sign is the caller's word), in the person's language."""
    return short_duration_said(value)


def countdown(left: timedelta) -> str:
    """A running clock's time to its due moment: "3h 12m left", or past it, "7h 02m overdue"."""
    return countdown_said(left)


LRI, PDI = "\u2066", "\u2069"  # LEFT-TO-RIGHT ISOLATE … POP DIRECTIONAL ISOLATE
_RIGHT_TO_LEFT_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")  # Hebrew, Arabic, Persian


def isolated(text: str) -> str:
    """A text with no Persian or Arabic letter (a date, a time, a number, a ticket's number, an English title) kept
    whole and left to right in a right-to-left cell, label or sentence: wrapped in U+2066 LEFT-TO-RIGHT ISOLATE …
    U+2069 POP DIRECTIONAL ISOLATE. Without it the bidirectional algorithm splits "09 Dec 2026 18:00–21:00" into
    runs a right-to-left line orders from the right ("Dec 2026 18:00–21:00 09"), and "18:00–21:00" reads
    "21:00–18:00". A text with Persian or Arabic letters reads right to left as it is, and English (a left-to-right
    window) needs nothing: both are returned unchanged."""
    if not text or not right_to_left() or text[0] == LRI or _RIGHT_TO_LEFT_LETTER.search(text):
        return text
    return f"{LRI}{text}{PDI}"


def value(cell: Cell) -> str:
    """A value of a table (a ticket's history, its notes) in the person's language: a status, a priority, an
    impact or urgency in their words, a moment, a number and anything else as ``console.rows.text_value`` says it."""
    if isinstance(cell, TicketStatus):
        return status(cell)
    if isinstance(cell, Priority):
        return priority(cell)
    if isinstance(cell, Impact | Urgency):
        return level(cell.value)
    return text_value(cell)


_APPROVALS = re.compile(r"(?P<approved>[\d,]+) of (?P<asked>[\d,]+) approved")


def approvals(said: str, *, short: bool = False) -> str:
    """A change's approvals as ``console.changes.lists`` counts them ("2 of 3 approved"), in the person's language;
    ``short``: "2 of 3", under a heading that says approved."""
    found = _APPROVALS.fullmatch(said)
    if found is None:
        return said
    if short:
        return _("{approved} of {asked}").format(**found.groupdict())
    return _("{approved} of {asked} approved").format(**found.groupdict())


def _marks() -> tuple[str, ...]:  # pragma: no cover - never called: the words above, as `make catalogues` finds them
    """The English words of ``console/words.py`` and ``console/tickets/queue.py`` the functions above translate
    (tests/gui/test_window_languages.py checks that every one of them is in the catalogue)."""
    return (
        p_("SLA clock", "response"),
        p_("SLA clock", "resolution"),
        p_("impact or urgency", "high"),
        p_("impact or urgency", "medium"),
        p_("impact or urgency", "low"),
        p_("change risk", "high"),
        p_("change risk", "medium"),
        p_("change risk", "low"),
        p_("ticket kind", "incident"),
        p_("ticket kind", "service request"),
        p_("change type", "standard"),
        p_("change type", "normal"),
        p_("change type", "emergency"),
        p_("approval decision", "pending"),
        p_("approval decision", "approved"),
        p_("approval decision", "rejected"),
        p_("role", "service desk analyst"),
        p_("role", "functional consultant"),
        p_("role", "technical"),
        p_("role", "super user"),
        p_("role", "support manager"),
        p_("role", "change approver"),
        p_("role", "admin"),
        # the priorities (marked in console/imports/reconcile.py): Critical, High, Medium, Low
        # the queue's headings
        p_("queue heading", "Number"),
        p_("queue heading", "Priority"),
        p_("queue heading", "Title"),
        p_("queue heading", "Status"),
        p_("queue heading", "Unit"),
        p_("queue heading", "Module"),
        p_("queue heading", "Assignee"),
        p_("queue heading", "Group / tier"),
        p_("queue heading", "Age"),
        p_("queue heading", "SLA"),
        # the fields of a ticket's history
        _("Logged"),
        _("Status"),
        _("Priority"),
        _("Assignee"),
        _("Module"),
        _("Title"),
        _("Group"),
        _("Tier"),
        _("Business unit"),
        _("Category"),
        _("Description"),
        _("Impact"),
        _("Urgency"),
        _("Planned release"),
        _("Vendor"),
        _("Vendor reference"),
        _("Problem"),
        _("Change"),
        _("Knowledge article"),
        _("Attachment"),
        _("First response"),
        _("Resolved"),
        _("Closed"),
        _("Times reopened"),
        _("Sync conflict settled"),
        # the headings of a ticket's SLA evidence, its clocks and their timeline (console/sla/words.py)
        _("When"),
        _("Clock"),
        _("What happened"),
        _("Why"),
        _("Business time used so far"),
        _("State"),
        _("Target"),
        _("Business time used"),
        _("Paused"),
        _("Left"),
        _("Due"),
        _("Breached"),
        _("Release"),
        _("At"),
        _("Event"),
        # the charts of the metrics (console/metrics/charts.py: not imported here, it brings matplotlib)
        _("Weekly compliance"),
        _("Compliance by priority"),
        _("Units and modules"),
        _("Backlog age"),
        _("Resolution times"),
    )


STATE_WORDS: dict[str | None, tuple[str, ...]] = {
    "ticket status": tuple(STATUS_LABELS.values()),
    "change stage": tuple(STAGE_LABELS.values()),
    "SLA state": tuple(SLA_STATE_WORDS.values()),
    "problem status": tuple(PROBLEM_LABELS.values()),
}
"""The words of states, by the context the window looks them up with (marked in console/words.py)."""

ALL_WORDS: dict[str | None, tuple[str, ...]] = {
    "queue heading": tuple(HEADERS.values()),
    None: (
        *FIELD_WORDS.values(),
        *EVIDENCE_HEADINGS,
        *CLOCK_HEADINGS,
        *TIMELINE_HEADINGS,
    ),
}
"""The other English words of console/ the functions above translate, by context (each marked in ``_marks``)."""
