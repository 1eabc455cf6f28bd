"""Bad input gets a clear word and changes nothing: text that is not text, settings out of range."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from console.cli.command import main
from console.store import database
from console.store.database import make_engine
from models import NumberBlock, Ticket

NOT_UTF8 = "Bank file \udced\udca0\udc80 rejected"  # bytes ED A0 80 as a terminal hands them over (surrogateescape)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def counts(home: Path) -> tuple[int, int]:
    """Tickets, and numbers handed out of the workspace's blocks."""
    engine = make_engine(f"sqlite:///{home / 'cache.sqlite3'}")
    try:
        with engine.connect() as conn:
            tickets = conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
            used = conn.execute(select(func.sum(NumberBlock.next_free - NumberBlock.first))).scalar_one()
    finally:
        engine.dispose()
    return int(tickets), int(used or 0)


def test_a_title_that_is_not_text_is_refused_and_uses_no_number(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(demo_copy)
    code, said = run(["--home", str(demo_copy), "ticket", "new", "--title", NOT_UTF8, "--module", "FIN",
                      "--unit", "DXB-HQ"], capsys)  # fmt: skip
    assert code == 1
    assert "not UTF-8" in said
    assert "Traceback" not in said
    assert counts(demo_copy) == before


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("user", "maryam\udcff", "not UTF-8"),
        ("sync_interval_seconds", "3000000", "at most 86,400"),  # a Qt timer of 3,000,000 s overflows
        ("compliance_target_percent", "150", "at most 100"),
        ("breach_horizon_hours", "0", "at least 1"),
        ("language", "fr", "not one of en, fa, ar, auto"),
        ("user", "nobody.here", "No user 'nobody.here' in this workspace"),
    ],
)
def test_a_setting_out_of_range_or_not_text_is_refused_and_the_file_is_untouched(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], key: str, value: str, words: str
) -> None:
    settings = demo_copy / "settings.json"
    before = settings.read_bytes()
    code, said = run(["--home", str(demo_copy), "settings", key, value], capsys)
    assert code == 1
    assert words in said
    assert "Traceback" not in said
    assert settings.read_bytes() == before
    assert not settings.with_suffix(".json.tmp").exists()
    assert key not in json.loads(before) or json.loads(before)[key] != value


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS])
def test_settings_on_a_full_disk_or_a_read_only_folder_are_a_clear_word_and_leave_nothing_behind(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, error: int
) -> None:
    settings = demo_copy / "settings.json"
    before = settings.read_bytes()
    real_replace = os.replace

    def failing(source: Any, target: Any) -> None:
        if str(target) == str(settings):
            raise OSError(error, os.strerror(error))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing)
    code, said = run(["--home", str(demo_copy), "settings", "sync_interval_seconds", "60"], capsys)
    assert code == 1
    assert f"could not be written in {demo_copy}" in said
    assert os.strerror(error) in said
    assert "Traceback" not in said
    assert settings.read_bytes() == before
    assert not settings.with_suffix(".json.tmp").exists()


def test_a_full_disk_under_the_cache_is_a_clear_word_and_changes_nothing(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(demo_copy)
    pages = os.path.getsize(demo_copy / "cache.sqlite3") // 4096
    # SQLite's own cap on the file: every write past it fails as on a full disk (SQLITE_FULL).
    monkeypatch.setattr(database, "SQLITE_PRAGMAS", (*database.SQLITE_PRAGMAS, f"PRAGMA max_page_count={pages}"))
    code, said = run(["--home", str(demo_copy), "ticket", "new", "--title", "Bank file rejected", "--module", "FIN",
                      "--unit", "DXB-HQ"], capsys)  # fmt: skip
    assert code == 1, said
    assert "could not be written (the disk is full" in said
    assert "Traceback" not in said
    monkeypatch.undo()
    assert counts(demo_copy) == before
