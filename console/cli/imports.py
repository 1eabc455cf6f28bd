"""``support-console import`` and ``export``: the import's write path and the export, for the command line.

The same services as the window's File → Import… (``console.desk.Desk.import_files``): one transaction, the
report in words, the reconciliation table after it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from console.cli.tickets import acting, filter_of
from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import _
from console.imports.export import export
from console.imports.reconcile import Reconciliation, reconciliation_csv
from console.imports.stored import stored_tickets
from console.imports.write import ImportOptions, OnError, RefusedRows
from console.rows import Rows, write_sections
from console.store.codes import check_codes
from console.store.workspace import Workspace
from console.tickets import queue

EXIT_OK, EXIT_REFUSED = 0, 1


def run_import(workspace: Workspace, args: argparse.Namespace) -> int:
    with workspace.cache().connect() as conn:
        actor = acting(workspace, conn, args.as_login)
    options = ImportOptions(
        source=args.source, mapping=Path(args.mapping) if args.mapping else None, time_zone=args.time_zone,
        unit=args.unit, module=args.module, person=args.person, create_missing=args.create_missing,
        dry_run=args.dry_run, on_error=OnError(args.on_error),
    )  # fmt: skip
    progress = _progress() if sys.stderr.isatty() else None
    try:
        report = Desk(workspace, actor).import_files(args.files, options, progress).value
    except RefusedRows as refused:
        _end_progress(progress)
        print(str(refused), file=sys.stderr)
        for problem in refused.problems.problems[:50]:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_REFUSED
    _end_progress(progress)
    print("\n".join(report.lines()))
    if report.tickets:
        _table(report.reconciliation)
    if args.reconciliation:
        with Path(args.reconciliation).open("w", encoding="utf-8-sig", newline="") as out:
            reconciliation_csv(report.reconciliation, out)
        print(_("Wrote the reconciliation to {path}.").format(path=args.reconciliation))
    return EXIT_OK


def _table(found: Reconciliation) -> None:
    headings, rows = found.table()
    keys = [f"c{i}" for i in range(len(headings))]
    out = [dict(zip(keys, row, strict=True)) for row in rows]
    print()
    print(_("Our SLA outcome against the tool's own flag (resolution clock):"))
    write_sections(sys.stdout, "table", {"r": Rows("", dict(zip(keys, headings, strict=True)), out)})
    for item in found.disagreements:
        print(f"  {item.key}: {item.words}")


def _progress() -> Callable[[int, int], None]:
    def show(rows: int, tickets: int) -> None:
        print("\r" + _("{rows:,} rows, {tickets:,} tickets").format(rows=rows, tickets=tickets), end="",
              file=sys.stderr, flush=True)  # fmt: skip

    return show


def _end_progress(progress: Callable[[int, int], None] | None) -> None:
    if progress is not None:
        print(file=sys.stderr)


def run_export(workspace: Workspace, args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".jsonl"):
        raise ConsoleError(_("Export to FILE.csv or FILE.jsonl; {name} is neither.").format(name=out.name))
    now = datetime.now(UTC)
    with workspace.cache().connect() as conn:
        actor = acting(workspace, conn, args.as_login)
        flt = filter_of(args)
        check_codes(conn, flt.units, flt.modules)
        count = export(stored_tickets(conn, queue.conditions(conn, actor, flt, now, counting=True)), out)
    print(_("Wrote {count:,} tickets with their history to {path}.").format(count=count, path=out))
    return EXIT_OK
