"""A throwaway PostgreSQL primary and its streaming-replication standby, for the tests that read from a standby.

Both clusters are made for the test run in a temporary folder, on free loopback ports, and removed afterwards: the
server on 5432 is left alone (its ``pg_hba.conf`` need not allow replication). The primary is made by ``initdb``
(trust on the loopback, replication included), the standby by ``pg_basebackup -R`` from it, so the standby streams
the primary's WAL and replays it as a hot standby. The server binaries refuse to run as root: as root they run as
the ``postgres`` user, and the folder is theirs.

``Unavailable`` says why the pair cannot be made on this machine (no server binaries, root without a ``postgres``
user); the tests skip with that reason, and fail with it under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

BIN_ENV = "SUPPORT_CONSOLE_TEST_PG_BIN"  # the folder of initdb, pg_ctl and pg_basebackup, when not the usual one
DEBIAN_BINS = Path("/usr/lib/postgresql")
TOOLS = ("initdb", "pg_ctl", "pg_basebackup")
SERVER_USER = "postgres"  # who runs the servers when the tests run as root
REPLAYED_WITHIN = 60.0  # seconds a standby may take to replay what the primary wrote (loopback, one machine)


class Unavailable(Exception):
    """The pair cannot be made on this machine: the reason."""


def server_binaries() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``pg_basebackup``: ``SUPPORT_CONSOLE_TEST_PG_BIN``, else the
    newest of Debian's ``/usr/lib/postgresql/*/bin``, else the one on ``PATH``."""
    candidates: list[Path] = []
    if os.environ.get(BIN_ENV):
        candidates.append(Path(os.environ[BIN_ENV]))
    if DEBIAN_BINS.is_dir():
        versions = [p for p in DEBIAN_BINS.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in TOOLS):
            return folder
    raise Unavailable(f"no PostgreSQL server binaries ({', '.join(TOOLS)}) in {BIN_ENV}, {DEBIAN_BINS}/*/bin or PATH")


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Pair:
    """A primary and its hot standby, each on a loopback port; ``postgres`` is their superuser (trust)."""

    root: Path
    primary_port: int
    standby_port: int

    def url(self, port: int, database: str) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{port}/{database}"

    def primary_url(self, database: str) -> str:
        return self.url(self.primary_port, database)

    def standby_url(self, database: str) -> str:
        return self.url(self.standby_port, database)

    @contextmanager
    def admin(self, port: int, database: str = "postgres") -> Iterator[psycopg.Connection[Any]]:
        info = psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=port, user=SERVER_USER, dbname=database, connect_timeout=5
        )
        with psycopg.connect(info, autocommit=True) as conn:
            yield conn

    def create_database(self, name: str, template: str | None = None) -> None:
        """A database on the primary (a copy of ``template``), there on the standby too once this returns."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self.admin(self.primary_port) as conn:
            conn.execute(statement)
        self.wait_replayed()

    def pause(self) -> None:
        """The standby stops replaying (it still receives): what the primary writes now is not read there."""
        with self.admin(self.standby_port) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        with self.admin(self.standby_port) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def lag(self) -> int:
        """Bytes of WAL the primary has written that the standby has not replayed yet."""
        with self.admin(self.primary_port) as primary:
            row = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
            assert row is not None
            written = row[0]
        with self.admin(self.standby_port) as standby:
            found = standby.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", (written,))
            gap = found.fetchone()
            assert gap is not None
            return max(0, int(gap[0]))

    def wait_replayed(self, limit: float = REPLAYED_WITHIN) -> None:
        """Until the standby has replayed everything the primary had written when this was called."""
        deadline = time.monotonic() + limit
        while self.lag() > 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"the standby did not replay the primary's WAL within {limit:.0f} s")
            time.sleep(0.02)


class _Runner:
    """Runs the server's tools, as the ``postgres`` user when this process is root."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise Unavailable(f"running as root, and no {SERVER_USER!r} user to run the server as") from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise Unavailable("running as root and there is no runuser to run the server as another user")
            self.as_user = [runuser, "-u", SERVER_USER, "--"]

    def own(self, path: Path) -> None:
        if self.as_user:
            shutil.chown(path, user=SERVER_USER, group=None)

    def __call__(self, tool: str, *args: str | Path) -> None:
        command = [*self.as_user, str(self.binaries / tool), *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")


def _options(port: int, root: Path, extra: Sequence[str] = ()) -> str:
    # fsync off: a throwaway cluster, faster on a shared machine; the sockets in our own folder, not /run
    settings = [f"-p {port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={root}", "-c fsync=off"]
    return " ".join([*settings, *extra])


@contextmanager
def standby_pair() -> Iterator[Pair]:
    """A running primary and hot standby, stopped and removed afterwards."""
    run = _Runner(server_binaries())
    root = Path(tempfile.mkdtemp(prefix="sc-standby-"))
    started: list[Path] = []
    try:
        run.own(root)
        primary, standby = root / "primary", root / "standby"
        ports = {free_port()}
        while len(ports) < 2:
            ports.add(free_port())
        pair = Pair(root, *sorted(ports))
        run("initdb", "-D", primary, "-U", SERVER_USER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        run("pg_ctl", "-D", primary, "-l", root / "primary.log", "-w", "-t", "60", "-o",
            _options(pair.primary_port, root, ["-c wal_level=replica", "-c max_wal_senders=4"]), "start")  # fmt: skip
        started.append(primary)
        run("pg_basebackup", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", SERVER_USER, "-D", standby,
            "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        run("pg_ctl", "-D", standby, "-l", root / "standby.log", "-w", "-t", "60", "-o",
            _options(pair.standby_port, root, ["-c hot_standby=on"]), "start")  # fmt: skip
        started.append(standby)
        with pair.admin(pair.standby_port) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            assert row == (True,), "the standby is not in recovery"
        yield pair
    finally:
        for data in reversed(started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
