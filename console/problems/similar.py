"""Suggestions where the work is: for a title as it is typed (and its description and module, when known), the
most similar published knowledge articles, known errors with their workaround, and resolved tickets; offline, on
the local cache, in the time of a keystroke.

**The method: FTS5 for recall, the similarity engine's own terms for the ranking.**

1. What was typed becomes terms (``console.problems.text``: the same normalisation and stems as the problem
   candidates; Persian typed on an Arabic keyboard, with or without the zero-width non-joiner, with Persian
   digits, is the same text). A title that does not end in a space or a stop is still being typed: its last
   word counts as a prefix.
2. Each term is looked up in the vocabulary of the tickets' full-text index (``derived.VOCABULARIES``, one
   statement for all): the index's words it stands for, in every spelling it may have there (the indexes hold
   text as it was typed: ``text.spellings`` adds the Arabic yeh and kaf, an alef with madda or hamza, Persian and
   Arabic-Indic digits) and, a stem, every word it begins (``approv``: approval, approved); and how many tickets
   hold them, its weight being its rarity, ``log(N / n)``: "order" says less than "backflush".
3. Recall. ``search_articles`` and ``search_problems`` (hundreds or thousands of rows) are asked for any of the
   terms as prefixes, published articles and known errors only, the best ``RECALL`` by FTS5's bm25 (a title's
   word weighing ``TITLE_RANK`` of a body's). The queue's own ``search_tickets`` (a million rows) is asked for
   resolved tickets holding at least two of the ``RARE_TERMS`` weightiest terms (one, when one was typed), as
   the exact words of the index found in step 2, not as prefixes: FTS5 reads exact words lazily, newest first,
   and SQLite stops at ``TICKET_RECALL`` resolved tickets (of the person's units), where a prefix query would
   first merge every ticket holding the prefix (a hundred milliseconds for "order*" on a million tickets, five
   for its words).
4. Ranking, the same for all three kinds (0 to 1): how much of the typed weight the title covers (0.45), how
   much the whole text covers (0.35: a known error's symptom may be in its description, an article's answer in
   its body), and how much of the title is about what was typed (0.20); another module than the one given
   costs a sixth. Below ``MIN_SCORE`` nothing is suggested.

Limits of matching on text indexed as typed: a word written with a diacritic inside it (``مُشکل``) is two words to
FTS5's tokenizer, so it is found only through its other part; the ranking itself normalises both sides.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, text

from console.access import Actor
from console.problems.rules import KNOWN
from console.problems.text import Vocabulary, spellings, stem, terms, tokens
from console.store import derived
from models import ArticleStatus, TicketStatus

LIMIT = 5
MIN_SCORE = 0.3
TICKET_RECALL = 200
"""At most this many tickets are read and ranked per call."""
RECALL = 100
"""At most this many articles, and as many known errors, are read and ranked per call (the best by FTS5's bm25)."""
TITLE_RANK = 4
"""In FTS5's bm25, a title's word weighs this many of a body's."""
RARE_TERMS = 5
"""The rarest terms of what was typed that find tickets (two of them at least)."""
EXPANSION = 12
"""A stem finds the tickets holding one of its this many most held words (``approv``: approval, approved…)."""
DESCRIPTION_TERMS = 12
"""Of a typed description, this many terms count."""
WORDS = next(iter(derived.VOCABULARIES))
DESCRIPTION_WEIGHT = 0.5
"""A term of the typed description weighs this much of a title's."""
TEXT_CHARS = 1000
"""Of a description or an article's body, the first characters ranked."""
OTHER_MODULE = 5 / 6
RESOLVED = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


@dataclass(frozen=True)
class ArticleSuggestion:
    id: uuid.UUID
    number: str
    title: str
    language: str
    module_id: uuid.UUID | None
    score: float


@dataclass(frozen=True)
class KnownErrorSuggestion:
    id: uuid.UUID
    number: str
    title: str
    workaround: str | None
    module_id: uuid.UUID
    score: float


@dataclass(frozen=True)
class TicketSuggestion:
    id: uuid.UUID
    number: str
    title: str
    status: str
    resolved_at: datetime | None
    module_id: uuid.UUID
    problem_id: uuid.UUID | None
    score: float


@dataclass(frozen=True)
class Suggestions:
    """Each kind ranked best first."""

    articles: tuple[ArticleSuggestion, ...] = ()
    known_errors: tuple[KnownErrorSuggestion, ...] = ()
    tickets: tuple[TicketSuggestion, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.articles or self.known_errors or self.tickets)


@dataclass(frozen=True)
class _Query:
    weights: dict[str, float]
    """term → weight (rarity, a description's term less)."""
    typing: str | None
    """The last term of a title still being typed: matched as a prefix."""
    words: dict[str, tuple[str, ...]]
    """term → the words of the tickets' index it stands for (its forms and spellings), the most held first."""

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def held(self, words: Collection[str]) -> set[str]:
        """The terms of the query that ``words`` (a text's terms) hold."""
        found = set(self.weights).intersection(words)
        typing = self.typing
        if typing is not None and typing not in found and any(_completes(typing, w) for w in words):
            found.add(typing)
        return found


def _completes(typing: str, term: str) -> bool:
    """Whether a text's ``term`` may be the word being typed: it begins so (``valu``: ``valuat``), or is the stem
    of what was typed so far (``posti``: ``post``, the stem of ``posting``)."""
    return term.startswith(typing) or (len(term) >= 4 and typing.startswith(term))


def _prefixed(term: str) -> bool:
    """Whether a term stands for every word it begins (a stem), or only for itself (short, or a number)."""
    return len(term) >= 3 and not term.isdigit()


def _fts_term(term: str) -> str:
    """One term in every spelling it may have in a raw index, as a prefix (a stem) unless it is short."""
    star = "*" if _prefixed(term) else ""
    return "(" + " OR ".join(f'"{form}"{star}' for form in spellings(term)) + ")"


def _vocabulary(conn: Connection, words: Sequence[str]) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """How many tickets there are, and for each term the words of the tickets' index it stands for in any spelling
    (those it begins, when it is a stem) with how many tickets hold each: one statement for them all."""
    tickets = conn.exec_driver_sql("SELECT max(rowid) FROM tickets").scalar_one() or 0
    parts: list[str] = []
    params: dict[str, object] = {}
    for n, word in enumerate(words):
        for m, form in enumerate(spellings(word)):
            key = f"{n}_{m}"
            params[f"n{key}"] = n
            if _prefixed(word):
                parts.append(f"SELECT :n{key}, term, doc FROM {WORDS} WHERE term >= :lo{key} AND term < :hi{key}")
                params |= {f"lo{key}": form, f"hi{key}": form + "\U0010ffff"}
            else:
                parts.append(f"SELECT :n{key}, term, doc FROM {WORDS} WHERE term = :lo{key}")
                params[f"lo{key}"] = form
    found: dict[str, list[tuple[str, int]]] = {word: [] for word in words}
    if parts:
        for n, term, held in conn.execute(text(" UNION ALL ".join(parts)), params):
            found[words[n]].append((term, held))
    return tickets, found


def _query(conn: Connection, title: str, description: str) -> _Query | None:
    said = terms(title)
    told = [t for t in terms(description) if t not in said][:DESCRIPTION_TERMS]
    if not said and not told:
        return None
    tickets, vocabulary = _vocabulary(conn, [*said, *told])
    weights: dict[str, float] = {}
    words: dict[str, tuple[str, ...]] = {}
    for term, held in vocabulary.items():
        rarity = math.log((tickets + 1) / (min(sum(n for _, n in held), tickets) + 0.5))
        weights[term] = max(rarity, 0.1) * (DESCRIPTION_WEIGHT if term in told else 1.0)
        words[term] = tuple(w for w, _ in sorted(held, key=lambda wn: (-wn[1], wn[0]))[:EXPANSION])
    last = tokens(title)[-1:]
    typing = said[-1] if said and last and title[-1:].isalnum() and stem(last[0]) == said[-1] else None
    return _Query(weights, typing, words)


def _score(query: _Query, title: frozenset[str], body: frozenset[str], same_module: bool | None) -> float:
    total = query.total
    in_title = query.held(title)
    in_all = in_title | query.held(body)
    covered = sum(query.weights[t] for t in in_title) / total
    anywhere = sum(query.weights[t] for t in in_all) / total
    focus = len(in_title) / max(len(title), 1)
    score = 0.45 * covered + 0.35 * anywhere + 0.20 * min(focus, 1.0)
    return score * (OTHER_MODULE if same_module is False else 1.0)


def _scores(query: _Query, rows: Sequence[Sequence[Any]], module_id: uuid.UUID | None) -> list[float]:
    """The score of each row (id, number, title, body, …, module id last), their texts' terms found at once."""
    vocabulary = Vocabulary()
    titles = vocabulary.term_sets([row[2] for row in rows])
    bodies = vocabulary.term_sets([row[3] or "" for row in rows])
    return [
        round(_score(query, title, body, _same(module_id, row[-1])), 4)
        for row, title, body in zip(rows, titles, bodies, strict=True)
    ]


def _any(terms_: Sequence[str]) -> str:
    """An FTS5 query matching any of ``terms_``."""
    return " OR ".join(_fts_term(t) for t in terms_)


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(hex=value) if value else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def _same(module_id: uuid.UUID | None, value: str | None) -> bool | None:
    return None if module_id is None else (value is not None and uuid.UUID(hex=value) == module_id)


def _articles(conn: Connection, query: _Query, module_id: uuid.UUID | None, limit: int) -> list[ArticleSuggestion]:
    sql = text(
        "SELECT a.id, a.number, a.title, substr(a.body, 1, :chars), a.language, a.module_id "
        "FROM search_articles JOIN knowledge_articles AS a ON a.rowid = search_articles.rowid "
        "WHERE search_articles MATCH :q AND a.status = :published "
        f"ORDER BY bm25(search_articles, 0, {TITLE_RANK}, 1) LIMIT :recall"
    )
    rows = conn.execute(
        sql,
        {
            "chars": TEXT_CHARS,
            "published": ArticleStatus.PUBLISHED.value,
            "q": "{title body}: (" + _any(sorted(query.weights)) + ")",
            "recall": RECALL,
        },
    ).all()
    found = []
    for (id_, number, title, _, language, module), score in zip(rows, _scores(query, rows, module_id), strict=True):
        if score >= MIN_SCORE:
            found.append(ArticleSuggestion(uuid.UUID(hex=id_), number, title, language, _uuid(module), score))
    found.sort(key=lambda s: (-s.score, s.number))
    return found[:limit]


def _known_errors(
    conn: Connection, query: _Query, module_id: uuid.UUID | None, actor: Actor | None, limit: int
) -> list[KnownErrorSuggestion]:
    statuses = sorted(s.value for s in KNOWN)
    sql = (
        "SELECT p.id, p.number, p.title, substr(coalesce(p.description, '') || ' ' || coalesce(p.root_cause, '') "
        "|| ' ' || coalesce(p.workaround, ''), 1, :chars), p.workaround, p.module_id "
        "FROM search_problems JOIN problems AS p ON p.rowid = search_problems.rowid "
        "WHERE search_problems MATCH :q AND p.status IN :statuses"
    )
    params: dict[str, object] = {
        "chars": TEXT_CHARS,
        "statuses": statuses,
        "q": "{title description root_cause workaround}: (" + _any(sorted(query.weights)) + ")",
        "recall": RECALL,
    }
    binds: list[BindParameter[Any]] = [bindparam("statuses", expanding=True)]
    if actor is not None and actor.scoped:  # the problems she reads (``lists.in_scope``, the shared database's)
        sql += (
            " AND (p.business_unit_id IN :units OR EXISTS (SELECT 1 FROM tickets AS t WHERE t.problem_id = p.id "
            "AND t.business_unit_id IN :units) OR p.id IN (SELECT a.problem_id FROM knowledge_articles AS a "
            "WHERE a.status = 'published' OR a.id IN (SELECT ta.article_id FROM ticket_articles AS ta "
            "JOIN tickets AS t ON t.id = ta.ticket_id WHERE t.business_unit_id IN :units)))"
        )
        params["units"] = [u.hex for u in sorted(actor.units, key=str)]
        binds.append(bindparam("units", expanding=True))
    sql += f" ORDER BY bm25(search_problems, 0, {TITLE_RANK}, 1, 1, 1) LIMIT :recall"
    rows = conn.execute(text(sql).bindparams(*binds), params).all()
    found = []
    for (id_, number, title, _, workaround, module), score in zip(rows, _scores(query, rows, module_id), strict=True):
        if score >= MIN_SCORE:
            found.append(
                KnownErrorSuggestion(uuid.UUID(hex=id_), number, title, workaround, uuid.UUID(hex=module), score)
            )
    found.sort(key=lambda s: (-s.score, s.number))
    return found[:limit]


def _ticket_match(query: _Query) -> str | None:
    """Tickets holding at least two of the weightiest terms typed (one, when only one was typed), as the exact words
    of the index they stand for: FTS5 reads those lazily, newest first, and stops at the recall's limit (a prefix
    query would merge every ticket holding the prefix first). A word still being typed that is shorter than three
    letters is left to the ranking; None when no term is in any ticket."""
    weightiest = sorted((t for t in query.weights if query.words[t]), key=lambda t: (-query.weights[t], t))
    if len(weightiest) > 1 and query.typing in weightiest and len(query.typing or "") < 3:
        weightiest.remove(query.typing or "")
    rarest = [" OR ".join(f'"{w}"' for w in query.words[t]) for t in weightiest[:RARE_TERMS]]
    if not rarest:
        return None
    if len(rarest) == 1:
        return rarest[0]
    return " OR ".join(f"(({a}) AND ({b}))" for a, b in combinations(rarest, 2))


def _tickets(
    conn: Connection,
    query: _Query,
    module_id: uuid.UUID | None,
    actor: Actor | None,
    exclude: uuid.UUID | None,
    limit: int,
) -> list[TicketSuggestion]:
    match = _ticket_match(query)
    if match is None:
        return []
    sql = (
        "SELECT t.id, t.number, t.title, substr(t.description, 1, :chars), t.status, t.resolved_at, t.module_id, "
        "t.problem_id FROM search_tickets JOIN tickets AS t ON t.rowid = search_tickets.rowid "
        "WHERE search_tickets MATCH :q AND t.status IN :resolved"
    )
    params: dict[str, object] = {
        "chars": TEXT_CHARS,
        "q": "{title description}: (" + match + ")",
        "recall": TICKET_RECALL,
        "resolved": list(RESOLVED),
    }
    binds: list[BindParameter[Any]] = [bindparam("resolved", expanding=True)]
    if actor is not None and actor.scoped:
        sql += " AND t.business_unit_id IN :units"
        params["units"] = [u.hex for u in sorted(actor.units, key=str)]
        binds.append(bindparam("units", expanding=True))
    if exclude is not None:
        sql += " AND t.id != :exclude"
        params["exclude"] = exclude.hex
    # Newest first, in the full-text index's own order: SQLite reads matches only until it has the recall's.
    sql += " ORDER BY search_tickets.rowid DESC LIMIT :recall"
    rows = conn.execute(text(sql).bindparams(*binds), params).all()
    found = []
    scores = _scores(query, [(*row[:4], None, row[6]) for row in rows], module_id)
    for (id_, number, title, _, status, resolved_at, module, problem), score in zip(rows, scores, strict=True):
        if score >= MIN_SCORE:
            found.append(
                TicketSuggestion(
                    uuid.UUID(hex=id_),
                    number,
                    title,
                    status,
                    _moment(resolved_at),
                    uuid.UUID(hex=module),
                    _uuid(problem),
                    score,
                )
            )
    found.sort(key=lambda s: (-s.score, -(s.resolved_at or datetime.min.replace(tzinfo=UTC)).timestamp(), s.number))
    return found[:limit]


def suggest(
    conn: Connection,
    title: str,
    description: str = "",
    module_id: uuid.UUID | None = None,
    *,
    actor: Actor | None = None,
    exclude: uuid.UUID | None = None,
    limit: int = LIMIT,
) -> Suggestions:
    """The published articles, known errors and resolved tickets most like ``title`` (and ``description``), at most
    ``limit`` of each, best first; another module than ``module_id`` (when given) ranks lower. ``actor``: a
    super-user is suggested only their units' tickets and known errors; ``exclude``: a ticket not to suggest
    (the one being viewed). Nothing when what was typed holds no term (only stop words, punctuation or numbers
    of four digits or more)."""
    query = _query(conn, title, description)
    if query is None:
        return Suggestions()
    return Suggestions(
        tuple(_articles(conn, query, module_id, limit)),
        tuple(_known_errors(conn, query, module_id, actor, limit)),
        tuple(_tickets(conn, query, module_id, actor, exclude, limit)),
    )
