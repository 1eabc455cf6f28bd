"""The change advisory board's agenda as a PDF (or CSV): the changes waiting for the board in the
next N days, each with its window, risk, approvals so far and conflicts spelled out. Headless."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from console.changes.lists import ChangeRow
from console.metrics.report import Block, ReportError, clipped, table_pages, write_whole
from console.rows import write_rows
from console.words import STAGE_LABELS, counted
from console.zone import day_text, moment_text, zoned

AGENDA_FORMATS = (".pdf", ".csv")


def overview_rows(rows: Sequence[ChangeRow]) -> list[dict[str, str]]:
    window = zoned("window")  # the zone named once, in the heading
    return [
        {
            "change": r.number,
            window: r.window_cell,
            "type": r.change_type.value,
            "risk": r.risk or "?",
            "units": r.units,
            "modules": r.modules,
            "approvals": r.approvals,
            "conflicts": str(len(r.conflicts)) if r.conflicts else "",
            "title": clipped(r.title, 48),
        }
        for r in rows
    ]


def _item_block(row: ChangeRow) -> Block:
    lines = [
        {"item": "title", "detail": row.title},
        {"item": "stage", "detail": STAGE_LABELS[row.stage]},
        {"item": "requested by", "detail": row.requester},
    ]
    lines += [{"item": f"conflict ({c.kind})", "detail": c.explanation} for c in row.conflicts] or [
        {"item": "conflicts", "detail": "none found"}
    ]
    return (f"{row.number} · {row.window or 'no window planned'}", lines)


def agenda_title(now: datetime, days: int) -> str:
    return f"CAB agenda: changes awaiting the board, windows before {day_text(now)} + {days} days"


def write_agenda(rows: Sequence[ChangeRow], path: Path, now: datetime, days: int) -> Path:
    """Write the agenda as the extension says (.pdf or .csv); the file appears only when complete."""
    suffix = path.suffix.lower()
    if path.is_dir() or suffix not in AGENDA_FORMATS:
        raise ReportError(f"Write the agenda to a .pdf or .csv file, not {path.name or path}.")
    if not path.parent.is_dir():
        raise ReportError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    title = agenda_title(now, days)

    def write_pdf(target: Path) -> None:
        # imported here, not at the top: every command-line verb imports this module, and matplotlib's
        # PDF backend alone takes most of a second to import
        from matplotlib.backends.backend_pdf import PdfPages

        footer = f"Support Console · {counted(len(rows), 'change')} · printed {moment_text(now, named=True)}"
        blocks: list[Block] = [("Changes on the agenda", overview_rows(rows))]
        blocks += [_item_block(r) for r in rows]
        with PdfPages(target, metadata={"Title": title, "Creator": "Support Console"}) as pdf:
            for figure in table_pages("CAB agenda", footer, blocks):
                pdf.savefig(figure)

    def write_csv(target: Path) -> None:
        out = io.StringIO()
        write_rows(out, "csv", {"agenda": overview_rows(rows)})
        target.write_text(out.getvalue(), encoding="utf-8-sig")

    return write_whole(path, write_pdf if suffix == ".pdf" else write_csv, drawn=suffix == ".pdf")
