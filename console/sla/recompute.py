"""Recompute and store every ticket's SLA from its history: after a policy, calendar or
holiday change, after a demo is built, or for evidence. Also the what-if of a proposed policy,
and the few tickets a release that is planned, moved or cancelled re-dates.

A recompute of every ticket streams through in constant memory: on SQLite in parts of the table
judged side by side in worker processes (one per core) and written by this process alone; see
``recompute``.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby, islice
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Integer,
    Select,
    String,
    bindparam,
    literal_column,
    select,
    type_coerce,
    update,
)

from console.sla.engine import Change, ClockResult, Policy, SlaResult
from console.sla.store import (
    SlaContext,
    TicketFacts,
    UnjudgedSla,
    changes_by_ticket,
    changes_query,
    ticket_facts,
)
from console.store.bulk_load import converter
from console.store.database import make_engine, sqlite_pragma
from models import AuditEvent, Ticket, table_of

if TYPE_CHECKING:
    from concurrent.futures import Future

Progress = Callable[[str, int, int], None]
BATCH = 5000
CHUNK = 500  # tickets per IN (...) list


@dataclass
class RecomputeSummary:
    tickets: int = 0
    response: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)
    unjudged: list[str] = field(default_factory=list)
    """Why each ticket whose SLA could not be judged was left as it was stored."""


def histories(conn: Connection) -> Iterator[tuple[TicketFacts, list[Change]]]:
    """Every ticket with its status and priority changes: two id-ordered streams merged."""
    changes = changes_by_ticket(conn)
    pending: tuple[uuid.UUID, list[Change]] | None = next(changes, None)
    for facts in ticket_facts(conn):
        while pending is not None and pending[0] < facts.id:
            pending = next(changes, None)
        if pending is not None and pending[0] == facts.id:
            yield facts, pending[1]
        else:
            yield facts, []


def _seconds(clock: ClockResult) -> int:
    return int(clock.used.total_seconds())


def stored_values(result: SlaResult, now: datetime) -> dict[str, object]:
    return {
        "response_due_at": result.response.due_at,
        "resolution_due_at": result.resolution.due_at,
        "response_state": result.response.state,
        "resolution_state": result.resolution.state,
        "response_seconds": _seconds(result.response),
        "resolution_seconds": _seconds(result.resolution),
        "response_breached_at": result.response.breached_at,
        "resolution_breached_at": result.resolution.breached_at,
        "sla_computed_at": now,
    }


STORED_COLUMNS = (
    "response_due_at",
    "resolution_due_at",
    "response_state",
    "resolution_state",
    "response_seconds",
    "resolution_seconds",
    "response_breached_at",
    "resolution_breached_at",
    "sla_computed_at",
)
UPDATE = update(Ticket).where(Ticket.id == bindparam("ticket_id")).values({c: bindparam(c) for c in STORED_COLUMNS})


def recompute(
    engine: Engine, now: datetime, progress: Progress | None = None, *, workers: int | None = None
) -> RecomputeSummary:
    """Store the SLA of every ticket as of ``now``; returns how many are in each state.

    On SQLite the tickets are judged in parts of consecutive rows (``PART`` rowids each, in the order the table
    stores them, so reads and writes walk the file forwards); from ``PARALLEL_FROM`` tickets each part is read and
    judged in a worker process of its own (``workers``, default: one per core), and this process alone writes, in
    the order of the parts. Only what changed is written: a ticket whose stored SLA is still right gets its new
    ``sla_computed_at`` alone (no index or rollup behind the other columns moves), and one computed at ``now``
    already is left alone. Elsewhere (PostgreSQL) every ticket is streamed and written in id order.
    """
    if engine.url.get_backend_name() != "sqlite":
        return _recompute_streamed(engine, now, progress)
    summary = RecomputeSummary()
    unjudged: list[tuple[str, str]] = []
    with engine.connect() as conn:
        total, first, last = conn.exec_driver_sql("SELECT count(*), min(rowid), max(rowid) FROM tickets").one()
    parts = [(lo, min(lo + PART - 1, last)) for lo in range(first, last + 1, PART)] if total else []
    count = workers if workers is not None else (cores() if total >= PARALLEL_FROM else 1)
    database = engine.url.database or ":memory:"
    shareable = database != ":memory:" and not database.startswith("file:")  # a file other processes can open
    judged = _in_processes(engine, parts, now, count) if count > 1 and shareable else _here(engine, parts, now)
    with engine.connect() as writer:
        cache = sqlite_pragma(writer, "PRAGMA cache_size")
        sqlite_pragma(writer, f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
        try:
            for part in judged:
                if part.changed:
                    writer.exec_driver_sql(WRITE_ALL, part.changed)
                if part.touched:
                    writer.exec_driver_sql(WRITE_COMPUTED_AT, part.touched)
                writer.commit()
                summary.tickets += part.tickets
                summary.response.update(part.response)
                summary.resolution.update(part.resolution)
                unjudged += part.unjudged
                if progress:
                    progress("computing SLAs", summary.tickets + len(unjudged), total)
        finally:
            sqlite_pragma(writer, f"PRAGMA cache_size={cache}")  # the pooled connection as it was
    summary.unjudged = [why for _, why in sorted(unjudged)]  # in id order, as a stream in id order names them
    if progress and not parts:
        progress("computing SLAs", 0, 0)
    return summary


def _recompute_streamed(engine: Engine, now: datetime, progress: Progress | None) -> RecomputeSummary:
    """Every ticket in id order, read with one connection (a consistent snapshot) and written in batches with
    another, so a million tickets stream through in constant memory."""
    summary = RecomputeSummary()
    batch: list[dict[str, object]] = []
    with engine.connect() as reader, engine.connect() as writer:
        total = int(reader.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one())
        context = SlaContext.load(reader)

        def flush() -> None:
            if batch:
                writer.execute(UPDATE, batch)
                writer.commit()
                batch.clear()
            if progress:
                progress("computing SLAs", summary.tickets, total)

        for facts, changes in histories(reader):
            try:
                result = context.evaluate(facts, changes, now)
            except UnjudgedSla as why:
                summary.unjudged.append(str(why))
                continue
            summary.tickets += 1
            summary.response[result.response.state] += 1
            summary.resolution[result.resolution.state] += 1
            batch.append({"ticket_id": facts.id, **stored_values(result, now)})
            if len(batch) >= BATCH:
                flush()
        flush()
    return summary


# ---- judging a part of the tickets (here, or in a worker process) -----------------------------------------


PARALLEL_FROM = 20_000  # tickets; fewer are judged in this process (a worker takes a moment to start)
PART = 5_000  # rowids per part: what one worker reads, judges and hands back at a time
READ_CACHE_KIB = 65_536  # a worker's page cache: the history index's upper pages stay in memory
ROWID = literal_column("tickets.rowid", Integer)
# By rowid, as the parts are read: each write lands next to the last one; the id makes sure it is the same ticket.
WRITE_ALL = f"UPDATE tickets SET {', '.join(f'{c} = ?' for c in STORED_COLUMNS)} WHERE rowid = ? AND id = ?"
WRITE_COMPUTED_AT = "UPDATE tickets SET sla_computed_at = ? WHERE rowid = ? AND id = ?"
WRITE_CACHE_KIB = 65_536  # the writer's page cache: the pages a part's writes touch, and the indexes' upper pages


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


@dataclass
class Part:
    """What judging one part of the tickets found: the rows to write, in the driver's values, and the counts."""

    tickets: int = 0
    response: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)
    changed: list[tuple[object, ...]] = field(default_factory=list)  # every stored column, then rowid and id
    touched: list[tuple[object, ...]] = field(default_factory=list)  # (sla_computed_at, rowid, id): the rest right
    unjudged: list[tuple[str, str]] = field(default_factory=list)  # (id, why)


RAW = String()  # a column read as the driver hands it over (ids as their text: a few are made UUIDs, once)
IDS = ("id", "business_unit_id", "sla_policy_id", "module_id")


def part_facts(first: int, last: int) -> Select[*tuple[Any, ...]]:
    """The facts (ids as stored) and the stored SLA (as stored: the driver's values) of the tickets whose rowid
    is in [first, last], in rowid order: a range of the table itself, read forwards."""
    table = table_of(Ticket)
    ids = [type_coerce(table.c[c], RAW).label(c) for c in IDS]
    stored = [type_coerce(table.c[c], RAW).label(c) for c in STORED_COLUMNS]
    facts = (Ticket.created_at, Ticket.priority, Ticket.status, Ticket.number)
    return select(*ids, *facts, ROWID, *stored).where(ROWID.between(first, last)).order_by(ROWID)


def part_changes(first: int, last: int) -> Select[*tuple[Any, ...]]:
    """The status and priority changes of the same tickets (ticket ids as stored), each ticket's in replay
    order: the trail's entity index probed once per ticket, never the whole trail."""
    ids = select(Ticket.id).where(ROWID.between(first, last))
    query = changes_query().where(AuditEvent.entity_id.in_(ids))
    return query.with_only_columns(type_coerce(AuditEvent.entity_id, RAW), *query.selected_columns[1:])


def judge_part(conn: Connection, context: SlaContext, first: int, last: int, now: datetime) -> Part:
    """Judge the tickets of rowids [first, last] as of ``now`` and say what to write; writes nothing."""
    part = Part()
    convert = _converters(conn.dialect)
    now_value = convert["sla_computed_at"](now)
    histories: dict[str, list[Change]] = {}
    for ticket_id, group in groupby(conn.execute(part_changes(first, last)), key=lambda r: r[0]):
        histories[ticket_id] = [Change(at, str(f), str(new), old, seq=seq) for _, at, seq, f, old, new in group]
    known: dict[str | None, uuid.UUID | None] = {None: None}  # units, policies and modules: a few, each made once

    def made(value: str | None) -> uuid.UUID | None:
        found = known.get(value)
        if found is None and value is not None:
            found = known[value] = uuid.UUID(value)
        return found

    for row in conn.execute(part_facts(first, last)):
        ticket_id, unit_id, policy_id, module_id, created_at, priority, status, number, rowid = row[:9]
        unit, module = made(unit_id), made(module_id)
        assert unit is not None, row  # NOT NULL columns
        assert module is not None, row
        facts = TicketFacts(
            uuid.UUID(ticket_id), unit, made(policy_id), created_at, str(priority), str(status), module, number
        )
        try:
            result = context.evaluate(facts, histories.get(ticket_id, []), now)
        except UnjudgedSla as why:
            part.unjudged.append((ticket_id, str(why)))
            continue
        part.tickets += 1
        part.response[result.response.state] += 1
        part.resolution[result.resolution.state] += 1
        values = stored_values(result, now)
        new = tuple(None if values[c] is None else convert[c](values[c]) for c in STORED_COLUMNS[:-1])
        old = tuple(row[9:])
        if new != old[:-1]:
            part.changed.append((*new, now_value, rowid, ticket_id))
        elif old[-1] != now_value:
            part.touched.append((now_value, rowid, ticket_id))
    return part


def _converters(dialect: Dialect) -> dict[str, Callable[[Any], Any]]:
    table = table_of(Ticket)
    found = {}
    for name in STORED_COLUMNS:
        process = converter(table.c[name], dialect)
        found[name] = process if process is not None else (lambda value: value)
    return found


def _here(engine: Engine, parts: list[tuple[int, int]], now: datetime) -> Iterator[Part]:
    with engine.connect() as conn:
        context = SlaContext.load(conn)
        conn.rollback()
        for first, last in parts:
            yield judge_part(conn, context, first, last, now)
            conn.rollback()  # a part's read ends here: the writer's commits are not held back


def _in_processes(engine: Engine, parts: list[tuple[int, int]], now: datetime, count: int) -> Iterator[Part]:
    """The parts judged by ``count`` worker processes, handed back in their order; at most two per worker
    are under way or waiting to be written at any time, so memory stays flat however many tickets there are."""
    import multiprocessing  # here: a ticket's edit imports this module, and only a recompute starts processes
    from concurrent.futures import ProcessPoolExecutor

    url = engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")  # no copy of this process's threads, connections or locks
    with ProcessPoolExecutor(count, mp_context=spawn, initializer=_start_worker, initargs=(url,)) as pool:
        waiting: deque[Future[Part]] = deque()
        todo = iter(parts)
        try:
            for first, last in islice(todo, 2 * count):
                waiting.append(pool.submit(_judge_in_worker, first, last, now))
            while waiting:
                done = waiting.popleft().result()
                for first, last in islice(todo, 1):
                    waiting.append(pool.submit(_judge_in_worker, first, last, now))
                yield done
        finally:
            for future in waiting:
                future.cancel()


_worker: tuple[Engine, SlaContext] | None = None


def _start_worker(url: str) -> None:
    """A worker's own engine and SLA context, read once."""
    global _worker
    engine = make_engine(url)
    with engine.connect() as conn:
        context = SlaContext.load(conn)
    _worker = (engine, context)


def _judge_in_worker(first: int, last: int, now: datetime) -> Part:
    assert _worker is not None, "a worker judges only after _start_worker"
    engine, context = _worker
    with engine.connect() as conn:
        sqlite_pragma(conn, f"PRAGMA cache_size=-{READ_CACHE_KIB}")
        return judge_part(conn, context, first, last, now)


def recompute_release_tickets(
    conn: Connection, module_id: uuid.UUID, logged_from: datetime | None, logged_before: datetime, now: datetime
) -> int:
    """Store again the SLA of the module's tickets due with a release that were logged in
    [``logged_from``, ``logged_before``) (from the first when None), in the caller's transaction:
    after a release of the module is planned, moved or cancelled, only these can be due with
    another one. Writes only the tickets whose outcome changed; returns how many."""
    context = SlaContext.load(conn)
    priorities = sorted(context.untimed)
    if not priorities:
        return 0
    where = [Ticket.module_id == module_id, Ticket.priority.in_(priorities), Ticket.created_at < logged_before]
    if logged_from is not None:
        where.append(Ticket.created_at >= logged_from)
    facts = list(ticket_facts(conn, None, *where))
    compared = [c for c in STORED_COLUMNS if c != "sla_computed_at"]
    changed = 0
    for start in range(0, len(facts), CHUNK):
        part = facts[start : start + CHUNK]
        ids = [f.id for f in part]
        histories = dict(changes_by_ticket(conn, ids))
        stored = {
            row.id: row._mapping
            for row in conn.execute(
                select(Ticket.id, *(table_of(Ticket).c[c] for c in compared)).where(Ticket.id.in_(ids))
            )
        }
        batch = []
        for ticket in part:
            try:
                values = stored_values(context.evaluate(ticket, histories.get(ticket.id, []), now), now)
            except UnjudgedSla:  # left as stored; `sla recompute` names it
                continue
            if any(stored[ticket.id][c] != values[c] for c in compared):
                batch.append({"ticket_id": ticket.id, **values})
        if batch:
            conn.execute(UPDATE, batch)
            changed += len(batch)
    return changed


@dataclass(frozen=True)
class WhatIf:
    """How the current and a proposed policy judge the same tickets."""

    tickets: int
    current_missed: int
    proposed_missed: int
    current_response_missed: int
    proposed_response_missed: int


def what_if(conn: Connection, proposed: Policy, start: datetime, end: datetime, now: datetime) -> WhatIf:
    """Resolution and response breaches of tickets created in [start, end), under both policies."""
    context = SlaContext.load(conn)
    counts = Counter[str]()
    missed = ("missed", "breached")
    for facts, changes in histories(conn):
        if not start <= facts.created_at < end:
            continue
        current = context.evaluate(facts, changes, now)
        other = context.evaluate(facts, changes, now, policy=proposed)
        counts["tickets"] += 1
        counts["current"] += current.resolution.state in missed
        counts["proposed"] += other.resolution.state in missed
        counts["current_response"] += current.response.state in missed
        counts["proposed_response"] += other.response.state in missed
    return WhatIf(
        counts["tickets"],
        counts["current"],
        counts["proposed"],
        counts["current_response"],
        counts["proposed_response"],
    )
