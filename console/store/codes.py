"""Business units and ERP modules named by their codes, checked before anything is read or written."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from console.errors import ConsoleError
from models import BusinessUnit, ErpModule


def check_codes(conn: Connection, units: Sequence[str] = (), modules: Sequence[str] = ()) -> None:
    """Refuse unknown unit or module codes by name, listing the known ones."""
    for label, model, codes in (("business unit", BusinessUnit, units), ("ERP module", ErpModule, modules)):
        known = set(conn.execute(select(model.code)).scalars())
        unknown = sorted(set(codes) - known)
        if unknown:
            raise ConsoleError(f"No {label} {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}.")
