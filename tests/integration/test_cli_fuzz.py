"""Every verb of the command line, fed random text, bytes, numbers and dates in every argument: it answers with
exit code 0, 1 or 2 and words (never a traceback), and the cache changes only when the verb says it did."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cli.command import main
from tests.conftest import copy_workspace

# What a hostile or careless argument looks like: any Unicode (surrogates, controls, right-to-left marks), bytes a
# terminal in another encoding hands over (surrogateescape), SQL, huge numbers, dates that are not dates.
ODD = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.binary(max_size=20).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(
        [
            "'; DROP TABLE tickets; --",
            "%",
            "_",
            "\\",
            "INC-0000001' OR 1=1 --",
            "",
            " ",
            "\u202e",
            "-1",
            "0",
            "999999999999999999999",
            "1e309",
            "NaN",
            "2026-02-30",
            "2026-11-23T25:61",
            "1999-12-31",
            "2101-01-01",
            '=HYPERLINK("x")',
            "a" * 5000,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
NUMBER = st.one_of(ODD, st.sampled_from(["INC-0000001", "INC-0000002", "CHG-0000001", "inc-0000003"]))
CODE = st.one_of(ODD, st.sampled_from(["FIN", "DXB-HQ", "fin", "LON-GS"]))
Draw = Callable[[st.SearchStrategy[Any]], Any]  # what data.draw is
TABLES = ("tickets", "comments", "audit_events", "outbox", "change_requests", "change_approvals", "releases")


def verbs(out: Path) -> list[Callable[[Draw], list[str]]]:
    """Each verb with random values in the places a person types."""

    def ticket_list(draw: Draw) -> list[str]:
        return ["ticket", "list", "--search", draw(ODD), "--unit", draw(CODE), "--limit", draw(ODD),
                "--breaching", draw(ODD), "--format", draw(st.sampled_from(["table", "csv", "json"]))]  # fmt: skip

    def ticket_show(draw: Draw) -> list[str]:
        return ["ticket", "show", draw(NUMBER)]

    def ticket_new(draw: Draw) -> list[str]:
        return ["ticket", "new", "--title", draw(ODD), "--unit", draw(CODE), "--module", draw(CODE)]

    def ticket_note(draw: Draw) -> list[str]:
        return ["ticket", "note", draw(NUMBER), draw(ODD)]

    def ticket_set(draw: Draw) -> list[str]:
        return ["ticket", "set", draw(NUMBER), "--assignee", draw(ODD), "--tier", draw(ODD), "--reason", draw(ODD)]

    def sla_show(draw: Draw) -> list[str]:
        return ["sla", "show", draw(NUMBER), "--now", draw(ODD)]

    def report(draw: Draw) -> list[str]:
        return ["report", "--out", str(out / f"r{draw(st.sampled_from(['.pdf', '.csv', '.png', '.txt', '']))}"),
                "--from", draw(ODD), "--to", draw(ODD), "--unit", draw(CODE)]  # fmt: skip

    def change_list(draw: Draw) -> list[str]:
        return ["change", "list", "--search", draw(ODD)]

    def change_show(draw: Draw) -> list[str]:
        return ["change", "show", draw(NUMBER)]

    def settings_set(draw: Draw) -> list[str]:
        key = draw(st.sampled_from(["sync_interval_seconds", "compliance_target_percent", "time_zone", "language",
                                    "user", "shared_url", "breach_horizon_hours", "nonsense"]))  # fmt: skip
        return ["settings", key, draw(ODD)]

    def release(draw: Draw) -> list[str]:
        return ["release", "list", "--module", draw(CODE)]

    return [ticket_list, ticket_show, ticket_new, ticket_note, ticket_set, sla_show, report, change_list,
            change_show, settings_set, release]  # fmt: skip


def fingerprint(home: Path) -> str:
    """The cache's rows that a verb could change, and the settings file."""
    digest = hashlib.sha256((home / "settings.json").read_bytes())
    db = sqlite3.connect(f"file:{home / 'cache.sqlite3'}?mode=ro", uri=True)
    try:
        for table in TABLES:
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1"):
                digest.update(repr(row).encode("utf-8", "surrogatepass"))
    finally:
        db.close()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def fuzz_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_workspace(demo_home, tmp_path_factory.mktemp("fuzz") / "home")


def test_every_verb_answers_random_input_with_words_and_changes_only_what_it_says(
    fuzz_home: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path_factory.mktemp("fuzz-out")
    makers = verbs(out)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.data())
    def one(data: st.DataObject) -> None:
        maker: Callable[[Draw], list[str]] = data.draw(st.sampled_from(makers))
        argv = maker(data.draw)
        before = fingerprint(fuzz_home)
        capsys.readouterr()
        try:
            code = main(["--home", str(fuzz_home), *argv])
        except SystemExit as exit_:  # argparse: usage errors (2), --help (0)
            code = exit_.code if isinstance(exit_.code, int) else 1
        said = capsys.readouterr()
        assert code in (0, 1, 2), (argv, code, said.err[-2000:])
        assert "Traceback" not in said.err + said.out, (argv, said.err[-3000:])
        if code != 0:
            assert said.err.strip(), (argv, "a refusal says why")
            assert fingerprint(fuzz_home) == before, (argv, "a refused verb changed the cache")
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(exist_ok=True)

    one()
