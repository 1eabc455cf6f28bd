"""The desk: one person's workspace as the window and the command line use it — every read and edit they need.

As Anki's ``Collection`` serves its GUI, a ``Desk`` serves ``views/``: the views hold no SQL and open no
connection; each method runs on the database worker and returns plain values. An edit returns ``Done``:
its value and what it ``Touched``, which the task runner announces so that every view showing one of those
tickets or changes reads it again (no view needs to know which others to tell). A method that only reads is
marked ``reads``: a closing window does not wait for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from console.access import Actor, Refused, load_actor
from console.changes.applied import ChangeApplied
from console.changes.lists import (
    Calendar,
    ChangeChoices,
    ChangeDetail,
    ChangeRow,
    Which,
    cab_agenda,
    calendar,
    change_choices,
    list_changes,
    load_change,
)
from console.changes.service import Away, ChangeIntent, NewChange, execute_change, new_change_number, submit_change
from console.changes.settings import submit_setting
from console.errors import ConsoleError
from console.i18n import _, language
from console.journal.intents import ArticleIntent, LinkIncidents, NewArticle, NewProblem, ProblemIntent
from console.journal.touched import EVERYTHING, Done, Touched, reads
from console.knowledge.lists import (
    ArticleChoices,
    ArticleDetail,
    ArticleFilter,
    ArticleRow,
    Version,
    article_choices,
    article_version,
    list_articles,
    load_article,
    published_docs,
)
from console.knowledge.service import ArticleApplied, execute_article, new_article_number, submit_article
from console.metrics.knowledge import Knowledge
from console.metrics.knowledge import knowledge as knowledge_use
from console.metrics.queries import Dashboard, Drill, DrillRow, Filter, dashboard, drill_tickets
from console.problems.lists import (
    ProblemDetail,
    ProblemFilter,
    ProblemRow,
    known_error_for,
    list_problems,
    load_problem,
    open_incidents,
)
from console.problems.service import ProblemApplied, execute_problem, new_problem_number, submit_problem
from console.problems.similar import Suggestions, suggest
from console.sla.store import ticket_id_by_number, ticket_sla
from console.sla.words import clock_lines, timeline_lines
from console.store.codes import code_id, number_id, user_id
from console.store.database import connect
from console.store.summary import WorkspaceSummary, summarize_workspace
from console.store.workspace import Workspace
from console.sync.client import download_if_empty
from console.sync.conflicts import Notice, OpenConflict, dismiss_notices, open_conflicts, resolve, unseen_notices
from console.tickets import breach_watch, edits, queue
from console.tickets import service as tickets
from console.tickets.detail import TicketDetail, attachment_content, load_detail
from console.tickets.queue import Choices, QueueFilter, QueueRow, Sort
from console.tickets.triage import BulkResult, bulk_triage
from console.zone import local_zone
from models import (
    Audience,
    BusinessUnit,
    ChangeRequest,
    ErpModule,
    Impact,
    KnowledgeArticle,
    Priority,
    Problem,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    new_id,
)

if TYPE_CHECKING:
    from console.imports.importer import Preview
    from console.imports.reconcile import Reconciliation
    from console.imports.write import ImportOptions, ImportReport

Clock = Callable[[], datetime]
MakeIntents = Callable[[uuid.UUID], list[tickets.Intent]]  # from the ticket's id, with the values the person saw


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewTicket:
    """A ticket as a person logs it, by codes and login (the window's form and ``ticket new`` alike)."""

    kind: TicketKind
    title: str
    description: str
    impact: Impact
    urgency: Urgency
    unit: str  # business unit code
    module: str  # ERP module code
    reporter: str | None = None  # a login; None: the person logging it
    priority: Priority | None = None  # None: from impact × urgency
    reason: str | None = None  # why the priority differs from the matrix


@dataclass(frozen=True)
class FirstPage:
    total: int
    rows: list[QueueRow]


@dataclass(frozen=True)
class MetricChoices:
    units: list[str]
    modules: list[str]


@dataclass(frozen=True)
class DrillResult:
    rows: list[DrillRow]
    total: int


@dataclass(frozen=True)
class BreachWatch:
    """What the tray shows and tells at one moment: the tickets about to breach, and this person's own that
    reached their warning mark since the last look."""

    at: datetime  # the moment read: the next look's "since"
    soon: list[QueueRow]  # soonest first, up to the limit asked
    soon_total: int
    crossed: list[QueueRow]


@dataclass(frozen=True)
class Evidence:
    number: str
    clocks: list[list[str]]  # in words, as ``console.sla.words`` gives them
    timeline: list[list[str]]


@dataclass
class Desk:
    """One person at one workspace. Every method opens its own connection: call them off the UI thread."""

    workspace: Workspace
    actor: Actor
    clock: Clock = field(default=utc_now)
    _counted: tuple[QueueFilter, int] | None = field(default=None, init=False, repr=False)  # the queue's last count

    @classmethod
    def open(cls, workspace: Workspace, progress: Callable[[str], None] | None = None, clock: Clock = utc_now) -> Desk:
        """The cache opened (migrated if needed), a newly connected desk's first download done, and its person."""
        user = workspace.settings.get("user")
        if not user:
            raise ConsoleError(
                "This workspace has no user yet: create a demo (support-console demo) or set one "
                "(support-console settings user LOGIN)."
            )
        download_if_empty(workspace, progress)
        with connect(workspace.cache()) as conn:
            return cls(workspace, load_actor(conn, str(user)), clock)

    def now(self) -> datetime:
        return self.clock()

    def _read(self) -> Any:
        return self.workspace.reading()

    # ---- the workspace ---------------------------------------------------------------------------------------

    @reads
    def summary(self) -> WorkspaceSummary:
        return summarize_workspace(self.workspace)

    @reads
    def count_visible(self) -> int:
        """Every ticket this person may see, in any status (the status bar's count)."""
        with self._read() as conn:
            return queue.count(conn, self.actor, QueueFilter(statuses=tuple(TicketStatus)), self.now())

    # ---- the queue -------------------------------------------------------------------------------------------

    @reads
    def queue_choices(self) -> Choices:
        with self._read() as conn:
            return queue.choices(conn, self.actor)

    @reads
    def queue_first(self, flt: QueueFilter, sort: Sort, now: datetime, limit: int) -> FirstPage:
        with self._read() as conn:
            total = queue.count(conn, self.actor, flt, now)
            self._counted = (flt, total)  # its later pages are of the same list
            return FirstPage(total, queue.page(conn, self.actor, flt, sort, now, limit=limit, total=total))

    @reads
    def queue_page(
        self,
        flt: QueueFilter,
        sort: Sort,
        now: datetime,
        after: tuple[Any, ...] | None,
        limit: int,
        from_end: bool = False,
        offset: int = 0,
    ) -> list[QueueRow]:
        total = self._counted[1] if self._counted is not None and self._counted[0] == flt else None
        with self._read() as conn:
            return queue.page(
                conn,
                self.actor,
                flt,
                sort,
                now,
                after=after,
                limit=limit,
                from_end=from_end,
                offset=offset,
                total=total,
            )

    @reads
    def breach_watch(self, hours: float, limit: int, since: datetime | None) -> BreachWatch:
        """The tickets due within ``hours`` (up to ``limit``), and — unless ``since`` is None — this person's
        tickets whose warning mark passed after ``since``."""
        now = self.now()
        with self._read() as conn:
            soon, total = breach_watch.about_to_breach(conn, self.actor, now, hours, limit)
            crossed = [] if since is None else breach_watch.crossed_warning(conn, self.actor, since, now)
        return BreachWatch(now, soon, total, crossed)

    def triage(self, ids: Sequence[uuid.UUID], field_name: str, value: Any, reason: str | None) -> Done[BulkResult]:
        result = bulk_triage(self.workspace.cache(), self.actor, ids, field_name, value, self.now(), reason)
        return Done(result, Touched(tickets=frozenset(ids)))

    # ---- one ticket ------------------------------------------------------------------------------------------

    @reads
    def ticket(self, number: str) -> TicketDetail:
        with self._read() as conn:
            return load_detail(conn, self.actor, number, self.now())

    def edit_ticket(self, make: MakeIntents, ticket_id: uuid.UUID, number: str) -> Done[str]:
        """Apply the intents made from the ticket's id (with the base values shown); the value is its number."""
        tickets.execute(self.workspace.cache(), self.actor, make(ticket_id), self.now())
        return Done(number, Touched(tickets=frozenset({ticket_id})))

    def log_ticket(self, new: NewTicket) -> Done[tickets.Applied]:
        """Log a ticket. Its number is taken in the same transaction, so a refused ticket uses up none."""
        engine = self.workspace.cache()
        with engine.begin() as conn:
            intent = tickets.CreateTicket(
                new_id(),
                new.kind,
                new.title,
                new.description,
                new.impact,
                new.urgency,
                code_id(conn, BusinessUnit, new.unit, "business unit"),
                code_id(conn, ErpModule, new.module, "ERP module"),
                user_id(conn, new.reporter) if new.reporter else self.actor.id,
                tickets.new_ticket_number(conn, new.kind, self.workspace.client_id, self.workspace.reserve_numbers),
                new.priority,
                new.reason,
            )
            applied = tickets.submit(conn, self.actor, intent, self.now())
        return Done(applied, Touched(tickets=frozenset({applied.ticket_id})))

    @reads
    def find_id(self, kind: str, number: str) -> uuid.UUID:
        """A problem, change or knowledge article by its number, for a link."""
        model: Any = {"problem": Problem, "change": ChangeRequest, "article": KnowledgeArticle}[kind]
        with self._read() as conn:
            return number_id(conn, model, number)

    def save_attachment(self, attachment_id: uuid.UUID, target: str) -> str:
        with self._read() as conn:
            _name, content = attachment_content(conn, self.actor, attachment_id)
        Path(target).write_bytes(content)
        return target

    @reads
    def evidence(self, number: str, now: datetime) -> Evidence:
        """One ticket's SLA clocks and timeline in words, as they stood at ``now``."""
        with self._read() as conn:
            result = ticket_sla(conn, ticket_id_by_number(conn, number), now)
        return Evidence(number, clock_lines(result), timeline_lines(result))

    # ---- changes ---------------------------------------------------------------------------------------------

    @reads
    def changes(self, which: Which, search: str) -> list[ChangeRow]:
        with self._read() as conn:
            return list_changes(conn, self.actor, self.now(), which, search)

    @reads
    def change(self, change_id: uuid.UUID) -> ChangeDetail:
        with self._read() as conn:
            return load_change(conn, self.actor, change_id, self.now())

    @reads
    def calendar(self, first: date) -> Calendar:
        """The month that starts on ``first``, from midnight to midnight in the person's zone (their calendar)."""
        zone = local_zone()
        start = datetime.combine(first, time(), zone)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        with self._read() as conn:
            return calendar(conn, self.actor, start, datetime.combine(following, time(), zone), self.now())

    @reads
    def change_choices(self) -> ChangeChoices:
        with self._read() as conn:
            return change_choices(conn, self.actor)

    @reads
    def agenda(self, days: int) -> list[ChangeRow]:
        with self._read() as conn:
            return cab_agenda(conn, self.actor, self.now(), days)

    def export_agenda(self, days: int, path: str) -> str:
        now = self.now()
        with self._read() as conn:
            rows = cab_agenda(conn, self.actor, now, days)
        from console.changes.agenda import write_agenda  # with matplotlib's PDF backend: loaded when first wanted

        return str(write_agenda(rows, Path(path), now, days))

    def apply_change(self, make: Callable[[], ChangeIntent]) -> Done[ChangeApplied]:
        applied = execute_change(self.workspace.cache(), self.actor, make(), self.now())
        return Done(applied, Touched(changes=frozenset({applied.change_id})))

    def create_change(self, values: dict[str, Any]) -> Done[ChangeApplied]:
        with self.workspace.cache().begin() as conn:  # the number is taken only if the change is written
            number = new_change_number(conn, self.workspace.client_id)
            applied = submit_change(conn, self.actor, NewChange(new_id(), number, **values), self.now())
        return Done(applied, Touched(changes=frozenset({applied.change_id})))

    def away(self, delegate: uuid.UUID, until: datetime) -> Done[str]:
        now = self.now()
        with self.workspace.cache().begin() as conn:
            said = submit_setting(conn, self.actor, Away(delegate, now, until), now)
        return Done(said, Touched(people=True))

    # ---- metrics ---------------------------------------------------------------------------------------------

    def _scope_codes(self, conn: Connection) -> tuple[str, ...]:
        """The codes of the only units this person may see (a super-user's), or () for all."""
        if not self.actor.scoped:
            return ()
        ids = sorted(self.actor.units, key=str)
        found = conn.execute(select(BusinessUnit.code).where(BusinessUnit.id.in_(ids)).order_by(BusinessUnit.code))
        return tuple(found.scalars())

    @reads
    def metric_choices(self) -> MetricChoices:
        with self._read() as conn:
            scope = self._scope_codes(conn)
            units = list(conn.execute(select(BusinessUnit.code).order_by(BusinessUnit.code)).scalars())
            modules = list(conn.execute(select(ErpModule.code).order_by(ErpModule.code)).scalars())
        return MetricChoices([u for u in units if not scope or u in scope], modules)

    def _narrowed(self, conn: Connection, flt: Filter) -> Filter:
        """A super-user's "All" is all of their own units, and nothing beyond."""
        scope = self._scope_codes(conn)
        return flt.narrowed(units=tuple(u for u in flt.units if u in scope) or scope) if scope else flt

    @reads
    def dashboard(self, flt: Filter, now: datetime) -> Dashboard:
        with self._read() as conn:
            return dashboard(conn, self._narrowed(conn, flt), now)

    @reads
    def knowledge_use(self, flt: Filter) -> Knowledge:
        """Tickets resolved with an article, the articles most used, problem candidates opened as problems."""
        with self._read() as conn:
            return knowledge_use(conn, self._narrowed(conn, flt))

    @reads
    def drill(self, drill: Drill) -> DrillResult:
        with self._read() as conn:
            rows, total = drill_tickets(conn, drill)
        return DrillResult(rows, total)

    # ---- problems ---------------------------------------------------------------------------------------------

    @reads
    def problems(self, flt: ProblemFilter) -> list[ProblemRow]:
        with self._read() as conn:
            return list_problems(conn, self.actor, flt)

    @reads
    def problem(self, number: str) -> ProblemDetail:
        with self._read() as conn:
            return load_problem(conn, self.actor, number)

    def open_problem(
        self, title: str, module: str, priority: Priority, description: str = "",
        incidents: frozenset[uuid.UUID] = frozenset(),
    ) -> Done[ProblemApplied]:  # fmt: skip
        """Open a problem (from candidates: with the incidents it links); its number is taken in the same
        transaction, so a refused one uses none."""
        with self.workspace.cache().begin() as conn:
            intent = NewProblem(
                new_id(), new_problem_number(conn, self.workspace.client_id, self.workspace.reserve_numbers), title,
                code_id(conn, ErpModule, module, "ERP module"), priority, description, incidents=incidents,
            )  # fmt: skip
            applied = submit_problem(conn, self.actor, intent, self.now())
        return Done(applied, Touched(tickets=incidents))

    def edit_problem(self, intent: ProblemIntent) -> Done[ProblemApplied]:
        """Edit, move or link (the intent carries the values the person saw)."""
        applied = execute_problem(self.workspace.cache(), self.actor, intent, self.now())
        linked = intent.incidents if isinstance(intent, LinkIncidents) else frozenset()
        return Done(applied, Touched(tickets=linked))

    @reads
    def known_error(self, ticket_id: uuid.UUID) -> tuple[str, str, str] | None:
        """The known error an incident is linked to: its number, title and workaround (the ticket view shows it)."""
        with self._read() as conn:
            return known_error_for(conn, ticket_id)

    @reads
    def suggestions(
        self, title: str, description: str = "", module_id: uuid.UUID | None = None,
        exclude: uuid.UUID | None = None,
    ) -> Suggestions:  # fmt: skip
        """The published articles, known errors and resolved tickets most like what is typed, best first
        (``console.problems.similar``): for the new-ticket dialog as the title is typed, and the ticket view."""
        with self._read() as conn:
            return suggest(conn, title, description, module_id, actor=self.actor, exclude=exclude)

    def apply_workaround(self, ticket_id: uuid.UUID) -> Done[str]:
        """The known error's workaround added to the incident as a public comment, in one step."""
        with self._read() as conn:
            found = known_error_for(conn, ticket_id)
            number = conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar()
        if found is None or number is None:
            raise ConsoleError(_("This ticket is linked to no known error with a workaround."))
        problem, _title, workaround = found
        body = _("Workaround from known error {problem}:").format(problem=problem) + "\n\n" + workaround
        tickets.execute(self.workspace.cache(), self.actor, [edits.add_note(ticket_id, body, internal=False)],
                        self.now())  # fmt: skip
        return Done(number, Touched(tickets=frozenset({ticket_id})))

    def resolve_incidents(
        self, problem_id: uuid.UUID, reason: str, *, notify: bool = False
    ) -> Done[tuple[list[str], list[str]]]:
        """Resolve the problem's open incidents, each its own audited edit: the numbers resolved, and those the
        workflow or the person's role kept open, each with why. ``notify``: leave them open and tell each of them
        instead, ``reason`` as a public note (its reporter reads it)."""
        with self._read() as conn:
            found = open_incidents(conn, problem_id)
        done: list[str] = []
        kept: list[str] = []
        for ticket_id, number, status in found:
            intent = (
                edits.add_note(ticket_id, reason, internal=False)
                if notify
                else edits.set_status(ticket_id, TicketStatus.RESOLVED, base=status, reason=reason)
            )
            try:
                tickets.execute(self.workspace.cache(), self.actor, [intent], self.now())
            except Refused as why:
                kept.append(f"{number}: {why}")
                continue
            done.append(number)
        return Done((done, kept), Touched(tickets=frozenset(t for t, _n, _s in found)))

    # ---- knowledge --------------------------------------------------------------------------------------------

    @reads
    def articles(self, flt: ArticleFilter) -> list[ArticleRow]:
        with self._read() as conn:
            return list_articles(conn, self.actor, flt)

    @reads
    def article(self, number: str) -> ArticleDetail:
        with self._read() as conn:
            return load_article(conn, self.actor, number)

    @reads
    def article_choices(self) -> ArticleChoices:
        with self._read() as conn:
            return article_choices(conn)

    @reads
    def article_version(self, number: str, version: int) -> Version:
        with self._read() as conn:
            return article_version(conn, self.actor, number, version)

    def write_article(
        self, title: str, body: str, module: str | None, language: str = "en", audience: Audience = Audience.INTERNAL,
        problem: str | None = None,
    ) -> Done[ArticleApplied]:  # fmt: skip
        """Write an article, as a draft; its number is taken in the same transaction, so a refused one uses none."""
        with self.workspace.cache().begin() as conn:
            module_id = code_id(conn, ErpModule, module, "ERP module") if module else None
            problem_id = number_id(conn, Problem, problem) if problem else None
            number = new_article_number(conn, self.workspace.client_id, self.workspace.reserve_numbers)
            intent = NewArticle(new_id(), number, title, body, module_id, language, audience, problem_id)
            return Done(submit_article(conn, self.actor, intent, self.now()), Touched())

    def edit_article(self, intent: ArticleIntent) -> Done[ArticleApplied]:
        """Edit, move, rate or settle a conflict (the intent carries the values the person saw)."""
        return Done(execute_article(self.workspace.cache(), self.actor, intent, self.now()), Touched())

    def export_articles(self, path: str, numbers: Sequence[str] = (), *, tier0: bool = False) -> str:
        """Published articles (those named, or every one for end users) as one HTML or PDF file; its path."""
        with self._read() as conn:
            docs = published_docs(conn, self.actor, numbers, tier0=tier0)
        from console.knowledge.export import write_export  # Markdown and PDF libraries: loaded when first wanted

        title = _("Knowledge base for end users") if tier0 else _("Knowledge base")
        return str(write_export(docs, Path(path), title=title, zone=local_zone(), language=language()))

    # ---- imports ----------------------------------------------------------------------------------------------

    @reads
    def import_preview(self, path: str, options: ImportOptions) -> Preview:
        """How a file would be read: its encoding, source, columns and first rows (``ImportFailed`` if it cannot)."""
        from console.imports import ImportFile

        file = ImportFile(Path(path), source=options.source, mapping=options.mapping, time_zone=options.time_zone)
        return file.preview()

    def import_files(
        self,
        paths: Sequence[str],
        options: ImportOptions,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Done[ImportReport]:
        """Import the files (``console.imports.write.import_files``): all of them, or — refused, stopped or dry —
        nothing."""
        from console.imports.write import import_files

        report = import_files(
            self.workspace.cache(), self.actor, [Path(p) for p in paths], options, self.now(),
            client_id=self.workspace.client_id, reserve=self.workspace.reserve_numbers, progress=progress,
            cancelled=cancelled,
        )  # fmt: skip
        return Done(report, Touched() if options.dry_run else EVERYTHING)

    @reads
    def reconciliation(self) -> Reconciliation:
        """Our SLA outcomes of the imported tickets against the tool's own flag (the metrics view's page)."""
        from console.imports.reconcile import stored_reconciliation

        with self._read() as conn:
            return stored_reconciliation(conn, self.now())

    # ---- sync conflicts --------------------------------------------------------------------------------------

    @reads
    def conflicts(self) -> tuple[list[OpenConflict], list[Notice]]:
        with self._read() as conn:
            return open_conflicts(conn, self.actor), unseen_notices(conn)

    def dismiss(self, notices: list[Notice]) -> int:
        return dismiss_notices(self.workspace.cache(), [n.id for n in notices])

    def resolve_conflict(self, conflict: OpenConflict, resolution: str, value: object) -> Done[str]:
        number = resolve(self.workspace.cache(), self.actor, conflict, resolution, value)
        which = frozenset({conflict.entity_id})
        if conflict.entity_table == "tickets":
            return Done(number, Touched(tickets=which))
        return Done(number, Touched(changes=which))
