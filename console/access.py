"""Who is acting and what they may do: the person behind an edit, their role's capabilities and
business units, and the refusal every rule raises.

Every service checks an edit against the same ``Actor`` (from the cache, or on the shared database as
the person who made it), so a role can do the same things from the window, the command line and sync.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, select

from console.errors import ConsoleError
from models import Membership, Role, User


class Refused(ConsoleError):
    """An edit the rules do not allow; the message says why, and nothing was changed."""


class Can(enum.StrEnum):
    """What a role may do to a ticket it can see."""

    LOG = "log tickets"
    TRIAGE = "triage (assign, priority, module, category)"
    WORK = "work tickets (status, escalation, links)"
    NOTE = "add notes and comments"
    IMPORT = "import tickets from another tool"


ROLE_CAN: dict[Role, frozenset[Can]] = {
    Role.SERVICE_DESK_ANALYST: frozenset({Can.LOG, Can.TRIAGE, Can.NOTE, Can.WORK}),
    Role.FUNCTIONAL_CONSULTANT: frozenset({Can.LOG, Can.TRIAGE, Can.WORK, Can.NOTE}),
    Role.TECHNICAL: frozenset({Can.LOG, Can.TRIAGE, Can.WORK, Can.NOTE}),
    Role.SUPER_USER: frozenset({Can.LOG, Can.TRIAGE, Can.NOTE}),
    Role.SUPPORT_MANAGER: frozenset(Can),
    Role.CHANGE_APPROVER: frozenset({Can.NOTE}),
    Role.ADMIN: frozenset(Can),
}
# A tier-1 analyst works a ticket only while it is at the service desk (first-contact resolution);
# once handed over to tier 2 or 3 it is the consultants' to work.
ANALYST_WORKS_UP_TO_TIER = 1


@dataclass(frozen=True)
class Actor:
    """Who is editing: their role and, for a super-user, the only business units they may see."""

    id: uuid.UUID
    login: str
    display_name: str
    role: Role
    units: frozenset[uuid.UUID]

    @property
    def scoped(self) -> bool:
        """True when this person sees only their own business units' tickets."""
        return self.role is Role.SUPER_USER

    def sees(self, unit_id: uuid.UUID) -> bool:
        return not self.scoped or unit_id in self.units

    def may(self, action: Can) -> bool:
        return action in ROLE_CAN[self.role]


def require(actor: Actor, action: Can, *, unit_id: uuid.UUID | None = None, tier: int | None = None) -> None:
    """Refuse, with the reason, unless ``actor`` may do ``action`` on a ticket of ``unit_id`` at ``tier``."""
    role = actor.role.value.replace("_", " ")
    if unit_id is not None and not actor.sees(unit_id):
        raise Refused(f"{actor.login} is a super-user of other business units and cannot see this ticket.")
    if not actor.may(action):
        raise Refused(f"A {role} cannot {action.value}.")
    if (
        action is Can.WORK
        and actor.role is Role.SERVICE_DESK_ANALYST
        and tier is not None
        and tier > ANALYST_WORKS_UP_TO_TIER
    ):
        raise Refused(f"This ticket is at tier {tier}; the service desk hands it over but does not work it.")


def load_actor(conn: Connection, login: str) -> Actor:
    """The person with this login, as the services check their edits: refused when unknown or deactivated."""
    row = conn.execute(
        select(User.id, User.login, User.display_name, User.role, User.active).where(User.login == login)
    ).first()
    if row is None:
        raise ConsoleError(f"No user {login!r} in this workspace; `support-console settings user LOGIN` chooses one.")
    if not row.active:
        raise ConsoleError(f"The user {login!r} is deactivated.")
    units = frozenset(conn.execute(select(Membership.business_unit_id).where(Membership.user_id == row.id)).scalars())
    return Actor(row.id, row.login, row.display_name, row.role, units)
