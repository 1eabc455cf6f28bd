"""The ``ticket`` verb's arguments: what ``support-console --help`` and a mistyped option need, without the
services behind them (``console.cli.tickets`` runs the verb)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from console.cli.values import MOST_TICKETS, duration, whole
from console.tickets.columns import Column
from models import Impact, Priority, TicketKind, TicketStatus, Urgency

STATUS_CHOICES = [s.value for s in TicketStatus] + ["open", "all"]
FORMATS = ("table", "csv", "json")
BREACHING_HOURS = 365 * 24  # SLA targets run hours to days; a horizon past a year warns of nothing


def acting_options(actions: Iterable[argparse.ArgumentParser]) -> None:
    """``--as`` and ``--home`` after the action too, as before it: ``ticket list --as LOGIN`` acts as LOGIN."""
    for action in actions:
        action.add_argument(
            "--as", dest="as_login", metavar="LOGIN", default=argparse.SUPPRESS, help="act as this user (demo only)"
        )
        action.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help="workspace folder")


TIER = whole(0, 3, 1)  # as the tickets table allows (tier BETWEEN 0 AND 3)


def add_filters(parser: argparse.ArgumentParser) -> None:
    """The filters of ``ticket list`` (and of ``export``, which takes the same)."""
    parser.add_argument("--status", action="append", choices=STATUS_CHOICES, help="a status, 'open' or 'all'")
    parser.add_argument("--priority", action="append", choices=[p.value for p in Priority])
    parser.add_argument("--unit", action="append", default=[], metavar="CODE")
    parser.add_argument("--module", action="append", default=[], metavar="CODE")
    parser.add_argument("--assignee", metavar="LOGIN")
    parser.add_argument("--tier", type=TIER, action="append", metavar="0-3", help="support tier, 0 to 3")
    parser.add_argument("--mine", action="store_true", help="assigned to me")
    parser.add_argument("--unassigned", action="store_true")
    parser.add_argument(
        "--breaching",
        type=duration("hours", BREACHING_HOURS, "24"),
        metavar="HOURS",
        help="due within this many hours, e.g. 24 or 0.5",
    )
    parser.add_argument(
        "--search",
        default="",
        metavar="TEXT",
        help="words in number, title, description or notes (or the number an imported ticket had in its tool)",
    )


def add_parser(verbs: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:

    ticket: argparse.ArgumentParser = verbs.add_parser(
        "ticket",
        help="list, show, log and work tickets",
        description="The ticket queue and the incident workflow: the same rules as the window.",
    )
    ticket.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this user (demo workspaces only)")
    actions = ticket.add_subparsers(dest="ticket_verb", metavar="ACTION", required=True, parser_class=parser_class)
    listing = actions.add_parser("list", help="tickets matching filters (open ones by default)")
    add_filters(listing)
    listing.add_argument("--sort", choices=[c.value for c in Column], default=Column.SLA.value)
    listing.add_argument("--desc", action="store_true", help="sort descending")
    listing.add_argument(
        "--limit", type=whole(1, MOST_TICKETS, 200), default=200, metavar="N", help="show at most N (default 200)"
    )
    listing.add_argument("--format", choices=FORMATS, default="table")
    show = actions.add_parser("show", help="one ticket: fields, SLA, notes, history")
    show.add_argument("number")
    show.add_argument("--format", choices=FORMATS, default="table")
    new = actions.add_parser("new", help="log a ticket")
    new.add_argument("--title", required=True)
    new.add_argument("--unit", required=True, metavar="CODE")
    new.add_argument("--module", required=True, metavar="CODE")
    new.add_argument("--priority", choices=[p.value for p in Priority], help="default: from impact × urgency")
    new.add_argument("--impact", choices=[i.value for i in Impact])
    new.add_argument("--urgency", choices=[u.value for u in Urgency])
    new.add_argument("--reason", help="why the priority differs from impact × urgency")
    new.add_argument("--description", default="")
    new.add_argument("--kind", choices=[k.value for k in TicketKind], default=TicketKind.INCIDENT.value)
    new.add_argument("--reporter", metavar="LOGIN", help="who reported it (default: you)")
    change = actions.add_parser("set", help="change status, priority, assignee, tier or module")
    change.add_argument("number")
    change.add_argument("--status", choices=[s.value for s in TicketStatus])
    change.add_argument("--priority", choices=[p.value for p in Priority])
    change.add_argument("--assignee", metavar="LOGIN", help="a login, or 'none' to unassign")
    change.add_argument("--tier", type=TIER, metavar="0-3", help="support tier, 0 to 3")
    change.add_argument("--module", metavar="CODE")
    change.add_argument("--reason", help="why (required to pend, resolve, reopen or change priority)")
    note = actions.add_parser("note", help="add a public comment, or an internal work note")
    note.add_argument("number")
    note.add_argument("text")
    note.add_argument("--internal", action="store_true", help="a work note, not shown to the reporter")
    acting_options(actions.choices.values())
    return ticket
