"""Values as the audit trail and conflict records write them: text, and back.

One encoding, so that an event written on this desk, one written on the shared database and a value
compared to detect a conflict all read the same way (an id as its text, a time in ISO 8601).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# Fields read back as whole numbers (ids are read by their ``_id``, times by their ``_at``, the rest is text).
INT_FIELDS = frozenset({"tier", "reopen_count"})


def encode(value: Any) -> str | None:
    """A field value as the audit trail stores it: text, or NULL."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def as_text(value: Any) -> str | None:
    """A value as a conflict record shows it: a window as "start – end", a set of ids sorted, else ``encode``."""
    if isinstance(value, tuple):
        return " – ".join(encode(v) or "" for v in value)
    if isinstance(value, frozenset | set):
        return ",".join(sorted(str(v) for v in value))
    return encode(value)


def decode(field: str, text: str | None) -> Any:
    if text is None:
        return None
    if field.endswith("_id"):
        return uuid.UUID(text)
    if field.endswith("_at"):
        return datetime.fromisoformat(text)
    if field in INT_FIELDS:
        return int(text)
    return text


def snapshot(values: Mapping[str, Any]) -> str:
    """The JSON a ``created`` event carries: the entity's first values."""
    return json.dumps({k: encode(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)
