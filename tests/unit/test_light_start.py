"""The command line starts without matplotlib: only a verb that draws (a PDF or a PNG) loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import clock

LOADED = "print('matplotlib loaded:', any(m.partition('.')[0] == 'matplotlib' for m in sys.modules), file=sys.stderr)"
VERB = f"""
import sys
sys.path.append({str(clock.ROOT)!r})
from tests.clock import travel
travel()
from console.cli.command import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
{LOADED}
"""


def python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,  # the installed package, not whatever is in the current folder
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=300,
        check=False,
    )


def test_importing_the_command_line_loads_no_matplotlib(tmp_path: Path) -> None:
    code = "import console.cli.command, sys; print(any(m.startswith('matplotlib') for m in sys.modules))"
    done = python(f"import sys; sys.path.append({str(clock.ROOT)!r}); {code}", cwd=tmp_path)  # this checkout
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("args", "draws"),
    [
        (["--version"], False),
        (["--help"], False),
        (["ticket", "list"], False),
        (["report", "--out", "{home}/report.csv"], False),
        (["report", "--out", "{home}/report.pdf"], True),  # the check can fail: a PDF is drawn with matplotlib
    ],
    ids=["version", "help", "ticket-list", "report-csv", "report-pdf"],
)
def test_only_a_verb_that_draws_loads_matplotlib(demo_copy: Path, tmp_path: Path, args: list[str], draws: bool) -> None:
    done = python(VERB, "--home", str(demo_copy), *[a.format(home=demo_copy) for a in args], cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert f"matplotlib loaded: {draws}" in done.stderr.splitlines(), done.stderr
    if args[0] == "ticket":
        assert "INC-" in done.stdout or "REQ-" in done.stdout


LOADED_ANY = """
import sys
sys.path.append({root!r})
from console.cli.command import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({{m.partition(".")[0] for m in sys.modules}} & {{"sqlalchemy", "matplotlib", "alembic", "numpy"}})
print("loaded:", ",".join(heavy) or "nothing heavy", file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["ticket", "--help"], ["change", "--help"], ["admin", "add-user", "--help"]],
    ids=["version", "help", "ticket-help", "change-help", "add-user-help"],
)
def test_version_and_help_load_no_database_layer(tmp_path: Path, args: list[str]) -> None:
    """--version and --help build every verb's arguments from modules that load neither SQLAlchemy nor matplotlib
    (console.cli.*_args, models.enums); a verb's module loads when it runs."""
    done = python(LOADED_ANY.format(root=str(clock.ROOT)), *args, cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert "loaded: nothing heavy" in done.stderr.splitlines(), done.stderr
    assert ("usage: support-console" if "--help" in args else "support-console 0.") in done.stdout


def test_the_risk_questionnaire_is_read_when_its_help_is_asked_for(tmp_path: Path) -> None:
    done = python(LOADED_ANY.format(root=str(clock.ROOT)), "change", "assess", "--help", cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert "Questions and answers:" in done.stdout  # from console.changes.rules, which the other helps never load
    assert "matplotlib" not in done.stderr


def test_the_models_package_loads_its_tables_on_first_use(tmp_path: Path) -> None:
    code = f"""
import sys
sys.path.append({str(clock.ROOT)!r})
import models
from models import Priority, Role, ChangeStage
print("vocabularies alone:", "sqlalchemy" not in sys.modules)
from models.tickets import Ticket  # a table module imported on its own
from sqlalchemy.orm import configure_mappers
configure_mappers()  # its neighbours, named by string, are loaded first
print("tables:", len(models.metadata.tables), models.User.__tablename__)
"""
    done = python(code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "vocabularies alone: True" in done.stdout
    assert "tables:" in done.stdout
    assert "users" in done.stdout
