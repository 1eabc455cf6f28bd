"""Team load test (not part of the test run): N desks against one PostgreSQL database, optionally through a faulty
network, for a fixed number of minutes; then quiescence and the stateful sync test's checks.

    nice .venv/bin/python -m tests.load.team --desks 10 --minutes 2
    nice .venv/bin/python -m tests.load.team --desks 50 --minutes 2 --proxy faults --kill-backends

1. A fresh database ``sc_load_<hex>`` on the server (``--pg``, trust or ``.pgpass``) filled by ``support-console
   demo`` (``--tickets``), and N people added with ``support-console admin add-user``, each with a login role of
   their own: a manager, then two consultants for each super-user of one business unit. Each role gets the
   ``--statement-timeout`` (and twice that as ``idle_in_transaction_session_timeout``), as a deployment would, and
   the database a ``--connection-limit`` (the server is shared: the rest is left to others).
2. N desk processes (``tests.load.desk``), each with its own workspace connected as its person: directly, or with
   ``--proxy faults`` through ``tests.load.proxy`` (resets, stalls longer than the statement timeout, half-open
   connections, a bandwidth limit; seeded). They download first (a few at a time, on a clean network), then for
   ``--minutes`` edit, note, move and sync; meanwhile the administrator writes raw SQL (``tests.load.others``),
   and with ``--kill-backends`` desks' backends are terminated at random moments.
3. Quiescence: each desk syncs until a pass succeeds with its outbox empty (the faults still on); once all have,
   each syncs once more. Then ``tests.load.checks``: zero lost, zero doubled, every conflict recorded, every cache
   equal to its scope and nothing outside it.
4. The figures (``tests.load.figures``) printed and added as a row to ``--out`` (docs/load-results.md).

Bounded: every wait has a deadline and ``--timeout`` ends the whole run; the database, the roles and the
workspaces are removed at the end, whatever happened (``--keep`` keeps them all, to look into a failure). Exit 0
when every check held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from console.cli import command
from console.sync.roles import group_name
from tests.load.checks import Member, check_team
from tests.load.desk import DeskPlan, Record, read_record, run_desk
from tests.load.figures import Summary, write_row
from tests.load.others import BackendKiller, Monitor, SqlWriter
from tests.load.proxy import FaultProxy, Faults

ROOT = Path(__file__).resolve().parents[2]
DOWNLOADING_AT_ONCE = 4  # desks making their first download together


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


@dataclass
class Run:
    """What a run made, for the cleanup: the database, the login roles, the folder."""

    server: URL
    database: str
    root: Path
    logins: list[str]

    def url(self, login: str | None = None, port: int | None = None) -> str:
        url = self.server.set(drivername="postgresql", database=self.database)
        if login is not None:
            url = url.set(username=login, password=None)
        if port is not None:
            url = url.set(port=port)
        return url.render_as_string(hide_password=False)

    def conninfo(self, database: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.server.host or "127.0.0.1", port=self.server.port or 5432,
            user=self.server.username or "postgres", password=self.server.password or None,
            dbname=database or self.database, connect_timeout=10,
        )  # fmt: skip


def cli(*argv: str) -> str:
    """``support-console ARGV`` in this process (the same code as the command); its output, or SystemExit."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = command.main(list(argv))
    if code != 0:
        raise SystemExit(f"support-console {' '.join(argv[:4])}… failed ({code}): {err.getvalue().strip()}")
    return out.getvalue()


def people(count: int, units: list[str], run_tag: str) -> list[tuple[str, str, str | None]]:
    """(login, role, unit): a manager first, then two consultants for each super-user of one unit."""
    made: list[tuple[str, str, str | None]] = []
    for n in range(count):
        login = f"load{run_tag}_{n:03d}"
        if n == 0:
            made.append((login, "support_manager", None))
        elif n % 3 == 0:
            made.append((login, "super_user", units[(n // 3) % len(units)]))
        else:
            made.append((login, "functional_consultant", None))
    return made


def set_up(run: Run, args: argparse.Namespace) -> list[tuple[str, str, str | None]]:
    with psycopg.connect(run.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(run.database)))
    admin_home = run.root / "admin"
    say(f"{run.database}: support-console demo --tickets {args.tickets}")
    cli("--home", str(admin_home), "demo", "--tickets", str(args.tickets), "--seed", str(args.seed), "--shared",
        run.url())  # fmt: skip
    with psycopg.connect(run.conninfo()) as conn:
        units = [r[0] for r in conn.execute("SELECT code FROM business_units ORDER BY code")]
    team = people(args.desks, units, run.database.removeprefix("sc_load_")[:6])
    say(f"support-console admin add-user × {len(team)}")
    os.environ["SUPPORT_CONSOLE_NEW_PASSWORD"] = f"load-{secrets.token_hex(8)}"  # the new roles'; trust lets them in
    try:
        for login, role, unit in team:
            run.logins.append(login)
            cli("--home", str(admin_home), "admin", "--shared", run.url(), "add-user", login, "--role", role,
                *(["--unit", unit] if unit else []))  # fmt: skip
    finally:
        del os.environ["SUPPORT_CONSOLE_NEW_PASSWORD"]
    timeout = int(args.statement_timeout * 1000)
    limits = (("statement_timeout", timeout), ("idle_in_transaction_session_timeout", 2 * timeout))
    alter = sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}")
    with psycopg.connect(run.conninfo(), autocommit=True) as conn:
        limit = sql.SQL("ALTER DATABASE {} CONNECTION LIMIT {}")  # the server is shared: leave others room
        conn.execute(limit.format(sql.Identifier(run.database), sql.Literal(args.connection_limit)))
        for login, _, _ in team:
            for setting, value in limits:
                names = (sql.Identifier(login), sql.Identifier(run.database), sql.Identifier(setting))
                conn.execute(alter.format(*names, sql.Literal(value)))
    return team


def clean_up(run: Run) -> None:
    with psycopg.connect(run.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(run.database)))
        for role in [*run.logins, group_name(run.database)]:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def wait_until(what: str, done: Any, deadline: float) -> None:
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done before the deadline")
        time.sleep(0.2)


def faults_of(args: argparse.Namespace) -> Faults:
    return Faults(args.reset, args.stall, (args.stall_seconds[0], args.stall_seconds[1]), args.half_open,
                  args.half_open_seconds, args.bandwidth, args.seed)  # fmt: skip


def describe_faults(args: argparse.Namespace, proxy: FaultProxy | None, killer: BackendKiller | None) -> str:
    parts = []
    if proxy is not None:
        s = proxy.stats
        parts.append(f"{s.resets} resets, {s.stalls} stalls of {args.stall_seconds[0]:g}–{args.stall_seconds[1]:g} s, "
                     f"{s.half_opens} half-open ({args.half_open_seconds:g} s), "
                     f"{(args.bandwidth or 0) // 1024} KiB/s")  # fmt: skip
    if killer is not None:
        parts.append(f"{killer.killed} backends killed")
    return "; ".join(parts)


@contextlib.contextmanager
def hard_timeout(seconds: int) -> Iterator[None]:
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"the load test ran longer than --timeout {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_team(run: Run, args: argparse.Namespace) -> int:
    team = set_up(run, args)
    proxy = FaultProxy((run.server.host or "127.0.0.1", run.server.port or 5432)).start() if args.proxy else None
    port = proxy.port if proxy is not None else None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.load.desk"])
    ready, drained = context.Value("i", 0), context.Value("i", 0)
    stop_at = context.Value("d", 0.0)
    go, final = context.Event(), context.Event()
    deadline = time.monotonic() + args.timeout - min(60, args.timeout / 4)  # the desks give up in time for the checks
    think = (args.think[0], args.think[1])
    plans = [
        DeskPlan(f"desk-{n:03d}", run.root / f"desk-{n:03d}", run.url(login, port), login, args.seed * 1000 + n, think,
                 run.root / f"desk-{n:03d}.json")
        for n, (login, _, _) in enumerate(team)
    ]  # fmt: skip
    processes = [context.Process(target=run_desk, name=p.name, daemon=True,
                                 args=(p, ready, go, stop_at, drained, final, deadline)) for p in plans]  # fmt: skip
    writer = killer = None
    monitor = Monitor(run.conninfo("postgres"), run.database)
    try:
        say(f"{len(plans)} desks download their data, {DOWNLOADING_AT_ONCE} at a time")
        for started, process in enumerate(processes, 1):
            wait_until("first downloads", lambda n=started: n - ready.value <= DOWNLOADING_AT_ONCE, deadline)
            process.start()
        wait_until("first downloads", lambda: ready.value == len(processes), deadline)
        if proxy is not None:
            proxy.set_faults(faults_of(args))
        monitor.start()
        writer = SqlWriter(run.conninfo(), args.seed, (0.2, 0.6))
        writer.start()
        if args.kill_backends:
            killer = BackendKiller(run.conninfo("postgres"), args.seed, (0.5, 2.0), run.database, run.logins)
            killer.start()
        stop_at.value = time.monotonic() + args.minutes * 60
        go.set()
        say(f"working for {args.minutes:g} min" + (" through the faulty proxy" if proxy else ""))
        while time.monotonic() < stop_at.value:
            time.sleep(1)
            if not any(p.is_alive() for p in processes):
                break
        load = os.getloadavg()[0]  # the machine is shared: how busy it was
        writer.stop()
        if killer is not None:
            killer.stop()
        monitor.stop()
        say("quiescence: every desk syncs until its outbox is empty")
        wait_until("drain", lambda: drained.value + sum(not p.is_alive() for p in processes) >= len(processes),
                   deadline)  # fmt: skip
        final.set()
        for process in processes:
            process.join(timeout=max(1.0, deadline - time.monotonic()))
        faults = describe_faults(args, proxy, killer)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        if writer is not None and writer.is_alive():
            writer.stop()
        if killer is not None and killer.is_alive():
            killer.stop()
        if proxy is not None:
            proxy.stop()
    say("checks")
    records = [read_record(p.out) if p.out.exists() else Record(p.name, p.login, failure="no record") for p in plans]
    members = [Member(r, p.home, run.url(p.login)) for r, p in zip(records, plans, strict=True)]
    verdict = check_team(run.url(), members, run.root)
    network = "proxy with faults" if args.proxy else "direct"
    if args.kill_backends:
        network += ", backends killed"
    summary = Summary.of(
        f"N={args.desks}{', faults' if args.proxy or args.kill_backends else ''}, think {args.think[0]:g}–"
        f"{args.think[1]:g} s", records, desks=args.desks,
        minutes=args.minutes, network=network, seconds=monitor.seconds,
        pg_cpu=monitor.cpu / monitor.seconds, machine_cpu=monitor.busy / monitor.seconds, load_average=load,
        max_connections=monitor.max_connections, max_cluster=monitor.max_cluster, faults=faults, verdict=verdict,
    )  # fmt: skip
    print(summary.text())
    if writer.errors:
        print(f"  the SQL writer: {writer.done} writes, {len(writer.errors)} errors, e.g. {writer.errors[:2]}")
    if args.out is not None:
        write_row(args.out, summary)
        say(f"added the row to {args.out}")
    return 0 if verdict.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--desks", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--proxy", choices=["faults"], help="desks connect through the fault-injecting proxy")
    parser.add_argument("--kill-backends", action="store_true", help="pg_terminate_backend on desks at random")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think", type=float, nargs=2, default=(10.0, 30.0), metavar=("MIN", "MAX"),
                        help="seconds a desk waits after each sync (default 10 30; 1 3: very busy)")  # fmt: skip
    parser.add_argument("--connection-limit", type=int, default=60, metavar="N",
                        help="the database's CONNECTION LIMIT (default 60: the server's 100 are shared)")  # fmt: skip
    parser.add_argument("--statement-timeout", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--reset", type=float, default=0.0002, help="proxy: chance per chunk of a reset")
    parser.add_argument("--stall", type=float, default=0.0002, help="proxy: chance per chunk of a stall")
    parser.add_argument("--stall-seconds", type=float, nargs=2, default=(6.0, 10.0), metavar=("MIN", "MAX"))
    parser.add_argument("--half-open", type=float, default=0.00005, help="proxy: chance per chunk of half-open")
    parser.add_argument("--half-open-seconds", type=float, default=20.0, help="proxy: then reset")
    parser.add_argument("--bandwidth", type=int, default=1_000_000, metavar="BYTES/S", help="proxy: each way")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", metavar="URL",
                        help="the server, as its administrator")  # fmt: skip
    parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                        help="the whole run ends by then (default: the minutes + 5 s a desk + 10 min)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "load-results.md", help="the figures' table")
    parser.add_argument("--no-out", dest="out", action="store_const", const=None, help="print the figures only")
    parser.add_argument(
        "--keep", action="store_true", help="keep the workspaces, the database and its roles (to look into a failure)"
    )
    args = parser.parse_args(argv)
    if args.timeout is None:
        args.timeout = int(args.minutes * 60 + 5 * args.desks + 600)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # never the OS keyring
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the cleanup still runs
    run = Run(make_url(args.pg), f"sc_load_{secrets.token_hex(5)}", Path(tempfile.mkdtemp(prefix="sc-load-")), [])
    try:
        with hard_timeout(args.timeout):
            return run_team(run, args)
    finally:
        if args.keep:
            say(f"kept: the workspaces in {run.root}, the database {run.database} and the roles {run.database[8:14]}*")
        else:
            clean_up(run)
            shutil.rmtree(run.root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
