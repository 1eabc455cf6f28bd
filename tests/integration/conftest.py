"""Fixtures of the integration tests: a workspace on a copy of the demo, and a team on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.store.workspace import Workspace
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
