"""Bookkeeping of the deployment itself: what this database is, and ticket-number blocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId


class DeploymentInfo(Base):
    """Key/value facts about this database, e.g. ``kind=demo`` and how it was generated."""

    __tablename__ = "deployment_info"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class NumberBlock(HasId, Base):
    """A range of human numbers (INC-000123) reserved by one client.

    A client takes numbers from its own block while offline, so two clients never give
    out the same number; it reserves the next block from the shared database when online.
    """

    __tablename__ = "number_blocks"
    __table_args__ = (
        Unique("series", "first"),
        CheckConstraint("first <= last", name="range_order"),
        CheckConstraint("next_free >= first AND next_free <= last + 1", name="next_in_range"),
    )

    series: Mapped[str] = mapped_column(String(8))
    first: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    next_free: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(String(64))
    reserved_at: Mapped[datetime]
    # The database role that reserved it (PostgreSQL; written by the shared database's guard, never the desk).
    reserved_by: Mapped[str | None] = mapped_column(String(63))
