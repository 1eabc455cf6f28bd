"""The ``kb`` verb's arguments, without the services behind them (``console.cli.knowledge`` runs it)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.tickets_args import acting_options
from console.cli.values import whole
from models import ArticleStatus, Audience

STATUS_CHOICES = [s.value for s in ArticleStatus] + ["all"]
AUDIENCE_CHOICES = [a.value for a in Audience]
LANGUAGE_CHOICES = ("en", "fa", "ar")  # as console.knowledge.rules.LANGUAGES
BODY_HELP = "the text, in Markdown"
BODY_FILE_HELP = "the text from a UTF-8 Markdown file ('-': standard input)"


def _body(parser: argparse.ArgumentParser, *, required: bool) -> None:
    body = parser.add_mutually_exclusive_group(required=required)
    body.add_argument("--body", metavar="TEXT", help=BODY_HELP)
    body.add_argument("--body-file", dest="body_file", metavar="FILE.md", help=BODY_FILE_HELP)


def add_parser(verbs: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    kb: argparse.ArgumentParser = verbs.add_parser(
        "kb",
        help="search, read, write, review, publish and export knowledge articles",
        description="The knowledge base: Draft, In review, Published, Retired; the same rules as the window "
        "(an article is published by its reviewer, or by a support manager who did not write it).",
    )
    kb.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this user (demo workspaces only)")
    actions = kb.add_subparsers(dest="kb_verb", metavar="ACTION", required=True, parser_class=parser_class)

    search = actions.add_parser("search", help="articles matching words (every article you read, with none)")
    search.add_argument("text", nargs="?", default="", help="words in the number, title or text")
    search.add_argument(
        "--status", action="append", choices=STATUS_CHOICES, help="a status, or 'all' (default: all but retired)"
    )
    search.add_argument("--module", action="append", default=[], metavar="CODE")
    search.add_argument("--audience", choices=AUDIENCE_CHOICES, help="internal (support) or tier0 (end users)")
    search.add_argument("--language", choices=LANGUAGE_CHOICES)
    search.add_argument("--mine", action="store_true", help="only those you wrote or review")
    search.add_argument("--limit", type=whole(1, 5000, 500), default=500, metavar="N", help="at most N (500)")
    search.add_argument("--format", choices=("table", "csv", "json"), default="table")

    show = actions.add_parser("show", help="one article: its text, status, votes, tickets, versions and history")
    show.add_argument("number", help="article number, e.g. KB-0000042")
    show.add_argument("--version", type=whole(1, None, 1), metavar="N", help="show this earlier text instead")
    show.add_argument("--format", choices=("table", "json"), default="table")

    new = actions.add_parser("new", help="write an article, as a draft (prints its number)")
    new.add_argument("--title", required=True)
    _body(new, required=True)
    new.add_argument("--module", metavar="CODE", help="the ERP module it is about")
    new.add_argument("--language", choices=LANGUAGE_CHOICES, default="en", help="its language (default en)")
    new.add_argument("--audience", choices=AUDIENCE_CHOICES, default=Audience.INTERNAL.value,
                     help="internal (support, the default) or tier0 (end users)")  # fmt: skip
    new.add_argument("--problem", metavar="NUMBER", help="the problem it is the workaround of, e.g. PRB-0000007")

    edit = actions.add_parser("edit", help="change a draft or an article in review (each saved text a version)")
    edit.add_argument("number")
    edit.add_argument("--title")
    _body(edit, required=False)
    edit.add_argument("--module", metavar="CODE", help="'' for none")
    edit.add_argument("--language", choices=LANGUAGE_CHOICES)
    edit.add_argument("--audience", choices=AUDIENCE_CHOICES)
    edit.add_argument("--problem", metavar="NUMBER", help="'' for none")
    edit.add_argument("--reviewer", metavar="LOGIN", help="who reviews it ('' for no one)")

    review = actions.add_parser("review", help="send a draft to review")
    review.add_argument("number")
    review.add_argument("--reviewer", metavar="LOGIN", help="who reviews it (someone other than its author)")
    publish = actions.add_parser("publish", help="publish an article in review (its reviewer, or a manager)")
    publish.add_argument("number")
    retire = actions.add_parser("retire", help="retire an article (a reason is required)")
    retire.add_argument("number")
    retire.add_argument("--reason", help="why (required)")
    revise = actions.add_parser("revise", help="move an article back to draft to revise it (a reason is required)")
    revise.add_argument("number")
    revise.add_argument("--reason", help="why (required)")

    rate = actions.add_parser("rate", help="say whether a published article helped (a second vote replaces it)")
    rate.add_argument("number")
    vote = rate.add_mutually_exclusive_group(required=True)
    vote.add_argument("--helpful", dest="helpful", action="store_true", default=None)
    vote.add_argument("--not-helpful", dest="helpful", action="store_false")

    export = actions.add_parser(
        "export", help="published articles as one HTML or PDF file (those named, or every one for end users)"
    )
    export.add_argument("numbers", nargs="*", metavar="NUMBER", help="the published articles to export")
    export.add_argument("--tier0", action="store_true", help="every published article for end users")
    export.add_argument("--out", required=True, metavar="FILE", help="FILE.html or FILE.pdf")

    acting_options([search, show, new, edit, review, publish, retire, revise, rate, export])
    return kb
