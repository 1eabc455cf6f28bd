"""Business units, ERP modules and people named by code and login, checked before anything is read or written."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from console.errors import ConsoleError
from models import BusinessUnit, ErpModule, User


def check_codes(conn: Connection, units: Sequence[str] = (), modules: Sequence[str] = ()) -> None:
    """Refuse unknown unit or module codes by name, listing the known ones."""
    for label, model, codes in (("business unit", BusinessUnit, units), ("ERP module", ErpModule, modules)):
        known = set(conn.execute(select(model.code)).scalars())
        unknown = sorted(set(codes) - known)
        if unknown:
            raise ConsoleError(f"No {label} {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}.")


def code_id(conn: Connection, model: Any, code: str, label: str) -> uuid.UUID:
    """The id of a unit or module by its code, or an error listing the known codes."""
    found = conn.execute(select(model.id).where(model.code == code.strip().upper())).scalar()
    if found is None:
        known = ", ".join(conn.execute(select(model.code).order_by(model.code)).scalars())
        raise ConsoleError(f"No {label} {code!r}; known: {known}.")
    return uuid.UUID(str(found))


def user_id(conn: Connection, login: str) -> uuid.UUID:
    found = conn.execute(select(User.id).where(User.login == login)).scalar()
    if found is None:
        raise ConsoleError(f"No user {login!r} here.")
    return uuid.UUID(str(found))
