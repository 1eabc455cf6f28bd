"""Listings as a person reads them (a table, CSV in words) and as a program reads them (JSON, typed)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

from console import zone
from console.rows import Cell, Record, Rows, one_line, width, write_rows, write_sections
from models import ChangeStage, Priority, SlaState, TicketStatus

COLUMNS = {"number": "Number", "status": "Status", "tier": "Tier", "due_at": "Due", "sla": "SLA", "title": "Title"}
DUE = datetime(2027, 1, 15, 18, 0, tzinfo=UTC)
ROWS: list[dict[str, Cell]] = [
    {"number": "INC-1", "status": TicketStatus.IN_PROGRESS, "tier": 3, "due_at": DUE, "sla": SlaState.MISSED,
     "title": "Payment run\t4711\nstuck"},
    {"number": "INC-22", "status": TicketStatus.NEW, "tier": 1, "due_at": None, "sla": None,
     "title": "月末決算 closing"},
]  # fmt: skip


def written(fmt: str, sections: dict[str, Rows | Record]) -> str:
    out = io.StringIO()
    write_sections(out, fmt, sections)
    return out.getvalue()


def test_a_table_keeps_its_columns_whatever_the_text() -> None:
    lines = written("table", {"tickets": Rows("Tickets", COLUMNS, ROWS)}).splitlines()
    assert lines[0] == "Tickets"
    assert len(lines) == 4  # title, headings, two rows: a tab or a line break in a title breaks no row
    header, first, second = lines[1:]
    assert header.split() == ["Number", "Status", "Tier", "Due", "(UTC)", "SLA", "Title"]  # the zone named once
    at = header.index("Title")
    assert first[at:] == "Payment run 4711 ⏎ stuck"
    assert width(second[:at]) == at  # the wide characters come after the title's column starts
    assert second[at:] == "月末決算 closing"
    for said in ("In progress", "15 Jan 2027 18:00", "breached"):
        assert said in first
    assert header.index("Status") == first.index("In progress") == second.index("New")


def test_wide_characters_take_two_columns_and_joiners_none() -> None:
    assert width("月末") == 4
    assert width("می\u200cخواهم") == 7  # a Persian word with a zero-width non-joiner
    rows: list[dict[str, Cell]] = [{"a": "月末", "b": "x"}, {"a": "ab", "b": "y"}]
    lines = written("table", {"t": Rows("", {"a": "A", "b": "B"}, rows)}).splitlines()
    assert [width(line[: line.index(end)]) for line, end in zip(lines, "Bxy", strict=True)] == [6, 6, 6]


def test_one_line_shows_breaks_and_hides_control_characters() -> None:
    assert one_line("a\tb") == "a b"
    assert one_line("a\r\nb\u2028c") == "a ⏎ b ⏎ c"
    assert one_line("bell\x07 and \x1b[31mred") == "bell\ufffd and \ufffd[31mred"


def test_json_is_typed() -> None:
    minutes: list[dict[str, Cell]] = [
        {"used_minutes": timedelta(hours=2, minutes=5), "left_minutes": -timedelta(minutes=90)}
    ]
    data = json.loads(
        written(
            "json",
            {
                "tickets": Rows("Tickets", COLUMNS, ROWS, machine=("number", "status", "tier", "due_at", "sla")),
                "clock": Rows("Clock", {"used_minutes": "Used", "left_minutes": "Left"}, minutes),
                "change": Record("Change", {"stage": "Stage"}, {"stage": ChangeStage.AWAITING_APPROVAL}),
            },
        )
    )
    first, second = data["tickets"]
    assert first == {"number": "INC-1", "status": "in_progress", "tier": 3, "due_at": "2027-01-15T18:00:00+00:00",
                     "sla": "missed"}  # fmt: skip
    assert (second["due_at"], second["sla"]) == (None, None)
    assert datetime.fromisoformat(first["due_at"]).tzinfo is not None
    assert data["clock"] == [{"used_minutes": 125, "left_minutes": -90}]
    assert data["change"] == {"stage": "awaiting_approval"}
    dubai = timezone(timedelta(hours=4))
    moment = json.loads(written("json", {"m": Rows("", {"at": "At"}, [{"at": DUE.astimezone(dubai)}])}))
    assert moment["m"][0]["at"] == "2027-01-15T22:00:00+04:00"  # a time keeps its zone


def test_csv_has_headings_and_values_in_words_and_whole_text() -> None:
    out = written("csv", {"tickets": Rows("Tickets", COLUMNS, ROWS)})
    read = list(csv.reader(io.StringIO(out)))
    assert read[0] == ["Number", "Status", "Tier", "Due (UTC)", "SLA", "Title"]
    assert read[1] == ["INC-1", "In progress", "3", "15 Jan 2027 18:00", "breached", "Payment run\t4711\nstuck"]
    assert read[2][3:5] == ["", ""]
    empty = written("csv", {"tickets": Rows("Tickets", COLUMNS, [])})
    assert empty == "Number,Status,Tier,Due (UTC),SLA,Title\n"  # a listing of none: the same headings, for a script


def test_a_record_is_one_object_one_csv_row_and_a_table_of_fields() -> None:
    record = Record("Ticket", {"number": "Number", "priority": "Priority", "tier": "Tier", "vendor": "Vendor"},
                    {"number": "INC-1", "priority": Priority.HIGH, "tier": 1400, "vendor": None})  # fmt: skip
    assert json.loads(written("json", {"ticket": record})) == {
        "ticket": {"number": "INC-1", "priority": "high", "tier": 1400, "vendor": None}
    }
    assert written("csv", {"ticket": record}).splitlines() == ["Number,Priority,Tier,Vendor", "INC-1,High,1400,"]
    assert written("table", {"ticket": record}).splitlines() == [
        "Ticket",
        "Number    INC-1",
        "Priority  High",
        "Tier      1,400",
        "Vendor",
    ]


def test_an_empty_list_leaves_a_table_to_its_caller() -> None:
    assert written("table", {"tickets": Rows("Tickets", COLUMNS, [])}) == ""


def test_rows_keyed_by_their_headings_as_before() -> None:
    out = io.StringIO()
    write_rows(out, "table", {"": [{"week": "2026-W48", "met": "12"}]})
    assert out.getvalue().splitlines() == ["week      met", "2026-W48  12"]


def test_times_are_in_the_persons_zone_named_once_in_their_heading_and_json_keeps_the_offset() -> None:
    zone.choose("Asia/Tehran")  # as the time_zone setting does when the workspace opens
    lines = written("table", {"tickets": Rows("Tickets", COLUMNS, ROWS)}).splitlines()
    assert "Due (Asia/Tehran)" in lines[1]
    assert "15 Jan 2027 21:30" in lines[2]  # 18:00 UTC is 21:30 in Tehran (+03:30)
    assert "Asia/Tehran" not in lines[2]
    read = list(csv.reader(io.StringIO(written("csv", {"tickets": Rows("Tickets", COLUMNS, ROWS)}))))
    assert read[0][3] == "Due (Asia/Tehran)"
    assert read[1][3] == "15 Jan 2027 21:30"
    record = Record("Ticket", {"number": "Number", "created_at": "Created"}, {"number": "INC-1", "created_at": DUE})
    assert written("table", {"ticket": record}).splitlines()[-1].split() == ["Created", "(Asia/Tehran)", "15", "Jan",
                                                                            "2027", "21:30"]  # fmt: skip
    data = json.loads(written("json", {"tickets": Rows("Tickets", COLUMNS, ROWS)}))
    assert data["tickets"][0]["due_at"] == "2027-01-15T18:00:00+00:00"  # a program reads the moment, not the words
