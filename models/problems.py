"""Problems: the root causes behind recurring incidents, and known errors."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId, str_enum
from models.enums import Priority, ProblemStatus


class Problem(HasId, Base):
    __tablename__ = "problems"
    __table_args__ = (Index("ix_problems_status_module", "status", "module_id"),)

    number: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProblemStatus] = mapped_column(str_enum(ProblemStatus, "problem_status"))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"))
    module_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_modules.id"))
    business_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_units.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("support_groups.id"))
    """The support group that owns the problem."""
    root_cause: Mapped[str | None] = mapped_column(Text)
    workaround: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    known_error_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
