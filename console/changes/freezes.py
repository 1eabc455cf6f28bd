"""Freeze rules and the planner that finds clashes of change windows.

The period-end freeze lengths of this deployment (kept in ``deployment_info``, so they sync like any
setting), and what a planned window clashes with: other changes on a module or unit, freeze windows,
each affected unit's period-end close on its working calendar. The planner reads names, calendars,
freeze windows and the policy once, so that the lists can check many changes from the local cache,
offline, with the same answers the service gives. The freeze windows themselves and what counts as a
clash are computed without the database, in ``console.changes.rules`` (``period_end_freezes``, ``conflicts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select

from console.access import Refused
from console.changes.facts import change_row, scope, scopes
from console.changes.rules import Conflict, Freeze, FreezePolicy, PlannedChange, conflicts, period_end_freezes
from console.changes.stages import IN_CALENDAR
from console.sla.calendar import WorkingCalendar
from console.sla.store import SlaContext
from models import BusinessUnit, ChangeRequest, DeploymentInfo, ErpModule, FreezeWindow, table_of

FREEZE_KEY = "change_freeze_days"


def freeze_policy(conn: Connection) -> FreezePolicy:
    """The period-end freeze lengths of this deployment (``deployment_info``), else the defaults."""
    text = conn.execute(select(DeploymentInfo.value).where(DeploymentInfo.key == FREEZE_KEY)).scalar()
    return parse_freeze_policy(text) if text else FreezePolicy()


def parse_freeze_policy(text: str) -> FreezePolicy:
    """``month=3,2 quarter=5,3 year=7,5``: working days frozen before and after each period end."""
    values: dict[str, tuple[int, int]] = {}
    for part in text.split():
        key, _, days = part.partition("=")
        try:
            last, first = (int(n) for n in days.split(","))
        except ValueError:
            raise Refused(f"{part!r}: write PERIOD=LAST,FIRST, e.g. month=3,2.") from None
        if key not in ("month", "quarter", "year") or not (0 <= last <= 15 and 0 <= first <= 15):
            raise Refused(f"{part!r}: the period is month, quarter or year, and each count 0 to 15 working days.")
        values[key] = (last, first)
    return replace(FreezePolicy(), **values)


def freeze_text(policy: FreezePolicy) -> str:
    """The policy as ``parse_freeze_policy`` reads it."""
    return " ".join(f"{name}={days[0]},{days[1]}" for name, days in
                    (("month", policy.month), ("quarter", policy.quarter), ("year", policy.year)))  # fmt: skip


def set_freeze_policy(conn: Connection, policy: FreezePolicy) -> None:
    conn.execute(delete(DeploymentInfo).where(DeploymentInfo.key == FREEZE_KEY))
    conn.execute(insert(table_of(DeploymentInfo)), [{"key": FREEZE_KEY, "value": freeze_text(policy)}])


class Planner:
    """What conflict checks need, read once: names, unit calendars, freeze windows, the freeze policy."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.names: dict[uuid.UUID, str] = {
            **{r.id: f"module {r.code}" for r in conn.execute(select(ErpModule.id, ErpModule.code))},
            **{r.id: f"unit {r.code}" for r in conn.execute(select(BusinessUnit.id, BusinessUnit.code))},
        }
        self.codes = {k: v.split(" ", 1)[1] for k, v in self.names.items()}
        context = SlaContext.load(conn)
        self.calendars: dict[uuid.UUID, WorkingCalendar] = {
            unit: context.calendars[calendar]
            for unit, (_, calendar) in context.units.items()
            if calendar in context.calendars
        }
        self.policy = freeze_policy(conn)

    def freezes(self, start: datetime, end: datetime, units: Iterable[uuid.UUID] | None = None) -> list[Freeze]:
        """Freeze windows stored as data, and every period-end close of these units (all when None)."""
        rows = self.conn.execute(
            select(table_of(FreezeWindow)).where(FreezeWindow.starts_at < end, FreezeWindow.ends_at > start)
        )
        found = [
            Freeze(
                w.name,
                w.starts_at,
                w.ends_at,
                frozenset({w.module_id}) if w.module_id else frozenset(),
                frozenset({w.business_unit_id}) if w.business_unit_id else frozenset(),
            )
            for w in rows
        ]
        first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
        for unit in sorted(self.calendars if units is None else units):
            calendar = self.calendars.get(unit)
            if calendar is not None:
                for freeze in period_end_freezes(calendar, first, last, self.policy, unit=unit):
                    if freeze.starts_at < end and freeze.ends_at > start:
                        found.append(replace(freeze, name=f"{freeze.name} ({self.codes.get(unit, '?')})"))
        return found

    def planned(self, start: datetime, end: datetime) -> list[PlannedChange]:
        """Changes whose window overlaps [start, end) and still takes its slot."""
        rows = self.conn.execute(
            select(
                ChangeRequest.id, ChangeRequest.number, ChangeRequest.planned_start, ChangeRequest.planned_end
            ).where(
                ChangeRequest.planned_start < end,
                ChangeRequest.planned_end > start,
                ChangeRequest.stage.in_([s.value for s in IN_CALENDAR]),
            )
        ).all()
        found = scopes(self.conn, [r.id for r in rows])
        return [PlannedChange(r.id, r.number, r.planned_start, r.planned_end, *found[r.id]) for r in rows]

    def conflicts_of(self, change: PlannedChange) -> list[Conflict]:
        return conflicts(
            change,
            self.planned(change.starts_at, change.ends_at),
            self.freezes(change.starts_at, change.ends_at, change.units),
            self.names,
        )


def change_conflicts(conn: Connection, change_id: uuid.UUID, planner: Planner | None = None) -> list[Conflict]:
    """Why the change's planned window is a problem, if it has one and it is."""
    row = change_row(conn, change_id)
    if row["planned_start"] is None or row["planned_end"] is None:
        return []
    modules, units = scope(conn, change_id)
    planned = PlannedChange(change_id, row["number"], row["planned_start"], row["planned_end"], modules, units)
    return (planner or Planner(conn)).conflicts_of(planned)
