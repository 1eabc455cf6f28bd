"""The release calendar: when each ERP module's fixes reach production."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId

RELEASE_NAME_MAX = 32


class Release(HasId, Base):
    """A planned release of one ERP module: the moment its fixes reach production.

    The SLA's Low target is "resolved by the next release": a Low ticket is due at the first release
    of its module whose production time is after the ticket was logged. A release is a row of its own
    rather than a change request marked as one, because the two are different things with different
    owners: one release carries the fixes of many tickets and many change requests, and its date is
    the one the business agrees and plans around (a support manager keeps the calendar); a change
    request has approvals, a risk assessment and a window of its own, and is re-planned or rejected
    for its own reasons, which must not silently re-date every Low ticket of the module.

    A cancelled release keeps its row (``cancelled_at``), so its name stays taken in its module and
    planning it again brings the same row back; its history (planned, moved, cancelled, by whom and
    why) is in the audit trail.
    """

    __tablename__ = "releases"
    __table_args__ = (Unique("module_id", "name"),)

    module_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_modules.id"))
    name: Mapped[str] = mapped_column(String(RELEASE_NAME_MAX))
    production_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
