"""GUI tests run headless on Qt's offscreen platform, each on its own copy of a demo workspace."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from console.demo import DemoSpec, create_demo
from console.workspace import Workspace
from views.app import apply_look


@pytest.fixture(autouse=True)
def app_look(qapp: QApplication) -> None:
    apply_look(qapp)


@pytest.fixture(scope="session")
def gui_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("gui-demo-template")
    create_demo(Workspace.open(home), DemoSpec(tickets=400, seed=11, until=date(2026, 11, 23)))
    return home


@pytest.fixture
def gui_workspace(gui_demo_template: Path, tmp_path: Path) -> Iterator[Workspace]:
    home = tmp_path / "home"
    shutil.copytree(gui_demo_template, home)
    workspace = Workspace.open(home)
    yield workspace
    workspace.close()
