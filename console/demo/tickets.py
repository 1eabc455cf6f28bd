"""Two years of tickets: volumes with month-end peaks, and each ticket's life as audit events."""

from __future__ import annotations

import bisect
import itertools
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from console.demo import catalog
from console.demo.reference import Cast
from console.demo.rows import Dice, Row, audit_row, created_row
from console.journal.values import encode
from console.store.numbering import format_number
from console.tickets.history import status_side_effects
from console.tickets.routing import rule_name
from models import AuditAction, EntityType, Impact, Priority, Role, TicketKind, TicketStatus, Urgency, Visibility

# Impact x urgency -> priority (ITIL matrix); we draw the priority, then a consistent pair.
MATRIX: dict[Priority, tuple[tuple[Impact, Urgency], ...]] = {
    Priority.CRITICAL: ((Impact.HIGH, Urgency.HIGH),),
    Priority.HIGH: ((Impact.HIGH, Urgency.MEDIUM), (Impact.MEDIUM, Urgency.HIGH)),
    Priority.MEDIUM: ((Impact.HIGH, Urgency.LOW), (Impact.MEDIUM, Urgency.MEDIUM), (Impact.LOW, Urgency.HIGH)),
    Priority.LOW: ((Impact.MEDIUM, Urgency.LOW), (Impact.LOW, Urgency.MEDIUM), (Impact.LOW, Urgency.LOW)),
}
AUTO_CLOSE = timedelta(days=3)
# Enum members read once: attribute access on an Enum class is slow in the hot loop.
NEW, ASSIGNED, IN_PROGRESS, RESOLVED, CLOSED = (
    TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED
)  # fmt: skip
PENDING_REPORTER, PENDING_VENDOR = TicketStatus.PENDING_REPORTER, TicketStatus.PENDING_VENDOR
FIELD_CHANGED, ESCALATED = AuditAction.FIELD_CHANGED, AuditAction.ESCALATED
PUBLIC, INTERNAL = Visibility.PUBLIC, Visibility.INTERNAL
INCIDENT, SERVICE_REQUEST = TicketKind.INCIDENT, TicketKind.SERVICE_REQUEST
CRITICAL, HIGH, MEDIUM, LOW = Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW
PRIORITIES = list(catalog.PRIORITY_MIX)
TICKET_ENTITY = EntityType.TICKET
PRIORITY_CUM_WEIGHTS = list(itertools.accumulate(catalog.PRIORITY_MIX.values()))
STEP = timedelta(seconds=1)
FRESH_PER_UNIT = 3  # New tickets per unit, not yet answered, logged in the last hours before the demo's end
FRESH_HOURS = 3


def is_period_end(day: date) -> bool:
    """The last three and first two days of a month: closing the books."""
    next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day.day <= 2 or (next_month - day).days <= 3


def day_weight(day: date, first_day: date, working: bool) -> float:
    """Relative ticket volume of a day: hypercare after go-live, growth, period-end peaks, weekends."""
    age = (day - first_day).days
    weight = (1 + 2.0 * math.exp(-age / 40)) * (1 + 0.15 * age / 730)
    if is_period_end(day):
        weight *= 2.0
        if day.month in (3, 4, 6, 7, 9, 10, 12, 1):
            weight *= 1.4
        if day.month in (12, 1):
            weight *= 1.3
    return weight if working else weight * 0.12


@dataclass(frozen=True)
class TicketBatch:
    tickets: list[Row]
    comments: list[Row]
    events: list[Row]
    article_links: list[Row]


class TicketFactory:
    def __init__(self, dice: Dice, cast: Cast, first_day: date, end: datetime, links: TicketLinks) -> None:
        self.dice = dice
        self.cast = cast
        self.first_day = first_day
        self.end = end
        self.links = links
        self.analysts = cast.people(Role.SERVICE_DESK_ANALYST)
        self.technical = cast.people(Role.TECHNICAL)
        self.numbers = {INCIDENT: itertools.count(1), SERVICE_REQUEST: itertools.count(1)}
        # Super-users report their colleagues' problems; the desk logs phone calls.
        self.reporters = {unit_id: users + self.analysts[:2] for unit_id, users in cast.super_users_by_unit.items()}
        self.module_indexes = list(range(len(cast.modules)))
        self.module_codes = {module_id: spec.code for spec, module_id in cast.modules}
        self._weights_by_day_kind: dict[tuple[bool, bool], list[float]] = {}

    def _module_weights(self, day: date) -> list[float]:
        """Cumulative module weights: Finance peaks at period end, Payroll before pay day."""
        key = (is_period_end(day), 20 <= day.day <= 27)
        if key not in self._weights_by_day_kind:
            period_end, payroll = key
            self._weights_by_day_kind[key] = list(
                itertools.accumulate(
                    m.weight
                    * (2.5 if period_end and m.code == "FIN" else 1)
                    * (2.5 if payroll and m.code == "HRP" else 1)
                    for m, _ in self.cast.modules
                )
            )
        return self._weights_by_day_kind[key]

    def creation_times(self, count: int) -> list[tuple[datetime, int]]:
        """When each ticket is logged, and in which unit: sorted, so numbers rise with time."""
        dice = self.dice
        days = [self.first_day + timedelta(days=i) for i in range((self.end.date() - self.first_day).days)]
        unit_weights = [spec.weight for spec, _ in self.cast.units]
        per_unit = dice.choices(range(len(self.cast.units)), weights=unit_weights, k=count)
        out: list[tuple[datetime, int]] = []
        for index, (spec, _) in enumerate(self.cast.units):
            n = per_unit.count(index)
            zone = ZoneInfo(spec.time_zone)
            working = {w for w, _, _ in spec.hours}
            weights = list(itertools.accumulate(day_weight(d, self.first_day, d.weekday() in working) for d in days))
            for day in dice.choices(days, cum_weights=weights, k=n):
                minute = int(min(max(dice.gauss(12.5 * 60, 150), 6 * 60), 22 * 60))
                local = datetime.combine(day, time(minute // 60, minute % 60, dice.randrange(60)), zone)
                out.append((local.astimezone(UTC), index))
        out.sort()
        return [(at, unit) for at, unit in out if at < self.end]

    def fresh_times(self, times: list[tuple[datetime, int]]) -> list[tuple[datetime, bool, int]]:
        """``times`` with its latest few replaced by tickets that are still New: ``FRESH_PER_UNIT`` per unit
        (fewer in a small demo), logged in the last hours, after every other ticket, so numbers still rise with
        time. Drawn from their own dice: the tickets before them are what they were."""
        units = len(self.cast.units)
        per_unit = min(FRESH_PER_UNIT, len(times) // (50 * units))
        fresh = per_unit * units
        kept = [(at, False, unit) for at, unit in times[: len(times) - fresh]]
        if not fresh:
            return kept
        dice = self.dice.side("fresh tickets")
        after = max(self.end - timedelta(hours=FRESH_HOURS), kept[-1][0] if kept else self.end)
        room = (self.end - after).total_seconds() * 0.95
        added = [
            (after + timedelta(seconds=int(dice.uniform(0.02, 1.0) * room)), True, unit)
            for unit in range(units)
            for _ in range(per_unit)
        ]
        return kept + sorted(added)

    def batches(self, count: int, size: int) -> Iterator[TicketBatch]:
        times = self.fresh_times(self.creation_times(count))
        for start in range(0, len(times), size):
            batch = TicketBatch([], [], [], [])
            for created, fresh, unit_index in times[start : start + size]:
                self._ticket(batch, created, unit_index, fresh)
            yield batch

    def _ticket(self, batch: TicketBatch, created: datetime, unit_index: int, fresh: bool = False) -> None:
        """One ticket and its life; a ``fresh`` one is just logged: New, routed to tier 1, nobody on it yet."""
        dice, cast = self.dice, self.cast
        spec, unit_id = cast.units[unit_index]
        module_index = dice.choices(self.module_indexes, cum_weights=self._module_weights(created.date()))[0]
        module, module_id = cast.modules[module_index]
        priority = dice.choices(PRIORITIES, cum_weights=PRIORITY_CUM_WEIGHTS)[0]
        impact, urgency = dice.choice(MATRIX[priority])
        kind = SERVICE_REQUEST if dice.random() < 0.2 else INCIDENT
        farsi = dice.random() < spec.persian_share
        title_template = dice.choice(module.titles_fa if farsi else module.titles)
        ticket_id = dice.uid()
        prefix = "REQ" if kind is SERVICE_REQUEST else "INC"
        policy_id = cast.unit_policy[unit_id]
        response_target, resolution_target = cast.targets[policy_id][priority]
        reporter = dice.choice(self.reporters[unit_id])
        problem_id = self.links.problem_for(module_id, created) if kind is INCIDENT else None
        from_monitoring = module.code == "TEC" and dice.random() < 0.3
        values: Row = {
            "id": ticket_id,
            "number": format_number(prefix, next(self.numbers[kind])),
            "kind": kind,
            "title": title_template.format(n=dice.randrange(1000, 99999)),
            "description": (
                f"Reported by {cast.login_of[reporter]} from {spec.name}.\n"
                f"Module: {module.name}. Steps, screenshot and document numbers in the first comment."
            ),
            "status": NEW,
            "priority": priority,
            "impact": impact,
            "urgency": urgency,
            "tier": 1,
            "module_id": module_id,
            "category": dice.choice(module.categories),
            "business_unit_id": unit_id,
            "reporter_id": reporter,
            "assignee_id": None,
            "group_id": cast.routes[(module_id, 1)],  # as the service routes a ticket logged
            "vendor": None,
            "vendor_reference": None,
            "sla_policy_id": policy_id,
            "problem_id": problem_id,
            "change_id": None,
            "planned_release": cast.releases.due_with(module_id, created) if priority is LOW else None,
            "reopen_count": 0,
            "source_system": "ERP-MONITOR" if from_monitoring else None,
            "source_key": f"ALERT-{ticket_id.hex[:12]}" if from_monitoring else None,
            "first_response_at": None,
            "resolved_at": None,
            "closed_at": None,
        }
        life = Life(self, values, created, unit_id, farsi)
        if not fresh:
            life.play(module_id, response_target, resolution_target)
        state = life.state  # its SLA columns are filled by the SLA engine once the history is loaded
        batch.tickets.append(state)
        batch.events.extend(life.events)
        batch.comments.extend(life.comments)
        article = self.links.article_for(module_id) if dice.random() < 0.08 else None
        if article is not None:
            batch.article_links.append({"ticket_id": ticket_id, "article_id": article})


class Life:
    """One ticket's events from logging to closure, cut off at the end of the demo period."""

    def __init__(self, factory: TicketFactory, values: Row, created: datetime, unit_id: uuid.UUID, farsi: bool) -> None:
        self.f = factory
        self.dice = factory.dice
        self.values = values
        self.unit_id = unit_id
        self.farsi = farsi
        self.now = created
        self.state = dict(values, created_at=created, updated_at=created)
        self.events: list[Row] = [
            created_row(self.dice, TICKET_ENTITY, values, created, values["reporter_id"], unit_id)
        ]
        self.comments: list[Row] = []
        self.live = True

    def at(self, delay: timedelta) -> bool:
        """Move the clock on; False once the ticket's future lies past the demo's end."""
        self.now = self.now + max(delay, STEP)
        self.live = self.live and self.now < self.f.end
        return self.live

    def change(
        self, actor: uuid.UUID | None, field: str, new: object, reason: str | None = None, *, escalation: bool = False
    ) -> None:
        if not self.live:
            return
        old = self.state.get(field)
        if old == new:
            return
        self.state[field] = new
        self.state["updated_at"] = self.now
        if field == "status":
            # The same rule the audit replay applies, so the row is what the history says.
            status_side_effects(self.state, old, str(new), self.now)
        self.events.append(
            audit_row(
                self.dice,
                entity_type=TICKET_ENTITY,
                entity_id=self.values["id"],
                at=self.now,
                seq=len(self.events) + 1,  # the ticket's events, in the order they happen
                actor_id=actor,
                unit_id=self.unit_id,
                action=ESCALATED if escalation else FIELD_CHANGED,
                field=field,
                old=encode(old),
                new=encode(new),
                reason=reason,
            )
        )
        self.now += STEP

    def comment(
        self, author: uuid.UUID, visibility: Visibility, english: tuple[str, ...], persian: tuple[str, ...]
    ) -> None:
        if not self.live:
            return
        body = self.dice.choice(persian if self.farsi else english)
        self.comments.append(
            {
                "id": self.dice.uid(),
                "ticket_id": self.values["id"],
                "author_id": author,
                "visibility": visibility,
                "body": body,
                "created_at": self.now,
            }
        )
        self.now += STEP

    def play(self, module_id: uuid.UUID, response_target: int, resolution_target: int | None) -> None:
        dice, cast = self.dice, self.f.cast
        analyst = dice.choice(self.f.analysts)
        # First response: most inside the target, a tail that breaches.
        if not self.at(dice.lognormal_minutes(response_target * 0.4, 0.8)):
            return
        first_contact = self.values["priority"] is not CRITICAL and dice.random() < 0.15
        if first_contact:
            worker = analyst
            self.change(analyst, "assignee_id", analyst)
        else:
            worker = dice.choice(cast.consultants_by_module[module_id])
            # Handed over to tier 2, the ticket follows the routing rule to the module's functional group.
            self.change(analyst, "tier", 2)
            self.change(analyst, "group_id", cast.routes[(module_id, 2)], rule_name(self.f.module_codes[module_id], 2))
            self.change(analyst, "assignee_id", worker)
        self.change(analyst, "status", ASSIGNED)
        self.comment(analyst, PUBLIC, catalog.FIRST_RESPONSES, catalog.FIRST_RESPONSES_FA)
        if not self.at(dice.minutes(3, 45)):
            return
        self.change(worker, "status", IN_PROGRESS)
        # Low tickets wait for the next release: they make most of the standing backlog.
        target = resolution_target or 30 * 24 * 60
        work = dice.uniform(10, 90) if first_contact else target * 0.45 * dice.lognormvariate(0.0, 0.75)
        self.at(timedelta(minutes=work * 0.3))
        self.comment(worker, INTERNAL, catalog.WORK_NOTES, catalog.WORK_NOTES_FA)
        if not first_contact:
            worker = self._detours(worker, work)
        if not self.at(timedelta(minutes=work * 0.7)):
            return
        self.comment(worker, PUBLIC, catalog.RESOLUTIONS, catalog.RESOLUTIONS_FA)
        self.change(worker, "status", RESOLVED)
        if dice.random() < 0.04 and self.at(dice.minutes(60, 2 * 24 * 60)):
            self.change(self.values["reporter_id"], "status", IN_PROGRESS, "Reporter: the error is back after the fix.")
            if not self.at(timedelta(minutes=work * dice.uniform(0.2, 0.8))):
                return
            self.comment(worker, PUBLIC, catalog.RESOLUTIONS, catalog.RESOLUTIONS_FA)
            self.change(worker, "status", RESOLVED)
        if self.at(AUTO_CLOSE):
            self.change(None, "status", CLOSED, "Closed automatically 3 days after resolution.")

    def _detours(self, worker: uuid.UUID, work: float) -> uuid.UUID:
        """Waiting on the reporter, escalations to tier 3 or a vendor, a raised priority."""
        dice, cast = self.dice, self.f.cast
        if dice.random() < 0.22 and self.at(dice.minutes(5, 120)):
            self.change(worker, "status", PENDING_REPORTER, catalog.PENDING_REASONS["pending_reporter"])
            if self.at(dice.lognormal_minutes(8 * 60, 1.0)):
                self.change(self.values["reporter_id"], "status", IN_PROGRESS)
        if self.values["priority"] is MEDIUM and dice.random() < 0.05 and self.at(dice.minutes(10, 240)):
            self.change(
                worker, "priority", HIGH, "Business impact grew: the period-end close is blocked.", escalation=True
            )
        roll = dice.random()
        if roll < 0.03 and self.at(dice.minutes(30, 24 * 60)):
            vendor_group = "VND-PAY" if self.state["module_id"] == cast.modules[5][1] else "VND-ERP"
            self.change(worker, "tier", 3, "Defect in the vendor's standard code.", escalation=True)
            self.change(worker, "group_id", cast.groups[vendor_group])
            self.change(worker, "vendor", catalog.VENDORS[vendor_group == "VND-PAY"])
            self.change(worker, "vendor_reference", f"CS-{dice.randrange(100000, 999999)}")
            self.change(worker, "status", PENDING_VENDOR, catalog.PENDING_REASONS["pending_vendor"])
            if self.at(dice.lognormal_minutes(3 * 24 * 60, 0.8)):
                self.change(worker, "status", IN_PROGRESS, "Vendor delivered a correction note.")
        elif roll < 0.12 and self.at(dice.minutes(30, 8 * 60)):
            expert = dice.choice(self.f.technical)
            self.change(
                worker, "tier", 3, "Needs a technical fix (interface / performance / authorisations).", escalation=True
            )
            self.change(worker, "group_id", cast.groups["TECH-INT" if dice.random() < 0.5 else "TECH-BASIS"])
            self.change(worker, "assignee_id", expert)
            return expert
        return worker


class TicketLinks:
    """Problems and knowledge articles that tickets can be linked to, by module."""

    def __init__(self, dice: Dice) -> None:
        self.dice = dice
        self._problems: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]] = {}
        self._articles: dict[uuid.UUID, list[uuid.UUID]] = {}

    def add_problem(self, module_id: uuid.UUID, opened: datetime, problem_id: uuid.UUID) -> None:
        bisect.insort(self._problems.setdefault(module_id, []), (opened, problem_id))

    def add_article(self, module_id: uuid.UUID, article_id: uuid.UUID) -> None:
        self._articles.setdefault(module_id, []).append(article_id)

    def problem_for(self, module_id: uuid.UUID, created: datetime) -> uuid.UUID | None:
        """About 6% of incidents recur: they belong to a problem opened in the fortnight after, or before."""
        if self.dice.random() >= 0.06:
            return None
        problems = self._problems.get(module_id, [])
        upto = bisect.bisect_right(problems, (created + timedelta(days=14), uuid.UUID(int=2**128 - 1)))
        return self.dice.choice(problems[max(0, upto - 4) : upto])[1] if upto else None

    def article_for(self, module_id: uuid.UUID) -> uuid.UUID | None:
        articles = self._articles.get(module_id)
        return self.dice.choice(articles) if articles else None
