"""The ``connect``, ``sync`` and ``admin`` verbs' arguments, without the shared database's code behind them
(``console.cli.sync`` runs them)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.values import duration, whole
from models import Role

EVERY_SECONDS = 24 * 3600  # syncing less than daily is not "keeps syncing"; no floor: tests sync every 0.05 s
PRUNE_DAYS = 3650  # ten years: longer than any desk stays offline, and far from the dates Python can count


def add_parsers(verbs: Any, parser_class: type[argparse.ArgumentParser]) -> list[argparse.ArgumentParser]:

    connect = verbs.add_parser("connect", help="set the shared database and your login (password to the keyring)")
    connect.add_argument("--shared", required=True, metavar="URL", help="postgresql://HOST/DB or sqlite:///PATH")
    connect.add_argument("--user", required=True, metavar="LOGIN")
    sync = verbs.add_parser("sync", help="push your edits and pull everyone else's (keeps syncing without --once)")
    sync.add_argument("--once", action="store_true", help="one pass, then exit")
    sync.add_argument(
        "--every",
        type=duration("seconds", EVERY_SECONDS, "120"),
        metavar="SECONDS",
        help="the period, e.g. 120 (default: the sync_interval_seconds setting)",
    )
    admin = verbs.add_parser("admin", help="prepare the shared database; add users; set their units")
    admin.add_argument("--shared", metavar="URL", help="this database (default: the workspace's shared database)")
    actions = admin.add_subparsers(dest="admin_verb", metavar="ACTION", required=True, parser_class=parser_class)
    actions.add_parser("prepare", help="install sync's versioning (and, on PostgreSQL, row-level security)")
    add_user = actions.add_parser("add-user", help="a person, their role and units (and their database role)")
    add_user.add_argument("login")
    add_user.add_argument("--role", required=True, choices=[r.value for r in Role])
    add_user.add_argument("--unit", action="append", default=[], metavar="CODE")
    add_user.add_argument("--name", help="display name (default: the login)")
    set_units = actions.add_parser("set-units", help="the business units a person belongs to")
    set_units.add_argument("login")
    set_units.add_argument("units", nargs="+", metavar="CODE")
    prune = actions.add_parser(
        "prune", help="forget change-index entries and tombstones older than the longest offline period"
    )
    prune.add_argument(
        "--days",
        type=whole(None, None, 30),  # its range is checked by _prune, which also checks the setting's value
        metavar="N",
        help=f"keep N days, 1 to {PRUNE_DAYS:,} (default: the max_offline_days setting); run it daily",
    )
    seed = actions.add_parser(
        "seed", help="build each unit's ready-made cache, which new desks download whole; run it daily after prune"
    )
    seed.add_argument("--unit", action="append", default=[], metavar="CODE", help="only these units (default: all)")
    return [connect, sync, admin]
