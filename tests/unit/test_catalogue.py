"""The catalogue: every text a person reads is translated in Persian and Arabic, with the same placeholders and
every plural form, and each language switches what the code says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from console import i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("console", "views")
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "p_": ((1, "c"), 2)}
PLURALS = {"fa": 2, "ar": 6}
# {name}, {0}, {n:,}, %s, %(name)s, %d: a placeholder as str.format and %-formatting write them.
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([a-z_]+\))?[sdif]")

Key = tuple[str | None, str]  # (context, message)


def extracted() -> dict[Key, tuple[str | tuple[str, ...], str]]:
    """Every marked text of the code: its key, its message (singular and plural) and where it is."""
    found: dict[Key, tuple[str | tuple[str, ...], str]] = {}
    for folder in SOURCES:
        for filename, line, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            singular = message if isinstance(message, str) else message[0]
            found[(context, singular)] = (message, f"{folder}/{filename}:{line}")
    return found


def catalogue(code: str) -> Catalog:
    path = i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def problems(code: str) -> Iterator[str]:
    book = catalogue(code)
    for (context, singular), (message, where) in sorted(extracted().items(), key=lambda kv: kv[1][1]):
        entry = book.get(singular, context=context)
        if entry is None or entry.fuzzy:
            yield f"{where}: {singular!r} is not translated{' (fuzzy)' if entry else ''}"
            continue
        sources = [message] if isinstance(message, str) else list(message)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
        if isinstance(message, tuple) and len(strings) != PLURALS[code]:
            yield f"{where}: {singular!r} has {len(strings)} plural forms, not {PLURALS[code]}"
        for text in strings:
            if not text.strip():
                yield f"{where}: {singular!r} has an empty translation"
            elif placeholders(text) != placeholders(sources[-1]) and placeholders(text) != placeholders(sources[0]):
                yield f"{where}: {singular!r} → {text!r}: placeholders differ"


@pytest.mark.parametrize("code", sorted(PLURALS))
def test_every_text_a_person_reads_is_translated_with_the_same_placeholders(code: str) -> None:
    missing = list(problems(code))
    assert not missing, f"{len(missing)} texts in {code}:\n" + "\n".join(missing[:40])


# Which plural form a count takes (CLDR): Persian the singular for 0 and 1; Arabic zero, one, two, few (3-10),
# many (11-99) and other (100-102…).
FORM_OF = {
    "fa": {0: 0, 1: 0, 2: 1, 5: 1, 101: 1},
    "ar": {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 11: 4, 99: 4, 100: 5, 102: 5, 103: 3, 111: 4},
}


@pytest.mark.parametrize("code", sorted(PLURALS))
def test_each_language_counts_with_its_own_plural_forms(code: str) -> None:
    book = catalogue(code)
    assert book.num_plurals == PLURALS[code]
    compiled = i18n.catalogue(code)
    assert {n: compiled.plural(n) for n in FORM_OF[code]} == FORM_OF[code]  # type: ignore[attr-defined]
    counted = [(m.id, m.string) for m in book if isinstance(m.id, tuple) and isinstance(m.string, tuple)]
    assert counted, "no text with plural forms in the catalogue"
    (singular, plural, *_rest), forms = counted[0]
    i18n.choose(code)
    try:
        for n, form in FORM_OF[code].items():
            assert i18n.n_(singular, plural, n) == forms[form]
    finally:
        i18n.choose("en")


def test_the_language_of_the_session_is_chosen_by_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert i18n.resolve("auto") == "en"
    monkeypatch.setenv("LANG", "fa_IR.UTF-8")
    assert i18n.resolve("auto") == "fa"
    monkeypatch.setenv("LC_ALL", "ar_AE.UTF-8")
    assert i18n.resolve("") == "ar"
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    assert i18n.resolve("auto") == "en"
    assert i18n.resolve("FA") == "fa"
    with pytest.raises(ValueError, match="fr"):
        i18n.resolve("fr")
