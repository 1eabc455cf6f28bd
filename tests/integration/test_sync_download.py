"""A first download from PostgreSQL by COPY stores every value exactly as the ORM's own path does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from console.sync import client, copy_down
from console.sync.server import SYNCED
from models import Role, Ticket, table_of
from tests.sync_team import Team, open_ticket, stored, team_on

pytestmark = pytest.mark.postgres


@pytest.fixture
def team(tmp_path: Path, demo_home: Path, pg_demo: Callable[[], str]) -> Iterator[Team]:
    with team_on("postgresql", tmp_path, demo_home, pg_demo) as team:
        yield team


ODD = 'tab\there\nnew line \\N not a null, back\\slash, "quoted" گزارش‌ها 🧾 \r\n'


def test_copy_stores_what_the_ordinary_path_stores(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id, _ = open_ticket(team)
    with team.shared.begin() as conn:  # text COPY escapes these; they must come back as they were
        conn.execute(
            update(table_of(Ticket)).where(Ticket.id == ticket_id).values(description=ODD, vendor_reference="")
        )
    by_copy = team.desk("copy", Role.SUPPORT_MANAGER)
    copied = {s.table: stored(by_copy.cache(), s.table) for s in SYNCED}
    monkeypatch.setattr(copy_down, "copy_sql", lambda *_args: None)  # every table the ordinary way
    ordinary = team.desk("ordinary", Role.SUPPORT_MANAGER)
    for synced in SYNCED:
        assert copied[synced.table] == stored(ordinary.cache(), synced.table), synced.table
    assert all(copied[name] for name in ("tickets", "comments", "audit_events", "users", "change_requests"))
    with by_copy.cache().connect() as conn:
        assert conn.execute(select(Ticket.description).where(Ticket.id == ticket_id)).scalar_one() == ODD
    assert client.sync_workspace(by_copy).pulled == 0
