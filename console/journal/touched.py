"""What an edit touched: the tickets and changes a view showing them must read again.

An edit made through the desk returns ``Done`` (its value and what it touched); the window's task runner
announces the ``Touched`` part, so views reload themselves instead of being told by each other. Work that
touches nothing — it only reads — is marked ``reads``, so a closing window need not wait for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Touched:
    """What an edit changed in the cache. ``everything``: a sync brought other people's edits."""

    tickets: frozenset[uuid.UUID] = frozenset()
    changes: frozenset[uuid.UUID] = frozenset()
    people: bool = False  # a person's own settings (away, back)
    everything: bool = False

    def ticket(self, ticket_id: uuid.UUID | None) -> bool:
        return self.everything or (ticket_id is not None and ticket_id in self.tickets)

    @property
    def any_ticket(self) -> bool:
        return self.everything or bool(self.tickets)

    @property
    def any_change(self) -> bool:
        return self.everything or bool(self.changes)


EVERYTHING = Touched(everything=True)


@dataclass(frozen=True)
class Done(Generic[T]):
    """An applied edit: what the caller asked for (a number, a result) and what it touched."""

    value: T
    touched: Touched


F = TypeVar("F", bound=Callable[..., Any])


def reads(work: F) -> F:
    """Mark work that only reads the cache (as ``Desk._read`` does): cutting it short loses nothing, so a
    closing window need not wait for it."""
    work.only_reads = True  # type: ignore[attr-defined]
    return work


def only_reads(work: Callable[..., Any]) -> bool:
    """Whether ``work`` (a function or a bound method) is marked ``reads``."""
    return getattr(work, "only_reads", False) is True
