"""The plans SQLite picks for the queries that must not read every ticket, pinned by EXPLAIN QUERY PLAN.

The demo is small, so where a plan depends on the statistics the test also plans as on a million tickets
(``tests.plans.as_if_a_million``): that is where a wrong way in costs seconds.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from console.access import load_actor
from console.metrics.queries import Filter
from console.metrics.report import CLOCKS, breaches
from console.store.summary import summarize
from console.tickets import queue
from console.tickets.queue import Column, QueueFilter, Sort
from models import BusinessUnit, ErpModule, SlaState, Ticket, TicketStatus
from tests import clock
from tests.plans import Plan, as_if_a_million, plans

NOW = clock.demo_now()
QUARTER = Filter(NOW.date() - timedelta(days=90), NOW.date() + timedelta(days=1))
STOP_TIME = {
    "response": "(first_response_at>? AND first_response_at<?)",
    "resolution": "(resolved_at>? AND resolved_at<?)",
}


# ---- the report's breach list ---------------------------------------------------------------------------


def breaches_as_they_were(conn: Connection, flt: Filter) -> list[tuple[object, ...]]:
    """The breach list as the report read it before it named its way in: joined on the unit index's column."""
    unit, module = aliased(BusinessUnit), aliased(ErpModule)
    found: list[tuple[object, ...]] = []
    for clock_name in CLOCKS:
        state, stopped, breached_at = (
            (Ticket.response_state, Ticket.first_response_at, Ticket.response_breached_at)
            if clock_name == "response"
            else (Ticket.resolution_state, Ticket.resolved_at, Ticket.resolution_breached_at)
        )
        query = (
            select(Ticket.number, Ticket.title, unit.code, module.code, Ticket.priority, breached_at, stopped)
            .join(unit, Ticket.business_unit_id == unit.id)
            .join(module, Ticket.module_id == module.id)
            .where(stopped >= flt.start_at, stopped < flt.end_at, state == SlaState.MISSED)
        )
        if flt.units:
            query = query.where(unit.code.in_(flt.units))
        if flt.modules:
            query = query.where(module.code.in_(flt.modules))
        if flt.priorities:
            query = query.where(Ticket.priority.in_(flt.priorities))
        found += [(*row, clock_name) for row in conn.execute(query) if row[6] is not None]
    return found


def as_rows(conn: Connection, flt: Filter) -> list[tuple[object, ...]]:
    return [
        (b.number, b.title, b.unit, b.module, b.priority, b.breached_at, b.stopped_at, b.clock)
        for b in breaches(conn, flt)
    ]


@pytest.mark.parametrize(
    "flt",
    [
        QUARTER,
        Filter(date(2000, 1, 1), NOW.date() + timedelta(days=1)),  # the whole history
        QUARTER.narrowed(priorities=("high", "critical")),
        Filter(date(2000, 1, 1), NOW.date() + timedelta(days=1), units=("DXB-HQ",), modules=("FIN",)),
    ],
    ids=["quarter", "history", "priorities", "unit-and-module"],
)
def test_the_breach_list_is_the_same_rows_as_before(conn: Connection, flt: Filter) -> None:
    rows = as_rows(conn, flt)
    before = breaches_as_they_were(conn, flt)
    assert sorted(rows, key=repr) == sorted((r[0], r[1], r[2], r[3], str(r[4]), r[5], r[6], r[7]) for r in before)
    if flt == QUARTER:
        assert rows  # the demo's quarter has missed clocks: the comparison compares something


def breach_plans(conn: Connection, flt: Filter) -> list[Plan]:
    return [p for p in plans(conn, lambda: breaches(conn, flt)) if "FROM tickets" in p.sql]


@pytest.mark.parametrize("statistics", ["demo", "a million tickets"])
@pytest.mark.parametrize("flt", [QUARTER, QUARTER.narrowed(units=("DXB-HQ",), modules=("FIN",))], ids=["all", "unit"])
def test_the_breach_list_reads_each_clock_by_its_stop_time(conn: Connection, statistics: str, flt: Filter) -> None:
    if statistics != "demo":
        as_if_a_million(conn)
    found = breach_plans(conn, flt)
    assert len(found) == len(CLOCKS)
    for clock_name, plan in zip(CLOCKS, found, strict=True):
        tickets = [line for line in plan.lines if line.startswith(("SEARCH tickets", "SCAN tickets"))]
        assert len(tickets) == 1, plan.text  # the tickets read once (a unit or module asked for: looked up first), ...
        assert tickets[0].startswith("SEARCH tickets USING INDEX"), plan.text
        assert tickets[0].endswith(STOP_TIME[clock_name]), plan.text  # ... by the stretch of the period alone


def test_a_million_tickets_of_statistics_did_mislead_the_old_breach_query(conn: Connection) -> None:
    """The check above can fail: planned as on a big cache, the old join entered by a unit or a module."""
    as_if_a_million(conn)
    found = [p for p in plans(conn, lambda: breaches_as_they_were(conn, QUARTER)) if "FROM tickets" in p.sql]
    assert found
    stop_times = tuple(STOP_TIME.values())
    assert not all(any(line.endswith(stop_times) for line in p.lines) for p in found), [p.text for p in found]


# ---- the workspace summary ------------------------------------------------------------------------------


def test_the_summary_reads_the_first_and_last_ticket_from_the_ends_of_an_index(conn: Connection) -> None:
    found = [p for p in plans(conn, lambda: summarize(conn)) if "min(tickets.created_at)" in p.sql]
    assert len(found) == 1
    plan = found[0]
    assert "max(tickets.created_at)" in plan.sql
    searches = [line for line in plan.lines if "tickets" in line]
    assert len(searches) == 2, plan.text  # one look at each end, ...
    assert all(line.startswith("SEARCH tickets USING COVERING INDEX ix_queue_created") for line in searches), plan.text
    assert not any(line.startswith("SCAN tickets") for line in plan.lines), plan.text  # ... no scan of them all
    summary = summarize(conn)
    first, last = conn.exec_driver_sql("SELECT min(created_at), max(created_at) FROM tickets").one()
    assert summary.first_ticket_at is not None
    assert summary.last_ticket_at is not None
    assert summary.first_ticket_at.strftime("%Y-%m-%d %H:%M:%S") == first[:19]
    assert summary.last_ticket_at.strftime("%Y-%m-%d %H:%M:%S") == last[:19]


# ---- the queue's search of every ticket -----------------------------------------------------------------

COMMON = "finance"  # in about half of the demo's tickets: a search worth walking the sort order for
RARE = "invoice"  # in a few dozen: read them all and sort them
INDEXED = [c for c in Column if c not in queue.GROUPED]


def search_plan(conn: Connection, search: str, sort: Sort, **paging: object) -> Plan:
    actor = load_actor(conn, "maryam.hosseini")
    flt = QueueFilter(statuses=tuple(TicketStatus), search=search)
    found = plans(conn, lambda: queue.page(conn, actor, flt, sort, NOW, limit=200, **paging))  # type: ignore[arg-type]
    pages = [p for p in found if "MATCH" in p.sql and "ORDER BY" in p.sql]
    assert len(pages) == 1, [p.sql for p in found]
    return pages[0]


@pytest.mark.parametrize("statistics", ["demo", "a million tickets"])
def test_a_common_word_walks_the_default_order_without_sorting(conn: Connection, statistics: str) -> None:
    if statistics != "demo":
        as_if_a_million(conn)
    plan = search_plan(conn, COMMON, Sort())
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan.text
    assert "SCAN tickets USING INDEX ix_queue_due" in plan.lines, plan.text


@pytest.mark.parametrize("column", INDEXED)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("paging", [{}, {"from_end": True}, {"offset": 250}], ids=["first", "from-end", "offset"])
def test_every_indexed_order_of_a_common_word_is_walked(
    conn: Connection, column: Column, descending: bool, paging: dict[str, object]
) -> None:
    plan = search_plan(conn, COMMON, Sort(column, descending), **paging)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan.text
    assert any(line.startswith("SCAN tickets USING INDEX") for line in plan.lines), plan.text


def test_a_rare_word_reads_its_matches_and_sorts_them(conn: Connection) -> None:
    plan = search_plan(conn, RARE, Sort())
    assert "SEARCH tickets USING INTEGER PRIMARY KEY (rowid=?)" in plan.lines, plan.text
    assert "USE TEMP B-TREE FOR ORDER BY" in plan.lines
