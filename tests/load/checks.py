"""After quiescence: the stateful sync test's end checks, for a whole team of desks.

- every cache holds exactly the shared database's rows of its person's scope, read as that person (their own
  database role, under row-level security): the tickets and everything of each, and the tables every desk holds
  whole; nothing outside it; its outbox is empty; its SLA rollups are those a new download of the same scope
  builds, value for value (emptied buckets aside);
- every intent a desk queued was answered once (none lost); every applied one wrote its first audit event at most
  once (none when the same change was there already), an applied note exactly once, and the note exists once, with
  its text (none doubled); a rejected one wrote nothing;
- every intent that met a changed value left a conflict record and overwrote nothing.

The helpers are the sync tests' own: ``snapshot`` of ``tests.integration.test_sync_model`` (a ticket and everything
of it, as plain tuples) and ``stored`` of ``tests.sync_team`` (a cache table's values with their storage classes).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, Integer, select

from console.access import Actor, load_actor
from console.journal.outbox import OUTBOX
from console.store import derived
from console.store.database import make_engine
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client, merge
from console.sync.server import GLOBAL_TABLES
from models import AuditEvent, ClientMutation, Comment, SyncConflict, Ticket, metadata
from tests.conftest import MemoryKeyring
from tests.integration.test_sync_model import snapshot
from tests.load.desk import Record
from tests.sync_team import stored

EXAMPLES = 5  # of each kind of problem, named in the verdict


@dataclass
class Verdict:
    desks: int = 0
    converged: int = 0  # caches equal to their scope on the shared database
    intents: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: dict[str, list[str]] = field(default_factory=dict)  # kind: examples (the count is the total)
    counts: Counter[str] = field(default_factory=Counter)

    def flag(self, kind: str, example: str) -> None:
        self.counts[kind] += 1
        shown = self.problems.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(example)

    @property
    def ok(self) -> bool:
        return not self.counts

    def __str__(self) -> str:
        lines = [f"{self.converged}/{self.desks} caches converged; {self.intents:,} intents: {dict(self.outcomes)}"]
        lines += [f"  {kind}: {self.counts[kind]} (e.g. {'; '.join(shown)})" for kind, shown in self.problems.items()]
        return "\n".join(lines)


@dataclass(frozen=True)
class Member:
    """A desk as the checks see it: its record, its workspace folder, and its person's own URL (direct)."""

    record: Record
    home: Path
    url: str


Rows = dict[str, set[tuple[object, ...]]]


def _differences(mine: Rows, theirs: Rows) -> str:
    parts = []
    for table in sorted(set(mine) | set(theirs)):
        here, there = mine.get(table, set()), theirs.get(table, set())
        extra, missing = here - there, there - here
        if extra or missing:
            parts.append(f"{table}: {len(extra)} only in the cache, {len(missing)} only on the server")
    return ", ".join(parts)


def global_rows(engine: Engine) -> Rows:
    """The tables every desk holds whole (people, units, changes…), as the engine's connection may read them."""
    with engine.connect() as conn:
        return {s.table: {tuple(r) for r in conn.execute(select(metadata.tables[s.table]))} for s in GLOBAL_TABLES}


def rollups(workspace: Workspace) -> dict[str, list[tuple[object, ...]]]:
    """The cache's SLA rollups and histograms (``stored``), without the buckets whose counts all went back to 0:
    a cache that counted a ticket in and out again keeps the emptied row, a fresh download never makes it."""
    kept: dict[str, list[tuple[object, ...]]] = {}
    for table in derived.metadata.sorted_tables:
        counts = [2 * i + 1 for i, c in enumerate(table.columns) if not c.primary_key and isinstance(c.type, Integer)]
        kept[table.name] = [r for r in stored(workspace.cache(), table.name) if any(r[i] != 0 for i in counts)]
    return kept


def _downloaded(member: Member, root: Path) -> Workspace:
    """A new workspace of the member's person with its first download done now: what the cache should be."""
    workspace = Workspace.open(root / f"reference-{member.record.name}", secrets=SecretStore(MemoryKeyring()))
    workspace.settings.set("shared_url", member.url)
    workspace.settings.set("user", member.record.login)
    client.sync_workspace(workspace)
    return workspace


def check_caches(admin: Engine, members: list[Member], verdict: Verdict, root: Path) -> None:
    """Each cache against the shared database as its person reads it (their own role, under row-level security):
    the tickets of their scope with all of each, and the tables everyone holds; its SLA rollups against those of a
    new download of the same scope."""
    references: dict[frozenset[uuid.UUID] | None, dict[str, list[tuple[object, ...]]]] = {}
    for member in members:
        verdict.desks += 1
        name = member.record.name
        with admin.connect() as conn:
            actor: Actor = load_actor(conn, member.record.login)
            where = [Ticket.business_unit_id.in_(sorted(actor.units))] if actor.scoped else []
            ids = set(conn.execute(select(Ticket.id).where(*where)).scalars())
        key = actor.units if actor.scoped else None
        if key not in references:
            reference = _downloaded(member, root)
            try:
                references[key] = rollups(reference)
            finally:
                reference.close()
        own = make_engine(member.url)
        workspace = Workspace.open(member.home, secrets=SecretStore(MemoryKeyring()))
        try:
            with workspace.cache().connect() as conn:
                held = set(conn.execute(select(Ticket.id)).scalars())
                waiting = len(conn.execute(select(OUTBOX.c.seq)).scalars().all())
            problems = []
            if waiting:
                verdict.flag("outbox not empty", f"{name}: {waiting}")
                problems.append("outbox")
            if held - ids:
                verdict.flag("outside scope", f"{name}: {len(held - ids)} tickets")
                problems.append("scope")
            mine, theirs = snapshot(workspace.cache(), ids | held), snapshot(own, ids)
            if mine != theirs:
                verdict.flag("tickets differ from the shared database", f"{name}: {_differences(mine, theirs)}")
                problems.append("tickets")
            mine, theirs = global_rows(workspace.cache()), global_rows(own)
            if mine != theirs:
                verdict.flag("shared tables differ from the shared database", f"{name}: {_differences(mine, theirs)}")
                problems.append("global")
            held_rollups = rollups(workspace)
            if held_rollups != references[key]:
                tables = [t for t in held_rollups if held_rollups[t] != references[key][t]]
                verdict.flag("SLA rollups differ from a new download's", f"{name}: {', '.join(tables)}")
                problems.append("rollups")
            if not problems:
                verdict.converged += 1
        finally:
            workspace.close()
            own.dispose()


def check_intents(admin: Engine, records: Iterable[Record], verdict: Verdict) -> None:
    """Every queued intent answered once; applied ones written once, conflicts recorded, refusals wrote nothing."""
    intents = {uuid.UUID(i["mutation"]): (r.name, i) for r in records for i in r.intents}
    clients = {r.client_id for r in records}
    verdict.intents = len(intents)
    firsts = {uuid.uuid5(m, "0"): m for m in intents}
    with admin.connect() as conn:
        answers = dict(
            conn.execute(
                select(ClientMutation.mutation_id, ClientMutation.outcome).where(ClientMutation.client_id.in_(clients))
            ).all()
        )
        events = Counter(conn.execute(select(AuditEvent.id).where(AuditEvent.id.in_(list(firsts)))).scalars())
        conflicted = set(conn.execute(select(SyncConflict.mutation_id)).scalars())
        notes = [i for _, i in intents.values() if "comment" in i]
        bodies = Counter(
            conn.execute(select(Comment.body).where(Comment.body.in_([n["body"] for n in notes]))).scalars()
        )
        stored = dict(
            conn.execute(
                select(Comment.id, Comment.body).where(Comment.id.in_([uuid.UUID(n["comment"]) for n in notes]))
            ).all()
        )
    for mutation in set(answers) - set(intents):
        verdict.flag("answered but never queued", str(mutation))
    for mutation, (desk, intent) in intents.items():
        what = f"{desk} {intent['kind']} {mutation}"
        outcome = answers.get(mutation)
        if outcome is None:
            verdict.flag("lost (never answered)", what)
            continue
        verdict.outcomes[outcome] += 1
        written = events[uuid.uuid5(mutation, "0")]
        if outcome == merge.APPLIED:  # a change someone else had made already is applied without an event
            if written > 1 or (written == 0 and "comment" in intent):
                verdict.flag("applied intent's first event not there exactly once", f"{what}: {written}")
            if "comment" in intent:
                if bodies[intent["body"]] != 1:
                    verdict.flag("applied note not there exactly once", f"{what}: {bodies[intent['body']]}")
                if stored.get(uuid.UUID(intent["comment"])) != intent["body"]:
                    verdict.flag("applied note missing or changed", what)
        else:
            if written:
                verdict.flag(f"{outcome} intent wrote an event", what)
            if "comment" in intent and bodies[intent["body"]]:
                verdict.flag(f"{outcome} note was written", what)
            if outcome == merge.CONFLICT and mutation not in conflicted:
                verdict.flag("conflict not recorded", what)


def check_team(admin_url: str, members: list[Member], root: Path) -> Verdict:
    verdict = Verdict()
    admin = make_engine(admin_url)
    try:
        for member in members:
            if member.record.failure:
                verdict.flag("desk process failed", f"{member.record.name}: {member.record.failure.splitlines()[-1]}")
            if "final" not in member.record.phases_done:
                verdict.flag("desk did not finish", f"{member.record.name}: {member.record.phases_done}")
        check_intents(admin, [m.record for m in members], verdict)
        check_caches(admin, members, verdict, root)
    finally:
        admin.dispose()
    return verdict
