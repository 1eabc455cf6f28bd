"""The ``change`` verb's arguments, without the services behind them (``console.cli.changes`` runs it)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.tickets_args import FORMATS, acting_options
from console.cli.values import TIME_HELP, duration, moment, whole
from models import ChangeStage, ChangeType

STAGES = {s.value: s for s in ChangeStage}
FIELDS = ("title", "description", "reason", "implementation_plan", "test_plan", "test_evidence", "backout_plan",
          "review_notes")  # fmt: skip
WINDOW_HOURS = 14 * 24  # console.changes.service refuses a planned window longer than 14 days
AGENDA_DAYS = 366  # console.changes.lists.cab_agenda covers 1 to 366 days


def _questionnaire() -> str:
    from console.changes.rules import DEFAULT_RULES  # the rules bring the database layer: only for this help

    return "Questions and answers: " + "; ".join(f"{q.key}={'|'.join(q.options)}" for q in DEFAULT_RULES.questions)


def add_parser(verbs: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:

    hours = duration("hours", WINDOW_HOURS, "3")
    change: argparse.ArgumentParser = verbs.add_parser(
        "change",
        help="request, assess, move and decide change requests; the CAB agenda",
        description="Change approval: the same gates, approval rules and conflicts as the window.",
    )
    change.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this user (demo workspaces only)")
    actions = change.add_subparsers(dest="change_verb", metavar="ACTION", required=True, parser_class=parser_class)
    listing = actions.add_parser("list", help="changes awaiting my decision, open ones, or all")
    listing.add_argument("--awaiting", action="store_const", const="awaiting", dest="which", default="open")
    listing.add_argument("--all", action="store_const", const="all", dest="which")
    listing.add_argument("--search", default="", metavar="TEXT")
    listing.add_argument("--format", choices=FORMATS, default="table")
    show = actions.add_parser("show", help="one change: fields, risk, conflicts, approvals, history")
    show.add_argument("number")
    show.add_argument("--format", choices=FORMATS, default="table")
    new = actions.add_parser("new", help="request a change (a draft)")
    new.add_argument("--title", required=True)
    new.add_argument("--type", dest="change_type", choices=[t.value for t in ChangeType], default="normal")
    new.add_argument("--module", action="append", required=True, metavar="CODE")
    new.add_argument("--unit", action="append", required=True, metavar="CODE")
    new.add_argument("--template", metavar="NAME", help="a standard change's template (see `change templates`)")
    new.add_argument("--start", type=moment, metavar="TIME", help=f"planned window start; {TIME_HELP}")
    new.add_argument("--hours", type=hours, default=3, help="planned window length in hours, e.g. 3 or 1.5 (default 3)")
    for name in ("description", "reason", "implementation_plan", "test_plan", "backout_plan"):
        new.add_argument(f"--{name.replace('_', '-')}", dest=name, default="")
    edit = actions.add_parser("set", help="edit a text field or re-plan the window")
    edit.add_argument("number")
    edit.add_argument("--field", choices=FIELDS)
    edit.add_argument("--text")
    edit.add_argument("--start", type=moment, metavar="TIME", help=f"new window start; {TIME_HELP}")
    edit.add_argument("--hours", type=hours, default=3, help="new window length in hours (default 3)")
    assess = actions.add_parser(
        "assess",
        help="answer the risk questionnaire",
        describe=_questionnaire,  # read from the rules when the help is asked for (command.Parser)
    )
    assess.add_argument("number")
    assess.add_argument("answers", nargs="+", metavar="QUESTION=ANSWER")
    move = actions.add_parser("move", help="move to a stage (its gate must be met)")
    move.add_argument("number")
    move.add_argument("stage", choices=list(STAGES))
    move.add_argument("--note", help="why (required to cancel or to fail)")
    for verb, decision in (("approve", "approved"), ("reject", "rejected")):
        decide = actions.add_parser(verb, help=f"{verb} as an approver (or their delegate), with a comment")
        decide.add_argument("number")
        decide.add_argument("--comment", required=True)
        decide.set_defaults(decision=decision)
    agenda = actions.add_parser("agenda", help="the CAB agenda: changes awaiting the board in the next N days")
    agenda.add_argument(
        "--days",
        type=whole(1, AGENDA_DAYS, 14),
        default=14,
        metavar="N",
        help=f"the next N days, 1 to {AGENDA_DAYS} (default 14)",
    )
    agenda.add_argument("--out", metavar="FILE", help="write it as .pdf or .csv (else print it)")
    actions.add_parser("templates", help="the templates of pre-approved standard changes")
    away = actions.add_parser("away", help="while you are away, a delegate decides your approvals")
    away.add_argument("--to", required=True, metavar="LOGIN", help="who decides in your name")
    away.add_argument(
        "--until", required=True, type=moment, metavar="TIME", help=f"back at; {TIME_HELP}; a day alone is its midnight"
    )
    away.add_argument(
        "--from", dest="since", type=moment, metavar="TIME", help="away from (default: now), written as --until"
    )
    actions.add_parser("back", help="end your delegation now")
    freezes = actions.add_parser("freezes", help="show or set the period-end freeze lengths")
    freezes.add_argument("--set", dest="policy", metavar="'month=3,2 quarter=5,3 year=7,5'")
    acting_options(actions.choices.values())
    return change
