"""The desktop entry and the AppStream metainfo pass their validators, agree with each other and ship in the
package. The validators come from Debian's desktop-file-utils and appstream (.ci/run installs them): where one
is missing the test is skipped with the reason, except under CI=true, where it fails."""

from __future__ import annotations

import fnmatch
import os
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

import pytest

import console
import resources

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / f"{resources.APP_ID}.desktop"
METAINFO = ROOT / "resources" / f"{resources.APP_ID}.metainfo.xml"
PACKAGES = {"desktop-file-validate": "desktop-file-utils", "appstreamcli": "appstream"}


def validator(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        why = f"{tool} is not installed (Debian package {PACKAGES[tool]}; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why}: required when CI=true", pytrace=False)
        pytest.skip(why)
    return found


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}"


def test_the_desktop_entry_passes_desktop_file_validate() -> None:
    run(validator("desktop-file-validate"), str(DESKTOP))


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    run(validator("appstreamcli"), "validate", "--no-net", "--explain", str(METAINFO))


def desktop_entry() -> dict[str, str]:
    parser = ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_metainfo_names_the_entry_the_release_and_screenshots_that_exist() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == resources.APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("name") == desktop_entry()["Name"]
    assert next(r.get("version") for r in root.iter("release")) == console.__version__  # the newest first
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    binaries = {b.text for b in root.iter("binary")}
    assert binaries == set(scripts["scripts"]) | set(scripts["gui-scripts"])
    assert desktop_entry()["Exec"] in scripts["gui-scripts"]  # the window, started by its fast launcher
    assert desktop_entry()["Icon"] == resources.APP_ID
    images = list(root.iter("image"))
    assert images
    for image in images:  # each published screenshot is one of docs/, at its real size
        shot = ROOT / "docs" / (image.text or "").rsplit("/", 1)[-1]
        assert shot.exists(), image.text
        assert png_size(shot) == (int(image.get("width", 0)), int(image.get("height", 0))), shot.name


def test_every_resource_file_is_in_the_package_data() -> None:
    """Package data listed by pattern: a file no pattern names (a new kind) would be missing from an install."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]["resources"]
    folder = ROOT / "resources"
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    unlisted = [f for f in files if f != "__init__.py" and not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert unlisted == []
