"""``support-console problem``: the problems list, one problem, and every edit of one, with the window's rules
(``console.problems``)."""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from console.access import Actor
from console.cli.problems_args import FIELDS
from console.cli.tickets import acting
from console.errors import ConsoleError
from console.i18n import _
from console.journal.intents import EditProblem, LinkIncidents, MoveProblem, NewProblem, ProblemIntent
from console.problems.lists import ProblemFilter, list_problems, load_problem
from console.problems.rules import OPEN
from console.problems.service import execute_problem, new_problem_number, problem_row
from console.rows import Cell, Record, Rows, Section, write_sections
from console.store.codes import code_id
from console.store.workspace import Workspace
from console.words import problem_word, word
from models import BusinessUnit, ErpModule, Priority, Problem, ProblemStatus, SupportGroup, Ticket, User, new_id

LIST_COLUMNS = {
    "number": "Number", "status": "Status", "priority": "Priority", "module": "Module", "unit": "Unit",
    "owner": "Owner", "incidents": "Incidents", "open": "Open", "title": "Title",
}  # fmt: skip
SHOW_FIELDS = {
    "number": "Number", "title": "Title", "status": "Status", "priority": "Priority", "module": "Module",
    "unit": "Unit", "group": "Owner group", "owner": "Owner", "created_at": "Opened", "description": "Description",
    "root_cause": "Root cause", "workaround": "Workaround",
}  # fmt: skip
COLUMN_OF = {"root-cause": "root_cause", "module": "module_id", "unit": "business_unit_id", "owner": "owner_id",
             "group": "group_id"}  # fmt: skip


def run(workspace: Workspace, args: argparse.Namespace) -> int:
    engine = workspace.cache()
    with engine.connect() as conn:
        actor = acting(workspace, conn, args.as_login)
        if args.problem_verb == "list":
            return _list(conn, actor, args)
        if args.problem_verb == "show":
            return _show(conn, actor, args)
        if args.problem_verb == "candidates":
            return _candidates(conn, actor, args)
    with engine.begin() as conn:
        intent = _intent(workspace, conn, actor, args)
    applied = execute_problem(engine, actor, intent, datetime.now(UTC))
    print(_("{number} is {status} ({events} audit events) as {login}").format(
        number=applied.number, status=problem_word(applied.status).lower(), events=applied.events,
        login=actor.login))  # fmt: skip
    return 0


def _statuses(chosen: list[str] | None) -> tuple[ProblemStatus, ...]:
    if not chosen:
        return tuple(s for s in ProblemStatus if s in OPEN)
    if "all" in chosen:
        return tuple(ProblemStatus)
    picked = {ProblemStatus(s) for s in chosen if s not in ("open", "all")} | (OPEN if "open" in chosen else set())
    return tuple(s for s in ProblemStatus if s in picked)


def _list(conn: Connection, actor: Actor, args: argparse.Namespace) -> int:
    flt = ProblemFilter(
        statuses=_statuses(args.status), modules=tuple(m.upper() for m in args.module),
        units=tuple(u.upper() for u in args.unit), groups=tuple(g.upper() for g in args.group), owner=args.owner,
        known_error=args.known_error, search=args.search,
    )  # fmt: skip
    rows: list[dict[str, Cell]] = [
        {"number": r.number, "status": problem_word(r.status), "priority": word(r.priority), "module": r.module,
         "unit": r.unit, "owner": r.owner, "incidents": r.incidents, "open": r.open_incidents, "title": r.title}
        for r in list_problems(conn, actor, flt)
    ]  # fmt: skip
    if not rows and args.format == "table":
        print(_("No problems match."))
        return 0
    write_sections(sys.stdout, args.format, {"problems": Rows("Problems", LIST_COLUMNS, rows)})
    return 0


def _show(conn: Connection, actor: Actor, args: argparse.Namespace) -> int:
    detail = load_problem(conn, actor, args.number)
    row, names = detail.row, detail.names
    values: dict[str, Cell] = {
        "number": detail.number, "title": row["title"], "status": problem_word(ProblemStatus(row["status"])),
        "priority": word(Priority(row["priority"])), "module": names["module"], "unit": names["unit"] or None,
        "group": names["group"] or None, "owner": names["owner"] or None, "created_at": row["created_at"],
        "description": row["description"] or None, "root_cause": row["root_cause"],
        "workaround": row["workaround"],
    }  # fmt: skip
    sections: dict[str, Section] = {
        "problem": Record("Problem", SHOW_FIELDS, values),
        "incidents": Rows("Incidents", {"number": "Number", "status": "Status", "unit": "Unit", "title": "Title"},
                          [{"number": i.number, "status": word(i.status), "unit": i.unit, "title": i.title}
                           for i in detail.incidents]),
        "fixes": Rows("Fixes (change requests)", {"number": "Number", "stage": "Stage", "title": "Title"},
                      [{"number": f.number, "stage": word(f.stage), "title": f.title} for f in detail.fixes]),
        "history": Rows("History", {"at": "At", "by": "By", "field": "Field", "from": "From", "to": "To",
                                    "reason": "Reason"},
                        [{"at": s.at, "by": s.by, "field": s.field, "from": _said(s.field, s.old),
                          "to": _said(s.field, s.new), "reason": s.reason} for s in detail.history]),
    }  # fmt: skip
    write_sections(sys.stdout, args.format, sections)
    return 0


CANDIDATE_COLUMNS = {
    "rank": "#", "module": "Module", "incidents": "Incidents", "breached": "SLA breached", "hours": "Hours used",
    "linked": "Linked", "label": "Terms", "example": "Example", "numbers": "Incidents (numbers)",
}  # fmt: skip


def _candidates(conn: Connection, actor: Actor, args: argparse.Namespace) -> int:
    from console.problems.candidates import candidates

    end = datetime.now(UTC)
    modules = {code_id(conn, ErpModule, code, "ERP module") for code in args.module} or None
    found = candidates(conn, end - timedelta(days=args.days), end, actor=actor, modules=modules,
                       linked="exclude" if args.unlinked else "mark", limit=args.limit)  # fmt: skip
    codes = dict(conn.execute(select(ErpModule.id, ErpModule.code)).all())
    numbers = dict(
        conn.execute(
            select(Ticket.id, Ticket.number).where(Ticket.id.in_([t for c in found.items for t in c.ticket_ids]))
        ).all()
    )
    rows: list[dict[str, Cell]] = [
        {"rank": rank, "module": codes.get(c.module_id, ""), "incidents": c.count, "breached": c.breached,
         "hours": round(c.hours, 1), "linked": c.linked, "label": c.label, "example": c.example,
         "numbers": " ".join(numbers[t] for t in c.ticket_ids)}
        for rank, c in enumerate(found.items, start=1)
    ]  # fmt: skip
    if not rows and args.format == "table":
        print(_("No recurring incidents in the last {days} days ({count:,} incidents read).").format(
            days=args.days, count=found.incidents))  # fmt: skip
        return 0
    write_sections(sys.stdout, args.format, {"candidates": Rows("Problem candidates", CANDIDATE_COLUMNS, rows)})
    if args.format == "table":
        print(_("Open one as a problem: support-console problem new --title … --module CODE --incident NUMBER…"),
              file=sys.stderr)  # fmt: skip
    return 0


def _said(field: str, value: str | None) -> Cell:
    """A history value in words: a status as the lifecycle names it."""
    if field == "status" and value in {s.value for s in ProblemStatus}:
        return problem_word(ProblemStatus(value))
    return value


def _problem(conn: Connection, number: str) -> dict[str, Any]:
    found = conn.execute(select(Problem.id).where(Problem.number == number.strip().upper())).scalar()
    if found is None:
        raise ConsoleError(_("No problem {number!r} in this workspace.").format(number=number.strip().upper()))
    return problem_row(conn, found)


def _incidents(conn: Connection, numbers: list[str]) -> frozenset[uuid.UUID]:
    found = set()
    for number in numbers:
        ticket = conn.execute(select(Ticket.id).where(Ticket.number == number.strip().upper())).scalar()
        if ticket is None:
            raise ConsoleError(_("No ticket {number!r} that you can see in this workspace.").format(
                number=number.strip().upper()))  # fmt: skip
        found.add(ticket)
    return frozenset(found)


def _value(conn: Connection, field: str, text: str) -> Any:
    """The value of a field as typed: a code or login looked up, '' for none, a priority checked."""
    if field in ("module", "unit", "group", "owner"):
        if not text:
            return None
        if field == "owner":
            found = conn.execute(select(User.id).where(User.login == text)).scalar()
            if found is None:
                raise ConsoleError(_("No user {login!r} here.").format(login=text))
            return found
        model: Any = {"module": ErpModule, "unit": BusinessUnit, "group": SupportGroup}[field]
        return code_id(conn, model, text, field)
    if field == "priority":
        try:
            return Priority(text)
        except ValueError:
            raise ConsoleError(_("A priority is one of {choices}.").format(
                choices=", ".join(p.value for p in Priority))) from None  # fmt: skip
    return text


def _intent(workspace: Workspace, conn: Connection, actor: Actor, args: argparse.Namespace) -> ProblemIntent:
    verb = args.problem_verb
    if verb == "new":
        return NewProblem(
            new_id(), new_problem_number(conn, workspace.client_id, workspace.reserve_numbers), args.title,
            code_id(conn, ErpModule, args.module, "ERP module"), Priority(args.priority), args.description,
            code_id(conn, BusinessUnit, args.unit, "business unit") if args.unit else None,
            code_id(conn, SupportGroup, args.group, "support group") if args.group else None,
            _incidents(conn, args.incident),
        )  # fmt: skip
    problem = _problem(conn, args.number)
    if verb == "move":
        return MoveProblem(problem["id"], ProblemStatus(args.status), ProblemStatus(problem["status"]), args.reason)
    if verb == "link":
        return LinkIncidents(problem["id"], _incidents(conn, args.incidents), args.unlink)
    assert args.field in FIELDS
    column = COLUMN_OF.get(args.field, args.field)
    return EditProblem(problem["id"], column, _value(conn, args.field, args.value), problem[column])
