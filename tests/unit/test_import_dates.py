"""Dates as exports write them: day-first ServiceNow, Jira's month names, ISO 8601, and the zone they lack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.imports.dates import BadDate, DateOrder, DateReader, NaiveDate, iso

DUBAI = ZoneInfo("Asia/Dubai")
TEHRAN = ZoneInfo("Asia/Tehran")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29-02-2016 10:18", datetime(2016, 2, 29, 6, 18, tzinfo=UTC)),  # ServiceNow, day first, Dubai is UTC+4
        ("29/2/2016 01:16", datetime(2016, 2, 28, 21, 16, tzinfo=UTC)),  # the public event log's own form
        ("29.02.2016 10:18:33", datetime(2016, 2, 29, 6, 18, 33, tzinfo=UTC)),
        ("05-03-2016", datetime(2016, 3, 4, 20, 0, tzinfo=UTC)),  # 5 March, midnight in Dubai
        ("12/Mar/24 9:15 AM", datetime(2024, 3, 12, 5, 15, tzinfo=UTC)),  # Jira
        ("12/Mar/24 12:05 AM", datetime(2024, 3, 11, 20, 5, tzinfo=UTC)),
        ("12/Mar/24 12:05 PM", datetime(2024, 3, 12, 8, 5, tzinfo=UTC)),
        ("12 March 2024 21:00", datetime(2024, 3, 12, 17, 0, tzinfo=UTC)),
        ("2016-02-29 10:18:00", datetime(2016, 2, 29, 6, 18, tzinfo=UTC)),  # ISO, no zone: the source's
        ("2016/02/29 10:18", datetime(2016, 2, 29, 6, 18, tzinfo=UTC)),
        ("2016-02-29T10:18:00Z", datetime(2016, 2, 29, 10, 18, tzinfo=UTC)),  # its own zone wins
        ("2016-02-29T10:18:00+03:30", datetime(2016, 2, 29, 6, 48, tzinfo=UTC)),
        ("29-02-2016 10:18 +0330", datetime(2016, 2, 29, 6, 48, tzinfo=UTC)),
        ("29-02-2016 10:18 UTC", datetime(2016, 2, 29, 10, 18, tzinfo=UTC)),
        (" 01-01-85 00:00 ", datetime(1984, 12, 31, 20, 0, tzinfo=UTC)),
    ],
)
def test_day_first_and_other_forms(text: str, expected: datetime) -> None:
    found = DateReader(zone=DUBAI).read(text)
    assert found == expected
    assert found.tzinfo is UTC


def test_month_first_when_the_source_says_so() -> None:
    reader = DateReader(order=DateOrder.MONTH_FIRST, zone=UTC)
    assert reader.read("02/29/2016 10:18 PM") == datetime(2016, 2, 29, 22, 18, tzinfo=UTC)
    assert reader.read("2016/02/03 10:18") == datetime(2016, 2, 3, 10, 18, tzinfo=UTC)  # year first stays Y/M/D


def test_a_format_of_the_mapping() -> None:
    reader = DateReader(date_format="%Y%m%d %H%M", zone=TEHRAN)
    assert reader.read("20240320 0900") == datetime(2024, 3, 20, 5, 30, tzinfo=UTC)
    with pytest.raises(BadDate, match="not a date in the format %Y%m%d %H%M"):
        reader.read("20-03-2024 09:00")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("31-02-2016 10:00", "names no real day or time"),
        ("29-02-2015 10:00", "names no real day or time"),
        ("12-13-2016 10:00", "names no real day or time"),
        ("29-02-2016 25:00", "names no real day or time"),
        ("13/Mar/24 13:00 PM", "no hour of a 12-hour clock"),
        ("yesterday", "is not a date"),
        ("?", "is not a date"),
        ("2016-02-30", "is not a date"),
    ],
)
def test_what_is_no_date_says_why(text: str, why: str) -> None:
    with pytest.raises(BadDate, match=why):
        DateReader(zone=UTC).read(text)


def test_a_date_without_zone_needs_one() -> None:
    with pytest.raises(NaiveDate):
        DateReader().read("29-02-2016 10:18")
    assert DateReader().read("2016-02-29T10:18:00+04:00") == datetime(2016, 2, 29, 6, 18, tzinfo=UTC)


moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC))


@given(moment=moments, zone=st.sampled_from([DUBAI, TEHRAN, LONDON, ZoneInfo("America/New_York"), UTC]))
def test_a_local_minute_written_day_first_reads_back_as_the_same_moment(moment: datetime, zone: ZoneInfo) -> None:
    minute = moment.replace(second=0, microsecond=0)
    local = minute.astimezone(zone)
    # The hour a clock change repeats reads as its first meaning (fold 0), as zoneinfo reads a local time.
    expected = minute if local.fold == 0 else local.replace(fold=0).astimezone(UTC)
    assert expected - minute in (timedelta(0), -timedelta(hours=1))
    for text in (f"{local:%d-%m-%Y %H:%M}", f"{local.day}/{local.month}/{local.year} {local:%H:%M}"):
        assert DateReader(zone=zone).read(text) == expected


@given(moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)))
def test_our_own_iso_moments_read_back_exactly(moment: datetime) -> None:
    assert DateReader().read(iso(moment)) == moment


@given(moment=moments)
def test_jira_dates_read_back(moment: datetime) -> None:
    local = moment.replace(second=0, microsecond=0)
    text = f"{local.day}/{local:%b/%y} {local.hour % 12 or 12}:{local:%M %p}"
    if 1970 <= local.year < 2070:
        assert DateReader(zone=UTC).read(text) == local
