"""Where a workspace lives: ``--home``, else ``SUPPORT_CONSOLE_HOME``, else the user data folder.

Standard library and platformdirs only, so the window's first screen can find the workspace
before the database layer is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

HOME_ENV = "SUPPORT_CONSOLE_HOME"
APP_NAME = "support-console"


def default_home() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_home(home: str | os.PathLike[str] | None, environ: Mapping[str, str] = os.environ) -> Path:
    if home:
        return Path(home).expanduser().resolve()
    if environ.get(HOME_ENV):
        return Path(environ[HOME_ENV]).expanduser().resolve()
    return default_home()
