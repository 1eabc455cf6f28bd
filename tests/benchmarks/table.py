"""Benchmark (not part of the test run): every speed target, on generated workspaces of each size, in
one table.

make benchmark                                   # 100k and 1M tickets, five rounds
make benchmark BENCH_SIZES=100000 BENCH_ROUNDS=3 # quick, while developing
.venv/bin/python tests/benchmarks/table.py --sizes 100000 1000000 --home 1000000=/tmp/support-console-1m \
    --rounds 5 --out benchmark-results.md

Each size has its workspace (``--home SIZE=DIR``, default /tmp/support-console-100k and so on); one that already
holds the demo of that many tickets is used as it is, anything else is generated first (timed: the generation's
own row; its figures are kept in the workspace's ``benchmark-generation.json`` for the next run). Every figure is
the median of ``--rounds`` rounds with its min–max spread; each product time is paired with its floor measured
in the same round, and the ratio is the median of the rounds' ratios. The floors:

- an empty PySide6 window process, spawned and painted, for the window's start-up;
- ``python -c pass`` for ``--version`` and ``--help``;
- ``--version`` plus the verb's own SQL (recorded once, replayed each round in a plain Python process that
  imports ``sqlite3`` alone) for ``ticket list``, ``ticket show``, ``info``, ``sla show`` and the report;
- in the window, the action's own SQL replayed in a plain ``sqlite3`` connection plus one repaint of the window.

``sla recompute`` runs as of the demo's end plus a few hours (a different moment each round, the last round at the
end itself, so the workspace is left as generated) and its peak memory is that of its whole process tree, workers
included. Nothing here asserts on time; the table says which targets are met.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the checkout's root, for ``tests.benchmarks``
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.measure import PYTHON, Figure, replay, run, statements, timed, tool

HERE = Path(__file__).resolve().parent
GENERATION = "benchmark-generation.json"
EMPTY_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1200, 800)
window.show()
window.repaint()
app.processEvents()
print("painted", flush=True)
"""


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k" if size % 1000 == 0 else str(size)


# ---- the workspaces --------------------------------------------------------------------------------------------


@dataclass
class Workspace:
    size: int
    home: Path
    until: date
    ticket: str  # a ticket to show: the latest still in progress
    generation: dict[str, Any] | None  # the figures of its generation, when this benchmark generated it

    @property
    def cache(self) -> Path:
        return self.home / "cache.sqlite3"

    @property
    def now(self) -> datetime:
        """The demo's end: what the report, ``sla show`` and the recompute judge as of."""
        return datetime.combine(self.until, datetime.min.time(), UTC)


def demo_of(home: Path) -> tuple[int, date] | None:
    """The size and end of the demo a workspace holds, when it holds a complete one."""
    cache = home / "cache.sqlite3"
    if not cache.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
        try:
            info = dict(conn.execute("SELECT key, value FROM deployment_info").fetchall())
            count = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if info.get("kind") != "demo" or str(count) != info.get("tickets"):
        return None
    return count, date.fromisoformat(info["until"])


def ensure(size: int, home: Path, *, regenerate: bool = False) -> Workspace:
    """The workspace of ``size`` tickets: reused when it holds that demo, else generated (and timed)."""
    found = demo_of(home)
    record = home / GENERATION
    if regenerate or found is None or found[0] != size:
        print(f"generating {size:,} tickets in {home} (about 1 s per 1,000 tickets)…", file=sys.stderr, flush=True)
        home.mkdir(parents=True, exist_ok=True)
        figures = home.parent / f".{home.name}.generation.json"
        done = run(
            [PYTHON, str(HERE / "demo_generation.py"), "--tickets", str(size), "--home", str(home),
             "--until", datetime.now(UTC).date().isoformat(), "--json", str(figures)],
            sample_memory=True, timeout=6 * 3600,
        )  # fmt: skip
        generation = json.loads(figures.read_text(encoding="utf-8"))
        figures.unlink()
        generation["process_seconds"] = done.seconds
        generation["peak_tree_mib"] = done.peak_mib
        record.write_text(json.dumps(generation, indent=2), encoding="utf-8")
        found = demo_of(home)
        assert found is not None, f"the generated workspace {home} holds no demo"
        assert found[0] == size, f"the generated workspace {home} is not a demo of {size}"
    generation = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
    if generation is not None and generation.get("tickets") != size:
        generation = None
    conn = sqlite3.connect(f"file:{home / 'cache.sqlite3'}?mode=ro", uri=True)
    try:
        row = (
            conn.execute(
                "SELECT number FROM tickets WHERE status = 'in_progress' ORDER BY created_at DESC LIMIT 1"
            ).fetchone()
            or conn.execute("SELECT number FROM tickets ORDER BY created_at DESC LIMIT 1").fetchone()
        )
    finally:
        conn.close()
    return Workspace(size, home, found[1], row[0], generation)


# ---- the command line ------------------------------------------------------------------------------------------


def verbs(ws: Workspace, out: Path) -> dict[str, list[str]]:
    """The verbs timed against ``--version`` and their own SQL: name in the table → arguments."""
    now = ws.now.isoformat()
    return {
        "ticket list --breaching 24 --format csv": ["ticket", "list", "--breaching", "24", "--format", "csv"],
        f"ticket show {ws.ticket}": ["ticket", "show", ws.ticket],
        "info": ["info"],
        f"sla show {ws.ticket}": ["sla", "show", ws.ticket, "--now", now],
        "report --out q.pdf (a quarter)": ["report", "--out", str(out / "q.pdf"), "--now", now],
    }


def capture(home: Path, args: list[str], log: Path) -> None:
    """Record the SQL a verb reads (in a process of its own, as a verb runs), pickled into ``log``."""
    run([PYTHON, __file__, "--capture", str(log), "--", "--home", str(home), *args])


def capture_child(log: Path, argv: list[str]) -> int:
    import contextlib
    import io

    from console.cli.command import main

    with statements() as seen, contextlib.redirect_stdout(io.StringIO()):
        main(argv)
    log.write_bytes(pickle.dumps(seen.reads()))
    return 0


REPLAY = """
import pickle, sqlite3, sys
with open(sys.argv[2], "rb") as f:
    sql = pickle.load(f)
conn = sqlite3.connect(sys.argv[1])
for statement, parameters in sql:
    conn.execute(statement, parameters).fetchall()
"""


def command_line(ws: Workspace, rounds: int, out: Path) -> dict[str, Figure]:
    sc = tool("support-console")
    home = ["--home", str(ws.home)]
    logs: dict[str, Path] = {}
    for name, args in verbs(ws, out).items():
        logs[name] = out / f"{len(logs)}.sql"
        capture(ws.home, args, logs[name])
    figures: dict[str, Figure] = {}

    def add(name: str, product: float, floor: float) -> None:
        figure = figures.setdefault(name, Figure([], []))
        figure.product.append(product)
        figure.floor.append(floor)

    for n in range(rounds):
        print(f"  command line, round {n + 1} of {rounds}", file=sys.stderr, flush=True)
        bare = run([PYTHON, "-c", "pass"]).seconds
        version = run([sc, "--version"]).seconds
        add("support-console --version", version, bare)
        add("support-console --help", run([sc, "--help"]).seconds, bare)
        for name, args in verbs(ws, out).items():
            product = run([sc, *home, *args]).seconds
            sql = run([PYTHON, "-c", REPLAY, str(ws.cache), str(logs[name])]).seconds
            add(name, product, version + sql)
    return figures


def recompute(ws: Workspace, rounds: int) -> dict[str, Figure]:
    times: list[float] = []
    peaks: list[float] = []
    for n in range(rounds):
        print(f"  sla recompute, round {n + 1} of {rounds}", file=sys.stderr, flush=True)
        now = ws.now + timedelta(hours=rounds - 1 - n)  # another moment each round; the last: the demo's end
        done = run(
            [tool("support-console"), "--home", str(ws.home), "sla", "recompute", "--now", now.isoformat()],
            sample_memory=True,
        )
        times.append(done.seconds)
        peaks.append(done.peak_mib)
    return {"sla recompute (every ticket)": Figure(times, [], peaks)}


# ---- the window ------------------------------------------------------------------------------------------------


def start_up(ws: Workspace, rounds: int) -> dict[str, Figure]:
    from tests.benchmarks.queue_speed import cold_start_once

    snapshot, live, empty = [], [], []
    for n in range(rounds):
        print(f"  start-up, round {n + 1} of {rounds}", file=sys.stderr, flush=True)
        window = run([PYTHON, "-c", EMPTY_WINDOW], env={"QT_QPA_PLATFORM": "offscreen"}).seconds
        first, painted = cold_start_once(ws.home)
        empty.append(window)
        snapshot.append(first)
        live.append(painted)
    return {
        "start-up: last session's screen painted (snapshot)": Figure(snapshot, empty),
        "start-up: live queue painted": Figure(live, empty),
    }


def window_child(home: Path) -> int:
    """In a window on the workspace: opening the metrics view (first, so matplotlib's import is in it), then
    every filter, sort, search and move of the queue benchmark; each with its own SQL replayed in a plain sqlite3
    connection and one repaint of the window. One JSON line per figure."""
    from PySide6.QtWidgets import QApplication

    from tests.benchmarks import queue_speed

    assert not any(m.partition(".")[0] == "matplotlib" for m in sys.modules)
    app, window = queue_speed.open_window(home)
    cache = home / "cache.sqlite3"

    def say(name: str, product: float, sql: float, paint: float, rows: int | None = None) -> None:
        print(json.dumps({"name": name, "product": product, "sql": sql, "paint": paint, "rows": rows}), flush=True)

    from views.pages import PAGES

    metrics = [spec.key for spec in PAGES].index("metrics")
    with statements() as seen:  # the view is built by the click: its signal is known after it
        spent = queue_speed.wait_for(
            window,
            lambda: window.metrics_view.loaded,
            lambda: window.navigation.setCurrentRow(metrics),
        )
    sql = replay(cache, seen.reads())
    say("metrics view opened (charts drawn, matplotlib loaded)", spent, sql, timed(window.repaint))
    window.navigation.setCurrentRow(0)
    QApplication.processEvents()
    for scope, name, signal, action in queue_speed.actions(window):
        with statements() as seen:
            spent = queue_speed.wait_for(window, signal, action)
        sql = replay(cache, seen.reads())
        say(f"{scope}: {name}", spent, sql, timed(window.repaint), window.queue_view.model.total)
    window.close()
    app.quit()
    return 0


def in_the_window(ws: Workspace, rounds: int) -> tuple[dict[str, Figure], dict[str, int]]:
    """Each figure of ``window_child`` over the rounds, and how many rows the queue held after each action."""
    figures: dict[str, Figure] = {}
    rows: dict[str, int] = {}
    for n in range(rounds):
        print(f"  in the window, round {n + 1} of {rounds}", file=sys.stderr, flush=True)
        done = run([PYTHON, __file__, "--window", str(ws.home)], env={"QT_QPA_PLATFORM": "offscreen"})
        for line in done.stdout.splitlines():
            if not line.startswith("{"):
                continue
            found = json.loads(line)
            figure = figures.setdefault(found["name"], Figure([], []))
            figure.product.append(found["product"])
            figure.floor.append(found["sql"] + found["paint"])
            if found["rows"] is not None:
                rows[found["name"]] = found["rows"]
    return figures, rows


# ---- the table -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    text: str
    ratio: float | None = None  # product / floor at every size, at most
    seconds: tuple[int, float] | None = None  # at this size, at most
    growth: float | None = None  # largest size / smallest, at most
    flat: float | None = None  # peak memory, largest size / smallest, at most


TARGETS: list[tuple[str, Target]] = [  # by the start of an operation's name
    ("start-up: last session's screen", Target("≤ 1.5× empty window", ratio=1.5)),
    ("start-up: live queue", Target("≤ 2.5× empty window", ratio=2.5)),
    ("metrics view opened", Target("≤ 0.8 s on 1M", seconds=(1_000_000, 0.8))),
    ("open queue:", Target("≤ 2× SQL + one paint", ratio=2.0)),
    ("all tickets:", Target("≤ 2× SQL + one paint", ratio=2.0)),
    ("support-console --", Target("≤ 3× python -c pass", ratio=3.0)),
    ("report --out", Target("≤ 3 s on 1M", seconds=(1_000_000, 3.0))),
    ("ticket ", Target("≤ 3× (--version + SQL)", ratio=3.0)),
    ("info", Target("≤ 3× (--version + SQL)", ratio=3.0)),
    ("sla show", Target("≤ 3× (--version + SQL)", ratio=3.0)),
    ("sla recompute", Target("growth ≤ 11×, ≤ 120 s on 1M", seconds=(1_000_000, 120.0), growth=11.0)),
    ("demo generation", Target("growth ≤ 11×", growth=11.0)),
    ("peak memory", Target("flat: growth ≤ 1.25×", flat=1.25)),
]


def target_of(name: str) -> Target | None:
    return next((t for start, t in TARGETS if name.startswith(start)), None)


def seconds_text(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


@dataclass
class Row:
    name: str
    by_size: dict[int, Figure] = field(default_factory=dict)
    unit: str = "s"  # "s", or "MiB" for memory


def verdict(row: Row, target: Target | None, sizes: Sequence[int]) -> str:
    if target is None:
        return ""
    misses: list[str] = []
    unknown: list[str] = []
    if target.ratio is not None:
        for size, figure in row.by_size.items():
            if figure.ratio is not None and figure.ratio > target.ratio:
                misses.append(f"{figure.ratio:.1f}× on {label(size)}")
    if target.seconds is not None:
        size, seconds = target.seconds
        if size in row.by_size:
            if row.by_size[size].median > seconds:
                misses.append(f"{seconds_text(row.by_size[size].median)} on {label(size)}")
        else:
            unknown.append(f"needs {label(size)}")
    growth = grown(row, sizes)
    most = target.growth if target.growth is not None else target.flat
    if most is not None:
        if growth is None:
            unknown.append("needs two sizes")
        elif growth > most:
            misses.append(f"{growth:.1f}×")
    if misses:
        return "**not met** (" + ", ".join(misses) + ")"
    if unknown:
        return "not measured (" + ", ".join(unknown) + ")"
    return "met"


def grown(row: Row, sizes: Sequence[int]) -> float | None:
    measured = [s for s in sizes if s in row.by_size]
    if len(measured) < 2:
        return None
    return float(row.by_size[measured[-1]].median / row.by_size[measured[0]].median)


def table(rows: list[Row], sizes: Sequence[int], rounds: int) -> str:
    largest = max(sizes)
    head = ["Operation", f"Product ({label(largest)}: median, min–max)", "Floor", "Ratio"]
    head += [label(s) for s in sizes] + ["Growth", "Target", "Met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        target = target_of(row.name)
        shown = row.by_size.get(largest) or next(iter(row.by_size.values()))

        def text(value: float, memory: bool = row.unit == "MiB") -> str:
            return f"{value:,.0f} MiB" if memory else seconds_text(value)

        low, high = shown.spread
        product = text(shown.median) + (f" ({text(low)}–{text(high)})" if len(shown.product) > 1 else " (1 run)")
        floor = text(shown.floor_median) if shown.floor_median is not None else "—"
        ratio = f"{shown.ratio:.2f}×" if shown.ratio is not None else "—"
        by_size = [text(row.by_size[s].median) if s in row.by_size else "—" for s in sizes]
        growth = grown(row, sizes)
        cells = [row.name, product, floor, ratio, *by_size, f"{growth:.1f}×" if growth is not None else "—"]
        cells += [target.text if target else "(context)", verdict(row, target, sizes)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Medians of {rounds} round{'s' if rounds != 1 else ''} (the generation: one run, when the workspace was "
        "generated); each product time with its floor from the same round, the ratio the median of the rounds' "
        "ratios. Growth: " + " / ".join(label(s) for s in reversed(sizes)) + " of the medians; peak memory: "
        "the whole process tree's, sampled."
    )
    return "\n".join(lines)


def generation_rows(workspaces: dict[int, Workspace]) -> list[Row]:
    rows = [Row("demo generation (whole)"), Row("peak memory: demo generation", unit="MiB")]
    stages: dict[str, Row] = {}
    for size, ws in workspaces.items():
        g = ws.generation
        if g is None:
            continue
        rows[0].by_size[size] = Figure([g["seconds"]])
        rows[1].by_size[size] = Figure([g.get("peak_tree_mib", g["peak_mib"])])  # the tree's, when it was sampled
        for stage, seconds in g["stages"].items():
            stages.setdefault(stage, Row(f"generation stage: {stage}")).by_size[size] = Figure([seconds])
    return [r for r in [*rows, *stages.values()] if r.by_size]


GROUPS = ("window", "command-line", "recompute")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000], metavar="N")
    parser.add_argument("--home", action="append", default=[], metavar="SIZE=DIR", help="a size's workspace")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS), help="measure these groups alone")
    parser.add_argument("--regenerate", action="store_true", help="generate the workspaces even when they exist")
    parser.add_argument("--generate-only", action="store_true", help="make sure the workspaces exist, then stop")
    parser.add_argument("--capture", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--window", type=Path, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.capture:
        return capture_child(args.capture, [a for a in rest if a != "--"])
    if args.window:
        return window_child(args.window)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    homes = {int(k): Path(v) for k, v in (h.split("=", 1) for h in args.home)}
    sizes = sorted(args.sizes)
    workspaces = {
        s: ensure(s, homes.get(s, Path(f"/tmp/support-console-{label(s).lower()}")), regenerate=args.regenerate)
        for s in sizes
    }
    if args.generate_only:
        return 0
    measured: dict[str, Row] = {}
    memory: dict[str, Row] = {}
    counts: dict[str, dict[int, int]] = {}  # the queue's rows after a window action, per size
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        out = Path(scratch)
        for size, ws in workspaces.items():
            print(f"{label(size)}: {ws.home} ({ws.size:,} tickets, until {ws.until})", file=sys.stderr, flush=True)
            found: dict[str, Figure] = {}
            if "window" in args.only:
                found |= start_up(ws, args.rounds)
                actions, rows_after = in_the_window(ws, args.rounds)
                found |= actions
                for name, n in rows_after.items():
                    counts.setdefault(name, {})[size] = n
            if "command-line" in args.only:
                found |= command_line(ws, args.rounds, out)
            if "recompute" in args.only:
                found |= recompute(ws, args.rounds)
            for name, figure in found.items():
                key = name.replace(ws.ticket, "NUMBER")
                measured.setdefault(key, Row(key)).by_size[size] = figure
                if figure.peak_mib:
                    row = memory.setdefault(key, Row(f"peak memory: {key}", unit="MiB"))
                    row.by_size[size] = Figure(figure.peak_mib)
    for name, by_size in counts.items():  # named with the rows it showed: "… (1,021 / 10,304 rows)"
        measured[name].name = f"{name} ({' / '.join(f'{by_size[s]:,}' for s in sizes if s in by_size)} rows)"
    rows = [*measured.values(), *memory.values(), *generation_rows(workspaces)]
    text = table(rows, sizes, args.rounds)
    print(text)
    if args.out:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        homes_text = ", ".join(f"{label(s)}: `{ws.home}`" for s, ws in workspaces.items())
        machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
        args.out.write_text(f"# Benchmark results\n\n{stamp} · {machine} · {homes_text}\n\n{text}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
