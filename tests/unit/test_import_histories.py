"""Tickets and their histories from ServiceNow's event log and Jira's export: what each row becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.imports import EventKind, ImportedTicket, ImportFile, ProblemKind, TimeZoneRequired
from console.imports.problems import Outcome
from models import Impact, Priority, TicketStatus, Urgency

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
S = TicketStatus


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def history(ticket: ImportedTicket) -> list[tuple[int, str, str, str | None, str | None, str | None]]:
    return [(e.seq, e.at.strftime("%d %H:%M"), e.kind.value, e.old, e.new, e.source_value) for e in ticket.events]


@pytest.fixture(scope="module")
def servicenow() -> dict[str, ImportedTicket]:
    reading = ImportFile(FIXTURES / "servicenow_events.csv", time_zone="Asia/Dubai").read()
    tickets = {t.key: t for t in reading}
    assert reading.rows == 22
    return tickets


def test_an_event_log_without_a_zone_asks_for_time_zone() -> None:
    file = ImportFile(FIXTURES / "servicenow_events.csv")
    assert file.needs_time_zone
    with pytest.raises(TimeZoneRequired, match=r"'29-02-2016 01:16' in opened_at, row 2.*--time-zone Asia/Dubai"):
        list(file.read())
    assert not ImportFile(FIXTURES / "servicenow_events.csv", time_zone="Asia/Dubai").needs_time_zone


def test_same_minute_updates_keep_the_order_of_the_update_counter(servicenow: dict[str, ImportedTicket]) -> None:
    ticket = servicenow["INC0000045"]
    # Rows 3 and 4 are both 08:53 in Dubai, written in the file the wrong way round: sys_mod_count orders them.
    assert history(ticket) == [
        (1, "29 04:53", "assignee", None, "Resolver 149", None),
        (2, "29 04:53", "status", "new", "in_progress", "Active"),
        (3, "29 04:53", "status", "in_progress", "pending_reporter", "Awaiting User Info"),
        (4, "29 07:29", "status", "pending_reporter", "in_progress", "Active"),
        (5, "29 07:29", "status", "in_progress", "resolved", "Resolved"),
        (6, "05 08:00", "status", "resolved", "closed", "Closed"),
    ]
    assert [e.row for e in ticket.events] == [4, 4, 3, 5, 6, 7]
    assert [e.actor for e in ticket.events][:3] == ["Updated by 804", "Updated by 804", "Updated by 642"]
    assert ticket.created_at == at("2016-02-28 21:16")  # 29-02-2016 01:16, day first, in Dubai
    assert (ticket.resolved_at, ticket.closed_at) == (at("2016-02-29 07:29"), at("2016-03-05 08:00"))
    assert (ticket.status, ticket.source_status, ticket.priority, ticket.source_priority) == (
        S.CLOSED, "Closed", Priority.MEDIUM, "3 - Moderate",
    )  # fmt: skip
    assert (ticket.impact, ticket.urgency, ticket.category, ticket.reporter) == (
        Impact.MEDIUM, Urgency.MEDIUM, "Category 55", "Caller 2403",
    )  # fmt: skip
    assert (ticket.source_system, ticket.title, ticket.description) == ("servicenow", "INC0000045", "")
    assert ticket.first(EventKind.STATUS) == "new"
    assert ticket.first(EventKind.ASSIGNEE) is None
    assert ticket.source_sla_met is True


def test_awaiting_problem_and_evidence_map_to_pending_statuses(servicenow: dict[str, ImportedTicket]) -> None:
    ticket = servicenow["INC0000047"]
    assert history(ticket) == [
        (1, "01 05:52", "assignee", None, "Resolver 89", None),
        (2, "01 05:52", "status", "new", "in_progress", "Active"),
        (3, "01 05:52", "priority", "medium", "high", "2 - High"),
        (4, "02 06:00", "status", "in_progress", "pending_change", "Awaiting Problem"),
        (5, "03 06:00", "status", "pending_change", "pending_reporter", "Awaiting Evidence"),
        (6, "04 05:00", "group", "Group 70", "Group 24", None),
        (7, "04 05:00", "assignee", "Resolver 89", "Resolver 31", None),
        (8, "04 05:00", "status", "pending_reporter", "in_progress", "Active"),
        (9, "06 12:10", "status", "in_progress", "resolved", "Resolved"),
        (10, "11 13:00", "status", "resolved", "closed", "Closed"),
    ]
    assert (ticket.priority, ticket.impact, ticket.group, ticket.assignee) == (
        Priority.HIGH, Impact.HIGH, "Group 24", "Resolver 31",
    )  # fmt: skip
    assert ticket.first(EventKind.GROUP) == "Group 70"
    assert ticket.source_sla_met is False


def test_a_history_that_starts_active_with_a_skewed_clock_and_a_reopen() -> None:
    reading = ImportFile(FIXTURES / "servicenow_events.csv", time_zone="Asia/Dubai").read()
    ticket = {t.key: t for t in reading}["INC0000050"]
    assert ticket.first(EventKind.STATUS) == "in_progress"  # the first row is Active: logged as it was
    assert history(ticket) == [
        (1, "01 05:00", "status", "in_progress", "pending_vendor", "Awaiting Vendor"),  # 08:50 Dubai, clamped to 09:00
        (2, "02 06:00", "status", "pending_vendor", "in_progress", "Active"),
        (3, "02 11:30", "status", "in_progress", "resolved", "Resolved"),
        (4, "03 05:00", "status", "resolved", "in_progress", "Active"),
        (5, "03 08:00", "status", "in_progress", "resolved", "Resolved"),
    ]
    assert ticket.category is None  # "?" is a missing value
    assert (ticket.reopen_count, ticket.resolved_at, ticket.closed_at) == (1, at("2016-03-03 08:00"), None)
    problems = [(p.row, p.kind, p.outcome) for p in reading.problems.problems]
    assert problems == [
        (17, ProblemKind.OUT_OF_ORDER, Outcome.ADJUSTED),
        (17, ProblemKind.BEFORE_CREATION, Outcome.ADJUSTED),
    ]
    assert "01 Mar 2016 04:50 UTC is dated before the ticket was created (01 Mar 2016 05:00 UTC)" in str(
        reading.problems.problems[1]
    )
    assert not reading.problems.refuses


def test_an_open_ticket_stays_open(servicenow: dict[str, ImportedTicket]) -> None:
    ticket = servicenow["INC0000052"]
    assert (ticket.status, ticket.priority, ticket.resolved_at, ticket.reopen_count) == (
        S.IN_PROGRESS, Priority.CRITICAL, None, 0,
    )  # fmt: skip


def test_rows_of_a_ticket_apart_in_the_file_are_gathered(tmp_path: Path) -> None:
    lines = (FIXTURES / "servicenow_events.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text(header + "".join(rows[1::2] + rows[0::2]), encoding="utf-8")
    again = {t.key: t for t in ImportFile(shuffled, time_zone="Asia/Dubai").read()}
    original = {t.key: t for t in ImportFile(FIXTURES / "servicenow_events.csv", time_zone="Asia/Dubai").read()}
    assert again == original


def test_jira_comments_in_repeated_columns_and_states_at_the_dates_given() -> None:
    reading = ImportFile(FIXTURES / "jira.csv", time_zone="Asia/Tehran").read()
    tickets = {t.key: t for t in reading}
    done = tickets["SD-101"]
    assert history(done) == [
        (1, "12 06:10", "comment", None, "Looking at it now.", None),
        (2, "13 12:25", "comment", None, "Fixed the tax table; please run it again.", None),
        (3, "13 12:30", "status", "new", "resolved", "Done"),
    ]
    assert [e.actor for e in done.events] == ["sara.k", "sara.k", None]
    assert (done.priority, done.module, done.category, done.reporter, done.assignee) == (
        Priority.CRITICAL, "Payroll", "Report a system problem", "h.rezaei", "sara.k",
    )  # fmt: skip
    assert (
        done.description
        == 'The March payroll run stops at employee 4411.\nError: "tax table missing", see attached log.'
    )
    assert done.created_at == at("2024-03-12 05:45")  # 9:15 AM in Tehran

    waiting = tickets["SD-102"]
    assert waiting.status is S.PENDING_REPORTER
    assert [e.new for e in waiting.events if e.kind is EventKind.COMMENT] == [
        "Please send: the PO number; the invoice number.",  # a ; in the text stays in the text
        "- step 1: open the invoice\n- step 2: press Match",  # not formulas
        "@ali.r sending it now",
    ]
    assert history(waiting)[0] == (1, "14 08:00", "status", "new", "pending_reporter", "Waiting for customer")

    persian = tickets["SD-103"]
    assert (persian.title, persian.status, persian.events) == ("خطا در گزارش مالیات بر ارزش افزوده", S.NEW, ())

    closed = tickets["SD-104"]
    assert history(closed) == [
        (1, "16 14:30", "comment", None, "Seen before it was logged (a skewed clock).", None),
        (2, "18 05:30", "status", "new", "resolved", None),
        (3, "18 05:30", "status", "resolved", "closed", "Closed"),
    ]
    assert closed.resolved_at == closed.closed_at == at("2024-03-18 05:30")
    assert [(p.row, p.kind) for p in reading.problems.problems] == [
        (5, ProblemKind.NO_RESOLUTION_TIME),
        (5, ProblemKind.BEFORE_CREATION),
    ]
    assert "Closed but the file gives no resolution date; dated at its last update" in str(reading.problems.problems[0])


def test_utf16_and_windows_1256_files_come_in_whole() -> None:
    jira = {t.key: t for t in ImportFile(FIXTURES / "jira_utf16.txt", time_zone="Asia/Tehran").read()}
    assert jira["SD-201"].reporter == "نگار محمدی"
    assert [e.new for e in jira["SD-201"].events] == ["in_progress", "در حال بررسی هستیم"]
    listed = {t.key: t for t in ImportFile(FIXTURES / "servicenow_list_cp1256.csv", time_zone="Asia/Tehran").read()}
    assert (listed["INC0010001"].group, listed["INC0010001"].unit) == ("مالي", "THR-MFG")
    assert history(listed["INC0010001"]) == [
        (1, "02 12:10", "status", "new", "resolved", None),
        (2, "05 05:30", "status", "resolved", "closed", "Closed"),
    ]
    assert history(listed["INC0010002"]) == [(1, "03 07:30", "status", "new", "pending_reporter", "Awaiting User Info")]
    assert listed["INC0010003"].source_sla_met is False


def test_every_kind_of_bad_row_is_said_with_its_row_and_reason() -> None:
    reading = ImportFile(FIXTURES / "servicenow_events_broken.csv", time_zone="UTC", cell_limit=1000).read()
    tickets = {t.key: t for t in reading}
    found = {(p.row, p.kind, p.outcome) for p in reading.problems.problems}
    skipped, neutralised = Outcome.SKIPPED, Outcome.NEUTRALISED
    assert found == {
        (4, ProblemKind.BAD_DATE, skipped),
        (5, ProblemKind.BAD_DATE, skipped),
        (6, ProblemKind.UNKNOWN_PRIORITY, skipped),
        (7, ProblemKind.UNKNOWN_STATUS, skipped),
        (8, ProblemKind.FORMULA, neutralised),
        (9, ProblemKind.FORMULA, neutralised),
        (10, ProblemKind.FORMULA, neutralised),
        (11, ProblemKind.CELL_TOO_LARGE, skipped),
        (12, ProblemKind.INVALID_BYTES, skipped),
        (13, ProblemKind.LONE_SURROGATE, skipped),
        (14, ProblemKind.NO_KEY, skipped),
        (15, ProblemKind.CELL_COUNT, skipped),
        (16, ProblemKind.BAD_NUMBER, skipped),
        (17, ProblemKind.NO_DATE, skipped),
        (19, ProblemKind.OUT_OF_ORDER, Outcome.ADJUSTED),
        (19, ProblemKind.BEFORE_CREATION, Outcome.ADJUSTED),
    }
    assert sorted(reading.problems.bad_rows) == list(range(4, 18))
    assert reading.problems.refuses
    words = {p.row: str(p) for p in reading.problems.problems}
    assert (
        words[4]
        == "row 4 (INC0020001): sys_updated_at: '31-02-2016 10:00' names no real day or time; the row is left out"
    )
    assert words[5] == "row 5 (INC0020001): resolved_at: 'yesterday' is not a date; the row is left out"
    assert "'6 - Whenever' in priority is none we know" in words[6]
    assert "[values.priority]" in words[6]
    assert "'-100' in incident_state is none we know" in words[7]
    assert words[14] == "row 14: no ticket number in number; the row is left out"
    assert "holds 'two', not a whole number" in words[16]
    assert "no date in opened_at" in words[17]
    assert reading.problems.summary() == "14 bad rows; 18 problems in all"
    # What was kept: the good rows' tickets, formulas made inert.
    assert sorted(tickets) == ["INC0020001", "INC0020003", "INC0020007"]
    assert tickets["INC0020001"].status is S.IN_PROGRESS  # its Resolved rows were bad
    formula = tickets["INC0020003"]
    assert formula.title == "'-2+3+cmd|' /C calc'!A0"
    assert formula.group == "'+cmd|' /C calc'!A0"
    assert formula.first(EventKind.ASSIGNEE) is None
    assert [e.new for e in formula.events if e.kind is EventKind.ASSIGNEE] == [
        "'@SUM(1+9)*cmd|' /C calc'!A0",
        "Resolver 5",
    ]


def test_a_duplicate_ticket_in_a_list_is_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    rows = (FIXTURES / "jira.csv").read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join([*rows[:-1], rows[1].replace(b"Done", b"Closed"), b""]))
    reading = ImportFile(path, time_zone="UTC").read()
    assert [t.key for t in reading] == ["SD-101", "SD-102", "SD-103", "SD-104"]
    duplicate = [p for p in reading.problems.problems if p.kind is ProblemKind.DUPLICATE_KEY]
    assert [str(p) for p in duplicate] == [
        "row 6 (SD-101): the ticket SD-101 came already in row 2; this row is left out"
    ]
