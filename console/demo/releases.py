"""The demo's release calendar: a release of every ERP module each quarter, past ones and two quarters ahead.

Each module ships once a quarter, named ``R{year}.{quarter}``, on a Saturday evening of the quarter's last
month: the second Saturday for half the modules and the third for the others (one team does not carry two
go-lives in one weekend), well before the quarter-end close freezes production. A Low ticket is due with
the first release of its module after it was logged, and its ``planned_release`` names that release.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from console.demo.rows import Rows
from models import Release, table_of

QUARTERS_AHEAD = 2  # planned beyond the quarter of the demo's end
GO_LIVE = time(18)  # UTC: the evening in Dubai, Tehran and London alike


def _saturday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(5 - first.weekday()) % 7 + 7 * (nth - 1))


def production_at(year: int, quarter: int, module_index: int) -> datetime:
    """When the module's release of that quarter reaches production."""
    return datetime.combine(_saturday(year, quarter * 3, 2 + module_index % 2), GO_LIVE, UTC)


@dataclass
class ReleaseCalendar:
    """Each module's releases in production order: (moment, name)."""

    by_module: dict[uuid.UUID, list[tuple[datetime, str]]] = field(default_factory=dict)

    def due_with(self, module_id: uuid.UUID, logged_at: datetime) -> str | None:
        """The release a ticket of this module logged then is due with: the first after it."""
        releases = self.by_module.get(module_id, [])
        index = bisect.bisect_right([at for at, _ in releases], logged_at)
        return releases[index][1] if index < len(releases) else None


def build_releases(rows: Rows, module_ids: list[uuid.UUID], first_day: date, end: datetime) -> ReleaseCalendar:
    """Every module's quarterly releases from the quarter of ``first_day`` to two quarters after ``end``'s.

    Ids come from the module's id and the release's name, not from the dice, so adding the calendar
    changes nothing else a seed gives."""
    calendar = ReleaseCalendar()
    year, quarter = first_day.year, (first_day.month - 1) // 3 + 1
    last = (end.year, (end.month - 1) // 3 + 1 + QUARTERS_AHEAD)
    last = (last[0] + (last[1] - 1) // 4, (last[1] - 1) % 4 + 1)
    while (year, quarter) <= last:
        name = f"R{year}.{quarter}"
        for index, module_id in enumerate(module_ids):
            at = production_at(year, quarter, index)
            rows.add(table_of(Release), id=uuid.uuid5(module_id, name), module_id=module_id, name=name,
                     production_at=at, cancelled_at=None)  # fmt: skip
            calendar.by_module.setdefault(module_id, []).append((at, name))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return calendar
