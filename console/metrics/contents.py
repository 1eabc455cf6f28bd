"""What the SLA report says, as data and in words a manager reads: the figures of the period, both clocks
apart, groups in reading order (priorities by severity), and the breaches. Shared by the PDF, the PNG and the
CSV (``console.metrics.report`` writes them; ``console.metrics.cover`` draws the first page). A clock stopped
after its due time is "breached" (``console.words``); every count of breaches says which clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from console.metrics.knowledge import Knowledge
from console.metrics.pages import clipped
from console.metrics.queries import ClockName, Compliance, Dashboard, Filter, Grouping
from console.zone import moment_text, zoned
from models import Priority

TIERS = {"0": "0 · self-service", "1": "1 · service desk", "2": "2 · functional", "3": "3 · technical, vendor"}
TABLES: tuple[tuple[str, Grouping], ...] = (
    ("Compliance by priority", "priority"),
    ("Compliance by tier", "tier"),
    ("Compliance by business unit", "unit"),
    ("Compliance by ERP module", "module"),
    ("Trend by month", "month"),
)
CLOCKS: tuple[ClockName, ...] = ("response", "resolution")


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
    knowledge: Knowledge | None = None  # knowledge use in the same period and scope (``console.metrics.knowledge``)

    def overall(self, clock: ClockName) -> Compliance:
        rows = self.tables["priority"][clock]
        return Compliance("all", sum(c.met for c in rows), sum(c.missed for c in rows))

    def breached(self, clock: ClockName) -> list[Breach]:
        """The clocks of one kind breached in the period (stopped after their due time), the most overdue first."""
        return [b for b in self.breaches if b.clock == clock]


def clocks_text(report: Report) -> str:
    """Both clocks in a few words, each with its own count: "response 98.3 % met of 175 (3 breached) ·
    resolution 90.3 % met of 176 (17 breached)"."""
    return " · ".join(
        f"{clock} {percent_text(c.percent)} % met of {c.total:,} ({c.missed:,} breached)"
        for clock, c in ((clock, report.overall(clock)) for clock in CLOCKS)
    )


def percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def hours_text(seconds: int | None) -> str:
    return "–" if seconds is None else f"{seconds / 3600:,.1f}"


def key_figures(report: Report) -> dict[str, list[tuple[str, str]]]:
    """The report's figures by theme, each a (name, value) in words a manager reads."""
    data = report.dashboard
    levels = [("Compliance target %", f"{report.target_percent:g}")]
    for clock in CLOCKS:
        overall = report.overall(clock)
        levels += [
            (f"{clock.capitalize()} compliance %", percent_text(overall.percent)),
            (f"{clock.capitalize()} clocks met / breached", f"{overall.met:,} / {overall.missed:,}"),
        ]
    levels += [
        ("Low met by their release", _low_text(report)),
        ("Low with no release planned", f"{data.rates.not_timed:,} (not counted)"),
    ]
    figures = {
        "Report": [
            ("Period", f"{report.filter.start} to {report.filter.end - timedelta(days=1)} (UTC days)"),
            ("Scope", scope_text(report.filter)),
            ("Data as of", moment_text(data.as_of, named=True) if data.as_of else "never computed"),
        ],
        "Service levels": levels,
        "Time to respond and resolve": [
            ("Median business hours to respond", hours_text(data.response.median_seconds)),
            ("90th percentile business hours to respond", hours_text(data.response.p90_seconds)),
            ("Median business hours to resolve", hours_text(data.resolution.median_seconds)),
            ("90th percentile business hours to resolve", hours_text(data.resolution.p90_seconds)),
        ],
        "Tickets": [
            ("Tickets resolved", f"{data.rates.resolved:,}"),
            ("Reopen rate %", percent_text(data.rates.reopen_rate)),
            ("First-contact resolution %", percent_text(data.rates.first_contact_rate)),
        ],
        "Backlog": [
            # the zone named once, in "Data as of" above
            (f"Open tickets at {moment_text(report.now)}", f"{data.backlog.open:,}"),
            ("Open and past the resolution due time", f"{data.backlog.breached:,}"),
            ("Open and due within 24 h", f"{data.backlog.due_soon:,}"),
        ],
    }
    if report.knowledge is not None:
        figures["Knowledge use"] = knowledge_figures(report.knowledge)
    return figures


def knowledge_figures(found: Knowledge) -> list[tuple[str, str]]:
    """Knowledge use in words a manager reads: tickets resolved with an article, problems opened from candidates."""
    return [
        ("Tickets resolved with a knowledge article", f"{found.deflected:,} of {found.resolved:,}"),
        ("Resolved with a knowledge article %", percent_text(found.deflected_percent)),
        ("Problem candidates opened as problems", f"{found.problems_opened:,}"),
        ("Incidents they linked at their opening", f"{found.incidents_linked:,}"),
    ]


def article_rows(report: Report, *, for_people: bool = False) -> list[dict[str, str]]:
    """The articles linked to the most tickets resolved in the period, most first. ``for_people``: counts with
    thousands separators (the PDF); else plain (the CSV)."""
    used = report.knowledge.articles if report.knowledge is not None else ()
    return [{"article": a.number, "title": a.title, "tickets": f"{a.tickets:,}" if for_people else str(a.tickets)}
            for a in used]  # fmt: skip


def summary_rows(report: Report) -> list[dict[str, str]]:
    return [{"figure": name, "value": value} for figures in key_figures(report).values() for name, value in figures]


def _low_text(report: Report) -> str:
    low = next((c for c in report.tables["priority"]["resolution"] if c.key == "low"), Compliance("low", 0, 0))
    return f"{percent_text(low.percent)} % ({low.met} of {low.total})" if low.total else "none judged in the period"


def scope_text(flt: Filter) -> str:
    parts = [
        f"{label} {', '.join(values)}"
        for label, values in (("units", flt.units), ("modules", flt.modules), ("priorities", flt.priorities))
        if values
    ]
    return "; ".join(parts) or "all units, modules and priorities"


def in_order(by: Grouping, keys: set[str]) -> list[str]:
    """Groups in the order a person reads them: priorities by severity (Critical first), tiers by number,
    the rest by name or date."""
    ranks = {p.value: p.rank for p in Priority}

    def order(key: str) -> tuple[int, str]:
        if by == "priority":
            return ranks.get(key, len(ranks) + 1), key
        if by == "tier" and key.isdigit():
            return int(key), key
        return 0, key

    return sorted(keys, key=order)


def group_label(by: Grouping, key: str) -> str:
    """A group's key as a person reads it: "Critical", "2 · functional", "Sep 2026"."""
    if by == "priority":
        return key.capitalize()
    if by == "tier":
        return TIERS.get(key, key)
    if by in ("month", "week"):
        return f"{date.fromisoformat(key):%b %Y}" if by == "month" else f"{date.fromisoformat(key):%d %b %Y}"
    return key


GROUP_NAMES: dict[Grouping, str] = {
    "priority": "priority", "tier": "tier", "unit": "business unit", "module": "ERP module", "month": "month",
    "week": "week",
}  # fmt: skip


def compliance_rows(report: Report, by: Grouping, *, for_people: bool = False) -> list[dict[str, str]]:
    """One row per group, both clocks side by side, in reading order. ``for_people``: groups named in
    words, and a last row for all of them (the PDF); else codes, as the CSV keeps them."""
    per_clock = {clock: {c.key: c for c in report.tables[by][clock]} for clock in CLOCKS}
    keys = in_order(by, set(per_clock["response"]) | set(per_clock["resolution"]))
    first = GROUP_NAMES[by] if for_people else str(by)
    rows = []
    for key in [*keys, *(["all"] if for_people and keys else [])]:
        row: dict[str, str] = {first: ("All" if key == "all" else group_label(by, key)) if for_people else key}
        for clock in CLOCKS:
            c = per_clock[clock].get(key, Compliance(key, 0, 0)) if key != "all" else report.overall(clock)
            met, missed = (f"{c.met:,}", f"{c.missed:,}") if for_people else (str(c.met), str(c.missed))
            share = f"{clock} % met" if for_people else f"{clock} %"
            row |= {f"{clock} met": met, f"{clock} breached": missed, share: percent_text(c.percent)}
        rows.append(row)
    return rows


def breach_rows(items: Sequence[Breach], title_width: int = 0) -> list[dict[str, str]]:
    due, stopped = zoned("due"), zoned("stopped")  # the person's zone, named once in the heading
    return [
        {
            "ticket": b.number,
            "clock": b.clock,
            "priority": b.priority,
            "unit": b.unit,
            "module": b.module,
            due: moment_text(b.breached_at) if b.breached_at else "",
            stopped: moment_text(b.stopped_at),
            "late (h)": f"{b.late.total_seconds() / 3600:.1f}",
            "title": clipped(b.title, title_width) if title_width else b.title,
        }
        for b in items
    ]


def breach_table(items: Sequence[Breach]) -> list[dict[str, str]]:
    """The breaches of one clock as the PDF lists them (the clock is the table's)."""
    due, stopped = zoned("due"), zoned("stopped")
    return [
        {
            "ticket": b.number,
            "priority": b.priority.capitalize(),
            "unit": b.unit,
            "module": b.module,
            due: moment_text(b.breached_at) if b.breached_at else "",
            stopped: moment_text(b.stopped_at),
            "hours late (calendar)": f"{b.late.total_seconds() / 3600:,.1f}",
            "title": b.title,
        }
        for b in items
    ]


def headline(report: Report) -> str:
    as_of = report.dashboard.as_of
    short = " · ".join(f"{clock} {percent_text(report.overall(clock).percent)} % of {report.overall(clock).total:,}"
                       for clock in CLOCKS)  # fmt: skip
    return (
        f"SLA report {report.filter.start} to {report.filter.end - timedelta(days=1)} · {scope_text(report.filter)} · "
        f"{short} met · data as of {moment_text(as_of, named=True)}"
        if as_of
        else "SLA report (no SLA computed yet)"
    )
