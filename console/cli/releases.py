"""`support-console release …`: the release calendar from the command line, through the same service and
messages as everywhere (``console.releases.service``); a support manager plans, moves and cancels releases."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from console.cli.tickets import FORMATS, acting, acting_options
from console.cli.values import TIME_HELP, moment
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


def add_parser(verbs: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:

    release: argparse.ArgumentParser = verbs.add_parser(
        "release",
        help="the release calendar: when each module's fixes reach production (Low tickets are due with it)",
        description="The release calendar. A Low ticket is due with the first release of its module that reaches "
        "production after it was logged. A support manager plans, moves and cancels releases; everyone lists them.",
    )
    release.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this user (demo workspaces only)")
    actions = release.add_subparsers(dest="release_verb", metavar="ACTION", required=True, parser_class=parser_class)
    listing = actions.add_parser("list", help="the releases still to come (--all: shipped and cancelled ones too)")
    listing.add_argument("--module", action="append", default=[], metavar="CODE", help="only this ERP module")
    listing.add_argument("--all", dest="everything", action="store_true", help="shipped and cancelled ones too")
    listing.add_argument("--format", choices=FORMATS, default="table")
    plan = actions.add_parser("plan", help="plan a release of a module")
    plan.add_argument("--module", required=True, metavar="CODE", help="the ERP module, e.g. FIN")
    plan.add_argument("--name", required=True, help="the release's name, e.g. R2027.1")
    plan.add_argument(
        "--at", required=True, type=moment, metavar="TIME", help=f"when it reaches production; {TIME_HELP}"
    )
    plan.add_argument("--reason", default="", help="why (kept in the history)")
    move = actions.add_parser("move", help="a planned release reaches production at another time")
    move.add_argument("module", metavar="MODULE", help="the ERP module's code, e.g. FIN")
    move.add_argument("name", metavar="NAME", help="the release, e.g. R2027.1")
    move.add_argument("--to", required=True, type=moment, metavar="TIME", help=f"the new time; {TIME_HELP}")
    move.add_argument("--reason", default="", help="why (kept in the history)")
    cancel = actions.add_parser("cancel", help="a planned release will not happen (its tickets wait for the next)")
    cancel.add_argument("module", metavar="MODULE", help="the ERP module's code, e.g. FIN")
    cancel.add_argument("name", metavar="NAME", help="the release, e.g. R2027.1")
    cancel.add_argument("--reason", default="", help="why (kept in the history)")
    acting_options(actions.choices.values())
    return release


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
