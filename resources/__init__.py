"""Icons, style sheet and desktop-integration files, read through importlib.resources."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def path(name: str) -> Path:
    """A resource file's path (resources ship as plain files inside the package)."""
    return Path(str(files(__name__).joinpath(name)))


def text(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
