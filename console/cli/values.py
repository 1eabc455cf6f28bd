"""The values a person types on the command line: whole numbers, durations, days and times.

Every number, duration, day and time option of every verb is read by one of the four functions
here: a bad value gets the same plain message everywhere, and argparse refuses it before the
workspace or any database is opened. The verb modules and ``console.cli.command`` import this module; it
imports none of them.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from console.zone import JALALI_YEARS, gregorian_day, read_digits

# Days and times lie from 2000-01-01 to 2100-12-31: any day a real ERP support history holds (systems live since
# the 2000s, tickets migrated with them, changes planned years ahead), and far enough from year 9999, where
# Python's dates end, that the app's date arithmetic (the day after a report's --to, a window's end, a year of
# agenda) cannot overflow. A time without a zone is read as UTC (the report's days are UTC days too); one with a
# zone (+04:00, Z) is turned into UTC. What the app shows is in the person's zone (``console.zone``), named.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
EARLIEST, AFTER_LAST = (
    datetime.combine(FIRST_DAY, time(), UTC),
    datetime.combine(LAST_DAY + timedelta(days=1), time(), UTC),
)
DAY_EXAMPLE, TIME_EXAMPLE = "2026-11-23", "2026-11-23T14:30"
ZONED_EXAMPLE = "2026-11-23T18:30+04:00"  # the same moment in Dubai
TIME_HELP = f"UTC unless a zone is added, e.g. {TIME_EXAMPLE} or {ZONED_EXAMPLE}"
JALALI = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
MOST_TICKETS = 1_000_000  # the largest demo the benchmarks build; also the most a listing can show


def whole(low: int | None, high: int | None, example: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high`` (None: no bound); 20_000 and 20,000 read as 20000."""

    def read(text: str) -> int:
        try:
            value = int(text.strip().replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number: give one like {example}") from None
        below, above = low is not None and value < low, high is not None and value > high
        if below or above:
            if low is not None and high is not None:
                span = f"from {low:,} to {high:,}"
            else:
                span = f"of at least {low:,}" if below else f"of at most {high:,}"
            raise argparse.ArgumentTypeError(
                f"{text.strip()} is out of range: give a whole number {span}, e.g. {example}"
            )
        return value

    return read


def duration(unit: str, most: float, example: str) -> Callable[[str], float]:
    """A length of time in ``unit`` (hours, seconds): more than 0 and at most ``most``; fractions are fine."""

    def read(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value):  # words, but also "nan" and "inf", which float() reads
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}: give one like {example}")
        if not 0 < value <= most:
            raise argparse.ArgumentTypeError(
                f"{text.strip()} is out of range: give more than 0 and at most {most:,g} {unit}, e.g. {example}"
            )
        return value

    return read


def _gregorian(text: str) -> str:
    """What was typed, with Western digits and its day in the Gregorian calendar: a Jalali day (1405-09-14, in
    Persian digits too, as the window shows days in Persian) becomes the same day, 2026-12-05."""
    typed = read_digits(text.strip())
    found = JALALI.match(typed)
    if found is None:
        return typed
    year, month, day_number = (int(part) for part in found.groups())
    if year not in JALALI_YEARS:
        return typed
    try:
        return gregorian_day(year, month, day_number).isoformat() + typed[found.end() :]
    except ValueError:
        return typed  # no such Jalali day: refused below as no day at all


def day(text: str) -> date:
    """A calendar day, year-month-day, within the days a support history holds (a Jalali day too)."""
    try:
        value = date.fromisoformat(_gregorian(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: give year-month-day, e.g. {DAY_EXAMPLE}") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"{text.strip()} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}, e.g. {DAY_EXAMPLE}"
        )
    return value


def moment(text: str) -> datetime:
    """A day and time, in UTC unless a zone is given; returned in UTC. A day alone is its midnight."""
    try:
        given = datetime.fromisoformat(_gregorian(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time: give e.g. {TIME_EXAMPLE} (UTC) or {ZONED_EXAMPLE}"
        ) from None
    try:
        value = given.replace(tzinfo=UTC) if given.tzinfo is None else given.astimezone(UTC)
    except OverflowError:  # a zone that pushes it past year 9999 or before year 1
        value = AFTER_LAST
    if not EARLIEST <= value < AFTER_LAST:
        raise argparse.ArgumentTypeError(
            f"{text.strip()} is out of range: give a time from {FIRST_DAY} 00:00 to {LAST_DAY} 23:59 UTC, "
            f"e.g. {TIME_EXAMPLE}"
        )
    return value
