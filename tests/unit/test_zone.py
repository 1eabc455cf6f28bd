"""The one place a moment becomes words: in the person's zone (the ``time_zone`` setting, else the machine's),
the zone named once beside the times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from console import zone

TEHRAN, LONDON = ZoneInfo("Asia/Tehran"), ZoneInfo("Europe/London")
EVENING = datetime(2027, 1, 15, 18, 0, tzinfo=UTC)


def test_a_moment_reads_in_the_persons_zone() -> None:
    assert zone.moment_text(EVENING) == "15 Jan 2027 18:00"  # the suite's zone: UTC
    assert zone.moment_text(EVENING, named=True) == "15 Jan 2027 18:00 UTC"
    zone.choose("Asia/Tehran")
    assert zone.local_zone() == TEHRAN
    assert zone.moment_text(EVENING) == "15 Jan 2027 21:30"
    assert zone.moment_text(EVENING, named=True) == "15 Jan 2027 21:30 Asia/Tehran"
    assert zone.moment_text(EVENING, LONDON, named=True) == "15 Jan 2027 18:00 Europe/London"
    assert zone.day_text(datetime(2027, 3, 20, 21, 0, tzinfo=UTC)) == "21 Mar 2027"  # already Nowruz in Tehran
    assert zone.time_text(EVENING) == "21:30"
    assert zone.short_moment(EVENING, now=EVENING) == "Fri 15 Jan 21:30"
    assert zone.zoned("When") == "When (Asia/Tehran)"
    assert zone.moment_text(EVENING.replace(tzinfo=None)) == "15 Jan 2027 21:30"  # a moment without zone is UTC


def test_a_window_reads_as_one_day_or_two() -> None:
    zone.choose("Asia/Tehran")
    assert zone.window_text(EVENING, EVENING + timedelta(hours=2)) == "15 Jan 2027 21:30–23:30"
    assert (
        zone.window_text(EVENING, EVENING + timedelta(hours=4), named=True)
        == "15 Jan 2027 21:30 – 16 Jan 01:30 Asia/Tehran"
    )
    new_year = datetime(2026, 12, 31, 19, 0, tzinfo=UTC)
    assert zone.window_text(new_year, new_year + timedelta(hours=3)) == "31 Dec 2026 22:30 – 01 Jan 2027 01:30"


def test_daylight_saving_time_is_the_zones_on_each_side() -> None:
    zone.choose("Europe/London")
    assert zone.moment_text(datetime(2027, 3, 27, 12, 0, tzinfo=UTC)) == "27 Mar 2027 12:00"  # GMT
    assert zone.moment_text(datetime(2027, 3, 28, 12, 0, tzinfo=UTC)) == "28 Mar 2027 13:00"  # BST


def test_an_unknown_zone_is_refused_and_the_chosen_one_stays() -> None:
    zone.choose("Europe/London")
    for name in ("Mars/Olympus_Mons", "asia/tehran", "Europe", "../../etc/passwd", ":Asia/Tehran"):
        with pytest.raises(ValueError, match="is not a time zone"):
            zone.choose(name)
        assert zone.local_zone() == LONDON
    assert zone.zone_problem("asia/tehran") is not None
    assert "Did you mean Asia/Tehran?" in str(zone.zone_problem("asia/tehran"))
    assert zone.zone_problem("Asia/Tehran") is None
    assert zone.zone_problem("") is None  # empty: the machine's
    zone.choose("")
    assert zone.local_zone() == ZoneInfo("UTC")


def test_empty_is_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    assert zone.local_zone() == ZoneInfo("America/Sao_Paulo")
    zone.choose("Asia/Tehran")
    assert zone.local_zone() == TEHRAN  # the setting wins over the machine
    assert zone.zone_name(timezone(timedelta(hours=4)), EVENING) == "UTC+04:00"  # an offset alone reads as one
