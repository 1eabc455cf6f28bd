"""The ``release`` verb's arguments, without the services behind them (``console.cli.releases`` runs it)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.tickets_args import FORMATS, acting_options
from console.cli.values import TIME_HELP, moment


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
