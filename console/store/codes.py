"""Business units, ERP modules and people named by code and login, checked before anything is read or written."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from console.errors import ConsoleError
from console.i18n import N_, _
from models import BusinessUnit, ChangeRequest, ErpModule, KnowledgeArticle, Problem, User


def check_codes(conn: Connection, units: Sequence[str] = (), modules: Sequence[str] = ()) -> None:
    """Refuse unknown unit or module codes by name, listing the known ones."""
    for label, model, codes in (("business unit", BusinessUnit, units), ("ERP module", ErpModule, modules)):
        known = set(conn.execute(select(model.code)).scalars())
        unknown = sorted(set(codes) - known)
        if unknown:
            raise ConsoleError(f"No {label} {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}.")


UNKNOWN_CODE = {
    ErpModule: N_("No ERP module {code!r}; known: {known}."),
    BusinessUnit: N_("No business unit {code!r}; known: {known}."),
}
"""What is said of a code not found, by what it names (in the person's language where it is said)."""


def code_id(conn: Connection, model: Any, code: str, label: str) -> uuid.UUID:
    """The id of a unit or module by its code, or an error listing the known codes."""
    found = conn.execute(select(model.id).where(model.code == code.strip().upper())).scalar()
    if found is None:
        known = ", ".join(conn.execute(select(model.code).order_by(model.code)).scalars())
        said = _(UNKNOWN_CODE[model]) if model in UNKNOWN_CODE else f"No {label} {{code!r}}; known: {{known}}."
        raise ConsoleError(said.format(code=code, known=known))
    return uuid.UUID(str(found))


def user_id(conn: Connection, login: str) -> uuid.UUID:
    found = conn.execute(select(User.id).where(User.login == login)).scalar()
    if found is None:
        raise ConsoleError(_("No user {login!r} here.").format(login=login))
    return uuid.UUID(str(found))


NOT_HERE = {
    Problem: N_("No problem {number!r} in this workspace."),
    ChangeRequest: N_("No change {number!r} in this workspace."),
    KnowledgeArticle: N_("No article {number!r} in this workspace."),
}
"""What is said of a number not found, by what it numbers (in the person's language where it is said)."""


def number_id(conn: Connection, model: Any, number: str) -> uuid.UUID:
    """The id of a problem, change or knowledge article by its number (typed in any case), or an error saying
    there is none."""
    wanted = number.strip().upper()
    found = conn.execute(select(model.id).where(model.number == wanted)).scalar()
    if found is None:
        raise ConsoleError(_(NOT_HERE[model]).format(number=wanted))
    return uuid.UUID(str(found))
