"""Benchmark (not part of the test run): the metrics view's data and charts on a workspace's cache.

.venv/bin/python tests/benchmarks/metrics_queries.py --home /tmp/sc-1m

Times, for each period the view offers: all the data of the view (``console.metrics.queries.dashboard``,
what the database worker computes), then each chart drawn on an off-screen Agg canvas, as the
view draws it; plus each metrics query alone, the derived structures' build, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from console.metrics import charts
from console.metrics.queries import Filter, backlog, compliance, dashboard, percentiles, rates
from console.store import derived
from console.store.database import connect
from console.store.workspace import Workspace

PERIODS = (("3 months", 91), ("12 months", 365), ("24 months", 730))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--now", default="2026-11-23T00:00:00+00:00")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    workspace = Workspace.open(args.home)
    engine, built = timed(workspace.cache)
    print(f"{'open cache (builds derived if needed)':<44} {built * 1000:9.0f} ms  user_version {derived.VERSION}")
    end = now.date() + timedelta(days=1)
    with connect(engine) as conn:
        for label, days in PERIODS:
            flt = Filter(end - timedelta(days=days), end)
            data, spent = timed(lambda f=flt: dashboard(conn, f, now))  # type: ignore[misc]
            print(f"{'all metrics data, ' + label:<44} {spent * 1000:9.0f} ms  ({data.resolution.count:,} resolved)")
            for title, draw in charts.CHARTS.values():
                figure = charts.chart_figure(10, 5.6)  # as on screen
                canvas = FigureCanvasAgg(figure)

                def paint(d: Any = draw, f: Figure = figure, c: FigureCanvasAgg = canvas, data: Any = data) -> None:
                    d(f, data, 90.0)
                    c.draw()

                _, spent = timed(paint)
                print(f"  chart {title:<36} {spent * 1000:9.0f} ms")
        year = Filter(end - timedelta(days=365), end)
        work: list[tuple[str, Callable[[], Any]]] = [
            (f"compliance {clock} by {by}", lambda c=clock, b=by: compliance(conn, year, c, b))  # type: ignore[misc]
            for clock in ("response", "resolution")
            for by in ("priority", "unit", "module", "tier", "week", "month")
        ]
        work += [
            ("percentiles response", lambda: percentiles(conn, year, "response")),
            ("percentiles resolution", lambda: percentiles(conn, year, "resolution")),
            ("backlog", lambda: backlog(conn, year, now)),
            ("rates", lambda: rates(conn, year)),
        ]
        print("each query alone, 12 months:")
        for name, fn in work:
            _, spent = timed(fn)
            print(f"  {name:<42} {spent * 1000:9.0f} ms")
        rollup_rows = conn.exec_driver_sql("SELECT count(*) FROM metric_rollup").scalar()
    print(f"{'metric_rollup rows':<44} {rollup_rows:>9,}")
    print(f"{'peak memory (RSS)':<44} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:9.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
