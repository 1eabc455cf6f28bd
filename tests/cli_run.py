"""The command line run in the test's process, as a person types it: its exit code and what it printed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from console.cli.command import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse exits for usage errors
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run_at(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> Run:
    """``support-console --home HOME ARGV…``."""
    return run(capsys, "--home", str(home), *argv)
