"""Benchmark (not part of the test run): sync of one business unit against PostgreSQL, and its floor.

    support-console --home /tmp/sc-bench demo --tickets 420000 --shared postgresql://postgres@127.0.0.1/scbench
    .venv/bin/python tests/benchmarks/sync_speed.py --shared postgresql://postgres@127.0.0.1/scbench

A super-user of the largest unit (about 100,000 tickets in a 420,000-ticket demo) syncs into an
empty cache: every global row and every row of her unit's tickets (notes, attachments, articles,
their whole audit history), with the cache's indexes and derived structures built. The floor is
reading the same rows with plain psycopg ``COPY ... TO STDOUT``, which is as fast as PostgreSQL can
hand them out; the target is the first sync within 3x the floor.

The first sync is measured twice: row by row (no seed), and from the unit's ready-made cache, built
by ``admin seed`` as a deployment does daily (its time is printed too); then again with that seed
1,000 tickets behind the shared database, which the first sync pulls after taking it.

Then another SQL client changes 1,000 of her unit's tickets (a field and a note each) and she
syncs again: the target is at most 1 s. Best of ``--repeat`` runs for each figure. The unit's seed is
replaced by this run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import delete, func, select

from console.store import derived
from console.store.database import make_engine
from console.store.workspace import Workspace
from console.sync import client, seed_build, server
from console.sync.report import SyncReport
from console.sync.server import GLOBAL_TABLES, TICKET_CHILDREN
from models import BusinessUnit, CacheSeed, Membership, Role, Ticket, User, table_of


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


def floor(url: str, unit_id: uuid.UUID) -> tuple[float, int]:
    """Seconds and rows to read the same rows with COPY: the global tables whole, the unit's tickets
    and everything that belongs to them."""
    conninfo = make_engine(url).url.set(drivername="postgresql").render_as_string(hide_password=False)
    tickets = f"(SELECT id FROM tickets WHERE business_unit_id = '{unit_id}')"
    queries = [f"SELECT * FROM {s.table}" for s in GLOBAL_TABLES]
    queries.append(f"SELECT * FROM tickets WHERE business_unit_id = '{unit_id}'")
    queries += [f"SELECT * FROM {name} WHERE {column} IN {tickets}" for name, column in TICKET_CHILDREN]
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        for query in queries:
            with cur.copy(f"COPY ({query}) TO STDOUT") as copy:
                for row in copy.rows():
                    rows += 1 if row is not None else 0
    return time.perf_counter() - started, rows


def first_sync(url: str, login: str, home: Path) -> tuple[float, SyncReport]:
    shutil.rmtree(home, ignore_errors=True)
    workspace = Workspace.open(home)
    workspace.settings.set("shared_url", url)
    workspace.settings.set("user", login)
    workspace.settings.save()
    started = time.perf_counter()
    report = client.sync_workspace(workspace)
    seconds = time.perf_counter() - started
    workspace.close()
    return seconds, report


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


def change_tickets(url: str, unit_id: uuid.UUID, count: int, round_: int) -> None:
    """Another SQL client changes ``count`` of the unit's tickets: a field and a note each."""
    shared = make_engine(url)
    with shared.begin() as conn:
        picked = conn.execute(
            select(Ticket.id, Ticket.reporter_id).where(Ticket.business_unit_id == unit_id).order_by(Ticket.number)
            .offset(round_ * count).limit(count)
        ).all()  # fmt: skip
        now = datetime.now(UTC)
        conn.exec_driver_sql(
            "UPDATE tickets SET vendor_reference = %(ref)s WHERE id = ANY(%(ids)s)",
            {"ref": f"BENCH-{round_}", "ids": [t.id for t in picked]},
        )
        conn.exec_driver_sql(
            "INSERT INTO comments (id, ticket_id, author_id, visibility, body, created_at) "
            "SELECT gen_random_uuid(), t.id, t.reporter_id, 'internal', %(body)s, %(now)s "
            "FROM tickets t WHERE t.id = ANY(%(ids)s)",
            {"body": f"Interface run {round_} re-posted this document.", "now": now, "ids": [t.id for t in picked]},
        )
    shared.dispose()


def incremental(url: str, login: str, home: Path, unit_id: uuid.UUID, count: int, round_: int) -> tuple[float, int]:
    change_tickets(url, unit_id, count, round_)
    workspace = Workspace.open(home)
    started = time.perf_counter()
    report = client.sync_workspace(workspace)
    seconds = time.perf_counter() - started
    workspace.close()
    assert login == workspace.settings.get("user")
    return seconds, report.pulled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True, metavar="URL", help="a PostgreSQL demo database")
    parser.add_argument("--unit", metavar="CODE", help="the unit (default: the largest)")
    parser.add_argument("--changed", type=int, default=1_000, help="tickets changed for the incremental sync")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    code, unit_id, login, tickets = the_unit(args.shared, args.unit)
    print(f"Unit {code}: {tickets:,} tickets; syncing as {login}", flush=True)
    copy_s, copy_rows = min(floor(args.shared, unit_id) for _ in range(args.repeat))
    print(f"Floor, COPY of the same rows:     {copy_s:6.2f} s  {copy_rows:,} rows", flush=True)
    home = Path(tempfile.mkdtemp(prefix="sc-sync-bench-"))
    target = 3 * copy_s
    try:
        without_seeds(args.shared)
        rows_s, report = min((first_sync(args.shared, login, home) for _ in range(args.repeat)), key=lambda r: r[0])
        print(f"First sync row by row (no seed):  {rows_s:6.2f} s  {report.pulled:,} rows  ({rows_s / copy_s:.1f}x)")
        print(f"  of which derived structures:    {derived_share(home):6.2f} s  (search index, SLA rollups)")

        build_s, built = build_seed(args.shared, code)
        mib = 2**20
        print(
            f"admin seed {code} (once a day):     {build_s:6.2f} s  a {built.size / mib:,.0f} MiB cache stored as "
            f"{built.stored / mib:,.0f} MiB"
        )
        seed_s, report = min((first_sync(args.shared, login, home) for _ in range(args.repeat)), key=lambda r: r[0])
        assert report.seeded == unit_id.hex, report.summary()
        ratio = seed_s / copy_s
        print(f"First sync from the unit's seed:  {seed_s:6.2f} s  ({ratio:.1f}x; target 3x = {target:.2f} s)")
        change_tickets(args.shared, unit_id, args.changed, args.repeat)
        aged_s, report = min((first_sync(args.shared, login, home) for _ in range(args.repeat)), key=lambda r: r[0])
        assert report.seeded == unit_id.hex, report.summary()
        print(
            f"  the seed {args.changed:,} tickets behind: {aged_s:6.2f} s  {report.pulled:,} rows pulled after it  "
            f"({aged_s / copy_s:.1f}x)"
        )
        runs = [incremental(args.shared, login, home, unit_id, args.changed, n) for n in range(args.repeat)]
        inc_s, inc_rows = min(runs)
        print(f"Incremental, {args.changed:,} changed tickets: {inc_s:6.2f} s  {inc_rows:,} rows  (target 1 s)")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if ratio <= 3 and aged_s <= target and inc_s <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
