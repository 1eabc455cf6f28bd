"""Export: tickets with their whole history to CSV and JSONL, and back through our own importer unchanged."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.imports import (
    EventKind,
    ImportedEvent,
    ImportedTicket,
    ImportFailed,
    ImportFile,
    Source,
    export,
    read_jsonl,
)
from console.imports.export import HEADINGS, escaped
from models import Impact, Priority, TicketStatus, Urgency

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SOURCES = [
    ("servicenow_events.csv", "Asia/Dubai"),
    ("servicenow_events_broken.csv", "UTC"),
    ("servicenow_list_cp1256.csv", "Asia/Tehran"),
    ("jira.csv", "Asia/Tehran"),
    ("jira_utf16.txt", "Asia/Tehran"),
]


def imported(path: Path, zone: str | None = None) -> list[ImportedTicket]:
    return list(ImportFile(path, time_zone=zone, cell_limit=1000).read())


@pytest.mark.parametrize(("name", "zone"), SOURCES)
def test_every_fixture_comes_back_the_same_from_csv_and_jsonl(tmp_path: Path, name: str, zone: str) -> None:
    tickets = imported(FIXTURES / name, zone)
    assert tickets
    assert export(tickets, tmp_path / "out.csv") == len(tickets)
    assert export(tickets, tmp_path / "out.jsonl") == len(tickets)
    again = ImportFile(tmp_path / "out.csv")
    assert again.source is Source.CONSOLE
    assert not again.needs_time_zone  # our moments carry their offset
    reading = again.read()
    assert list(reading) == tickets
    assert not reading.problems.bad_rows
    assert list(read_jsonl(tmp_path / "out.jsonl")) == tickets


def test_the_csv_is_an_event_log_a_person_can_read(tmp_path: Path) -> None:
    tickets = imported(FIXTURES / "servicenow_events.csv", "Asia/Dubai")
    export(tickets[:1], tmp_path / "out.csv")
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel shows Persian right with the mark
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [(r["event_seq"], r["event"], r["status"], r["assignee"]) for r in rows] == [
        ("0", "created", "new", ""),
        ("1", "assignee", "new", "Resolver 149"),
        ("2", "status", "in_progress", "Resolver 149"),
        ("3", "status", "pending_reporter", "Resolver 149"),
        ("4", "status", "in_progress", "Resolver 149"),
        ("5", "status", "resolved", "Resolver 149"),
        ("6", "status", "closed", "Resolver 149"),
    ]
    assert rows[3]["source_status"] == "Awaiting User Info"
    assert rows[3]["event_at"] == "2016-02-29T04:53:00+00:00"
    assert {r["created"] for r in rows} == {"2016-02-28T21:16:00+00:00"}
    assert list(rows[0]) == list(HEADINGS)


def test_formulas_go_out_escaped_and_come_back_as_they_were(tmp_path: Path) -> None:
    tickets = imported(FIXTURES / "servicenow_events_broken.csv", "UTC")
    export(tickets, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as out:
        cells = [c for row in csv.reader(out) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "''-2+3+cmd|' /C calc'!A0" in cells  # neutralised when imported, escaped again on the way out
    assert [t.title for t in imported(tmp_path / "out.csv")] == [t.title for t in tickets]


@pytest.mark.parametrize(
    ("cell", "written"),
    [("=1+1", "'=1+1"), ("- step", "'- step"), ("'quoted", "''quoted"), ("\tx", "'\tx"), ("plain", "plain"), ("", "")],
)
def test_escaped(cell: str, written: str) -> None:
    assert escaped(cell) == written


def test_export_to_another_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"\.csv or a \.jsonl file; out\.xlsx is neither"):
        export([], tmp_path / "out.xlsx")


def test_a_jsonl_line_that_is_no_ticket_is_said(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('\n{"key": "SD-1"}\n', encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"Line 2 of bad\.jsonl is not a ticket of our export"):
        list(read_jsonl(path))


def test_jsonl_is_one_ticket_per_line_with_its_events(tmp_path: Path) -> None:
    tickets = imported(FIXTURES / "jira.csv", "Asia/Tehran")
    export(tickets, tmp_path / "out.jsonl")
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    first = json.loads(lines[0])
    assert (first["key"], first["status"], first["created_at"]) == ("SD-101", "resolved", "2024-03-12T05:45:00+00:00")
    assert [e["kind"] for e in first["events"]] == ["comment", "comment", "status"]
    assert json.loads(lines[2])["title"] == "خطا در گزارش مالیات بر ارزش افزوده"  # as it is, not escaped


# ---- any consistent ticket, out and back ---------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 .,;:|!()'\"=+-@\t\n?") + list("سلامپچژگکی‌") + ["\u200f", "é"]),
    min_size=1,
    max_size=24,
).filter(lambda s: bool(s.strip()))
WORD = TEXT.map(str.strip)
NAME = st.none() | WORD
START = datetime(2015, 1, 1, tzinfo=UTC)
MOMENT = st.integers(0, 10 * 365 * 24 * 3600).map(lambda s: START + timedelta(seconds=s))
STATUSES = list(TicketStatus)
PRIORITIES = list(Priority)


@st.composite
def tickets(draw: st.DrawFn, key: str) -> ImportedTicket:
    created = draw(MOMENT)
    state: dict[EventKind, str | None] = {
        EventKind.STATUS: draw(st.sampled_from(STATUSES)).value,
        EventKind.PRIORITY: draw(st.sampled_from(PRIORITIES)).value,
        EventKind.GROUP: draw(NAME),
        EventKind.ASSIGNEE: draw(NAME),
    }
    words = {EventKind.STATUS: draw(WORD | st.just("")), EventKind.PRIORITY: draw(WORD | st.just(""))}
    events: list[ImportedEvent] = []
    for _ in range(draw(st.integers(0, 8))):
        seq = len(events) + 1
        kind = draw(st.sampled_from(list(EventKind)))
        at = created + timedelta(seconds=draw(st.integers(0, 30 * 24 * 3600)))  # any order, none before creation
        actor = draw(NAME)
        if kind in (EventKind.COMMENT, EventKind.WORK_NOTE):
            events.append(ImportedEvent(seq, at, kind, None, draw(TEXT), actor))
            continue
        if kind is EventKind.STATUS:
            new: str | None = draw(st.sampled_from([s.value for s in STATUSES if s.value != state[kind]]))
        elif kind is EventKind.PRIORITY:
            new = draw(st.sampled_from([p.value for p in PRIORITIES if p.value != state[kind]]))
        else:
            new = draw(NAME)
            if new == state[kind]:
                continue  # no change, no event
        source = draw(st.none() | WORD) if kind in words else None
        events.append(ImportedEvent(seq, at, kind, state[kind], new, actor, source))
        state[kind] = new
        if kind in words:
            words[kind] = source or ""
    status = TicketStatus(str(state[EventKind.STATUS]))
    # As the importer gives them: a resolved or closed ticket has the moments it was resolved (and closed).
    resolved = draw(MOMENT if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else st.none() | MOMENT)
    closed = draw(MOMENT if status is TicketStatus.CLOSED else st.none() | MOMENT)
    return ImportedTicket(
        source_system=draw(WORD),
        key=key,
        title=draw(TEXT),
        description=draw(st.just("") | TEXT),
        status=status,
        source_status=words[EventKind.STATUS],
        priority=Priority(str(state[EventKind.PRIORITY])),
        source_priority=words[EventKind.PRIORITY],
        impact=draw(st.none() | st.sampled_from(list(Impact))),
        urgency=draw(st.none() | st.sampled_from(list(Urgency))),
        module=draw(NAME),
        unit=draw(NAME),
        category=draw(NAME),
        reporter=draw(NAME),
        assignee=state[EventKind.ASSIGNEE],
        group=state[EventKind.GROUP],
        created_at=created,
        resolved_at=resolved,
        closed_at=closed,
        reopen_count=draw(st.integers(0, 5)),
        source_sla_met=draw(st.none() | st.booleans()),
        events=tuple(events),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(found=st.lists(WORD, min_size=1, max_size=4, unique=True).flatmap(lambda keys: st.tuples(*map(tickets, keys))))
def test_any_ticket_comes_back_the_same(tmp_path: Path, found: tuple[ImportedTicket, ...]) -> None:
    export(found, tmp_path / "any.csv")
    export(found, tmp_path / "any.jsonl")
    assert tuple(imported(tmp_path / "any.csv")) == found
    assert tuple(read_jsonl(tmp_path / "any.jsonl")) == found
