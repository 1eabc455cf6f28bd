"""The ``support-console`` command, run in-process and as ``python -m console``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import console
from console.cli.command import build_parser, main
from console.store.settings import SETTINGS
from tests import clock
from tests.conftest import DEMO_TICKETS

DEMO_END = clock.demo_now().strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Cli = Callable[[Sequence[str]], Run]


def in_subprocess(argv: Sequence[str], cwd: Path) -> Run:
    done = subprocess.run(
        [*clock.python_module("console"), *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,  # the installed package, not whatever is in the current folder
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run the command line by calling ``main`` in this process."""

    def run_in_process(argv: Sequence[str]) -> Run:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse exits for --help, --version and usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run_in_process


@pytest.fixture(params=["in-process", "subprocess"])
def cli(request: pytest.FixtureRequest, run_cli: Cli, tmp_path: Path) -> Cli:
    """The command line in-process, then as ``python -m console`` in a fresh process (about a second each)."""
    if request.param == "in-process":
        return run_cli
    return lambda argv: in_subprocess(argv, tmp_path)


def test_version(cli: Cli) -> None:
    run = cli(["--version"])
    assert run.code == 0
    assert run.out.strip() == f"support-console {console.__version__}"


def test_help_lists_the_verbs(cli: Cli) -> None:
    run = cli(["--help"])
    assert run.code == 0
    for verb in ("gui", "demo", "info", "sla", "settings"):
        assert f"    {verb} " in run.out
    assert "SUPPORT_CONSOLE_HOME" in run.out


def test_an_unknown_verb_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    run = cli(["--home", str(tmp_path / "ws"), "frobnicate"])
    assert run.code == 2
    assert run.out == ""
    assert "invalid choice: 'frobnicate'" in run.err
    assert "Try 'support-console --help'" in run.err
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize(
    ("tickets", "message"),
    [
        ("0", "argument --tickets: 0 is out of range: give a whole number from 1 to 1,000,000, e.g. 20000"),
        ("abc", "argument --tickets: 'abc' is not a whole number: give one like 20000"),
    ],
)
def test_demo_refuses_a_bad_ticket_count(cli: Cli, tmp_path: Path, tickets: str, message: str) -> None:
    run = cli(["--home", str(tmp_path / "ws"), "demo", "--tickets", tickets])
    assert run.code == 2
    assert message in run.err
    assert run.out == ""
    assert not (tmp_path / "ws").exists()


def test_demo_refuses_a_bad_date(run_cli: Cli, tmp_path: Path) -> None:
    run = run_cli(["--home", str(tmp_path / "ws"), "demo", "--until", "23/11/2026"])
    assert run.code == 2
    assert "'23/11/2026' is not a day: give year-month-day, e.g. 2026-11-23" in run.err


def test_demo_then_info(run_cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    run = run_cli(["demo", "--tickets", "200", "--home", str(home), "--until", "2026-11-23"])
    assert run.code == 0, run.err
    assert "200 tickets" in run.out
    assert (home / "cache.sqlite3").is_file()
    assert (home / "shared.sqlite3").is_file()

    for info in (
        run_cli(["info", "--json", "--home", str(home)]),
        run_cli(["--home", str(home), "info", "--json"]),
        in_subprocess(["info", "--json", "--home", str(home)], tmp_path),
    ):
        assert info.code == 0, info.err
        facts = json.loads(info.out)
        assert facts["home"] == str(home.resolve())
        assert facts["schema"]["cache"] == facts["schema"]["app"]
        summary = facts["summary"]
        assert summary["tickets"] == 200
        assert sum(summary["tickets_by_status"].values()) == 200
        assert summary["users"] == 60
        assert summary["deployment"]["kind"] == "demo"
        assert summary["deployment"]["until"] == "2026-11-23"
        assert facts["user"]

    text = run_cli(["--home", str(home), "info"])
    assert text.code == 0
    assert "Tickets:    200 " in text.out


def test_info_of_an_empty_workspace(run_cli: Cli, tmp_path: Path) -> None:
    run = run_cli(["--home", str(tmp_path / "ws"), "info", "--json"])
    assert run.code == 0
    facts = json.loads(run.out)
    assert "summary" not in facts
    assert facts["shared"].endswith("shared.sqlite3")
    assert not (tmp_path / "ws" / "cache.sqlite3").exists()


def test_home_comes_from_the_environment(run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_CONSOLE_HOME", str(tmp_path / "from-env"))
    run = run_cli(["info", "--json"])
    assert run.code == 0
    assert json.loads(run.out)["home"] == str((tmp_path / "from-env").resolve())


def test_settings_set_show_and_refuse(run_cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    listing = run_cli(["--home", str(home), "settings"])
    assert listing.code == 0
    assert [line.split(" = ")[0] for line in listing.out.splitlines()] == [s.key for s in SETTINGS]

    assert run_cli(["--home", str(home), "settings", "sync_interval_seconds", "300"]).code == 0
    saved = (home / "settings.json").read_bytes()
    assert json.loads(saved) == {"sync_interval_seconds": 300}
    shown = run_cli(["--home", str(home), "settings", "sync_interval_seconds"])
    assert (shown.code, shown.out.strip()) == (0, "300")

    for too_small in (
        run_cli(["--home", str(home), "settings", "sync_interval_seconds", "5"]),
        in_subprocess(["--home", str(home), "settings", "sync_interval_seconds", "5"], tmp_path),
    ):
        assert too_small.code == 1
        assert "must be at least 10" in too_small.err
        assert too_small.out == ""
        assert (home / "settings.json").read_bytes() == saved

    unknown = run_cli(["--home", str(home), "settings", "colour", "blue"])
    assert unknown.code == 1
    assert "Unknown setting 'colour'" in unknown.err
    assert (home / "settings.json").read_bytes() == saved


def test_a_refused_setting_leaves_a_fresh_workspace_without_settings(run_cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    run = run_cli(["--home", str(home), "settings", "sync_interval_seconds", "5"])
    assert run.code == 1
    assert "must be at least 10" in run.err
    assert not (home / "settings.json").exists()


def test_a_damaged_settings_file_is_reported_not_raised(run_cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "settings.json").write_text("{oops", encoding="utf-8")
    run = run_cli(["--home", str(home), "info"])
    assert run.code == 1
    assert run.err.startswith("support-console: Cannot read the settings file")
    assert str(home / "settings.json") in run.err
    assert "Traceback" not in run.err


def test_sla_show_gives_the_clocks_and_timeline_as_evidence(run_cli: Cli, demo_copy: Path) -> None:
    home = str(demo_copy)
    run = run_cli(["--home", home, "sla", "show", "inc-0000001", "--format", "json", "--now", DEMO_END])
    assert run.code == 0, run.err
    evidence = json.loads(run.out)
    assert [c["clock"] for c in evidence["clocks"]] == ["response", "resolution"]
    assert {c["ticket"] for c in evidence["clocks"]} == {"INC-0000001"}
    kinds = [(e["clock"], e["event"]) for e in evidence["timeline"]]
    assert kinds[:2] == [("response", "start"), ("resolution", "start")]
    assert ("response", "stop") in kinds
    csv_run = run_cli(["--home", home, "sla", "show", "INC-0000001", "--format", "csv", "--now", DEMO_END])
    # the moments in the person's zone (the suite's: UTC), named once in their headings
    header = (
        "Ticket,Clock,State,Target,Business time used,Paused,Left,Due (UTC),Breached at (UTC),Stopped at (UTC),Release"
    )
    assert csv_run.out.splitlines()[0] == header


def test_sla_show_of_an_unknown_ticket_is_a_clear_error(run_cli: Cli, demo_copy: Path) -> None:
    run = run_cli(["--home", str(demo_copy), "sla", "show", "INC-9999999"])
    assert run.code == 1
    assert "No ticket 'INC-9999999'" in run.err


def test_sla_recompute_reports_the_states(run_cli: Cli, demo_copy: Path) -> None:
    run = run_cli(["--home", str(demo_copy), "sla", "recompute", "--now", clock.demo_now().isoformat()])
    assert run.code == 0, run.err
    assert f"Recomputed {DEMO_TICKETS:,} tickets" in run.out
    resolution = next(line for line in run.out.splitlines() if line.strip().startswith("resolution"))
    assert "met" in resolution
    assert "breached" in resolution  # a clock past its due time, stopped or running: one word
    assert "missed" not in resolution
    assert "next release" not in resolution  # Low tickets are judged by the release each is due with


def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every verb's and action's parser under it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += parsers(sub)
    return found


def test_no_parser_guesses_an_option_from_its_first_letters() -> None:
    every = parsers(build_parser())
    assert len(every) > 40  # verbs and their actions: the walk went down
    assert [p.prog for p in every if p.allow_abbrev] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["ticket", "list", "--assig", "emma.haddad"],  # once read as --assignee
        ["ticket", "list", "--lim", "5"],
        ["change", "list", "--search=x", "--form", "json"],
        ["info", "--js"],  # --json
    ],
)
def test_an_abbreviated_option_is_refused(cli: Cli, tmp_path: Path, argv: list[str]) -> None:
    run = cli(["--home", str(tmp_path / "ws"), *argv])
    assert run.code == 2
    assert "unrecognized arguments" in run.err
    assert "Traceback" not in run.err
    assert run.out == ""
    assert not (tmp_path / "ws").exists()
