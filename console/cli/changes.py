"""`support-console change …`: change requests from the command line, through the same services,
rules and messages as the change approval view (``console.changes.service``, ``console.changes.lists``)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from console.access import load_actor
from console.changes.agenda import overview_rows, write_agenda
from console.changes.applied import ChangeApplied
from console.changes.facts import CHANGES, change_id_by_number
from console.changes.freezes import freeze_policy, freeze_text
from console.changes.lists import ApprovalLine, cab_agenda, change_templates, list_changes, load_change
from console.changes.service import (
    AssessRisk,
    Away,
    Back,
    ChangeIntent,
    Decide,
    EditChange,
    MoveStage,
    NewChange,
    SetFreezes,
    SettingIntent,
    new_change_number,
    submit_change,
)
from console.changes.settings import submit_setting
from console.cli.changes_args import FIELDS, STAGES
from console.cli.tickets import acting
from console.errors import ConsoleError
from console.rows import Cell, Record, Rows, Section, write_rows, write_sections
from console.store.workspace import Workspace
from console.words import STAGE_LABELS, counted
from console.zone import zoned
from models import (
    ApprovalDecision,
    BusinessUnit,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    ErpModule,
    new_id,
)

LIST_COLUMNS = {"change": "Change", "stage": "Stage", "type": "Type", "risk": "Risk", "window": "Window",
                "approvals": "Approvals", "conflicts": "Conflicts", "units": "Units", "title": "Title"}  # fmt: skip
LIST_MACHINE = ("change", "stage", "type", "risk", "planned_start", "planned_end", "approvals", "conflicts", "units",
                "title")  # fmt: skip
SHOW_FIELDS = {"change": "Change", "title": "Title", "type": "Type", "stage": "Stage", "risk": "Risk",
               "requested_by": "Requested by", "window": "Window", "modules": "Modules", "units": "Units",
               "approvals": "Approvals"}  # fmt: skip
SHOW_FIELDS |= {name: name.replace("_", " ").capitalize() for name in FIELDS[1:]}  # implementation plan, …
SHOW_MACHINE = ("change", "title", "type", "stage", "risk", "requested_by", "planned_start", "planned_end", "modules",
                "units", "approvals", *FIELDS[1:])  # fmt: skip
APPROVAL_COLUMNS = {"policy": "Policy", "approver": "Approver", "decided_by": "Decided by", "decision": "Decision",
                    "comment": "Comment", "decided_at": "At"}  # fmt: skip


def run(workspace: Workspace, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    engine = workspace.cache()
    verb = args.change_verb
    with engine.connect() as conn:
        actor = acting(workspace, conn, args.as_login)
        if verb == "list":
            rows = list_changes(conn, actor, now, args.which, args.search)
            out: list[dict[str, Cell]] = [
                {"change": r.number, "stage": r.stage, "type": r.change_type, "risk": r.risk or None,
                 "window": r.window_cell, "planned_start": r.planned_start, "planned_end": r.planned_end,
                 "approvals": r.approvals, "conflicts": len(r.conflicts), "units": r.units, "title": r.title}
                for r in rows
            ]  # fmt: skip
            if not out and args.format == "table":
                print(_none_listed(args.which, args.search))
                return 0
            columns = {**LIST_COLUMNS, "window": zoned(LIST_COLUMNS["window"])}  # the zone named once
            write_sections(sys.stdout, args.format, {"changes": Rows("Changes", columns, out, LIST_MACHINE)})
            return 0
        if verb == "show":
            return _show(conn, actor, args, now)
        if verb == "agenda":
            rows = cab_agenda(conn, actor, now, args.days)
            days = counted(args.days, "day")
            if args.out:
                path = write_agenda(rows, Path(args.out).expanduser(), now, args.days)
                print(f"Wrote {path}: {counted(len(rows), 'change')} awaiting the board in the next {days}")
            elif not rows:
                print(f"No changes await the board in the next {days}.")
            else:
                write_rows(sys.stdout, "table", {"agenda": overview_rows(rows)})
            return 0
        if verb == "templates":
            named: list[dict[str, Cell]] = [{"name": n, "module": m} for n, m in templates(conn)]
            if not named:
                print("No change templates.")
                return 0
            listed = Rows("Templates", {"name": "Name", "module": "Module"}, named)
            write_sections(sys.stdout, "table", {"templates": listed})
            return 0
        if verb == "freezes" and not args.policy:
            print(f"{freeze_text(freeze_policy(conn))} (working days frozen before,after each period end)")
            return 0
    if verb in ("away", "back", "freezes"):
        with engine.begin() as conn:
            setting: SettingIntent
            if verb == "back":
                setting = Back()
            elif verb == "freezes":
                setting = SetFreezes(args.policy)
            else:
                setting = Away(load_actor(conn, args.to).id, args.since or now, args.until)
            print(submit_setting(conn, actor, setting, now))
        return 0
    with engine.begin() as conn:
        if verb == "new":
            number = new_change_number(conn, workspace.client_id)
            applied = submit_change(conn, actor, _new(conn, args, number), now)
        else:
            change_id = change_id_by_number(conn, args.number)
            applied = submit_change(conn, actor, _intent(conn, args, change_id), now)
    _report(applied, verb)
    return 0


def _new(conn: Any, args: argparse.Namespace, number: str) -> NewChange:
    modules = _ids(conn, ErpModule, args.module, "ERP module")
    units = _ids(conn, BusinessUnit, args.unit, "business unit")
    start = args.start
    template = None
    if args.template:
        named = {name.lower(): tid for tid, name in change_templates(conn)}
        template = named.get(args.template.strip().lower())
        if template is None:
            raise ConsoleError(f"No change template {args.template!r}; `change templates` lists them.")
    return NewChange(
        new_id(), number, args.title, ChangeType(args.change_type), modules, units,
        description=args.description, reason=args.reason, implementation_plan=args.implementation_plan,
        test_plan=args.test_plan, backout_plan=args.backout_plan,
        planned_start=start, planned_end=start + timedelta(hours=args.hours) if start else None,
        template_id=template,
    )  # fmt: skip


def templates(conn: Any) -> list[tuple[str, str]]:
    query = select(ChangeTemplate.name, ErpModule.code).join(ErpModule, isouter=True).order_by(ChangeTemplate.name)
    return [(name, code or "any") for name, code in conn.execute(query)]


def _ids(conn: Any, model: Any, codes: list[str], what: str) -> frozenset[Any]:
    wanted = {c.upper() for c in codes}
    found = dict(conn.execute(select(model.code, model.id).where(model.code.in_(wanted))).all())
    missing = sorted(wanted - set(found))
    if missing:
        raise ConsoleError(f"No {what} {', '.join(missing)} here.")
    return frozenset(found.values())


def _intent(conn: Any, args: argparse.Namespace, change_id: Any) -> ChangeIntent:
    row = conn.execute(select(CHANGES).where(ChangeRequest.id == change_id)).one()
    verb = args.change_verb
    if verb == "move":
        return MoveStage(change_id, STAGES[args.stage], ChangeStage(row.stage), args.note)
    if verb in ("approve", "reject"):
        return Decide(change_id, ApprovalDecision(args.decision), args.comment)
    if verb == "assess":
        pairs = [a.partition("=") for a in args.answers]
        if any(not sep for _, sep, _ in pairs):
            raise ConsoleError("Give answers as QUESTION=ANSWER, e.g. tested=yes.")
        return AssessRisk(change_id, {k: v for k, _, v in pairs})
    if args.start is not None:
        return EditChange(change_id, "window", (args.start, args.start + timedelta(hours=args.hours)),
                          (row.planned_start, row.planned_end))  # fmt: skip
    if not args.field or args.text is None:
        raise ConsoleError("Say what to change: --field NAME --text TEXT, or --start for the window.")
    return EditChange(change_id, args.field, args.text, getattr(row, args.field))


def _report(applied: ChangeApplied, verb: str) -> None:
    done = {"new": "Requested", "move": "Moved", "approve": "Decided on", "reject": "Decided on",
            "assess": "Assessed", "set": "Updated"}[verb]  # fmt: skip
    print(f"{done} {applied.number}: now {STAGE_LABELS[applied.stage].lower()}")
    if applied.risk is not None:
        print(f"Risk {applied.risk.level.value}: " + "; ".join(applied.risk.reasons))
    for conflict in applied.conflicts:
        print(f"Conflict ({conflict.kind}): {conflict.explanation}")


def _none_listed(which: str, search: str) -> str:
    if search:
        return "No changes match."
    return {"awaiting": "No changes await your decision.", "open": "No open changes."}.get(which, "No changes.")


def _show(conn: Any, actor: Any, args: argparse.Namespace, now: datetime) -> int:
    detail = load_change(conn, actor, change_id_by_number(conn, args.number), now)
    row, change = detail.row, detail.change
    person = args.format != "json"  # a person reads "not assessed" where a program reads null
    values: dict[str, Cell] = {
        "change": row.number,
        "title": row.title,
        "type": row.change_type,
        "stage": row.stage,
        "risk": row.risk or ("not assessed" if person else None),
        "requested_by": row.requester,
        "window": row.window or "not planned",
        "planned_start": row.planned_start,
        "planned_end": row.planned_end,
        "modules": row.modules,
        "units": row.units,
        "approvals": row.approvals or ("none asked yet" if person else None),
    } | {name: (getattr(change, name) or None) for name in FIELDS[1:]}
    risk: list[dict[str, Cell]] = [{"why": r} for r in detail.risk_reasons]
    conflicts: list[dict[str, Cell]] = [{"kind": c.kind, "explanation": c.explanation} for c in row.conflicts]
    history: list[dict[str, Cell]] = [{"at": h.at, "by": h.who, "what": h.what, "why": h.why} for h in detail.history]
    sections: dict[str, Section] = {
        "change": Record("Change", SHOW_FIELDS, values, SHOW_MACHINE),
        "risk": Rows("Risk", {"why": "Why"}, risk),
        "conflicts": Rows("Conflicts", {"kind": "Kind", "explanation": "Explanation"}, conflicts),
        "approvals": Rows("Approvals", APPROVAL_COLUMNS, [_approval(a) for a in detail.approvals]),
        "history": Rows("History", {"at": "At", "by": "By", "what": "What", "why": "Why"}, history),
    }
    write_sections(sys.stdout, args.format, sections)
    return 0


def _approval(line: ApprovalLine) -> dict[str, Cell]:
    return {
        "policy": line.policy,
        "approver": line.approver,
        "decided_by": line.decided_by or None,
        "decision": line.decision,
        "comment": line.comment or None,
        "decided_at": line.decided_at,
    }
