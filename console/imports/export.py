"""Tickets with their whole history, out: CSV (one row per event) and JSONL (one ticket per line).

**CSV** is an event log our importer reads back with its built-in mapping (``Source.CONSOLE``): each ticket's
first row is the ticket as logged (``event_seq`` 0, ``event`` ``created``), then one row per event in ``seq``
order, each with the ticket's state after it (status, priority, group, assignee, the source's words beside
ours), the event's time and author, and the note's text for a comment or work note. The ticket's other fields
(title, dates, counts, the source's SLA flag) repeat on every row, so any row can be read alone. UTF-8 with a
byte order mark, so Excel shows Persian and Arabic as they are.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or ``'`` is written with a ``'``
in front, so no spreadsheet runs it as a formula (OWASP's advice for CSV injection); our importer takes one
``'`` off such a cell, so what went out comes back.

**JSONL**: one ticket per line, its fields as ``ImportedTicket`` names them, moments in ISO 8601 UTC, its
events in a list; ``read_jsonl`` reads it back.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from console.i18n import _
from console.imports.dates import iso
from console.imports.problems import ImportFailed
from console.imports.records import CHANGES, EventKind, ImportedEvent, ImportedTicket
from console.imports.sources import CONSOLE_COLUMNS
from models import Impact, Priority, TicketStatus, Urgency

HEADINGS = tuple(heading for heading, _field in CONSOLE_COLUMNS)
HEADINGS = (*HEADINGS[:4], "event", *HEADINGS[4:])
RISKY = ("=", "+", "-", "@", "\t", "\r", "'")


def escaped(cell: str) -> str:
    """The cell as written: a ``'`` in front of one a spreadsheet could run (or that starts with ``'`` itself)."""
    return "'" + cell if cell.startswith(RISKY) else cell


def _moment(value: datetime | None) -> str:
    return iso(value) if value is not None else ""


def _flag(value: bool | None) -> str:
    return "" if value is None else "true" if value else "false"


def event_rows(ticket: ImportedTicket) -> Iterator[dict[str, str]]:
    """The ticket's rows in the CSV: as logged, then one per event."""
    fixed = {
        "source_system": ticket.source_system,
        "key": ticket.key,
        "title": ticket.title,
        "description": ticket.description,
        "impact": ticket.impact.value if ticket.impact else "",
        "urgency": ticket.urgency.value if ticket.urgency else "",
        "module": ticket.module or "",
        "unit": ticket.unit or "",
        "category": ticket.category or "",
        "reporter": ticket.reporter or "",
        "created": _moment(ticket.created_at),
        "resolved": _moment(ticket.resolved_at),
        "closed": _moment(ticket.closed_at),
        "reopen_count": str(ticket.reopen_count),
        "sla_met": _flag(ticket.source_sla_met),
    }
    kinds = {EventKind.STATUS: ("status", "source_status"), EventKind.PRIORITY: ("priority", "source_priority")}
    state = {kind.value: ticket.first(kind) or "" for kind in CHANGES}
    changed = {kind for event in ticket.events for kind in kinds if event.kind is kind}
    # The source's word for a first value is not kept: empty, unless the value never changes (then it is the last).
    state["source_status"] = "" if EventKind.STATUS in changed else ticket.source_status
    state["source_priority"] = "" if EventKind.PRIORITY in changed else ticket.source_priority
    yield {**fixed, **state, "event_seq": "0", "event_at": _moment(ticket.created_at), "event": "created"}
    for event in ticket.events:
        notes = {"comment": "", "work_note": ""}
        if event.kind in (EventKind.COMMENT, EventKind.WORK_NOTE):
            notes[event.kind.value] = event.new or ""
        else:
            state[event.kind.value] = event.new or ""
            if event.kind in kinds:
                state[kinds[event.kind][1]] = event.source_value or ""
        yield {
            **fixed,
            **state,
            **notes,
            "event_seq": str(event.seq),
            "event_at": _moment(event.at),
            "event": event.kind.value,
            "event_by": event.actor or "",
        }


def write_csv(tickets: Iterable[ImportedTicket], out: TextIO) -> int:
    """Write the tickets as our event-log CSV to ``out`` (opened with ``newline=""``); how many tickets."""
    writer = csv.DictWriter(out, HEADINGS, restval="", lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for ticket in tickets:
        writer.writerows({k: escaped(v) for k, v in row.items()} for row in event_rows(ticket))
        count += 1
    return count


def ticket_json(ticket: ImportedTicket) -> dict[str, Any]:
    found = asdict(ticket)
    found.pop("row")
    for key in ("created_at", "resolved_at", "closed_at"):
        found[key] = _moment(found[key]) or None
    found["events"] = [
        {**{k: v for k, v in asdict(event).items() if k != "row"}, "at": iso(event.at)} for event in ticket.events
    ]
    return found


def write_jsonl(tickets: Iterable[ImportedTicket], out: TextIO) -> int:
    """Write one ticket per line to ``out``; how many tickets."""
    count = 0
    for ticket in tickets:
        out.write(json.dumps(ticket_json(ticket), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def export(tickets: Iterable[ImportedTicket], path: Path) -> int:
    """Write the tickets to ``path``, CSV or JSONL by its suffix; how many tickets.

    Raises:
        ImportFailed: a suffix that is neither ``.csv`` nor ``.jsonl``.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
            return write_csv(tickets, out)
    if suffix in (".jsonl", ".ndjson"):
        with Path(path).open("w", encoding="utf-8", newline="\n") as out:
            return write_jsonl(tickets, out)
    raise ImportFailed(_("Export to a .csv or a .jsonl file; {name} is neither.").format(name=Path(path).name))


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def ticket_from_json(found: dict[str, Any]) -> ImportedTicket:
    events = tuple(
        ImportedEvent(
            seq=int(e["seq"]),
            at=datetime.fromisoformat(e["at"]),
            kind=EventKind(e["kind"]),
            old=e["old"],
            new=e["new"],
            actor=e["actor"],
            source_value=e["source_value"],
        )
        for e in found["events"]
    )
    created = _when(found["created_at"])
    assert created is not None
    return ImportedTicket(
        source_system=found["source_system"],
        key=found["key"],
        title=found["title"],
        description=found["description"],
        status=TicketStatus(found["status"]),
        source_status=found["source_status"],
        priority=Priority(found["priority"]),
        source_priority=found["source_priority"],
        impact=Impact(found["impact"]) if found["impact"] else None,
        urgency=Urgency(found["urgency"]) if found["urgency"] else None,
        module=found["module"],
        unit=found["unit"],
        category=found["category"],
        reporter=found["reporter"],
        assignee=found["assignee"],
        group=found["group"],
        created_at=created,
        resolved_at=_when(found["resolved_at"]),
        closed_at=_when(found["closed_at"]),
        reopen_count=int(found["reopen_count"]),
        source_sla_met=found["source_sla_met"],
        events=events,
    )


def read_jsonl(path: Path) -> Iterator[ImportedTicket]:
    """The tickets of a JSONL export, one per line (blank lines passed over).

    Raises:
        ImportFailed: a line that is not one of our tickets.
    """
    with Path(path).open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield ticket_from_json(json.loads(line))
            except (ValueError, KeyError, TypeError, AssertionError) as error:
                raise ImportFailed(
                    _("Line {line} of {name} is not a ticket of our export: {error}.").format(
                        line=number, name=Path(path).name, error=error
                    )
                ) from None
