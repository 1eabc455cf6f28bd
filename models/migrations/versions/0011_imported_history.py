"""Imported history keeps what the other tool said

A ticket brought in from another tool (``support-console import``) keeps its whole history as audit events and
comments written in the name of the person who imported it. What the source said of each is kept beside:
``audit_events.source`` names the tool an event came from (NULL: made here), ``source_actor`` who made it there
and ``source_value`` the tool's own word for the value (``Awaiting Problem`` for our pending status);
``comments.source_author`` who wrote a comment there; ``tickets.source_sla_met`` the tool's own SLA flag (the
metrics view's reconciliation compares ours with it). ``tickets.source_key``, the tool's own number, is
searchable alone. ``admin prepare`` again after it (the sync triggers' version moves to 7).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch copy of these tables would trip the sync triggers that name them.
    for column in ("source", "source_actor", "source_value"):
        op.add_column("audit_events", sa.Column(column, sa.String(length=32 if column == "source" else 120)))
    op.add_column("comments", sa.Column("source_author", sa.String(length=120), nullable=True))
    op.add_column("tickets", sa.Column("source_sla_met", sa.Boolean(), nullable=True))
    op.create_index("ix_tickets_source_key", "tickets", ["source_key"])


def downgrade() -> None:
    op.drop_index("ix_tickets_source_key", table_name="tickets")
    for table, column in (("tickets", "source_sla_met"), ("comments", "source_author"), ("audit_events", "source_value"),
                          ("audit_events", "source_actor"), ("audit_events", "source")):  # fmt: skip
        op.drop_column(table, column)
