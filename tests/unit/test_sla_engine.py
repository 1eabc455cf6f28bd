"""The SLA engine replayed on ticket histories: pauses, weekends, reopening, policy changes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from console.sla import Change, Clock, EventKind, History, Policy, Target, WorkingCalendar, evaluate
from models import Priority, SlaState

LONDON = ZoneInfo("Europe/London")
OFFICE = WorkingCalendar.weekly("Europe/London", [(d, time(9), time(17)) for d in range(5)])
PAUSES = frozenset({"pending_reporter", "pending_vendor", "pending_change"})
H = timedelta(hours=1)


def policy(medium_resolution: timedelta = 24 * H, name: str = "standard") -> Policy:
    return Policy(
        name,
        {
            Priority.CRITICAL: Target(timedelta(minutes=15), 4 * H, around_the_clock=True),
            Priority.HIGH: Target(2 * H, 16 * H),
            Priority.MEDIUM: Target(8 * H, medium_resolution),
            Priority.LOW: Target(16 * H, None),
        },
        PAUSES,
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 23 November 2026, London time."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=LONDON) + timedelta(days=day)


def statuses(*steps: tuple[datetime, str]) -> list[Change]:
    return [Change(when, "status", value) for when, value in steps]


def test_a_plain_ticket_meets_both_targets() -> None:
    history = History(at(0, 9), "medium", statuses((at(0, 10), "assigned"), (at(1, 10), "resolved")))
    result = evaluate(history, policy(), OFFICE, now=at(2, 9))
    assert result.response.state is SlaState.MET
    assert result.response.used == H
    assert result.resolution.state is SlaState.MET
    assert result.resolution.used == 9 * H  # 8 h on Monday, 1 h on Tuesday
    assert result.resolution.stopped_at == at(1, 10)
    assert [(e.clock, e.kind) for e in result.timeline] == [
        (Clock.RESPONSE, EventKind.START),
        (Clock.RESOLUTION, EventKind.START),
        (Clock.RESPONSE, EventKind.STOP),
        (Clock.RESOLUTION, EventKind.STOP),
    ]


def test_pending_across_a_weekend_stops_the_clock() -> None:
    friday = 4
    history = History(
        at(friday, 15),
        "medium",
        statuses(
            (at(friday, 15, 30), "in_progress"),
            (at(friday, 16), "pending_reporter"),
            (at(friday + 3, 11), "in_progress"),  # Monday
            (at(friday + 3, 12), "resolved"),
        ),
    )
    result = evaluate(history, policy(), OFFICE, now=at(friday + 4, 9))
    assert result.resolution.used == 2 * H
    assert result.resolution.paused == at(friday + 3, 11) - at(friday, 16)
    kinds = [e.kind for e in result.timeline if e.clock is Clock.RESOLUTION]
    assert kinds == [EventKind.START, EventKind.PAUSE, EventKind.RESUME, EventKind.STOP]
    pause = next(e for e in result.timeline if e.kind is EventKind.PAUSE)
    assert pause.status == "pending_reporter"


def test_running_warning_breached_and_paused_states() -> None:
    history = History(at(0, 9), "high", statuses((at(0, 9, 30), "in_progress")))
    target = policy().targets[Priority.HIGH].resolution
    assert target == 16 * H
    assert evaluate(history, policy(), OFFICE, now=at(0, 17)).resolution.state is SlaState.RUNNING
    warning = evaluate(history, policy(), OFFICE, now=at(1, 13))  # 12 h of 16 used
    assert warning.resolution.state is SlaState.WARNING
    assert warning.resolution.left == 4 * H
    assert warning.resolution.due_at == at(1, 17)
    breached = evaluate(history, policy(), OFFICE, now=at(2, 10))
    assert breached.resolution.state is SlaState.BREACHED
    assert breached.resolution.breached_at == at(1, 17)
    paused = History(at(0, 9), "high", statuses((at(0, 10), "pending_vendor")))
    result = evaluate(paused, policy(), OFFICE, now=at(3, 10))
    assert result.resolution.state is SlaState.PAUSED
    assert result.resolution.used == H
    assert result.resolution.due_at is None


def test_a_reopened_ticket_carries_on_with_the_time_it_had_used() -> None:
    history = History(
        at(0, 9),
        "medium",
        statuses(
            (at(0, 10), "in_progress"),
            (at(0, 13), "resolved"),
            (at(1, 9), "in_progress"),  # reopened the next morning
            (at(1, 11), "resolved"),
        ),
    )
    result = evaluate(history, policy(), OFFICE, now=at(2, 9))
    assert result.resolution.used == 6 * H  # 4 h before, 2 h after reopening; the night in between not
    kinds = [e.kind for e in result.timeline if e.clock is Clock.RESOLUTION]
    assert kinds == [EventKind.START, EventKind.STOP, EventKind.RESTART, EventKind.STOP]
    assert result.response.used == H  # the response clock is not touched by reopening


def test_a_critical_ticket_is_timed_around_the_clock() -> None:
    saturday_2am = at(5, 2)
    history = History(saturday_2am, "critical", statuses((at(5, 2, 10), "in_progress"), (at(5, 5), "resolved")))
    result = evaluate(history, policy(), OFFICE, now=at(6, 9))
    assert result.response.used == timedelta(minutes=10)
    assert result.response.state is SlaState.MET
    assert result.resolution.used == 3 * H
    assert result.resolution.state is SlaState.MET


def test_low_has_no_time_based_resolution_target() -> None:
    history = History(at(0, 9), "low", statuses((at(0, 10), "in_progress")))
    result = evaluate(history, policy(), OFFICE, now=at(30, 9))
    assert result.resolution.state is SlaState.NOT_TIMED
    assert result.resolution.left is None
    assert result.response.state is SlaState.MET


def test_a_priority_escalation_applies_the_new_target_to_the_whole_history() -> None:
    history = History(
        at(0, 9),
        "medium",
        [Change(at(0, 9, 30), "status", "in_progress"), Change(at(1, 9), "priority", "high")],
    )
    result = evaluate(history, policy(), OFFICE, now=at(1, 17))
    assert result.priority == "high"
    assert result.resolution.target == 16 * H
    assert result.resolution.state is SlaState.BREACHED


def test_changing_the_policy_recomputes_past_tickets_even_while_paused() -> None:
    history = History(
        at(0, 9), "medium", statuses((at(0, 10), "in_progress"), (at(0, 16), "pending_vendor"))
    )  # fmt: skip
    strict = evaluate(history, policy(medium_resolution=4 * H, name="strict"), OFFICE, now=at(3, 9))
    lenient = evaluate(history, policy(medium_resolution=40 * H, name="lenient"), OFFICE, now=at(3, 9))
    assert strict.resolution.used == lenient.resolution.used == 7 * H
    assert strict.resolution.state is SlaState.BREACHED
    assert lenient.resolution.state is SlaState.PAUSED
    assert lenient.resolution.left == 33 * H


# --- properties ---------------------------------------------------------------------------

WEEK_START = at(0, 0)
moments = st.integers(min_value=0, max_value=14 * 24 * 60).map(lambda m: WEEK_START + timedelta(minutes=m))
work_statuses = st.sampled_from(["assigned", "in_progress", "pending_reporter", "pending_vendor", "resolved"])
histories = st.builds(
    lambda created, steps: History(
        created, "medium", statuses(*sorted((created + timedelta(minutes=m), s) for m, s in steps))
    ),
    moments,
    st.lists(st.tuples(st.integers(min_value=1, max_value=10 * 24 * 60), work_statuses), max_size=8),
)


@settings(max_examples=150, deadline=None)
@given(histories, st.integers(min_value=0, max_value=20 * 24 * 60))
def test_used_plus_left_is_the_target(history: History, minutes: int) -> None:
    now = history.created_at + timedelta(minutes=minutes)
    result = evaluate(history, policy(), OFFICE, now)
    for clock in (result.response, result.resolution):
        assert clock.used >= timedelta()
        assert clock.target is not None
        assert clock.left is not None
        assert clock.used + clock.left == clock.target
        if clock.state in (SlaState.RUNNING, SlaState.WARNING):
            assert clock.due_at is not None
            assert OFFICE.business_time(now, clock.due_at) == clock.left


@settings(max_examples=150, deadline=None)
@given(
    histories,
    st.integers(min_value=0, max_value=10 * 24 * 60),
    st.integers(min_value=1, max_value=5 * 24 * 60),
    st.integers(min_value=0, max_value=20 * 24 * 60),
)
def test_a_pause_never_shortens_the_time_left(history: History, start: int, length: int, later: int) -> None:
    pause_from = history.created_at + timedelta(minutes=start)
    pause_to = pause_from + timedelta(minutes=length)
    now = history.created_at + timedelta(minutes=later)
    before_pause = [c for c in history.changes if c.at <= pause_from]
    status_then = before_pause[-1].value if before_pause else history.status
    if status_then in ("new", "resolved", "closed") or any(pause_from <= c.at <= pause_to for c in history.changes):
        return  # a pause only makes sense on a ticket being worked, between its own changes
    paused = History(
        history.created_at,
        history.priority,
        sorted(
            [*history.changes, *statuses((pause_from, "pending_reporter"), (pause_to, status_then))], key=lambda c: c.at
        ),
    )
    plain = evaluate(history, policy(), OFFICE, now).resolution
    with_pause = evaluate(paused, policy(), OFFICE, now).resolution
    assert plain.left is not None
    assert with_pause.left is not None
    assert with_pause.left >= plain.left
