"""The shared database's side of sync: which tables travel, in which space, and the triggers that
version every write.

Every synced table has a trigger (SQLite and PostgreSQL alike) that, in the writing transaction,
bumps its space's counter row in ``sync_spaces`` and writes a ``change_index`` entry with that
version: ``upsert`` for a row written, ``delete`` (a tombstone) for a row removed or moved out of
the space. Updating the counter row locks it until commit, so within a space versions are handed
out in commit order: a client that pulls after version v can never miss a change committed later
with a smaller version. Writes by any SQL client (an ERP integration, ``psql``) are versioned the
same way, because the database does it.

The triggers are installed by ``install`` on the shared database only; a local cache has the same
tables but no triggers (its own writes travel as intents in the outbox).

Tombstones and other entries are kept for the longest allowed offline period; ``prune`` forgets older
ones and notes per space how far it went, so a cache that was away longer reads the space again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, select, text, update

from console.errors import ConsoleError
from console.store import replica
from console.sync import row_security
from models import (
    GLOBAL_SPACE,
    BusinessUnit,
    CacheSeed,
    CacheSeedChunk,
    ChangeIndexEntry,
    ClientMutation,
    DeploymentInfo,
    SyncCursor,
    SyncSpace,
    metadata,
    table_of,
)

# 3: ready-made caches, guarded by their unit policy. 4: trust: least-privilege grants, row policies and guards for
# every table, a person group per database, pinned SECURITY DEFINER functions (``console.sync.roles``). 5: routing
# rules (migration 0009) travel and are granted. 6: number blocks name who reserved them, and a person numbers
# tickets and changes only from their own (migration 0010).
TRIGGERS_VERSION = "9"
TRIGGERS_KEY = "sync_triggers"


@dataclass(frozen=True)
class Synced:
    """A table that travels: its key columns, and where its space comes from.

    ``space`` is ``global``, ``column:NAME`` (a business unit id column; NULL means global),
    ``ticket:NAME`` (the unit of the ticket the row belongs to) or ``audit`` (a ticket's events go
    with the ticket's unit, every other entity's events are global).
    """

    table: str
    space: str = GLOBAL_SPACE

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in metadata.tables[self.table].primary_key.columns)


UNIT_TABLES: tuple[Synced, ...] = (
    Synced("tickets", "column:business_unit_id"),
    Synced("comments", "ticket:ticket_id"),
    Synced("attachments", "ticket:ticket_id"),
    Synced("ticket_articles", "ticket:ticket_id"),
    Synced("audit_events", "audit"),
    Synced("sync_conflicts", "column:business_unit_id"),
)
GLOBAL_TABLES: tuple[Synced, ...] = tuple(
    Synced(name)
    for name in (
        "business_calendars", "business_hours", "holidays", "sla_policies", "sla_targets", "sla_pause_statuses",
        "support_groups", "erp_modules", "business_units", "users", "memberships", "group_members",
        "problems", "knowledge_articles", "article_versions", "article_feedback", "change_templates",
        "change_requests", "change_modules",
        "change_business_units", "change_problems", "approval_policies", "change_approvals",
        "approver_delegations", "freeze_windows", "deployment_info", "releases", "routing_rules",
    )
)  # fmt: skip
SYNCED: tuple[Synced, ...] = GLOBAL_TABLES + UNIT_TABLES
BY_TABLE = {s.table: s for s in SYNCED}
# Rows that belong to one ticket: they move with it between units.
TICKET_CHILDREN: tuple[tuple[str, str], ...] = (
    ("comments", "ticket_id"),
    ("attachments", "ticket_id"),
    ("ticket_articles", "ticket_id"),
    ("audit_events", "entity_id"),
    ("sync_conflicts", "entity_id"),
)


def _hex(dialect: str, expr: str) -> str:
    """A uuid column as the 32 hex digits a space or a key is written with."""
    return expr if dialect == "sqlite" else f"replace(CAST({expr} AS text), '-', '')"


def _text(dialect: str, table: str, column: str, row: str) -> str:
    col = metadata.tables[table].columns[column]
    expr = f"{row}.{column}"
    return _hex(dialect, expr) if col.type.python_type.__name__ == "UUID" else f"CAST({expr} AS text)"


def space_sql(dialect: str, synced: Synced, row: str) -> str:
    """The space of ``row`` (NEW or OLD) as SQL.

    A ticket's rows (its notes, attachments, articles and events) are in the ticket's unit as it is
    now. On PostgreSQL the lookup locks the ticket as an update of it would, so a ticket cannot move
    to another unit while a row written for it is uncommitted (the row would be versioned in the
    unit the ticket left, and a cache of the unit it went to would never see it); SQLite has one
    writer at a time. ``console.journal.audit.next_seq`` takes the same lock before it numbers a ticket's
    audit event, so two writers cannot give one ticket's events the same ``seq``."""
    kind, _, column = synced.space.partition(":")
    if kind == "column":
        return f"COALESCE({_hex(dialect, f'{row}.{column}')}, '{GLOBAL_SPACE}')"
    lock = " FOR NO KEY UPDATE" if dialect == "postgresql" else ""
    tickets = "public.tickets" if dialect == "postgresql" else "tickets"  # never a temporary table of that name
    unit = _hex(dialect, "t.business_unit_id")
    if kind == "ticket":
        return f"COALESCE((SELECT {unit} FROM {tickets} t WHERE t.id = {row}.{column}{lock}), '{GLOBAL_SPACE}')"
    if kind == "audit":
        ticket_unit = f"(SELECT {unit} FROM {tickets} t WHERE t.id = {row}.entity_id{lock})"
        written_in = _hex(dialect, f"{row}.business_unit_id")
        return (
            f"CASE WHEN {row}.entity_type = 'ticket' "
            f"THEN COALESCE({ticket_unit}, {written_in}, '{GLOBAL_SPACE}') ELSE '{GLOBAL_SPACE}' END"
        )
    return f"'{GLOBAL_SPACE}'"


def key_sql(dialect: str, synced: Synced, row: str) -> str:
    parts = [_text(dialect, synced.table, c, row) for c in synced.key]
    return " || '|' || ".join(parts)


# ---- SQLite ------------------------------------------------------------------------------------------------

SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def _sqlite_bump(space: str, table: str, key: str, op: str) -> str:
    return (
        f"INSERT OR IGNORE INTO sync_spaces (space, version) VALUES ({space}, 0); "
        f"UPDATE sync_spaces SET version = version + 1 WHERE space = {space}; "
        f"INSERT INTO change_index (space, version, table_name, entity_key, op, at) "
        f"SELECT space, version, '{table}', {key}, '{op}', {SQLITE_NOW} FROM sync_spaces WHERE space = {space};"
    )


def sqlite_triggers(synced: Synced) -> list[str]:
    t = synced.table
    new_space, old_space = space_sql("sqlite", synced, "NEW"), space_sql("sqlite", synced, "OLD")
    new_key, old_key = key_sql("sqlite", synced, "NEW"), key_sql("sqlite", synced, "OLD")
    return [
        f"CREATE TRIGGER sc_sync_{t}_insert AFTER INSERT ON {t} BEGIN "
        f"{_sqlite_bump(new_space, t, new_key, 'upsert')} END",
        f"CREATE TRIGGER sc_sync_{t}_moved AFTER UPDATE ON {t} WHEN ({old_space}) IS NOT ({new_space}) BEGIN "
        f"{_sqlite_bump(old_space, t, old_key, 'delete')} END",
        f"CREATE TRIGGER sc_sync_{t}_update AFTER UPDATE ON {t} BEGIN "
        f"{_sqlite_bump(new_space, t, new_key, 'upsert')} END",
        f"CREATE TRIGGER sc_sync_{t}_delete AFTER DELETE ON {t} BEGIN "
        f"{_sqlite_bump(old_space, t, old_key, 'delete')} END",
    ]


# ---- PostgreSQL ----------------------------------------------------------------------------------------------
#
# A person's own role writes rows (row-level security decides which) but never the bookkeeping: the trigger
# functions run as their owner, the administrator who ran `admin prepare` (SECURITY DEFINER), and they alone
# may call ``sc_bump``. Both pin their search path and name every table with its schema, so nothing a person
# creates (a temporary table called ``sync_spaces``, a function in ``pg_temp``) can stand in for the real one.
# No one else may execute either (EXECUTE is revoked from PUBLIC; a trigger fires without it).

PINNED = "SET search_path = pg_catalog, pg_temp"

PG_BUMP = f"""
CREATE OR REPLACE FUNCTION public.sc_bump(p_space text, p_table text, p_key text, p_op text) RETURNS void
LANGUAGE plpgsql {PINNED} AS $$
DECLARE v bigint;
BEGIN
  INSERT INTO public.sync_spaces (space, version) VALUES (p_space, 0) ON CONFLICT (space) DO NOTHING;
  UPDATE public.sync_spaces SET version = version + 1 WHERE space = p_space RETURNING version INTO v;
  INSERT INTO public.change_index (space, version, table_name, entity_key, op, at)
  VALUES (p_space, v, p_table, p_key, p_op, pg_catalog.now());
END $$
"""


def postgresql_trigger(synced: Synced) -> list[str]:
    t = synced.table
    body = f"""
CREATE OR REPLACE FUNCTION public.sc_sync_{t}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {PINNED} AS $$
DECLARE s_new text; s_old text;
BEGIN
  IF TG_OP <> 'DELETE' THEN s_new := {space_sql("postgresql", synced, "NEW")}; END IF;
  IF TG_OP <> 'INSERT' THEN s_old := {space_sql("postgresql", synced, "OLD")}; END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND s_old IS DISTINCT FROM s_new) THEN
    PERFORM public.sc_bump(s_old, '{t}', {key_sql("postgresql", synced, "OLD")}, 'delete');
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM public.sc_bump(s_new, '{t}', {key_sql("postgresql", synced, "NEW")}, 'upsert');
  END IF;
  RETURN NULL;
END $$"""
    return [
        body,
        f"REVOKE ALL ON FUNCTION public.sc_sync_{t}() FROM PUBLIC",
        f"DROP TRIGGER IF EXISTS sc_sync_{t} ON public.{t}",
        f"CREATE TRIGGER sc_sync_{t} AFTER INSERT OR UPDATE OR DELETE ON public.{t} "
        f"FOR EACH ROW EXECUTE FUNCTION public.sc_sync_{t}()",
    ]


# ---- installing ----------------------------------------------------------------------------------------------


def installed(conn: Connection) -> bool:
    found = conn.execute(select(DeploymentInfo.value).where(DeploymentInfo.key == TRIGGERS_KEY)).scalar()
    return found == TRIGGERS_VERSION


def require_installed(conn: Connection, where: str) -> None:
    """Refuse to sync with a shared database whose versioning is missing or from another version of the app."""
    if not installed(conn):
        raise ConsoleError(
            f"{where} is not prepared for sync by this version of Support Console; an administrator runs "
            "`support-console admin prepare` (once, and again after each upgrade)."
        )


def install(conn: Connection, tables: Sequence[Synced] = SYNCED) -> None:
    """Install (or refresh) the versioning triggers and a counter row for every existing space."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text(PG_BUMP))
        conn.execute(text("REVOKE ALL ON FUNCTION public.sc_bump(text, text, text, text) FROM PUBLIC"))
        for synced in tables:
            for statement in postgresql_trigger(synced):
                conn.execute(text(statement))
    else:
        for synced in tables:
            for suffix in ("insert", "moved", "update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS sc_sync_{synced.table}_{suffix}"))
            for statement in sqlite_triggers(synced):
                conn.execute(text(statement))
    spaces = [GLOBAL_SPACE, *(unit.hex for unit in conn.execute(select(BusinessUnit.id)).scalars())]
    known = set(conn.execute(select(SyncSpace.space)).scalars())
    fresh = [{"space": s, "version": 0} for s in spaces if s not in known]
    if fresh:
        conn.execute(table_of(SyncSpace).insert(), fresh)
    info = table_of(DeploymentInfo)
    conn.execute(info.delete().where(info.c.key == TRIGGERS_KEY))
    conn.execute(info.insert(), [{"key": TRIGGERS_KEY, "value": TRIGGERS_VERSION}])


def prepare(conn: Connection) -> None:
    """Make a shared database ready for sync: the versioning triggers and, on PostgreSQL, the database's
    person group, its grants, row-level security and guards (idempotent; again after each upgrade)."""
    install(conn)
    if conn.dialect.name == "postgresql":
        row_security.install(conn)


def snapshot(shared: Engine) -> Connection:
    """A connection whose transactions each read one consistent snapshot (REPEATABLE READ on PostgreSQL;
    a SQLite transaction always does)."""
    conn = shared.connect()
    if shared.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def space_versions(conn: Connection, spaces: Iterable[str] | None = None) -> dict[str, int]:
    query = select(SyncSpace.space, SyncSpace.version)
    if spaces is not None:
        query = query.where(SyncSpace.space.in_(list(spaces)))
    return {space: int(version) for space, version in conn.execute(query)}


def pruned_versions(conn: Connection) -> dict[str, int]:
    """Per space, the highest change-index version pruned (0: nothing yet)."""
    return {space: int(v) for space, v in conn.execute(select(SyncSpace.space, SyncSpace.pruned_through))}


def prune(conn: Connection, older_than: datetime) -> dict[str, int]:
    """Remove the change-index entries (tombstones included) written before ``older_than``, and note per
    space the highest version removed: a cache whose cursor is older downloads the space again.
    Returns the entries removed per space."""
    index, spaces = table_of(ChangeIndexEntry), table_of(SyncSpace)
    old = conn.execute(
        select(index.c.space, func.max(index.c.version)).where(index.c.at < older_than).group_by(index.c.space)
    ).all()
    removed: dict[str, int] = {}
    for space, top in old:
        gone = conn.execute(delete(index).where(index.c.space == space, index.c.version <= top))
        removed[space] = gone.rowcount or 0
        conn.execute(
            update(spaces).where(spaces.c.space == space, spaces.c.pruned_through < top).values(pruned_through=top)
        )
    return removed


def become_cache(conn: Connection) -> None:
    """Turn a copy of the shared database into a local cache: no versioning triggers, its cursors
    at the versions the copy was taken at, none of the shared database's own bookkeeping."""
    if conn.dialect.name == "sqlite":
        replica.ensure_cache(conn)
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sc_sync_%'")
        for (name,) in names.all():
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    versions = space_versions(conn)
    cursors = table_of(SyncCursor)
    conn.execute(cursors.delete())
    if versions:
        conn.execute(cursors.insert(), [{"space": s, "version": v} for s, v in versions.items()])
    for model in (ChangeIndexEntry, ClientMutation, SyncSpace, CacheSeedChunk, CacheSeed):
        conn.execute(table_of(model).delete())
    info = table_of(DeploymentInfo)
    conn.execute(info.delete().where(info.c.key == TRIGGERS_KEY))
