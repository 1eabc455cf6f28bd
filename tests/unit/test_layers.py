"""The layers: models/ and console/ run without Qt, and models/ depends on neither of the others."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import console
import models

QT_PACKAGES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
MODELS_DIR = Path(models.__file__).parent
CONSOLE_DIR = Path(console.__file__).parent
REPO = MODELS_DIR.parent

NO_QT = textwrap.dedent(
    """
    import importlib.abc
    import runpy
    import sys

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top in ("PySide6", "shiboken6") or top.startswith("PyQt"):
                raise ImportError(f"Qt is not installed here ({name})")
            return None

    sys.meta_path.insert(0, NoQt())
    for name in [m for m in sys.modules if m.partition(".")[0] in ("PySide6", "shiboken6")]:
        del sys.modules[name]

    try:
        import PySide6  # noqa
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker does not work")

    import models, console, console.cli.command, console.demo
    import console.store.workspace, console.store.database, console.store.summary, console.store.bulk_load
    import console.journal.history, console.store.secrets, console.store.settings, console.store.clone
    import console.metrics.charts, console.metrics.queries, console.metrics.report

    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in ("PySide6", "shiboken6", "views"))
    assert not loaded, loaded

    # What the app does when the window is asked for without Qt: a message, not a traceback.
    code = console.cli.command.main(["--home", sys.argv[1], "gui"])
    print("gui exit", code)

    # The manager's report is written with no display and no Qt (here on an empty workspace).
    code = console.cli.command.main(["--home", sys.argv[1], "report", "--out", sys.argv[1] + "/report.pdf"])
    print("report exit", code)
    assert not [m for m in sys.modules if m.startswith(("matplotlib.backends.backend_qt", "PySide6"))]

    sys.argv = ["support-console", "--help"]
    try:
        runpy.run_module("console", run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        print("help exit", exit_.code)
    """
)


def test_headless_modules_import_and_run_without_qt(tmp_path: Path) -> None:
    script = tmp_path / "no_qt.py"
    script.write_text(NO_QT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: support-console" in done.stdout
    assert "help exit 0" in done.stdout
    assert "gui exit 1" in done.stdout
    assert "report exit 0" in done.stdout
    assert (tmp_path / "ws" / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "The window cannot open" in done.stderr
    assert "Traceback" not in done.stderr


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(REPO).parts[:-1]  # console/demo/rows.py and console/demo/__init__.py: console.demo
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            else:
                names.add(node.module or "")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)  # importlib.import_module("...") counts too
    return names


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def top_level(name: str) -> str:
    return name.partition(".")[0]


def test_the_import_scanner_sees_imports() -> None:
    # The checks below pass trivially if the scanner finds nothing; make sure it does find things.
    assert "sqlalchemy" in {top_level(n) for n in imports_of(MODELS_DIR / "base.py")}
    assert "models.base" in imports_of(MODELS_DIR / "tickets.py")
    assert "views.app" in imports_of(CONSOLE_DIR / "cli" / "command.py")  # loaded by name, on demand
    assert "console.demo.rows" in imports_of(CONSOLE_DIR / "demo" / "tickets.py")
    assert len(python_files(MODELS_DIR)) >= 10
    assert len(python_files(CONSOLE_DIR)) >= 15


@pytest.mark.parametrize("folder", [MODELS_DIR, CONSOLE_DIR], ids=["models", "console"])
def test_no_qt_imports(folder: Path) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in imports_of(path) if top_level(n) in QT_PACKAGES)
        for path in python_files(folder)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_models_import_nothing_from_console_or_views() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in imports_of(path) if top_level(n) in ("console", "views"))
        for path in python_files(MODELS_DIR)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_console_reaches_views_only_by_name_in_the_command_line() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in imports_of(path) if top_level(n) == "views")
        for path in python_files(CONSOLE_DIR)
    }
    assert {path: names for path, names in offenders.items() if names} == {"console/cli/command.py": ["views.app"]}
