"""A ticket from its rows: the normalised record and its history, in source order.

**One row per update** (ServiceNow's event log, our own export): the rows are put in the order of their update
counter (``sys_mod_count``) when every row has one, else kept in file order. The first row is the ticket as it
was logged, whatever its state (a real export may start at Active); each later row is compared with the one
before, and each field that changed (priority, group, assignee, status, in that order within one update)
becomes an event dated at the row's update time, by the row's ``updated_by``; its comments and work notes
follow. A change of the source's word alone (Awaiting User Info → Awaiting Evidence, both pending_reporter)
is an event too, from a status to the same status, so the source's history is kept whole (the SLA engine
passes over it). An update dated before the update before it is kept where the file puts it (and said): the SLA engine
replays changes by ``(time, sequence)``.

**One row per ticket** (a ServiceNow list, Jira): the file has no history of states, only the state a ticket
ends in and a few dates, so the ticket is logged New and moves to its state at the only moment the file gives:
Resolved at its resolution date, Closed at its closing date (through Resolved), any other state at its last
update (else at creation). A resolved ticket with no resolution date is dated at its closing date, its last
update or its creation, and said. Comments come in between at their own dates.

Either way, a change or note dated before the ticket was created counts as made at creation (said), as the SLA
engine counts it; events are numbered 1, 2, 3… in the order they come.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from datetime import datetime

from console.i18n import N_, _
from console.imports.lines import Line, Note
from console.imports.mapping import Field, Mapping, RowShape
from console.imports.problems import Outcome, Problem, ProblemKind, ProblemLog
from console.imports.records import CHANGES, EventKind, ImportedEvent, ImportedTicket
from console.zone import moment_text
from models import Priority, TicketStatus

F = Field
S = TicketStatus
DONE = (S.RESOLVED, S.CLOSED)
NOTE_KINDS = {F.COMMENT: EventKind.COMMENT, F.WORK_NOTE: EventKind.WORK_NOTE}
CHANGE_WORDS = {
    EventKind.STATUS: N_("a change of status"),
    EventKind.PRIORITY: N_("a change of priority"),
    EventKind.GROUP: N_("a change of group"),
    EventKind.ASSIGNEE: N_("a change of assignee"),
    EventKind.COMMENT: N_("a comment"),
    EventKind.WORK_NOTE: N_("a work note"),
}


_VALUE: dict[Priority | TicketStatus, str] = {member: member.value for member in (*Priority, *TicketStatus)}
"""Each status's and priority's value, at once (an enum member's ``value`` is a property)."""


def _state(line: Line) -> tuple[tuple[str | None, str | None], ...]:
    """The row's value of each field whose changes are events, in ``CHANGES`` order, with the source's word."""
    texts = line.texts
    return (
        (_VALUE[line.priority], line.source_priority or None),
        (texts.get(F.GROUP), None),
        (texts.get(F.ASSIGNEE), None),
        (_VALUE[line.status], line.source_status or None),
    )


@dataclass(slots=True)
class _Draft:
    at: datetime
    kind: EventKind
    old: str | None
    new: str | None
    actor: str | None
    source_value: str | None
    row: int


class TicketBuilder:
    """Builds tickets from the rows of each, logging what it adjusts."""

    def __init__(self, mapping: Mapping, problems: ProblemLog) -> None:
        self.mapping = mapping
        self.problems = problems

    def ticket(self, lines: list[Line]) -> ImportedTicket:
        """The ticket the rows of one key describe (one row, or one row per update, as the mapping says)."""
        if self.mapping.rows is RowShape.UPDATES:
            if all(line.update_seq is not None for line in lines):
                lines = sorted(lines, key=lambda line: (line.update_seq or 0, line.row))
            drafts = self._updates(lines)
        else:
            drafts = self._states(lines[0])
        first, last = lines[0], lines[-1]
        created = first.dates[F.CREATED]
        drafts = [draft if draft.at >= created else self._clamped(draft, created, first.key) for draft in drafts]
        events = tuple(
            ImportedEvent(seq, d.at, d.kind, d.old, d.new, d.actor, d.source_value, d.row)
            for seq, d in enumerate(drafts, 1)
        )
        texts = {target: value for line in lines for target, value in line.texts.items()}  # the last value of each
        return ImportedTicket(
            source_system=first.source_system or self.mapping.source,
            key=first.key,
            title=texts.get(F.TITLE) or first.key,
            description=texts.get(F.DESCRIPTION, ""),
            status=last.status,
            source_status=last.source_status,
            priority=last.priority,
            source_priority=last.source_priority,
            impact=next((line.impact for line in reversed(lines) if line.impact), None),
            urgency=next((line.urgency for line in reversed(lines) if line.urgency), None),
            module=texts.get(F.MODULE),
            unit=texts.get(F.UNIT),
            category=texts.get(F.CATEGORY),
            reporter=texts.get(F.REPORTER),
            assignee=last.texts.get(F.ASSIGNEE),
            group=last.texts.get(F.GROUP),
            created_at=created,
            resolved_at=last.dates.get(F.RESOLVED) or _entered(events, last.status, S.RESOLVED),
            closed_at=last.dates.get(F.CLOSED) or _entered(events, last.status, S.CLOSED),
            reopen_count=last.reopen_count if last.reopen_count is not None else _reopens(events),
            source_sla_met=last.sla_met,
            events=events,
            row=first.row,
        )

    def _updates(self, lines: list[Line]) -> list[_Draft]:
        first = lines[0]
        state = _state(first)
        drafts = self._notes(first, first.dates[F.UPDATED])
        previous = first
        for line in lines[1:]:
            at = line.dates[F.UPDATED]
            before = previous.dates[F.UPDATED]
            if at < before:
                self._adjusted(
                    line,
                    ProblemKind.OUT_OF_ORDER,
                    _(
                        "the update at {at} is dated before the one before it ({before}, row {row}); kept in the "
                        "file's order and replayed by time, then sequence, as the SLA engine does"
                    ).format(at=moment_text(at, named=True), before=moment_text(before, named=True), row=previous.row),
                )
            now = _state(line)
            if now != state:  # ours changed, or only the source's word (Awaiting User Info → Evidence)
                actor = line.texts.get(F.UPDATED_BY)
                for kind, old, new in zip(CHANGES, state, now, strict=True):
                    if new != old:
                        drafts.append(_Draft(at, kind, old[0], new[0], actor, new[1], line.row))
                state = now
            if line.notes:
                drafts += self._notes(line, at)
            previous = line
        return drafts

    def _states(self, line: Line) -> list[_Draft]:
        """One row's states as events: New at creation, its own state at the moment the file gives for it."""
        created = line.dates[F.CREATED]
        resolved, closed, updated = (line.dates.get(f) for f in (F.RESOLVED, F.CLOSED, F.UPDATED))
        final, word = line.status, line.source_status
        states: list[_Draft] = []
        if final in DONE:
            at = resolved or closed or updated or created
            if resolved is None:
                used = _("its closing date") if closed else _("its last update") if updated else _("its creation")
                self._adjusted(
                    line,
                    ProblemKind.NO_RESOLUTION_TIME,
                    _("the ticket is {status} but the file gives no resolution date; dated at {used}").format(
                        status=word, used=used
                    ),
                )
            states.append(_Draft(at, EventKind.STATUS, S.NEW.value, S.RESOLVED.value, None, None, line.row))
            if final is S.CLOSED:
                states.append(
                    _Draft(closed or at, EventKind.STATUS, S.RESOLVED.value, S.CLOSED.value, None, None, line.row)
                )
            if closed is not None and closed < at:
                self._adjusted(
                    line,
                    ProblemKind.OUT_OF_ORDER,
                    _(
                        "the ticket is closed ({closed}) before it is resolved ({resolved}); replayed by time, as "
                        "the SLA engine does"
                    ).format(closed=moment_text(closed, named=True), resolved=moment_text(at, named=True)),
                )
            states[-1].source_value = word
        elif final is not S.NEW:
            states.append(_Draft(updated or created, EventKind.STATUS, S.NEW.value, final.value, None, word, line.row))
        notes = self._notes(line, updated or created)
        return list(heapq.merge(states, notes, key=lambda draft: draft.at))

    def _notes(self, line: Line, at: datetime) -> list[_Draft]:
        actor = line.texts.get(F.UPDATED_BY)
        return [_note(note, at, actor, line.row) for note in line.notes]

    def _clamped(self, draft: _Draft, created: datetime, key: str) -> _Draft:
        if draft.at >= created:
            return draft
        self.problems.add(
            Problem(
                draft.row,
                ProblemKind.BEFORE_CREATION,
                Outcome.ADJUSTED,
                _("{what} at {at} is dated before the ticket was created ({created}); counted as made at creation, "
                  "as the SLA engine does").format(
                    what=_(CHANGE_WORDS[draft.kind]),
                    at=moment_text(draft.at, named=True),
                    created=moment_text(created, named=True),
                ),
                key=key,
            )
        )  # fmt: skip
        return replace(draft, at=created)

    def _adjusted(self, line: Line, kind: ProblemKind, message: str) -> None:
        self.problems.add(Problem(line.row, kind, Outcome.ADJUSTED, message, key=line.key))


def _note(note: Note, at: datetime, actor: str | None, row: int) -> _Draft:
    return _Draft(note.at or at, NOTE_KINDS[note.kind], None, note.body, note.author or actor, None, row)


def _entered(events: tuple[ImportedEvent, ...], final: TicketStatus, status: TicketStatus) -> datetime | None:
    """When a ticket that ends resolved or closed last entered ``status`` (resolved: else closed)."""
    if final not in DONE or (status is S.CLOSED and final is not S.CLOSED):
        return None
    for wanted in (status, S.CLOSED) if status is S.RESOLVED else (status,):
        found = [e.at for e in events if e.kind is EventKind.STATUS and e.new == wanted.value]
        if found:
            return found[-1]
    return None


def _reopens(events: tuple[ImportedEvent, ...]) -> int:
    done = {s.value for s in DONE}
    return sum(1 for e in events if e.kind is EventKind.STATUS and e.old in done and e.new not in done)
