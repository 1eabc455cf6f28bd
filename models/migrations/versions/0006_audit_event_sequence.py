"""Audit events: a sequence number per entity, so events at the same instant replay in a defined order

Each event gets ``seq``: 1, 2, 3… within its entity (``entity_type``, ``entity_id``). Existing events
are numbered in this order:

1. ``occurred_at``: the order the history already had wherever the times differ;
2. for events at the same instant, the ``created`` event first: it carries the entity's first
   values, so a replay that folded a change of the same instant before it would lose that change
   (the snapshot would overwrite it) and the SLA engine would take a wrong first status or priority;
3. then ``id``: the order of other events at one instant was never recorded, and any fixed rule is
   better than the database's arbitrary one. The id is the same row on every database and every
   copy, and a uuid sorts alike on both engines (PostgreSQL compares its bytes, SQLite its 32
   lower-case hex digits), so the shared database and each desk's cache, migrating on their own,
   number the same events the same way.

Then the column is NOT NULL, and the index of an entity's history becomes
(entity_type, entity_id, occurred_at, seq): a replay reads it in order from the index alone, where
the old index left SQLite sorting each entity's events in a temporary B-tree (EXPLAIN QUERY PLAN:
"USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"), and the highest ``seq`` of an entity, which every
writer reads, comes from the index without touching the table.

The numbering is not a sync change: the triggers on audit_events (append-only, and on a shared
database the versioning ones) stand aside while it is written and come back exactly as they were.
Every cache runs this migration itself and numbers its copy of the same events by the same rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 11:20:00.000000
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_INDEX = ("entity_type", "entity_id", "occurred_at")
NEW_INDEX = ("entity_type", "entity_id", "occurred_at", "seq")

BACKFILL = """
UPDATE audit_events SET seq = numbered.n
FROM (
    SELECT id, row_number() OVER (
        PARTITION BY entity_type, entity_id
        ORDER BY occurred_at, CASE WHEN action = 'created' THEN 0 ELSE 1 END, id
    ) AS n
    FROM audit_events
) AS numbered
WHERE audit_events.id = numbered.id
"""


@contextmanager
def _triggers_aside() -> Iterator[None]:
    """The triggers on audit_events stand aside inside the block and come back exactly as they were.

    On SQLite they are dropped and created again from their own SQL (a cache's append-only triggers
    let sync through, a shared file has versioning ones too, and rebuilding the table in batch mode
    would lose them anyway); on PostgreSQL the enabled ones are disabled and enabled again."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        enabled = list(
            bind.execute(
                sa.text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname"
                )
            ).scalars()
        )
        for name in enabled:
            op.execute(f'ALTER TABLE audit_events DISABLE TRIGGER "{name}"')
        yield
        for name in enabled:
            op.execute(f'ALTER TABLE audit_events ENABLE TRIGGER "{name}"')
        return
    saved = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events' ORDER BY rowid"
        )
    ).all()
    for name, _sql in saved:
        op.execute(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in saved:
        op.execute(sql)


def upgrade() -> None:
    with _triggers_aside():
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        op.execute(BACKFILL)
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.drop_index("ix_audit_events_entity")
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.create_index("ix_audit_events_entity", list(NEW_INDEX), unique=False)


def downgrade() -> None:
    with _triggers_aside():
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.drop_index("ix_audit_events_entity")
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.drop_column("seq")
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.create_index("ix_audit_events_entity", list(OLD_INDEX), unique=False)
