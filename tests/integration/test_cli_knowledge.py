"""``support-console kb``: an article written, edited, reviewed, published by its reviewer (never its author), rated,
read in words, found (Persian typed on an Arabic keyboard too), exported and retired with a reason, through the
real entry point on a copy of the demo; and bad input refused in one line with nothing changed."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from tests import clock
from tests.cli_run import Run
from tests.cli_run import run_at as cli
from tests.conftest import copy_workspace

ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
BODY = "# Reopen a closed period\n\n1. Open **Periods** (FI-GL).\n2. Select the period and press *Reopen*.\n"
PERSIAN_TITLE = "بستن دوره مالی و بازگشایی آن"  # Persian yeh (ی)
ARABIC_KEYBOARD = "مالي"  # the same word typed with Arabic yeh (ي)


def refused(run: Run, says: str) -> None:
    """A clear message: one line on stderr that says why, exit code 1, no traceback, nothing on stdout."""
    assert run.code == 1, run
    assert run.out == ""
    assert "Traceback" not in run.err
    assert run.err.startswith("support-console: "), run.err
    assert run.err.count("\n") == 1, run.err
    assert says in run.err, run.err


def read(home: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{home / 'cache.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute(query, params).fetchall()


def logins(home: Path, role: str) -> list[str]:
    return [str(r[0]) for r in read(home, "SELECT login FROM users WHERE role = ? AND active ORDER BY login", role)]


def state(home: Path) -> list[object]:
    """What a refused command must leave as it was: the articles, their texts, votes, history and the outbox."""
    tables = ("knowledge_articles", "article_versions", "article_feedback", "audit_events", "outbox")
    counts = [read(home, f"SELECT count(*) FROM {table}")[0][0] for table in tables]
    return [*counts, read(home, "SELECT * FROM knowledge_articles ORDER BY number")]


def test_the_command_line_writes_reviews_publishes_rates_shows_finds_and_exports_articles(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = demo_copy
    author, reviewer = logins(home, "functional_consultant")[:2]
    analyst = logins(home, "service_desk_analyst")[0]
    body_file = tmp_path / "period.md"
    body_file.write_text(BODY, encoding="utf-8")

    written = cli(capsys, home, "kb", "--as", author, "new", "--title", "Reopen a closed posting period",
                  "--body-file", str(body_file), "--module", "FIN", "--audience", "tier0")  # fmt: skip
    assert written.code == 0, written.err
    number = written.out.split()[0]
    assert number.startswith("KB-")
    assert "draft" in written.out

    edited = cli(capsys, home, "kb", "edit", number, "--body", BODY + "3. Post the entry again.\n", "--as", author)
    assert edited.code == 0, edited.err
    assert "version 2" in edited.out
    assert read(home, "SELECT count(*) FROM article_versions JOIN knowledge_articles k ON k.id = article_id "
                      "WHERE k.number = ?", number)[0][0] == 2  # fmt: skip

    reviewing = cli(capsys, home, "kb", "review", number, "--reviewer", reviewer, "--as", author)
    assert reviewing.code == 0, reviewing.err
    assert "in review" in reviewing.out

    before = state(home)
    refused(cli(capsys, home, "kb", "publish", number, "--as", author), "published by its reviewer")
    assert state(home) == before

    started = clock.now().replace(microsecond=0)  # JSON carries whole seconds
    published = cli(capsys, home, "kb", "--as", reviewer, "publish", number)
    assert published.code == 0, published.err
    assert f"{number} is published" in published.out
    assert cli(capsys, home, "kb", "rate", number, "--helpful", "--as", analyst).code == 0

    shown = cli(capsys, home, "kb", "show", number)
    assert shown.code == 0, shown.err
    for said in ("Published", "End users (tier 0)", "English", "FIN", "In review", "Helpful", "**Periods** (FI-GL)",
                 "3. Post the entry again."):  # fmt: skip
        assert said in shown.out, said
    assert not re.search(r"\b(published|in_review|tier0|internal)\b", shown.out)  # words, never enum values
    assert not ISO_MOMENT.search(shown.out)  # moments in the person's zone, not ISO 8601
    as_json = json.loads(cli(capsys, home, "kb", "show", number, "--format", "json").out)
    article = as_json["article"]
    assert (article["status"], article["audience"], article["version"], article["helpful"]) == (
        "Published", "End users (tier 0)", 2, 1)  # fmt: skip
    assert article["body"] == BODY.rstrip("\n") + "\n3. Post the entry again."
    assert started <= datetime.fromisoformat(article["published_at"]) <= clock.now()
    assert [v["version"] for v in as_json["versions"]] == [2, 1]
    first = cli(capsys, home, "kb", "show", number, "--version", "1")
    assert first.code == 0
    assert "**Periods**" in first.out
    assert "Post the entry again" not in first.out

    found = cli(capsys, home, "kb", "search", "posting period", "--format", "json")
    assert number in [a["number"] for a in json.loads(found.out)["articles"]]
    persian = cli(capsys, home, "kb", "--as", author, "new", "--title", PERSIAN_TITLE, "--body", "دوره را باز کنید.",
                  "--language", "fa")  # fmt: skip
    assert persian.code == 0, persian.err
    by_arabic_keyboard = cli(capsys, home, "kb", "search", ARABIC_KEYBOARD, "--format", "csv")
    assert persian.out.split()[0] in by_arabic_keyboard.out
    assert PERSIAN_TITLE in by_arabic_keyboard.out

    page = tmp_path / "tier0.html"
    exported = cli(capsys, home, "kb", "export", "--tier0", "--out", str(page))
    assert exported.code == 0, exported.err
    assert number in page.read_text(encoding="utf-8")
    pdf = tmp_path / "period close.pdf"
    assert cli(capsys, home, "kb", "export", number, "--out", str(pdf)).code == 0
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    assert number in reader.pages[0].extract_text()

    before = state(home)
    refused(cli(capsys, home, "kb", "retire", number, "--as", reviewer), "Say why")
    assert state(home) == before
    retired = cli(capsys, home, "kb", "retire", number, "--reason", "Replaced by the period-close guide")
    assert retired.code == 0, retired.err
    assert f"{number} is retired" in retired.out
    history = json.loads(cli(capsys, home, "kb", "show", number, "--format", "json").out)["history"]
    assert history[-1]["reason"] == "Replaced by the period-close guide"
    assert (history[-1]["from"], history[-1]["to"]) == ("Published", "Retired")


def test_bad_input_is_refused_in_one_line_and_changes_nothing(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = demo_copy
    author = logins(home, "functional_consultant")[0]
    draft = str(read(home, "SELECT number FROM knowledge_articles WHERE status = 'draft' ORDER BY number")[0][0])
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("Café au lait: the vendor's name".encode("latin-1"))
    before = state(home)

    for search in ('"; DROP TABLE knowledge_articles; --', "NEAR(posting period) OR * ^ col:title", "*** ^^^ )("):
        found = cli(capsys, home, "kb", "search", search)
        assert (found.code, found.out, found.err) == (0, "No articles match.\n", ""), found
    refused(cli(capsys, home, "kb", "show", "KB-9999999"), "No article 'KB-9999999'")
    refused(cli(capsys, home, "kb", "publish", "kb-9999999"), "No article 'KB-9999999'")
    new = ("kb", "--as", author, "new", "--title")
    refused(cli(capsys, home, *new, "Period", "--body-file", str(tmp_path / "missing.md")), "Cannot read")
    refused(cli(capsys, home, *new, "Period", "--body-file", str(latin1)), "is not UTF-8 text")
    refused(cli(capsys, home, *new, "x" * 10_000, "--body", "Text"), "10,000 characters long")
    refused(cli(capsys, home, "kb", "edit", draft, "--title", "y" * 10_000, "--as", author), "10,000 characters long")
    refused(cli(capsys, home, "kb", "edit", draft, "--module", "NOPE", "--as", author), "No ERP module 'NOPE'")
    refused(cli(capsys, home, "kb", "edit", draft, "--as", author), "Nothing to change")
    refused(cli(capsys, home, "kb", "rate", draft, "--helpful"), "only a published article is rated")
    refused(cli(capsys, home, "kb", "export", draft, "--out", str(tmp_path / "x.pdf")), "not published")
    refused(cli(capsys, home, "kb", "export", "--out", str(tmp_path / "x.pdf")), "--tier0")
    assert not (tmp_path / "x.pdf").exists()
    assert state(home) == before


# What a hostile or careless argument looks like (as tests/integration/test_cli_fuzz.py feeds the other verbs).
ODD = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.binary(max_size=20).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(
        [
            '"; DROP TABLE knowledge_articles; --',
            "NEAR(a b)",
            "* OR ^",
            "",
            " ",
            "\u202e",
            "-1",
            "KB-0000001' OR 1=1 --",
            "a" * 5000,
            "\x1b[31m",
            "مالي",
        ]
    ),
)
NUMBER = st.one_of(ODD, st.sampled_from(["KB-0000001", "kb-0000004", "KB-0000005", "KB-9999999"]))
Draw = Callable[[st.SearchStrategy[Any]], Any]


def kb_verbs(out: Path) -> list[Callable[[Draw], list[str]]]:
    def search(draw: Draw) -> list[str]:
        return ["kb", "search", "--", draw(ODD)]

    def listing(draw: Draw) -> list[str]:
        return ["kb", "search", "--module", draw(ODD), "--format", draw(st.sampled_from(["table", "csv", "json"]))]

    def show(draw: Draw) -> list[str]:
        return ["kb", "show", draw(NUMBER), "--version", draw(ODD)]

    def new(draw: Draw) -> list[str]:
        return ["kb", "new", "--title", draw(ODD), "--body", draw(ODD), "--module", draw(ODD), "--problem", draw(ODD)]

    def edit(draw: Draw) -> list[str]:
        return ["kb", "edit", draw(NUMBER), "--title", draw(ODD), "--reviewer", draw(ODD)]

    def move(draw: Draw) -> list[str]:
        verb = draw(st.sampled_from(["review", "publish", "retire", "revise"]))
        return ["kb", verb, draw(NUMBER), *(["--reason", draw(ODD)] if verb in ("retire", "revise") else [])]

    def rate(draw: Draw) -> list[str]:
        return ["kb", "rate", draw(NUMBER), draw(st.sampled_from(["--helpful", "--not-helpful"]))]

    def export(draw: Draw) -> list[str]:
        name = f"kb{draw(st.sampled_from(['.pdf', '.html', '.txt', '']))}"
        return ["kb", "export", draw(NUMBER), "--out", str(out / name)]

    return [search, listing, show, new, edit, move, rate, export]


def test_every_kb_verb_answers_random_input_with_words_and_changes_nothing_when_refused(
    demo_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = copy_workspace(demo_home, tmp_path / "fuzz")
    out = tmp_path / "out"
    out.mkdir()
    makers = kb_verbs(out)

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.data())
    def one(data: st.DataObject) -> None:
        argv = data.draw(st.sampled_from(makers))(data.draw)
        before = state(home)
        run = cli(capsys, home, *argv)
        assert run.code in (0, 1, 2), (argv, run)
        assert "Traceback" not in run.err + run.out, (argv, run.err[-3000:])
        if run.code != 0:
            assert run.err.strip(), (argv, "a refusal says why")
            assert state(home) == before, (argv, "a refused verb changed the cache")

    one()
