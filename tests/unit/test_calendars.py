"""Days in the person's calendar: Solar Hijri (Jalali) with Persian digits in Persian, the Gulf's Gregorian month
names in Arabic; and a day typed as it is shown (Persian digits, a Jalali date) read back as the same day."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console import i18n, zone
from console.cli.values import day, moment

TEHRAN, DUBAI = ZoneInfo("Asia/Tehran"), ZoneInfo("Asia/Dubai")
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


@pytest.fixture
def speaking() -> Iterator[None]:
    before = i18n.language()
    yield
    i18n.choose(before)


@pytest.mark.parametrize(
    ("language", "moment_words", "day_words"),
    [
        ("en", "20 Mar 2026 23:59", "21 Mar 2026"),
        ("fa", "۲۹ اسفند ۱۴۰۴ ۲۳:۵۹", "۱ فروردین ۱۴۰۵"),  # Nowruz 1405: the day after, in Tehran
        ("ar", "20 مارس 2026 23:59", "21 مارس 2026"),
    ],
)
def test_days_are_written_in_the_persons_calendar(
    speaking: None, language: str, moment_words: str, day_words: str
) -> None:
    i18n.choose(language)
    eve = datetime(2026, 3, 20, 20, 29, tzinfo=UTC)  # 23:59 in Tehran, the last day of 1404
    assert zone.moment_text(eve, TEHRAN) == moment_words
    assert zone.day_text(eve + timedelta(minutes=1), TEHRAN) == day_words


def test_persian_uses_persian_digits_everywhere_and_english_none(speaking: None) -> None:
    at = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    i18n.choose("fa")
    written = zone.moment_text(at, DUBAI, named=True)
    assert written.startswith("۱۴ آذر ۱۴۰۵ ۱۸:۰۰")
    assert not any(c in "0123456789" for c in written.removesuffix(" Asia/Dubai"))
    assert zone.short_moment(at, DUBAI).startswith("شنبه ")  # Saturday, the Persian week's first day
    i18n.choose("en")
    assert not any(c in PERSIAN_DIGITS for c in zone.moment_text(at, DUBAI))


def test_a_window_across_the_end_of_a_jalali_year_names_both_years(speaking: None) -> None:
    i18n.choose("fa")
    start = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)  # 21:30 on 29 Esfand 1404 in Tehran
    text = zone.window_text(start, start + timedelta(hours=4), TEHRAN)
    assert text == "۲۹ اسفند ۱۴۰۴ ۲۱:۳۰ – ۱ فروردین ۱۴۰۵ ۰۱:۳۰"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_jalali_day_typed_in_persian_digits_is_the_same_day(shown: date) -> None:
    import jdatetime

    jalali = jdatetime.date.fromgregorian(date=shown)
    typed = f"{jalali.year:04d}-{jalali.month:02d}-{jalali.day:02d}".translate(
        str.maketrans("0123456789", PERSIAN_DIGITS)
    )
    assert day(typed) == shown
    assert moment(f"{typed}T10:00+03:30") == datetime.combine(shown, datetime.min.time(), UTC) + timedelta(
        hours=6, minutes=30
    )


def test_a_day_that_is_in_no_calendar_is_refused() -> None:
    for typed in ("1405-13-01", "۱۴۰۵-۱۲-۳۱", "2026-02-30"):  # 1405 is no leap year: Esfand has 29 days
        with pytest.raises(argparse.ArgumentTypeError):
            day(typed)
