"""Benchmark (not part of the test run): suggestions as a title is typed, on a workspace's cache.

.venv/bin/python tests/benchmarks/similar_speed.py --home /tmp/support-console-1m

Target (issue 20): ≤ 100 ms per keystroke burst on 1,000,000 tickets. Titles in English and Persian (Persian
letters, an Arabic keyboard's, Persian digits) are typed a few letters at a time, as the window asks after a pause
in the typing; each call of ``console.problems.similar.suggest`` is timed as the application makes it (a SQLAlchemy
connection to the cache). Its floor, measured in the same round: the statements that call ran, replayed in a plain
``sqlite3`` connection with every row fetched. Figures: the median, 95th percentile and worst call over
``--rounds`` rounds of every burst, and the median of the calls' ratios to their floors.

The cache is opened as a file (``derived.ensure`` builds the derived structures it lacks, timed), not through
``Workspace.open``, so a workspace made by an older schema is measured as it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the checkout's root, for ``tests.benchmarks``
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.problems.similar import Suggestions, suggest
from console.store import derived
from console.store.database import make_engine, sqlite_url
from tests.benchmarks.measure import replay, statements, timed

TITLES = (
    "Purchase order stuck in approval workflow",
    "Journal entry will not post because the period is closed",
    "Goods receipt posted to the wrong warehouse",
    "Payroll simulation fails for employee",
    "Interface to the bank host is down",
    "Consignment stock valuation wrong after revaluation run",  # found in no demo ticket
    "Sales order blocked by credit check for customer 4711",
    "سفارش خرید در گردش تایید متوقف شده است",
    "خطاي ثبت سند حسابداري",  # an Arabic keyboard
    "گزارش پس از 10 دقیقه متوقف می‌شود",
    "مغایرت موجودی انبار برای کالای ۱۲۳۴۵",
)
STEP = 3
"""Letters typed between two calls (the window asks after a pause; a burst is a few keystrokes)."""


def bursts(title: str) -> list[str]:
    """What has been typed at each call: every ``STEP`` letters, and the whole title."""
    return [title[:n] for n in range(STEP, len(title), STEP)] + [title]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    database = args.home / "cache.sqlite3"
    engine = make_engine(sqlite_url(database))
    built = timed(lambda: derived.ensure(engine))
    print(f"derived structures ensured in {built:.1f} s (version {derived.VERSION})")
    product: list[float] = []
    floors: list[float] = []
    ratios: list[float] = []
    worst: tuple[float, str] = (0.0, "")
    with engine.connect() as conn:
        tickets = conn.exec_driver_sql("SELECT max(rowid) FROM tickets").scalar_one()
        first = timed(lambda: suggest(conn, "warm up the statements"))
        last: dict[str, Suggestions] = {}
        for _ in range(args.rounds):
            for title in TITLES:
                for typed in bursts(title):
                    with statements() as log:
                        spent = timed(lambda t=typed: last.__setitem__(t, suggest(conn, t)))  # type: ignore[misc]
                    floor = replay(database, log.reads())
                    product.append(spent)
                    floors.append(floor)
                    ratios.append(spent / floor if floor > 0 else 0.0)
                    worst = max(worst, (spent, typed))
    engine.dispose()
    product.sort()
    p95 = product[int(0.95 * (len(product) - 1))]
    print(f"{tickets:,} tickets; {len(product)} calls ({len(TITLES)} titles typed {STEP} letters at a time)")
    print(f"  first call of the process        {first * 1000:7.1f} ms")
    print(f"  suggest: median                  {statistics.median(product) * 1000:7.1f} ms")
    print(f"  suggest: 95th percentile         {p95 * 1000:7.1f} ms")
    print(f"  suggest: worst                   {worst[0] * 1000:7.1f} ms  ({worst[1]!r})")
    print(f"  floor (its SQL alone): median    {statistics.median(floors) * 1000:7.1f} ms")
    print(f"  ratio to the floor: median       {statistics.median(ratios):7.1f}")
    verdict = "met" if worst[0] <= 0.1 else "met at the 95th percentile" if p95 <= 0.1 else "NOT MET"
    print(f"  target ≤ 100 ms per call         {verdict}")
    for title in TITLES:
        found = last[title]
        best = found.tickets[0].title if found.tickets else "—"
        print(
            f"    {title[:44]:<44} {len(found.articles)} articles, {len(found.known_errors)} known errors, "
            f"{len(found.tickets)} tickets; first ticket: {best[:50]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
