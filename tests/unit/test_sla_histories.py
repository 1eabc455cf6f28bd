"""The SLA engine on histories as a real service desk exports them: skewed clocks, ties, bad values."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sla import Change, Clock, EventKind, History, Policy, SlaResult, Target, WorkingCalendar, evaluate
from console.sla.engine import HistoryError, PolicyError
from models import Priority, SlaState

LONDON = ZoneInfo("Europe/London")
OFFICE = WorkingCalendar.weekly("Europe/London", [(d, time(9), time(17)) for d in range(5)])
ALWAYS = WorkingCalendar.always()
PAUSES = frozenset({"pending_reporter", "pending_vendor", "pending_change"})
H = timedelta(hours=1)
KNOWN_STATUSES = "new, assigned, in_progress, pending_reporter, pending_vendor, pending_change, resolved, closed"


def policy(name: str = "standard") -> Policy:
    return Policy(
        name,
        {
            Priority.CRITICAL: Target(timedelta(minutes=15), 4 * H, around_the_clock=True),
            Priority.HIGH: Target(2 * H, 16 * H),
            Priority.MEDIUM: Target(8 * H, 24 * H),
            Priority.LOW: Target(16 * H, None),
        },
        PAUSES,
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 23 November 2026, London time."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=LONDON) + timedelta(days=day)


def status(when: datetime, value: str, seq: int = 0) -> Change:
    return Change(when, "status", value, seq=seq)


# --- 1. a change dated before the ticket was created ---------------------------------------


def test_a_change_before_creation_counts_as_made_at_creation() -> None:
    created = at(0, 10)
    history = History(created, "critical", [status(at(0, 9), "pending_vendor", 1), status(at(0, 11), "in_progress", 2)])
    result = evaluate(history, policy(), OFFICE, now=at(0, 12))
    assert result.response.stopped_at == created  # support acted "before" logging: at logging, then
    assert result.response.used == timedelta()
    assert result.resolution.paused == H  # 10:00-11:00, not from 09:00
    assert result.resolution.used == H
    assert [(e.at, e.kind) for e in result.timeline if e.clock is Clock.RESOLUTION] == [
        (created, EventKind.START),
        (created, EventKind.PAUSE),
        (at(0, 11), EventKind.RESUME),
    ]


def test_a_change_before_creation_never_gives_negative_pause_or_more_than_wall_time() -> None:
    created = at(0, 10)
    history = History(created, "critical", [status(at(0, 9), "in_progress")], status="pending_vendor")
    result = evaluate(history, policy(), OFFICE, now=at(0, 12))
    assert result.resolution.paused == timedelta()
    assert result.resolution.used == 2 * H  # 10:00 to 12:00, the wall time since logging


# --- 2. changes at the same instant --------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "state", "used"),
    [
        ("in_progress", "resolved", SlaState.MET, H),
        ("resolved", "in_progress", SlaState.RUNNING, 3 * H),  # resolved and reopened at once: still running
    ],
)
def test_changes_at_the_same_instant_are_applied_in_seq_order(
    first: str, then: str, state: SlaState, used: timedelta
) -> None:
    same = at(0, 10)
    rows = [status(same, then, seq=8), status(same, first, seq=7)]  # exported out of order
    for changes in (rows, rows[::-1]):
        result = evaluate(History(at(0, 9), "medium", changes), policy(), OFFICE, now=at(0, 12))
        assert result.resolution.state is state
        assert result.resolution.used == used


def test_a_priority_change_at_the_same_instant_follows_seq_too() -> None:
    same = at(0, 10)
    rows = [Change(same, "priority", "low", seq=2), Change(same, "priority", "high", seq=1)]
    assert evaluate(History(at(0, 9), "medium", rows), policy(), OFFICE, now=at(0, 12)).priority == "low"


# --- 3. values the engine does not know ----------------------------------------------------


@pytest.mark.parametrize("value", ["Resolved", "bogus", ""])
def test_an_unknown_status_in_a_change_is_refused_naming_it_and_the_known_ones(value: str) -> None:
    history = History(at(0, 9), "medium", [status(at(0, 10), "assigned", 1), status(at(0, 11), value, 2)])
    with pytest.raises(HistoryError) as caught:
        evaluate(history, policy(), OFFICE, now=at(0, 12))
    message = str(caught.value)
    assert f"unknown status {value!r} in the status change at 2026-11-23 11:00:00+00:00 (seq 2)" in message
    assert message.endswith(f"a ticket's status is one of: {KNOWN_STATUSES}")
    assert "TicketStatus" not in message
    assert ("lower-case" in message) is (value == "Resolved")


def test_an_unknown_status_is_refused_even_after_now_and_as_the_first_status() -> None:
    later = History(at(0, 9), "medium", [status(at(3, 10), "bogus")])
    with pytest.raises(HistoryError, match="unknown status 'bogus'"):
        evaluate(later, policy(), OFFICE, now=at(0, 12))
    first = History(at(0, 9), "medium", status="Open")
    with pytest.raises(HistoryError, match=r"unknown status 'Open' as the first status; a ticket's status is one of"):
        evaluate(first, policy(), OFFICE, now=at(0, 12))


def test_an_unknown_priority_is_refused_first_or_in_the_middle() -> None:
    with pytest.raises(HistoryError) as caught:
        evaluate(History(at(0, 9), "P1"), policy(), OFFICE, now=at(0, 12))
    assert str(caught.value) == (
        "unknown priority 'P1' as the first priority; a ticket's priority is one of: critical, high, medium, low"
    )
    middle = [Change(at(0, 10), "priority", "Urgent", seq=4), Change(at(0, 11), "priority", "high", seq=5)]
    with pytest.raises(HistoryError) as caught:
        evaluate(History(at(0, 9), "medium", middle), policy(), OFFICE, now=at(0, 12))
    assert "unknown priority 'Urgent' in the priority change at 2026-11-23 10:00:00+00:00 (seq 4)" in str(caught.value)


# --- 4. naive and aware datetimes ------------------------------------------------------------


NAIVE = datetime(2026, 11, 23, 10, 0)


@pytest.mark.parametrize(
    ("history", "now", "named"),
    [
        (History(NAIVE, "medium"), at(0, 12), "created_at"),
        (History(at(0, 9), "medium"), NAIVE, "now"),
        (
            History(at(0, 9), "medium", [status(at(0, 10), "assigned"), status(NAIVE, "resolved")]),
            at(0, 12),
            "1 of 2 changes (the first: status to 'resolved' at 2026-11-23 10:00:00)",
        ),
    ],
)
def test_a_naive_datetime_mixed_with_aware_ones_is_refused_clearly(history: History, now: datetime, named: str) -> None:
    with pytest.raises(HistoryError) as caught:
        evaluate(history, policy(), OFFICE, now)
    assert str(caught.value) == (
        f"naive datetime in {named}: the SLA engine needs time-zone aware datetimes (any zone)"
    )
    assert not isinstance(caught.value, TypeError)


def test_aware_datetimes_in_any_zone_mix_freely() -> None:
    tehran = ZoneInfo("Asia/Tehran")
    history = History(at(0, 9), "medium", [status(at(0, 10).astimezone(tehran), "assigned")])
    in_london = evaluate(history, policy(), OFFICE, now=at(0, 12))
    in_utc = evaluate(history, policy(), OFFICE, now=at(0, 12).astimezone(UTC))
    assert in_london == in_utc
    assert in_utc.response.used == H


# --- 5. now before the ticket was created ------------------------------------------------------


def test_now_before_creation_is_a_running_clock_with_nothing_used() -> None:
    created = at(0, 10)
    history = History(created, "medium", [status(at(0, 8), "in_progress"), status(at(0, 11), "resolved")])
    result = evaluate(history, policy(), OFFICE, now=at(0, 9))
    for clock, target in ((result.response, 8 * H), (result.resolution, 24 * H)):
        assert clock.state is SlaState.RUNNING
        assert clock.used == clock.paused == timedelta()
        assert clock.left == target
        assert clock.due_at == OFFICE.add(created, target)
    assert result.response.due_at == at(1, 10)  # 7 h on Monday from 10:00, 1 h on Tuesday
    critical = evaluate(History(created, "critical"), policy(), OFFICE, now=at(0, 9))
    assert critical.response.due_at == created + timedelta(minutes=15)


# --- 6. a policy without the ticket's priority ---------------------------------------------------


def test_a_policy_without_the_tickets_priority_names_both() -> None:
    partial = Policy("Finance EMEA", {Priority.CRITICAL: Target(H, 4 * H), Priority.MEDIUM: Target(H, 8 * H)}, PAUSES)
    expected = "SLA policy 'Finance EMEA' has no target for priority 'low'; it has targets for: critical, medium"
    with pytest.raises(PolicyError) as caught:
        evaluate(History(at(0, 9), "low"), partial, OFFICE, now=at(0, 12))
    assert str(caught.value) == expected
    lowered = History(at(0, 9), "medium", [Change(at(0, 10), "priority", "low")])
    with pytest.raises(PolicyError, match="no target for priority 'low'"):
        evaluate(lowered, partial, OFFICE, now=at(0, 12))
    assert evaluate(lowered, partial, OFFICE, now=at(0, 9, 30)).priority == "medium"  # lowered after now
    with pytest.raises(PolicyError, match="it has targets for: none"):
        evaluate(History(at(0, 9), "medium"), Policy("empty", {}, PAUSES), OFFICE, now=at(0, 12))


# --- properties over messy histories -------------------------------------------------------------

WEEK_START = at(0, 0)
ALL_STATUSES = ["new", "assigned", "in_progress", "pending_reporter", "pending_vendor", "pending_change",
                "resolved", "closed"]  # fmt: skip
created_moments = st.integers(min_value=0, max_value=14 * 24 * 60).map(lambda m: WEEK_START + timedelta(minutes=m))
# A few offsets recur so that rows share timestamps; negative ones are dated before creation.
offsets = st.one_of(
    st.sampled_from([-90, 0, 30, 60, 24 * 60]), st.integers(min_value=-3 * 24 * 60, max_value=10 * 24 * 60)
)
rows = st.one_of(
    st.tuples(st.just("status"), st.sampled_from(ALL_STATUSES)),
    st.tuples(st.just("priority"), st.sampled_from([p.value for p in Priority])),
)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A ticket's rows as exported: any order, ties, skew, reopening; seq distinct within the ticket."""
    created = draw(created_moments)
    steps = draw(st.lists(st.tuples(offsets, rows), max_size=12))
    seqs = draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=len(steps), max_size=len(steps),
                         unique=True))  # fmt: skip
    changes = [
        Change(created + timedelta(minutes=m), field, value, seq=seq)
        for (m, (field, value)), seq in zip(steps, seqs, strict=True)
    ]
    first_status = draw(st.sampled_from(["new", "new", "new", "assigned", "pending_reporter", "resolved"]))
    return History(created, draw(st.sampled_from([p.value for p in Priority])), changes, first_status)


nows = st.integers(min_value=-24 * 60, max_value=20 * 24 * 60)
calendars = st.sampled_from([ALWAYS, OFFICE])


def _sane(result: SlaResult, history: History, now: datetime) -> None:
    wall = max(now - history.created_at, timedelta())
    for clock in (result.response, result.resolution):
        assert clock.used >= timedelta()
        assert clock.paused >= timedelta()
        assert clock.used + clock.paused <= wall
        if clock.stopped_at is not None:
            assert history.created_at <= clock.stopped_at <= max(now, history.created_at)
    assert all(event.at >= history.created_at for event in result.timeline)


@settings(max_examples=300, deadline=None)
@given(histories(), nows, calendars)
def test_clocks_never_run_backwards_nor_past_the_wall_clock(
    history: History, minutes: int, calendar: WorkingCalendar
) -> None:
    now = history.created_at + timedelta(minutes=minutes)
    _sane(evaluate(history, policy(), calendar, now), history, now)


@settings(max_examples=300, deadline=None)
@given(histories(), nows, calendars, st.data())
def test_the_order_rows_arrive_in_does_not_matter(
    history: History, minutes: int, calendar: WorkingCalendar, data: st.DataObject
) -> None:
    now = history.created_at + timedelta(minutes=minutes)
    shuffled = History(
        history.created_at, history.priority, data.draw(st.permutations(history.changes)), history.status
    )
    assert evaluate(shuffled, policy(), calendar, now) == evaluate(history, policy(), calendar, now)


@settings(max_examples=150, deadline=None)
@given(histories(), nows)
def test_a_row_dated_before_creation_is_the_same_row_at_creation(history: History, minutes: int) -> None:
    now = history.created_at + timedelta(minutes=minutes)
    clamped = History(
        history.created_at,
        history.priority,
        [Change(max(c.at, history.created_at), c.field, c.value, c.old, c.seq) for c in history.changes],
        history.status,
    )
    assert evaluate(history, policy(), ALWAYS, now) == evaluate(clamped, policy(), ALWAYS, now)


def test_rows_before_creation_are_ordered_by_seq_once_clamped() -> None:
    created = at(0, 10)
    rows = [status(at(0, 8), "in_progress", seq=3), status(at(0, 9), "pending_vendor", seq=2)]
    result = evaluate(History(created, "critical", rows), policy(), OFFICE, now=at(0, 12))
    assert result.resolution.state is SlaState.RUNNING  # seq 3 (in_progress) is the later one
    assert result.resolution.used == 2 * H


def test_a_reopened_closed_ticket_restarts_with_the_time_it_had() -> None:
    history = History(
        at(0, 9),
        "critical",
        [
            status(at(0, 11), "closed", 3),  # exported before the rows that led to it
            status(at(0, 10), "in_progress", 2),
            status(at(0, 13), "in_progress", 4),  # reopened after closing
            status(at(0, 14), "pending_reporter", 5),
            status(at(0, 14), "resolved", 6),  # same instant, after the pause
        ],
    )
    result = evaluate(history, policy(), OFFICE, now=at(0, 18))
    assert result.resolution.used == 3 * H  # 09:00-11:00 and 13:00-14:00
    assert result.resolution.paused == timedelta()
    assert result.resolution.stopped_at == at(0, 14)
    kinds = [e.kind for e in result.timeline if e.clock is Clock.RESOLUTION]
    assert kinds == [EventKind.START, EventKind.STOP, EventKind.RESTART, EventKind.PAUSE, EventKind.STOP]
