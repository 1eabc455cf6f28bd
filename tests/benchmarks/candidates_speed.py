"""Benchmark (not part of the test run): problem candidates for a period, on a workspace's cache.

.venv/bin/python tests/benchmarks/candidates_speed.py --home /tmp/support-console-1m
.venv/bin/python tests/benchmarks/candidates_speed.py --synthetic 125000   # titles nearly all different

Target (issue 20): on 1,000,000 tickets, the candidates for a 90-day period in ≤ 2 s. Each round times
``console.problems.candidates.candidates`` as the application calls it (a SQLAlchemy connection to the cache) and,
in the same round, its floor: a plain ``sqlite3`` connection reading the period's incident ids and titles, every
row fetched (nothing can find recurring titles without reading them). The figure is the median of the rounds with
its spread, and the ratio the median of the rounds' ratios. The first call of the process (statements not yet
prepared, pages not yet read) is shown apart. The cache is opened as a file (``derived.ensure`` builds the
derived structures it lacks), not through ``Workspace.open``, so a workspace of an older schema is measured as
it is.

``--synthetic N`` measures on a temporary file of N incidents in one period (a table shaped like the cache's
tickets) whose titles are drawn from a vocabulary of a few thousand made-up words, a third of them variations of
a few hundred recurring symptoms and the rest nearly all different: the demo's titles come from a few dozen
templates, real titles do not, and the clustering's work grows with the number of different titles.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the checkout's root, for ``tests.benchmarks``
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import Connection, create_engine

from console.problems.candidates import Candidates, candidates
from console.store import derived
from console.store.database import make_engine, sqlite_url
from tests.benchmarks.measure import Figure, timed

FLOOR = "SELECT id, title FROM tickets WHERE created_at >= ? AND created_at < ? AND kind = 'incident'"


def stored(moment: datetime) -> str:
    """A moment as the cache stores it (naive UTC text)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def floor(database: str, start: datetime, end: datetime, uri: bool = True) -> float:
    def read() -> None:
        conn = sqlite3.connect(database, uri=uri)
        try:
            conn.execute(FLOOR, (stored(start), stored(end))).fetchall()
        finally:
            conn.close()

    return timed(read)


def rounds(
    conn: Connection, database: str, start: datetime, end: datetime, n: int, uri: bool = True
) -> tuple[Candidates, float, Figure]:
    found: list[Candidates] = []
    first = timed(lambda: found.append(candidates(conn, start, end)))
    figure = Figure([], [])
    for _ in range(n):
        figure.floor.append(floor(database, start, end, uri))
        figure.product.append(timed(lambda: found.append(candidates(conn, start, end))))
    return found[-1], first, figure


def report(name: str, result: Candidates, first: float, figure: Figure, names: dict[str, str]) -> None:
    low, high = figure.spread
    print(f"{name}: {result.incidents:,} incidents compared, {len(result.items)} candidates")
    print(f"  first call of the process        {first * 1000:8.0f} ms")
    median = f"candidates (median of {len(figure.product)})"
    print(f"  {median:<32} {figure.median * 1000:8.0f} ms  ({low * 1000:.0f}–{high * 1000:.0f})")
    print(f"  floor: read ids and titles       {(figure.floor_median or 0) * 1000:8.0f} ms")
    print(f"  ratio to the floor               {figure.ratio or 0:8.1f}")
    print(f"  target ≤ 2000 ms                 {'met' if figure.median <= 2.0 else 'NOT MET'}")
    for candidate in result.items[:8]:
        print(
            f"    {names.get(candidate.module_id.hex, '?'):>4} {candidate.count:6,} incidents "
            f"{candidate.breached:5,} breached {candidate.linked:5,} linked  {candidate.label}"
        )


def on_workspace(home: Path, days: int, n: int) -> int:
    path = home / "cache.sqlite3"
    engine = make_engine(sqlite_url(path))
    built = timed(lambda: derived.ensure(engine))
    print(f"derived structures ensured in {built:.1f} s (version {derived.VERSION})")
    with engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(created_at) FROM tickets").scalar_one()
        end = datetime.fromisoformat(last).replace(tzinfo=UTC) + timedelta(seconds=1)
        total = conn.exec_driver_sql("SELECT max(rowid) FROM tickets").scalar_one()
        names = {str(k): str(v) for k, v in conn.exec_driver_sql("SELECT id, code FROM erp_modules").all()}
        result, first, figure = rounds(conn, f"file:{path}?mode=ro", end - timedelta(days=days), end, n)
    engine.dispose()
    report(f"{home} ({total:,} tickets), the {days} days to {end:%Y-%m-%d}", result, first, figure, names)
    return 0


WORDS = 4000
SYMPTOMS = 400


def synthetic(path: Path, count: int, start: datetime, end: datetime, seed: int = 7) -> dict[str, str]:
    """A file holding ``count`` incidents of the period in a table shaped like the cache's tickets."""
    dice = random.Random(seed)
    # Made-up words: three letters and a number, all different.
    vocabulary = [
        f"{dice.choice('bcdfghklmnprstvz')}{dice.choice('aeiou')}{dice.choice('bcdfgklmnp')}{w}x" for w in range(WORDS)
    ]
    zipf = [1 / (rank + 1) for rank in range(WORDS)]
    modules = [uuid.UUID(int=m + 1).hex for m in range(7)]
    symptoms = [(dice.choice(modules), dice.choices(vocabulary, zipf, k=dice.randint(4, 8))) for _ in range(SYMPTOMS)]
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE tickets (id TEXT, title TEXT, description TEXT, module_id TEXT, category TEXT, problem_id TEXT,"
        " response_state TEXT, resolution_state TEXT, resolution_seconds INTEGER, created_at TEXT, kind TEXT,"
        " business_unit_id TEXT)"
    )
    conn.execute("CREATE INDEX ix_created ON tickets (created_at)")
    span = (end - start).total_seconds()
    rows = []
    for n in range(count):
        if dice.random() < 1 / 3:
            module, words = dice.choice(symptoms)
            words = list(words)
            if dice.random() < 0.5:  # one word changed, dropped or added
                words[dice.randrange(len(words))] = dice.choices(vocabulary, zipf)[0]
            if dice.random() < 0.3:
                words.pop(dice.randrange(len(words)))
        else:
            module, words = dice.choice(modules), dice.choices(vocabulary, zipf, k=dice.randint(4, 10))
        title = " ".join(words) + f" {dice.randrange(1000, 99999)}"
        created = stored(start + timedelta(seconds=span * n / count))
        state = "missed" if dice.random() < 0.1 else "met"
        rows.append((uuid.uuid4().hex, title, "", module, None, None, "met", state, 3600, created, "incident", None))
    conn.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return {m: f"M{i}" for i, m in enumerate(modules)}


def on_synthetic(count: int, n: int) -> int:
    import tempfile

    end = datetime(2026, 12, 1, tzinfo=UTC)
    start = end - timedelta(days=90)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.sqlite3"
        names = synthetic(path, count, start, end)
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            result, first, figure = rounds(conn, str(path), start, end, n, uri=False)
        engine.dispose()
    report(f"synthetic: {count:,} incidents, titles nearly all different", result, first, figure, names)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--synthetic", type=int, metavar="N", help="a made-up period of N incidents instead")
    args = parser.parse_args()
    if args.synthetic:
        return on_synthetic(args.synthetic, args.rounds)
    if args.home is None:
        parser.error("--home or --synthetic")
    return on_workspace(args.home, args.days, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
