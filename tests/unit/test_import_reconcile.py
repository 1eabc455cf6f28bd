"""SLA reconciliation: our engine's outcome against the source's flag, per priority, each disagreement explained."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from console.imports import EventKind, ImportedEvent, ImportedTicket, ImportFile, engine_changes, reconcile
from console.imports.reconcile import Reason
from console.sla import History, Policy, ReleaseDue, SlaResult, Target, WorkingCalendar, evaluate
from console.sla.store import UnjudgedSla
from models import Priority, TicketStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
DUBAI = ZoneInfo("Asia/Dubai")
H = timedelta(hours=1)
OFFICE = WorkingCalendar.weekly("Asia/Dubai", [(d, time(8), time(17)) for d in range(5)])
POLICY = Policy(
    "test",
    {
        Priority.CRITICAL: Target(timedelta(minutes=15), 4 * H, around_the_clock=True),
        Priority.HIGH: Target(2 * H, 24 * H),
        Priority.MEDIUM: Target(8 * H, 24 * H),
        Priority.LOW: Target(16 * H, None),
    },
    frozenset({"pending_reporter", "pending_vendor", "pending_change"}),
)
NOW = datetime(2024, 4, 1, tzinfo=UTC)  # long after every ticket below: a fixed "now", not the wall clock
RELEASE = ReleaseDue("R2024.2", datetime(2024, 3, 15, 12, tzinfo=UTC))


def judge(ticket: ImportedTicket) -> SlaResult:
    """The engine on the ticket's history, as the workspace judge does; Low is due with ``RELEASE`` when the
    ticket's module is ``FIN``; a ticket of module ``BAD`` cannot be judged."""
    if ticket.module == "BAD":
        raise UnjudgedSla(f"The SLA of {ticket.key} cannot be judged: a test says so.")
    history = History(
        ticket.created_at,
        ticket.first(EventKind.PRIORITY) or ticket.priority.value,
        engine_changes(ticket),
        ticket.first(EventKind.STATUS) or ticket.status.value,
    )
    release = RELEASE if ticket.module == "FIN" else None
    return evaluate(history, POLICY, OFFICE, NOW, release)


def dubai(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of Monday 4 March 2024, Dubai time."""
    return datetime(2024, 3, 4, hour, minute, tzinfo=DUBAI) + timedelta(days=day)


def ticket(
    key: str,
    priority: Priority,
    created: datetime,
    statuses: list[tuple[datetime, TicketStatus]],
    source_met: bool | None,
    module: str | None = None,
) -> ImportedTicket:
    events, old = [], TicketStatus.NEW
    for seq, (at, status) in enumerate(statuses, 1):
        events.append(ImportedEvent(seq, at.astimezone(UTC), EventKind.STATUS, old.value, status.value))
        old = status
    resolved = next((at for at, s in reversed(statuses) if s is TicketStatus.RESOLVED), None)
    return ImportedTicket(
        "servicenow", key, key, "", old, old.value, priority, priority.value, None, None, module, None, None, None,
        None, None, created.astimezone(UTC), resolved, None, 0, source_met, tuple(events),
    )  # fmt: skip


S = TicketStatus
WORK = S.IN_PROGRESS
TICKETS = [
    # agrees: resolved in an hour of working time, the source says met
    ticket("INC1", Priority.HIGH, dubai(0, 9), [(dubai(0, 9, 30), WORK), (dubai(0, 10), S.RESOLVED)], True),
    # paused three days waiting on the reporter: within our target, not within the source's
    ticket(
        "INC2",
        Priority.HIGH,
        dubai(0, 9),
        [(dubai(0, 9, 5), WORK), (dubai(0, 10), S.PENDING_REPORTER), (dubai(3, 10), WORK), (dubai(3, 12), S.RESOLVED)],
        False,
    ),
    # Friday 16:00 to Tuesday 12:00: 14 working hours, 3 days 20 h on the wall clock
    ticket("INC3", Priority.MEDIUM, dubai(4, 16), [(dubai(4, 16, 30), WORK), (dubai(8, 12), S.RESOLVED)], False),
    # Monday 08:00 to Thursday 17:00: 36 working hours against our 24; the source's target is longer
    ticket("INC4", Priority.HIGH, dubai(0, 8), [(dubai(0, 8, 10), WORK), (dubai(3, 17), S.RESOLVED)], True),
    # still open in the file: our clock runs on to now
    ticket("INC5", Priority.CRITICAL, dubai(1, 9), [(dubai(1, 9, 5), WORK)], True),
    # Low, due with release R2024.2: resolved before it, the source counted time and said breached
    ticket("INC6", Priority.LOW, dubai(0, 9), [(dubai(0, 9, 5), WORK), (dubai(7, 9), S.RESOLVED)], False, "FIN"),
    # Low with no release planned: no target of time, not compared
    ticket("INC7", Priority.LOW, dubai(0, 9), [(dubai(0, 9, 5), WORK), (dubai(7, 9), S.RESOLVED)], True),
    # no flag in the source: judged, counted, not compared
    ticket("INC8", Priority.MEDIUM, dubai(0, 9), [(dubai(0, 9, 5), WORK), (dubai(0, 11), S.RESOLVED)], None),
    # cannot be judged
    ticket("INC9", Priority.MEDIUM, dubai(0, 9), [], True, "BAD"),
]


def test_each_disagreement_is_explained_by_the_first_reason_that_fits() -> None:
    found = reconcile(TICKETS, judge)
    reasons = {d.key: (d.reason, d.source_met, d.we_met) for d in found.disagreements}
    assert reasons == {
        "INC2": (Reason.PAUSED, False, True),
        "INC3": (Reason.BUSINESS_HOURS, False, True),
        "INC4": (Reason.TARGET, True, False),
        "INC5": (Reason.NO_RESOLUTION, True, False),
        "INC6": (Reason.RELEASE, False, True),
    }
    words = {d.key: d.words for d in found.disagreements}
    assert words["INC2"] == (
        "Our clock paused for 72 h while the ticket waited (pending statuses); it used 3 h of 24 h, and "
        "counting the wait it would have breached."
    )
    assert words["INC3"] == (
        "We count working hours of the unit's calendar: 14 h of working time against a target of 24 h, but "
        "92 h on the wall clock."
    )
    assert words["INC4"] == "It used 36 h of our target of 24 h for High; the source's target or its clock differ."
    assert words["INC5"].startswith("The file gives no resolution time: the ticket is still in_progress, so our clock")
    assert "as of 01 Apr 2024 00:00 UTC it has used 643 h of its target of 4 h" in words["INC5"]
    assert words["INC6"] == (
        "Low is due with release R2024.2 (15 Mar 2024 12:00 UTC); resolved 11 Mar 2024 05:00 UTC. The source counts "
        "time instead."
    )
    assert found.unjudged == ["The SLA of INC9 cannot be judged: a test says so."]


def test_the_table_per_priority_in_severity_order_with_the_total() -> None:
    found = reconcile(TICKETS, judge)
    rows = {line.priority: line for line in found.rows()[:-1]}
    assert list(rows) == [Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW]
    high = rows[Priority.HIGH]
    assert (high.tickets, high.flagged, high.source_met, high.we_met, high.agree) == (3, 3, 2, 2, 1)
    medium = rows[Priority.MEDIUM]
    assert (medium.tickets, medium.flagged, medium.source_met, medium.we_met, medium.agree) == (3, 1, 0, 2, 0)
    low = rows[Priority.LOW]
    assert (low.tickets, low.flagged, low.not_timed, low.agree) == (2, 1, 1, 0)
    headings, lines = found.table()
    assert headings == ["Priority", "Tickets", "Compared", "Source says met", "We say met", "Agree", "Agree %"]
    assert lines == [
        ["Critical", "1", "1", "1", "0", "0", "0.0"],
        ["High", "3", "3", "2", "2", "1", "33.3"],
        ["Medium", "3", "1", "0", "2", "0", "0.0"],
        ["Low", "2", "1", "0", "1", "0", "0.0"],
        ["All", "9", "6", "3", "5", "1", "16.7"],
    ]


def test_a_sample_of_disagreements_per_priority() -> None:
    many = [
        ticket(f"INC{n}", Priority.HIGH, dubai(0, 8), [(dubai(0, 8, 10), WORK), (dubai(3, 17), S.RESOLVED)], True)
        for n in range(10)
    ]
    found = reconcile(many, judge, sample=3)
    assert [d.key for d in found.disagreements] == ["INC0", "INC1", "INC2"]
    assert found.rows()[0].flagged == 10


def test_the_servicenow_event_log_reconciled() -> None:
    tickets = list(ImportFile(FIXTURES / "servicenow_events.csv", time_zone="Asia/Dubai").read())
    found = reconcile(tickets, judge)
    outcome = {d.key: d.reason for d in found.disagreements}
    # INC0000045 (Medium) paused for the user and met, as the source says; INC0000047 (High) took 28 working hours
    # of 24, as the source says; INC0000050 (Low) has no release; INC0000052 (Critical) is still open.
    assert outcome == {"INC0000052": Reason.NO_RESOLUTION}
    assert [(line.priority, line.agree, line.flagged) for line in found.rows()] == [
        (Priority.CRITICAL, 0, 1),
        (Priority.HIGH, 1, 1),
        (Priority.MEDIUM, 1, 1),
        (Priority.LOW, 0, 0),
        (Priority.LOW, 2, 3),  # the total
    ]
