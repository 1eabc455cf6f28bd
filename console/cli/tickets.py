"""`support-console ticket …`: the queue and the incident workflow from the command line.

The same services as the window (``console.tickets.queue``, ``console.tickets.detail``, ``console.tickets.service``),
with the same validation and messages, acting as the workspace's user — or, in a demo
workspace, as anyone (``--as LOGIN``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from console.access import Actor, load_actor
from console.errors import ConsoleError
from console.rows import Cell, Record, Rows, Section, write_sections
from console.sla.evidence import clock_rows
from console.store.codes import check_codes, code_id, user_id
from console.store.workspace import Workspace
from console.tickets import queue
from console.tickets.detail import load_detail
from console.tickets.history import history_value
from console.tickets.queue import Column, QueueFilter, Sort
from console.words import SLA_STATE_WORDS, counted, tool_name
from models import DeploymentInfo, ErpModule, Impact, Priority, SlaState, TicketKind, TicketStatus, Urgency

if TYPE_CHECKING:  # the write path's modules load only for a write (listing and showing need none of them)
    from console.desk import NewTicket
    from console.tickets import service as tickets

# A priority given without impact and urgency: the pair the matrix turns into it.
IMPACT_URGENCY = {
    Priority.CRITICAL: (Impact.HIGH, Urgency.HIGH),
    Priority.HIGH: (Impact.HIGH, Urgency.MEDIUM),
    Priority.MEDIUM: (Impact.MEDIUM, Urgency.MEDIUM),
    Priority.LOW: (Impact.LOW, Urgency.LOW),
}
SLA_STATES = frozenset(s.value for s in SlaState)
LIST_COLUMNS = {
    "number": "Number",
    "priority": "Priority",
    "status": "Status",
    "unit": "Unit",
    "module": "Module",
    "assignee": "Assignee",
    "tier": "Tier",
    "age_hours": "Age (h)",
    "sla_text": "SLA",
    "due_at": "Due",
    "title": "Title",
}
LIST_MACHINE = ("number", "priority", "status", "unit", "module", "assignee", "tier", "age_hours", "clock", "sla",
                "due_at", "title")  # fmt: skip
SHOW_FIELDS = {
    "number": "Number",
    "title": "Title",
    "status": "Status",
    "priority": "Priority",
    "impact": "Impact",
    "urgency": "Urgency",
    "unit": "Unit",
    "module": "Module",
    "tier": "Tier",
    "group": "Group",
    "assignee": "Assignee",
    "reporter": "Reporter",
    "created_at": "Created",
    "problem": "Problem",
    "change": "Change",
    "vendor": "Vendor",
    "imported_from": "Imported from",
    "description": "Description",
}
CONFLICT_COLUMNS = {"field": "Field", "base": "You saw", "mine": "Yours", "theirs": "Theirs (now)",
                    "created_at": "When", "author": "By"}  # fmt: skip
NOTE_COLUMNS = {"at": "At", "author": "Author", "kind": "Kind", "text": "Text"}
HISTORY_COLUMNS = {"at": "At", "by": "By", "field": "Field", "from": "From", "to": "To", "reason": "Reason"}


def acting(workspace: Workspace, conn: Connection, as_login: str | None) -> Actor:
    """The person the command acts as: the workspace's user, or anyone in a demo workspace."""
    user = workspace.settings.get("user")
    if as_login and as_login != user:
        kind = conn.execute(select(DeploymentInfo.value).where(DeploymentInfo.key == "kind")).scalar()
        if kind != "demo":
            raise ConsoleError("--as works only in a demo workspace; here you act as the workspace's user.")
        user = as_login
    if not user:
        raise ConsoleError("No user set for this workspace; set one with `support-console settings user LOGIN`.")
    return load_actor(conn, str(user))


def run(workspace: Workspace, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    engine = workspace.cache()
    with engine.connect() as conn:
        actor = acting(workspace, conn, args.as_login)
        if args.ticket_verb == "list":
            return _list(conn, actor, args, now)
        if args.ticket_verb == "show":
            return _show(conn, actor, args, now)
    if args.ticket_verb == "new":
        from console.desk import Desk

        logged = Desk(workspace, actor, lambda: now).log_ticket(_new(actor, args)).value
        print(f"Logged {logged.number} ({counted(logged.events, 'audit event')}) as {actor.login}")
        return 0
    from console.tickets import edits
    from console.tickets import service as tickets

    intents: list[tickets.Intent]
    with engine.begin() as conn:
        if args.ticket_verb == "note":
            found = _ticket(conn, actor, args.number)
            intents = [edits.add_note(found.id, args.text, internal=args.internal)]
        else:
            intents = _set(conn, actor, args)
    applied = tickets.execute(engine, actor, intents, now)
    number = applied[0].number
    done = {"note": "Noted on", "set": "Updated"}[args.ticket_verb]
    print(f"{done} {number} ({counted(sum(a.events for a in applied), 'audit event')}) as {actor.login}")
    return 0


def _ticket(conn: Connection, actor: Actor, number: str) -> queue.QueueRow:
    found = queue.row_by_number(conn, actor, number)
    if found is None:
        raise ConsoleError(f"No ticket {number.strip().upper()!r} that you can see in this workspace.")
    return found


def filter_of(args: argparse.Namespace) -> QueueFilter:
    """The filter ``ticket list`` and ``export`` were given (``tickets_args.add_filters``)."""
    statuses: tuple[TicketStatus, ...] = queue.OPEN_STATUSES
    if args.status:
        chosen = set(args.status)
        if "all" in chosen:
            statuses = tuple(TicketStatus)
        else:
            picked = {TicketStatus(s) for s in chosen - {"open"}} | (
                set(queue.OPEN_STATUSES) if "open" in chosen else set()
            )
            statuses = tuple(s for s in TicketStatus if s in picked)
    return QueueFilter(
        statuses=statuses,
        priorities=tuple(Priority(p) for p in args.priority or ()),
        units=tuple(u.upper() for u in args.unit),
        modules=tuple(m.upper() for m in args.module),
        assignee=args.assignee,
        tiers=tuple(args.tier or ()),
        mine=args.mine,
        unassigned=args.unassigned,
        breaching_within_hours=args.breaching,
        search=args.search,
    )


def _list(conn: Connection, actor: Actor, args: argparse.Namespace, now: datetime) -> int:
    flt = filter_of(args)
    check_codes(conn, flt.units, flt.modules)
    total = queue.count(conn, actor, flt, now)
    rows = queue.page(conn, actor, flt, Sort(Column(args.sort), args.desc), now, limit=args.limit, total=total)
    out: list[dict[str, Cell]] = []
    for r in rows:
        band = r.band(now)
        sla = SlaState(band) if band in SLA_STATES else None  # "none": no clock runs
        out.append(
            {
                "number": r.number,
                "priority": r.priority,
                "status": r.status,
                "unit": r.unit,
                "module": r.module,
                "assignee": r.assignee,
                "tier": r.tier,
                "age_hours": int(r.age(now).total_seconds() // 3600),
                "clock": r.clock,
                "sla": sla,
                "sla_text": f"{r.clock} {SLA_STATE_WORDS[sla]}" if sla else "",  # as the queue: resolution met
                "due_at": r.due_at,
                "title": r.title,
            }
        )
    if not out and args.format == "table":
        print("No tickets match.")
        return 0
    write_sections(sys.stdout, args.format, {"tickets": Rows("Tickets", LIST_COLUMNS, out, LIST_MACHINE)})
    if args.format == "table":
        shown = f"{len(out):,} of {counted(total, 'ticket')}" if total > len(out) else counted(total, "ticket")
        print(shown, file=sys.stderr)
    return 0


def _show(conn: Connection, actor: Actor, args: argparse.Namespace, now: datetime) -> int:
    from console.sync.conflicts import open_conflicts

    detail = load_detail(conn, actor, args.number, now)
    row, names = detail.row, detail.names
    values: dict[str, Cell] = {
        "number": detail.number,
        "title": row["title"],
        "status": TicketStatus(row["status"]),
        "priority": Priority(row["priority"]),
        "impact": Impact(row["impact"]),
        "urgency": Urgency(row["urgency"]),
        "unit": names["unit"],
        "module": names["module"],
        "tier": row["tier"],
        "group": names["group"] or None,
        "assignee": names["assignee"] or None,
        "reporter": names["reporter"] or None,
        "created_at": row["created_at"],
        "problem": names["problem"] or None,
        "change": names["change"] or None,
        "vendor": row["vendor"] or None,
        "imported_from": f"{tool_name(row['source_system'])} {row['source_key']}" if row["source_key"] else None,
        "description": row["description"],
    }
    conflicts: list[dict[str, Cell]] = [
        {"field": c.field.removesuffix("_id").replace("_", " "), "base": c.base, "mine": c.mine, "theirs": c.theirs,
         "created_at": c.created_at, "author": c.author}
        for c in open_conflicts(conn, actor)
        if c.entity_table == "tickets" and c.entity_id == row["id"]
    ]  # fmt: skip
    notes: list[dict[str, Cell]] = [
        {"at": n.at, "author": n.author, "kind": "work note" if n.internal else "comment", "text": n.body}
        for n in detail.notes
    ]
    history: list[dict[str, Cell]] = [
        {"at": c.at, "by": c.actor, "field": c.field, "from": history_value(c.field, c.old),
         "to": history_value(c.field, c.new), "reason": c.reason}
        for c in detail.history
    ]  # fmt: skip
    sections: dict[str, Section] = {
        "ticket": Record("Ticket", SHOW_FIELDS, values),
        "conflicts": Rows("Open sync conflicts: resolve them in the window's Sync conflicts", CONFLICT_COLUMNS,
                          conflicts),
        "sla": clock_rows(detail.number, detail.sla),
        "notes": Rows("Notes", NOTE_COLUMNS, notes),
        "history": Rows("History", HISTORY_COLUMNS, history),
    }  # fmt: skip
    write_sections(sys.stdout, args.format, sections)
    return 0


def _new(actor: Actor, args: argparse.Namespace) -> NewTicket:
    priority = Priority(args.priority) if args.priority else None
    impact, urgency = IMPACT_URGENCY[priority or Priority.MEDIUM]
    from console.desk import NewTicket

    return NewTicket(
        TicketKind(args.kind),
        args.title,
        args.description,
        Impact(args.impact) if args.impact else impact,
        Urgency(args.urgency) if args.urgency else urgency,
        args.unit,
        args.module,
        args.reporter,
        priority,
        args.reason,
    )


def _set(conn: Connection, actor: Actor, args: argparse.Namespace) -> list[tickets.Intent]:
    from console.tickets import edits
    from console.tickets import service as tickets

    row = queue.row_by_number(conn, actor, args.number)
    if row is None:
        raise ConsoleError(f"No ticket {args.number.strip().upper()!r} that you can see in this workspace.")
    current = conn.execute(select(tickets.TICKETS).where(tickets.TICKETS.c.id == row.id)).one()._mapping
    intents: list[tickets.Intent] = []
    if args.assignee is not None:
        assignee = None if args.assignee.lower() == "none" else user_id(conn, args.assignee)
        intents.append(edits.assign(row.id, assignee, base=current["assignee_id"]))
    if args.priority:
        intents.append(
            edits.set_priority(row.id, Priority(args.priority), base=current["priority"], reason=args.reason)
        )
    if args.module:
        module = code_id(conn, ErpModule, args.module, "ERP module")
        intents.append(edits.set_module(row.id, module, base=current["module_id"]))
    if args.tier is not None:
        intents.append(edits.move_tier(row.id, args.tier, base=current["tier"], reason=args.reason))
    if args.status:
        status = TicketStatus(args.status)
        # After an assignment of a New ticket the status is Assigned: the next move starts from there.
        base = TicketStatus.ASSIGNED if args.assignee and current["status"] == TicketStatus.NEW else current["status"]
        intents.append(edits.set_status(row.id, status, base=base, reason=args.reason))
    if not intents:
        raise ConsoleError("Nothing to change: give --status, --priority, --assignee, --tier or --module.")
    return intents
