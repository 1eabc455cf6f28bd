"""The queue's keyset pages: every order walks every ticket once, the same forwards, backwards and by offset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from console.access import load_actor
from console.store.workspace import Workspace
from console.tickets import queue
from console.tickets.queue import Column, QueueFilter, QueueRow, Sort
from models import TicketStatus
from tests import clock

NOW = clock.demo_now()
EVERYTHING = QueueFilter(statuses=tuple(TicketStatus))


@pytest.fixture(scope="module")
def conn(demo_home: Path) -> Iterator[Connection]:
    workspace = Workspace.open(demo_home)
    with workspace.cache().connect() as connection:
        yield connection
    workspace.close()


def walk(conn: Connection, sort: Sort, size: int) -> list[QueueRow]:
    actor = load_actor(conn, "maryam.hosseini")
    rows: list[QueueRow] = []
    after = None
    while True:
        page = queue.page(conn, actor, EVERYTHING, sort, NOW, after=after, limit=size)
        rows += page
        if len(page) < size:
            return rows
        after = page[-1].key


@pytest.mark.parametrize("column", list(Column))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("grouped_from", [0, queue.GROUPED_FROM], ids=["by-group", "plain"])
def test_every_order_pages_through_every_ticket_once(
    conn: Connection, column: Column, descending: bool, grouped_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "GROUPED_FROM", grouped_from)  # big lists walk groups; the demo is small
    sort = Sort(column, descending)
    rows = walk(conn, sort, 37)
    actor = load_actor(conn, "maryam.hosseini")
    total = queue.count(conn, actor, EVERYTHING, NOW)
    assert len(rows) == total == len({r.id for r in rows})
    keys = [r.key for r in rows]
    assert keys == sorted(keys, reverse=descending)
    shown = {
        Column.UNIT: [r.unit for r in rows],
        Column.MODULE: [r.module for r in rows],
        Column.ASSIGNEE: [r.assignee or "" for r in rows],
        Column.NUMBER: [r.number for r in rows],
    }.get(column)
    if shown is not None:  # what the person sees is in order too, not only the keys
        assert shown == sorted(shown, reverse=descending)
    last = queue.page(conn, actor, EVERYTHING, sort, NOW, limit=25, from_end=True)
    assert [r.id for r in last] == [r.id for r in rows[-25:]]
    middle = queue.page(conn, actor, EVERYTHING, sort, NOW, limit=25, offset=301)
    assert [r.id for r in middle] == [r.id for r in rows[301:326]]
    before = queue.page(conn, actor, EVERYTHING, sort, NOW, limit=25, after=rows[326].key, from_end=True)
    assert [r.id for r in before] == [r.id for r in rows[301:326]]
