"""Business-time arithmetic: weekends, holidays, daylight saving, and its algebra (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.sla import NoWorkingTime, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
TEHRAN = ZoneInfo("Asia/Tehran")
MON_FRI = [(d, time(9), time(17, 30)) for d in range(5)]
# Saturday to Wednesday, Thursday morning: an Iranian working week.
SAT_WED = [(d, time(8), time(16, 30)) for d in (5, 6, 0, 1, 2)] + [(3, time(8), time(12))]


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def office(holidays: tuple[date, ...] = ()) -> WorkingCalendar:
    return WorkingCalendar.weekly("Europe/London", MON_FRI, holidays)


def test_friday_afternoon_plus_two_hours_is_monday_morning() -> None:
    friday_4pm = london(2026, 11, 20, 16, 0)
    # An hour and a half left on Friday, half an hour on Monday.
    assert office().add(friday_4pm, timedelta(hours=2)) == london(2026, 11, 23, 9, 30)
    assert office().business_time(friday_4pm, london(2026, 11, 23, 9, 30)) == timedelta(hours=2)


def test_a_holiday_is_skipped() -> None:
    christmas = office((date(2026, 12, 25),))
    thursday_5pm = london(2026, 12, 24, 17, 0)
    assert christmas.add(thursday_5pm, timedelta(hours=1)) == london(2026, 12, 28, 9, 30)


def test_daylight_saving_days_keep_their_local_hours() -> None:
    # The clocks go forward on Sunday 29 March and back on Sunday 25 October 2026.
    assert office().business_time(london(2026, 3, 27, 0), london(2026, 3, 31, 0)) == timedelta(hours=17)
    assert office().business_time(london(2026, 10, 23, 0), london(2026, 10, 27, 0)) == timedelta(hours=17)
    always = WorkingCalendar.always()
    assert always.business_time(london(2026, 3, 29, 0), london(2026, 3, 30, 0)) == timedelta(hours=23)
    assert always.business_time(london(2026, 10, 25, 0), london(2026, 10, 26, 0)) == timedelta(hours=25)


def test_a_working_week_in_another_zone() -> None:
    tehran = WorkingCalendar.weekly("Asia/Tehran", SAT_WED)
    thursday_11 = datetime(2026, 11, 19, 11, 0, tzinfo=TEHRAN)
    # One hour left on Thursday, Friday off, the rest on Saturday from 08:00.
    assert tehran.add(thursday_11, timedelta(hours=3)) == datetime(2026, 11, 21, 10, 0, tzinfo=TEHRAN)


def test_overlapping_windows_count_once() -> None:
    doubled = WorkingCalendar.weekly("UTC", [(0, time(9), time(13)), (0, time(11), time(17))])
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert doubled.business_time(monday, monday + timedelta(days=1)) == timedelta(hours=8)


def test_a_calendar_with_no_working_time_says_so() -> None:
    with pytest.raises(NoWorkingTime):
        WorkingCalendar.weekly("UTC", []).add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        office().business_time(datetime(2026, 1, 1), datetime(2026, 1, 2))


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)  # fmt: skip
holiday_sets = st.frozensets(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), max_size=40)
calendars = st.builds(
    lambda zone, holidays, ours: WorkingCalendar.weekly(zone, ours, holidays),
    st.sampled_from(["Europe/London", "Asia/Tehran", "Asia/Dubai", "America/New_York"]),
    holiday_sets,
    st.sampled_from([MON_FRI, SAT_WED, [(d, time(0), time(23, 59)) for d in range(7)]]),
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, instants)
def test_business_time_is_additive_over_adjacent_intervals(
    calendar: WorkingCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    assert calendar.business_time(a, b) + calendar.business_time(b, c) == calendar.business_time(a, c)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, amounts)
def test_add_then_measure_gives_the_amount_back(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> None:
    end = calendar.add(start, amount)
    assert end >= start
    assert calendar.business_time(start, end) == amount


@settings(max_examples=200, deadline=None)
@given(calendars, instants, amounts, amounts)
def test_more_work_never_ends_sooner(calendar: WorkingCalendar, start: datetime, x: timedelta, y: timedelta) -> None:
    small, large = sorted((x, y))
    assert calendar.add(start, small) <= calendar.add(start, large)


@settings(max_examples=100, deadline=None)
@given(calendars, instants, instants)
def test_no_business_time_on_holidays(calendar: WorkingCalendar, a: datetime, b: datetime) -> None:
    a, b = sorted((a, b))
    for lo, hi in calendar.working_intervals(a, b):
        assert lo < hi
        assert lo.astimezone(calendar.zone).date() not in calendar.holidays
