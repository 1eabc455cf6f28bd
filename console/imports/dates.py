"""Dates as exports write them, read into moments in UTC.

ServiceNow writes ``29-02-2016 10:18`` or ``29/2/2016 01:16`` (day first, the instance's format, no zone);
Jira ``12/Mar/24 9:15 AM``; our own export ISO 8601 with the offset. ``DateReader`` reads all of these: ISO
8601 always, numeric dates day-first or month-first as the source says, English month names, 12- or 24-hour
times, two-digit years (``24`` is 2024, ``85`` is 1985). A mapping may name a ``strptime`` format instead.

A date with no zone is in the source's zone, which only the person importing knows: without one the reader
raises ``NaiveDate`` and the caller asks for ``--time-zone``. A local time that a daylight-saving change skips
or repeats is read as the first of its two meanings (``fold=0``), as ``zoneinfo`` does.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, tzinfo

from console.i18n import _


class DateOrder(enum.StrEnum):
    DAY_FIRST = "day-first"
    MONTH_FIRST = "month-first"


class BadDate(ValueError):
    """A cell that is no date; ``str(error)`` says why, in words."""


class NaiveDate(ValueError):
    """A date with no zone, read with no zone to put it in."""


MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_TIME = (
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r"\s*(?P<half>[AaPp][Mm])?)?"
)
_ZONE = r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
_NUMERIC = re.compile(r"(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<year>\d{4}|\d{2})" + _TIME + _ZONE, re.ASCII)
_NAMED = re.compile(
    r"(?P<day>\d{1,2})[-/ .](?P<month>[A-Za-z]{3})[A-Za-z]*\.?[-/ .,]+(?P<year>\d{4}|\d{2})" + _TIME + _ZONE, re.ASCII
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII)
_PLAIN = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}) (\d{1,2}):(\d{2})", re.ASCII)
_SLASHED_ISO = re.compile(r"(?P<year>\d{4})/(?P<b>\d{1,2})/(?P<a>\d{1,2})" + _TIME + _ZONE, re.ASCII)


class DateReader:
    """Reads a source's dates into aware UTC moments."""

    def __init__(
        self, *, order: DateOrder = DateOrder.DAY_FIRST, date_format: str | None = None, zone: tzinfo | None = None
    ) -> None:
        self.order = order
        self.date_format = date_format
        self.zone = zone

    def read(self, text: str) -> datetime:
        """The moment ``text`` names, in UTC.

        Raises:
            BadDate: ``text`` is not a date this reader knows, or names a day that does not exist.
            NaiveDate: ``text`` has no zone and the reader was given none.
        """
        plain = _PLAIN.fullmatch(text)
        if plain is not None and self.zone is not None and not self.date_format:  # the common case, quickly
            first, second, year, hour, minute = map(int, plain.groups())
            day, month = (first, second) if self.order is DateOrder.DAY_FIRST else (second, first)
            try:
                return datetime(year, month, day, hour, minute, tzinfo=self.zone).astimezone(UTC)
            except ValueError:
                raise BadDate(_("{text!r} names no real day or time").format(text=text)) from None
        text = text.strip()
        if self.date_format:
            try:
                found = datetime.strptime(text, self.date_format)
            except ValueError:
                raise BadDate(
                    _("{text!r} is not a date in the format {format}").format(text=text, format=self.date_format)
                ) from None
            return self._placed(found)
        if _ISO.fullmatch(text):
            try:
                return self._placed(datetime.fromisoformat(text))
            except ValueError as error:
                raise BadDate(_("{text!r} is not a date: {why}").format(text=text, why=error)) from None
        for pattern in (_NUMERIC, _SLASHED_ISO, _NAMED):
            found_parts = pattern.fullmatch(text)
            if found_parts:
                return self._built(text, found_parts.groupdict(), year_first=pattern is _SLASHED_ISO)
        raise BadDate(_("{text!r} is not a date").format(text=text))

    def _built(self, text: str, parts: dict[str, str | None], *, year_first: bool) -> datetime:
        year = int(parts["year"] or 0)
        if len(parts["year"] or "") == 2:
            year += 2000 if year < 70 else 1900
        if parts.get("month"):
            day, month = int(parts["day"] or 0), MONTHS.get((parts["month"] or "").lower(), 0)
        elif year_first or self.order is DateOrder.DAY_FIRST:
            day, month = int(parts["a"] or 0), int(parts["b"] or 0)
        else:
            day, month = int(parts["b"] or 0), int(parts["a"] or 0)
        hour, minute = int(parts["hour"] or 0), int(parts["minute"] or 0)
        second_, fraction = int(parts["second"] or 0), (parts["fraction"] or "").ljust(6, "0")
        half = (parts["half"] or "").lower()
        if half:
            if not 1 <= hour <= 12:
                raise BadDate(
                    _("{text!r} is not a date: {hour} is no hour of a 12-hour clock").format(text=text, hour=hour)
                )
            hour = hour % 12 + (12 if half == "pm" else 0)
        try:
            moment = datetime(year, month, day, hour, minute, second_, int(fraction or 0))
        except ValueError:
            raise BadDate(_("{text!r} names no real day or time").format(text=text)) from None
        zone = parts.get("zone")
        if zone:
            return self._placed(datetime.fromisoformat(moment.isoformat() + _offset(zone)))
        return self._placed(moment)

    def _placed(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            if self.zone is None:
                raise NaiveDate(moment.isoformat(sep=" "))
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)


def _offset(zone: str) -> str:
    if zone in ("Z", "UTC", "GMT"):
        return "+00:00"
    return zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"


def iso(moment: datetime) -> str:
    """A moment as our exports write it: ISO 8601 in UTC, with its offset."""
    return moment.astimezone(UTC).isoformat()
