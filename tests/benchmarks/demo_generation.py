"""Benchmark (not part of the test run): build a large demo workspace and report time, size, memory.

.venv/bin/python tests/benchmarks/demo_generation.py --tickets 1000000 --home /tmp/sc-1m [--json FILE]

``generate`` is what ``tests/benchmarks/table.py`` runs (in a process of its own, so the peak memory is the
generation's): the whole build, how long each stage took, and the workspace's sizes.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from console.demo import DemoSpec, create_demo
from console.store.database import connect
from console.store.summary import summarize
from console.store.workspace import Workspace

UNTIL = date(2026, 11, 23)


def generate(home: Path, tickets: int, until: date = UNTIL, shared: str | None = None) -> dict[str, Any]:
    """Build the demo of ``tickets`` tickets in ``home``: seconds in all and per stage (each stage from its first
    progress report to the next stage's), rows, sizes, and this process's peak memory (its recompute's worker
    processes not included: ``table.py`` samples the whole process tree)."""
    workspace = Workspace.open(home)
    starts: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if stage.startswith("computing"):
            key = "SLA recompute"
        elif stage.startswith("copying"):
            key = "copy to the cache"
        elif "copy to the cache" in starts:
            key = "derived structures"  # rollups, full-text and queue indexes of the cache
        else:
            key = "tickets" if stage == "tickets" else "indexes"
        starts.setdefault(key, time.perf_counter() - started)

    result = create_demo(
        workspace,
        DemoSpec(tickets=tickets, seed=7, until=until),
        shared_url=shared,
        progress=progress,
    )
    order = sorted(starts.items(), key=lambda item: item[1])
    stages = {
        name: (order[i + 1][1] if i + 1 < len(order) else result.seconds) - at for i, (name, at) in enumerate(order)
    }
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    with connect(workspace.cache()) as conn:
        summary = summarize(conn)
    return {
        "tickets": tickets,
        "until": until.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": result.seconds,
        "stages": stages,
        "rows": result.rows,
        "shared_bytes": result.shared_bytes,
        "cache_bytes": result.cache_bytes,
        "peak_mib": peak_mib,
        "summary_seconds": time.perf_counter() - t0,
        "open_tickets": summary.open_tickets,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--shared", help="shared database URL (default: SQLite file in the home)")
    parser.add_argument("--until", type=date.fromisoformat, default=UNTIL, help="last day of the history")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    found = generate(args.home, args.tickets, args.until, args.shared)
    if args.json:
        args.json.write_text(json.dumps(found, indent=2), encoding="utf-8")
    rows = found["rows"]
    print(f"tickets            {args.tickets:,}")
    print(f"rows written       {sum(rows.values()):,}")
    for table in ("tickets", "audit_events", "comments"):
        print(f"  {table:<16} {rows.get(table, 0):,}")
    print(f"total time         {found['seconds']:.1f} s")
    for stage, seconds in found["stages"].items():
        print(f"  {stage:<16} {seconds:.1f} s")
    print(f"shared size        {(found['shared_bytes'] or 0) / 2**20:,.0f} MiB")
    print(f"cache size         {found['cache_bytes'] / 2**20:,.0f} MiB")
    print(f"peak memory (RSS)  {found['peak_mib']:,.0f} MiB (this process; tests/benchmarks/table.py adds its workers)")
    print(f"summary query      {found['summary_seconds']:.2f} s ({found['open_tickets']:,} open of {args.tickets:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
