"""Compliance per unit and per module (the metrics view, the report): the period's rollup rows are summed once, then
named; the same rows as the join that read them again for every unit or module. Plans, not times."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, func, select

from console.metrics.queries import Compliance, Filter, _rollup_where, compliance
from console.store.derived import rollup
from models import BusinessUnit, ErpModule
from tests import clock
from tests.plans import as_if_a_million, plans

NOW = clock.demo_now()
END = NOW.date() + timedelta(days=1)
FILTERS = [
    Filter(END - timedelta(days=365), END),
    Filter(END - timedelta(days=91), END),
    Filter(date(2000, 1, 1), END),
    Filter(END - timedelta(days=365), END, units=("DXB-HQ",)),
    Filter(END - timedelta(days=365), END, modules=("FIN", "HRP"), priorities=("high",)),
]


def as_it_was(conn: Connection, flt: Filter, clock_name: str, by: str) -> list[Compliance]:
    """The query before: the rollup joined to the units (modules) first and grouped by their code."""
    r = rollup.c
    named, column = (BusinessUnit, r.business_unit_id) if by == "unit" else (ErpModule, r.module_id)
    met, missed = func.sum(r.met), func.sum(r.missed)
    query = (
        select(named.code.label("key"), met, missed)
        .join_from(rollup, named, column == named.id)
        .where(*_rollup_where(flt, clock_name, whole_weeks=True))  # type: ignore[arg-type]
        .group_by(named.code)
        .having(met + missed > 0)
        .order_by(named.code)
    )
    return [Compliance(str(k), int(m), int(x)) for k, m, x in conn.execute(query)]


@pytest.mark.parametrize("by", ["unit", "module"])
@pytest.mark.parametrize("clock_name", ["response", "resolution"])
def test_the_same_rows_as_before(conn: Connection, by: str, clock_name: str) -> None:
    found = {i: compliance(conn, flt, clock_name, by) for i, flt in enumerate(FILTERS)}  # type: ignore[arg-type]
    assert found == {i: as_it_was(conn, flt, clock_name, by) for i, flt in enumerate(FILTERS)}
    assert found[0]  # a year of the demo has clocks in every unit and module: the comparison compares something


@pytest.mark.parametrize("statistics", ["demo", "a million tickets"])
@pytest.mark.parametrize("by", ["unit", "module"])
@pytest.mark.parametrize("flt", [FILTERS[0], FILTERS[3]], ids=["all", "one-unit"])
def test_the_rollup_is_read_once_then_named(conn: Connection, statistics: str, by: str, flt: Filter) -> None:
    if statistics != "demo":
        as_if_a_million(conn)
    found = [p for p in plans(conn, lambda: compliance(conn, flt, "resolution", by)) if "metric_rollup" in p.sql]  # type: ignore[arg-type]
    assert len(found) == 1
    lines = found[0].lines
    table = "business_units" if by == "unit" else "erp_modules"
    assert lines.count("MATERIALIZE sums") == 1, found[0].text  # summed once, ...
    rollup_lines = [i for i, line in enumerate(lines) if "metric_rollup" in line]
    naming = [i for i, line in enumerate(lines) if line.startswith(("SCAN " + table, "SEARCH " + table))]
    assert rollup_lines, found[0].text
    assert naming, found[0].text
    assert max(rollup_lines) < max(naming), found[0].text  # ... before the units or modules are named
    assert not any(line.startswith("SCAN metric_rollup") for line in lines), found[0].text
