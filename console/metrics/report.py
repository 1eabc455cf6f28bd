"""The SLA report for managers: a multi-page PDF, one PNG, or CSV, from the local cache alone.

Headless: matplotlib Figures rendered with its Agg/PDF backends, no display, no network.
The figures are those of the metrics view (``console.metrics.queries``), so the report and the
charts on screen never disagree; what it says is ``console.metrics.contents``.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, literal_column, select
from sqlalchemy.orm import aliased

from console.errors import ConsoleError
from console.metrics.contents import (
    CLOCKS,
    TABLES,
    Breach,
    Report,
    article_rows,
    breach_rows,
    breach_table,
    compliance_rows,
    headline,
    knowledge_figures,
    summary_rows,
)
from console.metrics.knowledge import TOP_ARTICLES, knowledge
from console.metrics.pages import Block, clipped, number_pages, page, table_pages
from console.metrics.pdf_join import join
from console.metrics.queries import Filter, compliance, dashboard
from console.sla.evidence import write_rows
from console.store.codes import check_codes
from models import BusinessUnit, ErpModule, SlaState, Ticket

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib (and console.metrics.charts, drawn with it) is imported inside the functions that draw:
# every command-line verb imports this module through the CAB agenda, and matplotlib's PDF backend
# alone takes most of a second to import.

# What other modules take from here: the report, and the pages the CAB agenda is written on too.
__all__ = [
    "CLOCKS", "Block", "Breach", "PdfHelper", "Report", "ReportError", "breaches", "check_target", "clipped",
    "default_period", "gather", "prepare_drawing", "table_pages", "write_report", "write_whole",
]  # fmt: skip

FORMATS = (".pdf", ".png", ".csv")
BREACHES_IN_PDF = 150  # per clock, the most overdue; the CSV lists them all


class ReportError(ConsoleError):
    pass


def check_scope(conn: Connection, flt: Filter) -> None:
    """Refuse unknown unit or module codes by name, rather than report on nothing."""
    check_codes(conn, flt.units, flt.modules)
    if flt.end <= flt.start:
        raise ReportError(f"The period is empty: {flt.start} is not before {flt.end}.")


def breaches(conn: Connection, flt: Filter) -> list[Breach]:
    """Every clock breached in the period (stopped after its due time), the most overdue first.

    Each clock is read from its stop-time index, the period's stretch of it alone. The joins name the
    ticket's unit and module with a unary ``+`` so SQLite cannot enter by a unit or module index
    instead: on a big cache its sampled statistics make a unit look few, and that walk reads every
    ticket of every unit.
    """
    unit, module = aliased(BusinessUnit), aliased(ErpModule)
    ticket_unit = literal_column("+tickets.business_unit_id", type_=Ticket.business_unit_id.type)
    ticket_module = literal_column("+tickets.module_id", type_=Ticket.module_id.type)
    found: list[Breach] = []
    for clock in CLOCKS:
        state, stopped, breached_at = (
            (Ticket.response_state, Ticket.first_response_at, Ticket.response_breached_at)
            if clock == "response"
            else (Ticket.resolution_state, Ticket.resolved_at, Ticket.resolution_breached_at)
        )
        query = (
            select(Ticket.number, Ticket.title, unit.code, module.code, Ticket.priority, breached_at, stopped)
            .select_from(Ticket)
            .join(unit, ticket_unit == unit.id)
            .join(module, ticket_module == module.id)
            .where(stopped >= flt.start_at, stopped < flt.end_at, state == SlaState.MISSED)
        )
        if flt.units:
            query = query.where(unit.code.in_(flt.units))
        if flt.modules:
            query = query.where(module.code.in_(flt.modules))
        if flt.priorities:
            query = query.where(Ticket.priority.in_(flt.priorities))
        found += [
            Breach(n, t, u, m, str(p), clock, b, s) for n, t, u, m, p, b, s in conn.execute(query) if s is not None
        ]
    return sorted(found, key=lambda b: (-b.late, b.number, b.clock))


def gather(conn: Connection, flt: Filter, now: datetime, target_percent: float) -> Report:
    check_scope(conn, flt)
    tables = {by: {clock: compliance(conn, flt, clock, by) for clock in CLOCKS} for _, by in TABLES}
    return Report(
        flt, now, target_percent, dashboard(conn, flt, now), tables, breaches(conn, flt), knowledge(conn, flt)
    )


# ---- rows shared by the PDF and the CSV ---------------------------------------------------------


# ---- writers --------------------------------------------------------------------------------------


def check_target(path: Path) -> str:
    """The format a report file asks for; refused before any work when it cannot be written."""
    if path.is_dir():
        raise ReportError(f"{path} is a folder; give a file name such as {path / 'sla-report.pdf'}.")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"Cannot write {path.name}: the report is written as {', '.join(FORMATS)}.")
    if not path.parent.is_dir():
        raise ReportError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    return suffix


def write_report(report: Report, path: Path, helper: PdfHelper | None = None) -> Path:
    """Write the report in the format the file's extension names; the file appears only when complete.

    ``helper``: a second process that draws part of a PDF's pages meanwhile (``PdfHelper``)."""
    suffix = check_target(path)
    if suffix == ".pdf":
        return write_whole(path, lambda partial: _write_pdf(report, partial, helper))
    writer = {".png": _write_png, ".csv": _write_csv}[suffix]
    return write_whole(path, lambda partial: writer(report, partial), drawn=suffix != ".csv")


def write_whole(path: Path, write: Callable[[Path], None], *, drawn: bool = True) -> Path:
    """Write through a hidden partial file renamed into place, so ``path`` appears only complete.

    ``drawn``: the file is drawn with matplotlib, its text kept as text (fonts embedded whole)."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with _text_as_text() if drawn else contextlib.nullcontext():
            write(partial)
        partial.replace(path)
    except OSError as exc:
        raise ReportError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def _text_as_text() -> contextlib.AbstractContextManager[object]:
    from matplotlib import rc_context  # drawing only: see the imports above

    return rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"})


def _write_csv(report: Report, path: Path) -> None:
    sections: dict[str, list[dict[str, str]]] = {"summary": summary_rows(report)}
    sections |= {by: compliance_rows(report, by) for _, by in TABLES}
    sections["articles"] = article_rows(report)
    sections["breaches"] = breach_rows(report.breaches)
    out = io.StringIO()
    write_rows(out, "csv", sections)
    path.write_text(out.getvalue(), encoding="utf-8-sig")  # with a BOM, so spreadsheets read UTF-8


def _write_png(report: Report, path: Path) -> None:
    from matplotlib.figure import Figure  # drawing only: see the imports above

    from console.metrics import charts, cover

    figure = Figure(figsize=(16, 15), layout="constrained")
    cells = charts.panels(figure, 3, 2)
    for cell, (_, draw) in zip(cells, charts.CHARTS.values(), strict=False):  # the last cell: key figures
        draw(cell, report.dashboard, report.target_percent)
    cover.tiles(cells[-1], report, (0.03, 0.08, 0.94, 0.84), columns=2)
    figure.suptitle(headline(report), fontsize=11)
    figure.savefig(path, format="png", dpi=110)


def _write_pdf(report: Report, path: Path, helper: PdfHelper | None = None) -> None:
    pages = _pdf_pages(report)
    first = _split(len(pages))
    if helper is None or first >= len(pages):
        _draw(report, pages, path)
        return
    rest = path.with_name(path.name + "-2")
    try:
        wait = helper.draw(report, first, rest)
        _draw(report, pages[:first], path)
        wait()
        path.write_bytes(join(path.read_bytes(), rest.read_bytes()))
    finally:
        rest.unlink(missing_ok=True)


def _draw(report: Report, pages: list[Figure], path: Path) -> None:
    from matplotlib.backends.backend_pdf import PdfPages  # drawing only: see the imports above

    with PdfPages(path, metadata={"Title": headline(report), "Creator": "Support Console"}) as pdf:
        for figure in pages:
            pdf.savefig(figure)


# What drawing a page costs, in pages of a table drawn here: the cover and each chart (laid out, their ticks
# measured) cost more. The helper first lays out every page again and shares the cores with this process, so
# its pages cost more, after a lag (measured on a million-ticket report: 18 pages, drawn here up to the 11th).
COVER_COST, CHART_COST, HELPER_LAG, HELPER_PAGE = 1.5, 3.0, 6.0, 2.0


def _split(count: int) -> int:
    """How many of the first pages this process draws (the cover and the charts come first); the helper draws
    the rest: the split at which the later of the two finishes soonest."""
    charts = len(_chart_names())
    costs = [COVER_COST] + [CHART_COST] * charts + [1.0] * (count - 1 - charts)

    def later(first: int) -> float:
        return max(sum(costs[:first]), HELPER_LAG + HELPER_PAGE * (count - first))

    return min(range(1, count), key=later) if count > 1 else count


def _chart_names() -> list[str]:
    from console.metrics import charts  # drawing only: see the imports above

    return list(charts.CHARTS)


class PdfHelper:
    """A second process that draws the last pages of a PDF report while this one draws the first (a report's
    pages take most of its time, one core each); its file is joined after this one's (``pdf_join``). Start it
    before gathering the report, so its start-up (Python, matplotlib) is under way meanwhile.

    A plain ``python -c`` process that reads its one job from its input: unlike a multiprocessing worker it does
    not run the caller's main module again, so any script may write a report."""

    def __init__(self) -> None:
        import subprocess

        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from console.metrics.report import _serve; _serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
        )

    @classmethod
    def possible(cls) -> bool:
        """Two cores, and a Python to start (a bundled app has none)."""
        from console.sla.recompute import cores

        return cores() > 1 and not getattr(sys, "frozen", False)

    def draw(self, report: Report, first: int, path: Path) -> Callable[[], None]:
        """Have the helper draw the report's pages from ``first`` on into ``path``; wait with what this returns."""
        import threading

        job, stdin = pickle.dumps((report, first, str(path))), self.process.stdin
        assert stdin is not None

        def send() -> None:  # larger than a pipe holds: written while this process draws its own pages
            try:
                stdin.write(job)
                stdin.close()
            except BrokenPipeError:  # it stopped already: its message is read below
                pass

        sending = threading.Thread(target=send, name="report job", daemon=True)
        sending.start()

        def wait() -> None:
            assert self.process.stderr is not None
            why = self.process.stderr.read().decode(errors="replace")
            sending.join()
            if self.process.wait() != 0:
                raise ReportError(f"The second process drawing the report failed: {why.strip()[-2000:]}")

        return wait

    def close(self) -> None:
        if self.process.poll() is None:  # not asked to draw (a report that failed first), or failed itself
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stderr):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()

    def __enter__(self) -> PdfHelper:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _serve() -> None:
    """The helper's process: imports what drawing needs, then draws the job it is given."""
    _ready()
    report, first, path = pickle.loads(sys.stdin.buffer.read())
    with _text_as_text():
        pages = _pdf_pages(report)  # all of them, as the other process lays them out: the same page numbers
        _draw(report, pages[first:], Path(path))


def prepare_drawing() -> None:
    """Import what drawing needs in a thread of its own, while this one reads the report (SQLite lets go of the
    interpreter while it reads): most of a second of matplotlib's imports off the report's time."""
    import threading

    threading.Thread(target=_ready, name="import matplotlib", daemon=True).start()


def _ready() -> None:
    """The helper's start-up: what drawing pages needs, imported before there are pages to draw."""
    import matplotlib.backends.backend_pdf  # noqa: F401

    _chart_names()
    from console.metrics import cover  # noqa: F401


def _pdf_pages(report: Report) -> list[Figure]:
    from console.metrics import charts, cover  # drawing only: see the imports above

    footer = headline(report)
    pages = [cover.title_page(report, footer)]
    for title, draw in charts.CHARTS.values():
        sheet = page(title, footer)
        draw(charts.panels(sheet, 1, 1)[0], report.dashboard, report.target_percent)
        pages.append(sheet)
    tables = [(f"{title} (clocks stopped in the period)", compliance_rows(report, by, for_people=True))
              for title, by in TABLES]  # fmt: skip
    pages += table_pages("Response and resolution SLA", footer, tables, numbered=False)
    if report.knowledge is not None:
        used = [
            ("Knowledge use (tickets resolved in the period; problems opened in it)",
             [{"figure": name, "value": value} for name, value in knowledge_figures(report.knowledge)]),
            (f"Articles most used (at most {TOP_ARTICLES}): by the tickets resolved in the period that link them",
             article_rows(report, for_people=True)),
        ]  # fmt: skip
        pages += table_pages("Knowledge use", footer, used, numbered=False)
    breached = {clock: report.breached(clock) for clock in CLOCKS}
    blocks: list[Block] = []
    for clock, items in breached.items():
        listed = items[:BREACHES_IN_PDF]
        more = f", the {len(listed)} most overdue here (the CSV report lists all)" if len(listed) < len(items) else ""
        blocks.append(
            (f"{clock.capitalize()} breaches: {len(items):,}{more}, most overdue first", breach_table(listed))
        )
    title = "SLA breaches: " + ", ".join(f"{len(items):,} {clock}" for clock, items in breached.items())
    pages += table_pages(title, footer, blocks, numbered=False)
    number_pages(pages)
    return pages


def default_period(today: date) -> tuple[date, date]:
    """The last 91 days up to and including today (a quarter)."""
    return today - timedelta(days=90), today
