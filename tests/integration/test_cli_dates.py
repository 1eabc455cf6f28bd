"""Bad dates, times, durations and numbers on the command line: a plain message, a non-zero exit, no traceback,
and nothing written. Every value here is fixed; no test reads the clock."""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from console.cli.values import day, duration, moment, whole
from console.store.workspace import Workspace
from models import Role, User
from tests.cli_run import Run
from tests.cli_run import run as cli

JARGON = ("Traceback", "fromisoformat", "isoformat", "Error:", "invalid int value", "invalid float value")
TIME_RANGE = "is out of range: give a time from 2000-01-01 00:00 to 2100-12-31 23:59 UTC, e.g. 2026-11-23T14:30"
DAY_RANGE = "is out of range: give a day from 2000-01-01 to 2100-12-31, e.g. 2026-11-23"
NOT_A_TIME = "is not a date and time: give e.g. 2026-11-23T14:30 (UTC) or 2026-11-23T18:30+04:00"
NOT_A_DAY = "is not a day: give year-month-day, e.g. 2026-11-23"
CHANGE = ["change", "new", "--title", "Payment run", "--module", "fin", "--unit", "dxb-hq"]


def state(home: Path) -> dict[str, str]:
    """What a workspace holds: every database's rows (whatever the journal files do) and every other file."""
    held: dict[str, str] = {}
    for item in sorted(home.rglob("*")):
        if not item.is_file() or item.name.endswith(("-wal", "-shm", "-journal")):
            continue
        if item.suffix == ".sqlite3":
            conn = sqlite3.connect(item)
            try:
                text = "\n".join(conn.iterdump())
            finally:
                conn.close()
            held[item.name] = hashlib.sha256(text.encode()).hexdigest()
        else:
            held[item.name] = hashlib.sha256(item.read_bytes()).hexdigest()
    return held


def refused(run: Run, message: str, code: int = 2) -> None:
    assert run.code == code, run
    assert message in run.err
    assert run.out == ""
    for word in JARGON:
        assert word not in run.err


USAGE_ERRORS = [
    # --now of sla show and recompute (recompute writes every ticket's SLA: refused before the cache opens)
    (["sla", "show", "INC-0000001", "--now", "9999-12-31T23:59"], f"argument --now: 9999-12-31T23:59 {TIME_RANGE}"),
    (["sla", "show", "INC-0000001", "--now", "1900-01-01"], f"argument --now: 1900-01-01 {TIME_RANGE}"),
    (["sla", "show", "INC-0000001", "--now", "2100-12-31T23:59-05:00"], TIME_RANGE),  # 2101 in UTC
    (["sla", "show", "INC-0000001", "--now", "9999-12-31T23:59-05:00"], TIME_RANGE),  # past year 9999 in UTC
    (["sla", "show", "INC-0000001", "--now", "tomorrow"], f"argument --now: 'tomorrow' {NOT_A_TIME}"),
    (["sla", "recompute", "--now", "9999-12-31T23:59"], TIME_RANGE),
    (["sla", "recompute", "--now", "1900-01-01"], TIME_RANGE),
    (["sla", "recompute", "--now", "2026-13-01T10:00"], f"'2026-13-01T10:00' {NOT_A_TIME}"),
    # report
    (["report", "--out", "r.csv", "--to", "9999-12-31"], f"argument --to: 9999-12-31 {DAY_RANGE}"),
    (["report", "--out", "r.csv", "--from", "1900-01-01"], f"argument --from: 1900-01-01 {DAY_RANGE}"),
    (["report", "--out", "r.csv", "--from", "2026-13-01"], f"argument --from: '2026-13-01' {NOT_A_DAY}"),
    (["report", "--out", "r.csv", "--to", "tomorrow"], f"argument --to: 'tomorrow' {NOT_A_DAY}"),
    (["report", "--out", "r.csv", "--to", "2026-11-23T10:00"], NOT_A_DAY),
    (["report", "--out", "r.csv", "--now", "1900-01-01"], f"argument --now: 1900-01-01 {TIME_RANGE}"),
    (["report", "--out", "r.csv", "--now", "9999-12-31T23:59"], TIME_RANGE),
    # ticket
    (
        ["ticket", "list", "--breaching", "-5"],
        "argument --breaching: -5 is out of range: give more than 0 and at most 8,760 hours, e.g. 24",
    ),
    (["ticket", "list", "--breaching", "0"], "argument --breaching: 0 is out of range"),
    (["ticket", "list", "--breaching", "9000"], "9000 is out of range"),
    (
        ["ticket", "list", "--breaching", "nan"],
        "argument --breaching: 'nan' is not a number of hours: give one like 24",
    ),
    (["ticket", "list", "--breaching", "inf"], "'inf' is not a number of hours"),
    (["ticket", "list", "--breaching", "soon"], "'soon' is not a number of hours"),
    (
        ["ticket", "list", "--limit", "0"],
        "argument --limit: 0 is out of range: give a whole number from 1 to 1,000,000",
    ),
    (["ticket", "list", "--limit", "10000000000000000000000"], "is out of range"),
    (["ticket", "list", "--tier", "4"], "argument --tier: 4 is out of range: give a whole number from 0 to 3, e.g. 1"),
    (["ticket", "list", "--tier", "-1"], "argument --tier: -1 is out of range"),
    (
        ["ticket", "set", "INC-0000001", "--tier", "one"],
        "argument --tier: 'one' is not a whole number: give one like 1",
    ),
    # change
    ([*CHANGE, "--start", "9999-12-31T23:00"], f"argument --start: 9999-12-31T23:00 {TIME_RANGE}"),
    ([*CHANGE, "--start", "next friday"], f"argument --start: 'next friday' {NOT_A_TIME}"),
    (
        [*CHANGE, "--start", "2026-12-10T18:00", "--hours", "0"],
        "argument --hours: 0 is out of range: give more than 0 and at most 336 hours, e.g. 3",
    ),
    ([*CHANGE, "--start", "2026-12-10T18:00", "--hours", "-2"], "argument --hours: -2 is out of range"),
    ([*CHANGE, "--start", "2026-12-10T18:00", "--hours", "1e9"], "argument --hours: 1e9 is out of range"),
    (["change", "set", "CHG-0000001", "--start", "2026-02-30T10:00"], f"'2026-02-30T10:00' {NOT_A_TIME}"),
    (["change", "set", "CHG-0000001", "--start", "2026-12-10T18:00", "--hours", "many"], "'many' is not a number"),
    (["change", "agenda", "--days", "0"], "argument --days: 0 is out of range: give a whole number from 1 to 366"),
    (["change", "agenda", "--days", "99999999999"], "argument --days: 99999999999 is out of range"),
    (["change", "away", "--to", "someone", "--until", "9999-12-31"], f"argument --until: 9999-12-31 {TIME_RANGE}"),
    (["change", "away", "--to", "someone", "--until", "2026-13-01"], f"argument --until: '2026-13-01' {NOT_A_TIME}"),
    (["change", "away", "--to", "someone", "--until", "2099-01-01", "--from", "1900-01-01"], TIME_RANGE),
    # sync and admin
    (
        ["sync", "--once", "--every", "-1"],
        "argument --every: -1 is out of range: give more than 0 and at most 86,400 seconds, e.g. 120",
    ),
    (["sync", "--every", "0"], "argument --every: 0 is out of range"),
    (["sync", "--every", "soon"], "argument --every: 'soon' is not a number of seconds: give one like 120"),
    (["admin", "prune", "--days", "a month"], "argument --days: 'a month' is not a whole number: give one like 30"),
]


@pytest.mark.parametrize(("argv", "message"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_a_bad_value_is_a_usage_error_and_writes_nothing(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    report = tmp_path / "r.csv"
    before = state(demo_copy)
    refused(cli(capsys, "--home", str(demo_copy), *[str(report) if a == "r.csv" else a for a in argv]), message)
    assert state(demo_copy) == before
    assert not report.exists()


DEMO_ERRORS = [
    (["--until", "9999-12-31"], f"argument --until: 9999-12-31 {DAY_RANGE}"),
    (["--until", "1900-01-01"], f"argument --until: 1900-01-01 {DAY_RANGE}"),
    (["--until", "23/11/2026"], f"argument --until: '23/11/2026' {NOT_A_DAY}"),
    (["--tickets", "0"], "argument --tickets: 0 is out of range: give a whole number from 1 to 1,000,000, e.g. 20000"),
    (["--tickets", "-5"], "argument --tickets: -5 is out of range"),
    (["--tickets", "lots"], "argument --tickets: 'lots' is not a whole number: give one like 20000"),
    (["--seed", "-1"], "argument --seed: -1 is out of range: give a whole number from 0 to 999,999,999, e.g. 7"),
    (["--seed", "1.5"], "argument --seed: '1.5' is not a whole number"),
]


@pytest.mark.parametrize(("argv", "message"), DEMO_ERRORS, ids=[" ".join(a) for a, _ in DEMO_ERRORS])
def test_a_bad_demo_value_creates_no_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    refused(cli(capsys, "--home", str(tmp_path / "ws"), "demo", *argv), message)
    assert not (tmp_path / "ws").exists()


def test_the_report_refuses_from_after_to(demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.csv"
    before = state(demo_copy)
    run = cli(capsys, "--home", str(demo_copy), "report", "--out", str(out), "--from", "2026-05-01", "--to",
              "2026-01-01")  # fmt: skip
    refused(run, "The period is empty: --from 2026-05-01 is after --to 2026-01-01; give the first day, then the last, "
                 "e.g. --from 2025-10-03 --to 2026-01-01.", code=1)  # fmt: skip
    run = cli(capsys, "--home", str(demo_copy), "report", "--out", str(out), "--from", "2026-05-01", "--now",
              "2026-01-01T10:00")  # fmt: skip
    refused(run, "--from 2026-05-01 is after the day of --now (2026-01-01)", code=1)
    assert not out.exists()
    assert state(demo_copy) == before


def test_the_report_takes_the_last_day_allowed(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.csv"
    run = cli(capsys, "--home", str(demo_copy), "report", "--out", str(out), "--from", "2100-12-01", "--to",
              "2100-12-31", "--now", "2100-12-31T23:59")  # fmt: skip
    assert run.code == 0, run.err
    assert "2100-12-01 to 2100-12-31" in run.out
    assert out.is_file()


def test_time_away_ending_before_it_starts_writes_nothing(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace.open(demo_copy).cache().connect() as conn:
        me, other = conn.execute(
            select(User.login).where(User.role == Role.FUNCTIONAL_CONSULTANT).order_by(User.login).limit(2)
        ).scalars()
    before = state(demo_copy)
    run = cli(capsys, "--home", str(demo_copy), "change", "--as", me, "away", "--to", other, "--from",
              "2099-06-02T09:00", "--until", "2099-06-01T09:00")  # fmt: skip
    refused(run, "The time away ends after it starts", code=1)
    assert state(demo_copy) == before


def test_prune_refuses_more_days_than_ten_years(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = state(demo_copy)
    refused(cli(capsys, "--home", str(demo_copy), "admin", "prune", "--days", "99999"), "at most 3,650 days", code=1)
    assert state(demo_copy) == before


def test_a_time_with_a_zone_is_the_same_moment_in_utc(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show = ["--home", str(demo_copy), "sla", "show", "INC-0000001", "--format", "json", "--now"]
    utc = cli(capsys, *show, "2026-11-23T14:30")
    dubai = cli(capsys, *show, "2026-11-23T18:30+04:00")
    zulu = cli(capsys, *show, "2026-11-23T14:30Z")
    assert utc.code == dubai.code == zulu.code == 0, utc.err
    assert utc.out == dubai.out == zulu.out


@pytest.mark.parametrize(
    "argv",
    [
        ["sla", "show"],
        ["sla", "recompute"],
        ["report"],
        ["change", "new"],
        ["change", "set"],
        ["change", "away"],
    ],
)
def test_the_help_says_times_are_utc(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    run = cli(capsys, *argv, "--help")
    assert run.code == 0
    assert "UTC unless a zone is added, e.g. 2026-11-23T14:30 or" in " ".join(run.out.split())


def test_the_values_and_their_bounds() -> None:
    assert day("2000-01-01") == date(2000, 1, 1)
    assert day(" 2100-12-31 ") == date(2100, 12, 31)
    assert moment("2026-11-23T18:30+04:00") == datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    assert moment("2026-11-23") == datetime(2026, 11, 23, tzinfo=UTC)
    assert moment("2000-01-01T04:00+04:00") == datetime(2000, 1, 1, tzinfo=UTC)
    assert moment("2100-12-31T23:59:59") == datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert whole(1, 1_000_000, 20_000)("20,000") == whole(1, 1_000_000, 20_000)("20_000") == 20_000
    assert whole(None, None, 30)("-3") == -3
    assert duration("hours", 8760, "24")("0.5") == 0.5
    for read, text in (
        (day, "1999-12-31"),
        (day, "2101-01-01"),
        (moment, "1999-12-31T23:59"),
        (moment, "2000-01-01T03:59+04:00"),
        (moment, "2101-01-01T00:00"),
        (duration("hours", 8760, "24"), "8760.5"),
        (whole(0, 3, 1), "3.0"),
    ):
        with pytest.raises(argparse.ArgumentTypeError):
            read(text)
