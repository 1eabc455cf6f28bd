"""The person's time zone, and every moment they read written in it: the one place that turns a moment into words.

The ``time_zone`` setting names the zone (``Asia/Tehran``); empty, it is the machine's. A workspace chooses it
when it opens (``choose``), so that one setting changes every screen and file at once: the window, the command
line's tables and CSV, the report and the CAB agenda. JSON keeps ISO 8601 with the offset: programs read it.

A real zone (``Europe/London``), not the offset of today, so a picture that spans a change of daylight-saving
time shows both sides of it right. The zone is named once where times are read: in a column's heading
("Window (Europe/London)"), or beside a moment in a sentence ("15 Jan 2027 18:00 Europe/London").

**In the person's calendar.** In Persian a day is written in the Solar Hijri (Jalali) calendar with Persian digits
("۲۴ آذر ۱۴۰۵ ۲۱:۳۰"), as Iran reads dates; in Arabic the Gregorian calendar with the Arabic month names used in
the Gulf ("15 يناير 2027", Western digits, as the Gulf's administrations write them); in English as above. The
calendar and digits follow the language (``console.i18n.language``); ``read_digits`` and ``gregorian_day`` read
back what is shown, so a day typed in Persian digits or in the Jalali calendar is understood.
"""

from __future__ import annotations

import difflib
import os
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from console.i18n import language

_LOCALTIME = Path("/etc/localtime")
_UTC_NAMES = ("UTC", "Etc/UTC", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu")
_chosen: list[tzinfo] = []  # the zone the setting chose, once a workspace opened with one; empty: the machine's


def _named(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name.strip().lstrip(":"))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name that is a folder (``Europe``)
        return None


def known_zone(name: str) -> tzinfo | None:
    """The zone an IANA name (``Asia/Tehran``) names, or None when it names none."""
    name = name.strip()
    return _named(name) if name and not name.startswith((":", "/", ".")) else None


def zone_problem(name: str) -> str | None:
    """Why ``name`` cannot be the person's zone, in words (with the names it may have meant), or None."""
    if not name.strip() or known_zone(name) is not None:
        return None
    names = sorted(available_timezones())
    folded = {n.casefold(): n for n in names}
    close = [folded[name.strip().casefold()]] if name.strip().casefold() in folded else []
    close = close or difflib.get_close_matches(name.strip(), names, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return (
        f"{name.strip()!r} is not a time zone: give a name such as Europe/London or Asia/Tehran, "
        f"or nothing for this computer's zone.{hint}"
    )


def choose(name: str) -> None:
    """Show every moment in the zone ``name`` names from now on; "" shows them in the machine's zone.

    Raises:
        ValueError: ``name`` names no zone (``zone_problem`` says why); the zone shown is left as it was.
    """
    zone = known_zone(name) if name.strip() else None
    if name.strip() and zone is None:
        raise ValueError(zone_problem(name))
    _chosen[:] = [zone] if zone is not None else []


def local_zone() -> tzinfo:
    """The person's zone: the one the ``time_zone`` setting chose, else the machine's."""
    return _chosen[0] if _chosen else machine_zone()


def machine_zone() -> tzinfo:
    """The machine's zone: ``$TZ``, else the zone ``/etc/localtime`` points to, else the offset it has now."""
    for name in (os.environ.get("TZ", ""), _link_name()):
        found = _named(name) if name else None
        if found is not None:
            return found
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def _link_name() -> str:
    """``Europe/London`` from ``/etc/localtime -> /usr/share/zoneinfo/Europe/London`` (Linux, macOS)."""
    try:
        target = str(_LOCALTIME.resolve())
    except OSError:
        return ""
    _, found, name = target.partition("zoneinfo/")
    return name if found else ""


def _in(zone: tzinfo | None, at: datetime) -> datetime:
    """``at`` in ``zone`` (the person's when None); a moment without a zone is UTC, as the cache keeps moments."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(zone or local_zone())


def zone_name(zone: tzinfo, at: datetime) -> str:
    """How the zone reads beside a time: ``Europe/London`` (or ``CET``, an offset's abbreviation)."""
    key = getattr(zone, "key", None)
    if key in _UTC_NAMES:
        return "UTC"
    return str(key) if key else _in(zone, at).tzname() or "local time"


def zone_label(zone: tzinfo | None = None, at: datetime | None = None) -> str:
    """The person's zone (or ``zone``) as it is named once beside the times: ``Asia/Tehran``, ``UTC``."""
    return zone_name(zone or local_zone(), at or datetime.now().astimezone())


def zoned(heading: str, zone: tzinfo | None = None) -> str:
    """A heading of times with their zone named: "When (Asia/Tehran)"."""
    return f"{heading} ({zone_label(zone)})"


# ---- the person's calendar and digits -------------------------------------------------------------------------

JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن",
                 "اسفند")  # fmt: skip
ARABIC_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
                 "ديسمبر")  # fmt: skip
WEEKDAYS = {  # Monday first, as datetime.weekday() counts
    "fa": ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"),
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ANY_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
JALALI_YEARS = range(1300, 1500)
"""Years read as Jalali when a day is typed: no Gregorian day of a support history lies there (2000–2100)."""


def _digits(text: str) -> str:
    return text.translate(PERSIAN_DIGITS) if language() == "fa" else text


def read_digits(text: str) -> str:
    """What was typed with Western digits: Persian (۱۴۰۵) and Arabic-Indic (٢٠٢٦) digits read as 1405 and 2026."""
    return text.translate(ANY_DIGITS)


def gregorian_day(year: int, month: int, day: int) -> date:
    """The day given as numbers: a Jalali date when its year is one (``JALALI_YEARS``), else a Gregorian one.

    Raises ``ValueError`` for a day that is in neither calendar."""
    if year in JALALI_YEARS:
        import jdatetime  # the Jalali calendar: loaded only for a Jalali day

        return jdatetime.date(year, month, day).togregorian()  # type: ignore[no-any-return]
    return date(year, month, day)


def _day_parts(local: datetime) -> tuple[int, str, int]:
    """The day of ``local`` in the person's calendar: (day, month name, year)."""
    if language() == "fa":
        import jdatetime

        jalali = jdatetime.date.fromgregorian(date=local.date())
        return jalali.day, JALALI_MONTHS[jalali.month - 1], jalali.year
    if language() == "ar":
        return local.day, ARABIC_MONTHS[local.month - 1], local.year
    return local.day, f"{local:%b}", local.year


def _day(local: datetime, *, year: bool = True) -> str:
    day, month, number = _day_parts(local)
    if language() == "en":
        return f"{day:02d} {month} {number}" if year else f"{day:02d} {month}"
    return f"{day} {month} {number}" if year else f"{day} {month}"


def moment_text(at: datetime, zone: tzinfo | None = None, *, named: bool = False) -> str:
    """15 Jan 2027 21:30, in the person's zone (or ``zone``) and calendar; ``named``, with the zone after it, for a
    moment read in a sentence: "15 Jan 2027 21:30 Asia/Tehran". A cell leaves the zone to its column's heading."""
    zone = zone or local_zone()
    local = _in(zone, at)
    text = _digits(f"{_day(local)} {local:%H:%M}")
    return f"{text} {zone_name(zone, at)}" if named else text


def short_moment(at: datetime, zone: tzinfo | None = None, now: datetime | None = None) -> str:
    """Mon 30 Nov 14:47 in the person's zone; the year too when it is not the year of ``now`` (or no ``now``)."""
    local = _in(zone, at)
    this_year = now is not None and _day_parts(now.astimezone(local.tzinfo))[2] == _day_parts(local)[2]
    weekday = WEEKDAYS[language()][local.weekday()] if language() in WEEKDAYS else f"{local:%a}"
    day, month, year = _day_parts(local)
    return _digits(f"{weekday} {day} {month}{'' if this_year else f' {year}'} {local:%H:%M}")


def day_text(at: datetime, zone: tzinfo | None = None) -> str:
    """15 Jan 2027: the day a moment falls on, in the person's zone and calendar."""
    return _digits(_day(_in(zone, at)))


def time_text(at: datetime, zone: tzinfo | None = None, *, seconds: bool = False) -> str:
    """21:30 (``seconds``: 21:30:05): the time of day of a moment, in the person's zone."""
    return _digits(f"{_in(zone, at):%H:%M:%S}" if seconds else f"{_in(zone, at):%H:%M}")


def window_text(start: datetime, end: datetime, zone: tzinfo | None = None, *, named: bool = False) -> str:
    """A window from ``start`` to ``end``: "15 Jan 2027 18:00–21:00", or "15 Jan 2027 22:00 – 16 Jan 01:00" when
    it ends on another day of the person's calendar (with its year when another year); ``named``, with the zone
    after it."""
    zone = zone or local_zone()
    first, last = _in(zone, start), _in(zone, end)
    if first.date() == last.date():
        text = f"{moment_text(first, zone)}–{_digits(f'{last:%H:%M}')}"
    elif _day_parts(first)[2] == _day_parts(last)[2]:
        text = f"{moment_text(first, zone)} – {_digits(f'{_day(last, year=False)} {last:%H:%M}')}"
    else:
        text = f"{moment_text(first, zone)} – {moment_text(last, zone)}"
    return f"{text} {zone_name(zone, start)}" if named else text
