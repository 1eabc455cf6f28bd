"""Who else is at the shared database during a team load test, each a thread of the team's process with a
connection of its own (never through the proxy):

- ``SqlWriter``: another SQL client, the administrator with raw SQL, changing tickets the desks work on (an
  assignee and a vendor reference, a note added, one of its own notes deleted): the desks' pushes meet values
  they did not see, and their pulls bring rows no intent made;
- ``BackendKiller``: ``pg_terminate_backend`` on a backend of a syncing desk, at random moments;
- ``Monitor``: the database's connections (``pg_stat_activity``) and the PostgreSQL server's CPU time, from
  ``/proc`` (every ``postgres`` process, and the postmaster's reaped children: backends that already ended).
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


class Actor(threading.Thread):
    """A thread that acts every few moments until stopped; what went wrong is counted, never raised."""

    def __init__(self, conninfo: str, seed: int, every: tuple[float, float]) -> None:
        super().__init__(name=type(self).__name__, daemon=True)
        self.conninfo = conninfo
        self.rng = random.Random(seed)
        self.every = every
        self.halt = threading.Event()
        self.done = 0
        self.errors: list[str] = []

    def run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        while not self.halt.wait(self.rng.uniform(*self.every)):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.conninfo, autocommit=True)
                self.act(conn)
                self.done += 1
            except psycopg.Error as error:
                self.errors.append(f"{type(error).__name__}: {str(error).strip()[:160]}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def act(self, conn: psycopg.Connection[Any]) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


class SqlWriter(Actor):
    """The administrator's raw SQL on the tickets the desks work on most."""

    def act(self, conn: psycopg.Connection[Any]) -> None:
        hot = [r[0] for r in conn.execute(
            "SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed') ORDER BY number LIMIT 40")]  # fmt: skip
        if not hot:
            return
        ticket = self.rng.choice(hot)
        draw = self.rng.random()
        with conn.transaction():
            if draw < 0.35:
                conn.execute(
                    "UPDATE tickets SET assignee_id = (SELECT id FROM users WHERE active AND role = "
                    "'functional_consultant' ORDER BY random() LIMIT 1) WHERE id = %s",
                    (ticket,),
                )
            elif draw < 0.65:
                conn.execute("UPDATE tickets SET vendor_reference = %s WHERE id = %s", (f"ext-{self.done}", ticket))
            elif draw < 0.9:
                conn.execute(
                    "INSERT INTO comments (id, ticket_id, author_id, visibility, body, created_at) "
                    "SELECT gen_random_uuid(), id, reporter_id, 'internal', %s, now() FROM tickets WHERE id = %s",
                    (f"ext note {self.done}", ticket),
                )
            else:  # one of its own notes removed straight from the table: a tombstone for every cache
                conn.execute(
                    "DELETE FROM comments WHERE id = (SELECT id FROM comments WHERE body LIKE 'ext note %%' "
                    "ORDER BY created_at LIMIT 1)"
                )


class BackendKiller(Actor):
    """Terminates one backend of a desk (a person's login in this database) now and then."""

    def __init__(self, conninfo: str, seed: int, every: tuple[float, float], database: str, logins: list[str]):
        super().__init__(conninfo, seed, every)
        self.database = database
        self.logins = logins
        self.killed = 0

    def act(self, conn: psycopg.Connection[Any]) -> None:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND usename = ANY(%s) ORDER BY pid",
            (self.database, self.logins))]  # fmt: skip
        if pids:
            row = conn.execute("SELECT pg_terminate_backend(%s)", (self.rng.choice(pids),)).fetchone()
            self.killed += bool(row and row[0])


def postgres_cpu_seconds() -> float:
    """CPU seconds used by the PostgreSQL server so far: every live ``postgres`` process, plus the postmaster's
    reaped children (each backend that ended). The whole cluster: other databases' work counts too."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path("/proc", entry, "stat").read_text(encoding="ascii")
        except OSError:  # ended meanwhile
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        if name == "postgres":
            stats[int(entry)] = raw[raw.rindex(")") + 2 :].split()
    ticks = 0
    for fields in stats.values():
        # after the name: state ppid ... utime (12th) stime (13th) cutime (14th) cstime (15th)
        ticks += int(fields[11]) + int(fields[12])
        if int(fields[1]) not in stats:  # the postmaster: its children that ended
            ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


@dataclass
class Sample:
    at: float  # time.monotonic(), as the desks' passes
    connections: int  # to this database
    cluster: int  # client backends on the whole server


@dataclass
class Monitor:
    """Samples the connections now and then, and the CPU between ``start`` and ``stop``."""

    conninfo: str
    database: str
    every: float = 0.25
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0
    busy: float = 0.0
    seconds: float = 0.0
    _halt: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _start: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def start(self) -> None:
        self._start = (time.monotonic(), postgres_cpu_seconds(), machine_busy_seconds()[0])
        self._thread = threading.Thread(target=self._run, name="monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        began, cpu, busy = self._start
        self.seconds = time.monotonic() - began
        self.cpu = postgres_cpu_seconds() - cpu
        self.busy = machine_busy_seconds()[0] - busy
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        query = ("SELECT count(*) FILTER (WHERE datname = %s), count(*) FROM pg_stat_activity "
                 "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")  # fmt: skip
        conn: psycopg.Connection[Any] | None = None
        while not self._halt.wait(self.every):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.conninfo, autocommit=True)
                row = conn.execute(query, (self.database,)).fetchone()
                if row is not None:
                    self.samples.append(Sample(time.monotonic(), int(row[0]), int(row[1])))
            except psycopg.Error as error:  # the server full of connections, say: counted, sampled again
                self.errors.append(f"{type(error).__name__}: {str(error).strip()[:160]}")
                conn = None
        if conn is not None:
            conn.close()

    @property
    def max_connections(self) -> int:
        return max((s.connections for s in self.samples), default=0)

    @property
    def max_cluster(self) -> int:
        return max((s.cluster for s in self.samples), default=0)
