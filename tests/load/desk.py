"""One desk of the team load test, in a process of its own: a person at their workspace editing and syncing.

The desk works through the same services as the window and the command line: edits go through
``console.desk.Desk`` (``edit_ticket``, ``log_ticket``) into the local cache and its outbox, and every sync is
``console.sync.client.sync_workspace``, the pass ``support-console sync --once`` runs. Its steps are timed by the
pass's own progress callback: from "Pushing…" to "Pulling…" is the push, from there to the end the pull.

Phases, each waited for through the events the team hands over: the first download (not timed), then the timed
work until ``stop_at``, then *drain* (sync until a pass succeeds with the outbox empty), then, once every desk
has drained and the external writer has stopped, *final* (one more successful pass brings everyone's last
edits). Every intent the desk put in its outbox is recorded (mutation id, kind, a note's id and text) for the
team's checks, and every pass with its timings or its error. The record is written as JSON at the end.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from console.access import Can, Refused
from console.desk import Desk, NewTicket
from console.errors import ConsoleError
from console.journal import codec
from console.journal.intents import AddComment
from console.journal.outbox import OUTBOX
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client
from console.tickets import edits, queue, workflow
from console.tickets import service as tickets
from models import BusinessUnit, ErpModule, Impact, Priority, Role, Ticket, TicketKind, TicketStatus, Urgency, User
from tests.conftest import MemoryKeyring

HOT = 30  # the open tickets everyone picks most: where edits meet and conflict
REASON = "load test"


class Flag(Protocol):
    """A ``multiprocessing`` event, as far as a desk uses one."""

    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class Number(Protocol):
    """A ``multiprocessing`` shared value."""

    value: Any

    def get_lock(self) -> Any: ...


@dataclass(frozen=True)
class DeskPlan:
    name: str
    home: Path
    url: str  # the person's own URL (through the proxy when faults are on)
    login: str
    seed: int
    think: tuple[float, float]  # seconds between one round of edits and its sync, and the next
    out: Path  # where the record goes


@dataclass
class Pass:
    """One sync pass: when, in which phase, how long each step took, what it did, or why it failed."""

    phase: str
    at: float  # time.monotonic(), the one clock of every process of the run (deadlines too: not the wall clock)
    total: float
    push: float | None = None
    pull: float | None = None
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    error: str | None = None


@dataclass
class Record:
    name: str
    login: str
    client_id: str = ""
    intents: list[dict[str, str]] = field(default_factory=list)  # mutation, kind (and a note's id and body)
    passes: list[Pass] = field(default_factory=list)
    cpu_seconds: float = 0.0  # this process's CPU time in the timed phase
    refused_here: int = 0  # edits the desk's own rules refused: nothing queued
    edit_errors: list[str] = field(default_factory=list)  # edits that failed otherwise (a number block offline)
    phases_done: list[str] = field(default_factory=list)
    failure: str | None = None  # the desk process itself broke


def timed_sync(workspace: Workspace, phase: str) -> Pass:
    """One pass of the real sync path, with the push and the pull timed apart."""
    marks: dict[str, float] = {}
    started = time.perf_counter()
    at = time.monotonic()

    def step(what: str) -> None:
        marks.setdefault(what, time.perf_counter())

    try:
        report = client.sync_workspace(workspace, step)
    except Exception as error:  # a pass that failed: recorded with the step it failed in, retried later
        done = time.perf_counter()
        reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        failed = Pass(phase, at, done - started, error=reason[:300])
        if client.PULLING in marks:
            failed.push = marks[client.PULLING] - marks[client.PUSHING]
        return failed
    done = time.perf_counter()
    pushing = marks.get(client.PUSHING, started)
    pulling = marks.get(client.PULLING, done)
    return Pass(phase, at, done - started, pulling - pushing, done - pulling, report.pushed, report.pulled,
                report.conflicts, len(report.rejected))  # fmt: skip


class Work:
    """The edits one person makes, chosen by a seeded generator from what their cache shows."""

    def __init__(self, desk: Desk, rng: random.Random, name: str) -> None:
        self.desk = desk
        self.rng = rng
        self.name = name
        self.count = 0
        with desk.workspace.reading() as conn:
            self.units = list(conn.execute(select(BusinessUnit.code, BusinessUnit.id).order_by(BusinessUnit.code)))
            self.modules = list(conn.execute(select(ErpModule.code).order_by(ErpModule.code)).scalars())
            self.people = list(
                conn.execute(
                    select(User.id).where(User.active, User.role == Role.FUNCTIONAL_CONSULTANT).order_by(User.login)
                ).scalars()
            )

    def one(self) -> None:
        """One edit, as the person would make it from what they see now."""
        actor = self.desk.actor
        self.count += 1
        draw = self.rng.random()
        if draw < 0.03 and actor.may(Can.LOG):
            self._log()
            return
        with self.desk.workspace.reading() as conn:
            row = self._pick(conn, any_status=draw < 0.40)
        if row is None:
            return
        intents: list[tickets.Intent]
        if draw < 0.40 or not actor.may(Can.TRIAGE):
            body = f"load {self.name} #{self.count}: {self.rng.choice(['called', 'checked logs', 'asked'])}"
            intents = [edits.add_note(row.id, body, internal=self.rng.random() < 0.7)]
        elif draw < 0.65 and actor.may(Can.WORK):
            intents = self._move(row)
        elif draw < 0.80:
            priority = self.rng.choice([p for p in Priority if p != row.priority])
            intents = [edits.set_priority(row.id, priority, base=row.priority, reason=REASON)]
        elif draw < 0.95 or actor.role is not Role.SUPPORT_MANAGER:
            who = actor.id if self.rng.random() < 0.5 else self.rng.choice(self.people)
            intents = [edits.assign(row.id, who, base=row.assignee_id)]
        else:  # the manager moves a ticket to another unit: it leaves one super-user's cache for another's
            unit = self.rng.choice([u for _, u in self.units if u != row.business_unit_id])
            intents = [tickets.SetField(row.id, "business_unit_id", unit, row.business_unit_id)]
        self.desk.edit_ticket(lambda _ticket: intents, row.id, row.number)

    def _pick(self, conn: Connection, *, any_status: bool) -> Any:
        where = list(queue.scope(self.desk.actor))
        if not any_status:
            where.append(Ticket.status.in_(queue.OPEN_STATUSES))
        columns = (Ticket.id, Ticket.number, Ticket.status, Ticket.priority, Ticket.assignee_id,
                   Ticket.business_unit_id)  # fmt: skip
        if self.rng.random() < 0.5:  # the hot set: everyone's first open tickets
            found = conn.execute(select(*columns).where(*where).order_by(Ticket.number).limit(HOT)).all()
            return self.rng.choice(found) if found else None
        total = conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one()
        if not total:
            return None
        offset = self.rng.randrange(total)
        return conn.execute(select(*columns).where(*where).order_by(Ticket.number).offset(offset).limit(1)).first()

    def _move(self, row: Any) -> list[tickets.Intent]:
        me = self.desk.actor.id
        status = TicketStatus(row.status)
        if status is TicketStatus.NEW:  # taking a new ticket moves it to Assigned
            return [edits.assign(row.id, me, base=row.assignee_id)]
        target = self.rng.choice(list(workflow.allowed_moves(status)))
        first = [] if row.assignee_id is not None else [edits.assign(row.id, me, base=None)]
        return [*first, edits.set_status(row.id, target, base=status, reason=REASON)]

    def _log(self) -> None:
        actor = self.desk.actor
        units = [code for code, unit in self.units if actor.sees(unit)]
        new = NewTicket(TicketKind.INCIDENT, f"Load test {self.name} #{self.count}", "", Impact.MEDIUM,
                        Urgency.MEDIUM, self.rng.choice(units), self.rng.choice(self.modules))  # fmt: skip
        self.desk.log_ticket(new)


def _new_intents(workspace: Workspace, after: int) -> list[dict[str, str]]:
    """The outbox entries after ``after``: the intents an edit just queued."""
    found: list[dict[str, str]] = []
    with workspace.reading() as conn:
        for entry in conn.execute(select(OUTBOX).where(OUTBOX.c.seq > after).order_by(OUTBOX.c.seq)):
            noted = {"mutation": str(entry.mutation_id), "kind": entry.kind}
            intent = codec.loads(entry.kind, entry.payload)
            if isinstance(intent, AddComment):
                noted |= {"comment": str(intent.comment_id), "body": intent.body}
            found.append(noted)
    return found


def _last_seq(workspace: Workspace) -> int:
    with workspace.reading() as conn:
        return int(conn.execute(select(func.coalesce(func.max(OUTBOX.c.seq), 0))).scalar_one())


def _outbox_empty(workspace: Workspace) -> bool:
    with workspace.reading() as conn:
        return conn.execute(select(OUTBOX.c.seq).limit(1)).first() is None


def _until_clean(workspace: Workspace, record: Record, phase: str, give_up: float) -> None:
    """Sync until a pass succeeds with nothing left in the outbox (the network may fail any number of passes)."""
    while time.monotonic() < give_up:
        done = timed_sync(workspace, phase)
        record.passes.append(done)
        if done.error is None and _outbox_empty(workspace):
            record.phases_done.append(phase)
            return
        time.sleep(0.2)
    raise TimeoutError(f"{phase}: no clean sync pass before the deadline")


def run_desk(plan: DeskPlan, ready: Number, go: Flag, stop_at: Number, drained: Number, final: Flag,
             deadline: float) -> None:  # fmt: skip
    """The desk process: first download, work until ``stop_at``, drain, final pass; the record to ``plan.out``."""
    record = Record(plan.name, plan.login)
    rng = random.Random(plan.seed)
    workspace = Workspace.open(plan.home, secrets=SecretStore(MemoryKeyring()))
    try:
        workspace.settings.set("shared_url", plan.url)
        workspace.settings.set("user", plan.login)
        record.client_id = workspace.client_id
        _until_clean(workspace, record, "download", deadline)
        desk = Desk.open(workspace)
        work = Work(desk, rng, plan.name)
        with ready.get_lock():
            ready.value += 1
        if not go.wait(timeout=max(0.0, deadline - time.monotonic())):
            raise TimeoutError("the team never started")
        cpu = time.process_time()
        while time.monotonic() < stop_at.value:
            for _ in range(rng.randint(1, 3)):
                before = _last_seq(workspace)  # seq is SQLite's rowid: a number a pushed entry had comes again
                try:
                    work.one()
                except Refused:
                    record.refused_here += 1
                except (
                    ConsoleError,
                    DBAPIError,
                ) as error:  # a new ticket's number block, reserved as the network fails
                    record.edit_errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
                record.intents.extend(_new_intents(workspace, before))
            record.passes.append(timed_sync(workspace, "load"))
            time.sleep(rng.uniform(*plan.think))
        record.cpu_seconds = time.process_time() - cpu
        record.phases_done.append("load")
        _until_clean(workspace, record, "drain", deadline)
        with drained.get_lock():
            drained.value += 1
        if not final.wait(timeout=max(0.0, deadline - time.monotonic())):
            raise TimeoutError("the team never finished draining")
        _until_clean(workspace, record, "final", deadline)
    except BaseException:
        record.failure = traceback.format_exc(limit=8)
        raise
    finally:
        workspace.close()
        plan.out.write_text(json.dumps(asdict(record)) + "\n", encoding="utf-8")


def read_record(path: Path) -> Record:
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["passes"] = [Pass(**p) for p in raw["passes"]]
    return Record(**raw)
