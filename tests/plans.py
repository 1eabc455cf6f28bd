"""The query plans SQLite picks for what a piece of code runs: for tests that pin a plan, never a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event


@dataclass(frozen=True)
class Plan:
    sql: str
    lines: list[str]  # the details of EXPLAIN QUERY PLAN, in its order

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def plans(conn: Connection, run: Callable[[], Any]) -> list[Plan]:
    """Run ``run`` (which uses ``conn``), then explain every statement it ran on ``conn``, in order."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(conn, "before_cursor_execute", keep)
    return [
        Plan(sql, [str(row[3]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)])
        for sql, parameters in seen
    ]


def as_if_a_million(conn: Connection) -> None:
    """Make SQLite plan as on a cache of a million tickets: the demo's statistics with a million rows per ticket
    index, as the sampled statistics of a big cache have it (``ANALYZE`` with an ``analysis_limit``)."""
    conn.exec_driver_sql(
        "UPDATE sqlite_stat1 SET stat = '1000000' || substr(stat, instr(stat, ' ')) WHERE tbl = 'tickets'"
    )
    conn.exec_driver_sql("ANALYZE sqlite_schema")  # the planner reads the statistics again
