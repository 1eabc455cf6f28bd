"""The client's push: the outbox sent in order, each answer taken into the cache.

Each intent is merged into the shared database in its own transaction (``merge.apply_remote``); only
then is its outbox entry deleted, in the cache transaction that takes in the answer, after the cache has read
back what did not stand. A crash in between re-sends it, and the shared database answers from
``client_mutations`` (and the cache reads back again): nothing is applied twice, nothing is left as only
this desk had it. A rejected or conflicting intent is kept as a notice for the person and the entity is read back
from the shared database, so the cache holds what the shared database holds; the next intent goes on.
The outbox itself is filled by ``console.journal.outbox.record``, in the transaction of the edit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from console.access import Actor, load_actor
from console.journal import codec
from console.journal.intents import AnyIntent
from console.journal.outbox import OUTBOX
from console.store.database import in_transaction
from console.sync import merge
from console.sync.cache_rows import read_back
from console.sync.report import SyncReport
from models import SyncNotice, new_id, table_of


def push_outbox(cache: Engine, shared: Engine, client_id: str, report: SyncReport) -> None:
    """Send the outbox in order; stop at the first connection failure (the rest waits for the next pass)."""
    actors: dict[str, Actor] = {}
    while True:
        with cache.connect() as conn:
            entry = conn.execute(select(OUTBOX).order_by(OUTBOX.c.seq).limit(1)).first()
        if entry is None:
            return
        intent = codec.loads(entry.kind, entry.payload)

        def apply(sconn: Connection, entry: Any = entry, intent: AnyIntent = intent) -> merge.Outcome:
            if entry.login not in actors:
                actors[entry.login] = load_actor(sconn, entry.login)
            return merge.apply_remote(sconn, actors[entry.login], client_id, intent, entry.created_at)

        outcome = in_transaction(shared, apply)
        if outcome.entity is not None:  # before the entry goes: a pass cut off here sends it again, and reads back
            for entity in merge.entities(intent, outcome.entity):
                read_back(cache, shared, *entity)
        with cache.begin() as conn:
            conn.execute(delete(OUTBOX).where(OUTBOX.c.seq == entry.seq))
            if outcome.outcome != merge.APPLIED:
                conn.execute(
                    insert(table_of(SyncNotice)),
                    [{"id": new_id(), "mutation_id": intent.mutation_id, "kind": outcome.outcome,
                      "summary": outcome.reason or outcome.outcome, "created_at": datetime.now(UTC), "seen_at": None}],
                )  # fmt: skip
        report.pushed += 1
        if outcome.outcome == merge.CONFLICT:
            report.conflicts += 1
        elif outcome.outcome == merge.REJECTED:
            report.rejected.append(outcome.reason or "rejected")
