"""SLA reconciliation: how often our SLA engine agrees with the source's own SLA flag, per priority, and why not.

For each imported ticket our outcome comes from a *judge* (``WorkspaceJudge``: the SLA engine under the
workspace's policy and calendar, as ``console.sla.recompute`` judges stored tickets) and is compared with the
source's flag (ServiceNow's ``made_sla``) on the **resolution** clock. Ours is "met" when the clock stopped
within its target, or runs or waits still within it; "not met" once past it. A clock with no target (Low with
no release planned) and a ticket whose SLA cannot be judged are counted apart, not compared.

Each disagreement is explained in plain words, by the first reason that fits:

- **no resolution time**: the file gives the ticket no resolution, so our clock runs on to now;
- **release**: Low is due with its module's release, a date, where the source counts time;
- **paused time**: our clock paused while the ticket waited (pending statuses) and counting that time it
  would have breached;
- **business hours**: we count working time of the unit's calendar; on the wall clock it took longer than
  the target;
- **target**: ours and the source's targets differ: it used this much of ours.
"""

from __future__ import annotations

import csv
import enum
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import Connection, select

from console.i18n import N_, _
from console.imports.export import escaped
from console.imports.missing import name_key
from console.imports.problems import ImportFailed
from console.imports.records import EventKind, ImportedTicket
from console.sla.engine import Change, SlaResult
from console.sla.store import SlaContext, TicketFacts, UnjudgedSla, ticket_sla
from console.sla.words import duration
from console.words import word
from console.zone import moment_text
from models import BusinessUnit, ErpModule, Priority, SlaPolicy, SlaState, Ticket, TicketStatus

Judge = Callable[[ImportedTicket], SlaResult]
PRIORITY_WORDS = {
    Priority.CRITICAL: N_("Critical"),
    Priority.HIGH: N_("High"),
    Priority.MEDIUM: N_("Medium"),
    Priority.LOW: N_("Low"),
}
MET = frozenset({SlaState.MET, SlaState.RUNNING, SlaState.WARNING, SlaState.PAUSED})
NOT_MET = frozenset({SlaState.MISSED, SlaState.BREACHED})


def engine_changes(ticket: ImportedTicket) -> list[Change]:
    """The ticket's status and priority changes as the SLA engine reads an audit trail."""
    kinds = (EventKind.STATUS, EventKind.PRIORITY)
    return [
        Change(e.at, e.kind.value, e.new or "", e.old, seq=e.seq)
        for e in ticket.events
        if e.kind in kinds and e.new != e.old
    ]


class WorkspaceJudge:
    """Our SLA for an imported ticket as the workspace would judge it once imported: the policy and calendar of
    its unit (the ticket's unit when the workspace knows it, else ``unit``), or the policy named ``policy`` for
    every ticket; a Low ticket is due with its module's first release after it was logged."""

    def __init__(self, conn: Connection, now: datetime, *, unit: str, policy: str | None = None) -> None:
        self.now = now
        self.context = SlaContext.load(conn)
        self.units = {
            name_key(str(name)): unit_id
            for unit_id, code, label in conn.execute(select(BusinessUnit.id, BusinessUnit.code, BusinessUnit.name))
            for name in (code, label)
        }
        self.modules = {
            name_key(str(name)): module_id
            for module_id, code, label in conn.execute(select(ErpModule.id, ErpModule.code, ErpModule.name))
            for name in (code, label)
        }
        default = self.units.get(name_key(unit))
        if default is None:
            raise ImportFailed(_("There is no business unit {unit!r} in this workspace.").format(unit=unit))
        self.default_unit = default
        self.policy_id: uuid.UUID | None = None
        if policy is not None:
            found = conn.execute(select(SlaPolicy.id).where(SlaPolicy.name == policy)).scalar()
            if found is None:
                raise ImportFailed(_("There is no SLA policy {policy!r} in this workspace.").format(policy=policy))
            self.policy_id = found

    def __call__(self, ticket: ImportedTicket) -> SlaResult:
        """Raises ``UnjudgedSla`` when the ticket's history or its policy cannot be judged."""
        unit = self.units.get(name_key(ticket.unit or ""), self.default_unit)
        module = self.modules.get(name_key(ticket.module or ""), uuid.UUID(int=0))
        facts = TicketFacts(
            uuid.UUID(int=0), unit, self.policy_id, ticket.created_at, ticket.priority.value, ticket.status.value,
            module, ticket.key,
        )  # fmt: skip
        return self.context.evaluate(facts, engine_changes(ticket), self.now)


class Reason(enum.StrEnum):
    NO_RESOLUTION = "no_resolution"
    RELEASE = "release"
    PAUSED = "paused"
    BUSINESS_HOURS = "business_hours"
    TARGET = "target"


@dataclass(frozen=True)
class Disagreement:
    key: str
    priority: Priority
    source_met: bool
    we_met: bool
    reason: Reason
    words: str


@dataclass
class PriorityAgreement:
    priority: Priority
    tickets: int = 0
    flagged: int = 0
    """Tickets the source gives a flag and ours judges: the ones compared."""
    source_met: int = 0
    we_met: int = 0
    agree: int = 0
    not_timed: int = 0

    @property
    def agree_share(self) -> float | None:
        """Agreements among the compared, 0–1; None when none was compared."""
        return self.agree / self.flagged if self.flagged else None


@dataclass
class Reconciliation:
    by_priority: dict[Priority, PriorityAgreement] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    """A sample: the first few of each priority, in the order the tickets came."""
    unjudged: list[str] = field(default_factory=list)
    sample: int = 5
    """Disagreements kept per priority."""

    def add(self, ticket: ImportedTicket, result: SlaResult | UnjudgedSla) -> None:
        """One ticket and our outcome for it (or why it cannot be judged)."""
        if isinstance(result, UnjudgedSla):
            self.by_priority.setdefault(ticket.priority, PriorityAgreement(ticket.priority)).tickets += 1
            self.unjudged.append(str(result))
            return
        status = ticket.source_status or ticket.status.value
        self.count(ticket.key, ticket.priority, ticket.source_sla_met, result.resolution.state,
                   lambda: explain(ticket.created_at, status, result))  # fmt: skip

    def count(
        self,
        key: str,
        priority: Priority,
        source_met: bool | None,
        state: SlaState | None,
        why: Callable[[], tuple[Reason, str]],
    ) -> None:
        """One ticket by its resolution clock's state; ``why`` explains a disagreement kept in the sample."""
        line = self.by_priority.setdefault(priority, PriorityAgreement(priority))
        line.tickets += 1
        if state is SlaState.NOT_TIMED:
            line.not_timed += 1
            return
        ours = state in MET
        line.we_met += ours
        if source_met is None:
            return
        line.flagged += 1
        line.source_met += source_met
        if ours == source_met:
            line.agree += 1
        elif sum(d.priority is priority for d in self.disagreements) < self.sample:
            reason, words = why()
            self.disagreements.append(Disagreement(key, priority, source_met, ours, reason, words))

    def rows(self) -> list[PriorityAgreement]:
        """Each priority's line, in severity order, then the total."""
        lines = [self.by_priority[p] for p in Priority if p in self.by_priority]
        total = PriorityAgreement(Priority.LOW)
        for line in lines:
            for name in ("tickets", "flagged", "source_met", "we_met", "agree", "not_timed"):
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return [*lines, total]

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Headings and rows in words, for the command line, the CSV and the metrics page (last row: all)."""
        headings = [
            _("Priority"), _("Tickets"), _("Compared"), _("Source says met"), _("We say met"), _("Agree"),
            _("Agree %"),
        ]  # fmt: skip
        rows = []
        found = self.rows()
        for index, line in enumerate(found):
            share = line.agree_share
            rows.append(
                [
                    _("All") if index == len(found) - 1 else _(PRIORITY_WORDS[line.priority]),
                    f"{line.tickets:,}",
                    f"{line.flagged:,}",
                    f"{line.source_met:,}",
                    f"{line.we_met:,}",
                    f"{line.agree:,}",
                    "" if share is None else f"{share * 100:.1f}",
                ]
            )
        return headings, rows


def reconcile(tickets: Iterable[ImportedTicket], judge: Judge, *, sample: int = 5) -> Reconciliation:
    """Compare our outcome with the source's flag for every ticket, streamed; ``sample`` disagreements kept per
    priority."""
    found = Reconciliation(sample=sample)
    for ticket in tickets:
        try:
            result: SlaResult | UnjudgedSla = judge(ticket)
        except UnjudgedSla as why:
            result = why
        found.add(ticket, result)
    return found


def explain(created_at: datetime, status: str, result: SlaResult) -> tuple[Reason, str]:
    """Why our resolution clock and the source's flag differ, in words (``status``: the ticket's, as the source
    says it)."""
    clock = result.resolution
    target = clock.target
    if clock.stopped_at is None:
        return Reason.NO_RESOLUTION, _(
            "The file gives no resolution time: the ticket is still {status}, so our clock runs on; as of {now} it "
            "has used {used} of its target of {target}."
        ).format(
            status=status,
            now=_when(result.as_of),
            used=duration(clock.used),
            target=duration(target),
        )
    if clock.release is not None:
        return Reason.RELEASE, _(
            "Low is due with release {release} ({due}); resolved {when}. The source counts time instead."
        ).format(release=clock.release.name, due=_when(clock.release.at), when=_when(clock.stopped_at))
    wall = (clock.stopped_at or result.as_of or created_at) - created_at
    if target is not None and clock.state in MET and clock.paused > timedelta() and clock.used + clock.paused > target:
        return Reason.PAUSED, _(
            "Our clock paused for {paused} while the ticket waited (pending statuses); it used {used} of {target}, "
            "and counting the wait it would have breached."
        ).format(paused=duration(clock.paused), used=duration(clock.used), target=duration(target))
    if target is not None and clock.state in MET and wall > target:
        return Reason.BUSINESS_HOURS, _(
            "We count working hours of the unit's calendar: {used} of working time against a target of {target}, "
            "but {wall} on the wall clock."
        ).format(used=duration(clock.used), target=duration(target), wall=duration(wall))
    return Reason.TARGET, _(
        "It used {used} of our target of {target} for {priority}; the source's target or its clock differ."
    ).format(used=duration(clock.used), target=duration(target), priority=_(PRIORITY_WORDS[Priority(result.priority)]))


def _when(value: datetime | None) -> str:
    return moment_text(value, named=True) if value is not None else ""


def stored_reconciliation(conn: Connection, now: datetime, *, sample: int = 5) -> Reconciliation:
    """The reconciliation of the tickets imported into this database with the source's own SLA flag: our stored
    outcome for each, and for a sample of disagreements the SLA engine's account (the metrics view's page)."""
    found = Reconciliation(sample=sample)
    context: SlaContext | None = None
    query = (
        select(Ticket.id, Ticket.source_key, Ticket.priority, Ticket.source_sla_met, Ticket.resolution_state,
               Ticket.created_at, Ticket.status)
        .where(Ticket.source_sla_met.is_not(None))
        .order_by(Ticket.created_at, Ticket.id)
    )  # fmt: skip
    for ticket_id, key, priority, source_met, state, created_at, status in conn.execute(query).all():

        def why(ticket_id: uuid.UUID = ticket_id, created_at: datetime = created_at, status: str = status) -> Any:
            nonlocal context
            context = context or SlaContext.load(conn)
            return explain(created_at, word(TicketStatus(status)), ticket_sla(conn, ticket_id, now, context))

        found.count(str(key), Priority(priority), source_met, SlaState(state) if state else None, why)
    return found


def reconciliation_csv(found: Reconciliation, out: TextIO) -> None:
    """The table and the sample of disagreements as CSV (cells that a spreadsheet would run made inert)."""
    writer = csv.writer(out)
    headings, rows = found.table()
    writer.writerow(headings)
    writer.writerows([[escaped(cell) for cell in row] for row in rows])
    if found.disagreements:
        writer.writerow([])
        writer.writerow([_("Ticket"), _("Priority"), _("Source says met"), _("We say met"), _("Why")])
        for item in found.disagreements:
            writer.writerow([escaped(item.key), _(PRIORITY_WORDS[item.priority]), _("yes") if item.source_met
                             else _("no"), _("yes") if item.we_met else _("no"), escaped(item.words)])  # fmt: skip
