"""`support-console report`: its figures match the SLA engine replayed over every ticket's history."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader
from sqlalchemy import Connection

from console.cli.command import main
from console.metrics.queries import Filter
from console.metrics.report import BREACHES_IN_PDF, gather, write_report
from console.sla.recompute import recompute
from console.sla.store import SlaContext, changes_by_ticket, ticket_facts
from console.store.database import make_engine, sqlite_url
from models import Priority, SlaState
from tests import clock

NOW = clock.demo_now()
END = NOW.date().replace(day=1) - timedelta(days=1)  # the last whole month the demo holds
START = date(END.year - (END.month <= 5), (END.month - 6) % 12 + 1, 1)  # six whole months, both ends included
ARGS = ["--from", START.isoformat(), "--to", END.isoformat(), "--now", NOW.isoformat()]


def replayed(conn: Connection, clock: str) -> Counter[tuple[str, str]]:
    """(priority, met|missed) of every clock that stopped in the period, from the audit history alone."""
    context = SlaContext.load(conn)
    changes = dict(changes_by_ticket(conn))
    counts: Counter[tuple[str, str]] = Counter()
    for facts in ticket_facts(conn):
        result = getattr(context.evaluate(facts, changes.get(facts.id, []), NOW), clock)
        stopped = result.stopped_at
        if stopped is not None and START <= stopped.date() <= END and result.state in (SlaState.MET, SlaState.MISSED):
            counts[(str(facts.priority), str(result.state))] += 1
    return counts


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


ROW = re.compile(r"(?P<key>Critical|High|Medium|Low|All)(?P<cells>( [\d,.–]+)+)")


def table_in(text: str, title: str) -> dict[str, list[str]]:
    """The rows of one titled compliance table in the report's text, in their order: group → the six cells
    (met, missed, % of each clock), counts without their thousands separators."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if rows and not ROW.fullmatch(line):
            break
        if found := ROW.fullmatch(line):
            rows[found["key"]] = found["cells"].replace(",", "").split()
    return rows


def run(home: Path, *args: str) -> int:
    return main(["--home", str(home), "report", *args])


def expected_rows(conn: Connection) -> dict[str, list[str]]:
    """Per priority, in the order of severity: met, breached and % of each clock, replayed from the history."""
    response, resolution = replayed(conn, "response"), replayed(conn, "resolution")
    rows: dict[str, list[str]] = {}
    for priority in [str(p) for p in Priority if p.value in {p for p, _ in response} | {p for p, _ in resolution}]:
        cells = []
        for counts in (response, resolution):
            met, missed = counts[(priority, "met")], counts[(priority, "missed")]
            cells += [str(met), str(missed), f"{100 * met / (met + missed):.1f}" if met + missed else "–"]
        rows[priority] = cells
    return rows


def test_the_pdf_matches_the_engine_over_the_history(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    assert run(demo_copy, "--out", str(out), *ARGS) == 0
    pages = [page.extract_text() for page in PdfReader(out).pages]
    cover, text = pages[0], "\n".join(pages)
    assert "SLA compliance report" in cover
    assert f"{START:%d %b %Y} to {END:%d %b %Y} · all units, modules and priorities" in cover
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.connect() as conn:
        expected = expected_rows(conn)
        breached = {name: sum(n for (_, state), n in replayed(conn, name).items() if state == "missed")
                  for name in ("response", "resolution")}  # fmt: skip
    engine.dispose()
    by_priority = table_in(text, "Compliance by priority")
    assert list(by_priority) == [*(p.capitalize() for p in expected), "All"]  # Critical first, as the models rank them
    assert {p.lower(): cells for p, cells in by_priority.items() if p != "All"} == expected
    assert list(table_in(cover, "Service level by priority")) == [p.capitalize() for p in expected]
    assert len(pages) >= 8  # cover, five charts, tables, missed clocks
    assert all(f"page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1))
    # "breaches" always say which clock: on the cover, in the footer and over the lists of breaches
    for name, n in breached.items():
        assert re.search(rf"^{name.capitalize()} [\d,]+ [\d,]+ {n:,} ", cover, re.MULTILINE), name
        assert f"{name.capitalize()} breaches: {n:,}" in text
    assert f"SLA breaches: {breached['response']:,} response, {breached['resolution']:,} resolution" in text
    assert "missed" not in text.lower()  # one word for a clock stopped late: breached (console.words)
    assert re.search(r"response [\d.]+ % of [\d,]+ · resolution [\d.]+ % of [\d,]+ met", pages[1])


def test_the_lists_of_breaches_break_across_pages_under_their_header(demo_copy: Path, tmp_path: Path) -> None:
    """Every breach is listed, in its clock's table; each page repeats the header; nothing runs into
    the footer."""
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.connect() as conn:
        report = gather(conn, Filter(NOW.date() - timedelta(days=730), NOW.date()), NOW, 90)  # all the demo holds
    engine.dispose()
    assert len(report.breached("resolution")) > 40  # more than a page holds
    out = write_report(report, tmp_path / "r.pdf")
    reader = PdfReader(out)
    listed = [i for i, page in enumerate(reader.pages) if page.extract_text().startswith("SLA breaches:")]
    assert len(listed) >= 2
    header = "Ticket Priority Unit Module Due (UTC) Stopped (UTC) Hours late Title"
    seen: dict[str, list[str]] = {"response": [], "resolution": []}
    current = ""
    for index in listed:
        lines = reader.pages[index].extract_text().splitlines()
        assert header in " ".join(lines[:12]).replace(" (calendar)", ""), index
        for line in lines:
            if found := re.match(r"(Response|Resolution) breaches", line):
                current = found[1].lower()
            if found := re.match(r"(INC|REQ)-\d+", line):
                seen[current].append(found[0])
        assert_above_the_footer(reader.pages[index])
    for name in ("response", "resolution"):
        assert seen[name] == [b.number for b in report.breached(name)][:BREACHES_IN_PDF]  # all, most overdue first


def assert_above_the_footer(page: PageObject) -> None:
    """No text of the page's body lies on or below its footer line."""
    placed: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            placed.append((tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    footer = min(y for y, text in placed if text.startswith("SLA report"))
    body = [(y, text) for y, text in placed if not text.startswith(("SLA report", "page "))]
    assert min(y for y, _ in body) > footer + 8, [t for y, t in body if y <= footer + 8]


def test_a_policy_change_changes_past_compliance_in_the_report(demo_copy: Path, tmp_path: Path) -> None:
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    assert run(demo_copy, "--out", str(before), *ARGS) == 0
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sla_targets SET resolution_minutes = resolution_minutes / 3 WHERE priority='high'")
    recompute(engine, NOW)
    with engine.connect() as conn:
        expected = expected_rows(conn)
    engine.dispose()
    assert run(demo_copy, "--out", str(after), *ARGS) == 0
    old, new = csv_section(before, "priority"), csv_section(after, "priority")
    assert new == expected
    assert list(new) == list(expected) == [p.value for p in Priority if p.value in expected]  # by severity
    assert int(new["high"][4]) > int(old["high"][4])  # more resolution breaches of High, in the past
    assert {p: v for p, v in new.items() if p != "high"} == {p: v for p, v in old.items() if p != "high"}


def csv_section(path: Path, first_column: str) -> dict[str, list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    rows: dict[str, list[str]] = {}
    reader = csv.reader(io.StringIO(text))
    inside = False
    for row in reader:
        if row and row[0] == first_column:
            inside = True
            continue
        if inside:
            if len(row) != 7 or not re.fullmatch(r"[\d.–]+", row[-1]):
                break
            rows[row[0]] = row[1:]
    return rows


def test_png_and_csv_by_extension(demo_copy: Path, tmp_path: Path) -> None:
    png, table = tmp_path / "r.png", tmp_path / "r.csv"
    assert run(demo_copy, "--out", str(png), *ARGS) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run(demo_copy, "--out", str(table), *ARGS, "--unit", "dxb-hq") == 0
    text = table.read_text(encoding="utf-8-sig")
    assert "Scope,units DXB-HQ" in text
    units = csv_section(table, "unit")
    assert list(units) == ["DXB-HQ"]
    everything = tmp_path / "all.csv"
    assert run(demo_copy, "--out", str(everything), *ARGS) == 0
    header = "ticket,clock,priority,unit,module,due (UTC),stopped (UTC),late (h),title"  # in the person's zone
    assert header in everything.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "{tmp}/r.pdf", "--unit", "NOPE"], "No business unit NOPE; known: "),
        (["--out", "{tmp}/r.pdf", "--module", "XX"], "No ERP module XX; known: "),
        (["--out", "{tmp}/r.docx"], "the report is written as .pdf, .png, .csv"),
        (["--out", "{tmp}/r.pdf", "--from", "2026-10-01", "--to", "2026-09-01"], "The period is empty"),
        (["--out", "{tmp}"], "is a folder"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert run(demo_copy, *[a.format(tmp=out_dir) for a in args]) == 1
    assert message in capsys.readouterr().err
    assert list(out_dir.iterdir()) == []
