"""``support-console kb``: the knowledge base searched, one article read, written, edited, reviewed, published,
retired, revised, rated and exported, with the window's rules (``console.knowledge``, through ``console.desk``).

What a person reads is in words: statuses and audiences as ``console.words`` says them, languages by their names,
moments in the person's zone (``console.rows``); JSON carries the same words as the table, its moments in ISO 8601,
as ``problem`` does. An article's text is printed as it is written, in Markdown.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from console.access import Actor
from console.cli.tickets import acting
from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import NAMES, _, n_
from console.journal.audit import CONFLICT_RESOLVED
from console.journal.intents import ArticleIntent, EditArticle, MoveArticle, RateArticle
from console.knowledge.lists import ArticleFilter, find_article, list_articles, published_docs
from console.knowledge.rules import BODY_MAX
from console.knowledge.service import ArticleApplied, article_field, submit_article
from console.rows import Cell, Record, Rows, Section, write_sections
from console.store.codes import check_codes, code_id, number_id, user_id
from console.store.workspace import Workspace
from console.words import article_word, audience_word, word
from models import ArticleStatus, Audience, ErpModule, Problem, TicketStatus

DEFAULT_STATUSES = (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED)
MOVES = {
    "review": ArticleStatus.IN_REVIEW,
    "publish": ArticleStatus.PUBLISHED,
    "retire": ArticleStatus.RETIRED,
    "revise": ArticleStatus.DRAFT,
}
EDITS = (  # option, column: in the order they are applied
    ("title", "title"), ("body", "body"), ("module", "module_id"), ("language", "language"),
    ("audience", "audience"), ("problem", "problem_id"), ("reviewer", "reviewer_id"),
)  # fmt: skip
BODY_FILE_MOST = 4 * BODY_MAX + 4  # bytes: the longest text allowed, every character four bytes of UTF-8 (and a BOM)


def run(workspace: Workspace, args: argparse.Namespace) -> int:
    verb = args.kb_verb
    body = _body(args) if verb in ("new", "edit") else None  # a file that cannot be read: refused before anything
    with workspace.cache().connect() as conn:
        actor = acting(workspace, conn, args.as_login)
    desk = Desk(workspace, actor)
    if verb == "search":
        return _search(workspace, desk, args)
    if verb == "show":
        return _show(workspace, desk, args)
    if verb == "export":
        return _export(workspace, desk, args)
    if verb == "new":
        assert body is not None
        problem = args.problem.strip() if args.problem else None
        applied = desk.write_article(args.title, body, args.module or None, args.language, Audience(args.audience),
                                     problem).value  # fmt: skip
        _said(applied, actor)
        return 0
    if verb == "edit":
        return _edit(workspace, actor, args, body)
    if verb == "rate":
        number, _applied, _events = _apply(
            workspace, actor, args.number, lambda _conn, a: [RateArticle(a["id"], args.helpful)]
        )
        said = _("{number} rated helpful, as {login}") if args.helpful else _("{number} rated not helpful, as {login}")
        print(said.format(number=number, login=actor.login))
        return 0
    return _move(workspace, actor, args)


# ---- reading ---------------------------------------------------------------------------------------------------


def _list_columns() -> dict[str, str]:
    return {
        "number": _("Number"), "status": _("Status"), "audience": _("Audience"), "language": _("Language"),
        "module": _("Module"), "author": _("Author"), "helpful": _("Helpful"), "not_helpful": _("Not helpful"),
        "tickets": _("Tickets"), "updated_at": _("Changed"), "title": _("Title"),
    }  # fmt: skip


LIST_MACHINE = ("number", "status", "audience", "language", "module", "author", "reviewer", "version", "helpful",
                "not_helpful", "tickets", "updated_at", "title")  # fmt: skip


def _statuses(chosen: list[str] | None) -> tuple[ArticleStatus, ...]:
    if not chosen:
        return DEFAULT_STATUSES
    if "all" in chosen:
        return tuple(ArticleStatus)
    picked = {ArticleStatus(s) for s in chosen}
    return tuple(s for s in ArticleStatus if s in picked)


def _search(workspace: Workspace, desk: Desk, args: argparse.Namespace) -> int:
    modules = tuple(m.strip().upper() for m in args.module)
    flt = ArticleFilter(
        statuses=_statuses(args.status), modules=modules, audience=Audience(args.audience) if args.audience else None,
        language=args.language, search=args.text or "", mine=args.mine,
    )  # fmt: skip
    with workspace.reading() as conn:
        check_codes(conn, modules=modules)
        found = list_articles(conn, desk.actor, flt, limit=args.limit)
    rows: list[dict[str, Cell]] = [
        {"number": r.number, "status": article_word(r.status), "audience": audience_word(r.audience),
         "language": _language(r.language), "module": r.module or None, "author": r.author,
         "reviewer": r.reviewer or None, "version": r.version, "helpful": r.helpful, "not_helpful": r.not_helpful,
         "tickets": r.used, "updated_at": r.updated_at, "title": r.title}
        for r in found
    ]  # fmt: skip
    if not rows and args.format == "table":
        print(_("No articles match."))
        return 0
    write_sections(sys.stdout, args.format, {"articles": Rows(_("Knowledge articles"), _list_columns(), rows,
                                                              LIST_MACHINE)})  # fmt: skip
    if args.format == "table":
        print(n_("{n} article", "{n} articles", len(rows)).format(n=f"{len(rows):,}"), file=sys.stderr)
    return 0


def _show_fields() -> dict[str, str]:
    return {
        "number": _("Number"), "title": _("Title"), "status": _("Status"), "audience": _("Audience"),
        "language": _("Language"), "module": _("Module"), "author": _("Author"), "reviewer": _("Reviewer"),
        "version": _("Version"), "helpful": _("Helpful"), "not_helpful": _("Not helpful"), "my_vote": _("Your vote"),
        "problem": _("Problem"), "created_at": _("Written"), "updated_at": _("Changed"),
        "published_at": _("Published"), "retired_at": _("Retired"),
    }  # fmt: skip


def _show(workspace: Workspace, desk: Desk, args: argparse.Namespace) -> int:
    if args.version is not None:
        return _show_version(desk, args)
    detail = desk.article(args.number)
    row, names = detail.row, detail.names
    vote = None if detail.my_vote is None else _("helpful") if detail.my_vote else _("not helpful")
    values: dict[str, Cell] = {
        "number": detail.number, "title": row["title"], "status": article_word(detail.status),
        "audience": audience_word(Audience(row["audience"])), "language": _language(row["language"]),
        "module": names["module"] or None, "author": names["author"], "reviewer": names["reviewer"] or None,
        "version": row["version"], "helpful": detail.helpful, "not_helpful": detail.not_helpful, "my_vote": vote,
        "problem": names["problem"] or None, "created_at": row["created_at"], "updated_at": row["updated_at"],
        "published_at": row["published_at"], "retired_at": row["retired_at"], "body": row["body"],
    }  # fmt: skip
    with workspace.cache().connect() as conn:
        said = _history_words(conn, detail.history)
    sections: dict[str, Section] = {
        "tickets": Rows(_("Tickets it answered"), {"number": _("Number"), "status": _("Status"), "title": _("Title")},
                        [{"number": t.number, "status": word(TicketStatus(t.status)), "title": t.title}
                         for t in detail.tickets]),
        "versions": Rows(_("Versions"), {"version": _("Version"), "title": _("Title"), "by": _("By"), "at": _("At")},
                         [{"version": v.version, "title": v.title, "by": v.by, "at": v.at} for v in detail.versions]),
        "history": Rows(_("History"), {"at": _("At"), "by": _("By"), "field": _("Field"), "from": _("From"),
                                       "to": _("To"), "reason": _("Reason")}, said),
    }  # fmt: skip
    fields = _show_fields()
    article = Record(_("Article"), fields, values, [*fields, "body"])
    if args.format == "json":
        write_sections(sys.stdout, "json", {"article": article, **sections})
        return 0
    write_sections(sys.stdout, "table", {"article": article})
    _print_text(str(row["body"]))
    rest = {k: s for k, s in sections.items() if isinstance(s, Rows) and s.rows}
    if rest:
        print()
        write_sections(sys.stdout, "table", rest)
    return 0


def _show_version(desk: Desk, args: argparse.Namespace) -> int:
    number = _number(args.number)
    version = desk.article_version(number, args.version)
    fields = {"number": _("Number"), "version": _("Version"), "title": _("Title"), "by": _("By"), "at": _("At")}
    values: dict[str, Cell] = {"number": number, "version": version.version, "title": version.title,
                               "by": version.by, "at": version.at, "body": version.body}  # fmt: skip
    record = Record(_("Version"), fields, values, [*fields, "body"])
    if args.format == "json":
        write_sections(sys.stdout, "json", {"version": record})
        return 0
    write_sections(sys.stdout, "table", {"version": record})
    _print_text(version.body)
    return 0


def _print_text(body: str) -> None:
    """The article's Markdown as it is written, under its heading; a control character a terminal would obey
    (an escape sequence in a text that came from elsewhere) is shown as �, never sent to it."""
    shown = "".join(ch if ch in "\t\n" or unicodedata.category(ch) != "Cc" else "\ufffd" for ch in body)
    print()
    print(_("Text"))
    print(shown.rstrip("\n"))


def _language(code: str) -> str:
    return NAMES.get(code, code)


def _history_words(conn: Connection, history: Sequence[Any]) -> list[dict[str, Cell]]:
    """An article's history in words: fields as a person calls them, statuses and audiences as words, a module by
    its code, a problem by its number, a text by its version."""
    ids = {
        uuid.UUID(v) for s in history if s.field in ("module_id", "problem_id") for v in (s.old, s.new) if v
    }  # fmt: skip
    codes = dict(conn.execute(select(ErpModule.id, ErpModule.code).where(ErpModule.id.in_(ids))).all()) if ids else {}
    numbers = dict(conn.execute(select(Problem.id, Problem.number).where(Problem.id.in_(ids))).all()) if ids else {}
    named = {**codes, **numbers}

    def said(field: str, value: str | None) -> Cell:
        if value is None or value == "":
            return None
        if field == "status":
            return article_word(ArticleStatus(value))
        if field == "audience":
            return audience_word(Audience(value))
        if field == "language":
            return _language(value)
        if field == "body":
            return _("version {version}").format(version=value)
        if field in ("module_id", "problem_id"):
            return named.get(uuid.UUID(value), value)
        return value

    def field_said(field: str) -> str:
        if field == "logged":
            return _("written")
        if field == CONFLICT_RESOLVED:
            return _("sync conflict settled")
        return article_field(field)

    return [
        {"at": s.at, "by": s.by, "field": field_said(s.field),
         "from": None if s.field == CONFLICT_RESOLVED else said(s.field, s.old),
         "to": s.new if s.field == CONFLICT_RESOLVED else said(s.field, s.new), "reason": s.reason}
        for s in history
    ]  # fmt: skip


# ---- writing ---------------------------------------------------------------------------------------------------


def _number(typed: str) -> str:
    return typed.strip().upper()


def _body(args: argparse.Namespace) -> str | None:
    """The text given with --body, or read from --body-file (UTF-8; '-': standard input), or None."""
    if args.body is not None:
        return str(args.body)
    if args.body_file is None:
        return None
    name = str(args.body_file)
    try:
        if name == "-":
            data = sys.stdin.buffer.read(BODY_FILE_MOST + 1)
        else:
            path = Path(name).expanduser()
            with path.open("rb") as file:
                data = file.read(BODY_FILE_MOST + 1)
    except OSError as exc:
        raise ConsoleError(_("Cannot read {file}: {reason}; nothing was changed.").format(
            file=name, reason=exc.strerror or exc)) from None  # fmt: skip
    if len(data) > BODY_FILE_MOST:
        raise ConsoleError(_("{file} is too long for an article (at most {limit:,} characters); nothing was "
                             "changed.").format(file=name, limit=BODY_MAX))  # fmt: skip
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConsoleError(_("{file} is not UTF-8 text (saved in another encoding?); save it as UTF-8. Nothing was "
                             "changed.").format(file=name)) from None  # fmt: skip


def _value(conn: Connection, column: str, typed: str) -> Any:
    """A field's value as typed: a code, number or login looked up ('' for none), an audience as its value."""
    if column in ("module_id", "problem_id", "reviewer_id"):
        if not typed.strip():
            return None
        lookup: Callable[[Connection, str], uuid.UUID] = {
            "module_id": lambda conn, code: code_id(conn, ErpModule, code, "ERP module"),
            "problem_id": lambda conn, number: number_id(conn, Problem, number),
            "reviewer_id": lambda conn, login: user_id(conn, login.strip()),
        }[column]
        return lookup(conn, typed)
    if column == "audience":
        return Audience(typed)
    return typed


Make = Callable[[Connection, Mapping[str, Any]], list[ArticleIntent]]


def _apply(workspace: Workspace, actor: Actor, number: str, make: Make) -> tuple[str, ArticleApplied | None, int]:
    """The article read and the intents made from what it holds now (their bases), applied in one transaction:
    all of them, or — one refused — none. Its number, the last intent applied (None: none made), the audit events
    written."""
    now = datetime.now(UTC)
    events = 0
    applied: ArticleApplied | None = None
    with workspace.cache().begin() as conn:
        article = find_article(conn, actor, number)
        for intent in make(conn, article):
            applied = submit_article(conn, actor, intent, now)
            events += applied.events
    return str(article["number"]), applied, events


def _edit(workspace: Workspace, actor: Actor, args: argparse.Namespace, body: str | None) -> int:
    typed = {option: (body if option == "body" else getattr(args, option)) for option, _column in EDITS}
    given = [(column, str(value)) for option, column in EDITS if (value := typed[option]) is not None]
    if not given:
        raise ConsoleError(_("Nothing to change: give --title, --body, --body-file, --module, --language, "
                             "--audience, --problem or --reviewer."))  # fmt: skip

    def make(conn: Connection, article: Mapping[str, Any]) -> list[ArticleIntent]:
        return [EditArticle(article["id"], column, _value(conn, column, value), article[column])
                for column, value in given]  # fmt: skip

    number, applied, events = _apply(workspace, actor, args.number, make)
    if applied is None or not events:
        print(_("{number} is unchanged: it says that already.").format(number=number))
        return 0
    print(_("{number} saved: {fields} (version {version}) as {login}").format(
        number=number, fields=", ".join(article_field(column) for column, _typed in given),
        version=applied.version, login=actor.login))  # fmt: skip
    return 0


def _move(workspace: Workspace, actor: Actor, args: argparse.Namespace) -> int:
    to = MOVES[args.kb_verb]
    reviewer = getattr(args, "reviewer", None)

    def make(conn: Connection, article: Mapping[str, Any]) -> list[ArticleIntent]:
        current = ArticleStatus(article["status"])
        intents: list[ArticleIntent] = []
        if reviewer is not None:
            value = _value(conn, "reviewer_id", reviewer)
            intents.append(EditArticle(article["id"], "reviewer_id", value, article["reviewer_id"]))
        if to is ArticleStatus.IN_REVIEW and current is not to and reviewer is None and article["reviewer_id"] is None:
            raise ConsoleError(_("Name a reviewer for {number} first: kb review {number} --reviewer LOGIN.").format(
                number=article["number"]))  # fmt: skip
        if current is not to:
            intents.append(MoveArticle(article["id"], to, current, getattr(args, "reason", None)))
        return intents

    number, applied, _events = _apply(workspace, actor, args.number, make)
    if applied is None or applied.status is not to:  # it was there already
        print(_("{number} is {status} already.").format(number=number, status=article_word(to).lower()))
        return 0
    _said(applied, actor)
    return 0


def _said(applied: ArticleApplied, actor: Actor) -> None:
    print(_("{number} is {status} (version {version}) as {login}").format(
        number=applied.number, status=article_word(applied.status).lower(), version=applied.version,
        login=actor.login))  # fmt: skip


def _export(workspace: Workspace, desk: Desk, args: argparse.Namespace) -> int:
    numbers = [_number(n) for n in args.numbers]
    if bool(numbers) == bool(args.tier0):
        raise ConsoleError(_("Name the published articles to export, or give --tier0 for every one for end users "
                             "(not both)."))  # fmt: skip
    with workspace.reading() as conn:
        count = len(published_docs(conn, desk.actor, numbers, tier0=args.tier0))
    path = Path(desk.export_articles(str(Path(args.out).expanduser()), numbers, tier0=args.tier0))
    print(n_("Wrote {path} ({size} KB): {n} article", "Wrote {path} ({size} KB): {n} articles", count).format(
        path=path, size=f"{path.stat().st_size / 1024:,.0f}", n=f"{count:,}"))  # fmt: skip
    return 0
