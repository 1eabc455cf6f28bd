"""The names an import brings that the workspace does not know yet: people, groups, units and modules.

While a file is read, ``NameTally`` counts the tickets that name each person, group, unit and module (after the
mapping's value maps). ``missing_names`` compares the tally with ``KnownNames``, read from the local cache, and
lists those it does not know, most used first: the caller decides whether to create them
(``--create-missing``) or to map them to a default it names.

A name is known when it matches, without regard to case or spacing, a unit's or a module's code or name, a
support group's code or name, or a person's login, display name or e-mail address.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from console.imports.records import EventKind, ImportedTicket
from models import BusinessUnit, ErpModule, SupportGroup, User


class NameKind(enum.StrEnum):
    PERSON = "person"
    GROUP = "group"
    UNIT = "unit"
    MODULE = "module"


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class NameTally:
    """How many tickets name each person, group, unit and module (names as the tickets give them)."""

    counts: dict[NameKind, Counter[str]] = field(default_factory=lambda: {kind: Counter() for kind in NameKind})

    def add(self, ticket: ImportedTicket) -> None:
        self.counts[NameKind.PERSON].update(ticket.names(EventKind.ASSIGNEE))
        self.counts[NameKind.GROUP].update(ticket.names(EventKind.GROUP))
        if ticket.unit:
            self.counts[NameKind.UNIT][ticket.unit] += 1
        if ticket.module:
            self.counts[NameKind.MODULE][ticket.module] += 1


@dataclass(frozen=True)
class KnownNames:
    """The names the workspace knows, case-folded."""

    people: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    modules: frozenset[str] = frozenset()

    @classmethod
    def read(cls, conn: Connection) -> KnownNames:
        """The names of the local cache (or any database of ours)."""

        def keys(*columns: object) -> frozenset[str]:
            rows = conn.execute(select(*columns))  # type: ignore[call-overload]
            return frozenset(name_key(str(value)) for row in rows for value in row if value)

        return cls(
            people=keys(User.login, User.display_name, User.email),
            groups=keys(SupportGroup.code, SupportGroup.name),
            units=keys(BusinessUnit.code, BusinessUnit.name),
            modules=keys(ErpModule.code, ErpModule.name),
        )

    def knows(self, kind: NameKind, name: str) -> bool:
        known = {
            NameKind.PERSON: self.people,
            NameKind.GROUP: self.groups,
            NameKind.UNIT: self.units,
            NameKind.MODULE: self.modules,
        }[kind]
        return name_key(name) in known


def missing_names(tally: NameTally, known: KnownNames) -> dict[NameKind, list[tuple[str, int]]]:
    """Each kind's unknown names with the tickets that name them, most first (then by name)."""
    return {
        kind: sorted(
            ((name, count) for name, count in tally.counts[kind].items() if not known.knows(kind, name)),
            key=lambda item: (-item[1], item[0]),
        )
        for kind in NameKind
    }
