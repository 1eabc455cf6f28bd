"""Import speed (issue 19): an event-log CSV of N tickets and 7 rows each, imported into an empty workspace by
``support-console import``, then imported again; against the floor of reading the same file with the standard
library's ``csv`` and inserting its rows into SQLite with ``executemany``.

    python tests/benchmarks/import_speed.py --tickets 100000 [--rounds 3] [--keep DIR]

Targets: the import within 3x the floor, the re-import within 1.5x, peak memory flat in the file's size (each
size's peak is printed; run two sizes to see it). Out of the default test run.

Each figure is wall time; the processor time of each (the floor's own process, the import's child processes) is
printed beside it, a steadier figure on a machine others load.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.measure import run, tool

HEADER = [
    "number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla",
    "caller_id", "opened_by", "opened_at", "sys_created_by", "sys_created_at", "sys_updated_by", "sys_updated_at",
    "contact_type", "location", "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority",
    "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify", "problem_id", "rfc",
    "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at", "closed_at",
]  # fmt: skip
STATES = ("New", "Active", "Awaiting User Info", "Active", "Resolved", "Closed", "Closed")
PRIORITIES = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")


def when(moment: datetime) -> str:
    return moment.strftime("%d-%m-%Y %H:%M")


def write_log(path: Path, tickets: int, seed: int = 7) -> int:
    """A ServiceNow event log: each ticket's 7 updates, New to Closed; returns the rows written."""
    pick = random.Random(seed)
    start = datetime(2024, 1, 1, 8, 0)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(tickets):
            opened = start + timedelta(minutes=7 * n)
            group, person = f"Group {pick.randrange(80)}", f"Resolver {pick.randrange(400)}"
            priority = pick.choice(PRIORITIES)
            met = "true" if pick.random() < 0.8 else "false"
            at = opened
            resolved = ""
            for step, state in enumerate(STATES):
                at += timedelta(minutes=pick.randrange(5, 600))
                if state == "Resolved":
                    resolved = when(at)
                closed = when(at) if state == "Closed" else ""
                writer.writerow([
                    f"INC{n:07d}", state, "false" if state == "Closed" else "true", "0", "0", str(step), met,
                    f"Caller {pick.randrange(5000)}", "Opened by 8", when(opened), "Created by 6", when(opened),
                    f"Updated by {pick.randrange(900)}", when(at), "Phone", "Location 143", "Category 55",
                    "Subcategory 170", "Symptom 72", "?", "2 - Medium", "2 - Medium", priority, group,
                    person if step else "?", "true", "false", "Do Not Notify", "?", "?", "?", "?", "?", "?",
                    resolved or "?", closed or "?",
                ])  # fmt: skip
                rows += 1
    return rows


def floor(path: Path, folder: Path) -> float:
    """The file read with ``csv`` and its rows inserted with ``executemany`` into a SQLite file, in batches."""
    return floor_times(path, folder)[0]


def floor_times(path: Path, folder: Path) -> tuple[float, float]:
    """``floor``: its wall and processor seconds."""
    target = folder / "floor.sqlite3"
    target.unlink(missing_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    db = sqlite3.connect(target)
    db.execute("PRAGMA journal_mode = WAL")
    columns = ", ".join(f'"{c}" TEXT' for c in HEADER)
    db.execute(f"CREATE TABLE rows ({columns})")
    marks = ", ".join("?" * len(HEADER))
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) >= 5_000:
                db.executemany(f"INSERT INTO rows VALUES ({marks})", batch)
                batch.clear()
        db.executemany(f"INSERT INTO rows VALUES ({marks})", batch)
    db.commit()
    db.close()
    return time.perf_counter() - started, time.process_time() - cpu


def children_cpu() -> float:
    """Processor seconds of this process's ended child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="a folder to work in (kept)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="import-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"events-{args.tickets}.csv"
    rows = write_log(log, args.tickets) if not log.exists() else sum(1 for _ in log.open(encoding="utf-8")) - 1
    print(f"{log.name}: {args.tickets:,} tickets, {rows:,} rows, {log.stat().st_size / 2**20:,.0f} MiB")
    floor_runs = [floor_times(log, folder) for _ in range(args.rounds)]
    floors = [wall for wall, _cpu in floor_runs]
    best_floor, floor_cpu = statistics.median(floors), statistics.median(cpu for _wall, cpu in floor_runs)
    imports, again, peaks = [], [], []
    import_cpu, again_cpu = [], []
    for index in range(args.rounds):
        home = folder / f"ws-{index}"
        if not home.exists():
            run([tool("support-console"), "--home", str(home), "demo", "--tickets", "1"])
        with sqlite3.connect(home / "cache.sqlite3") as cache:
            manager = cache.execute("SELECT login FROM users WHERE role = 'support_manager' ORDER BY login").fetchone()[
                0
            ]
        command = [tool("support-console"), "--home", str(home), "import", str(log), "--time-zone", "Asia/Dubai",
                   "--as", manager]  # fmt: skip
        used = children_cpu()
        first = run(command, sample_memory=True)
        import_cpu.append(children_cpu() - used)
        used = children_cpu()
        second = run(command, sample_memory=True)
        again_cpu.append(children_cpu() - used)
        assert "0 new, 0 brought up to date" in second.stdout, second.stdout[:500]
        imports.append(first.seconds)
        again.append(second.seconds)
        peaks.append(max(first.peak_mib, second.peak_mib))
        run(["rm", "-rf", str(home)])
    imported, reimported = statistics.median(imports), statistics.median(again)
    cpu, cpu_again = statistics.median(import_cpu), statistics.median(again_cpu)
    print(f"floor (csv + executemany): {best_floor:.2f} s (rounds {', '.join(f'{f:.2f}' for f in floors)}); "
          f"processor {floor_cpu:.2f} s")  # fmt: skip
    print(f"import:    {imported:.2f} s = {imported / best_floor:.1f}x the floor (target 3x); "
          f"processor {cpu:.2f} s = {cpu / floor_cpu:.1f}x")  # fmt: skip
    print(f"re-import: {reimported:.2f} s = {reimported / best_floor:.1f}x the floor (target 1.5x); "
          f"processor {cpu_again:.2f} s = {cpu_again / floor_cpu:.1f}x")  # fmt: skip
    print(f"peak memory of the import's process: {max(peaks):,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
