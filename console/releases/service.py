"""The release calendar: each ERP module's releases, planned, moved and cancelled as intents that sync.

A Low ticket is resolved "by the next release": it is due at the first release of its module that
reaches production after the ticket was logged (``console.sla.store.SlaContext.release_for``). So the
calendar is part of the SLA policy, and like the policy it is a support manager's to keep: only a
support manager plans, moves or cancels a release, checked here (a clear message before anything is
sent) and again on the shared database when the intent is pushed, as its author.

Every edit is an intent applied to the cache with its outbox entry in one transaction, then applied
on the shared database by the same ``apply_release``. It refuses, with the reason, what would rewrite
the past: planning or moving a release to a time already gone, moving or cancelling one that has
reached production. A move says what it moves from (``base``): one made meanwhile by someone else
is not overwritten, it is refused and the desk reads the release back.

The tickets a change re-dates are recomputed in the same transaction (``retime``): those of the
module logged between the release before and the later of the old and new times. On a desk that
pulls a release written elsewhere the pull does the same, so the queue, the charts (their rollups
follow the ticket rows) and the metrics agree with the calendar the moment it arrives.

A release's history (planned, moved, cancelled, by whom and why) is in the audit trail, as events of
entity type ``policy``: the calendar dates the Low target of the SLA policies. A type of its own
would change the CHECK constraint of ``audit_events``, which on SQLite means copying every desk's
whole audit trail in a migration, for one word.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from console import zone
from console.access import Actor, Refused
from console.errors import ConsoleError
from console.journal import outbox
from console.journal.audit import audit, ids_of
from console.journal.intents import CancelRelease as CancelRelease
from console.journal.intents import MoveRelease as MoveRelease
from console.journal.intents import PlanRelease as PlanRelease
from console.journal.intents import ReleaseIntent as ReleaseIntent
from console.journal.values import snapshot
from console.sla.recompute import recompute_release_tickets
from console.sla.store import SlaContext
from console.text import clean_text
from console.words import counted
from models import AuditAction, EntityType, ErpModule, Release, Role, Ticket, TicketStatus, table_of
from models.releases import RELEASE_NAME_MAX

RELEASES = table_of(Release)
PLANNERS = frozenset({Role.SUPPORT_MANAGER})
OPEN_STATUSES = tuple(s for s in TicketStatus if s.is_open)
Moments = dict[uuid.UUID, tuple[uuid.UUID, datetime | None]]  # per release: its module, and its time (None: cancelled)


def moment_text(value: datetime) -> str:
    """A moment as people read it in a sentence: 15 Jan 2027 18:00 Europe/London (``console.zone``)."""
    return zone.moment_text(value, named=True)


def day_text(value: datetime) -> str:
    """A day as people read it: 15 Jan 2027, in the person's zone."""
    return zone.day_text(value)


@dataclass(frozen=True)
class ReleaseApplied:
    release_id: uuid.UUID
    summary: str  # what was done, in words
    retimed: int  # tickets whose SLA outcome changed with it


# ---- applying -------------------------------------------------------------------------------------------------


def apply_release(conn: Connection, actor: Actor, intent: ReleaseIntent, now: datetime) -> ReleaseApplied:
    """Validate and apply one release intent in the caller's transaction, re-dating the tickets it moves;
    raise ``Refused`` and write nothing if the rules do not allow it."""
    with ids_of(intent.mutation_id):
        if actor.role not in PLANNERS:
            role = actor.role.value.replace("_", " ")
            raise Refused(f"Only a support manager plans, moves or cancels releases; {actor.login} is a {role}.")
        if isinstance(intent, PlanRelease):
            release_id, before = _plan(conn, actor, intent, now)
        else:
            release_id, before = _edit(conn, actor, intent, now)
        retimed = retime(conn, before, now, [release_id])
        release = _release(conn, release_id)
        return ReleaseApplied(release_id, _summary(intent, release, retimed), retimed)


def submit_release(conn: Connection, actor: Actor, intent: ReleaseIntent, now: datetime) -> ReleaseApplied:
    """Apply one release intent here and keep it in the outbox, in the caller's (cache) transaction."""
    applied = apply_release(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return applied


def _plan(conn: Connection, actor: Actor, intent: PlanRelease, now: datetime) -> tuple[uuid.UUID, Moments]:
    """Write a planned release; returns its id and the calendar's moments before."""
    module = conn.execute(select(ErpModule.id, ErpModule.name).where(ErpModule.id == intent.module_id)).first()
    if module is None:
        raise Refused("That ERP module does not exist here.")
    name = clean_text(intent.name, "release name", RELEASE_NAME_MAX)
    if any(ch in name for ch in "\t\n"):
        raise Refused("A release name is one line, e.g. R2027.1.")
    label = f"{name} of {module.name}"
    _ahead(intent.production_at, now, f"{label} cannot be planned for")
    reason = _reason(intent.reason)
    existing = conn.execute(
        select(RELEASES).where(Release.module_id == module.id, func.lower(Release.name) == name.lower())
    ).first()
    if existing is not None and existing.cancelled_at is None:
        raise Refused(
            f"{existing.name} of {module.name} is already planned for {moment_text(existing.production_at)}; "
            "move it instead."
        )
    if existing is not None:  # cancelled before: the same release comes back
        before = moments(conn, [existing.id])
        conn.execute(
            update(Release)
            .where(Release.id == existing.id)
            .values(production_at=intent.production_at, cancelled_at=None)
        )
        _event(conn, actor, existing.id, now, "cancelled_at", existing.cancelled_at, None, reason)
        _event(conn, actor, existing.id, now, "production_at", existing.production_at, intent.production_at, reason)
        return existing.id, before
    values = {"id": intent.release_id, "module_id": module.id, "name": name, "production_at": intent.production_at,
              "cancelled_at": None}  # fmt: skip
    conn.execute(insert(RELEASES), [values])
    audit(conn, at=now, actor_id=actor.id, entity_type=EntityType.POLICY, entity_id=intent.release_id, unit_id=None,
          action=AuditAction.CREATED, new=snapshot(values), reason=reason)  # fmt: skip
    return intent.release_id, {}


def _edit(
    conn: Connection, actor: Actor, intent: MoveRelease | CancelRelease, now: datetime
) -> tuple[uuid.UUID, Moments]:
    """Move or cancel a planned release; returns its id and the calendar's moments before."""
    release = _release(conn, intent.release_id)
    label = f"{release['name']} of {release['module_name']}"
    current: datetime = release["production_at"]
    if release["cancelled_at"] is not None:
        again = "plan it again instead" if isinstance(intent, MoveRelease) else "nothing to do"
        raise Refused(f"{label} was cancelled on {day_text(release['cancelled_at'])}; {again}.")
    if current <= now:
        what = "it cannot move" if isinstance(intent, MoveRelease) else "it cannot be cancelled"
        raise Refused(f"{label} reached production on {moment_text(current)}: it has shipped, so {what}.")
    reason = _reason(intent.reason)
    before = moments(conn, [release["id"]])
    if isinstance(intent, CancelRelease):
        conn.execute(update(Release).where(Release.id == release["id"]).values(cancelled_at=now))
        _event(conn, actor, release["id"], now, "cancelled_at", None, now, reason)
        return release["id"], before
    if current != intent.base:
        raise Refused(
            f"{label} was moved meanwhile to {moment_text(current)}, not {_shown(intent.base)} as you saw it. "
            "Look again, then retry."
        )
    _ahead(intent.production_at, now, f"{label} cannot move to")
    if intent.production_at == current:
        raise Refused(f"{label} is already planned for {moment_text(current)}.")
    conn.execute(update(Release).where(Release.id == release["id"]).values(production_at=intent.production_at))
    _event(conn, actor, release["id"], now, "production_at", current, intent.production_at, reason)
    return release["id"], before


def _release(conn: Connection, release_id: uuid.UUID) -> dict[str, Any]:
    found = conn.execute(
        select(RELEASES, ErpModule.code.label("module_code"), ErpModule.name.label("module_name"))
        .join(ErpModule, ErpModule.id == Release.module_id)
        .where(Release.id == release_id)
    ).first()
    if found is None:
        raise Refused("That release does not exist here (was it removed on the shared database?).")
    return dict(found._mapping)


def _ahead(when: datetime, now: datetime, refused: str) -> None:
    if when.tzinfo is None:
        raise Refused(f"{refused} a time without its time zone.")
    if when <= now:
        raise Refused(f"{refused} {moment_text(when)}: that time has passed (it is {moment_text(now)}). Plan ahead.")


def _shown(value: datetime) -> str:
    return moment_text(value) if value.tzinfo is not None else str(value)


def _reason(text: str) -> str | None:
    return clean_text(text, "reason", 2_000, required=False) or None


def _event(conn: Connection, actor: Actor, release_id: uuid.UUID, now: datetime, name: str, old: Any, new: Any,
           reason: str | None) -> None:  # fmt: skip
    audit(conn, at=now, actor_id=actor.id, entity_type=EntityType.POLICY, entity_id=release_id, unit_id=None,
          action=AuditAction.FIELD_CHANGED, field=name, old=old, new=new, reason=reason)  # fmt: skip


def _summary(intent: ReleaseIntent, release: Mapping[str, Any], retimed: int) -> str:
    label = f"{release['name']} of {release['module_name']}"
    when = moment_text(release["production_at"])
    if isinstance(intent, PlanRelease):
        done = f"Planned {label}: its fixes reach production {when}."
    elif isinstance(intent, MoveRelease):
        done = f"Moved {label}: its fixes now reach production {when}."
    else:
        done = f"Cancelled {label}; its tickets are due with the next release of {release['module_name']}."
    return f"{done} {counted(retimed, 'ticket')} re-dated." if retimed else f"{done} No ticket's due date changed."


# ---- the tickets a change of the calendar re-dates ----------------------------------------------------------------


def moments(conn: Connection, release_ids: Iterable[uuid.UUID]) -> Moments:
    """Each release's module and production time now (None when cancelled); releases not here are left out."""
    ids = list(release_ids)
    if not ids:
        return {}
    query = select(Release.id, Release.module_id, Release.production_at, Release.cancelled_at).where(
        Release.id.in_(ids)
    )
    return {r.id: (r.module_id, None if r.cancelled_at is not None else r.production_at) for r in conn.execute(query)}


def retime(conn: Connection, before: Moments, now: datetime, release_ids: Iterable[uuid.UUID] = ()) -> int:
    """After releases changed (``before``: the module and time of those that were here, as ``moments`` gave them;
    ``release_ids``: any others that may have arrived), store again the SLA of the tickets that can be due with
    another release now. Returns how many changed.

    Per module, with the changed releases' old and new times: a ticket is due with the first release after it
    was logged, so only one logged before the latest of those times can change, and only one logged at or after
    the last unchanged release before the earliest of them (before it, that release comes first either way)."""
    after = moments(conn, set(before) | set(release_ids))
    changed = {rid for rid in set(before) | set(after) if before.get(rid) != after.get(rid)}
    by_module: dict[uuid.UUID, list[datetime]] = {}
    for rid in changed:
        for found in (before.get(rid), after.get(rid)):
            if found is not None:
                module_id, when = found
                by_module.setdefault(module_id, [])
                if when is not None:
                    by_module[module_id].append(when)
    retimed = 0
    for module_id, times in by_module.items():
        if not times:
            continue
        earlier = conn.execute(
            select(func.max(Release.production_at)).where(
                Release.module_id == module_id,
                Release.cancelled_at.is_(None),
                Release.production_at < min(times),
                Release.id.not_in(changed),
            )
        ).scalar()
        retimed += recompute_release_tickets(conn, module_id, earlier, max(times), now)
    return retimed


# ---- reading the calendar ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseLine:
    id: uuid.UUID
    module: str  # the module's code
    module_name: str
    name: str
    production_at: datetime
    cancelled_at: datetime | None
    open_due: int  # open tickets due with it

    def state(self, now: datetime) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        return "shipped" if self.production_at <= now else "planned"


def list_releases(
    conn: Connection, now: datetime, modules: Sequence[str] = (), *, everything: bool = False
) -> list[ReleaseLine]:
    """The releases still to come, by production time (with ``everything``: shipped and cancelled ones too)."""
    query = (
        select(RELEASES, ErpModule.code, ErpModule.name.label("module_name"))
        .join(ErpModule, ErpModule.id == Release.module_id)
        .order_by(Release.production_at, ErpModule.code, Release.name)
    )
    if modules:
        codes = [m.strip().upper() for m in modules]
        known = set(conn.execute(select(ErpModule.code).where(ErpModule.code.in_(codes))).scalars())
        if unknown := [c for c in codes if c not in known]:
            every = ", ".join(conn.execute(select(ErpModule.code).order_by(ErpModule.code)).scalars())
            raise ConsoleError(f"No ERP module {', '.join(unknown)}; the modules are {every}.")
        query = query.where(ErpModule.code.in_(codes))
    if not everything:
        query = query.where(Release.cancelled_at.is_(None), Release.production_at > now)
    found = conn.execute(query).all()
    untimed = sorted(SlaContext.load(conn).untimed)
    due: dict[tuple[uuid.UUID, datetime | None], int] = {}
    if found and untimed:
        counted = conn.execute(
            select(Ticket.module_id, Ticket.resolution_due_at, func.count())
            .where(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.priority.in_(untimed),
                Ticket.resolution_due_at.in_({r.production_at for r in found}),
                Ticket.module_id.in_({r.module_id for r in found}),
            )
            .group_by(Ticket.module_id, Ticket.resolution_due_at)
        )
        due = {(module_id, at): int(n) for module_id, at, n in counted}
    return [
        ReleaseLine(r.id, r.code, r.module_name, r.name, r.production_at, r.cancelled_at,
                    0 if r.cancelled_at is not None else due.get((r.module_id, r.production_at), 0))
        for r in found
    ]  # fmt: skip


def find_release(conn: Connection, module: str, name: str) -> ReleaseLine:
    """One release by its module's code and its name, or a message naming the module's releases."""
    code = module.strip().upper()
    module_row = conn.execute(select(ErpModule.id, ErpModule.name).where(ErpModule.code == code)).first()
    if module_row is None:
        every = ", ".join(conn.execute(select(ErpModule.code).order_by(ErpModule.code)).scalars())
        raise ConsoleError(f"No ERP module {code}; the modules are {every}.")
    rows = conn.execute(
        select(RELEASES).where(Release.module_id == module_row.id).order_by(Release.production_at)
    ).all()
    for r in rows:
        if r.name.lower() == name.strip().lower():
            return ReleaseLine(r.id, code, module_row.name, r.name, r.production_at, r.cancelled_at, 0)
    names = ", ".join(r.name for r in rows) or "none yet"
    raise ConsoleError(f"{module_row.name} has no release {name.strip()!r}; its releases: {names}.")
