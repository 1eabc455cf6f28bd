"""The ``support-console`` command: the GUI by default, and verbs for scripts and power users.

Every verb calls the same ``console`` services as the GUI. The GUI itself is loaded by
name only when asked for, so this module (and everything headless) runs without Qt.

Starting is light: the arguments of every verb are built from modules that load no database layer
(``console.cli.*_args``, the vocabularies of ``models.enums``), and a verb's module (and SQLAlchemy,
matplotlib...) is imported when that verb runs; ``--version`` and ``--help`` load none of it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

import console
from console.cli import (
    changes_args,
    imports_args,
    knowledge_args,
    problems_args,
    releases_args,
    sync_args,
    tickets_args,
)
from console.cli.values import DAY_EXAMPLE, MOST_TICKETS, TIME_HELP, day, moment, whole
from console.errors import ConsoleError
from console.store.home import HOME_ENV
from console.words import SLA_STATE_WORDS, counted
from models import Priority, SlaState

if TYPE_CHECKING:
    from pathlib import Path

    from console.store.workspace import Workspace

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 128 + getattr(signal, "SIGPIPE", 13)  # 141, as the shell reports `yes | head`


class Parser(argparse.ArgumentParser):
    """Every parser of the command, verbs and actions too: an option is typed whole, never guessed from its first
    letters (``ticket list --as LOGIN`` must not mean ``--assignee``), and a usage error says where to look."""

    def __init__(self, *args: Any, describe: Callable[[], str] | None = None, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)
        self.describe = describe  # a description read when the help is asked for (it needs more than the parser)

    def format_help(self) -> str:
        if self.describe is not None:
            self.description = self.describe()
        return super().format_help()

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nTry '{self.prog.split()[0]} --help'.\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="support-console",
        description="Support Console: the offline-first desk for ERP post-go-live support. "
        "With no verb, opens the main window.",
        epilog=f"The workspace (settings, local cache, backups) is --home, else ${HOME_ENV}, "
        "else the user data folder of this system.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {console.__version__}")
    parser.add_argument("--home", metavar="DIR", help="workspace folder (settings and local cache)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", title="verbs", parser_class=Parser)

    verbs.add_parser("gui", help="open the main window (the default)", description="Open the main window.")

    demo = verbs.add_parser(
        "demo",
        help="fill a shared database and this workspace with two years of demo ERP support",
        description="Fill a shared database with a realistic, deterministic history of ERP support "
        "(units, people, tickets, problems, changes, knowledge) and give this workspace's local cache "
        "the same data. An earlier demo is replaced; real data never is.",
    )
    demo.add_argument(
        "--tickets",
        type=whole(1, MOST_TICKETS, 20_000),
        default=20_000,
        metavar="N",
        help=f"number of tickets, 1 to {MOST_TICKETS:,} (default 20000)",
    )
    demo.add_argument(
        "--seed",
        type=whole(0, 999_999_999, 7),  # no negatives: Python's random reads -7 as 7
        default=7,
        metavar="N",
        help="random seed, 0 to 999999999: the same seed gives the same data (default 7)",
    )
    demo.add_argument(
        "--shared",
        metavar="URL",
        help="shared database, e.g. postgresql://USER@HOST/DB (default: a SQLite file in the workspace)",
    )
    demo.add_argument(
        "--until", type=day, metavar="DAY", help=f"last day of the history, e.g. {DAY_EXAMPLE} (default: today, UTC)"
    )

    info = verbs.add_parser("info", help="show where the workspace lives and what its cache holds")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")

    sla = verbs.add_parser("sla", help="SLA of a ticket (with its timeline, as evidence), or recompute all")
    sla_verbs = sla.add_subparsers(dest="sla_verb", metavar="ACTION", required=True, parser_class=Parser)
    show = sla_verbs.add_parser("show", help="a ticket's SLA clocks and timeline")
    show.add_argument("number", help="ticket number, e.g. INC-0000042")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show.add_argument(
        "--out",
        metavar="FILE",
        help="write the SLA as a picture instead, each clock a timeline with the evidence below it "
        "(for a dispute): FILE.png or FILE.pdf, times in your time zone (the time_zone setting)",
    )
    recompute = sla_verbs.add_parser("recompute", help="recompute and store every ticket's SLA from its history")
    for action in (show, recompute):
        action.add_argument(
            "--now", type=moment, metavar="TIME", help=f"evaluate as of this time (default: now); {TIME_HELP}"
        )
        action.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help="workspace folder")

    report = verbs.add_parser(
        "report",
        help="write the SLA report for managers (PDF, PNG or CSV) from the local cache",
        description="Write the SLA compliance report: a multi-page PDF (key figures, charts, compliance by "
        "priority, tier, unit, module and month, breach list), one PNG of the charts, or the tables as CSV, "
        "chosen by the file's extension. Reads only the local cache: no display, no network. "
        "Days run from midnight to midnight UTC.",
    )
    report.add_argument("--out", required=True, metavar="FILE", help="report file: .pdf, .png or .csv")
    report.add_argument(
        "--from",
        dest="start",
        type=day,
        metavar="DAY",
        help="first day, e.g. 2026-08-25 (default: 90 days before --to)",
    )
    report.add_argument(
        "--to",
        dest="end",
        type=day,
        metavar="DAY",
        help=f"last day, included, e.g. {DAY_EXAMPLE} (default: today, UTC)",
    )
    report.add_argument("--unit", action="append", default=[], metavar="CODE", help="only this business unit")
    report.add_argument("--module", action="append", default=[], metavar="CODE", help="only this ERP module")
    report.add_argument("--priority", action="append", default=[], choices=[p.value for p in Priority])
    report.add_argument(
        "--now", type=moment, metavar="TIME", help=f"backlog as of this time (default: now); {TIME_HELP}"
    )

    ticket = tickets_args.add_parser(verbs, Parser)
    change = changes_args.add_parser(verbs, Parser)
    release = releases_args.add_parser(verbs, Parser)
    problem = problems_args.add_parser(verbs, Parser)
    kb = knowledge_args.add_parser(verbs, Parser)
    connect, sync, admin = sync_args.add_parsers(verbs, Parser)
    imports, export = imports_args.add_parsers(verbs)

    repair = verbs.add_parser(
        "repair",
        help="set a damaged local cache aside and download it again, keeping the edits not yet synced",
        description="Move the local cache, as it is, into backups/; keep every edit not yet synced that it still "
        "holds; download your data again from the shared database.",
    )
    settings = verbs.add_parser("settings", help="list, show or change settings")
    settings.add_argument("key", nargs="?", help="setting to show or change")
    settings.add_argument("value", nargs="?", help="new value")
    # --home is accepted after the verb too (`support-console demo --home DIR`); SUPPRESS keeps one given before it.
    for verb in (demo, info, report, repair, settings, ticket, change, release, problem, kb, connect, sync, admin,
                 imports, export, verbs.choices["gui"]):  # fmt: skip
        verb.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help="workspace folder")
    return parser


NOT_UTF8 = re.compile("[\ud800-\udfff]")  # lone surrogates: bytes that were not UTF-8 (surrogateescape)


def main(argv: Sequence[str] | None = None) -> int:
    cache: Path | None = None  # once the workspace is open: a damage found by a query is said as the cache's
    try:
        given = sys.argv[1:] if argv is None else list(argv)
        if any(NOT_UTF8.search(a) for a in given):  # bytes a terminal in another encoding handed over
            raise ConsoleError(
                "An argument holds bytes that are not UTF-8 text (a terminal or file in another encoding?); "
                "nothing was changed."
            )
        args = build_parser().parse_args(given)
        verb = args.verb or "gui"
        from console.store.workspace import Workspace  # after the arguments: --help and a typo never load it

        workspace = Workspace.open(args.home)
        cache = workspace.cache_path
        code = int(VERBS[verb](workspace, args))
        sys.stdout.flush()  # here, not at exit: a reader gone (`| head`) is noticed while it can be handled
        if argv is None:  # the command itself, about to exit (a caller that passes arguments carries on)
            gc.freeze()  # exiting, the interpreter's last collection skips all that was loaded: up to a quarter second
        return code
    except ConsoleError as error:
        print(f"support-console: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("support-console: interrupted; nothing half-written was kept.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _reader_gone()
    except Exception as error:  # the local cache found damaged, or its disk full, after it opened
        from console.store import damage

        if cache is None:
            raise
        said = damage.disk_problem(error, cache)
        if said is None and damage.is_damage(error):
            said = str(damage.DamagedCache(cache, str(error).splitlines()[0]))
        if said is None:
            raise
        print(f"support-console: {said}", file=sys.stderr)
        return EXIT_ERROR


def _reader_gone() -> int:
    """The reader of our output stopped reading (``| head``): stop quietly, as ``yes | head`` does. Whatever
    is still buffered goes nowhere, so the interpreter's last flush at exit has nothing to complain of."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file under stdout (a test's capture): nothing to flush at exit
        pass
    return EXIT_BROKEN_PIPE


def run_gui(workspace: Workspace, _args: argparse.Namespace) -> int:
    try:
        gui = importlib.import_module("views.app")
    except ImportError as exc:
        raise ConsoleError(f"The window cannot open: {exc}. Reinstall the app (PySide6 is missing).") from exc
    return int(gui.run(workspace))


def run_demo(workspace: Workspace, args: argparse.Namespace) -> int:
    from console.demo import DemoSpec, create_demo

    spec = DemoSpec(tickets=args.tickets, seed=args.seed, **({"until": args.until} if args.until else {}))
    print(
        f"Creating a demo of {counted(spec.tickets, 'ticket')} ({spec.first_day} to {spec.until}) in {workspace.home}",
        file=sys.stderr,
    )
    result = create_demo(workspace, spec, shared_url=args.shared, progress=ProgressLine(sys.stderr))
    rows = sum(result.rows.values())
    print(f"Shared database: {result.shared}" + (f" ({_size(result.shared_bytes)})" if result.shared_bytes else ""))
    print(f"Local cache:     {result.cache} ({_size(result.cache_bytes)})")
    tickets, events = result.rows.get("tickets", 0), result.rows.get("audit_events", 0)
    print(f"Rows written:    {rows:,} ({counted(tickets, 'ticket')}, {counted(events, 'audit event')})")
    print(f"Signed in as:    {result.user}")
    print(f"Took {result.seconds:.1f} s. Open it with: support-console --home {workspace.home}")
    return EXIT_OK


def run_info(workspace: Workspace, args: argparse.Namespace) -> int:
    from console.store.database import connect, current_revision, describe
    from console.store.summary import summarize
    from models.migrations import HEAD  # the scripts' head, as a test checks: no Alembic to start

    facts: dict[str, Any] = {
        "version": console.__version__,
        "home": str(workspace.home),
        "cache": str(workspace.cache_path),
        "shared": describe(workspace.shared_url()),
        "user": workspace.settings.get("user") or None,
        "schema": {"app": HEAD},
    }
    if workspace.has_cache:
        engine, _ = workspace.open_cache()
        try:
            with connect(engine) as conn:
                facts["schema"]["cache"] = current_revision(conn)
                summary = summarize(conn)
        finally:
            engine.dispose()
        facts["cache_bytes"] = workspace.cache_path.stat().st_size
        facts["summary"] = {
            "tickets": summary.tickets,
            "open_tickets": summary.open_tickets,
            "unassigned_open": summary.unassigned_open,
            "tickets_by_status": summary.tickets_by_status,
            "changes": summary.changes,
            "changes_awaiting_approval": summary.changes_awaiting_approval,
            "problems": summary.problems,
            "articles": summary.articles,
            "users": summary.users,
            "units": summary.units,
            "first_ticket_at": summary.first_ticket_at.isoformat() if summary.first_ticket_at else None,
            "last_ticket_at": summary.last_ticket_at.isoformat() if summary.last_ticket_at else None,
            "deployment": summary.deployment,
        }
    if args.json:
        print(json.dumps(facts, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Support Console {facts['version']}")
    print(f"Workspace:  {facts['home']}")
    print(f"Cache:      {facts['cache']}" + ("" if workspace.has_cache else " (none yet: run 'support-console demo')"))
    print(f"Shared:     {facts['shared']}")
    print(f"User:       {facts['user'] or '(not set)'}")
    if "summary" in facts:
        s = facts["summary"]
        print(f"Tickets:    {s['tickets']:,} ({s['open_tickets']:,} open, {s['unassigned_open']:,} unassigned)")
        print(f"Changes:    {s['changes']:,} ({s['changes_awaiting_approval']:,} awaiting approval)")
        print(f"Problems:   {s['problems']:,}   Knowledge articles: {s['articles']:,}   Users: {s['users']:,}")
        print(f"Units:      {', '.join(s['units'])}")
    return EXIT_OK


def _known_user(workspace: Workspace, login: str) -> None:
    """The user a workspace acts as is one its cache knows (an empty cache, before a first sync, knows no one)."""
    from sqlalchemy import func, select

    from models import User

    with workspace.cache().connect() as conn:
        if conn.execute(select(func.count()).select_from(User)).scalar_one() == 0:
            return
        if conn.execute(select(User.id).where(User.login == login)).first() is None:
            raise ConsoleError(f"No user {login!r} in this workspace; `support-console settings user` is unchanged.")


def run_settings(workspace: Workspace, args: argparse.Namespace) -> int:
    from console.store.settings import BY_KEY, SETTINGS

    settings = workspace.settings
    if args.key is None:
        for setting in SETTINGS:
            print(f"{setting.key} = {settings.get(setting.key)!r}    # {setting.label}: {setting.help}")
        return EXIT_OK
    if args.key not in BY_KEY:
        raise ConsoleError(f"Unknown setting {args.key!r}; known: {', '.join(BY_KEY)}.")
    if args.value is None:
        print(settings.get(args.key))
        return EXIT_OK
    if args.key == "shared_url":  # as `connect` does: refused with edits not yet synced, the cache set aside
        aside = workspace.use_shared_database(args.value)
        if aside is not None:
            print(f"The cache of the previous shared database is kept as {aside}.")
    else:
        settings.set(args.key, args.value)
        if args.key == "user":
            _known_user(workspace, settings.get("user"))
    settings.save()
    print(f"{args.key} = {settings.get(args.key)!r}")
    return EXIT_OK


def run_sla(workspace: Workspace, args: argparse.Namespace) -> int:
    from console.rows import write_sections
    from console.sla.evidence import timeline_rows
    from console.sla.recompute import recompute
    from console.sla.store import ticket_id_by_number, ticket_sla
    from console.zone import moment_text

    now = args.now or datetime.now(UTC)
    engine = workspace.cache()
    if args.sla_verb == "recompute":
        summary = recompute(engine, now, ProgressLine(sys.stderr))
        print(f"Recomputed {counted(summary.tickets, 'ticket')} as of {moment_text(now, named=True)}")
        for clock, counts in (("response", summary.response), ("resolution", summary.resolution)):
            print(f"  {clock:<10} " + " · ".join(f"{word} {n:,}" for word, n in _by_word(counts).items()))
        for why in summary.unjudged[:20]:
            print(why, file=sys.stderr)
        if summary.unjudged:
            left = len(summary.unjudged)
            listed = f" ({left - 20:,} not listed)" if left > 20 else ""
            print(
                f"{left:,} {'ticket was' if left == 1 else 'tickets were'} left as it was stored.{listed}",
                file=sys.stderr,
            )
            return EXIT_ERROR
        return EXIT_OK
    number = args.number.strip().upper()
    with engine.connect() as conn:
        result = ticket_sla(conn, ticket_id_by_number(conn, number), now)
    if args.out:
        from pathlib import Path

        from console.sla.picture import write_picture  # matplotlib: loaded only for a picture

        path = write_picture(result, number, Path(args.out).expanduser())
        print(f"Wrote {path} ({path.stat().st_size / 1024:,.0f} KB): the SLA of {number}")
        return EXIT_OK
    write_sections(sys.stdout, args.format, timeline_rows(number, result))
    return EXIT_OK


def _by_word(counts: Mapping[str, int]) -> dict[str, int]:
    """Clocks by state in words (met, breached, running, due soon, paused, next release): the two states of a
    clock past its due time, running or stopped, are one word, breached."""
    by_word = dict.fromkeys(SLA_STATE_WORDS.values(), 0)
    for state, n in counts.items():
        by_word[SLA_STATE_WORDS[SlaState(state)]] += n
    return {word: n for word, n in by_word.items() if n}


def run_report(workspace: Workspace, args: argparse.Namespace) -> int:
    from pathlib import Path

    from console.metrics.contents import clocks_text
    from console.metrics.queries import Filter
    from console.metrics.report import PdfHelper, check_target, default_period, gather, prepare_drawing, write_report

    now = args.now or datetime.now(UTC)
    start, end = default_period(now.date())
    last = args.end or end
    first = args.start or last - (end - start)
    if first > last:  # refused before the cache is opened
        to = f"--to {last}" if args.end else f"the day of --now ({last})" if args.now else f"today ({last})"
        raise ConsoleError(
            f"The period is empty: --from {first} is after {to}; give the first day, then the last, "
            f"e.g. --from {last - (end - start)} --to {last}."
        )
    flt = Filter(
        first,
        last + timedelta(days=1),
        tuple(code.upper() for code in args.unit),
        tuple(code.upper() for code in args.module),
        tuple(args.priority),
    )
    path = Path(args.out).expanduser()
    drawn = check_target(path) != ".csv"
    target = float(workspace.settings.get("compliance_target_percent"))
    # A PDF's pages are drawn by two processes when there are two cores; the helper and matplotlib start loading
    # now, while the report is read from the cache.
    helper = PdfHelper() if path.suffix.lower() == ".pdf" and PdfHelper.possible() else None
    with helper or contextlib.nullcontext():
        if drawn:
            prepare_drawing()
        with workspace.cache().connect() as conn:
            report = gather(conn, flt, now, target)
        write_report(report, path, helper)
    print(
        f"Wrote {path} ({path.stat().st_size / 1024:,.0f} KB): {flt.start} to {flt.end - timedelta(days=1)}, "
        + clocks_text(report)
    )
    return EXIT_OK


VERBS: dict[str, Callable[[Workspace, argparse.Namespace], int]] = {
    "report": run_report,
    "ticket": lambda workspace, args: importlib.import_module("console.cli.tickets").run(workspace, args),
    "change": lambda workspace, args: importlib.import_module("console.cli.changes").run(workspace, args),
    "release": lambda workspace, args: importlib.import_module("console.cli.releases").run(workspace, args),
    "problem": lambda workspace, args: importlib.import_module("console.cli.problems").run(workspace, args),
    "kb": lambda workspace, args: importlib.import_module("console.cli.knowledge").run(workspace, args),
    "connect": lambda workspace, args: importlib.import_module("console.cli.sync").run_connect(workspace, args),
    "sync": lambda workspace, args: importlib.import_module("console.cli.sync").run_sync(workspace, args),
    "admin": lambda workspace, args: importlib.import_module("console.cli.sync").run_admin(workspace, args),
    "sla": run_sla,
    "gui": run_gui,
    "demo": run_demo,
    "info": run_info,
    "settings": run_settings,
    "repair": lambda workspace, _args: _repair(workspace),
    "import": lambda workspace, args: importlib.import_module("console.cli.imports").run_import(workspace, args),
    "export": lambda workspace, args: importlib.import_module("console.cli.imports").run_export(workspace, args),
}


def _repair(workspace: Workspace) -> int:
    from console.sync.repair import repair

    print(repair(workspace, lambda step: print(step, file=sys.stderr)).summary())
    return EXIT_OK


class ProgressLine:
    """Progress of long work on stderr: one line rewritten on a terminal, a line per 10 % otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last: tuple[str, int] = ("", -1)

    def __call__(self, stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        step = percent if self.tty else percent // 10 * 10
        if (stage, step) == self.last:
            return
        self.last = (stage, step)
        if self.tty:
            self.stream.write(f"\r{stage}: {percent:3d}% ({done:,}/{total:,})\x1b[K")
            if done >= total:
                self.stream.write("\n")
        else:
            self.stream.write(f"{stage}: {percent}% ({done:,}/{total:,})\n")
        self.stream.flush()


def _size(n: int | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} GB"
