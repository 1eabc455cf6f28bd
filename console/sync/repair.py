"""``support-console repair``: a damaged local cache set aside and downloaded again, its unsynced edits kept.

The damaged file and its side files go into ``backups/`` as they are (``console.store.damage``); a new cache
is made; every edit its outbox still held is put back in the new outbox, in its order; then one sync pass
pushes those edits and downloads the person's data again (from the unit's ready-made cache when there is
one). An edit that could not be read is counted and said, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from console.errors import ConsoleError
from console.i18n import _, n_
from console.store import damage
from console.store.workspace import Workspace
from console.sync.client import sync_workspace
from console.sync.report import SyncReport


@dataclass(frozen=True)
class Repaired:
    folder: Path  # where the damaged cache now lies
    kept: int  # unsynced edits put back
    lost: int  # unsynced edits that could not be read
    outbox_lost: bool  # the outbox could not be read at all: how many edits it held is unknown
    report: SyncReport | None  # the sync pass after it (None when it could not run: offline)
    offline: str | None = None

    def summary(self) -> str:
        parts = [_("The damaged cache is in {folder}.").format(folder=self.folder)]
        if self.outbox_lost:
            parts.append(
                _("Its list of edits not yet synced could not be read: any made since the last sync are lost.")
            )
        else:
            parts.append(
                n_("{n} unsynced edit was kept.", "{n} unsynced edits were kept.", self.kept).format(n=self.kept)
            )
        if self.lost:
            parts.append(
                n_("{n} unsynced edit could not be read.", "{n} unsynced edits could not be read.", self.lost).format(
                    n=self.lost
                )
            )
        if self.report is not None:
            parts.append(_("Downloaded again: {summary}.").format(summary=self.report.summary()))
        else:
            parts.append(
                _("Not downloaded yet ({why}); the next sync downloads it.").format(why=self.offline or _("offline"))
            )
        return " ".join(parts)


def repair(workspace: Workspace, progress: Callable[[str], None] | None = None) -> Repaired:
    """Set the workspace's cache aside (whatever state it is in), keep its readable outbox, sync again."""
    workspace.close()
    aside = damage.set_aside(workspace.cache_path, workspace.backups_dir)
    cache = workspace.cache()  # a new, empty cache
    if aside.edits:  # as they were stored: values copied, not read into Python types and back
        columns = ", ".join(damage.OUTBOX_COLUMNS)
        marks = ", ".join(["?"] * len(damage.OUTBOX_COLUMNS))
        with cache.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO outbox ({columns}) VALUES ({marks})", list(aside.edits))
    report: SyncReport | None = None
    offline: str | None = None
    try:
        report = sync_workspace(workspace, progress)
    except ConsoleError as exc:  # no shared database reachable: the edits wait in the new outbox
        offline = str(exc)
    return Repaired(aside.folder, len(aside.edits), aside.unreadable, aside.outbox_lost, report, offline)
