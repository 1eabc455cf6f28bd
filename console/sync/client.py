"""One whole sync pass (push, then pull), as the command line, a desk's first start and the window run it.

The steps live in ``push``, ``pull`` and ``download``; here they are put in order for a workspace, and
an unreachable shared database becomes what the window's status bar shows rather than an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from console.access import load_actor
from console.errors import ConsoleError, DatabaseUnavailable
from console.journal import outbox
from console.store.database import describe, make_engine, unavailable_message
from console.store.workspace import Workspace
from console.sync import server
from console.sync.conflicts import unseen_notices
from console.sync.connection import open_standby
from console.sync.pull import pull
from console.sync.push import push_outbox
from console.sync.report import SyncReport
from models import SyncConflict, User

PUSHING, PULLING = "Pushing…", "Pulling…"  # the steps of every pass; downloads and indexing are the long ones


def sync_once(cache: Engine, shared: Engine, login: str, client_id: str,
              progress: Callable[[str], None] | None = None, *, read: Engine | None = None,
              wait: float | None = None) -> SyncReport:  # fmt: skip
    """Push the outbox, then pull every space this person may see: from ``read`` (a standby of ``shared``) for the
    spaces it has replayed as far as ``shared`` had them after the push, waited for ``wait`` seconds at most (by
    default ``pull.STANDBY_WAIT``)."""
    started = time.perf_counter()
    report = SyncReport()
    say = progress or (lambda _what: None)
    say(PUSHING)
    push_outbox(cache, shared, client_id, report)
    with shared.connect() as sconn:
        actor = load_actor(sconn, login)
    say(PULLING)
    pull(cache, shared, actor, report, say, read=read, wait=wait)
    report.seconds = time.perf_counter() - started
    return report


def sync_workspace(workspace: Workspace, progress: Callable[[str], None] | None = None) -> SyncReport:
    """One sync pass of a workspace with its shared database (password from the keyring), reading from its standby
    for reading when it has one (``shared_read_url``)."""
    login = workspace.settings.get("user")
    if not login:
        raise ConsoleError("This workspace has no user yet; `support-console connect` sets one.")
    shared, _ = workspace.open_shared()
    read = None
    try:
        with shared.connect() as conn:
            server.require_installed(conn, describe(shared.url))
        read = open_standby(workspace)
        return sync_once(workspace.cache(), shared, str(login), workspace.client_id, progress, read=read)
    finally:
        shared.dispose()
        if read is not None:
            read.dispose()


def download_if_empty(workspace: Workspace, progress: Callable[[str], None] | None = None) -> SyncReport | None:
    """A desk connected to a shared database whose cache holds nothing yet downloads its data first (the
    window cannot open on a cache without its people). None when there is nothing to do."""
    if not workspace.settings.get("shared_url") or not workspace.settings.get("user"):
        return None
    with workspace.cache().connect() as conn:
        if conn.execute(select(User.id).limit(1)).first() is not None:
            return None
    try:
        return sync_workspace(workspace, progress)
    except (OperationalError, DatabaseUnavailable) as exc:
        reason = (
            str(exc)
            if isinstance(exc, DatabaseUnavailable)
            else unavailable_message(make_engine(workspace.shared_url()), exc)
        )
        raise ConsoleError(
            f"This desk has not downloaded its data yet, and the shared database cannot be reached. "
            f"{reason.rstrip('.')}. Check File → Shared database…; the download starts once it connects."
        ) from exc


@dataclass(frozen=True)
class SyncState:
    """What the window's status bar shows after a sync attempt."""

    at: datetime
    online: bool
    message: str  # what sync did, or why it could not reach the shared database
    pending: int  # intents not yet answered
    conflicts: int  # open conflicts in this cache
    rejected: tuple[str, ...] = ()
    pulled: int = 0  # rows the pull wrote or removed: the views read again when there were any
    refused: int = 0  # edits the shared database refused, not yet dismissed by the person


def sync_and_tell(workspace: Workspace, progress: Callable[[str], None] | None = None) -> SyncState:
    """One sync pass for the window: an unreachable server is a state to show, not an error."""
    online, pulled = True, 0
    rejected: tuple[str, ...] = ()
    try:
        report = sync_workspace(workspace, progress)
        message, pulled = report.summary(), report.pulled
        rejected = tuple(report.rejected)
    except OperationalError as exc:
        online, message = False, unavailable_message(make_engine(workspace.shared_url()), exc)
    except ConsoleError as exc:
        online, message = False, str(exc)
    with workspace.cache().connect() as conn:
        waiting = outbox.pending(conn)
        open_conflicts = conn.execute(
            select(func.count()).select_from(SyncConflict).where(SyncConflict.resolved_at.is_(None))
        ).scalar_one()
        refused = len(unseen_notices(conn))
    return SyncState(datetime.now(UTC), online, message, waiting, int(open_conflicts), rejected, pulled, refused)


PROBE_TIMEOUT_S = 3
"""How long a probe of the shared database waits for a new connection (``still_reachable``)."""


def still_reachable(workspace: Workspace) -> str | None:
    """Whether the shared database answers a new connection now: None, or why not, in words.

    For the window, when a pass has said nothing for a while: a pass stuck on a connection already up has no time
    limit of its own (a stalled network acknowledges nothing and refuses nothing), but a new connection through
    the same network is either up within ``PROBE_TIMEOUT_S`` or not — if not, the desk is offline, whatever the
    stuck pass will do once the network flows again."""
    url = workspace.shared_url()
    if url.get_backend_name() == "sqlite":
        return None
    engine = make_engine(url, password=workspace.shared_password(), connect_timeout=PROBE_TIMEOUT_S)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except OperationalError as exc:
        return unavailable_message(engine, exc)
    finally:
        engine.dispose()
