"""When a demo change is planned and when it moves: by the rules the console enforces and shows.

The demo writes its history directly, not through the change service, so what the service would refuse or flag
is kept out here: a change that was approved is planned outside every freeze the planner finds for it; it is
tested and scheduled before its window, implemented or failed in it; one still on its way to production at the
demo's end has its window ahead. ``tests/integration/test_demo.py`` checks the whole demo against the console's
own planner.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from console.changes.rules import Freeze, FreezePolicy, PlannedChange, conflicts, period_end_freezes
from console.demo.rows import Dice
from console.sla.calendar import WorkingCalendar
from models import ChangeStage

PRODUCTION = (ChangeStage.IMPLEMENTED, ChangeStage.FAILED)  # moves made in the window (or after it started)


class Slots:
    """Where a demo change's window may go: the freezes the change planner finds for it (each unit's period-end
    close on the unit's own calendar, under the default freeze policy, and the year-end freeze windows), found
    with the same rules, so that what the demo approved the console does not show in a freeze."""

    def __init__(self, calendars: dict[uuid.UUID, WorkingCalendar], windows: list[Freeze]) -> None:
        self.calendars = calendars
        self.windows = windows

    def frozen(self, module_id: uuid.UUID, unit_id: uuid.UUID, start: datetime, end: datetime) -> bool:
        closes = period_end_freezes(
            self.calendars[unit_id],
            (start - timedelta(days=1)).date(),
            (end + timedelta(days=1)).date(),
            FreezePolicy(),
            unit=unit_id,
        )
        planned = PlannedChange(uuid.UUID(int=0), "", start, end, frozenset({module_id}), frozenset({unit_id}))
        return bool(conflicts(planned, (), [*self.windows, *closes]))

    def evening(
        self,
        module_id: uuid.UUID,
        unit_id: uuid.UUID,
        hours: int,
        earliest: datetime,
        latest: datetime,
        prefer: datetime,
        *,
        free: bool,
    ) -> tuple[datetime, datetime] | None:
        """A window from 18:00 UTC starting in [earliest, latest], the nearest to ``prefer``; with ``free``,
        only one outside every freeze (None when there is none)."""
        days: list[date] = []
        day = earliest.date()
        while day <= latest.date():
            start = datetime.combine(day, time(18), earliest.tzinfo)
            if earliest <= start <= latest:
                days.append(day)
            day += timedelta(days=1)
        days.sort(key=lambda d: (abs((d - prefer.date()).days), d))
        for day in days:
            start = datetime.combine(day, time(18), earliest.tzinfo)
            window = (start, start + timedelta(hours=hours))
            if not free or not self.frozen(module_id, unit_id, *window):
                return window
        return None


def spread(dice: Dice, steps: int, after: datetime, before: datetime) -> list[datetime]:
    """When each of ``steps`` stage moves happens: a few days apart, all between ``after`` and ``before``."""
    gaps = [timedelta(days=dice.uniform(0.2, 2.5)) for _ in range(steps)]
    room = (before - after) * 0.9
    if gaps and sum(gaps, timedelta()) > room:
        gaps = [gap * (room / sum(gaps, timedelta())) for gap in gaps]
    out, at = [], after
    for gap in gaps:
        at += gap
        out.append(at)
    return out


def timeline(
    dice: Dice,
    slots: Slots,
    module_id: uuid.UUID,
    unit_id: uuid.UUID,
    path: list[ChangeStage],
    opened: datetime,
    end: datetime,
    window: tuple[datetime, datetime] | None = None,
) -> tuple[datetime, tuple[datetime, datetime], list[datetime]]:
    """When the change was opened (earlier than asked, if every evening in reach is frozen), its window (``window``
    if given, for a change still open), and when it made each move of ``path`` after the first; everything before
    ``end``, the demo's now."""
    if window is not None:
        return opened, window, spread(dice, len(path) - 1, opened, end)
    hours = dice.choice((2, 3, 4))
    approved = ChangeStage.APPROVED in path
    production = next((s for s in path if s in PRODUCTION), None)
    if production is not None:
        ahead, after = path.index(production) - 1, len(path) - path.index(production) - 1
        while True:
            window = slots.evening(
                module_id,
                unit_id,
                hours,
                opened + timedelta(hours=ahead + 1),
                end - timedelta(hours=hours + 2 * after + 2),
                opened + timedelta(days=dice.uniform(7, 21)),
                free=approved,
            )
            if window is not None:
                break
            opened -= timedelta(days=7)
        start, stop = window
        moves = spread(dice, ahead, opened, start)
        moves.append(start + (stop - start) * dice.uniform(0.2, 0.9 if production is ChangeStage.FAILED else 1.0))
        moves += spread(dice, after, moves[-1], end)
        return opened, window, moves
    moves = spread(dice, len(path) - 1, opened, end)
    if path[-1] in (ChangeStage.REJECTED, ChangeStage.CANCELLED):  # stopped: its window no longer matters
        prefer = opened + timedelta(days=dice.uniform(7, 21))
        window = slots.evening(module_id, unit_id, hours, opened, prefer + timedelta(days=1), prefer, free=False)
    else:  # still open: its window is ahead
        prefer = end + timedelta(days=dice.uniform(1, 21))
        window = slots.evening(module_id, unit_id, hours, end, end + timedelta(days=60), prefer, free=approved)
    assert window is not None  # two months of evenings always hold one outside the freezes
    return opened, window, moves


def board_window(
    dice: Dice, slots: Slots, module_id: uuid.UUID, unit_id: uuid.UUID, end: datetime, days: int
) -> tuple[datetime, datetime] | None:
    """An evening window outside every freeze within ``days`` of ``end``, for a change on the board's agenda; None
    when every evening in reach is frozen (the year-end shutdown)."""
    hours = dice.choice((2, 3, 4))
    prefer = end + timedelta(days=dice.uniform(2, days - 4))
    latest = end + timedelta(days=days) - timedelta(hours=1)
    return slots.evening(module_id, unit_id, hours, end + timedelta(hours=1), latest, prefer, free=True)
