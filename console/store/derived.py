"""Structures of the local cache that are derived from its rows and rebuilt at will.

They are not part of the shared schema (no Alembic migration, nothing synced): the
shared database does not need them, and a cache can always drop and rebuild them from
its own rows. SQLite triggers keep them current whoever writes a ticket (an edit, a
recompute, a sync), so they never need a "refresh" that someone could forget.

- ``metric_rollup``: per UTC day and per week, clock, unit, module, priority and tier, how
  many clocks stopped, met and missed, and how many resolved tickets were reopened or
  resolved at first contact. A period reads its whole weeks from the weekly rows and only
  its first and last days from the daily rows: a year is a few tens of thousands of rows
  instead of a million tickets.
- ``metric_durations``: per week, clock and priority, a histogram of business seconds to
  respond and to resolve (log-spaced buckets). Percentiles find their bucket here, then
  read the exact values of that bucket alone.
- Full-text indexes (SQLite FTS5) over ticket numbers, titles and descriptions and over
  notes, for the queue's search; over knowledge articles and problems, for the suggestions
  of similar articles and known errors (``console.problems.similar``); and a vocabulary of
  the tickets' index (how many tickets hold each word), to weigh a rare word above a common one.
- Covering indexes for the time-to-respond and time-to-resolve distributions, read
  without touching the (wide) ticket rows, and for "data as of".

The version of these structures is the cache's ``PRAGMA user_version``; a cache built by
an older version of the app has them rebuilt when it is opened.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    literal_column,
    text,
)
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import Subquery

from models import Priority

VERSION = 10
SCALE = 12  # duration histogram: 12 buckets per e-fold of seconds (each about 8.7 % wide)

metadata = MetaData()
rollup = Table(
    "metric_rollup",
    metadata,
    Column("grain", String(1), primary_key=True),  # 'd': a UTC day, 'w': a week from Monday
    Column("period", String(10), primary_key=True),  # the day, or the week's Monday
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
durations = Table(
    "metric_durations",
    metadata,
    Column("week", String(10), primary_key=True),
    Column("clock", String(10), primary_key=True),
    Column("priority", String(16), primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
)

# The columns a clock reads: (stop time, state, business seconds); a clock counts when it stopped.
CLOCKS = {
    "response": ("first_response_at", "response_state", "response_seconds"),
    "resolution": ("resolved_at", "resolution_state", "resolution_seconds"),
}


def bucket_sql(seconds: str) -> str:
    """The duration histogram's bucket of a number of seconds, in SQL (the same everywhere)."""
    return f"CAST(ln({seconds} + 1) * {SCALE} AS INTEGER)"


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """The seconds a bucket spans, [low, high)."""
    return math.exp(bucket / SCALE) - 1, math.exp((bucket + 1) / SCALE) - 1


@dataclass(frozen=True)
class Rollup:
    """How one ticket counts in a rollup table, per clock: its key, its counts, and whether it counts at all."""

    table: Table
    key: Callable[[str, str], dict[str, str]]
    counts: Callable[[str, str], dict[str, str]]
    when: Callable[[str, str], str]


def _outcome_key(grain: str) -> Callable[[str, str], dict[str, str]]:
    def key(row: str, clock: str) -> dict[str, str]:
        at = f"{row}.{CLOCKS[clock][0]}"
        week = f"date({at}, 'weekday 0', '-6 days')"
        return {
            "grain": f"'{grain}'",
            "period": f"date({at})" if grain == "d" else week,
            "clock": f"'{clock}'",
            **{c: f"{row}.{c}" for c in ("business_unit_id", "module_id", "priority", "tier")},
            "week": week,
        }

    return key


def _outcome_counts(row: str, clock: str) -> dict[str, str]:
    state = f"{row}.{CLOCKS[clock][1]}"
    resolution = clock == "resolution"
    return {
        # a clock not judged (no state: a policy missing) counts as stopped, neither met nor missed
        "met": f"coalesce({state} = 'met', 0)",
        "missed": f"coalesce({state} = 'missed', 0)",
        "stopped": "1",
        "reopened": f"({row}.reopen_count > 0)" if resolution else "0",
        "first_contact": f"({row}.tier <= 1 AND {row}.reopen_count = 0)" if resolution else "0",
    }


def _duration_key(row: str, clock: str) -> dict[str, str]:
    at, _, seconds = CLOCKS[clock]
    return {
        "week": f"date({row}.{at}, 'weekday 0', '-6 days')",
        "clock": f"'{clock}'",
        "priority": f"{row}.priority",
        "bucket": bucket_sql(f"{row}.{seconds}"),
    }


def _judged(row: str, clock: str) -> str:
    at, state, seconds = CLOCKS[clock]
    return f"{row}.{at} IS NOT NULL AND {row}.{state} IN ('met', 'missed') AND {row}.{seconds} IS NOT NULL"


ROLLUPS = (
    Rollup(rollup, _outcome_key("d"), _outcome_counts, lambda row, clock: f"{row}.{CLOCKS[clock][0]} IS NOT NULL"),
    Rollup(rollup, _outcome_key("w"), _outcome_counts, lambda row, clock: f"{row}.{CLOCKS[clock][0]} IS NOT NULL"),
    Rollup(durations, _duration_key, lambda _row, _clock: {"n": "1"}, _judged),
)
# The ticket columns the rollups depend on: a change to any of them moves a ticket's counts.
WATCHED = (
    *(column for clock in CLOCKS.values() for column in clock),
    "business_unit_id",
    "module_id",
    "priority",
    "tier",
    "reopen_count",
)
INDEXES = {
    f"ix_derived_{clock}_{kind}": ", ".join(
        ([bucket_sql(seconds)] if kind == "bucket" else [])
        + [at, state, seconds, "priority", "business_unit_id", "module_id"]
    )
    for clock, (at, state, seconds) in CLOCKS.items()
    # by stop time: a period's durations; by bucket: the few values a percentile needs, without the rest
    for kind in ("clock", "bucket")
} | {"ix_derived_sla_computed": "sla_computed_at"}
# The queue's sort orders (``console.tickets.queue``): (key, id) each, for keyset pages either way.
PRIORITY_RANK_SQL = "CASE priority " + " ".join(f"WHEN '{p.value}' THEN {p.rank}" for p in Priority) + " ELSE 9 END"
# The clock that runs now: response until the first response, then resolution (unset: last).
DUE_SQL = "CASE WHEN first_response_at IS NULL THEN response_due_at ELSE resolution_due_at END"
DUE_SORT_SQL = f"coalesce({DUE_SQL}, '9999-12-31')"
INDEXES |= {
    "ix_queue_priority": f"{PRIORITY_RANK_SQL}, id",
    "ix_queue_priority_value": "priority",  # the filter (and its count) by priority
    "ix_queue_title": "title, id",
    "ix_queue_status": "status, id",
    "ix_queue_tier": "tier, id",
    "ix_queue_created": "created_at, id",
    "ix_queue_due": f"{DUE_SORT_SQL}, id",
    "ix_queue_priority_due": f"priority, {DUE_SORT_SQL}, id",
    "ix_queue_unit": "business_unit_id, id",
    "ix_queue_module": "module_id, id",
    "ix_queue_assignee": "assignee_id, id",
}
TRIGGERS = {
    "trg_rollup_insert": ("INSERT", (("NEW", 1),)),
    "trg_rollup_delete": ("DELETE", (("OLD", -1),)),
    "trg_rollup_update": (f"UPDATE OF {', '.join(WATCHED)}", (("OLD", -1), ("NEW", 1))),
}

Progress = Callable[[str, int, int], None]
TOKENIZER = "unicode61 remove_diacritics 2"
# Full-text tables over their content tables (nothing copied), kept current by triggers.
SEARCH: dict[str, tuple[str, tuple[str, ...]]] = {
    "search_tickets": ("tickets", ("number", "title", "description", "source_key")),  # the other tool's number too
    "search_notes": ("comments", ("body",)),
    # The suggestions where the work is (console.problems.similar): published articles and known errors.
    "search_articles": ("knowledge_articles", ("number", "title", "body")),
    "search_problems": ("problems", ("number", "title", "description", "root_cause", "workaround")),
}
# Vocabularies of full-text tables (FTS5 ``fts5vocab``, nothing stored): per word, how many rows hold it.
VOCABULARIES: dict[str, tuple[str, str]] = {"search_tickets_words": ("search_tickets", "row")}


def _search_triggers(conn: Connection) -> None:
    for name, (content, columns) in SEARCH.items():
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        add = f"INSERT INTO {name} (rowid, {cols}) VALUES (new.rowid, {new});"
        remove = f"INSERT INTO {name} ({name}, rowid, {cols}) VALUES ('delete', old.rowid, {old});"
        conn.exec_driver_sql(f"CREATE TRIGGER trg_{name}_insert AFTER INSERT ON {content} BEGIN {add} END")
        conn.exec_driver_sql(f"CREATE TRIGGER trg_{name}_delete AFTER DELETE ON {content} BEGIN {remove} END")
        conn.exec_driver_sql(
            f"CREATE TRIGGER trg_{name}_update AFTER UPDATE OF {cols} ON {content} BEGIN {remove} {add} END"
        )


def search_condition(terms: str, *, enter: bool = True) -> ColumnElement[bool]:
    """Tickets whose number, title, description or other tool's number (an imported ticket's), or one of whose
    notes, match the FTS5 query ``terms``.

    One set of ticket rowids (a union of both full-text tables). With ``enter`` SQLite starts from
    the matches and reads only those tickets; without, it keeps to another way in (the open
    queue's status index) and checks each ticket against the set.
    """
    return literal_column("tickets.rowid" if enter else "+tickets.rowid").in_(_matches(terms))


def _matches(terms: str) -> TextClause:
    return text(
        "SELECT rowid FROM search_tickets WHERE search_tickets MATCH :terms "
        "UNION SELECT t.rowid FROM comments AS c JOIN tickets AS t ON t.id = c.ticket_id "
        "WHERE c.rowid IN (SELECT rowid FROM search_notes WHERE search_notes MATCH :terms)"
    ).bindparams(terms=terms)


def search_matches(terms: str) -> Subquery:
    """The rowids of the tickets matching ``terms``, as a subquery to count or join."""
    return _matches(terms).columns(literal_column("rowid")).subquery("matches")


def matches_at_least(conn: Connection, terms: str, n: int) -> bool:
    """True when at least ``n`` tickets match ``terms`` by their own text. Their notes are not read: a
    lower bound of the matches, found in a fraction of what counting them all would cost."""
    if n <= 0:
        return True
    probe = text("SELECT rowid FROM search_tickets WHERE search_tickets MATCH :terms LIMIT 1 OFFSET :skip")
    return conn.execute(probe.bindparams(terms=terms, skip=n - 1)).first() is not None


def _upsert(spec: Rollup, row: str, clock: str, sign: int) -> str:
    """One ticket's contribution to one rollup, added (or with ``sign`` -1 taken away) in a trigger."""
    key, counts = spec.key(row, clock), spec.counts(row, clock)
    columns = [*key, *counts]
    values = [*key.values(), *(f"{sign} * {c}" for c in counts.values())]
    primary = [c.name for c in spec.table.primary_key.columns]
    added = ", ".join(f"{c} = {c} + excluded.{c}" for c in counts)
    return (
        f"INSERT INTO {spec.table.name} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"WHERE {spec.when(row, clock)} ON CONFLICT ({', '.join(primary)}) DO UPDATE SET {added};"
    )


def _trigger_body(parts: tuple[tuple[str, int], ...]) -> str:
    return "\n".join(_upsert(spec, row, clock, sign) for row, sign in parts for spec in ROLLUPS for clock in CLOCKS)


def _populate(conn: Connection) -> None:
    """Sum every ticket's contribution per key: the same expressions as the triggers, one scan per rollup."""
    for spec in ROLLUPS:
        for clock in CLOCKS:
            key, counts = spec.key("t", clock), spec.counts("t", clock)
            primary = [c.name for c in spec.table.primary_key.columns]
            group = ", ".join(key[c] for c in primary)
            sums = [f"sum({c})" for c in counts.values()]
            conn.exec_driver_sql(
                f"INSERT INTO {spec.table.name} ({', '.join([*key, *counts])}) "
                f"SELECT {', '.join([*key.values(), *sums])} FROM tickets AS t WHERE {spec.when('t', clock)} "
                f"GROUP BY {group}"
            )


def drop(conn: Connection) -> None:
    for trigger in TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    for index in INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
    for table in metadata.sorted_tables:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
    for name in VOCABULARIES:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    for name in SEARCH:
        for event in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{name}_{event}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def build(conn: Connection, progress: Progress | None = None) -> None:
    """Create the derived structures from the cache's rows (dropping any that exist)."""
    report = progress or (lambda _stage, _done, _total: None)
    steps = 1 + len(SEARCH) + len(INDEXES)
    drop(conn)
    report("summing SLA outcomes per day", 0, steps)
    metadata.create_all(conn)
    _populate(conn)
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    for name, (event, parts) in TRIGGERS.items():
        when = f"WHEN {changed} " if event.startswith("UPDATE") else ""
        conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {event} ON tickets {when}BEGIN {_trigger_body(parts)} END")
    for step, (name, (content, text_columns)) in enumerate(SEARCH.items(), start=1):
        report(f"indexing the text of {content} for search", step, steps)
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(text_columns)}, content='{content}', "
            f"content_rowid='rowid', tokenize='{TOKENIZER}')"
        )
        conn.exec_driver_sql(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")
    _search_triggers(conn)
    for name, (table, kind) in VOCABULARIES.items():
        conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {name} USING fts5vocab({table}, {kind})")
    for step, (name, columns) in enumerate(INDEXES.items(), start=1 + len(SEARCH)):
        report(f"indexing {name.removeprefix('ix_derived_').replace('_', ' ')}", step, steps)
        conn.exec_driver_sql(f"CREATE INDEX {name} ON tickets ({columns})")
    # Statistics for the query planner (sampled: seconds, not minutes, on a million tickets), so it
    # picks the open-status index over a priority one for "open and High", and the like.
    conn.exec_driver_sql("PRAGMA analysis_limit = 2000")
    conn.exec_driver_sql("ANALYZE")
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
