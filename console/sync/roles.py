"""PostgreSQL: one database role per person, and row-level security by business unit.

Every person connects with their own role (a member of ``sc_users``). Policies on the tables that
belong to a business unit let a super-user's role read and write only their units' rows, so even
``psql`` with that role's password cannot see another unit's tickets, notes, attachments, audit
events, conflicts, change-index entries or ready-made caches (which no person's role may write).
Other roles see every unit; reference data (people, units, policies, changes) is readable by all.
The sync bookkeeping function runs as its owner, so versioning a write never needs more than the
write itself.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from console.errors import ConsoleError

GROUP = "sc_users"

VISIBLE = """
CREATE OR REPLACE FUNCTION sc_visible_unit(unit uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT NOT EXISTS (SELECT 1 FROM users u WHERE u.login = session_user AND u.role = 'super_user')
      OR EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE u.login = session_user AND m.business_unit_id = unit)
$$
"""
POLICIES = {
    "tickets": "sc_visible_unit(business_unit_id)",
    "comments": "EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_id)",
    "attachments": "EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_id)",
    "ticket_articles": "EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_id)",
    # A ticket's whole history goes with the ticket: visible exactly when the ticket is.
    "audit_events": "entity_type <> 'ticket' OR EXISTS (SELECT 1 FROM tickets t WHERE t.id = entity_id)",
    "sync_conflicts": "business_unit_id IS NULL OR sc_visible_unit(business_unit_id)",
    "change_index": "space = 'global' OR sc_visible_unit(CAST(space AS uuid))",
    "cache_seeds": "sc_visible_unit(business_unit_id)",
    "cache_seed_chunks": "EXISTS (SELECT 1 FROM cache_seeds s WHERE s.id = seed_id)",
}
# Read-only for every person: a seed holds global rows that each desk of its unit takes as they are.
ADMIN_WRITES = ("cache_seeds", "cache_seed_chunks")


def install_row_security(conn: Connection) -> None:
    """The ``sc_users`` group, its grants, and the unit policies (idempotent; run again after a migration)."""
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": GROUP}).first()
    if exists is None:
        conn.execute(text(f"CREATE ROLE {GROUP} NOLOGIN"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {GROUP}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {GROUP}"))
    conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON {', '.join(ADMIN_WRITES)} FROM {GROUP}"))
    conn.execute(text(VISIBLE))
    conn.execute(text("ALTER FUNCTION sc_bump(text, text, text, text) SECURITY DEFINER"))
    for table, rule in POLICIES.items():
        conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"DROP POLICY IF EXISTS sc_unit ON {table}"))
        conn.execute(text(f"CREATE POLICY sc_unit ON {table} USING ({rule}) WITH CHECK ({rule})"))


def require_row_security(conn: Connection, table: str) -> None:
    """On PostgreSQL, refuse to go on unless ``table`` is guarded by its unit policy."""
    if conn.dialect.name != "postgresql":
        return
    guarded = conn.execute(text("SELECT relrowsecurity FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table})
    if not guarded.scalar():
        raise ConsoleError(
            f"{table} is not yet guarded by row-level security on this database; run "
            "`support-console admin prepare` first."
        )


def create_login(conn: Connection, login: str, password: str) -> None:
    """A database role for one person, in the ``sc_users`` group."""
    from psycopg import sql

    raw = conn.connection.driver_connection
    statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
        sql.Identifier(login), sql.Literal(password), sql.Identifier(GROUP)
    )
    conn.exec_driver_sql(statement.as_string(raw))
