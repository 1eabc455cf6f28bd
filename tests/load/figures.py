"""The team load test's figures: latency percentiles of the sync passes, throughput, the server's CPU and
connections, the faults injected and the checks' verdict, as one table row per run.

``docs/load-results.md`` keeps the rows of every run between two markers; anything written around them (the
notes on what the figures say) is left as it is when a run adds its row.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.load.checks import Verdict
from tests.load.desk import Pass, Record

BEGIN, END = "<!-- runs: tests/load/team.py adds a row per run -->", "<!-- /runs -->"
HEADER = (
    "| run | desks | minutes | network | passes (failed) | push p50 / p95 / p99 s | pull p50 / p95 / p99 s "
    "| sync p95 s | slowest s | intents queued/s | pushed/s | CPU cores: PG / desks / machine (load) "
    "| max connections db / server | faults injected | checks |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)
PREAMBLE = """# Team load test: figures

`tests/load/team.py` (out of the default test run): N desk processes, each a person with their own login and
workspace, editing through the console services and syncing with `console.sync.client.sync_workspace` (the
pass `support-console sync --once` runs), plus one administrator writing raw SQL, against one PostgreSQL
database; then every desk syncs until nothing is left and the state-machine test's checks run. Latencies are
of the successful passes of the timed phase (a failed pass is counted in the brackets); *push* runs from the
pass's "Pushing…" to "Pulling…", *pull* from there to the end, *sync* is the whole pass (connecting and the
schema check included). CPU is averaged over the timed phase: PostgreSQL's from /proc (the whole server), the
desk processes' own, and the whole machine's from /proc/stat (2 cores here, shared with everything else running),
with its load average.

"""


def _kind(error: str) -> str:
    """A failed pass's error without what differs from one to the next (ports, numbers, addresses, where it could
    not connect to)."""
    error = re.sub(r"connection to server at .*? failed: ", "", error.split(" (Background on this error")[0])
    return re.sub(r"\d+", "N", error)[:140]


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it (nan for none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def three(values: list[float]) -> str:
    return " / ".join(f"{percentile(values, p):.2f}" for p in (50, 95, 99))


@dataclass
class Summary:
    label: str
    desks: int
    minutes: float
    network: str
    passes: list[Pass]  # of the timed phase
    intents: int
    seconds: float
    pg_cpu: float  # cores, on average
    machine_cpu: float
    load_average: float  # the machine's (1 min), at the end of the timed phase
    max_connections: int
    max_cluster: int
    faults: str
    verdict: Verdict
    errors: Counter[str]
    records: list[Record]

    @classmethod
    def of(cls, label: str, records: list[Record], **figures: object) -> Summary:
        load = [p for r in records for p in r.passes if p.phase == "load"]
        errors = Counter(_kind(p.error) for p in load if p.error)
        intents = sum(len(r.intents) for r in records)
        return cls(label, passes=load, intents=intents, errors=errors, records=records, **figures)  # type: ignore[arg-type]

    @property
    def desks_cpu(self) -> float:
        return sum(r.cpu_seconds for r in self.records) / self.seconds

    @property
    def ok(self) -> list[Pass]:
        return [p for p in self.passes if p.error is None]

    def row(self) -> str:
        ok = self.ok
        push = [p.push for p in ok if p.push is not None]
        pull = [p.pull for p in ok if p.pull is not None]
        total = [p.total for p in ok]
        slowest = max((p.total for p in self.passes), default=math.nan)
        pushed = sum(p.pushed for p in ok)
        verdict = self.verdict
        checks = (
            ("ok: " if verdict.ok else "FAILED: ")
            + f"{verdict.converged}/{verdict.desks} converged, "
            + (f"{verdict.counts.get('lost (never answered)', 0)} lost, {self._doubled()} doubled")
        )
        cells = [
            self.label, str(self.desks), f"{self.minutes:g}", self.network,
            f"{len(ok):,} ({len(self.passes) - len(ok):,})", three(push), three(pull), f"{percentile(total, 95):.2f}",
            f"{slowest:.1f}", f"{self.intents / self.seconds:.1f}", f"{pushed / self.seconds:.1f}",
            f"{self.pg_cpu:.2f} / {self.desks_cpu:.2f} / {self.machine_cpu:.2f} ({self.load_average:.1f})",
            f"{self.max_connections} / {self.max_cluster}",
            self.faults or "none", checks,
        ]  # fmt: skip
        return "| " + " | ".join(cells) + " |"

    def _doubled(self) -> int:
        return sum(n for kind, n in self.verdict.counts.items() if "exactly once" in kind)

    def text(self) -> str:
        """What the run prints: the row's figures in words, the errors of failed passes and the verdict."""
        ok = self.ok
        lines = [
            f"{self.label}: {self.desks} desks for {self.minutes:g} min, network: {self.network}",
            f"  passes: {len(ok):,} ok, {len(self.passes) - len(ok):,} failed",
            *(f"    {n:5} × {kind}" for kind, n in self.errors.most_common(8)),
            f"  push p50/p95/p99: {three([p.push for p in ok if p.push is not None])} s",
            f"  pull p50/p95/p99: {three([p.pull for p in ok if p.pull is not None])} s",
            f"  whole pass p50/p95/p99: {three([p.total for p in ok])} s; slowest (failed too): "
            f"{max((p.total for p in self.passes), default=math.nan):.1f} s",
            f"  intents queued: {self.intents:,} ({self.intents / self.seconds:.1f}/s)",
            f"  CPU: PostgreSQL {self.pg_cpu:.2f} cores, the desks {self.desks_cpu:.2f}, the machine "
            f"{self.machine_cpu:.2f} (load average {self.load_average:.1f})",
            f"  connections: {self.max_connections} to the database, {self.max_cluster} on the server at most",
            f"  faults: {self.faults or 'none'}",
            f"  checks: {self.verdict}",
        ]
        return "\n".join(lines)


def write_row(path: Path, summary: Summary) -> None:
    """Add the run's row to the table in ``path`` (made with its preamble when missing)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    row = summary.row().replace(f"| {summary.label} |", f"| {summary.label} ({stamp}) |", 1)
    text = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE + f"{BEGIN}\n{HEADER}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{HEADER}\n{END}\n"
    head, rest = text.split(END, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head.rstrip("\n") + f"\n{row}\n{END}" + rest, encoding="utf-8")
