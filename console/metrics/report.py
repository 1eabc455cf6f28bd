"""The SLA report for managers: a multi-page PDF, one PNG, or CSV, from the local cache alone.

Headless: matplotlib Figures rendered with its Agg/PDF backends, no display, no network.
The figures are those of the metrics view (``console.metrics.queries``), so the report and the
charts on screen never disagree.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, literal_column, select
from sqlalchemy.orm import aliased

from console.errors import ConsoleError
from console.metrics.queries import ClockName, Compliance, Dashboard, Filter, Grouping, compliance, dashboard
from console.sla.evidence import write_rows
from console.store.codes import check_codes
from models import BusinessUnit, ErpModule, SlaState, Ticket

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib (and console.metrics.charts, drawn with it) is imported inside the functions that draw:
# every command-line verb imports this module through the CAB agenda, and matplotlib's PDF backend
# alone takes most of a second to import.

FORMATS = (".pdf", ".png", ".csv")
A4_LANDSCAPE = (11.69, 8.27)
BREACHES_IN_PDF = 300  # the most overdue; the CSV lists them all
LINES_PER_PAGE = 52
TABLES: tuple[tuple[str, Grouping], ...] = (
    ("Compliance by priority", "priority"),
    ("Compliance by tier", "tier"),
    ("Compliance by business unit", "unit"),
    ("Compliance by ERP module", "module"),
    ("Trend by month", "month"),
)
CLOCKS: tuple[ClockName, ...] = ("response", "resolution")


class ReportError(ConsoleError):
    pass


@dataclass(frozen=True)
class Breach:
    number: str
    title: str
    unit: str
    module: str
    priority: str
    clock: str
    breached_at: datetime | None
    stopped_at: datetime

    @property
    def late(self) -> timedelta:
        return self.stopped_at - (self.breached_at or self.stopped_at)


@dataclass(frozen=True)
class Report:
    filter: Filter
    now: datetime
    target_percent: float
    dashboard: Dashboard
    tables: dict[Grouping, dict[ClockName, list[Compliance]]]
    breaches: list[Breach]

    def overall(self, clock: ClockName) -> Compliance:
        rows = self.tables["priority"][clock]
        return Compliance("all", sum(c.met for c in rows), sum(c.missed for c in rows))


def check_scope(conn: Connection, flt: Filter) -> None:
    """Refuse unknown unit or module codes by name, rather than report on nothing."""
    check_codes(conn, flt.units, flt.modules)
    if flt.end <= flt.start:
        raise ReportError(f"The period is empty: {flt.start} is not before {flt.end}.")


def breaches(conn: Connection, flt: Filter) -> list[Breach]:
    """Every clock missed in the period, the most overdue first.

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


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _hours(seconds: int | None) -> str:
    return "–" if seconds is None else f"{seconds / 3600:.1f}"


def summary_rows(report: Report) -> list[dict[str, str]]:
    data = report.dashboard
    figures: list[tuple[str, str]] = [
        ("Period", f"{report.filter.start} to {report.filter.end - timedelta(days=1)} (UTC days)"),
        ("Scope", scope_text(report.filter)),
        ("Data as of", f"{data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else "never computed"),
        ("Compliance target %", f"{report.target_percent:g}"),
    ]
    for clock in CLOCKS:
        overall = report.overall(clock)
        figures += [
            (f"{clock.capitalize()} compliance %", _percent(overall.percent)),
            (f"{clock.capitalize()} clocks met / missed", f"{overall.met} / {overall.missed}"),
        ]
    figures += [
        ("Median business hours to respond", _hours(data.response.median_seconds)),
        ("90th percentile business hours to respond", _hours(data.response.p90_seconds)),
        ("Median business hours to resolve", _hours(data.resolution.median_seconds)),
        ("90th percentile business hours to resolve", _hours(data.resolution.p90_seconds)),
        ("Tickets resolved", str(data.rates.resolved)),
        ("Low: resolved by the release each was due with", _low_text(report)),
        ("Resolved with no release planned (not counted)", str(data.rates.not_timed)),
        ("Reopen rate %", _percent(data.rates.reopen_rate)),
        ("First-contact resolution %", _percent(data.rates.first_contact_rate)),
        (f"Open tickets at {report.now:%Y-%m-%d %H:%M} UTC", str(data.backlog.open)),
        ("Open and past the resolution due time", str(data.backlog.breached)),
        ("Open and due within 24 h", str(data.backlog.due_soon)),
    ]
    return [{"figure": name, "value": value} for name, value in figures]


def _low_text(report: Report) -> str:
    low = next((c for c in report.tables["priority"]["resolution"] if c.key == "low"), Compliance("low", 0, 0))
    return f"{_percent(low.percent)} % ({low.met} of {low.total})" if low.total else "none judged in the period"


def scope_text(flt: Filter) -> str:
    parts = [
        f"{label} {', '.join(values)}"
        for label, values in (("units", flt.units), ("modules", flt.modules), ("priorities", flt.priorities))
        if values
    ]
    return "; ".join(parts) or "all units, modules and priorities"


def compliance_rows(report: Report, by: Grouping) -> list[dict[str, str]]:
    """One row per group, both clocks side by side."""
    per_clock = {clock: {c.key: c for c in report.tables[by][clock]} for clock in CLOCKS}
    keys = sorted(set(per_clock["response"]) | set(per_clock["resolution"]))
    rows = []
    for key in keys:
        row: dict[str, str] = {str(by): key}
        for clock in CLOCKS:
            c = per_clock[clock].get(key, Compliance(key, 0, 0))
            row |= {f"{clock} met": str(c.met), f"{clock} missed": str(c.missed), f"{clock} %": _percent(c.percent)}
        rows.append(row)
    return rows


def clipped(text: str, width: int) -> str:
    """Text cut to ``width`` characters, with an ellipsis, so it fits its column."""
    return text if len(text) <= width else text[: width - 1] + "…"


def breach_rows(items: Sequence[Breach], title_width: int = 0) -> list[dict[str, str]]:
    return [
        {
            "ticket": b.number,
            "clock": b.clock,
            "priority": b.priority,
            "unit": b.unit,
            "module": b.module,
            "due": f"{b.breached_at:%Y-%m-%d %H:%M}" if b.breached_at else "",
            "stopped": f"{b.stopped_at:%Y-%m-%d %H:%M}",
            "late (h)": f"{b.late.total_seconds() / 3600:.1f}",
            "title": clipped(b.title, title_width) if title_width else b.title,
        }
        for b in items
    ]


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

    from console.metrics import charts

    figure = Figure(figsize=(16, 10), layout="constrained")
    for cell, (_, draw) in zip(charts.panels(figure, 2, 2), charts.CHARTS.values(), strict=True):
        draw(cell, report.dashboard, report.target_percent)
    figure.suptitle(_headline(report), fontsize=11)
    figure.savefig(path, format="png", dpi=110)


def _headline(report: Report) -> str:
    resolution = report.overall("resolution")
    as_of = report.dashboard.as_of
    return (
        f"SLA report {report.filter.start} to {report.filter.end - timedelta(days=1)} · {scope_text(report.filter)} · "
        f"resolution compliance {_percent(resolution.percent)} % of {resolution.total:,} · "
        f"data as of {as_of:%Y-%m-%d %H:%M} UTC"
        if as_of
        else "SLA report (no SLA computed yet)"
    )


def _write_pdf(report: Report, path: Path) -> None:
    from matplotlib.backends.backend_pdf import PdfPages  # drawing only: see the imports above

    with PdfPages(path, metadata={"Title": _headline(report), "Creator": "Support Console"}) as pdf:
        for figure in _pdf_pages(report):
            pdf.savefig(figure)


def _page(report: Report, title: str, *, layout: Literal["constrained"] | None = "constrained") -> Figure:
    return page(title, _headline(report), layout=layout)


def page(title: str, footer: str, *, layout: Literal["constrained"] | None = "constrained") -> Figure:
    """An A4 landscape page with its title at the top left and a footer line."""
    from matplotlib.figure import Figure  # drawing only: see the imports above

    from console.metrics import charts

    figure = Figure(figsize=A4_LANDSCAPE, layout=layout)
    figure.suptitle(title, x=0.01, ha="left", fontsize=14, fontweight="bold")
    figure.supxlabel(footer, fontsize=7, color=charts.TARGET)
    return figure


Block = tuple[str, list[dict[str, str]]]  # a titled table


def _text_pages(blocks: Sequence[Block], lines_per_page: int = LINES_PER_PAGE) -> list[list[str]]:
    """Tables as aligned monospace lines, packed onto pages; a table that runs over repeats its header."""
    pages: list[list[str]] = [[]]
    for title, rows in blocks:
        out = io.StringIO()
        write_rows(out, "table", {"": rows})
        table = out.getvalue().strip("\n").splitlines()
        header, body = (table[:1], table[1:]) if rows else ([], ["None in this period."])
        heading = [title, *header]
        while body:
            gap = [""] if pages[-1] else []
            room = lines_per_page - len(pages[-1]) - len(gap) - len(heading)
            if room < min(len(body), 3):  # not even three rows fit here: start the table on a new page
                pages.append([])
                continue
            pages[-1] += [*gap, *heading, *body[:room]]
            body = body[room:]
            heading = [f"{title} (continued)", *header]
    return [page for page in pages if page]


def _table_pages(report: Report, title: str, blocks: Sequence[Block]) -> Iterator[Figure]:
    return table_pages(title, _headline(report), blocks)


def table_pages(title: str, footer: str, blocks: Sequence[Block]) -> Iterator[Figure]:
    """Pages of tables as text: quick to draw, and the text copies out of the PDF row by row."""
    pages = _text_pages(blocks)
    for index, lines in enumerate(pages):
        sheet = page(title + (f" ({index + 1}/{len(pages)})" if len(pages) > 1 else ""), footer, layout=None)
        sheet.text(0.03, 0.9, "\n".join(lines), family="monospace", fontsize=8, va="top", linespacing=1.3)
        yield sheet


def _pdf_pages(report: Report) -> Iterator[Figure]:
    from console.metrics import charts  # drawing only: see the imports above

    yield from _table_pages(report, "SLA compliance report", [("Key figures", summary_rows(report))])
    for title, draw in charts.CHARTS.values():
        page = _page(report, title)
        draw(charts.panels(page, 1, 1)[0], report.dashboard, report.target_percent)
        yield page
    tables = [(f"{title} (clocks stopped in the period)", compliance_rows(report, by)) for title, by in TABLES]
    yield from _table_pages(report, "Response and resolution SLA", tables)
    listed = report.breaches[:BREACHES_IN_PDF]
    more = f": the {len(listed)} most overdue; the CSV report lists all" if len(listed) < len(report.breaches) else ""
    heading = f"SLA clocks missed in the period, most overdue first{more}"
    yield from _table_pages(
        report, f"Breaches ({len(report.breaches):,})", [(heading, breach_rows(listed, title_width=60))]
    )


def default_period(today: date) -> tuple[date, date]:
    """The last 91 days up to and including today (a quarter)."""
    return today - timedelta(days=90), today
