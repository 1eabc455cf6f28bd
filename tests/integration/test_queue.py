"""The queue's keyset pages: every order walks every ticket once, the same forwards, backwards and by offset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# A search of every ticket walks its sort order's index when the matches are many (``queue._walks_matches``);
# whichever way SQLite goes in, the rows and their order are those of reading every match and sorting them.
SEARCHES = ["finance", "sales order", "steps", "invoice", "INC-00001", "zzqqxx"]  # half, some, all, few, one, none


def search_pages(conn: Connection, search: str, sort: Sort) -> dict[str, list[object]]:
    """First, next, last, middle and before-the-middle pages of a search of every ticket: their ids."""
    actor = load_actor(conn, "maryam.hosseini")
    flt = QueueFilter(statuses=tuple(TicketStatus), search=search)

    def ids(**paging: Any) -> list[object]:
        return [r.id for r in queue.page(conn, actor, flt, sort, NOW, **paging)]

    first = queue.page(conn, actor, flt, sort, NOW, limit=50)
    middle = queue.page(conn, actor, flt, sort, NOW, limit=50, offset=120)
    return {
        "first": [r.id for r in first],
        "next": ids(limit=50, after=first[-1].key) if first else [],
        "last": ids(limit=50, from_end=True),
        "middle": [r.id for r in middle],
        "before": ids(limit=30, after=middle[0].key, from_end=True) if middle else [],
    }


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("column", list(Column))
@pytest.mark.parametrize("descending", [False, True])
def test_a_search_gives_the_same_pages_walked_or_sorted(
    conn: Connection, search: str, column: Column, descending: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    sort = Sort(column, descending)
    chosen = search_pages(conn, search, sort)  # as the queue decides
    monkeypatch.setattr(queue, "_walks_matches", lambda *_args: False)
    sorted_pages = search_pages(conn, search, sort)  # every match read and sorted, as before
    monkeypatch.setattr(queue, "_walks_matches", lambda *_args: True)
    walked = search_pages(conn, search, sort)  # the sort order walked, each ticket checked against the matches
    assert chosen == sorted_pages == walked
    if search in ("finance", "steps"):
        assert len(sorted_pages["first"]) == len(sorted_pages["middle"]) == 50  # long enough to page through


def test_a_common_word_is_walked_and_pages_through_every_match_once(conn: Connection) -> None:
    actor = load_actor(conn, "maryam.hosseini")
    flt = QueueFilter(statuses=tuple(TicketStatus), search="finance")
    sort = Sort()
    rare = QueueFilter(statuses=tuple(TicketStatus), search="invoice")
    for matches in (None, queue.count(conn, actor, flt, NOW)):  # looked up, or counted by the caller
        assert queue._walks_matches(conn, actor, flt, sort, 200, matches)  # half of the demo's tickets: walked
    for matches in (None, queue.count(conn, actor, rare, NOW)):
        assert not queue._walks_matches(conn, actor, rare, sort, 200, matches)  # a few dozen: read and sorted
    rows: list[QueueRow] = []
    after = None
    while True:
        page = queue.page(conn, actor, flt, sort, NOW, after=after, limit=37)
        rows += page
        if len(page) < 37:
            break
        after = page[-1].key
    assert len(rows) == queue.count(conn, actor, flt, NOW) == len({r.id for r in rows})
    keys = [r.key for r in rows]
    assert keys == sorted(keys)
