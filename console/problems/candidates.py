"""Problem candidates: the recurring incidents of a period, found in the local cache, offline.

A candidate is a cluster of incidents of one ERP module whose titles say the same thing, in English or Persian,
ranked by how many they are and what they cost the SLA; with the incidents already linked to a problem marked
(or left out), so "Open as problem" links the rest.

**The method: IDF-weighted set similarity, blocked by pairs of rare terms, leader clusters; standard library.**

1. One read of the period's incidents (their title, module, category, problem and stored SLA outcome), by the
   creation-time index. No description is read unless a title is too short to say anything (fewer than
   ``WEAK_TITLE`` terms: "Error!", "Urgent: system down"): those tickets' descriptions (their first
   ``DESCRIPTION_CHARS`` characters) lend their terms. A title is what a person wrote to name the symptom; a
   description mostly holds steps, greetings, names and document numbers, which would make one reporter's
   tickets alike instead of one problem's.
2. Each incident becomes a set of terms (``console.problems.text``: Persian and Arabic letters, digits, marks and
   the zero-width non-joiner normalised; stop words and document numbers dropped; light stems), its category
   one more term. Incidents of one module with the same set are one set of the join (the demo's titles that
   differ by a number alone, and real ones that do).
3. A term weighs its rarity among the period's distinct sets, log(N / n): "order" says less than "backflush".
   Two sets are alike when their weighted Dice coefficient, 2·w(A∩B) / (w(A) + w(B)), reaches ``similarity``
   (0.6 by default). Unweighted, "sales order blocked" and "sales order missing" would be two thirds alike.
   A word of one set alone cannot be shared; it weighs little (``UNIQUE_WEIGHT``), so a typo or a name does
   not keep two titles apart, and so does the category (a nudge, not a rule).
4. Blocking and clusters in one pass: the sets are taken from the one with most incidents down; each is
   compared only with the cluster centres filed under a pair of its three weightiest shared terms, joins the
   most alike if it is alike enough, else becomes a centre filed under its own pairs. Sets alike by weight
   share most of their weightiest terms, hence a pair; so the work grows with the number of distinct sets,
   not with its square. Every member is alike its centre (no chains: "payroll run fails" ~ "payroll run slow"
   ~ "report slow" are not one cluster), and the centre is the phrasing most incidents share.

Why not the others: **FTS5 term vectors** (``fts5vocab``) are read per term, not per document, so the terms of
the period's hundred thousand tickets cannot be had without scanning the whole index; **MinHash/LSH**
approximates an unweighted Jaccard with many hash functions per term, costly in pure Python (numpy is no
dependency of ours, only of matplotlib), and blocking on rare-term pairs is the same idea with the IDF weights
short titles need; **TF-IDF with scikit-learn** (and a nearest-neighbour index) would add scikit-learn and
scipy, over a hundred megabytes to the bundle, for titles of a few words. Nothing is precomputed: the work
grows with the period, not with the cache, no derived table can lag behind an edit, a sync or an import, and a
period of a hundred thousand incidents takes about as long as reading their titles a few times over.

SLA cost: an incident whose response or resolution clock broke (``breached`` still running, ``missed`` when
stopped) counts once more; ``score`` = incidents + breached ones. The business hours of resolution time used
(stored ``resolution_seconds``) break ties and are shown. Every figure is the stored SLA outcome
(``console.sla`` computes it); nothing is recomputed here.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, combinations
from typing import Any, Literal

from sqlalchemy import BindParameter, Connection, Uuid, bindparam, text

from console.access import Actor
from console.errors import ConsoleError
from console.problems.text import Vocabulary, paused_gc, spelled
from models import SlaState, TicketKind
from models.base import UTCDateTime

SIMILARITY = 0.6
MIN_COUNT = 3
WEAK_TITLE = 3
"""A title with fewer terms than this borrows the terms of its description."""
DESCRIPTION_CHARS = 300
LABEL_TERMS = 6
BLOCK_TERMS = 3
"""A set is filed under the pairs of this many of its weightiest terms."""
CROWD = 16
"""A set is compared with at most this many centres filed under one pair (those with most incidents)."""
UNIQUE_WEIGHT = 1.0
CATEGORY_WEIGHT = 1.0
_CATEGORY = "\x01"  # the prefix of a category's term: no text term starts with it


@dataclass(frozen=True)
class Candidate:
    """A cluster of similar incidents of one module: a candidate problem."""

    module_id: uuid.UUID
    label: str
    """Its top terms, as words, in the order the example says them: ``journal entry post period closed``."""
    example: str
    """The title of an incident at its centre (the phrasing most of them share)."""
    ticket_ids: tuple[uuid.UUID, ...]
    """Its incidents, oldest first."""
    count: int
    breached: int
    """Incidents whose response or resolution SLA broke."""
    hours: float
    """Business hours of resolution time used by its incidents, summed (running clocks: so far)."""
    category: str | None
    """The category most of its incidents have (None when none has one)."""
    linked: int
    """Its incidents already linked to a problem."""
    problem_ids: tuple[uuid.UUID, ...]
    """The problems those are linked to, the most linked first."""
    first_at: datetime
    last_at: datetime

    @property
    def score(self) -> int:
        """What the list is ranked by: each incident counts once, and once more if its SLA broke."""
        return self.count + self.breached

    @property
    def unlinked(self) -> int:
        return self.count - self.linked


@dataclass(frozen=True)
class Candidates:
    start: datetime
    end: datetime
    incidents: int
    """How many incidents of the period were compared."""
    items: tuple[Candidate, ...]
    """Ranked: score, then hours used, then count, then the earliest first."""


@dataclass
class _Rows:
    """The period's incidents, column by column (as SQLite gave them: hex ids, text times)."""

    ids: list[str]
    titles: list[str]
    modules: list[str]
    categories: list[str | None]
    problems: list[str | None]
    broken: list[bool]
    seconds: list[int]
    created: list[str]
    rowids: list[int]


_BROKE = ", ".join(f"'{state.value}'" for state in (SlaState.BREACHED, SlaState.MISSED))  # running, stopped
_READ = f"""
SELECT t.rowid, t.id, t.title, t.module_id, t.category, t.problem_id,
       t.response_state IN ({_BROKE}) OR t.resolution_state IN ({_BROKE}),
       coalesce(t.resolution_seconds, 0), t.created_at
FROM tickets AS t
WHERE t.created_at >= :start AND t.created_at < :end AND t.kind = '{TicketKind.INCIDENT.value}'
"""
_ORDER = " ORDER BY t.created_at"  # the creation-time index's own order: the same rows, the same clusters


def _read(
    conn: Connection,
    start: datetime,
    end: datetime,
    modules: Collection[uuid.UUID] | None,
    actor: Actor | None,
    unlinked_only: bool,
) -> _Rows:
    sql = _READ
    params: dict[str, object] = {"start": start, "end": end}
    binds: list[BindParameter[Any]] = [bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())]
    if unlinked_only:
        sql += " AND t.problem_id IS NULL"
    if modules is not None:
        sql += " AND t.module_id IN :modules"
        params["modules"] = list(modules)
        binds.append(bindparam("modules", type_=Uuid(), expanding=True))
    if actor is not None and actor.scoped:
        sql += " AND t.business_unit_id IN :units"
        params["units"] = sorted(actor.units, key=str)
        binds.append(bindparam("units", type_=Uuid(), expanding=True))
    rows = conn.execute(text(sql + _ORDER).bindparams(*binds), params).all()
    with paused_gc():
        columns = list(zip(*rows, strict=True)) if rows else [()] * 9
    rowids, ids, titles, module_ids, categories, problems, broken, seconds, created = columns
    return _Rows(
        list(ids),
        list(titles),
        list(module_ids),
        list(categories),
        list(problems),
        [bool(b) for b in broken],
        list(seconds),
        list(created),
        list(rowids),
    )


def _descriptions(conn: Connection, rowids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        query = text(f"SELECT rowid, substr(description, 1, {DESCRIPTION_CHARS}) FROM tickets WHERE rowid IN :ids")
        found = conn.execute(query.bindparams(bindparam("ids", expanding=True)), {"ids": list(chunk)})
        out.update((rowid, description) for rowid, description in found)
    return out


def _term_sets(conn: Connection, rows: _Rows, vocabulary: Vocabulary) -> list[frozenset[str]]:
    """Each incident's terms: its title's (or, for a weak title, its title's and description's). An incident whose
    text says nothing gets the empty set (it joins no cluster)."""
    sets = vocabulary.term_sets(rows.titles)
    weak = [i for i, s in enumerate(sets) if len(s) < WEAK_TITLE]
    if weak:
        found = _descriptions(conn, [rows.rowids[i] for i in weak])
        extra = vocabulary.term_sets([found.get(rows.rowids[i]) or "" for i in weak])
        for i, more in zip(weak, extra, strict=True):
            sets[i] = sets[i] | more
    return sets


def _with_category(terms_of: frozenset[str], category: str | None) -> frozenset[str]:
    return terms_of | {_CATEGORY + category.casefold()} if category else terms_of


def _weights(keys: Sequence[frozenset[str]]) -> tuple[dict[str, float], frozenset[str]]:
    """Each term's weight: its rarity among the distinct sets, log(N / n) (a symptom repeated word for word is one
    set, so it does not make its own words common). A term of one set alone can match nothing: it weighs
    ``UNIQUE_WEIGHT`` (a typo or a name should not keep two titles apart); a category ``CATEGORY_WEIGHT``.
    Also the terms that may be shared: the words (not categories) of more than one set."""
    frequency = Counter(chain.from_iterable(keys))
    everything = max(len(keys), 1)
    weight = {
        term: CATEGORY_WEIGHT if term.startswith(_CATEGORY) else math.log(everything / n) if n > 1 else UNIQUE_WEIGHT
        for term, n in frequency.items()
    }
    return weight, frozenset(t for t, n in frequency.items() if n > 1 and not t.startswith(_CATEGORY))


def _clusters(
    keys: Sequence[frozenset[str]],
    counts: Sequence[int],
    weight: dict[str, float],
    shareable: frozenset[str],
    similarity: float,
) -> list[list[int]]:
    """The sets of one module in clusters, each a centre and the sets whose weighted Dice coefficient with it
    reaches ``similarity``; centre first.

    The sets are taken from the one with most incidents down. Each is compared with the centres filed under the
    pairs of its ``BLOCK_TERMS`` weightiest shareable terms (at most ``CROWD`` centres of a pair, the heaviest),
    joins the most alike if it is alike enough, or else becomes a centre, filed under its pairs. Two sets alike by
    weight share most of their weightiest terms, so they share a pair; sets that share nothing weighty are never
    compared, and the work grows with the number of sets, not with its square."""
    rank = {t: n for n, t in enumerate(sorted(shareable, key=lambda t: (-weight[t], t)))}
    known, by_rank, weigh = rank.__contains__, rank.__getitem__, weight.__getitem__
    totals = [sum(map(weigh, key)) for key in keys]
    filed: dict[tuple[str, ...], list[int]] = {}
    clusters: dict[int, list[int]] = {}
    for i in sorted(range(len(keys)), key=lambda k: -counts[k]):  # stable: the earliest first among equals
        key, total = keys[i], totals[i]
        top = sorted(filter(known, key), key=by_rank)[:BLOCK_TERMS]
        pairs = list(combinations(top, 2)) if len(top) > 1 else [tuple(top)] if top else []
        best, best_score = -1, similarity - 1e-9
        compared: set[int] = set()
        for pair in pairs:
            for centre in filed.get(pair, ())[:CROWD]:
                if centre in compared:
                    continue
                compared.add(centre)
                score = 2 * sum(map(weigh, key & keys[centre])) / (total + totals[centre])
                if score > best_score or (score == best_score and best < 0):
                    best, best_score = centre, score
        if best < 0:
            clusters[i] = [i]
            for pair in pairs:
                filed.setdefault(pair, []).append(i)
        else:
            clusters[best].append(i)
    return list(clusters.values())


def _uuid(stored: str) -> uuid.UUID:
    return uuid.UUID(hex=stored)


def _moment(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def candidates(
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    actor: Actor | None = None,
    modules: Collection[uuid.UUID] | None = None,
    linked: Literal["mark", "exclude"] = "mark",
    similarity: float = SIMILARITY,
    min_count: int = MIN_COUNT,
    limit: int | None = 50,
) -> Candidates:
    """The problem candidates among the incidents created in [``start``, ``end``), best first.

    ``linked``: "mark" counts the incidents already linked to a problem in their candidate (``linked``,
    ``problem_ids``); "exclude" leaves them out before clustering. ``actor``: a super-user's candidates are made of
    their units' incidents only. ``modules``: only these modules' incidents.
    ``similarity``: the weighted Dice coefficient an incident's terms must reach with its cluster's centre's
    (0 < s ≤ 1). ``min_count``: the fewest incidents a candidate has. ``limit``: at most this many (None: all)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ConsoleError("The period's start and end need a time zone.")
    if not start < end:
        raise ConsoleError(f"The period is empty: {start:%Y-%m-%d %H:%M} is not before {end:%Y-%m-%d %H:%M}.")
    if not 0 < similarity <= 1:
        raise ConsoleError(f"The similarity is a number above 0 and at most 1, not {similarity}.")
    if min_count < 1:
        raise ConsoleError(f"A candidate has one incident at least, not {min_count}.")
    if linked not in ("mark", "exclude"):
        raise ConsoleError(f"Incidents linked to a problem are marked or excluded, not {linked!r}.")
    with paused_gc():  # once for the whole: the collector would otherwise run over every set made so far
        rows = _read(conn, start, end, modules, actor, unlinked_only=linked == "exclude")
        vocabulary = Vocabulary()
        sets = _term_sets(conn, rows, vocabulary)
        # Incidents with the same module, terms and category are one set of the join (the category one more term).
        groups: dict[tuple[str, frozenset[str], str | None], list[int]] = {}
        for row, key in enumerate(zip(rows.modules, sets, rows.categories, strict=True)):
            if key[1]:
                groups.setdefault(key, []).append(row)
        keyed = [(module, _with_category(s, category), members) for (module, s, category), members in groups.items()]
        del groups
        weight, shareable = _weights([s for _, s, _ in keyed])
        by_module: dict[str, list[tuple[frozenset[str], list[int]]]] = {}
        for module, s, members in keyed:
            by_module.setdefault(module, []).append((s, members))
        del keyed
        stars: list[tuple[tuple[int, int, int, str, int], str, list[list[int]]]] = []
        broken, seconds, created = rows.broken.__getitem__, rows.seconds.__getitem__, rows.created
        for module, of_module in by_module.items():
            keys = [s for s, _ in of_module]
            members_of = [members for _, members in of_module]
            counts = [len(m) for m in members_of]
            for star in _clusters(keys, counts, weight, shareable, similarity):
                count = sum(counts[k] for k in star)
                if count >= min_count:
                    groups_of = [members_of[k] for k in star]
                    every = [r for group in groups_of for r in group]
                    score = count + sum(map(broken, every))
                    first = min(zip(map(created.__getitem__, every), every, strict=True))
                    rank = (-score, -sum(map(seconds, every)), -count, *first)
                    stars.append((rank, module, groups_of))
        stars.sort(key=lambda star: star[0])
        chosen = stars if limit is None else stars[:limit]
        found = tuple(_candidate(module, groups_of, sets, rows, vocabulary) for _, module, groups_of in chosen)
        incidents = len(rows.ids)
        del (
            rows,
            sets,
            by_module,
            stars,
            chosen,
            broken,
            seconds,
            created,
        )  # freed now, not left to the collector when it is back on
    return Candidates(start, end, incidents, found)


def _candidate(
    module: str, member_groups: list[list[int]], sets: list[frozenset[str]], rows: _Rows, vocabulary: Vocabulary
) -> Candidate:
    """The candidate of a star (its centre's incidents first in ``member_groups``)."""
    every = list(chain.from_iterable(member_groups))
    members = [row for _, row in sorted(zip(map(rows.created.__getitem__, every), every, strict=True))]
    count = len(members)
    example = rows.titles[member_groups[0][0]]
    problems = Counter(filter(None, map(rows.problems.__getitem__, members)))
    categories = Counter(filter(None, map(rows.categories.__getitem__, members)))
    weight: Counter[str] = Counter()
    for group in member_groups:
        for term in sets[group[0]]:
            weight[term] += len(group)
    shared = [t for t, n in weight.items() if 2 * n >= count and not t.startswith(_CATEGORY)]
    written = spelled(example)
    in_order = {term: n for n, term in enumerate(written)}
    label = sorted(shared, key=lambda t: (in_order.get(t, len(in_order)), -weight[t], t))[:LABEL_TERMS]
    return Candidate(
        module_id=_uuid(module),
        label=" ".join(written.get(t) or vocabulary.word(t) for t in label),
        example=example,
        ticket_ids=tuple(map(_uuid, map(rows.ids.__getitem__, members))),
        count=count,
        breached=sum(map(rows.broken.__getitem__, members)),
        hours=sum(map(rows.seconds.__getitem__, members)) / 3600,
        category=categories.most_common(1)[0][0] if categories else None,
        linked=sum(problems.values()),
        problem_ids=tuple(_uuid(p) for p, _ in sorted(problems.items(), key=lambda kv: (-kv[1], kv[0]))),
        first_at=_moment(rows.created[members[0]]),
        last_at=_moment(rows.created[members[-1]]),
    )
