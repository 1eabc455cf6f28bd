"""Routing rules (module × tier → support group): a ticket logged gets its group from them, and says so in its
history; a tier or module move follows them unless a person chose the group; sync routes on the shared database
as the desk does, and where the two sets of rules differ the shared database's answer is what every cache holds."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from console.access import Actor, load_actor
from console.store.workspace import Workspace
from console.sync import client
from console.tickets import edits, routing
from console.tickets import service as tickets
from console.tickets.detail import load_detail
from models import (
    AuditEvent,
    BusinessUnit,
    ErpModule,
    Impact,
    Role,
    RoutingRule,
    SupportGroup,
    Ticket,
    TicketKind,
    Urgency,
    User,
    table_of,
)
from tests import clock
from tests.integration.test_tickets import NOW, assert_history_matches_row, row
from tests.sync_team import TICKETS, Team, rows


def _actor(conn: Connection, role: Role) -> Actor:
    login = conn.execute(select(User.login).where(User.role == role, User.active).order_by(User.login)).scalars()
    return load_actor(conn, next(iter(login)))


def _module(conn: Connection, code: str) -> uuid.UUID:
    return conn.execute(select(ErpModule.id).where(ErpModule.code == code)).scalar_one()


def _group(conn: Connection, code: str) -> uuid.UUID:
    return conn.execute(select(SupportGroup.id).where(SupportGroup.code == code)).scalar_one()


def _code(conn: Connection, group_id: uuid.UUID | None) -> str | None:
    return conn.execute(select(SupportGroup.code).where(SupportGroup.id == group_id)).scalar()


def _log(engine: Engine, workspace: Workspace, actor: Actor, module: str, *, synced: bool = False) -> uuid.UUID:
    """A ticket of ``module`` logged through the service, in the first unit, as ``actor`` (on a synced desk: now,
    with a number block from the shared database; on the demo cache: at the demo's time)."""
    with engine.begin() as conn:
        reserve = workspace.reserve_numbers if synced else None
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, workspace.client_id, reserve)
        unit = conn.execute(select(BusinessUnit.id).order_by(BusinessUnit.code)).scalars().first()
        module_id = _module(conn, module)
    assert unit is not None
    ticket_id = uuid.uuid4()
    logged = tickets.CreateTicket(ticket_id, TicketKind.INCIDENT, "Payment proposal stops at vendor 4711", "",
                                  Impact.HIGH, Urgency.MEDIUM, unit, module_id, actor.id, number)  # fmt: skip
    tickets.execute(engine, actor, [logged], clock.now() if synced else NOW)
    return ticket_id


def _history(
    engine: Engine, actor: Actor, ticket_id: uuid.UUID, now: datetime = NOW
) -> list[tuple[str, str, str, str, str | None]]:
    """The ticket's History tab, row by row: by, field, from, to, reason."""
    with engine.connect() as conn:
        number = conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one()
        detail = load_detail(conn, actor, number, now + timedelta(hours=1))
    return [(c.actor, c.field, c.old, c.new, c.reason) for c in detail.history]


# ---- on a desk's cache ------------------------------------------------------------------------------------


def test_the_demo_routes_every_module_to_the_desk_then_to_its_functional_group(workspace: Workspace) -> None:
    with workspace.cache().connect() as conn:
        rules = conn.execute(
            select(ErpModule.code, RoutingRule.tier, SupportGroup.code)
            .join(ErpModule, ErpModule.id == RoutingRule.module_id)
            .join(SupportGroup, SupportGroup.id == RoutingRule.group_id)
        ).all()
        modules = conn.execute(select(ErpModule.code)).scalars().all()
        # The demo's tickets were logged and handed over as the rules say.
        logged_elsewhere = conn.execute(
            select(Ticket.number)
            .outerjoin(RoutingRule, (RoutingRule.module_id == Ticket.module_id) & (RoutingRule.tier == 2))
            .where(Ticket.tier == 2, Ticket.group_id != RoutingRule.group_id)
        ).all()
    assert sorted(rules) == sorted([(m, 1, "DESK") for m in modules] + [(m, 2, f"{m}-FUNC") for m in modules])
    assert logged_elsewhere == []


def test_a_ticket_logged_gets_its_modules_tier_1_group_and_a_logged_line(workspace: Workspace) -> None:
    engine = workspace.cache()
    with engine.connect() as conn:
        analyst = _actor(conn, Role.SERVICE_DESK_ANALYST)
    ticket_id = _log(engine, workspace, analyst, "FIN")
    with engine.connect() as conn:
        created = row(conn, ticket_id)
        assert _code(conn, created["group_id"]) == "DESK"
        assert_history_matches_row(conn, ticket_id)  # the group is in the created event's first values
        unit = conn.execute(select(BusinessUnit.code).where(BusinessUnit.id == created["business_unit_id"])).scalar()
    assert _history(engine, analyst, ticket_id) == [
        (analyst.display_name, "logged", "", f"incident · priority high · {unit}/FIN · group DESK", None)
    ]


def test_a_ticket_whose_module_has_no_rule_gets_no_group_and_its_history_says_why(workspace: Workspace) -> None:
    engine = workspace.cache()
    with engine.begin() as conn:
        analyst = _actor(conn, Role.SERVICE_DESK_ANALYST)
        conn.execute(insert(table_of(ErpModule)), [{"id": uuid.uuid4(), "code": "EWM", "name": "Warehouse"}])
    ticket_id = _log(engine, workspace, analyst, "EWM")
    with engine.connect() as conn:
        assert row(conn, ticket_id)["group_id"] is None
    (logged,) = _history(engine, analyst, ticket_id)
    assert logged[1:4] == ("logged", "", logged[3])
    assert logged[3].endswith("/EWM · no group (no routing rule EWM at tier 1)")


def _group_of(engine: Engine, ticket_id: uuid.UUID) -> tuple[int, str | None]:
    with engine.connect() as conn:
        found = row(conn, ticket_id)
        return found["tier"], _code(conn, found["group_id"])


def test_a_tier_move_follows_the_rules_unless_a_person_chose_the_group(workspace: Workspace) -> None:
    engine = workspace.cache()
    with engine.connect() as conn:
        analyst = _actor(conn, Role.SERVICE_DESK_ANALYST)
        consultant = _actor(conn, Role.FUNCTIONAL_CONSULTANT)
        desk, tech_int, sales = _group(conn, "DESK"), _group(conn, "TECH-INT"), _module(conn, "SLS")
    followed, chosen = (_log(engine, workspace, analyst, "FIN") for _ in range(2))

    def later(minutes: int) -> datetime:
        return NOW + timedelta(minutes=minutes)

    tickets.execute(engine, analyst, [edits.move_tier(followed, 2, base=1, reason="Needs a consultant")], later(1))
    tickets.execute(engine, analyst, [tickets.SetField(chosen, "group_id", tech_int, desk)], later(1))
    tickets.execute(engine, analyst, [edits.move_tier(chosen, 2, base=1, reason="Needs a consultant")], later(2))
    assert _group_of(engine, followed) == (2, "FIN-FUNC")
    assert _group_of(engine, chosen) == (2, "TECH-INT")  # the person's choice stays
    with engine.connect() as conn:
        for ticket_id in (followed, chosen):
            assert_history_matches_row(conn, ticket_id)
    assert _history(engine, analyst, followed)[1:] == [
        (analyst.display_name, "tier", "1", "2", "Needs a consultant"),
        (analyst.display_name, "group", "DESK", "FIN-FUNC", "routing rule FIN at tier 2"),
    ]
    # Tier 3 has no rule in the demo: the ticket keeps the group it has; back at tier 1 it follows the rules again.
    tickets.execute(engine, consultant, edits.escalate(followed, base_tier=2, reason="Basis"), later(3))
    assert _group_of(engine, followed) == (3, "FIN-FUNC")
    tickets.execute(engine, consultant, [edits.move_tier(followed, 1, base=3)], later(4))
    assert _group_of(engine, followed) == (1, "DESK")
    # A module moved by triage at tier 1 stays at the desk: no group event; at tier 2 it goes to the new module's.
    before = len(_history(engine, analyst, followed))
    with engine.connect() as conn:
        finance = row(conn, followed)["module_id"]
    tickets.execute(engine, analyst, [edits.set_module(followed, sales, base=finance)], later(5))
    assert len(_history(engine, analyst, followed)) == before + 1
    tickets.execute(engine, analyst, [edits.move_tier(followed, 2, base=1)], later(6))
    assert _group_of(engine, followed) == (2, "SLS-FUNC")
    with engine.connect() as conn:
        assert_history_matches_row(conn, followed)


def test_reroute_reads_only_tier_and_module_moves(workspace: Workspace) -> None:
    with workspace.cache().connect() as conn:
        ticket: dict[str, Any] = dict(conn.execute(select(TICKETS).where(Ticket.tier == 1).limit(1)).one()._mapping)
        assert routing.reroute(conn, ticket, "priority", "critical") is None
        route = routing.reroute(conn, ticket, "tier", 2)
        assert route is not None
        assert route.group_id == routing.group_for(conn, ticket["module_id"], 2)


# ---- through sync, on SQLite and PostgreSQL ----------------------------------------------------------------


def test_the_shared_database_routes_a_ticket_logged_and_its_answer_reaches_the_desk(team: Team) -> None:
    desk = team.desk("ana", Role.SERVICE_DESK_ANALYST)
    analyst = team.actor(desk)
    ticket_id = _log(desk.cache(), desk, analyst, "FIN", synced=True)
    with desk.cache().connect() as conn:
        assert _code(conn, row(conn, ticket_id)["group_id"]) == "DESK"
    client.sync_workspace(desk)
    with team.shared.connect() as conn:
        assert _code(conn, row(conn, ticket_id)["group_id"]) == "DESK"
    # Meanwhile the team's rules changed on the shared database: FIN goes straight to its functional group, and
    # tier 2 has no rule. The desk has not heard yet; the shared database's rules decide.
    with team.shared.begin() as conn:
        fin = _module(conn, "FIN")
        rule = table_of(RoutingRule)
        conn.execute(
            update(rule).where(rule.c.module_id == fin, rule.c.tier == 1).values(group_id=_group(conn, "FIN-FUNC"))
        )
        conn.execute(delete(rule).where(rule.c.module_id == fin, rule.c.tier == 2))
    second = _log(desk.cache(), desk, analyst, "FIN", synced=True)
    moved = edits.move_tier(ticket_id, 2, base=1, reason="Needs a consultant")
    tickets.execute(desk.cache(), analyst, [moved], clock.now() + timedelta(seconds=1))
    with desk.cache().connect() as conn:  # the desk's own rules, for now
        assert (_code(conn, row(conn, second)["group_id"]), _code(conn, row(conn, ticket_id)["group_id"])) == (
            "DESK",
            "FIN-FUNC",
        )
    report = client.sync_workspace(desk)
    assert report.rejected == []
    with team.shared.connect() as conn:
        assert _code(conn, row(conn, second)["group_id"]) == "FIN-FUNC"
        assert _code(conn, row(conn, ticket_id)["group_id"]) == "DESK"  # no rule at tier 2 there: it stays
    # The desk holds what the shared database holds: the rules, the rows and their histories (no group event
    # of its own left over).
    assert rows(desk.cache(), table_of(RoutingRule)) == rows(team.shared, table_of(RoutingRule))
    for ticket in (ticket_id, second):
        assert rows(desk.cache(), TICKETS, Ticket.id == ticket) == rows(team.shared, TICKETS, Ticket.id == ticket)
        where = AuditEvent.entity_id == ticket
        assert rows(desk.cache(), table_of(AuditEvent), where) == rows(team.shared, table_of(AuditEvent), where)
    assert _history(desk.cache(), analyst, second, clock.now())[0][3].endswith("/FIN · group FIN-FUNC")
