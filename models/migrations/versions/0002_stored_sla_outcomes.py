"""Stored SLA outcomes: clock states, business time used and breach times, for SQL queues and metrics.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:02:05.729182
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The SLA engine's clock states, as this revision stores them.
SLA_STATES = ("running", "warning", "paused", "breached", "met", "missed", "not_timed")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "response_state",
                sa.Enum(
                    *SLA_STATES,
                    name="response_state",
                    native_enum=False,
                    create_constraint=True,
                    length=17,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "resolution_state",
                sa.Enum(
                    *SLA_STATES,
                    name="resolution_state",
                    native_enum=False,
                    create_constraint=True,
                    length=17,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("response_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("response_breached_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolution_breached_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_computed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        # The enums' CHECK constraints go first: SQLite rebuilds the table and would keep them.
        batch_op.drop_constraint(op.f("ck_tickets_resolution_state"), type_="check")
        batch_op.drop_constraint(op.f("ck_tickets_response_state"), type_="check")
        batch_op.drop_column("sla_computed_at")
        batch_op.drop_column("resolution_breached_at")
        batch_op.drop_column("response_breached_at")
        batch_op.drop_column("resolution_seconds")
        batch_op.drop_column("response_seconds")
        batch_op.drop_column("resolution_state")
        batch_op.drop_column("response_state")
