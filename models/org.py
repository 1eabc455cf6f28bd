"""Who works where: business units, users and their roles, support groups, ERP modules, and which group a
ticket goes to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, SmallInteger, String, Table
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, HasId, str_enum
from models.enums import Role


class BusinessUnit(HasId, Base):
    """A company, plant or region of the ERP roll-out; also a sync space."""

    __tablename__ = "business_units"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64))
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_calendars.id"))
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sla_policies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ErpModule(HasId, Base):
    """An ERP module, the first level of ticket categorisation (Finance, Procurement, ...)."""

    __tablename__ = "erp_modules"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    owner_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("support_groups.id"))


class User(HasId, Base):
    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(Base):
    """A user's business units: a super-user sees only these; others have a home unit here."""

    __tablename__ = "memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    business_unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("business_units.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    user: Mapped[User] = relationship(back_populates="memberships")


group_members = Table(
    "group_members",
    Base.metadata,
    Column("group_id", ForeignKey("support_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SupportGroup(HasId, Base):
    """A resolver group at a support tier: 0 self-service, 1 desk, 2 functional, 3 technical/vendor."""

    __tablename__ = "support_groups"
    __table_args__ = (CheckConstraint("tier BETWEEN 0 AND 3", name="tier_range"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    tier: Mapped[int] = mapped_column(SmallInteger)
    vendor: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))


class RoutingRule(HasId, Base):
    """Which support group takes a ticket of one ERP module at one tier: routing as data, not code.

    A ticket logged gets the group of its module's tier-1 rule; a ticket that moves to another tier or
    module follows the rules while its group is the one they gave (``console.tickets.routing``). No rule,
    no group: a person chooses."""

    __tablename__ = "routing_rules"
    __table_args__ = (
        Unique("module_id", "tier"),
        CheckConstraint("tier BETWEEN 0 AND 3", name="tier_range"),
    )

    module_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_modules.id"))
    tier: Mapped[int] = mapped_column(SmallInteger)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_groups.id"))
