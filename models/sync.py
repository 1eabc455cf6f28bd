"""Sync bookkeeping: per-space versions and the change index (shared database), the outbox and
cursors (local cache), and conflicts (both: a conflict is data that both sides see).

A *space* is one business unit (its id as 32 hex digits) or ``global`` (reference data, change
requests). Database triggers on the shared database bump a space's version and index the row in
the writing transaction, so version order is commit order; see ``console.sync.server``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId

GLOBAL_SPACE = "global"


class SyncSpace(Base):
    """The last version handed out in one space (shared database)."""

    __tablename__ = "sync_spaces"

    space: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # Change-index entries up to this version have been pruned: a cache whose cursor is older
    # cannot catch up entry by entry and downloads the space again.
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ChangeIndexEntry(Base):
    """A row written or deleted in a space, at a version (shared database). Deletes are tombstones."""

    __tablename__ = "change_index"
    __table_args__ = (Index("ix_change_index_entity", "table_name", "entity_key"),)

    space: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(80))
    op: Mapped[str] = mapped_column(String(8))  # 'upsert' or 'delete'
    at: Mapped[datetime]


class ClientMutation(Base):
    """An intent the shared database has applied or answered, so a retry applies nothing twice."""

    __tablename__ = "client_mutations"
    __table_args__ = (Index("ix_client_mutations_client", "client_id", "applied_at"),)

    mutation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str] = mapped_column(String(16))  # applied, conflict, rejected
    reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime]


class SyncConflict(HasId, Base):
    """A field change that met a different value than the one its author saw: kept for a person to resolve."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_entity", "entity_table", "entity_id"),)

    entity_table: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID]
    business_unit_id: Mapped[uuid.UUID | None]
    number: Mapped[str] = mapped_column(String(24))
    field: Mapped[str] = mapped_column(String(64))
    base_value: Mapped[str | None] = mapped_column(Text)  # what the author saw
    mine_value: Mapped[str | None] = mapped_column(Text)  # what the author wanted
    theirs_value: Mapped[str | None] = mapped_column(Text)  # what the shared database held
    user_id: Mapped[uuid.UUID | None]  # the author of the edit
    # Whose value it met (the other side), filled in by a shared PostgreSQL database when it is written: a
    # conflict is readable there by its author, the other side and managers only.
    theirs_user_id: Mapped[uuid.UUID | None]
    mutation_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None]
    resolution: Mapped[str | None] = mapped_column(String(16))  # mine, theirs, edited


class CacheSeed(HasId, Base):
    """A ready-made cache of one business unit and the global space (shared database): a new desk of that
    unit downloads it whole instead of row by row, then pulls what changed since. Built by ``admin seed``."""

    __tablename__ = "cache_seeds"

    business_unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("business_units.id", ondelete="CASCADE"), unique=True
    )
    schema: Mapped[str] = mapped_column(String(32))  # the cache's schema revision and derived version
    global_version: Mapped[int] = mapped_column(BigInteger)  # the cursors it holds
    unit_version: Mapped[int] = mapped_column(BigInteger)
    tickets: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes of the SQLite file
    sha256: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime]


class CacheSeedChunk(Base):
    """One piece of a seed's SQLite file, in order."""

    __tablename__ = "cache_seed_chunks"

    seed_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cache_seeds.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class OutboxEntry(Base):
    """An intent applied to the cache and not yet acknowledged by the shared database (local cache)."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the intent as JSON (UTF-8)
    login: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SyncCursor(Base):
    """How far this cache has pulled each space (local cache)."""

    __tablename__ = "sync_cursors"

    space: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncNotice(HasId, Base):
    """What sync told this user: a rejected intent with its reason, a conflict (local cache)."""

    __tablename__ = "sync_notices"

    mutation_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))  # rejected, conflict
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]
