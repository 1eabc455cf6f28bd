"""GUI tests run headless on Qt's offscreen platform, each on its own copy of the demo workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from console.store.workspace import Workspace
from views.look import apply_look


@pytest.fixture(autouse=True)
def app_look(qapp: QApplication) -> None:
    apply_look(qapp)


@pytest.fixture
def gui_workspace(demo_copy: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(demo_copy)
    workspace.settings.set("sync_automatically", False)  # a test that wants background sync turns it on
    yield workspace
    workspace.close()
