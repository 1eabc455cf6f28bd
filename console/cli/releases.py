"""`support-console release …`: the release calendar from the command line, through the same service and
messages as everywhere (``console.releases.service``); a support manager plans, moves and cancels releases."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from console.cli.tickets import acting
from console.errors import ConsoleError
from console.releases.service import (
    CancelRelease,
    MoveRelease,
    PlanRelease,
    ReleaseIntent,
    ReleaseLine,
    find_release,
    list_releases,
    submit_release,
)
from console.rows import Cell, Rows, write_sections
from console.store.workspace import Workspace
from models import ErpModule


def run(workspace: Workspace, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    engine = workspace.cache()
    verb = args.release_verb
    if verb == "list":
        with engine.connect() as conn:
            acting(workspace, conn, args.as_login)
            lines = list_releases(conn, now, args.module, everything=args.everything)
        if not lines and args.format == "table":
            scope = f" of {', '.join(m.upper() for m in args.module)}" if args.module else ""
            print(f"No releases{scope} {'at all' if args.everything else 'still to come'}.")
            return 0
        listed = Rows("Releases", COLUMNS, [_line(line, now) for line in lines])
        write_sections(sys.stdout, args.format, {"releases": listed})
        return 0
    with engine.begin() as conn:
        actor = acting(workspace, conn, args.as_login)
        intent: ReleaseIntent
        if verb == "plan":
            code = args.module.strip().upper()
            module_id = conn.execute(select(ErpModule.id).where(ErpModule.code == code)).scalar()
            if module_id is None:
                every = ", ".join(conn.execute(select(ErpModule.code).order_by(ErpModule.code)).scalars())
                raise ConsoleError(f"No ERP module {code}; the modules are {every}.")
            intent = PlanRelease(module_id, args.name, args.at, args.reason)
        else:
            found = find_release(conn, args.module, args.name)
            if verb == "move":
                intent = MoveRelease(found.id, args.to, found.production_at, args.reason)
            else:
                intent = CancelRelease(found.id, args.reason)
        applied = submit_release(conn, actor, intent, now)
    print(applied.summary)
    return 0


COLUMNS = {
    "module": "Module",
    "release": "Release",
    "production_at": "Reaches production",
    "state": "State",
    "open_due": "Open tickets due",
}


def _line(line: ReleaseLine, now: datetime) -> dict[str, Cell]:
    return {
        "module": line.module,
        "release": line.name,
        "production_at": line.production_at,
        "state": line.state(now),
        "open_due": line.open_due if line.cancelled_at is None else None,
    }
