"""Service-level policies as data: targets per priority, calendars, holidays, pauses."""

from __future__ import annotations

import uuid
from datetime import date, time

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, SmallInteger, String, Time
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, HasId, str_enum
from models.enums import Priority, TicketStatus


class BusinessCalendar(HasId, Base):
    """Working hours and holidays in one time zone; a unit's SLA clock runs on it."""

    __tablename__ = "business_calendars"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))

    hours: Mapped[list[BusinessHours]] = relationship(cascade="all, delete-orphan", order_by="BusinessHours.weekday")
    holidays: Mapped[list[Holiday]] = relationship(cascade="all, delete-orphan", order_by="Holiday.day")


class BusinessHours(HasId, Base):
    """One working window on one weekday (0 Monday .. 6 Sunday), in the calendar's zone."""

    __tablename__ = "business_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="window_order"),
    )

    calendar_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_calendars.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class Holiday(HasId, Base):
    """A day off: a national holiday or a custom one such as a company shutdown."""

    __tablename__ = "holidays"
    __table_args__ = (Unique("calendar_id", "day"),)

    calendar_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_calendars.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))
    custom: Mapped[bool] = mapped_column(Boolean, default=False)


class SlaPolicy(HasId, Base):
    __tablename__ = "sla_policies"
    __table_args__ = (CheckConstraint("warning_threshold > 0 AND warning_threshold < 1", name="warning_range"),)

    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(400))
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_calendars.id"))
    warning_threshold: Mapped[float] = mapped_column(Float, default=0.75)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    targets: Mapped[list[SlaTarget]] = relationship(cascade="all, delete-orphan")
    pause_statuses: Mapped[list[SlaPauseStatus]] = relationship(cascade="all, delete-orphan")


class SlaTarget(HasId, Base):
    """Response and resolution targets for one priority; no resolution minutes means 'next release'."""

    __tablename__ = "sla_targets"
    __table_args__ = (
        Unique("policy_id", "priority"),
        CheckConstraint("response_minutes > 0", name="response_positive"),
        CheckConstraint("resolution_minutes IS NULL OR resolution_minutes > 0", name="resolution_positive"),
    )

    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"))
    response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    around_the_clock: Mapped[bool] = mapped_column(Boolean, default=False)


class SlaPauseStatus(Base):
    """A ticket status during which the policy's clock stops."""

    __tablename__ = "sla_pause_statuses"

    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, "ticket_status"), primary_key=True)
