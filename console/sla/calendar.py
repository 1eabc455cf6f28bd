"""Business time: working windows per weekday in a time zone, minus holidays.

All arithmetic is on time-zone aware datetimes. A window is laid on each local date and
converted to UTC on its own, so a daylight-saving change shortens or lengthens the
working day exactly as the wall clock in that office does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Window = tuple[time, time]
# Nobody works nowhere for this long: a guard against a calendar with no working time at all.
MAX_SEARCH_DAYS = 3 * 366
ONE_DAY = timedelta(days=1)


class NoWorkingTime(ValueError):
    """The calendar has no working window in reach, so business time can never pass."""


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: business time needs time-zone aware values")
    return value.astimezone(UTC)


def _merged(spans: list[Window]) -> tuple[Window, ...]:
    """Sorted windows with overlaps joined, so no working minute counts twice."""
    out: list[Window] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


@dataclass(frozen=True)
class WorkingCalendar:
    """When the clock runs. ``around_the_clock`` counts every second (holidays too)."""

    zone: ZoneInfo
    windows: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    around_the_clock: bool = False
    # Each local date's working windows in UTC, laid once: a recompute walks the same days for ticket after ticket.
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def always(cls) -> WorkingCalendar:
        return cls(ZoneInfo("UTC"), around_the_clock=True)

    @classmethod
    def weekly(
        cls,
        zone: str,
        hours: Iterable[tuple[int, time, time]],
        holidays: Iterable[date] = (),
    ) -> WorkingCalendar:
        windows: dict[int, list[Window]] = {}
        for weekday, start, end in hours:
            if not 0 <= weekday <= 6 or not start < end:
                raise ValueError(f"bad working window {weekday} {start}-{end}")
            windows.setdefault(weekday, []).append((start, end))
        return cls(ZoneInfo(zone), {day: _merged(spans) for day, spans in windows.items()}, frozenset(holidays))

    def with_around_the_clock(self) -> WorkingCalendar:
        return WorkingCalendar(self.zone, self.windows, self.holidays, around_the_clock=True)

    def is_working_day(self, day: date) -> bool:
        """A day with working time (every day, around the clock)."""
        return self.around_the_clock or (day not in self.holidays and bool(self.windows.get(day.weekday())))

    def _day_windows(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = self._lay(day)
        return found

    def _lay(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if day in self.holidays:
            return ()
        return tuple(
            (
                datetime.combine(day, start, self.zone).astimezone(UTC),
                datetime.combine(day, end, self.zone).astimezone(UTC),
            )
            for start, end in self.windows.get(day.weekday(), ())
        )

    def working_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working parts of [start, end), in order, as UTC intervals."""
        start, end = _utc(start), _utc(end)
        if start >= end:
            return
        if self.around_the_clock:
            yield start, end
            return
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        while day <= last:
            for lo, hi in self._day_windows(day):
                lo, hi = max(lo, start), min(hi, end)
                if lo < hi:
                    yield lo, hi
            day += timedelta(days=1)

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero if ``end`` is not after ``start``): the length of
        ``working_intervals``, summed in the same walk without handing each interval out."""
        start, end = _utc(start), _utc(end)
        if start >= end:
            return timedelta()
        if self.around_the_clock:
            return end - start
        total = timedelta()
        day = start.astimezone(self.zone).date() - ONE_DAY
        last = end.astimezone(self.zone).date() + ONE_DAY
        while day <= last:
            for lo, hi in self._day_windows(day):
                lo, hi = max(lo, start), min(hi, end)
                if lo < hi:
                    total += hi - lo
            day += ONE_DAY
        return total

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of working time has passed since ``start``."""
        start = _utc(start)
        if amount <= timedelta():
            return start
        if self.around_the_clock:
            return start + amount
        left = amount
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(MAX_SEARCH_DAYS):
            for lo, hi in self._day_windows(day):
                lo = max(lo, start)
                if lo >= hi:
                    continue
                if hi - lo >= left:
                    return lo + left
                left -= hi - lo
            day += timedelta(days=1)
        raise NoWorkingTime(f"no working time within {MAX_SEARCH_DAYS} days of {start:%Y-%m-%d}")
