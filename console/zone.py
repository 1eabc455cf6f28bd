"""The person's time zone, in which every moment they read is shown: the machine's, for now.

One place, so that the setting that lets a person choose it (issue 18) changes every screen and file at once.
A real zone (``Europe/London``), not the offset of today, so a picture that spans a change of daylight-saving
time shows both sides of it right.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LOCALTIME = Path("/etc/localtime")


def _named(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name.strip().lstrip(":"))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_zone() -> tzinfo:
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


def zone_name(zone: tzinfo, at: datetime) -> str:
    """How the zone reads beside a time: ``Europe/London`` (or ``CET``, an offset's abbreviation)."""
    key = getattr(zone, "key", None)
    if key in ("UTC", "Etc/UTC", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"):
        return "UTC"
    return str(key) if key else at.astimezone(zone).tzname() or "local time"
