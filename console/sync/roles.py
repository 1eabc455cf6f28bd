"""PostgreSQL: one database role per person, in a group of this database's own, and who each one is.

Every person connects with their own login role. ``admin prepare`` makes the database's person group
(``sc_users_<database>``; role names belong to the whole server, so each prepared database has its own),
lets only that group connect (CONNECT is revoked from PUBLIC, and so is TEMPORARY: no one needs a
temporary table here), and gives it what ``console.sync.grants`` lists, table by table, under row-level
security, with the invariants of ``console.sync.guards`` on top. A person added to one database can
therefore reach no other database on the server. Installing all of it, in that order, is
``console.sync.row_security``.

Who is connected is ``current_user`` (never ``session_user``), so ``SET ROLE sara`` from an administrator's
session is held to exactly what Sara's own login is. The identity functions below answer for the role
they are given, and only inside this database: their bodies name the database they were prepared in, so
a copy or a renamed database grants nothing to anyone until ``admin prepare`` runs there.

Everything else (the administrator, the database's owner, a superuser) is trusted: row-level security
does not apply to table owners and superusers, and the guards let them through. The administrative
commands (``admin prepare``, ``seed``, ``prune``, ``add-user``, ``set-units``) run with that connection.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import Connection, text

from console.errors import ConsoleError

LEGACY_GROUP = "sc_users"  # the server-wide group of earlier releases
GROUP_KEY = "sc_person_group"  # deployment_info: the group this database's grants went to
PINNED = "SET search_path = pg_catalog, pg_temp"


def group_name(database: str) -> str:
    """The person group of a database: ``sc_users_<name>``, or a digest of the name when it does not fit."""
    if re.fullmatch(r"[a-z0-9_]{1,50}", database):
        return f"sc_users_{database}"
    return f"sc_users_{hashlib.sha256(database.encode()).hexdigest()[:24]}"


def quoted(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def current_database(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_database()")).scalar_one())


def person_group(conn: Connection) -> str:
    return group_name(current_database(conn))


def identity_functions(database: str, group: str) -> list[str]:
    """Who the connected role is, as each policy and guard asks it (``current_user`` is passed in: inside a
    SECURITY DEFINER function it would be the owner). NULL or false for anyone but an active person of this
    database."""
    here = f"pg_catalog.current_database() = {quoted(database)}"
    return [
        f"""CREATE OR REPLACE FUNCTION public.sc_is_person(who name) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT COALESCE((SELECT NOT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = who), false)
     AND pg_catalog.pg_has_role(who, {quoted(group)}, 'MEMBER')
$$""",
        f"""CREATE OR REPLACE FUNCTION public.sc_member(who name) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT {here} AND public.sc_is_person(who)
$$""",
        f"""CREATE OR REPLACE FUNCTION public.sc_me(who name) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER {PINNED} AS $$
  SELECT u.id FROM public.users u WHERE u.login = CAST(who AS text) AND u.active AND public.sc_member(who)
$$""",
        f"""CREATE OR REPLACE FUNCTION public.sc_role(who name) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER {PINNED} AS $$
  SELECT CAST(u.role AS text) FROM public.users u WHERE u.id = public.sc_me(who)
$$""",
        f"""CREATE OR REPLACE FUNCTION public.sc_units(who name) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER {PINNED} AS $$
  SELECT COALESCE(pg_catalog.array_agg(m.business_unit_id), CAST(ARRAY[] AS uuid[]))
  FROM public.memberships m WHERE m.user_id = public.sc_me(who)
$$""",
        f"""CREATE OR REPLACE FUNCTION public.sc_unit_spaces(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER {PINNED} AS $$
  SELECT COALESCE(pg_catalog.array_agg(pg_catalog.replace(CAST(m.business_unit_id AS text), '-', '')),
                  CAST(ARRAY[] AS text[]))
  FROM public.memberships m WHERE m.user_id = public.sc_me(who)
$$""",
        f"""CREATE OR REPLACE FUNCTION public.sc_sees_all(who name) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT COALESCE(public.sc_role(who) <> 'super_user', false)
$$""",
    ]


IDENTITY = ("sc_is_person(name)", "sc_member(name)", "sc_me(name)", "sc_role(name)", "sc_units(name)",
            "sc_unit_spaces(name)", "sc_sees_all(name)")  # fmt: skip


def grant_execute(conn: Connection, group: str, signatures: tuple[str, ...]) -> None:
    """Functions the person group calls (in policies and guards); no one else may."""
    for signature in signatures:
        conn.execute(text(f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC"))
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION public.{signature} TO {ident(group)}"))


def require_row_security(conn: Connection, table: str) -> None:
    """On PostgreSQL, refuse to go on unless ``table`` is guarded by row-level security."""
    if conn.dialect.name != "postgresql":
        return
    guarded = conn.execute(text("SELECT relrowsecurity FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table})
    if not guarded.scalar():
        raise ConsoleError(
            f"{table} is not yet guarded by row-level security on this database; run "
            "`support-console admin prepare` first."
        )


def require_own_login(conn: Connection, login: str) -> None:
    """A person's desk acts as the person whose role it connects with: the login must be that role's.
    (An administrator's connection may act for anyone: a demo, a test.)"""
    if conn.dialect.name != "postgresql":
        return
    role = conn.execute(text("SELECT current_user")).scalar_one()
    person = conn.execute(text("SELECT public.sc_is_person(current_user)")).scalar()
    if person and role != login:
        raise ConsoleError(
            f"This database login is {role}, not {login}: each person connects with their own login "
            f"(postgresql://{login}@…)."
        )


def login_exists(conn: Connection, login: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}).first() is not None


def create_login(conn: Connection, login: str, password: str | None) -> bool:
    """A person's database role, in this database's person group. A role that exists already (the same person
    in another database of the server) joins the group and keeps its password. True when it was created."""
    if login.startswith("sc_") or login in ("public", "none", "current_user", "session_user"):
        raise ConsoleError(f"{login!r} cannot be a person's login: names starting with sc_ are the app's own.")
    group = person_group(conn)
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": group}).first() is None:
        raise ConsoleError("This database is not prepared for people yet; run `support-console admin prepare` first.")
    exists = login_exists(conn, login)
    if not exists:
        if password is None:
            raise ConsoleError(f"{login} needs a database password.")
        from psycopg import sql

        raw = conn.connection.driver_connection
        statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(login), sql.Literal(password))
        conn.exec_driver_sql(statement.as_string(raw))
    conn.execute(text(f"GRANT {ident(group)} TO {ident(login)}"))
    return not exists
