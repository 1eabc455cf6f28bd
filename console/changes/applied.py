"""What every applied change intent shares: cleaned text, its audit event and its report.

Both the service (creating, editing, moving a change) and the approvals (deciding, delegating) clean
text to the limits of a change's fields, write their audit events through ``write_event`` and
return a ``ChangeApplied``; these live here, below both, so that neither imports the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from console.access import Actor
from console.changes.rules import Conflict, RiskResult
from console.journal.audit import audit
from console.text import clean_text
from models import AuditAction, ChangeStage, EntityType

TEXT_MAX = 20_000


@dataclass(frozen=True)
class ChangeApplied:
    change_id: uuid.UUID
    number: str
    stage: ChangeStage
    events: int
    conflicts: tuple[Conflict, ...] = ()
    risk: RiskResult | None = None


def clean(value: str, what: str, limit: int = TEXT_MAX) -> str:
    return clean_text(value, what, limit, required=False)


def write_event(
    conn: Connection,
    actor: Actor,
    change: Mapping[str, Any],
    unit: uuid.UUID | None,
    now: datetime,
    action: AuditAction,
    **values: Any,
) -> None:
    audit(conn, at=now, actor_id=actor.id, entity_type=values.pop("entity", EntityType.CHANGE),
          entity_id=change["id"], unit_id=unit, action=action, **values)  # fmt: skip
