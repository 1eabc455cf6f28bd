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

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

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


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _sqlite_schema(edit: Callable[[str], str]) -> None:
    """Change the problems table's definition in place, as SQLite's documentation describes for a check or a
    foreign key that no stored row can break: no copy of the table (a copy would trip the foreign keys of the
    tickets, changes and articles that point at problems, and drop the triggers on it), the same rows."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'problems'").scalar()
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'problems'", (edit(str(sql)),)
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    if problems != "ok":
        raise RuntimeError(f"problems table after its change: {problems}")


def _statuses_in(sql: str, values: tuple[str, ...]) -> str:
    found = re.search(r"CHECK \(status IN \([^)]*\)\)", sql)
    if found is None:
        raise RuntimeError("the problems table has no status check to change")
    return sql[: found.start()] + f"CHECK ({_check(values)})" + sql[found.end() :]


def upgrade() -> None:
    op.add_column("problems", sa.Column("group_id", sa.Uuid(), nullable=True))
    op.add_column("problems", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("problems", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE problems SET updated_at = coalesce(resolved_at, known_error_at, created_at)")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(CHECK), "problems", type_="check")
        op.create_check_constraint("problem_status", "problems", _check(AFTER))
        op.create_foreign_key(op.f(FK), "problems", "support_groups", ["group_id"], ["id"])
        return

    def widened(sql: str) -> str:
        sql = _statuses_in(sql, AFTER)
        end = sql.rstrip().rfind(")")
        return sql[:end].rstrip() + f", \n\t{GROUP_FK}\n)"

    _sqlite_schema(widened)


def downgrade() -> None:
    op.execute("UPDATE problems SET status = 'known_error' WHERE status = 'fix_in_change'")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(FK), "problems", type_="foreignkey")
        op.drop_constraint(op.f(CHECK), "problems", type_="check")
        op.create_check_constraint("problem_status", "problems", _check(BEFORE))
    else:
        _sqlite_schema(lambda sql: re.sub(r",\s*" + re.escape(GROUP_FK), "", _statuses_in(sql, BEFORE)))
    for column in NEW_COLUMNS:
        op.drop_column("problems", column)
