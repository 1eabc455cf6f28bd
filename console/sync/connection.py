"""Connecting a workspace to a shared database: the same steps from the command line and the window.

The server is tried, the person's login checked there, and only then are the URL and login saved
and the password put in the OS keyring. A URL with a password in it (user info or query) is refused.
On PostgreSQL a person connects with their own database role: the login must be that role's. A cache
that belonged to another shared database is set aside (kept in ``backups/``), never mixed with the
new one's rows; with edits not yet synced there, the switch is refused (``Workspace.use_shared_database``).

A team whose shared database has a streaming-replication standby may let pulls read there (``shared_read_url``):
the standby is reached with the shared database's login, database and password (a physical standby holds the same
roles and databases), and ``console.sync.pull`` decides, pass by pass, which space it may serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from console.access import load_actor
from console.errors import ConsoleError
from console.i18n import _
from console.store.database import describe, make_engine, parse_url, unavailable_message
from console.store.secrets import masked_text, refuse_secrets
from console.store.workspace import Workspace, secret_account
from console.sync import roles, server


@dataclass(frozen=True)
class Connected:
    where: str  # the shared database, as shown to a person
    set_aside: Path | None  # the previous cache, when there was one
    password_kept: bool  # False when no keyring could keep it


def checked_url(url_text: str) -> URL:
    """The URL as typed, parsed, or refused when it holds a password (in its user info or its query)."""
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):  # a port that is not a number is a ValueError
        raise ConsoleError(f"Not a database URL: {masked_text(url_text)}. Use sqlite:///PATH or "
                           "postgresql://USER@HOST/DB.") from None  # fmt: skip
    refuse_secrets(url, "Shared database")
    return parse_url(url)


def test_connection(url_text: str, login: str, password: str | None) -> str:
    """Reach the server, check the login and that sync is prepared; the database's description, or why not."""
    url = checked_url(url_text)
    engine = make_engine(url, password=password)
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:
            raise ConsoleError(unavailable_message(engine, exc)) from exc
        with conn:
            load_actor(conn, login)  # an unknown or deactivated login is refused here, with the reason
            server.require_installed(conn, describe(url))
            roles.require_own_login(conn, login)
    finally:
        engine.dispose()
    return describe(url)


def connect_workspace(workspace: Workspace, url_text: str, login: str, password: str | None) -> Connected:
    where = test_connection(url_text, login, password)
    url = checked_url(url_text)
    target = url.render_as_string(hide_password=False)
    aside = workspace.use_shared_database(target)  # as `settings shared_url` does
    workspace.settings.set("user", login)
    workspace.settings.save()
    kept = True
    if password is not None:
        try:
            workspace.secrets.set_password(secret_account(url), password)
        except ConsoleError:
            kept = False
            workspace.session_password = password  # for this session only, never written
    return Connected(where, aside, kept)


def standby_url(workspace: Workspace) -> URL | None:
    """The standby pulls may read from (``shared_read_url``), with the shared database's login and database where
    it names none; None when there is none. Refused when it names another login (RLS would scope another person's
    rows) or when the shared database is not PostgreSQL."""
    text = workspace.settings.get("shared_read_url")
    if not text:
        return None
    shared = workspace.shared_url()
    if shared.get_backend_name() != "postgresql":
        raise ConsoleError(
            _("A standby for reading is for a PostgreSQL shared database; {shared} is not one. Clear the setting "
              "shared_read_url.").format(shared=describe(shared))
        )  # fmt: skip
    url = checked_url(text)
    url = url.set(username=url.username or shared.username, database=url.database or shared.database)
    if url.username != shared.username:
        raise ConsoleError(
            _("The standby for reading must be reached with the login of the shared database ({login}), not "
              "{other}.").format(login=shared.username, other=url.username)
        )  # fmt: skip
    return url


def open_standby(workspace: Workspace) -> Engine | None:
    """An engine on the workspace's standby for reading, with the shared database's password; None when none is set.
    Nothing is connected yet: the pull finds out whether it is reachable and far enough along."""
    url = standby_url(workspace)
    return None if url is None else make_engine(url, password=workspace.shared_password())
