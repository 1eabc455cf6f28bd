"""A ticket's SLA as evidence: its clocks and every start, pause, resume and stop, as rows for a file (a table
or CSV in words, JSON typed: ``console.rows``)."""

from __future__ import annotations

from console.rows import Cell, Rows
from console.rows import write_rows as write_rows  # where the report and the agenda have always found it
from console.sla.engine import ClockResult, SlaResult
from models import TicketStatus

CLOCK_COLUMNS = {
    "ticket": "Ticket",
    "clock": "Clock",
    "state": "State",
    "target_minutes": "Target",
    "used_minutes": "Business time used",
    "paused_minutes": "Paused",
    "left_minutes": "Left",
    "due_at": "Due",
    "breached_at": "Breached at",
    "stopped_at": "Stopped at",
    "release": "Release",
}
TIMELINE_COLUMNS = {
    "ticket": "Ticket",
    "at": "At",
    "clock": "Clock",
    "event": "Event",
    "status": "Status",
    "business_minutes_used": "Business time used",
}


def clock_rows(number: str, result: SlaResult) -> Rows:
    def row(clock: ClockResult) -> dict[str, Cell]:
        return {
            "ticket": number,
            "clock": clock.clock,
            "state": clock.state,
            "target_minutes": clock.target,
            "used_minutes": clock.used,
            "paused_minutes": clock.paused,
            "left_minutes": clock.left,
            "due_at": clock.due_at,
            "breached_at": clock.breached_at,
            "stopped_at": clock.stopped_at,
            "release": clock.release.name if clock.release else None,
        }

    return Rows("SLA clocks", CLOCK_COLUMNS, [row(result.response), row(result.resolution)])


def _status(value: str) -> Cell:
    try:
        return TicketStatus(value)
    except ValueError:
        return value


def timeline_rows(number: str, result: SlaResult) -> dict[str, Rows]:
    events: list[dict[str, Cell]] = [
        {
            "ticket": number,
            "at": e.at,
            "clock": e.clock,
            "event": e.kind,
            "status": _status(e.status),
            "business_minutes_used": e.used,
        }
        for e in result.timeline
    ]
    return {"clocks": clock_rows(number, result), "timeline": Rows("SLA timeline", TIMELINE_COLUMNS, events)}
