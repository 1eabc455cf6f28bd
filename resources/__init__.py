"""Icons, style sheet and desktop-integration files, read through importlib.resources."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

APP_ID = "org.example.SupportConsole"
"""The app's desktop id: the name of its .desktop entry and AppStream metainfo file (``APP_ID.desktop``,
``APP_ID.metainfo.xml``) and of its icon once installed; on Wayland, the window's app id."""


def path(name: str) -> Path:
    """A resource file's path (resources ship as plain files inside the package)."""
    return Path(str(files(__name__).joinpath(name)))


def text(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
