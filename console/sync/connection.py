"""Connecting a workspace to a shared database: the same steps from the command line and the window.

The server is tried, the person's login checked there, and only then are the URL and login saved
and the password put in the OS keyring. A cache that belonged to another shared database is set
aside (kept in ``backups/``), never mixed with the new one's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError

from console.database import describe, make_engine, parse_url, unavailable_message
from console.errors import ConsoleError
from console.sync import outbox, server
from console.tickets import load_actor
from console.workspace import Workspace, secret_account


@dataclass(frozen=True)
class Connected:
    where: str  # the shared database, as shown to a person
    set_aside: Path | None  # the previous cache, when there was one
    password_kept: bool  # False when no keyring could keep it


def test_connection(url_text: str, login: str, password: str | None) -> str:
    """Reach the server, check the login and that sync is prepared; the database's description, or why not."""
    url = parse_url(url_text)
    if url.password:
        raise ConsoleError("Put no password in the URL; it is asked for and kept in the OS keyring.")
    engine = make_engine(url, password=password)
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:
            raise ConsoleError(unavailable_message(engine, exc)) from exc
        with conn:
            load_actor(conn, login)  # an unknown or deactivated login is refused here, with the reason
            server.require_installed(conn, describe(url))
    finally:
        engine.dispose()
    return describe(url)


def connect_workspace(workspace: Workspace, url_text: str, login: str, password: str | None) -> Connected:
    where = test_connection(url_text, login, password)
    url = parse_url(url_text)
    target = url.render_as_string(hide_password=False)
    aside = None
    if workspace.has_cache and (workspace.settings.get("shared_url") or "") != target:
        with workspace.cache().connect() as conn:
            waiting = outbox.pending(conn)
        if waiting:
            raise ConsoleError(f"{waiting} edits here are not synced with the current shared database yet; "
                               "sync them first (support-console sync --once).")  # fmt: skip
        aside = workspace.set_cache_aside("before-connect")
    workspace.settings.set("shared_url", target)
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
