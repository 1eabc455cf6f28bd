"""What the benchmarks measure with: a command's wall time and the peak memory of its whole process tree (its worker
processes included), a statement log of what a piece of code runs on SQLite, and that log replayed in a plain
``sqlite3`` connection (the SQL floor).

Standard library only (SQLAlchemy is imported inside ``statements``), so the light floors stay light.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script of this environment (``support-console``, ``support-console-gui``)."""
    return str(BIN / name)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float  # the process tree's resident memory at its highest (sampled), MiB
    returncode: int
    stdout: str
    stderr: str


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), KiB; 0 when it cannot be read."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    todo += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


def run(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    sample_memory: bool = False,
    check: bool = True,
    timeout: float = 3600,
) -> Run:
    """Run a command to its end: wall seconds from spawn to exit, and (``sample_memory``) the peak resident memory
    of its process tree, sampled every 50 ms (a process's own peak, ru_maxrss, misses its workers' share)."""
    peak = 0
    started = time.perf_counter()
    with subprocess.Popen(
        list(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    ) as child:
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, _tree_rss_kib(child.pid))

        sampler = threading.Thread(target=sample, daemon=True) if sample_memory else None
        if sampler is not None:
            sampler.start()
        try:
            out, err = child.communicate(timeout=timeout)
        finally:
            done.set()
            if sampler is not None:
                sampler.join()
    seconds = time.perf_counter() - started
    if check and child.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({child.returncode}):\n{err[-3000:]}")
    return Run(seconds, peak / 1024, child.returncode, out, err)


# ---- the SQL a piece of code runs, and its floor --------------------------------------------------------------


@dataclass
class Statements:
    """The statements run on SQLite while recording, with their parameters as the driver received them."""

    seen: list[tuple[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reads(self) -> list[tuple[str, Any]]:
        """The statements that read (the floor replays no writes and no transaction control)."""
        return [(sql, params) for sql, params in self.seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


@contextmanager
def statements() -> Iterator[Statements]:
    """Record every statement any SQLAlchemy engine runs meanwhile, from any thread."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    log = Statements()

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not many:
            with log.lock:
                log.seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", keep)
    try:
        yield log
    finally:
        event.remove(Engine, "before_cursor_execute", keep)


def replay(database: Path, sql: Sequence[tuple[str, Any]]) -> float:
    """Seconds to run these statements in a plain ``sqlite3`` connection to the file, every row fetched."""
    import sqlite3

    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for statement, parameters in sql:
            conn.execute(statement, parameters).fetchall()
    finally:
        conn.close()
    return time.perf_counter() - started


REPLAY = """
import pickle, sqlite3, sys
database, log = sys.argv[1], sys.argv[2]
with open(log, "rb") as f:
    sql = pickle.load(f)
conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
for statement, parameters in sql:
    conn.execute(statement, parameters).fetchall()
"""


def replay_process(database: Path, log: Path) -> float:
    """Seconds for a plain Python process with ``sqlite3`` alone to start, run the statements pickled in ``log``
    (every row fetched) and exit: the floor of a command's own SQL."""
    return run([PYTHON, "-c", REPLAY, str(database), str(log)]).seconds


# ---- rounds ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One operation's figures over the rounds: each product time with the floor measured in the same round."""

    product: list[float]
    floor: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.product)

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor) if self.floor else None

    @property
    def ratios(self) -> list[float]:
        return [p / f for p, f in zip(self.product, self.floor, strict=True) if f > 0]

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.floor else None

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.product), max(self.product)

    @property
    def peak(self) -> float | None:
        return max(self.peak_mib) if self.peak_mib else None


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
