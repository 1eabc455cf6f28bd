"""Tickets about to breach, and a person's own tickets that have just reached their warning mark.

The window's tray icon lists the first and notifies the second. Both are questions to the cache, asked
every minute or so: each is one query over the open tickets (the queue's conditions and its SLA order),
never a walk through the tickets in Python. A row's colour band (``QueueRow.band``) is the queue's, so the
tray and the queue never disagree about which tickets are in their warning band.

The warning mark is where the queue turns a ticket amber: the last ``WARNING_SHARE`` of the time from its
logging to its due time, i.e. ``due - WARNING_SHARE × (due - logged)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, literal_column, select

from console.access import Actor
from console.store import derived
from console.tickets import queue
from console.tickets.queue import QueueFilter, QueueRow
from models import Ticket
from models.base import UTCDateTime

DUE_SORT = literal_column(derived.DUE_SORT_SQL, type_=UTCDateTime())


def _moment(name: str, value: datetime) -> Any:
    """A moment as the cache stores it (UTC text), for SQLite's ``julianday``."""
    return bindparam(name, value, type_=UTCDateTime())


def about_to_breach(
    conn: Connection, actor: Actor, now: datetime, hours: float, limit: int
) -> tuple[list[QueueRow], int]:
    """The open tickets this person sees whose running clock falls due within ``hours`` (not those already
    past it: the queue lists those), soonest first; at most ``limit`` of them, and how many there are."""
    where = [*queue.conditions(conn, actor, QueueFilter(breaching_within_hours=hours), now), now < queue.DUE]
    total = int(conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one())
    numbers = conn.execute(select(Ticket.number).where(*where).order_by(DUE_SORT, Ticket.id).limit(limit)).scalars()
    return _rows(conn, actor, list(numbers)), total


def crossed_warning(conn: Connection, actor: Actor, since: datetime, now: datetime, limit: int = 20) -> list[QueueRow]:
    """This person's open tickets whose warning mark fell after ``since`` and at or before ``now``, and that
    the queue shows in its warning band (or past it) at ``now`` — a paused clock crosses nothing."""
    due = func.julianday(queue.DUE)
    mark = due - (due - func.julianday(Ticket.created_at)) * queue.WARNING_SHARE
    query = (
        select(Ticket.number)
        .where(
            Ticket.assignee_id == actor.id,
            Ticket.status.in_(queue.OPEN_STATUSES),
            queue.DUE.is_not(None),
            mark > func.julianday(_moment("since", since)),
            mark <= func.julianday(_moment("now", now)),
        )
        .order_by(DUE_SORT, Ticket.id)
        .limit(limit)
    )
    rows = _rows(conn, actor, list(conn.execute(query).scalars()))
    return [row for row in rows if row.band(now) in ("warning", "breached")]


def _rows(conn: Connection, actor: Actor, numbers: list[str]) -> list[QueueRow]:
    """Queue rows of a few tickets, in the order given (each read as the queue reads it)."""
    found = (queue.row_by_number(conn, actor, number) for number in numbers)
    return [row for row in found if row is not None]
