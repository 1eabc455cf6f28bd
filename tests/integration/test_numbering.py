"""Ticket numbers handed out offline by several clients never collide."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from console.store.database import make_engine, sqlite_url, upgrade
from console.store.numbering import NumbersExhausted, keep_block, reserve_block, take_number


def fresh(path: Path) -> Engine:
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    return engine


def test_clients_offline_never_hand_out_the_same_number(tmp_path: Path) -> None:
    shared = fresh(tmp_path / "shared.sqlite3")
    caches = {name: fresh(tmp_path / f"{name}.sqlite3") for name in ("ava", "reza")}
    with shared.begin() as conn:
        blocks = {name: reserve_block(conn, "INC", name, size=3) for name in caches}
    for name, cache in caches.items():
        with cache.begin() as conn:
            keep_block(conn, blocks[name])
    handed_out: list[str] = []
    for _ in range(3):  # both offline, interleaved
        for name, cache in caches.items():
            with cache.begin() as conn:
                handed_out.append(take_number(conn, "INC", name))
    assert len(handed_out) == len(set(handed_out)) == 6
    assert sorted(handed_out) == [f"INC-{n:07d}" for n in range(1, 7)]
    with caches["ava"].begin() as conn, pytest.raises(NumbersExhausted, match="connect to the shared database"):
        take_number(conn, "INC", "ava")
    with shared.begin() as conn:
        assert reserve_block(conn, "INC", "ava", size=10).first == 7


@pytest.mark.postgres
def test_reservations_on_postgresql_follow_each_other(pg_url: str) -> None:
    shared = make_engine(pg_url)
    upgrade(shared)
    with shared.begin() as conn:
        first = reserve_block(conn, "CHG", "a", size=5)
    with shared.begin() as conn:
        second = reserve_block(conn, "CHG", "b", size=5)
    assert (first.first, first.last, second.first, second.last) == (1, 5, 6, 10)
    shared.dispose()
