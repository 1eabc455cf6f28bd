"""Benchmark (not part of the test run): build a large demo workspace and report time, size, memory.

.venv/bin/python tests/benchmarks/demo_generation.py --tickets 1000000 --home /tmp/sc-1m
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

from console.demo import DemoSpec, create_demo
from console.store.database import connect
from console.store.summary import summarize
from console.store.workspace import Workspace


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--shared", help="shared database URL (default: SQLite file in the home)")
    args = parser.parse_args()
    workspace = Workspace.open(args.home)
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        key = stage.split()[0]
        stages.setdefault(key, time.perf_counter() - started)

    result = create_demo(
        workspace,
        DemoSpec(tickets=args.tickets, seed=7, until=date(2026, 11, 23)),
        shared_url=args.shared,
        progress=progress,
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    with connect(workspace.cache()) as conn:
        summary = summarize(conn)
    summary_s = time.perf_counter() - t0
    print(f"tickets            {args.tickets:,}")
    print(f"rows written       {sum(result.rows.values()):,}")
    for table in ("tickets", "audit_events", "comments"):
        print(f"  {table:<16} {result.rows.get(table, 0):,}")
    print(f"total time         {result.seconds:.1f} s")
    for stage, at in stages.items():
        print(f"  {stage:<16} started at {at:.1f} s")
    print(f"shared size        {(result.shared_bytes or 0) / 2**20:,.0f} MiB ({result.shared})")
    print(f"cache size         {result.cache_bytes / 2**20:,.0f} MiB")
    print(f"peak memory (RSS)  {peak_mib:,.0f} MiB")
    print(f"summary query      {summary_s:.2f} s ({summary.open_tickets:,} open of {summary.tickets:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
