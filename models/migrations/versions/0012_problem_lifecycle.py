"""Problems are worked at the desks: their whole lifecycle, an owner group, and a fix in a change

Problems were reference data written by an administrator. Now people work them (``console.problems``): a
problem goes New → Investigating → Root cause known → Known error → Fix in change → Resolved → Closed, so the
status may be ``fix_in_change``; it names the support group that owns it (``group_id``), when it was last
changed (``updated_at``: the ordering of the lists and a sync conflict's base) and when it was closed.
``admin prepare`` again after it (the sync triggers' version moves to 8). On SQLite the status check is widened
in the table's definition, in place (no copy of the table).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.migrations.sqlite_tables import check_in, edit_definition, with_check, with_constraints, without_constraints

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("new", "investigating", "root_cause_known", "known_error", "resolved", "closed")
AFTER = ("new", "investigating", "root_cause_known", "known_error", "fix_in_change", "resolved", "closed")
CHECK = "ck_problems_problem_status"


FK = "fk_problems_group_id_support_groups"


NEW_COLUMNS = ("closed_at", "updated_at", "group_id")
GROUP_FK = f"CONSTRAINT {FK} FOREIGN KEY(group_id) REFERENCES support_groups (id)"


def upgrade() -> None:
    op.add_column("problems", sa.Column("group_id", sa.Uuid(), nullable=True))
    op.add_column("problems", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("problems", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE problems SET updated_at = coalesce(resolved_at, known_error_at, created_at)")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(CHECK), "problems", type_="check")
        op.create_check_constraint("problem_status", "problems", check_in("status", AFTER))
        op.create_foreign_key(op.f(FK), "problems", "support_groups", ["group_id"], ["id"])
        return

    edit_definition("problems", lambda sql: with_constraints(with_check(sql, "status", AFTER), GROUP_FK))


def downgrade() -> None:
    op.execute("UPDATE problems SET status = 'known_error' WHERE status = 'fix_in_change'")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(FK), "problems", type_="foreignkey")
        op.drop_constraint(op.f(CHECK), "problems", type_="check")
        op.create_check_constraint("problem_status", "problems", check_in("status", BEFORE))
    else:
        edit_definition("problems", lambda sql: without_constraints(with_check(sql, "status", BEFORE), GROUP_FK))
    for column in NEW_COLUMNS:
        op.drop_column("problems", column)
