"""Benchmark (not part of the test run): sync of one business unit against PostgreSQL, as the person's own
database role, against its floor.

    support-console --home /tmp/sc-bench demo --tickets 420000 --shared postgresql://postgres@127.0.0.1/scbench
    .venv/bin/python tests/benchmarks/sync_speed.py --shared postgresql://postgres@127.0.0.1/scbench

``--shared`` is an administrator's URL: it picks the largest unit and a super-user of that unit only, gives
her a login role in the database's person group (``admin add-user`` does the same for a new person), and then
every sync runs as her, ``postgresql://<her login>@host/db``, so row-level security and the guards are in
every figure (``--as-admin`` syncs through the administrator's URL instead, for comparison).

The floor is reading the same rows with plain psycopg ``COPY ... TO STDOUT`` as the same role, which is as
fast as PostgreSQL can hand them to her. Each figure is the median of ``--repeat`` runs with its spread;
each floor is measured in the same rounds. Measured, with the issue's targets:

- the first sync into an empty cache row by row (no seed), ≤ 3× the floor; its derived-structure share;
- ``admin seed`` of the unit (once a day), then the first sync from that seed, ≤ 1.5× the floor; again with
  the seed ``--changed`` tickets behind;
- an incremental sync after another SQL client changed ``--changed`` tickets (a field and a note each),
  ≤ 0.5 s;
- a catch-up pull after ``--catch-up`` tickets changed, ≤ 3× the COPY floor of the same rows;
- ``support-console sync --once`` as a whole process, ≤ the sync itself + ``support-console --version``.

The unit's seed is replaced by this run; the tickets' vendor references and notes gain benchmark values.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import delete, func, select, text

from console.store import derived
from console.store.database import make_engine
from console.store.workspace import Workspace
from console.sync import client, roles, seed_build, server
from console.sync.report import SyncReport
from console.sync.server import GLOBAL_TABLES, TICKET_CHILDREN
from models import BusinessUnit, CacheSeed, Membership, Role, Ticket, User, table_of

CLI = Path(sys.executable).with_name("support-console")


@dataclass
class Figure:
    """A median of runs with its spread."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def __str__(self) -> str:
        spread = f" ({min(self.runs):.2f}–{max(self.runs):.2f})" if len(self.runs) > 1 else ""
        return f"{self.median:6.2f} s{spread}"


def the_unit(url: str, code: str | None) -> tuple[str, uuid.UUID, str, int]:
    """The unit (the largest unless named), one super-user of it only, and its ticket count."""
    shared = make_engine(url)
    with shared.begin() as conn:
        if not server.installed(conn):
            server.prepare(conn)  # versioning triggers and row security of this version of the app
        rows = conn.execute(
            select(BusinessUnit.code, BusinessUnit.id, func.count(Ticket.id))
            .join(Ticket, Ticket.business_unit_id == BusinessUnit.id)
            .group_by(BusinessUnit.code, BusinessUnit.id)
        ).all()
        counts = {unit_code: int(n) for unit_code, _, n in rows}
        code = code or max(counts, key=counts.__getitem__)
        unit_id = next(unit for unit_code, unit, _ in rows if unit_code == code)
        singles = select(Membership.user_id).group_by(Membership.user_id).having(func.count() == 1)
        login = conn.execute(
            select(User.login)
            .join(Membership, Membership.user_id == User.id)
            .where(User.role == Role.SUPER_USER, Membership.business_unit_id == unit_id, User.id.in_(singles))
            .order_by(User.login)
            .limit(1)
        ).scalar_one()
    shared.dispose()
    return code, unit_id, login, counts[code]


def as_person(url: str, login: str) -> str:
    """Her own URL: a login role in the database's person group (made here when missing; the server's
    trust or .pgpass lets her in, as for any desk connected without a password)."""
    admin = make_engine(url)
    with admin.begin() as conn:
        roles.create_login(conn, login, f"bench-{uuid.uuid4().hex}")
    own = admin.url.set(username=login, password=None)
    admin.dispose()
    return own.render_as_string(hide_password=False)


def copy_rows(url: str, queries: list[str]) -> tuple[float, int]:
    """Seconds and rows to read the queries' rows with COPY over one connection."""
    conninfo = make_engine(url).url.set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        for query in queries:
            with cur.copy(f"COPY ({query}) TO STDOUT") as copy:
                for row in copy.rows():
                    rows += 1 if row is not None else 0
    return time.perf_counter() - started, rows


def unit_queries(unit_id: uuid.UUID) -> list[str]:
    """What a first sync reads: the global tables whole, the unit's tickets and everything of them."""
    tickets = f"(SELECT id FROM tickets WHERE business_unit_id = '{unit_id}')"
    queries = [f"SELECT * FROM {s.table}" for s in GLOBAL_TABLES]
    queries.append(f"SELECT * FROM tickets WHERE business_unit_id = '{unit_id}'")
    queries += [f"SELECT * FROM {name} WHERE {column} IN {tickets}" for name, column in TICKET_CHILDREN]
    return queries


def changed_queries(mark: str) -> list[str]:
    """What a pull after ``change_tickets(…, mark)`` reads: those tickets and their new notes."""
    return [
        f"SELECT * FROM tickets WHERE vendor_reference = '{mark}'",
        f"SELECT * FROM comments WHERE body = '{note(mark)}'",
    ]


def note(mark: str) -> str:
    return f"Interface run {mark} re-posted this document."


def fresh(url: str, login: str, home: Path) -> Workspace:
    shutil.rmtree(home, ignore_errors=True)
    workspace = Workspace.open(home)
    workspace.settings.set("shared_url", url)
    workspace.settings.set("user", login)
    workspace.settings.save()
    return workspace


def timed_sync(workspace: Workspace) -> tuple[float, SyncReport]:
    started = time.perf_counter()
    report = client.sync_workspace(workspace)
    seconds = time.perf_counter() - started
    workspace.close()
    return seconds, report


def first_sync(url: str, login: str, home: Path) -> tuple[float, SyncReport]:
    return timed_sync(fresh(url, login, home))


def without_seeds(url: str) -> None:
    shared = make_engine(url)
    with shared.begin() as conn:
        conn.execute(delete(table_of(CacheSeed)))
    shared.dispose()


def build_seed(url: str, code: str) -> tuple[float, seed_build.Built]:
    shared = make_engine(url)
    work = Path(tempfile.mkdtemp(prefix="sc-seed-bench-"))
    try:
        started = time.perf_counter()
        built = seed_build.build(shared, code, work)
        return time.perf_counter() - started, built
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shared.dispose()


def derived_share(home: Path) -> float:
    """Seconds of the first sync spent building the cache's derived structures (search, rollups), timed
    again on the synced cache."""
    workspace = Workspace.open(home)
    started = time.perf_counter()
    with workspace.cache().begin() as conn:
        derived.build(conn)
    seconds = time.perf_counter() - started
    workspace.close()
    return seconds


def change_tickets(url: str, unit_id: uuid.UUID, count: int, mark: str) -> None:
    """Another SQL client (the administrator) changes ``count`` of the unit's tickets: a field and a note each."""
    shared = make_engine(url)
    with shared.begin() as conn:
        picked = conn.execute(
            select(Ticket.id).where(Ticket.business_unit_id == unit_id).order_by(func.random()).limit(count)
        ).scalars().all()  # fmt: skip
        conn.execute(
            text("UPDATE tickets SET vendor_reference = :mark WHERE id = ANY(:ids)"), {"mark": mark, "ids": picked}
        )
        conn.execute(
            text(
                "INSERT INTO comments (id, ticket_id, author_id, visibility, body, created_at) "
                "SELECT gen_random_uuid(), t.id, t.reporter_id, 'internal', :body, :now "
                "FROM tickets t WHERE t.id = ANY(:ids)"
            ),
            {"body": note(mark), "now": datetime.now(UTC), "ids": picked},
        )
    shared.dispose()


def process_seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env={**os.environ})
    return time.perf_counter() - started


def rounds(repeat: int, run: Callable[[int], float]) -> Figure:
    return Figure([run(n) for n in range(repeat)])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True, metavar="URL", help="an administrator's URL of a PostgreSQL demo")
    parser.add_argument("--unit", metavar="CODE", help="the unit (default: the largest)")
    parser.add_argument("--changed", type=int, default=1_000, help="tickets changed for the incremental sync")
    parser.add_argument("--catch-up", type=int, default=4_000, help="tickets changed for the catch-up pull")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--as-admin", action="store_true", help="sync through the administrator's URL instead")
    args = parser.parse_args()

    code, unit_id, login, tickets = the_unit(args.shared, args.unit)
    url = args.shared if args.as_admin else as_person(args.shared, login)
    who = "the administrator's connection" if args.as_admin else f"{login}'s own database role"
    print(f"Unit {code}: {tickets:,} tickets; {login} syncs through {who}; medians of {args.repeat} runs", flush=True)
    home = Path(tempfile.mkdtemp(prefix="sc-sync-bench-"))
    ok = True
    try:
        floors: list[float] = []
        firsts: list[float] = []
        without_seeds(args.shared)
        for _ in range(args.repeat):
            seconds, copied = copy_rows(url, unit_queries(unit_id))
            floors.append(seconds)
            seconds, report = first_sync(url, login, home)
            firsts.append(seconds)
        floor, first = Figure(floors), Figure(firsts)
        print(f"Floor, COPY of the same rows:        {floor}  {copied:,} rows", flush=True)
        ratio = first.median / floor.median
        ok &= ratio <= 3
        print(f"First sync row by row (no seed):     {first}  {report.pulled:,} rows  {ratio:.1f}x  "
              f"target 3x: {verdict(ratio <= 3)}")  # fmt: skip
        print(f"  of which derived structures:       {derived_share(home):6.2f} s  (search index, SLA rollups)")

        build_s, built = build_seed(args.shared, code)
        print(f"admin seed {code} (once a day):        {build_s:6.2f} s  a {built.size / 2**20:,.0f} MiB cache "
              f"stored as {built.stored / 2**20:,.0f} MiB", flush=True)  # fmt: skip
        seeded = rounds(args.repeat, lambda _: first_sync(url, login, home)[0])
        ratio = seeded.median / floor.median
        ok &= ratio <= 1.5
        print(f"First sync from the unit's seed:     {seeded}  {ratio:.1f}x  target 1.5x: {verdict(ratio <= 1.5)}")
        change_tickets(args.shared, unit_id, args.changed, "behind")
        behind = rounds(args.repeat, lambda _: first_sync(url, login, home)[0])
        print(f"  the seed {args.changed:,} tickets behind:   {behind}  {behind.median / floor.median:.1f}x")

        def incremental(n: int) -> float:
            change_tickets(args.shared, unit_id, args.changed, f"inc-{n}-{uuid.uuid4().hex[:6]}")
            return timed_sync(Workspace.open(home))[0]

        inc = rounds(args.repeat, incremental)
        ok &= inc.median <= 0.5
        print(f"Incremental, {args.changed:,} changed tickets:  {inc}  target 0.5 s: {verdict(inc.median <= 0.5)}")

        catch_floors: list[float] = []
        pulls: list[float] = []
        for n in range(args.repeat):
            mark = f"catch-{n}-{uuid.uuid4().hex[:6]}"
            change_tickets(args.shared, unit_id, args.catch_up, mark)
            seconds, rows = copy_rows(url, changed_queries(mark))
            catch_floors.append(seconds)
            seconds, report = timed_sync(Workspace.open(home))
            pulls.append(seconds)
        catch_floor, catch = Figure(catch_floors), Figure(pulls)
        ratio = catch.median / catch_floor.median
        ok &= ratio <= 3
        print(f"Catch-up pull, {args.catch_up:,} tickets:       {catch}  {report.pulled:,} rows; floor {catch_floor} "
              f"({rows:,} rows): {ratio:.1f}x  target 3x: {verdict(ratio <= 3)}")  # fmt: skip

        versions: list[float] = []
        imports: list[float] = []
        whole: list[float] = []
        for n in range(args.repeat):
            versions.append(process_seconds([str(CLI), "--version"]))
            imports.append(process_seconds([sys.executable, "-c", "import sqlalchemy, psycopg, models"]))
            change_tickets(args.shared, unit_id, args.changed, f"once-{n}-{uuid.uuid4().hex[:6]}")
            whole.append(process_seconds([str(CLI), "--home", str(home), "sync", "--once"]))
        version, imported, once = Figure(versions), Figure(imports), Figure(whole)
        bound = inc.median + version.median
        ok &= once.median <= bound
        print(f"`sync --once`, {args.changed:,} changed, whole process: {once}; the sync itself + `--version` "
              f"({version}) = {bound:.2f} s: {verdict(once.median <= bound)}")  # fmt: skip
        print(f"  the sync itself + a process that imports SQLAlchemy, psycopg and the schema ({imported}) = "
              f"{inc.median + imported.median:.2f} s")  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
