"""Routing rules: which support group takes a ticket of an ERP module at a tier

A ticket logged gets the group of its module's tier-1 rule (none without a rule). Reference data in the
global sync space, read-only for people on a shared PostgreSQL database; ``admin prepare`` (again after this
upgrade: the sync triggers' version moves to 5) versions its writes and grants it.

No rules are made here: which group takes what is the team's to say (the demo has one per module and tier).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("tier BETWEEN 0 AND 3", name=op.f("ck_routing_rules_tier_range")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["support_groups.id"], name=op.f("fk_routing_rules_group_id_support_groups")
        ),
        sa.ForeignKeyConstraint(["module_id"], ["erp_modules.id"], name=op.f("fk_routing_rules_module_id_erp_modules")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("module_id", "tier", name=op.f("uq_routing_rules_module_id_tier")),
    )


def downgrade() -> None:
    op.drop_table("routing_rules")
