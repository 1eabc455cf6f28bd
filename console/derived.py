"""Structures of the local cache that are derived from its rows and rebuilt at will.

They are not part of the shared schema (no Alembic migration, nothing synced): the
shared database does not need them, and a cache can always drop and rebuild them from
its own rows. SQLite triggers keep them current whoever writes a ticket (an edit, a
recompute, a sync), so they never need a "refresh" that someone could forget.

- ``metric_rollup``: per UTC day, clock, unit, module, priority and tier, how many clocks
  stopped, met and missed, and how many resolved tickets were reopened or resolved at
  first contact. Compliance over a year reads a few thousand rows instead of a million
  tickets.
- Covering indexes for the time-to-respond and time-to-resolve distributions, read
  without touching the (wide) ticket rows, and for "data as of".

The version of these structures is the cache's ``PRAGMA user_version``; a cache built by
an older version of the app has them rebuilt when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, Uuid

VERSION = 1

metadata = MetaData()
rollup = Table(
    "metric_rollup",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("clock", String(10), primary_key=True),
    Column("business_unit_id", Uuid, primary_key=True),
    Column("module_id", Uuid, primary_key=True),
    Column("priority", String(16), primary_key=True),
    Column("tier", Integer, primary_key=True),
    Column("week", String(10), nullable=False),
    Column("met", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    Column("stopped", Integer, nullable=False),
    Column("reopened", Integer, nullable=False),
    Column("first_contact", Integer, nullable=False),
)

KEY = ("day", "clock", "business_unit_id", "module_id", "priority", "tier")
COUNTS = ("met", "missed", "stopped", "reopened", "first_contact")
COLUMNS = ", ".join((*KEY, "week", *COUNTS))
# The columns a clock reads: (stop time, state); a row counts on the UTC day its clock stopped.
CLOCKS = {"response": ("first_response_at", "response_state"), "resolution": ("resolved_at", "resolution_state")}
# The ticket columns the rollup depends on: a change to any of them moves a ticket's counts.
WATCHED = (
    "first_response_at",
    "response_state",
    "resolved_at",
    "resolution_state",
    "business_unit_id",
    "module_id",
    "priority",
    "tier",
    "reopen_count",
)
INDEXES = {
    "ix_derived_response_clock": "first_response_at, response_state, response_seconds, priority, business_unit_id, "
    "module_id",
    "ix_derived_resolution_clock": "resolved_at, resolution_state, resolution_seconds, priority, business_unit_id, "
    "module_id",
    "ix_derived_sla_computed": "sla_computed_at",
}

Progress = Callable[[str, int, int], None]


def _values(row: str, clock: str, sign: int) -> list[str]:
    """One ticket's key and counts for one clock (``row`` is NEW, OLD or an alias; -1 takes them away)."""
    stopped, state = CLOCKS[clock]
    at = f"{row}.{stopped}"
    if clock == "resolution":
        reopened = f"({row}.reopen_count > 0)"
        first_contact = f"({row}.tier <= 1 AND {row}.reopen_count = 0)"
    else:
        reopened = first_contact = "0"
    key = [f"date({at})", f"'{clock}'", *(f"{row}.{c}" for c in KEY[2:])]
    counts = [f"({row}.{state} = 'met')", f"({row}.{state} = 'missed')", "1", reopened, first_contact]
    return [*key, f"date({at}, 'weekday 0', '-6 days')", *(f"{sign} * {c}" for c in counts)]


def _upsert(row: str, clock: str, sign: int) -> str:
    added = ", ".join(f"{c} = {c} + excluded.{c}" for c in COUNTS)
    return (
        f"INSERT INTO metric_rollup ({COLUMNS}) SELECT {', '.join(_values(row, clock, sign))} "
        f"WHERE {row}.{CLOCKS[clock][0]} IS NOT NULL "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {added};"
    )


def _trigger_body(*parts: tuple[str, int]) -> str:
    return "\n".join(_upsert(row, clock, sign) for row, sign in parts for clock in CLOCKS)


def _populate(conn: Connection) -> None:
    """Sum every ticket's contribution per key: the same expressions as the triggers, one scan per clock."""
    for clock, (stopped, _) in CLOCKS.items():
        values = _values("t", clock, 1)
        keys = values[: len(KEY) + 1]
        sums = [f"sum({v})" for v in values[len(KEY) + 1 :]]
        conn.exec_driver_sql(
            f"INSERT INTO metric_rollup ({COLUMNS}) SELECT {', '.join(keys + sums)} FROM tickets AS t "
            f"WHERE t.{stopped} IS NOT NULL GROUP BY {', '.join(keys[: len(KEY)])}"
        )


def drop(conn: Connection) -> None:
    for trigger in ("trg_rollup_insert", "trg_rollup_delete", "trg_rollup_update"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    for index in INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
    conn.exec_driver_sql("DROP TABLE IF EXISTS metric_rollup")


def build(conn: Connection, progress: Progress | None = None) -> None:
    """Create the derived structures from the cache's rows (dropping any that exist)."""
    report = progress or (lambda _stage, _done, _total: None)
    steps = 1 + len(INDEXES)
    drop(conn)
    report("summing SLA outcomes per day", 0, steps)
    rollup.create(conn)
    _populate(conn)
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    for name, event, parts in (
        ("trg_rollup_insert", "INSERT", (("NEW", 1),)),
        ("trg_rollup_delete", "DELETE", (("OLD", -1),)),
        ("trg_rollup_update", f"UPDATE OF {', '.join(WATCHED)}", (("OLD", -1), ("NEW", 1))),
    ):
        when = f"WHEN {changed} " if event.startswith("UPDATE") else ""
        conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {event} ON tickets {when}BEGIN {_trigger_body(*parts)} END")
    for step, (name, columns) in enumerate(INDEXES.items(), start=1):
        report(f"indexing {name.removeprefix('ix_derived_').replace('_', ' ')}", step, steps)
        conn.exec_driver_sql(f"CREATE INDEX {name} ON tickets ({columns})")
    conn.exec_driver_sql(f"PRAGMA user_version = {VERSION}")
    report("derived structures built", steps, steps)


def ensure(engine: Engine, progress: Progress | None = None) -> bool:
    """Build the derived structures of a SQLite cache if they are missing or older; True if it built them."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as conn:
        if conn.exec_driver_sql("PRAGMA user_version").scalar() == VERSION:
            return False
        build(conn, progress)
    return True
