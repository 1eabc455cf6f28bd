"""The similarity engine's words: Persian typed on any keyboard is one text, stems are prefixes of their words, and
the bulk path (a period's titles at once) says exactly what the one-text path says."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.problems.text import (
    STOP_WORDS,
    Vocabulary,
    normalise,
    paused_gc,
    spelled,
    spellings,
    stem,
    terms,
    tokens,
)

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("كتاب", "کتاب"),  # Arabic kaf
        ("خريد", "خرید"),  # Arabic yeh
        ("على", "علی"),  # alef maksura
        ("مُشکِل", "مشکل"),  # harakat
        ("فوراً", "فورا"),  # tanvin
        ("آیین", "ایین"),  # alef with madda
        ("مسئله", "مسیله"),  # yeh with hamza
        ("خانۀ", "خانه"),  # heh with yeh above
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("بـــانک", "بانک"),  # tatweel
        (f"سفارش{ZWNJ}ها", "سفارش ها"),  # the zero-width non-joiner separates, as FTS5 does
        ("۱۲۳۴۵", "12345"),  # Persian digits
        ("١٢٣", "123"),  # Arabic-Indic digits
        ("Résumé ÉCHEC", "resume echec"),  # Latin accents and case
        ("ＰＯ-４５", "po-45"),  # full width
    ],
)
def test_normalise(typed: str, normalised: str) -> None:
    assert normalise(typed) == normalised


def test_persian_typed_three_ways_is_one_text() -> None:
    persian = f"سفارش{ZWNJ}های خرید ۴۵۱۲۳ در گردش تایید متوقف می{ZWNJ}شود"
    arabic_keyboard = "سفارشهاي خريد 45123 در گردش تاييد متوقف ميشود"
    spaced = "سفارش های خرید ٤٥١٢٣ در گردش تأیید متوقف می شود"
    assert terms(persian) == terms(spaced) == ["سفارش", "خرید", "گردش", "تایید", "متوقف"]
    assert terms(arabic_keyboard)[:5] == ["سفارش", "خرید", "گردش", "تایید", "متوقف"]


def test_terms_drop_stop_words_letters_and_identifiers() -> None:
    assert terms("Journal entry 4711 will not post: period closed") == ["journal", "entr", "post", "period", "clos"]
    assert terms("Report 83458 times out after 10 minutes") == ["report", "tim", "10", "minut"]
    assert terms("گزارش ۸۳۴۵۸ پس از ۱۰ دقیقه متوقف می‌شود") == ["گزارش", "10", "دقیقه", "متوقف"]
    assert terms("Hi team, please help!! It is urgent") == []
    assert terms("ORA-00942 and F5201 on PO4500012345") == ["ora", "f5201", "po4500012345"]
    assert terms("x_y a b 1") == []
    assert terms("") == []


@pytest.mark.parametrize(
    "forms",
    [
        ("post", "posts", "posted", "posting"),
        ("invoice", "invoices", "invoiced", "invoicing"),
        ("entry", "entries"),
        ("match", "matches", "matched", "matching"),
        ("create", "created", "creating"),
        ("سفارش", "سفارشها", "سفارش‌ها", "سفارشهای"),
    ],
)
def test_a_stem_is_a_prefix_of_every_form_it_stands_for(forms: tuple[str, ...]) -> None:
    stems = {t for form in forms for t in terms(form)}
    assert len(stems) == 1
    (common,) = stems
    assert all(normalise(form).replace(" ", "").startswith(common) for form in forms)


def test_words_that_end_like_a_suffix_keep_it() -> None:
    assert stem("process") == "process"
    assert stem("status") == "status"
    assert stem("analysis") == "analysis"
    assert stem("pay") == "pay"  # too short to lose its y
    assert stem("123") == "123"
    assert stem("1234") is None
    assert stem("the") is None
    assert "ان" in STOP_WORDS  # آن, normalised like the text it is compared with


def test_spellings_of_a_term_in_a_raw_index() -> None:
    assert spellings("post") == ["post"]
    assert set(spellings("تایید")) == {"تایید", "تاييد"}
    assert {"بانکی", "بانكي", "بانكى"} <= set(spellings("بانکی"))
    assert {"ایین", "آیین", "ايين"} <= set(spellings("ایین"))
    assert {"اداره", "ادارة", "إدارة"} <= set(spellings("اداره"))
    assert spellings("10") == ["10", "۱۰", "١٠"]
    assert all(len(set(spellings(t))) == len(spellings(t)) for t in ("ایین", "کیک", "10"))


def test_vocabulary_shows_a_term_as_a_word() -> None:
    vocabulary = Vocabulary()
    sets = vocabulary.term_sets(["Invoices posted twice", "Invoice 4711 posted twice", "", "!!"])
    assert sets[0] == sets[1] == frozenset({"invoic", "post", "twic"})
    assert sets[2] == sets[3] == frozenset()
    assert vocabulary.word("invoic") == "invoice"  # the first spelling in sorted order
    assert vocabulary.word("post") == "posted"
    assert vocabulary.word("unknown") == "unknown"


def test_a_term_spelled_as_written() -> None:
    assert spelled("Journal entry 4711 will not post: VAT period closed") == {
        "journal": "journal",  # a capital that only starts the sentence
        "entr": "entry",
        "post": "post",
        "vat": "VAT",  # an acronym's kept
        "period": "period",
        "clos": "closed",
    }
    written = spelled(f"مانده مرخصی پس از تغییر آیین{ZWNJ}نامهٔ مُشکِل")
    assert written["ایین"] == "آیین"
    assert written["مشکل"] == "مُشکِل"  # its marks kept as written
    assert written["نامه"] == "نامهٔ"


def test_the_bulk_path_tolerates_a_nul() -> None:
    assert Vocabulary().term_sets(["bank\x00statement", "payroll run"]) == [
        frozenset({"bank", "statement"}),
        frozenset({"payroll", "run"}),
    ]


TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcdeEfinopstyz 0123456789_-:.,!\t\n")
        + list("سفارشخریدکیيكةۀآأئؤ۰۱۲۳٤٥ًٌُِّـ")
        + [ZWNJ, "\u200f", "é", "Ｐ", "\x00"]
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_the_bulk_path_says_what_one_text_says(texts: list[str]) -> None:
    assert Vocabulary().term_sets(texts) == [frozenset(terms(t)) for t in texts]


@given(TEXT)
def test_terms_are_normalised_tokens(typed: str) -> None:
    found = terms(typed)
    assert len(found) == len(set(found))
    assert all(normalise(t) == t and tokens(t) == [t] for t in found)


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
