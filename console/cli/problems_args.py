"""The ``problem`` verb's arguments, without the services behind them (``console.cli.problems`` runs it)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.tickets_args import acting_options
from console.cli.values import whole
from models import Priority, ProblemStatus

STATUS_CHOICES = [s.value for s in ProblemStatus] + ["open", "all"]
FIELDS = ("title", "description", "priority", "module", "unit", "owner", "group", "root-cause", "workaround")


def add_parser(verbs: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    problem: argparse.ArgumentParser = verbs.add_parser(
        "problem",
        help="list, show, open and work problems (the root causes of recurring incidents)",
        description="Problem management: New, Investigating, Root cause known, Known error, Fix in change, "
        "Resolved, Closed; the same rules as the window.",
    )
    problem.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this user (demo workspaces only)")
    actions = problem.add_subparsers(dest="problem_verb", metavar="ACTION", required=True, parser_class=parser_class)
    listing = actions.add_parser("list", help="problems matching filters (open ones by default)")
    listing.add_argument("--status", action="append", choices=STATUS_CHOICES, help="a status, 'open' or 'all'")
    listing.add_argument("--module", action="append", default=[], metavar="CODE")
    listing.add_argument("--unit", action="append", default=[], metavar="CODE")
    listing.add_argument("--group", action="append", default=[], metavar="CODE", help="owner group")
    listing.add_argument("--owner", metavar="LOGIN")
    known = listing.add_mutually_exclusive_group()
    known.add_argument("--known-error", dest="known_error", action="store_true", default=None)
    known.add_argument("--not-known-error", dest="known_error", action="store_false")
    listing.add_argument("--search", default="", metavar="TEXT", help="words in number, title, text, root cause")
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show = actions.add_parser("show", help="one problem: its incidents, fixes and history")
    show.add_argument("number")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    new = actions.add_parser("new", help="open a problem (and link incidents to it)")
    new.add_argument("--title", required=True)
    new.add_argument("--module", required=True, metavar="CODE")
    new.add_argument("--priority", choices=[p.value for p in Priority], default=Priority.MEDIUM.value)
    new.add_argument("--description", default="")
    new.add_argument("--unit", metavar="CODE")
    new.add_argument("--group", metavar="CODE", help="owner group")
    new.add_argument("--incident", action="append", default=[], metavar="NUMBER", help="an incident to link")
    move = actions.add_parser("move", help="move a problem along its lifecycle")
    move.add_argument("number")
    move.add_argument("status", choices=[s.value for s in ProblemStatus])
    move.add_argument("--reason", help="why (required to resolve, close or go back)")
    edit = actions.add_parser("set", help="change a field: title, root cause, workaround, owner…")
    edit.add_argument("number")
    edit.add_argument("field", choices=FIELDS)
    edit.add_argument("value", help="the new value (a code or login for module, unit, group, owner; '' to clear)")
    link = actions.add_parser("link", help="link incidents to a problem (or --unlink them)")
    link.add_argument("number")
    link.add_argument("incidents", nargs="+", metavar="INCIDENT")
    link.add_argument("--unlink", action="store_true")
    found = actions.add_parser(
        "candidates",
        help="recurring incidents, found for you: clusters of similar incidents, ranked by count and SLA cost",
    )
    found.add_argument("--days", type=whole(1, 3660, 90), default=90, metavar="N", help="the last N days (default 90)")
    found.add_argument("--module", action="append", default=[], metavar="CODE")
    found.add_argument(
        "--unlinked", action="store_true", help="leave out incidents already linked to a problem (default: mark them)"
    )
    found.add_argument("--limit", type=whole(1, 500, 20), default=20, metavar="N")
    found.add_argument("--format", choices=("table", "csv", "json"), default="table")
    acting_options([listing, show, new, move, edit, link, found])
    return problem
