"""A person's own settings and the freeze policy, as intents that sync.

Going away with a delegate, coming back, and (for an administrator or a support manager) the
period-end freeze lengths. Like change intents, each is validated and applied in the caller's
transaction and kept in the outbox, so that the shared database runs the same checks when it is
pushed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from console.access import Actor, Refused
from console.changes.approvals import end_delegation, set_delegation
from console.changes.freezes import freeze_text, parse_freeze_policy, set_freeze_policy
from console.journal import outbox
from console.journal.audit import ids_of
from console.journal.intents import Away, Back, SettingIntent
from console.words import counted
from console.zone import moment_text
from models import Role

FREEZE_SETTERS = (Role.ADMIN, Role.SUPPORT_MANAGER)


def apply_setting(conn: Connection, actor: Actor, intent: SettingIntent, now: datetime) -> str:
    """Validate and apply one setting intent in the caller's transaction; what was done, in words."""
    with ids_of(intent.mutation_id):
        if isinstance(intent, Away):
            login = set_delegation(conn, actor, intent.delegate_id, intent.starts_at, intent.ends_at, now)
            return f"Until {moment_text(intent.ends_at, named=True)}, {login} decides your approvals."
        if isinstance(intent, Back):
            return f"Back: {counted(end_delegation(conn, actor, now), 'delegation')} ended."
        if actor.role not in FREEZE_SETTERS:
            raise Refused("Only an administrator or a support manager sets the freeze windows.")
        policy = parse_freeze_policy(intent.policy)
        set_freeze_policy(conn, policy)
        return f"Freeze windows set: {freeze_text(policy)}"


def submit_setting(conn: Connection, actor: Actor, intent: SettingIntent, now: datetime) -> str:
    """Apply one setting intent here and keep it in the outbox, in the caller's (cache) transaction."""
    done = apply_setting(conn, actor, intent, now)
    outbox.record(conn, actor.login, intent, now)
    return done
