"""Words as the similarity engine compares them, in English and Persian (and the Arabic a Persian keyboard meets).

One rule for both features (problem candidates and suggestions), for what is stored and for what is being typed:

- **normalised**: compatibility forms folded (NFKD: presentation forms, full-width letters, ligatures), every
  combining mark dropped (Latin accents: ``résumé`` is ``resume``; Arabic harakat and tanvin, the madda and
  hamza above: ``مُشکِل`` is ``مشکل``, ``آ`` and ``أ`` are ``ا``), the tatweel dropped, case folded; the Arabic
  letters a Persian text is often typed with are the Persian ones (``ي ى ئ`` → ``ی``, ``ك`` → ``ک``, ``ة ە`` →
  ``ه``); Persian and Arabic-Indic digits are ASCII digits (``۱۰`` is ``10``); the zero-width non-joiner and
  joiner and direction marks separate words, as SQLite's FTS5 ``unicode61`` tokenizer separates them
  (``سفارش‌ها`` is ``سفارش ها``).
- **tokens**: runs of letters and digits of that text.
- **terms**: the tokens that say something, each reduced to a stem that is a prefix of every form it stands
  for (``posting``, ``posted``, ``posts`` → ``post``; ``invoices``, ``invoiced`` → ``invoic``; ``سفارشها`` →
  ``سفارش``), so a stem also works as an FTS5 prefix query on text indexed as it was typed. Dropped: stop
  words of English, Persian and Arabic (and a few greetings of support mail), single characters, and numbers of
  four digits or more (document numbers, amounts, times: they tell one incident from the next, not one
  problem from another). Short numbers stay (``10`` minutes, error ``404``).

Standard library only. The bulk path (:class:`Vocabulary`) normalises a whole period's titles as one string and
stems each distinct word once, so a hundred thousand titles cost a few hundred milliseconds, not seconds.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

# ---- normalising ----------------------------------------------------------------------------------------------

_MARKS = re.compile(
    "["
    + "".join(
        re.escape(chr(c))
        for c in range(0x300, 0x10000)
        if unicodedata.category(chr(c)) == "Mn" and not 0xD800 <= c < 0xE000
    )
    + "\u0640"  # tatweel (kashida): a stretch of the line, not a letter
    + "]+"
)
# Letters folded after NFKD (which has already turned آ أ إ ؤ ئ ۀ into their base letter and a mark).
_LETTERS = (("ي", "ی"), ("ى", "ی"), ("ك", "ک"), ("ة", "ه"), ("ە", "ه"), ("ٱ", "ا"))
_DIGITS = tuple((chr(base + d), str(d)) for base in (0x06F0, 0x0660) for d in range(10))
# Zero-width (non-)joiners, direction marks and the like separate words here (and in FTS5's unicode61).
_SEPARATORS = ("\u200c", "\u200d", "\u200e", "\u200f", "\u200b", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff")
_FOLDS = _LETTERS + _DIGITS + tuple((s, " ") for s in _SEPARATORS)
_WORD = re.compile(r"[^\W_]+")
# What is no part of a term, in bulk: all but letters and digits (a NUL separates texts joined for one pass).
_NOT_WORD = re.compile(r"[^\w\x00]+|_+")


def normalise(text: str) -> str:
    """``text`` folded as described above (words, spaces and punctuation kept where they were)."""
    folded = _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()
    if not folded.isascii():
        for old, new in _FOLDS:
            folded = folded.replace(old, new)
    return folded


def tokens(text: str) -> list[str]:
    """The normalised words of ``text``, in order."""
    return _WORD.findall(normalise(text))


# ---- terms -----------------------------------------------------------------------------------------------------

_ENGLISH_STOP = """
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing done down during each even ever every few for from further get gets
got had has have having he her here hers him his how i if in into is it its itself just let may me might more
most much must my no nor not now of off on once only or other our ours out over own same shall she should so
since some still such than that the their them then there these they this those through to too under until up upon
us very via was we were what when where whether which while who whom why will with within without would yet
you your yours cannot cant dont doesnt didnt isnt wont wasnt arent hasnt havent couldnt shouldnt wouldnt im
ive id ill thats theres
hi hello dear please pls kindly thanks thank regards urgent asap help team sir madam
"""
_PERSIAN_STOP = """
و در به از که این آن با را برای است هست هستند نیست بود بوده باشد باشند شد شده شود شوند میشود نمیشود می نمی ها
های هایی یک یکی تا بر هم نیز ولی اما یا اگر پس چون چه چرا باید نباید نه هر همه همین همان دیگر کرد کرده کند کنند
کنید کنیم کردن کردم داشت دارد دارند ندارد داریم خود ما من شما او آنها ایشان بین روی زیر پیش بعد قبل درباره طی
ای ی اینکه آنکه وجود توسط بدون مورد سلام لطفا لطفاً باسلام احتراما ممنون متشکرم تشکر فوری
"""
_ARABIC_STOP = """
في من على إلى الى عن مع هذا هذه ذلك تلك التي الذي الذين هو هي هم كان كانت يكون لا لم لن ما ماذا قد كل بعد قبل
عند او أو ثم حتى اذا إذا ان أن إن بين ايضا أيضا غير عليه فيه منه
"""
STOP_WORDS = frozenset(tokens(_ENGLISH_STOP + _PERSIAN_STOP + _ARABIC_STOP))
"""Stop words, normalised (``آن`` is stored as ``ان``, ``لطفاً`` as ``لطفا``)."""

_ENGLISH_SUFFIXES = ("ies", "ied", "ing", "ed", "es", "s", "e", "y")
_PERSIAN_SUFFIXES = ("هایی", "های", "ها")
ID_DIGITS = 4
"""A number of this many digits or more is an identifier (a document, an amount, a time): no term."""


def stem(token: str) -> str | None:
    """The term a normalised token stands for, or None when it says nothing (a stop word, one letter, an id)."""
    if token in STOP_WORDS or len(token) < 2:
        return None
    if token.isdigit():
        return token if len(token) < ID_DIGITS else None
    if token.isascii():
        if token.isalpha():
            for suffix in _ENGLISH_SUFFIXES:
                if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith(("ss", "us", "is")):
                    return token[: -len(suffix)]
        return token
    for suffix in _PERSIAN_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 2:
            return token[: -len(suffix)]
    return token


def terms(text: str) -> list[str]:
    """The distinct terms of ``text``, in the order they first come."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        term = stem(token)
        if term is not None:
            seen.setdefault(term, None)
    return list(seen)


# A word as written: letters and digits with the marks and tatweel inside it (which ``normalise`` drops).
_WRITTEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+")


def spelled(text: str) -> dict[str, str]:
    """Each term of ``text`` and the word it is written as there, first come first kept; a capital that only
    starts a sentence is dropped, an acronym's kept (``Journal`` → ``journal``, ``VAT`` stays)."""
    out: dict[str, str] = {}
    for word in _WRITTEN.findall(unicodedata.normalize("NFC", text)):
        shown = word.lower() if word[1:].islower() or len(word) == 1 else word
        for token in tokens(word):
            term = stem(token)
            if term is not None:
                out.setdefault(term, shown)
    return out


class Vocabulary:
    """Terms of many texts at once, each distinct word stemmed once; remembers a word for each term (its first
    spelling met, normalised), to show a term as a word and not as a stem (``invoice``, not ``invoic``)."""

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}  # token → term, "" for none
        self.words: dict[str, str] = {}
        """term → the first word seen for it."""

    def _learn(self, batch: Iterable[list[str]]) -> None:
        new = set().union(*batch).difference(self._stems)
        ids = {t for t in new if t.isdigit() and len(t) >= ID_DIGITS}  # most of a period's distinct words
        self._stems.update(dict.fromkeys(ids, ""))
        learnt = []
        for token in new - ids:
            term = self._stems[token] = stem(token) or ""
            if term:
                learnt.append((token, term))
        for token, term in sorted(learnt):  # sorted: the word kept for a term does not depend on hash order
            self.words.setdefault(term, token)

    def term_sets(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """The set of terms of each text, in the order of ``texts``.

        The texts are normalised as one string (one pass of each fold for them all; texts in ASCII alone, most
        English ones, as bytes: lower case and punctuation in one pass); a text met before, or one that differs
        from it only by an identifier, is split into words once. With Python's collector paused: the many small
        sets and lists this makes are not cycles, and collecting them as they come would cost more than the work."""
        if not texts:
            return []
        with paused_gc():
            plain = [t.isascii() for t in texts]
            if all(plain):
                parts = _ascii_parts(texts)
            elif not any(plain):
                parts = _parts(texts)
            else:
                ascii_ = iter(_ascii_parts([t for t, p in zip(texts, plain, strict=True) if p]))
                other = iter(_parts([t for t, p in zip(texts, plain, strict=True) if not p]))
                parts = [next(ascii_) if p else next(other) for p in plain]
            words = {p: p.split() for p in parts}
            self._learn(words.values())
            lookup = self._stems.__getitem__
            sets = {p: frozenset(filter(None, map(lookup, found))) for p, found in words.items()}
            return list(map(sets.__getitem__, parts))

    def word(self, term: str) -> str:
        return self.words.get(term, term)


# ASCII as bytes: capitals to small letters, everything but letters, digits and NUL (the separator) to a space.
_ASCII = bytes(c + 32 if 65 <= c <= 90 else c if c == 0 or 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))


# Identifiers (whole numbers of ID_DIGITS digits or more) are no terms: blanked before the texts are split, so texts
# that differ by one alone are split once (a shortcut: ``stem`` drops them anyway).
_IDS = re.compile(rf"\b\d{{{ID_DIGITS},}}\b")
_ASCII_IDS = re.compile(rf"\b[0-9]{{{ID_DIGITS},}}\b".encode())


def _ascii_parts(texts: Sequence[str]) -> list[str]:
    """Texts of ASCII alone, each normalised with all but its letters and digits spaces (one pass for all)."""
    blanked = _ASCII_IDS.sub(b" ", "\x00".join(texts).encode("ascii").translate(_ASCII))
    parts = blanked.decode("ascii").split("\x00")
    if len(parts) != len(texts):  # a text held a NUL (the stored text never does): one by one
        parts = [t.encode("ascii").translate(_ASCII).decode("ascii").replace("\x00", " ") for t in texts]
    return parts


def _parts(texts: Sequence[str]) -> list[str]:
    """Texts, each normalised with all but its letters and digits spaces (one pass of each fold for all)."""
    parts = _IDS.sub(" ", _NOT_WORD.sub(" ", normalise("\x00".join(texts)))).split("\x00")
    if len(parts) != len(texts):
        parts = [_NOT_WORD.sub(" ", normalise(t).replace("\x00", " ")) for t in texts]
    return parts


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic collector off for a bulk of acyclic work (back on after, if it was on)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# ---- spellings in a raw full-text index -----------------------------------------------------------------------

_ARABIC_SPELLING = str.maketrans({"ی": "ي", "ک": "ك"})
_DIGIT_SPELLINGS = (str.maketrans({str(d): chr(0x06F0 + d) for d in range(10)}),
                    str.maketrans({str(d): chr(0x0660 + d) for d in range(10)}))  # fmt: skip


def spellings(term: str) -> list[str]:
    """The ways ``term`` may be written in text indexed as typed (FTS5 ``unicode61``, which folds case and Latin
    accents but neither Arabic letters nor digits): as normalised, with the Arabic yeh and kaf (a Persian word
    typed on an Arabic keyboard; a final yeh also as alef maksura, a final heh as teh marbuta), an initial alef
    with madda or hamza (which the normalised text has lost), with Persian and with Arabic-Indic digits."""
    out = [term]
    if term.startswith("ا"):  # آب, أمر, إدارة: normalised to a bare alef, indexed as typed
        out += [initial + term[1:] for initial in "آأإ"]
    for persian in list(out):
        arabic = persian.translate(_ARABIC_SPELLING)
        if arabic != persian:
            out.append(arabic)
        if arabic.endswith("ي"):
            out.append(arabic[:-1] + "ى")
        if arabic.endswith("ه") and len(arabic) > 2:
            out.append(arabic[:-1] + "ة")
    if any(c.isdigit() for c in term):
        out += [term.translate(table) for table in _DIGIT_SPELLINGS]
    return list(dict.fromkeys(out))
