"""Benchmark (not part of the test run): every metrics query on a workspace's cache, timed.

.venv/bin/python tests/benchmarks/metrics_queries.py --home /tmp/sc-1m
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from console.database import connect
from console.metrics import Filter, backlog, compliance, percentiles, rates
from console.workspace import Workspace


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--now", default="2026-11-23T00:00:00+00:00")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    period = Filter(now.date() - timedelta(days=365), now.date())
    workspace = Workspace.open(args.home)
    total = 0.0
    with connect(workspace.cache()) as conn:
        work: list[tuple[str, Callable[[], Any]]] = [
            (f"compliance {clock} by {by}", lambda c=clock, b=by: compliance(conn, period, c, b))  # type: ignore[misc]
            for clock in ("response", "resolution")
            for by in ("priority", "unit", "module", "tier", "week")
        ]
        work += [
            ("percentiles response", lambda: percentiles(conn, period, "response")),
            ("percentiles resolution", lambda: percentiles(conn, period, "resolution")),
            ("backlog", lambda: backlog(conn, period, now)),
            ("rates", lambda: rates(conn, period)),
        ]
        for name, fn in work:
            started = time.perf_counter()
            fn()
            spent = time.perf_counter() - started
            total += spent
            print(f"{name:<36} {spent * 1000:8.0f} ms")
    print(f"{'all metrics data':<36} {total * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
