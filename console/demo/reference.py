"""The demo's organisation, SLA policies and calendars, people, groups and routing rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import holidays

from console.demo import catalog
from console.demo.releases import ReleaseCalendar, build_releases
from console.demo.rows import Dice, Rows
from console.sla.calendar import WorkingCalendar
from models import (
    BusinessCalendar,
    BusinessHours,
    BusinessUnit,
    ErpModule,
    Holiday,
    Membership,
    Priority,
    Role,
    RoutingRule,
    SlaPauseStatus,
    SlaPolicy,
    SlaTarget,
    SupportGroup,
    TicketStatus,
    User,
    group_members,
    table_of,
)

# Response / resolution targets in business minutes, from the support agreement; Low resolves with the
# next release. The agreement's "days" are working days of 8 business hours (3 days = 24 business hours),
# its hours business hours (Critical runs around the clock).
WORKING_DAY = 8 * 60
DEFAULT_TARGETS: dict[Priority, tuple[int, int | None]] = {
    Priority.CRITICAL: (15, 4 * 60),
    Priority.HIGH: (2 * 60, 24 * 60),
    Priority.MEDIUM: (8 * 60, 3 * WORKING_DAY),
    Priority.LOW: (2 * WORKING_DAY, None),
}
PAUSE_STATUSES = (TicketStatus.PENDING_REPORTER, TicketStatus.PENDING_VENDOR, TicketStatus.PENDING_CHANGE)


@dataclass
class Cast:
    """Ids of everything tickets and changes refer to."""

    units: list[tuple[catalog.UnitSpec, uuid.UUID]] = field(default_factory=list)
    modules: list[tuple[catalog.ModuleSpec, uuid.UUID]] = field(default_factory=list)
    module_group: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    # The routing rules: (module, tier) → group, what the service gives a ticket logged or moved there.
    routes: dict[tuple[uuid.UUID, int], uuid.UUID] = field(default_factory=dict)
    unit_policy: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    users_by_role: dict[Role, list[uuid.UUID]] = field(default_factory=dict)
    consultants_by_module: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    super_users_by_unit: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    groups: dict[str, uuid.UUID] = field(default_factory=dict)
    login_of: dict[uuid.UUID, str] = field(default_factory=dict)
    targets: dict[uuid.UUID, dict[Priority, tuple[int, int | None]]] = field(default_factory=dict)
    releases: ReleaseCalendar = field(default_factory=ReleaseCalendar)
    # Each unit's working calendar as the database holds it: what period-end freezes are counted on.
    calendars: dict[uuid.UUID, WorkingCalendar] = field(default_factory=dict)

    def people(self, role: Role) -> list[uuid.UUID]:
        return self.users_by_role[role]


def build_reference(dice: Dice, rows: Rows, first_day: date, last_day: date, now: datetime) -> Cast:
    cast = Cast()
    _groups_and_modules(dice, rows, cast)
    policies = _policies(dice, rows, cast)
    years = list(range(first_day.year, last_day.year + 1))
    for spec in catalog.UNITS:
        calendar_id, calendar = _calendar(dice, rows, spec, years)
        unit_id = dice.uid()
        policy = policies["plant"] if spec.code.endswith(("MFG", "PLT")) else policies["standard"]
        rows.add(
            table_of(BusinessUnit),
            id=unit_id,
            code=spec.code,
            name=spec.name,
            time_zone=spec.time_zone,
            calendar_id=calendar_id,
            sla_policy_id=policy,
            active=True,
        )
        cast.units.append((spec, unit_id))
        cast.unit_policy[unit_id] = policy
        cast.calendars[unit_id] = calendar
    _people(dice, rows, cast, now)
    cast.releases = build_releases(rows, [module_id for _, module_id in cast.modules], first_day, now)
    return cast


def _groups_and_modules(dice: Dice, rows: Rows, cast: Cast) -> None:
    def group(code: str, name: str, tier: int, vendor: str | None = None) -> uuid.UUID:
        gid = dice.uid()
        rows.add(
            table_of(SupportGroup),
            id=gid,
            code=code,
            name=name,
            tier=tier,
            vendor=vendor,
            email=f"{code.lower()}@support.example.com",
        )
        cast.groups[code] = gid
        return gid

    group("SELF", "Self-service portal", 0)
    group("DESK", "Service desk", 1)
    for spec in catalog.MODULES:
        owner = group(f"{spec.code}-FUNC", f"{spec.name} functional support", 2)
        module_id = dice.uid()
        rows.add(table_of(ErpModule), id=module_id, code=spec.code, name=spec.name, owner_group_id=owner)
        cast.modules.append((spec, module_id))
        cast.module_group[module_id] = owner
    group("TECH-BASIS", "ERP technical (basis)", 3)
    group("TECH-INT", "Integration team", 3)
    group("VND-ERP", "ERP vendor support", 3, vendor=catalog.VENDORS[0])
    group("VND-PAY", "Payroll localisation partner", 3, vendor=catalog.VENDORS[1])
    group("CAB", "Change advisory board", 2)
    _routing_rules(rows, cast)


def _routing_rules(rows: Rows, cast: Cast) -> None:
    """Every module: logged at the service desk (tier 1), handed over to its functional group (tier 2).

    Tier 3 has no rule: whether a technical team or a vendor takes a ticket depends on the defect, not the
    module, so the person escalating chooses. The ids come from the module's, not from the dice, so the rest
    of the demo is what it was before routing rules."""
    for _spec, module_id in cast.modules:
        for tier, group_id in ((1, cast.groups["DESK"]), (2, cast.module_group[module_id])):
            rule_id = uuid.uuid5(module_id, f"routing rule, tier {tier}")
            rows.add(table_of(RoutingRule), id=rule_id, module_id=module_id, tier=tier, group_id=group_id)
            cast.routes[(module_id, tier)] = group_id


def _policies(dice: Dice, rows: Rows, cast: Cast) -> dict[str, uuid.UUID]:
    policies = {}
    for key, name, description, round_the_clock in (
        ("standard", "Standard ERP support", "The support agreement's default targets.", {Priority.CRITICAL}),
        (
            "plant",
            "Plant operations",
            "Plants run three shifts: critical and high tickets are worked around the clock.",
            {Priority.CRITICAL, Priority.HIGH},
        ),
    ):
        policy_id = dice.uid()
        rows.add(
            table_of(SlaPolicy),
            id=policy_id,
            name=name,
            description=description,
            calendar_id=None,
            warning_threshold=0.75,
            active=True,
        )
        for priority, (response, resolution) in DEFAULT_TARGETS.items():
            rows.add(
                table_of(SlaTarget),
                id=dice.uid(),
                policy_id=policy_id,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                around_the_clock=priority in round_the_clock,
            )
        for status in PAUSE_STATUSES:
            rows.add(table_of(SlaPauseStatus), policy_id=policy_id, status=status)
        policies[key] = policy_id
        cast.targets[policy_id] = DEFAULT_TARGETS
    return policies


def _calendar(dice: Dice, rows: Rows, spec: catalog.UnitSpec, years: list[int]) -> tuple[uuid.UUID, WorkingCalendar]:
    calendar_id = dice.uid()
    rows.add(
        table_of(BusinessCalendar),
        id=calendar_id,
        name=f"{spec.code} working week",
        time_zone=spec.time_zone,
        holiday_country=spec.country,
        holiday_subdivision="ENG" if spec.country == "GB" else None,
    )
    for weekday, start, end in spec.hours:
        rows.add(
            table_of(BusinessHours), id=dice.uid(), calendar_id=calendar_id, weekday=weekday, starts=start, ends=end
        )
    national = holidays.country_holidays(
        spec.country, subdiv="ENG" if spec.country == "GB" else None, years=years, language="en_US"
    )
    days: dict[date, tuple[str, bool]] = {day: (str(name)[:120], False) for day, name in national.items()}
    if spec.code == "LON-GS":
        for year in years:
            for shutdown in (27, 28, 29):
                days.setdefault(date(year, 12, shutdown), ("Company shutdown", True))
    for holiday, (name, custom) in sorted(days.items()):
        rows.add(table_of(Holiday), id=dice.uid(), calendar_id=calendar_id, day=holiday, name=name, custom=custom)
    return calendar_id, WorkingCalendar.weekly(spec.time_zone, spec.hours, days)


def _people(dice: Dice, rows: Rows, cast: Cast, now: datetime) -> None:
    persian = list(catalog.PERSIAN_NAMES)
    iran_units = [uid for spec, uid in cast.units if spec.country == "IR"]
    other_units = [uid for spec, uid in cast.units if spec.country != "IR"]
    used: set[str] = set()
    module_ids = [mid for _, mid in cast.modules]

    def person(role: Role, unit_id: uuid.UUID, farsi: bool) -> uuid.UUID:
        if farsi and persian:
            login, display = persian.pop(0)
        else:
            while True:
                first, last = dice.choice(catalog.FIRST_NAMES), dice.choice(catalog.LAST_NAMES)
                login = f"{first}.{last}".lower().replace(" ", "")
                if login not in used:
                    break
            display = f"{first} {last}"
        used.add(login)
        user_id = dice.uid()
        rows.add(
            table_of(User),
            id=user_id,
            login=login,
            display_name=display,
            email=f"{login}@example.com",
            role=role,
            active=True,
            locale="fa" if farsi else "en",
            created_at=now,
        )
        rows.add(table_of(Membership), user_id=user_id, business_unit_id=unit_id)
        cast.users_by_role.setdefault(role, []).append(user_id)
        cast.login_of[user_id] = login
        return user_id

    def join(group_code: str, user_id: uuid.UUID) -> None:
        rows.add(group_members, group_id=cast.groups[group_code], user_id=user_id)

    all_units = [uid for _, uid in cast.units]
    for role, count in catalog.STAFFING.items():
        for i in range(count):
            if role is Role.SUPER_USER:
                unit_id = all_units[i % len(all_units)]
                user_id = person(role, unit_id, unit_id in iran_units and i < 12)
                cast.super_users_by_unit.setdefault(unit_id, []).append(user_id)
            elif role is Role.FUNCTIONAL_CONSULTANT:
                module_id = module_ids[i % len(module_ids)]
                user_id = person(role, dice.choice(all_units), farsi=i in (0, 7, 15))
                cast.consultants_by_module.setdefault(module_id, []).append(user_id)
                join(f"{catalog.MODULES[i % len(module_ids)].code}-FUNC", user_id)
            else:
                farsi = role is Role.SERVICE_DESK_ANALYST and i < 2
                user_id = person(role, dice.choice(iran_units if farsi else other_units), farsi)
                group_code = {
                    Role.SERVICE_DESK_ANALYST: "DESK",
                    Role.TECHNICAL: "TECH-BASIS" if i % 2 else "TECH-INT",
                    Role.CHANGE_APPROVER: "CAB",
                    Role.SUPPORT_MANAGER: "CAB",
                }.get(role)
                if group_code:
                    join(group_code, user_id)
