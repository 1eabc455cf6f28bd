"""Changing a SQLite table's definition in place, as SQLite's documentation describes for a check or a foreign
key that no stored row can break: no copy of the table (a copy would trip the foreign keys of the tables that
point at it, and drop the triggers on it), the same rows. The migrations that widen a status check use it."""

from __future__ import annotations

import re
from collections.abc import Callable

from alembic import op


def edit_definition(table: str, edit: Callable[[str], str]) -> None:
    """Replace ``table``'s ``CREATE TABLE`` statement by ``edit(statement)`` and check the database after it."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (edit(str(sql)), table))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    if problems != "ok":
        raise RuntimeError(f"{table} table after its change: {problems}")


def check_in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def with_check(sql: str, column: str, values: tuple[str, ...]) -> str:
    """``sql`` with the check on ``column``'s values replaced by one allowing ``values``."""
    found = re.search(rf"CHECK \({column} IN \([^)]*\)\)", sql)
    if found is None:
        raise RuntimeError(f"the table has no check of {column} to change")
    return sql[: found.start()] + f"CHECK ({check_in(column, values)})" + sql[found.end() :]


def with_constraints(sql: str, *constraints: str) -> str:
    """``sql`` with table constraints added at its end."""
    end = sql.rstrip().rfind(")")
    return sql[:end].rstrip() + "".join(f", \n\t{c}" for c in constraints) + "\n)"


def without_constraints(sql: str, *constraints: str) -> str:
    for constraint in constraints:
        sql = re.sub(r",\s*" + re.escape(constraint), "", sql)
    return sql
