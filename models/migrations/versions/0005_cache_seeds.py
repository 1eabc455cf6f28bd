"""Ready-made caches of each business unit for new desks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:48:23.386885
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_seeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("business_unit_id", sa.Uuid(), nullable=False),
        sa.Column("schema", sa.String(length=32), nullable=False),
        sa.Column("global_version", sa.BigInteger(), nullable=False),
        sa.Column("unit_version", sa.BigInteger(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_units.id"],
            name=op.f("fk_cache_seeds_business_unit_id_business_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_seeds")),
        sa.UniqueConstraint("business_unit_id", name=op.f("uq_cache_seeds_business_unit_id")),
    )
    op.create_table(
        "cache_seed_chunks",
        sa.Column("seed_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seed_id"], ["cache_seeds.id"], name=op.f("fk_cache_seed_chunks_seed_id_cache_seeds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seed_id", "seq", name=op.f("pk_cache_seed_chunks")),
    )


def downgrade() -> None:
    op.drop_table("cache_seed_chunks")
    op.drop_table("cache_seeds")
