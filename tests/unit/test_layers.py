"""The layers: models/ and console/ run without Qt, and models/ depends on neither of the others."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from collections.abc import Collection, Mapping
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
    import console.journal.audit, console.journal.values, console.tickets.history
    import console.store.secrets, console.store.settings, console.store.clone
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


def imports_of(path: Path, modules: Collection[str] = ()) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved against its package), at the
    top or inside a function. ``from pkg import name`` imports ``pkg.name`` when that is one of ``modules``
    (a submodule), else ``pkg``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(REPO).parts[:-1]  # console/demo/rows.py and console/demo/__init__.py: console.demo
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                names.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
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


VIEWS_DIR = REPO / "views"


def test_views_hold_no_sql_and_open_no_database() -> None:
    """The views read and edit through the desk (console/desk.py): no SQLAlchemy, no engine, no connection."""
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in imports_of(path) if top_level(n) == "sqlalchemy")
        for path in python_files(VIEWS_DIR)
    }
    texts = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in python_files(VIEWS_DIR)}
    by_hand = (".cache()", "with connect(")
    opened = sorted(path for path, text in texts.items() if any(s in text for s in by_hand))
    assert {path: names for path, names in offenders.items() if names} == {}
    assert opened == []


def module_name(path: Path) -> str:
    """console/sync/push.py: console.sync.push; console/demo/__init__.py: console.demo."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Each module of ``folder`` and the modules of ``folder`` it imports (inside functions too)."""
    files = {module_name(path): path for path in python_files(folder)}
    return {name: (imports_of(path, files) & files.keys()) - {name} for name, path in files.items()}


def cycles(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected components of more than one module (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for after in sorted(graph.get(node, ())):
            if after not in order:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], order[after])
        if low[node] == order[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_cycles() -> None:
    # The check below passes trivially if the finder finds nothing; make sure it does find cycles.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a", "f"}, "f": {"e"}, "g": {"g"}}
    assert cycles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    graph = import_graph(CONSOLE_DIR)
    assert "console.demo.catalog" in graph["console.demo.reference"]  # from console.demo import catalog
    assert "console.demo" not in graph["console.demo.reference"]
    assert "console.demo" in graph["console.cli.command"]  # imported inside a function
    assert "console.sync.pull" in graph["console.sync.seed_build"]  # from console.sync.pull import pull


def test_console_has_no_import_cycles() -> None:
    found = cycles(import_graph(CONSOLE_DIR))
    assert found == [], "modules of console/ that import each other round: " + "; ".join(" ↔ ".join(c) for c in found)


# The rooms of console/, lowest first: a room may import the rooms before it, never one after it.
ROOMS = (
    "i18n", "errors", "zone", "words", "rows", "access", "text", "journal", "store", "sla",
    "tickets", "releases", "metrics", "changes", "problems", "knowledge", "imports", "sync", "demo", "desk", "cli",
    "__main__",
)  # fmt: skip


def room_of(module: str) -> str:
    """console.sync.pull: sync; console.desk: desk."""
    return module.split(".")[1]


def upward_arrows(graph: Mapping[str, Collection[str]]) -> list[str]:
    rank = {room: index for index, room in enumerate(ROOMS)}
    return sorted(
        f"{module} → {imported}"
        for module, imports in graph.items()
        if module != "console"
        for imported in imports
        if imported != "console" and rank[room_of(imported)] > rank[room_of(module)]
    )


def test_every_room_of_console_is_in_the_order_and_imports_only_rooms_below_it() -> None:
    graph = import_graph(CONSOLE_DIR)
    assert {room_of(m) for m in graph if m != "console"} == set(ROOMS)
    assert upward_arrows({"console.store.workspace": {"console.sync.client"}}) == [
        "console.store.workspace → console.sync.client"
    ]  # the check can fail
    assert upward_arrows(graph) == []
