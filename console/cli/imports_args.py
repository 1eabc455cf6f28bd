"""The ``import`` and ``export`` verbs' arguments, without the reading and writing behind them
(``console.cli.imports`` runs them)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.tickets_args import add_filters

SOURCES = ("servicenow", "servicenow-events", "servicenow-list", "jira", "console", "csv")
"""``console.imports.sources.CHOICES`` (a test holds them equal): --help loads none of the import code."""


def add_parsers(verbs: Any) -> list[argparse.ArgumentParser]:
    imports = verbs.add_parser(
        "import",
        help="bring tickets and their history in from ServiceNow, Jira Service Management or any CSV (managers)",
        description="Import tickets with their whole history from another tool's export, in one transaction: "
        "all of it, or — a bad row with --on-error stop, a dry run — nothing. Importing the same file again "
        "changes nothing; a newer export of the same tickets adds what is new. After the import, our SLA engine's "
        "outcome for each ticket is compared with the tool's own SLA flag, per priority.",
    )
    imports.add_argument("files", nargs="+", metavar="FILE", help="CSV exports (UTF-8, UTF-16 or Windows-1256)")
    imports.add_argument(
        "--from", dest="source", choices=SOURCES, help="the file's kind (default: told from its columns)"
    )
    imports.add_argument("--mapping", metavar="FILE", help="column and value maps for any CSV (JSON or TOML)")
    imports.add_argument(
        "--time-zone", metavar="ZONE", help="the zone of dates that carry none, e.g. Asia/Dubai (required then)"
    )
    imports.add_argument(
        "--unit", metavar="CODE", help="business unit of tickets whose unit is not known here (default: the first)"
    )
    imports.add_argument("--module", metavar="CODE", help="ERP module of tickets whose module is not known here")
    imports.add_argument(
        "--person", metavar="LOGIN", help="reporter of tickets whose reporter is not known here (default: you)"
    )
    imports.add_argument(
        "--create-missing",
        action="store_true",
        help="create the people (who never sign in), groups, units and modules the files name and this workspace "
        "does not know, instead of mapping them to the defaults",
    )
    imports.add_argument("--dry-run", action="store_true", help="say what would happen; write nothing")
    imports.add_argument(
        "--on-error",
        choices=("stop", "skip"),
        default="stop",
        help="a bad row: refuse the whole import (stop, the default) or leave the row out (skip)",
    )
    imports.add_argument(
        "--reconciliation", metavar="FILE.csv", help="also write the SLA reconciliation table to this CSV"
    )
    export = verbs.add_parser(
        "export",
        help="write tickets with their whole history to CSV or JSONL (import reads it back)",
        description="Write the tickets you see, with their history (status, priority, group and assignee changes, "
        "comments and work notes), as an event-log CSV or one JSON object per line. Open tickets by default; "
        "--status all for every one.",
    )
    export.add_argument("--out", required=True, metavar="FILE", help="FILE.csv or FILE.jsonl")
    add_filters(export)
    for verb in (imports, export):
        verb.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this user (demo workspaces only)")
    return [imports, export]
