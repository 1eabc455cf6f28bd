"""One vocabulary: the words of a ticket's status, a change's stage and an SLA clock's state are defined in
``console.words`` and nowhere else, and counts of things read as English does."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest

import console
from console import words
from console.words import SLA_STATE_WORDS, STAGE_LABELS, STATUS_LABELS, countdown, counted, word
from models import ChangeStage, Priority, SlaState, TicketStatus

REPO = Path(console.__file__).parent.parent
WORDS = Path(words.__file__)
STATE_ENUMS = {"TicketStatus": TicketStatus, "ChangeStage": ChangeStage, "SlaState": SlaState}
MEMBERS = {name for enum in STATE_ENUMS.values() for name in enum.__members__}
# Modules of the metrics and the report, which another part of issue 17 rewrites: they still say "missed" of a
# clock that passed its due time, and are to take the word from console.words as they are rewritten.


def sources() -> list[Path]:
    return sorted(p for folder in ("console", "views") for p in (REPO / folder).rglob("*.py") if p != WORDS)


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes: prose about the code, not words shown to a person."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def is_state_key(node: ast.AST | None) -> bool:
    """``TicketStatus.IN_PROGRESS``, ``S.DRAFT``, ``SlaState.MISSED``: a member of a state enum."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in {*STATE_ENUMS, "S"}
        and node.attr in MEMBERS
    )


def is_text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def test_every_state_has_its_words() -> None:
    assert set(STATUS_LABELS) == set(TicketStatus)
    assert set(STAGE_LABELS) == set(ChangeStage)
    assert set(SLA_STATE_WORDS) == set(SlaState)
    assert word(TicketStatus.IN_PROGRESS) == "In progress"
    assert word(ChangeStage.AWAITING_APPROVAL) == "Awaiting approval"
    assert word(ChangeStage.SCHEDULED) == "Scheduled for production"
    assert word(Priority.HIGH) == "High"  # as the window's queue and ticket show it
    # one thing, one name: a clock past its due time is breached, running or stopped; never missed or overdue
    assert word(SlaState.BREACHED) == word(SlaState.MISSED) == "breached"
    assert word(SlaState.NOT_TIMED) == "next release"
    assert not {"missed", "overdue", "not timed"} & set(SLA_STATE_WORDS.values())


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (0, "ticket", None, "0 tickets"),
        (1, "ticket", None, "1 ticket"),
        (2, "change", None, "2 changes"),
        (1400, "ticket", None, "1,400 tickets"),
        (1, "breach", "breaches", "1 breach"),
        (3, "breach", "breaches", "3 breaches"),
    ],
)
def test_counted(n: int, noun: str, plural: str | None, said: str) -> None:
    assert counted(n, noun, plural) == said


def test_countdown_says_left_or_overdue() -> None:
    assert countdown(timedelta(hours=3, minutes=12)) == "3h 12m left"
    assert countdown(timedelta(hours=-7, minutes=-2)) == "7h 02m overdue"
    assert countdown(timedelta()) == "0m overdue"


def test_the_words_of_states_are_defined_in_one_module() -> None:
    """No other module maps a status, stage or SLA state to words (a dict, or an item set one by one), writes one
    of their words out itself, or says a clock was "missed" or "not timed"."""
    spelled_out = {w for table in (STATUS_LABELS, STAGE_LABELS, SLA_STATE_WORDS) for w in table.values() if " " in w}
    assert {"In progress", "Awaiting approval", "Scheduled for production", "next release"} <= spelled_out
    retired = re.compile(r"(?<!')\b(missed|not timed)\b(?!')", re.IGNORECASE)  # 'missed' in SQL is a value
    found: list[str] = []
    for path in sources():
        where = str(path.relative_to(REPO))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        for node in ast.walk(tree):
            line = f"{where}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Dict) and any(
                is_state_key(k) and is_text(v) for k, v in zip(node.keys, node.values, strict=True)
            ):
                found.append(f"{line}: words of states in a dict")
            elif isinstance(node, ast.Assign) and is_text(node.value):
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and is_state_key(target.slice):
                        found.append(f"{line}: the word of a state set by hand")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                if node.value in spelled_out:
                    found.append(f"{line}: {node.value!r} written out")
                elif node.value != "missed" and retired.search(node.value):
                    found.append(f"{line}: {node.value!r} (a clock past its due time is breached)")
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    # The check above passes trivially if it sees nothing; make sure each rule does see something.
    tree = ast.parse(
        'LABELS = {S.DRAFT: "Draft"}\nLABELS[ChangeStage.CLOSED] = "Closed"\nx = "Awaiting approval"\n'
        'y = f"{name} missed"\n'
    )
    dicts = [n for n in ast.walk(tree) if isinstance(n, ast.Dict)]
    assert any(is_state_key(k) for k in dicts[0].keys)
    assign = next(n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript))
    assert is_state_key(assign.targets[0].slice)  # type: ignore[attr-defined]
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert {"Awaiting approval", " missed"} <= constants
    assert len(sources()) > 50
