"""The local cache is a replica: sync may rewrite or remove the audit events it holds.

On the shared database the audit trail is append-only (triggers refuse every update and delete).
The cache's copy must follow the shared database — an event re-read with the shared database's
time, a ticket that left the person's units leaving with its events — so on the cache those
triggers stand aside while sync writes, and only then: sync marks its own transaction with a row
in ``sync_replica`` that no other connection ever sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

APPEND_ONLY = "audit_events are append-only: an event is never updated or deleted"
MARK = "sync_replica"


def ensure_cache(conn: Connection) -> None:
    """Make a SQLite cache's append-only triggers let sync's own writes through (idempotent)."""
    if conn.dialect.name != "sqlite":
        return
    current = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_events_no_update'"
    ).scalar()
    if current is not None and MARK in current:
        return
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {MARK} (marker INTEGER NOT NULL)")
    for verb in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            f"WHEN NOT EXISTS (SELECT 1 FROM {MARK}) BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


@contextmanager
def replica_writes(conn: Connection) -> Iterator[None]:
    """Inside a cache transaction: sync's writes, which may rewrite the audit events it holds."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    conn.exec_driver_sql(f"INSERT INTO {MARK} (marker) VALUES (1)")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"DELETE FROM {MARK}")
