"""A ticket's SLA as evidence: its clocks and every start, pause, resume and stop, as rows."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from console.sla.engine import ClockResult, SlaResult

COLUMNS = ("ticket", "at", "clock", "event", "status", "business_time_used")


def _duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    sign = "-" if value < timedelta() else ""
    minutes = abs(int(value.total_seconds())) // 60
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def _instant(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def clock_rows(number: str, result: SlaResult) -> list[dict[str, str]]:
    def row(clock: ClockResult) -> dict[str, str]:
        return {
            "ticket": number,
            "clock": str(clock.clock),
            "state": str(clock.state),
            "target": _duration(clock.target),
            "used": _duration(clock.used),
            "paused": _duration(clock.paused),
            "left": _duration(clock.left),
            "due_at": _instant(clock.due_at),
            "breached_at": _instant(clock.breached_at),
            "stopped_at": _instant(clock.stopped_at),
            "release": clock.release.name if clock.release else "",
        }

    return [row(result.response), row(result.resolution)]


def timeline_rows(number: str, result: SlaResult) -> dict[str, list[dict[str, str]]]:
    events = [
        {
            "ticket": number,
            "at": _instant(e.at),
            "clock": str(e.clock),
            "event": str(e.kind),
            "status": e.status,
            "business_time_used": _duration(e.used),
        }
        for e in result.timeline
    ]
    return {"clocks": clock_rows(number, result), "timeline": events}


def write_rows(out: TextIO, fmt: str, sections: dict[str, list[dict[str, str]]]) -> None:
    """Write the sections as a readable table, CSV (sections one after the other) or JSON."""
    if fmt == "json":
        json.dump(sections, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    for index, (name, rows) in enumerate(sections.items()):
        if not rows:
            continue
        columns: Sequence[str] = list(rows[0])
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            continue
        if index:
            out.write("\n")
        out.write(f"{name.capitalize()}\n")
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
        out.write("  ".join(c.ljust(widths[c]) for c in columns).rstrip() + "\n")
        for r in rows:
            out.write("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() + "\n")
