"""`support-console connect | sync | admin …`: the shared database from the command line.

- ``connect --shared URL --user LOGIN`` checks the server and the person, keeps the password in the
  OS keyring (from a prompt, or ``SUPPORT_CONSOLE_PASSWORD`` for scripts) and sets the workspace's
  shared database; a cache that belonged to another shared database is set aside, not mixed.
- ``sync --once`` pushes and pulls once and says what it did; ``sync`` keeps syncing. Both exit
  non-zero with a clear message when the server cannot be reached or the password is wrong.
- ``admin prepare`` installs the versioning triggers (and, on PostgreSQL, the database's person group,
  its grants, row policies and guards); ``admin add-user`` and ``admin set-units`` manage people and
  their business units (and, on PostgreSQL, their database roles); ``admin prune`` forgets old
  change-index entries; ``admin seed`` builds each unit's ready-made cache. They run with the
  administrator's connection: a person's own role may do none of it.
- A URL with a password in it (user info or query) is refused everywhere; URLs are shown masked.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from console.cli.sync_args import PRUNE_DAYS
from console.errors import ConsoleError
from console.store.database import describe, make_engine, unavailable_message, upgrade
from console.store.secrets import INSTALL_HINT
from console.store.workspace import NEW_PASSWORD_ENV, PASSWORD_ENV, Workspace
from console.sync import client, roles, seed_build, server
from console.sync.connection import checked_url, connect_workspace
from console.words import counted
from console.zone import time_text
from models import BusinessUnit, Membership, Role, User, new_id, table_of


def _password(url_text: str) -> str | None:
    url = checked_url(url_text)  # a password in the URL (user info or query) is refused, never shown
    if url.get_backend_name() == "sqlite":
        return None
    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given or None
    if not sys.stdin.isatty():  # a script: the server may let this login in without one (trust, certificate)
        return None
    typed = getpass.getpass(f"Password for {url.username or 'you'} at {describe(url)} (Enter for none): ")
    return typed or None


def run_connect(workspace: Workspace, args: argparse.Namespace) -> int:
    done = connect_workspace(workspace, args.shared, args.user, _password(args.shared))
    if done.set_aside is not None:
        print(f"The cache of the previous shared database is kept as {done.set_aside}.")
    if not done.password_kept:
        print(f"{INSTALL_HINT} Set {PASSWORD_ENV} for each run meanwhile.", file=sys.stderr)
    print(f"Connected to {done.where} as {args.user}. `support-console sync --once` downloads your data.")
    return 0


def _long_steps(step: str) -> None:
    """Downloads and indexing take a while: say so on stderr (every pass pushes and pulls; not those)."""
    if step not in (client.PUSHING, client.PULLING):
        print(f"{time_text(datetime.now(UTC), seconds=True)} {step}", file=sys.stderr, flush=True)


def run_sync(workspace: Workspace, args: argparse.Namespace) -> int:
    every = args.every or float(workspace.settings.get("sync_interval_seconds"))
    while True:
        try:
            report = client.sync_workspace(workspace, _long_steps)
        except OperationalError as exc:
            message = unavailable_message(make_engine(workspace.shared_url()), exc)
            if args.once:
                raise ConsoleError(message) from exc
            print(f"{time_text(datetime.now(UTC), seconds=True)} offline: {message}", file=sys.stderr)
        except DBAPIError as exc:
            raise ConsoleError(f"The shared database refused: {str(exc.orig).strip().splitlines()[0]}") from exc
        else:
            print(f"{time_text(datetime.now(UTC), seconds=True)} {report.summary()}")
            for reason in report.rejected:
                print(f"  rejected: {reason}", file=sys.stderr)
        if args.once:
            return 0
        time.sleep(every)


# ---- admin ------------------------------------------------------------------------------------------------------


def _admin(workspace: Workspace, shared: str | None) -> Engine:
    if shared:
        return make_engine(shared, password=_password(shared))
    return make_engine(workspace.shared_url(), password=workspace.shared_password())


def run_admin(workspace: Workspace, args: argparse.Namespace) -> int:
    engine = _admin(workspace, args.shared)
    try:
        if args.admin_verb == "prepare":
            upgrade(engine)
            with engine.begin() as conn:
                server.prepare(conn)
            print(f"{describe(engine.url)} is ready for sync.")
            return 0
        if args.admin_verb == "prune":
            days = args.days if args.days is not None else int(workspace.settings.get("max_offline_days"))
            return _prune(engine, days)
        if args.admin_verb == "seed":
            return _seed(workspace, engine, args.unit)
        with engine.begin() as conn:
            if args.admin_verb == "add-user":
                password = _new_password(conn, args.login)
                created = _add_user(conn, args, password)
                print(f"Added {args.login} ({args.role}) with units {', '.join(args.unit) or 'none'}.")
                if created is False:
                    print(f"The database role {args.login} existed already (another database of this server): "
                          "it keeps its password and may now connect here.")  # fmt: skip
            else:
                _set_units(conn, args.login, args.units)
                print(f"{args.login} now belongs to {', '.join(u.upper() for u in args.units)}.")
        return 0
    except OperationalError as exc:
        raise ConsoleError(unavailable_message(engine, exc)) from exc
    finally:
        engine.dispose()


def _prune(engine: Engine, days: int) -> int:
    if days < 1:
        raise ConsoleError("Keep at least one day of changes: --days 1 or more.")
    if days > PRUNE_DAYS:
        raise ConsoleError(f"Keep at most {PRUNE_DAYS:,} days of changes (ten years), e.g. --days 30.")
    with engine.begin() as conn:
        removed = server.prune(conn, datetime.now(UTC) - timedelta(days=days))
    entries = counted(sum(removed.values()), "change-index entry", "change-index entries")
    print(
        f"Forgot {entries} older than {counted(days, 'day')} in {counted(len(removed), 'space')}; "
        "a cache offline for longer downloads its data again."
    )
    return 0


def _seed(workspace: Workspace, engine: Engine, codes: list[str]) -> int:
    with engine.connect() as conn:
        codes = [c.upper() for c in codes] or list(
            conn.execute(select(BusinessUnit.code).order_by(BusinessUnit.code)).scalars()
        )
    with tempfile.TemporaryDirectory(prefix="seeds-", dir=workspace.home) as work:
        for code in codes:
            built = seed_build.build(engine, code, Path(work), _long_steps)
            print(
                f"{built.unit}: {counted(built.tickets, 'ticket')}, a {built.size / 2**20:,.0f} MiB cache stored as "
                f"{built.stored / 2**20:,.0f} MiB, in {built.seconds:.1f} s."
            )
    return 0


def _new_password(conn: Connection, login: str) -> str | None:
    if conn.dialect.name != "postgresql" or roles.login_exists(conn, login):
        return None
    given = os.environ.get(NEW_PASSWORD_ENV)  # not PASSWORD_ENV: that is the administrator's own, for this session
    if given is None and sys.stdin.isatty():
        given = getpass.getpass(f"Database password for {login}: ")
    if not given:
        raise ConsoleError(f"{login} needs a database password: type it, or set {NEW_PASSWORD_ENV}.")
    return given


def _unit_ids(conn: Connection, codes: list[str]) -> list[Any]:
    wanted = {c.upper() for c in codes}
    found = dict(conn.execute(select(BusinessUnit.code, BusinessUnit.id).where(BusinessUnit.code.in_(wanted))).all())
    missing = sorted(wanted - set(found))
    if missing:
        raise ConsoleError(f"No business unit {', '.join(missing)}.")
    return list(found.values())


def _add_user(conn: Connection, args: argparse.Namespace, password: str | None) -> bool | None:
    """The person, their units and (PostgreSQL) their role in this database's person group: True when the
    role was created, False when it existed already, None off PostgreSQL."""
    if conn.execute(select(User.id).where(User.login == args.login)).first() is not None:
        raise ConsoleError(f"{args.login} exists already; `admin set-units` changes their units.")
    role = Role(args.role)
    if role is Role.SUPER_USER and not args.unit:
        raise ConsoleError("A super-user sees only their business units: name at least one with --unit.")
    units = _unit_ids(conn, args.unit)
    user_id = new_id()
    conn.execute(insert(table_of(User)), [{"id": user_id, "login": args.login, "display_name": args.name or args.login,
                                          "email": None, "role": role, "active": True, "locale": "en",
                                          "created_at": datetime.now(UTC)}])  # fmt: skip
    if units:
        conn.execute(insert(table_of(Membership)), [{"user_id": user_id, "business_unit_id": u} for u in units])
    if conn.dialect.name != "postgresql":
        return None
    return roles.create_login(conn, args.login, password)


def _set_units(conn: Connection, login: str, codes: list[str]) -> None:
    user_id = conn.execute(select(User.id).where(User.login == login)).scalar()
    if user_id is None:
        raise ConsoleError(f"No user {login!r}.")
    units = _unit_ids(conn, codes)
    conn.execute(delete(table_of(Membership)).where(Membership.user_id == user_id))
    conn.execute(insert(table_of(Membership)), [{"user_id": user_id, "business_unit_id": u} for u in units])
    conn.execute(update(table_of(User)).where(User.id == user_id).values(active=True))
