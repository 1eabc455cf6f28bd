"""A Low ticket's resolution against the release it is due with: a deadline a pause does not move."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sla import Change, History, Policy, ReleaseDue, Target, WorkingCalendar, evaluate
from console.sla.engine import HistoryError
from models import Priority, SlaState

OFFICE = WorkingCalendar.weekly("Europe/London", [(d, time(9), time(17)) for d in range(5)])
PAUSES = frozenset({"pending_reporter", "pending_vendor", "pending_change"})
H = timedelta(hours=1)
POLICY = Policy(
    "standard",
    {Priority.MEDIUM: Target(8 * H, 24 * H), Priority.LOW: Target(16 * H, None)},
    PAUSES,
    warning_threshold=0.75,
)
LOGGED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
RELEASE = ReleaseDue("R2027.1", datetime(2027, 1, 16, 18, 0, tzinfo=UTC))  # Saturday, 12 days 9 hours later


def days(n: float) -> datetime:
    return LOGGED + timedelta(days=n)


def worked(*steps: tuple[float, str]) -> History:
    """A Low ticket assigned an hour after logging, then through these statuses."""
    changes = [Change(LOGGED + H, "status", "assigned"), Change(LOGGED + 2 * H, "status", "in_progress")]
    return History(LOGGED, "low", changes + [Change(days(d), "status", s) for d, s in steps])


def test_resolved_by_the_release_is_met() -> None:
    result = evaluate(worked((5, "resolved")), POLICY, OFFICE, now=days(20), release=RELEASE)
    clock = result.resolution
    assert clock.state is SlaState.MET
    assert clock.due_at == RELEASE.at
    assert clock.release == RELEASE
    assert clock.breached_at is None
    assert clock.target is None  # no time target: the release is the deadline
    assert clock.left == RELEASE.at - days(5)
    assert result.response.release is None  # the response clock keeps its own target
    assert result.response.state is SlaState.MET


def test_resolved_after_the_release_is_missed_and_breached_when_it_shipped() -> None:
    result = evaluate(worked((13, "resolved")), POLICY, OFFICE, now=days(20), release=RELEASE)
    clock = result.resolution
    assert clock.state is SlaState.MISSED
    assert clock.breached_at == RELEASE.at
    assert clock.left == RELEASE.at - days(13)
    assert clock.left < timedelta()


def test_resolved_at_the_very_moment_of_the_release_is_met() -> None:
    history = History(LOGGED, "low", [Change(RELEASE.at, "status", "resolved")])
    assert evaluate(history, POLICY, OFFICE, now=days(20), release=RELEASE).resolution.state is SlaState.MET


def test_open_once_the_release_has_passed_is_breached_at_the_release() -> None:
    history = worked()
    assert evaluate(history, POLICY, OFFICE, now=RELEASE.at, release=RELEASE).resolution.state is SlaState.WARNING
    after = evaluate(history, POLICY, OFFICE, now=RELEASE.at + timedelta(seconds=1), release=RELEASE).resolution
    assert after.state is SlaState.BREACHED
    assert after.breached_at == RELEASE.at
    assert after.due_at == RELEASE.at
    assert after.stopped_at is None


def test_running_then_warning_in_the_last_quarter_of_the_time_to_the_release() -> None:
    span = RELEASE.at - LOGGED
    early = evaluate(worked(), POLICY, OFFICE, now=LOGGED + span * 0.74, release=RELEASE).resolution
    late = evaluate(worked(), POLICY, OFFICE, now=LOGGED + span * 0.76, release=RELEASE).resolution
    assert early.state is SlaState.RUNNING
    assert late.state is SlaState.WARNING
    assert late.left == RELEASE.at - (LOGGED + span * 0.76)  # the days to the release, on the wall clock


def test_with_no_release_planned_low_is_not_timed() -> None:
    clock = evaluate(worked((5, "resolved")), POLICY, OFFICE, now=days(20)).resolution
    assert clock.state is SlaState.NOT_TIMED
    assert clock.due_at is None
    assert clock.release is None
    open_clock = evaluate(worked(), POLICY, OFFICE, now=days(20)).resolution
    assert open_clock.state is SlaState.NOT_TIMED


def test_a_pause_does_not_move_the_release() -> None:
    waiting = worked((3, "pending_vendor"))
    before = evaluate(waiting, POLICY, OFFICE, now=days(6), release=RELEASE).resolution
    assert before.state is SlaState.RUNNING  # not "paused": the release comes all the same
    assert before.due_at == RELEASE.at
    assert before.paused == days(6) - days(3)  # the pause is still evidence
    after = evaluate(waiting, POLICY, OFFICE, now=days(14), release=RELEASE).resolution
    assert after.state is SlaState.BREACHED
    assert after.breached_at == RELEASE.at
    # Waiting on the vendor past the release and resolved after it: missed, whatever the pause.
    late = worked((3, "pending_vendor"), (13, "resolved"))
    assert evaluate(late, POLICY, OFFICE, now=days(20), release=RELEASE).resolution.state is SlaState.MISSED


def test_a_release_before_or_at_logging_is_refused() -> None:
    for at in (LOGGED - timedelta(days=1), LOGGED):
        with pytest.raises(HistoryError, match="not after the ticket was logged"):
            evaluate(worked(), POLICY, OFFICE, now=days(1), release=ReleaseDue("R2026.4", at))


def test_a_naive_release_time_is_refused_by_name() -> None:
    naive = ReleaseDue("R2027.1", RELEASE.at.replace(tzinfo=None))
    with pytest.raises(HistoryError, match=r"naive datetime in the release R2027\.1"):
        evaluate(worked(), POLICY, OFFICE, now=days(1), release=naive)


def test_a_timed_target_keeps_its_own_deadline() -> None:
    medium = History(LOGGED, "medium", [Change(LOGGED + H, "status", "assigned")])
    plain = evaluate(medium, POLICY, OFFICE, now=days(1))
    with_release = evaluate(medium, POLICY, OFFICE, now=days(1), release=RELEASE)
    assert with_release == plain
    assert with_release.resolution.release is None


def test_reopened_after_the_release_breaches_and_resolved_again_misses() -> None:
    history = worked((5, "resolved"), (14, "in_progress"))
    assert evaluate(history, POLICY, OFFICE, now=days(15), release=RELEASE).resolution.state is SlaState.BREACHED
    again = worked((5, "resolved"), (14, "in_progress"), (15, "resolved"))
    assert evaluate(again, POLICY, OFFICE, now=days(16), release=RELEASE).resolution.state is SlaState.MISSED
    # Reopened and resolved again before the release: met.
    early = worked((5, "resolved"), (6, "in_progress"), (7, "resolved"))
    assert evaluate(early, POLICY, OFFICE, now=days(16), release=RELEASE).resolution.state is SlaState.MET


STATUSES = ("assigned", "in_progress", "pending_reporter", "pending_vendor", "resolved", "closed")


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(1, 30 * 24), st.sampled_from(STATUSES)), max_size=8),
    now_hours=st.integers(0, 30 * 24),
)
def test_the_release_decides_the_outcome_whatever_the_pauses(steps: list[tuple[int, str]], now_hours: int) -> None:
    history = History(LOGGED, "low", [Change(LOGGED + h * H, "status", s) for h, s in steps])
    now = LOGGED + now_hours * H
    clock = evaluate(history, POLICY, OFFICE, now=now, release=RELEASE).resolution
    no_pauses = evaluate(history, Policy("none", POLICY.targets, frozenset()), OFFICE, now=now, release=RELEASE)
    assert (clock.state, clock.due_at, clock.breached_at) == (
        no_pauses.resolution.state,
        no_pauses.resolution.due_at,
        no_pauses.resolution.breached_at,
    )
    assert clock.due_at == RELEASE.at
    if clock.stopped_at is not None:
        assert clock.state is (SlaState.MET if clock.stopped_at <= RELEASE.at else SlaState.MISSED)
    else:
        assert clock.state in ((SlaState.BREACHED,) if now > RELEASE.at else (SlaState.RUNNING, SlaState.WARNING))
    assert (clock.breached_at is not None) == (clock.state in (SlaState.MISSED, SlaState.BREACHED))
