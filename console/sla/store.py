"""Policies, calendars and ticket histories read from the database for the SLA engine.

``SlaContext`` loads every policy, calendar and release once (they are a few rows) and
then answers for any number of tickets, so recomputing a whole history after a policy
change reads each table once.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Select, select

from console.errors import ConsoleError
from console.journal.audit import REPLAY_ORDER
from console.sla.calendar import WorkingCalendar
from console.sla.engine import (
    Change,
    History,
    HistoryError,
    Policy,
    PolicyError,
    ReleaseDue,
    SlaResult,
    Target,
    evaluate,
)
from models import (
    AuditEvent,
    BusinessCalendar,
    BusinessHours,
    BusinessUnit,
    EntityType,
    Holiday,
    Priority,
    Release,
    SlaPauseStatus,
    SlaPolicy,
    SlaTarget,
    Ticket,
)

HISTORY_FIELDS = ("status", "priority")


class UnjudgedSla(ConsoleError):
    """A ticket whose SLA the engine cannot judge: its history holds a value that is not ours (written by
    another SQL client or an import), or its policy has no target for its priority. Names the ticket."""


class NoPolicy(LookupError):
    """A ticket whose unit has no SLA policy and that names none itself."""


@dataclass(frozen=True)
class TicketFacts:
    """What the engine needs of a ticket besides its history of changes."""

    id: uuid.UUID
    business_unit_id: uuid.UUID
    sla_policy_id: uuid.UUID | None
    created_at: datetime
    priority: str
    status: str
    module_id: uuid.UUID
    number: str = ""


class SlaContext:
    def __init__(self, policies: dict[uuid.UUID, Policy], calendars: dict[uuid.UUID, WorkingCalendar],
                 policy_calendars: dict[uuid.UUID, uuid.UUID | None],
                 units: dict[uuid.UUID, tuple[uuid.UUID | None, uuid.UUID | None]],
                 releases: dict[uuid.UUID, list[ReleaseDue]] | None = None) -> None:  # fmt: skip
        self.policies = policies
        self.calendars = calendars
        self.policy_calendars = policy_calendars
        self.units = units
        self.releases = {module: sorted(found, key=lambda r: r.at) for module, found in (releases or {}).items()}
        self._release_times = {module: [r.at for r in found] for module, found in self.releases.items()}

    @classmethod
    def load(cls, conn: Connection) -> SlaContext:
        calendars: dict[uuid.UUID, WorkingCalendar] = {}
        hours = conn.execute(
            select(BusinessHours.calendar_id, BusinessHours.weekday, BusinessHours.starts, BusinessHours.ends)
        )
        by_calendar: dict[uuid.UUID, list[tuple[int, time, time]]] = {}
        for calendar_id, weekday, starts, ends in hours:
            by_calendar.setdefault(calendar_id, []).append((weekday, starts, ends))
        days: dict[uuid.UUID, list[date]] = {}
        for calendar_id, day in conn.execute(select(Holiday.calendar_id, Holiday.day)):
            days.setdefault(calendar_id, []).append(day)
        for calendar_id, zone in conn.execute(select(BusinessCalendar.id, BusinessCalendar.time_zone)):
            calendars[calendar_id] = WorkingCalendar.weekly(
                zone,
                by_calendar.get(calendar_id, []),
                days.get(calendar_id, []),
            )
        targets: dict[uuid.UUID, dict[Priority, Target]] = {}
        target_columns = (
            SlaTarget.policy_id,
            SlaTarget.priority,
            SlaTarget.response_minutes,
            SlaTarget.resolution_minutes,
            SlaTarget.around_the_clock,
        )
        for target in conn.execute(select(*target_columns)):
            targets.setdefault(target.policy_id, {})[Priority(target.priority)] = Target(
                timedelta(minutes=target.response_minutes),
                timedelta(minutes=target.resolution_minutes) if target.resolution_minutes else None,
                target.around_the_clock,
            )
        pauses: dict[uuid.UUID, set[str]] = {}
        for policy_id, status in conn.execute(select(SlaPauseStatus.policy_id, SlaPauseStatus.status)):
            pauses.setdefault(policy_id, set()).add(str(status))
        policies: dict[uuid.UUID, Policy] = {}
        policy_calendars: dict[uuid.UUID, uuid.UUID | None] = {}
        policy_columns = (SlaPolicy.id, SlaPolicy.name, SlaPolicy.warning_threshold, SlaPolicy.calendar_id)
        for policy in conn.execute(select(*policy_columns)):
            policies[policy.id] = Policy(
                policy.name, targets.get(policy.id, {}), frozenset(pauses.get(policy.id, ())), policy.warning_threshold
            )
            policy_calendars[policy.id] = policy.calendar_id
        units = {
            unit_id: (policy_id, calendar_id)
            for unit_id, policy_id, calendar_id in conn.execute(
                select(BusinessUnit.id, BusinessUnit.sla_policy_id, BusinessUnit.calendar_id)
            )
        }
        return cls(policies, calendars, policy_calendars, units, planned_releases(conn))

    def release_for(self, module_id: uuid.UUID, logged_at: datetime) -> ReleaseDue | None:
        """The release a ticket of this module logged then is due with: the first to reach production after."""
        times = self._release_times.get(module_id, [])
        index = bisect.bisect_right(times, logged_at)
        return self.releases[module_id][index] if index < len(times) else None

    @property
    def untimed(self) -> frozenset[Priority]:
        """The priorities some policy gives no resolution time: theirs is due with a release."""
        targets = (item for policy in self.policies.values() for item in policy.targets.items())
        return frozenset(priority for priority, target in targets if target.resolution is None)

    def rules_for(self, ticket: TicketFacts) -> tuple[Policy, WorkingCalendar]:
        """The ticket's own policy, else its unit's; the policy's calendar, else the unit's."""
        unit_policy, unit_calendar = self.units.get(ticket.business_unit_id, (None, None))
        policy_id = ticket.sla_policy_id or unit_policy
        if policy_id is None or policy_id not in self.policies:
            raise NoPolicy(f"ticket {ticket.id} has no SLA policy (neither its own nor its unit's)")
        calendar_id = self.policy_calendars.get(policy_id) or unit_calendar
        calendar = self.calendars[calendar_id] if calendar_id in self.calendars else WorkingCalendar.always()
        return self.policies[policy_id], calendar

    def evaluate(
        self, ticket: TicketFacts, changes: list[Change], now: datetime, policy: Policy | None = None
    ) -> SlaResult:
        """The ticket's SLA under its own policy, or under ``policy`` (a what-if)."""
        own, calendar = self.rules_for(ticket)
        release = self.release_for(ticket.module_id, ticket.created_at)
        try:
            return evaluate(history_of(ticket, changes), policy or own, calendar, now, release)
        except (HistoryError, PolicyError) as why:
            raise UnjudgedSla(f"The SLA of {ticket.number or ticket.id} cannot be judged: {why}.") from why


def planned_releases(conn: Connection) -> dict[uuid.UUID, list[ReleaseDue]]:
    """Every module's releases that are not cancelled."""
    found: dict[uuid.UUID, list[ReleaseDue]] = {}
    query = select(Release.module_id, Release.name, Release.production_at).where(Release.cancelled_at.is_(None))
    for module_id, name, production_at in conn.execute(query):
        found.setdefault(module_id, []).append(ReleaseDue(name, production_at))
    return found


def history_of(ticket: TicketFacts, changes: list[Change]) -> History:
    """The engine's history; first values are the ``old`` side of the first change of each field."""
    return History(
        ticket.created_at,
        _first(ticket.priority, changes, "priority"),
        changes,
        _first(ticket.status, changes, "status"),
    )


def _first(current: str, changes: list[Change], field: str) -> str:
    return next((c.old for c in changes if c.field == field and c.old is not None), current)


FACT_COLUMNS = (
    Ticket.id,
    Ticket.business_unit_id,
    Ticket.sla_policy_id,
    Ticket.created_at,
    Ticket.priority,
    Ticket.status,
    Ticket.module_id,
    Ticket.number,
)


def ticket_facts(conn: Connection, ticket_ids: Iterable[uuid.UUID] | None = None, *where: Any) -> Iterator[TicketFacts]:
    """The facts of these tickets (every ticket when None), in id order; ``where`` narrows them further."""
    query = select(*FACT_COLUMNS).where(*where).order_by(Ticket.id)
    if ticket_ids is not None:
        query = query.where(Ticket.id.in_(list(ticket_ids)))
    else:
        query = query.execution_options(yield_per=5000)  # every ticket: streamed (a server-side cursor)
    with conn.execute(query) as result:  # closed even when the caller stops early
        for ticket_id, unit_id, policy_id, created_at, priority, status, module_id, number in result:
            yield TicketFacts(ticket_id, unit_id, policy_id, created_at, str(priority), str(status), module_id, number)


def changes_query() -> Select[uuid.UUID, datetime, int, str | None, str | None, str | None]:
    """Every ticket's status and priority changes, ticket by ticket, each ticket's in ``(occurred_at, seq)`` order:
    (ticket id, occurred at, seq, field, old value, new value)."""
    return (
        select(
            AuditEvent.entity_id,
            AuditEvent.occurred_at,
            AuditEvent.seq,
            AuditEvent.field,
            AuditEvent.old_value,
            AuditEvent.new_value,
        )
        .where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.field.in_(HISTORY_FIELDS))
        .order_by(AuditEvent.entity_id, *REPLAY_ORDER)
    )


def changes_by_ticket(
    conn: Connection, ticket_ids: list[uuid.UUID] | None = None
) -> Iterator[tuple[uuid.UUID, list[Change]]]:
    """Status and priority changes per ticket, in ``(occurred_at, seq)`` order, streamed ticket by ticket."""
    query = changes_query()
    if ticket_ids is not None:
        query = query.where(AuditEvent.entity_id.in_(ticket_ids))
    else:
        query = query.execution_options(yield_per=20000)
    with conn.execute(query) as rows:
        for ticket_id, group in groupby(rows, key=lambda r: r[0]):
            yield ticket_id, [Change(at, str(field), str(new), old, seq=seq) for _, at, seq, field, old, new in group]


def ticket_sla(conn: Connection, ticket_id: uuid.UUID, now: datetime, context: SlaContext | None = None) -> SlaResult:
    context = context or SlaContext.load(conn)
    facts = next(ticket_facts(conn, [ticket_id]), None)
    if facts is None:
        raise LookupError(f"no ticket {ticket_id}")
    changes = dict(changes_by_ticket(conn, [ticket_id])).get(ticket_id, [])
    return context.evaluate(facts, changes, now)


def ticket_id_by_number(conn: Connection, number: str) -> uuid.UUID:
    ticket_id = conn.execute(select(Ticket.id).where(Ticket.number == number)).scalar()
    if ticket_id is None:
        raise ConsoleError(f"No ticket {number!r} in this workspace.")
    return ticket_id
