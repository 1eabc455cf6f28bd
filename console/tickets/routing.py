"""Which support group takes a ticket: the routing rules (ERP module × tier → group), as data.

A ticket logged gets the group of its module's tier-1 rule, or none when there is no rule (a person then
chooses). When triage moves it to another tier or module it follows the rules to the group they name there,
as long as its group is the rules' doing: a group a person chose (or cleared) by hand is never taken away.
Where the rules name no group for the new place the ticket keeps the one it has.

Whose doing a group is, the ticket's history says: its latest group event is a person's unless it gives a
rule as its reason (``rule_name``); a group logged with the ticket came from the rules.

The same functions run on the desk's cache and, during sync, on the shared database as the person (who may
read the rules there), so both route alike; where their rules differ, the shared database's answer stands.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from console.journal.audit import REPLAY_ORDER
from models import AuditEvent, EntityType, ErpModule, RoutingRule

FOLLOWS = ("tier", "module_id")  # the fields whose change may move a ticket to another group
RULE = "routing rule "


def group_for(conn: Connection, module_id: uuid.UUID, tier: int) -> uuid.UUID | None:
    """The group the rules send a ticket of this module at this tier to; None without a rule."""
    return conn.execute(
        select(RoutingRule.group_id).where(RoutingRule.module_id == module_id, RoutingRule.tier == tier)
    ).scalar()


@dataclass(frozen=True)
class Route:
    """A ticket's new group by the rule of its new place, and the reason its history gives."""

    group_id: uuid.UUID
    reason: str


def reroute(conn: Connection, ticket: Mapping[str, Any], field: str, value: Any) -> Route | None:
    """The group a ticket follows to when ``field`` (its tier or module) becomes ``value``; None to keep its own."""
    if field not in FOLLOWS:
        return None
    module_id = value if field == "module_id" else ticket["module_id"]
    tier = value if field == "tier" else ticket["tier"]
    group = group_for(conn, module_id, tier)
    if group is None or group == ticket["group_id"] or chosen_by_hand(conn, ticket["id"]):
        return None
    return Route(group, rule_words(conn, module_id, tier))


def chosen_by_hand(conn: Connection, ticket_id: uuid.UUID) -> bool:
    """True when a person set (or cleared) the ticket's group after it was logged, not a routing rule."""
    reason = conn.execute(
        select(AuditEvent.reason)
        .where(AuditEvent.entity_type == EntityType.TICKET, AuditEvent.entity_id == ticket_id)
        .where(AuditEvent.field == "group_id")
        .order_by(*(c.desc() for c in REPLAY_ORDER))
        .limit(1)
    ).first()
    return reason is not None and not (reason[0] or "").startswith(RULE)


def rule_words(conn: Connection, module_id: uuid.UUID, tier: int) -> str:
    """The rule of a module and tier, named as a person reads it (``rule_name``)."""
    module = conn.execute(select(ErpModule.code).where(ErpModule.id == module_id)).scalar() or "?"
    return rule_name(module, tier)


def rule_name(module_code: str, tier: int) -> str:
    """ "routing rule FIN at tier 2": the reason a ticket's history gives for a group the rules chose."""
    return f"{RULE}{module_code} at tier {tier}"
