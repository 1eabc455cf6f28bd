"""Fixtures of the sync tests that run on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync_team import Team, team_on


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def team(request: pytest.FixtureRequest, tmp_path: Path, demo_home: Path) -> Iterator[Team]:
    """A team on a copy of the small demo: first with a SQLite shared file, then on PostgreSQL."""
    pg_demo = request.getfixturevalue("pg_demo") if request.param == "postgresql" else None
    with team_on(request.param, tmp_path, demo_home, pg_demo) as team:
        yield team
