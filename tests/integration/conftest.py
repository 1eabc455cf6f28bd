"""Fixtures of the integration tests: a workspace on a copy of the demo, and a team on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from console.store.database import make_engine, sqlite_url
from console.store.workspace import Workspace
from tests.people import Desks, People
from tests.sync_team import Team, team_on


@pytest.fixture
def workspace(demo_copy: Path) -> Iterator[Workspace]:
    """A private copy of the demo workspace, open."""
    workspace = Workspace.open(demo_copy)
    yield workspace
    workspace.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def team(request: pytest.FixtureRequest, tmp_path: Path, demo_home: Path) -> Iterator[Team]:
    """A team on a copy of the small demo: first with a SQLite shared file, then on PostgreSQL."""
    pg_demo = request.getfixturevalue("pg_demo") if request.param == "postgresql" else None
    with team_on(request.param, tmp_path, demo_home, pg_demo) as team:
        yield team


@pytest.fixture
def conn(demo_copy: Path) -> Iterator[Connection]:
    """A connection to a private copy of the demo's cache (its rows and statistics may be changed). Modules that only
    read the demo have their own, on the session's demo itself."""
    engine = make_engine(sqlite_url(demo_copy / "cache.sqlite3"))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.fixture
def desks(people: People, tmp_path: Path) -> Iterator[Desks]:
    """Each person's workspace, connected with their own login: ``people`` is the module's own (its picks)."""
    made = Desks(people, tmp_path)
    yield made
    made.close()
