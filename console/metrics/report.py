"""The SLA report for managers: a multi-page PDF, one PNG, or CSV, from the local cache alone.

Headless: matplotlib Figures rendered with its Agg/PDF backends, no display, no network.
The figures are those of the metrics view (``console.metrics.queries``), so the report and the
charts on screen never disagree; what it says is ``console.metrics.contents``.
"""

from __future__ import annotations

import contextlib
import io
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
    breach_rows,
    breach_table,
    compliance_rows,
    headline,
    summary_rows,
)
from console.metrics.pages import Block, clipped, number_pages, page, table_pages
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
    "CLOCKS", "Block", "Breach", "Report", "ReportError", "breaches", "check_target", "clipped", "default_period",
    "gather", "table_pages", "write_report", "write_whole",
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
    return Report(flt, now, target_percent, dashboard(conn, flt, now), tables, breaches(conn, flt))


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


def write_report(report: Report, path: Path) -> Path:
    """Write the report in the format the file's extension names; the file appears only when complete."""
    suffix = check_target(path)
    writer = {".pdf": _write_pdf, ".png": _write_png, ".csv": _write_csv}[suffix]
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


def _write_pdf(report: Report, path: Path) -> None:
    from matplotlib.backends.backend_pdf import PdfPages  # drawing only: see the imports above

    with PdfPages(path, metadata={"Title": headline(report), "Creator": "Support Console"}) as pdf:
        for figure in _pdf_pages(report):
            pdf.savefig(figure)


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
