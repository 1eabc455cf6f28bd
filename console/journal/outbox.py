"""The outbox: every edit made on this cache, kept until the shared database has answered it.

An intent is appended in the very cache transaction that applied it, so the cache never holds an
edit the outbox does not know of, nor the other way round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from console.journal import codec
from console.journal.intents import AnyIntent
from models import OutboxEntry, table_of

OUTBOX = table_of(OutboxEntry)


def record(conn: Connection, login: str, intent: AnyIntent, at: datetime) -> None:
    """Append an intent to the outbox, in the cache transaction that applied it."""
    kind, payload = codec.dumps(intent)
    conn.execute(
        insert(OUTBOX),
        [{"mutation_id": intent.mutation_id, "kind": kind, "payload": payload, "login": login, "created_at": at,
          "attempts": 0, "last_error": None}],
    )  # fmt: skip


def pending(conn: Connection) -> int:
    """Intents made here and not yet answered by the shared database."""
    return int(conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one())
