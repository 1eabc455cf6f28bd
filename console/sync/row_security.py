"""Installing row-level security on a shared PostgreSQL database (``admin prepare``): the person
group, who may connect, the identity functions, the guards and the grants, in that order.

Apart from ``roles`` because it puts together what builds on the identity functions there
(``grants`` and ``guards`` use its names and quoting), so that none of them imports the others back.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from console.sync import grants, guards
from console.sync.roles import (
    GROUP_KEY,
    IDENTITY,
    LEGACY_GROUP,
    current_database,
    grant_execute,
    group_name,
    ident,
    identity_functions,
)

IDLE_IN_TRANSACTION = "30s"


def install(conn: Connection) -> None:
    """This database's person group, who may connect, the grants, row policies and guards (idempotent; run
    again after a migration)."""
    database = current_database(conn)
    group = group_name(database)
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": group}).first() is None:
        conn.execute(text(f"CREATE ROLE {ident(group)} NOLOGIN"))
    conn.execute(text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {ident(database)} FROM PUBLIC"))
    conn.execute(text(f"GRANT CONNECT ON DATABASE {ident(database)} TO {ident(group)}"))
    # A desk that stalls inside its transaction (a link gone half-open mid-push) holds its unit's version row, and
    # with it every other desk writing to that unit: the server ends such a session after IDLE_IN_TRANSACTION.
    conn.execute(
        text(f"ALTER DATABASE {ident(database)} SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")
    )
    conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    _forget_other_groups(conn, group)
    conn.execute(text("DROP FUNCTION IF EXISTS public.sc_visible_unit(uuid) CASCADE"))  # policies of release 3
    for statement in identity_functions(database, group):
        conn.execute(text(statement))
    grant_execute(conn, group, IDENTITY)
    guards.install(conn, group)
    grants.install(conn, group)
    conn.execute(text("DELETE FROM deployment_info WHERE key = :k"), {"k": GROUP_KEY})
    conn.execute(text("INSERT INTO deployment_info (key, value) VALUES (:k, :v)"), {"k": GROUP_KEY, "v": group})


def _forget_other_groups(conn: Connection, group: str) -> None:
    """Take back what an earlier release gave the server-wide ``sc_users``, or what the database this one was
    copied from (or renamed from) gave its own group. The people of this database who were in ``sc_users`` join
    this database's group, so an upgrade locks no one out; a copy's people are added again, by its administrator
    (``admin add-user``): it is another database."""
    stored = conn.execute(text("SELECT value FROM deployment_info WHERE key = :k"), {"k": GROUP_KEY}).scalar()
    for other in {LEGACY_GROUP, stored} - {None, group}:
        assert other is not None
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": other}).first() is None:
            continue
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            conn.execute(text(f"REVOKE ALL ON ALL {kind} IN SCHEMA public FROM {ident(other)}"))
        conn.execute(text(f"REVOKE ALL ON DATABASE {ident(current_database(conn))} FROM {ident(other)}"))
        if other != LEGACY_GROUP:
            continue
        people = conn.execute(
            text(
                "SELECT r.rolname FROM pg_roles r JOIN users u ON u.login = r.rolname "
                "WHERE pg_has_role(r.rolname, :g, 'MEMBER') AND NOT r.rolsuper"
            ),
            {"g": other},
        ).scalars()
        for login in list(people):
            conn.execute(text(f"GRANT {ident(group)} TO {ident(login)}"))
