"""Every edit a person can make, as a value: the intents the services apply and sync carries.

They live below the services, in one place, so the outbox, its codec and the push can name each kind
(and type what they pass: ``AnyIntent``, never ``Any``) without importing a service; the services
import them from here. An intent carries what the person wants, the values they saw (``base``) and
a mutation id, so the cache and the shared database apply exactly the same edit, once.

Imports only the standard library and ``models``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models import (
    ApprovalDecision,
    ArticleStatus,
    Audience,
    ChangeStage,
    ChangeType,
    Impact,
    Priority,
    ProblemStatus,
    TicketKind,
    TicketStatus,
    Urgency,
    Visibility,
    new_id,
)

# ---- tickets ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketIntent:
    """An edit of one ticket (``CreateTicket``: of a new one)."""

    ticket_id: uuid.UUID
    mutation_id: uuid.UUID = field(default_factory=new_id, kw_only=True)


@dataclass(frozen=True)
class SetField(TicketIntent):
    """Change one field; ``base`` is the value the person saw (it must still be there)."""

    field: str
    value: Any
    base: Any
    reason: str | None = None
    escalation: bool = False


@dataclass(frozen=True)
class SetStatus(TicketIntent):
    status: TicketStatus
    base: TicketStatus
    reason: str | None = None


@dataclass(frozen=True)
class AddComment(TicketIntent):
    body: str
    visibility: Visibility
    comment_id: uuid.UUID = field(default_factory=new_id)


@dataclass(frozen=True)
class LinkArticle(TicketIntent):
    article_id: uuid.UUID
    unlink: bool = False


@dataclass(frozen=True)
class AddAttachment(TicketIntent):
    filename: str
    media_type: str
    content: bytes
    attachment_id: uuid.UUID = field(default_factory=new_id)


@dataclass(frozen=True)
class CreateTicket(TicketIntent):
    kind: TicketKind
    title: str
    description: str
    impact: Impact
    urgency: Urgency
    business_unit_id: uuid.UUID
    module_id: uuid.UUID
    reporter_id: uuid.UUID
    number: str
    priority: Priority | None = None  # None: from impact × urgency
    priority_reason: str | None = None  # required when it overrides the matrix
    category: str | None = None


@dataclass(frozen=True)
class ResolveConflict(TicketIntent):
    """Settle a sync conflict on a ticket field: keep mine, take theirs (as it stands), or set an edited value."""

    conflict_id: uuid.UUID
    resolution: str  # mine, theirs, edited
    value: Any = None  # the edited value


# ---- change requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeIntent:
    """An edit of one change request (``NewChange``: of a new one)."""

    change_id: uuid.UUID
    mutation_id: uuid.UUID = field(default_factory=new_id, kw_only=True)


@dataclass(frozen=True)
class NewChange(ChangeIntent):
    number: str
    title: str
    change_type: ChangeType
    modules: frozenset[uuid.UUID]
    units: frozenset[uuid.UUID]
    description: str = ""
    reason: str = ""
    implementation_plan: str = ""
    test_plan: str = ""
    backout_plan: str = ""
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    template_id: uuid.UUID | None = None
    problems: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class EditChange(ChangeIntent):
    """One field: a text, ``window`` ((start, end)), ``modules`` or ``units`` (sets of ids); ``base`` as seen."""

    field: str
    value: Any
    base: Any


@dataclass(frozen=True)
class ResolveChangeConflict(ChangeIntent):
    """Settle a sync conflict on a change field: keep mine, take theirs (as it stands), or an edited text."""

    conflict_id: uuid.UUID
    resolution: str  # mine, theirs, edited
    value: Any = None  # the edited text


@dataclass(frozen=True)
class AssessRisk(ChangeIntent):
    answers: Mapping[str, str]


@dataclass(frozen=True)
class MoveStage(ChangeIntent):
    to: ChangeStage
    base: ChangeStage
    note: str | None = None


@dataclass(frozen=True)
class Decide(ChangeIntent):
    decision: ApprovalDecision
    comment: str


# ---- a person's own settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Away:
    """While I am away, ``delegate_id`` decides my approvals."""

    delegate_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    mutation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class Back:
    """Back early: my current and future delegations end."""

    mutation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class SetFreezes:
    """The period-end freeze lengths, as ``month=3,2 quarter=5,3 year=7,5`` (administrators, managers)."""

    policy: str
    mutation_id: uuid.UUID = field(default_factory=uuid.uuid4)


SettingIntent = Away | Back | SetFreezes


# ---- the release calendar --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRelease:
    """A new release of a module (or a cancelled one planned again): when its fixes reach production."""

    module_id: uuid.UUID
    name: str
    production_at: datetime
    reason: str = ""
    release_id: uuid.UUID = field(default_factory=new_id)
    mutation_id: uuid.UUID = field(default_factory=new_id)


@dataclass(frozen=True)
class MoveRelease:
    """A planned release reaches production at another time; ``base`` is the time the person saw."""

    release_id: uuid.UUID
    production_at: datetime
    base: datetime
    reason: str = ""
    mutation_id: uuid.UUID = field(default_factory=new_id)


@dataclass(frozen=True)
class CancelRelease:
    """A planned release will not happen: its tickets are due with the next one instead."""

    release_id: uuid.UUID
    reason: str = ""
    mutation_id: uuid.UUID = field(default_factory=new_id)


ReleaseIntent = PlanRelease | MoveRelease | CancelRelease


# ---- problems ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemIntent:
    """An edit of one problem (``NewProblem``: of a new one)."""

    problem_id: uuid.UUID
    mutation_id: uuid.UUID = field(default_factory=new_id, kw_only=True)


@dataclass(frozen=True)
class NewProblem(ProblemIntent):
    """A problem opened (from problem candidates: with the incidents it links, ``incidents``)."""

    number: str
    title: str
    module_id: uuid.UUID
    priority: Priority
    description: str = ""
    business_unit_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    incidents: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class EditProblem(ProblemIntent):
    """Change one field; ``base`` is the value the person saw (it must still be there)."""

    field: str
    value: Any
    base: Any


@dataclass(frozen=True)
class MoveProblem(ProblemIntent):
    """Move it along its lifecycle (``console.problems.rules``); ``base`` is the status the person saw."""

    to: ProblemStatus
    base: ProblemStatus
    reason: str | None = None


@dataclass(frozen=True)
class LinkIncidents(ProblemIntent):
    """Link incidents to the problem (``unlink``: take them off it)."""

    incidents: frozenset[uuid.UUID]
    unlink: bool = False


@dataclass(frozen=True)
class ResolveProblemConflict(ProblemIntent):
    """Settle a conflict on one of the problem's fields: keep ``mine``, take ``theirs``, or an ``edited`` text."""

    conflict_id: uuid.UUID
    resolution: str
    value: Any = None


AnyProblemIntent = NewProblem | EditProblem | MoveProblem | LinkIncidents | ResolveProblemConflict


# ---- knowledge articles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleIntent:
    """An edit of one knowledge article (``NewArticle``: of a new one)."""

    article_id: uuid.UUID
    mutation_id: uuid.UUID = field(default_factory=new_id, kw_only=True)


@dataclass(frozen=True)
class NewArticle(ArticleIntent):
    """An article written, as a draft (from a problem: its known error's workaround, ``problem_id``)."""

    number: str
    title: str
    body: str
    module_id: uuid.UUID | None
    language: str = "en"
    audience: Audience = Audience.INTERNAL
    problem_id: uuid.UUID | None = None


@dataclass(frozen=True)
class EditArticle(ArticleIntent):
    """Change one field; ``base`` is the value the person saw (it must still be there: a text edited on two desks
    meanwhile becomes a conflict to resolve, never an overwrite)."""

    field: str
    value: Any
    base: Any


@dataclass(frozen=True)
class MoveArticle(ArticleIntent):
    """Move it along its lifecycle (``console.knowledge.rules``); ``base`` is the status the person saw."""

    to: ArticleStatus
    base: ArticleStatus
    reason: str | None = None


@dataclass(frozen=True)
class RateArticle(ArticleIntent):
    """Was it helpful: the person's vote (a second one replaces their first)."""

    helpful: bool


@dataclass(frozen=True)
class ResolveArticleConflict(ArticleIntent):
    """Settle a conflict on the article's text: keep ``mine``, take ``theirs``, or an ``edited`` text (``value``)."""

    conflict_id: uuid.UUID
    resolution: str
    value: Any = None


AnyArticleIntent = NewArticle | EditArticle | MoveArticle | RateArticle | ResolveArticleConflict


# ---- a team's history brought in -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportTickets:
    """A batch of tickets brought in from another tool (``console.imports.write``): each created, or brought up
    to date with a newer export, by the tool's own number, with its whole history.

    ``tickets`` are plain mappings (``write.TicketRecord``'s fields), so the outbox's codec carries them as
    they are; ``names`` are the people, groups, units and modules the batch creates first
    (``--create-missing``)."""

    source_system: str
    tickets: tuple[Mapping[str, Any], ...]
    names: tuple[Mapping[str, Any], ...] = ()
    mutation_id: uuid.UUID = field(default_factory=new_id)


# What sync passes from the cache to the shared database: any intent at all.
AnyIntent = TicketIntent | ChangeIntent | SettingIntent | ReleaseIntent | ImportTickets | ProblemIntent | ArticleIntent

# Every kind the outbox carries (an outbox entry names its kind by the class name).
KINDS: tuple[type[AnyIntent], ...] = (
    SetField, SetStatus, AddComment, LinkArticle, AddAttachment, CreateTicket, ResolveConflict,
    NewChange, EditChange, ResolveChangeConflict, AssessRisk, MoveStage, Decide,
    Away, Back, SetFreezes,
    PlanRelease, MoveRelease, CancelRelease,
    ImportTickets,
    NewProblem, EditProblem, MoveProblem, LinkIncidents, ResolveProblemConflict,
    NewArticle, EditArticle, MoveArticle, RateArticle, ResolveArticleConflict,
)  # fmt: skip
