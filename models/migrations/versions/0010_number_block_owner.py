"""Number blocks name the database role that reserved them

On a shared PostgreSQL database the number-block guard writes the reserving role into ``reserved_by``, and a
person may log a ticket or request a change only with a number of a block reserved by their own role, so no
one can take numbers out of another desk's block (that desk's own ticket would then be refused). Blocks
reserved before this upgrade name no one and stay usable. ``admin prepare`` again after it (the sync
triggers' version moves to 6).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("number_blocks") as batch:
        batch.add_column(sa.Column("reserved_by", sa.String(length=63), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("number_blocks") as batch:
        batch.drop_column("reserved_by")
