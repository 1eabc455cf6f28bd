"""Problems, knowledge articles and change requests of the demo, with their approvals."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from console.changes.rules import DEFAULT_RULES, Freeze, assess
from console.demo import catalog
from console.demo.reference import Cast
from console.demo.rows import Dice, Rows, audit_row, created_row
from console.demo.tickets import TicketLinks
from console.demo.windows import Slots, board_window, timeline
from console.journal.values import encode
from console.store.numbering import format_number
from models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApproverDelegation,
    ApproverKind,
    ArticleStatus,
    ArticleVersion,
    Audience,
    AuditEvent,
    ChangeApproval,
    ChangeRequest,
    ChangeStage,
    ChangeTemplate,
    ChangeType,
    EntityType,
    FreezeWindow,
    KnowledgeArticle,
    Priority,
    Problem,
    ProblemStatus,
    QuorumKind,
    RiskLevel,
    Role,
    change_business_units,
    change_modules,
    change_problems,
    table_of,
)

HAPPY_PATH = (
    ChangeStage.DRAFT,
    ChangeStage.ASSESSMENT,
    ChangeStage.AWAITING_APPROVAL,
    ChangeStage.APPROVED,
    ChangeStage.IMPLEMENTING_TEST,
    ChangeStage.TEST_PASSED,
    ChangeStage.SCHEDULED,
    ChangeStage.IMPLEMENTED,
    ChangeStage.CLOSED,
)
# Where each stage sits on the path: the stage a change leaves the path from for an end state.
END_STATES = {
    ChangeStage.REJECTED: ChangeStage.AWAITING_APPROVAL,
    ChangeStage.CANCELLED: ChangeStage.ASSESSMENT,
    ChangeStage.FAILED: ChangeStage.SCHEDULED,
}
OUTSIDE_CLOSE = "Fine outside the close window. Approved."
APPROVAL_COMMENTS = (
    "Tested in QA with finance key users; backout plan is clear.",
    OUTSIDE_CLOSE,
    "Risk understood; please keep the vendor on call during the move.",
)
WEIGHTS = (6, 3, 1)  # answers: the first option of a question most often, the last seldom
# Answers that make a change high-risk (score 11): the board and the support managers are asked.
HIGH_RISK_ANSWERS = {
    "business_impact": "critical_process",
    "users_affected": "all",
    "complexity": "integration",
    "tested": "yes",
    "backout": "planned",
    "period_end": "far",
}
BOARD_CHANGES = 2  # high-risk changes awaiting the board at the demo's end, their windows within AGENDA_DAYS
AGENDA_DAYS = 14
# Where a change for the board goes: its module, its unit and its window.
Board = tuple[tuple[catalog.ModuleSpec, uuid.UUID], tuple[catalog.UnitSpec, uuid.UUID], tuple[datetime, datetime]]
CLASHES = "Clashes with the period-end close; resubmit for a window after it."
NO_EVIDENCE = "No test evidence attached."


def build_work(dice: Dice, rows: Rows, cast: Cast, start: datetime, end: datetime, tickets: int) -> TicketLinks:
    links = TicketLinks(dice)
    problems = _problems(dice, rows, cast, links, start, end, max(8, min(3000, tickets // 400)))
    _articles(dice, rows, cast, links, problems, start)
    policies = _approval_policies(dice, rows, cast)
    _changes(dice, rows, cast, problems, policies, start, end, change_count(tickets))
    return links


def change_count(tickets: int) -> int:
    """How many changes a demo of ``tickets`` tickets holds before the ``BOARD_CHANGES`` it adds for the board
    (numbered after them)."""
    return max(24, min(4000, tickets // 250))


def _problems(
    dice: Dice, rows: Rows, cast: Cast, links: TicketLinks, start: datetime, end: datetime, count: int
) -> list[tuple[uuid.UUID, uuid.UUID, ProblemStatus]]:
    out = []
    span = (end - start).total_seconds()
    for n in range(1, count + 1):
        spec, module_id = dice.choice(cast.modules)
        opened = start + timedelta(seconds=dice.uniform(0.05, 0.97) * span)
        age_days = (end - opened).days
        if age_days > 120:
            status = dice.choice((ProblemStatus.RESOLVED, ProblemStatus.CLOSED, ProblemStatus.KNOWN_ERROR))
        else:
            status = dice.choice(list(ProblemStatus)[:4])
        known = status in (ProblemStatus.KNOWN_ERROR, ProblemStatus.RESOLVED, ProblemStatus.CLOSED)
        problem_id = dice.uid()
        owner = dice.choice(cast.consultants_by_module[module_id])
        values = {
            "id": problem_id,
            "number": format_number("PRB", n),
            "title": "Recurring: " + dice.choice(spec.titles).format(n="…"),
            "description": f"Several incidents in {spec.name} share this symptom.",
            "status": status,
            "priority": dice.choice((Priority.HIGH, Priority.MEDIUM, Priority.MEDIUM, Priority.LOW)),
            "module_id": module_id,
            "business_unit_id": None,
            "owner_id": owner,
            "root_cause": "A customising gap left by the go-live cut-over." if known else None,
            "workaround": "Re-run the posting after the period is reopened by finance." if known else None,
            "created_at": opened,
            "known_error_at": opened + timedelta(days=dice.uniform(3, 20)) if known else None,
            "resolved_at": opened + timedelta(days=dice.uniform(25, 110))
            if status in (ProblemStatus.RESOLVED, ProblemStatus.CLOSED)
            else None,
        }
        rows.add(table_of(Problem), **values)
        rows.add(table_of(AuditEvent), **created_row(dice, EntityType.PROBLEM, values, opened, owner, None))
        links.add_problem(module_id, opened, problem_id)
        out.append((problem_id, module_id, status))
    return out


_ARTICLE_BODY = {
    "en": "## When you see this\n\n{title}\n\n## What to do\n\n{steps}\n\n"
    "| If | Then |\n|---|---|\n| It happens again | Log a ticket and link this article |\n",
    "fa": "## چه زمانی رخ می‌دهد\n\n{title}\n\n## چه باید کرد\n\n{steps}\n\n"
    "| اگر | آنگاه |\n|---|---|\n| دوباره رخ داد | یک درخواست ثبت کنید و این مقاله را پیوند دهید |\n",
}
"""A demo article's text: what the reader sees, what to do, and when to ask support (Markdown)."""


def _articles(
    dice: Dice,
    rows: Rows,
    cast: Cast,
    links: TicketLinks,
    problems: list[tuple[uuid.UUID, uuid.UUID, ProblemStatus]],
    start: datetime,
) -> None:
    number = 0
    authors = cast.people(Role.FUNCTIONAL_CONSULTANT)
    reviewers = cast.people(Role.SUPPORT_MANAGER) + authors

    def article(module_id: uuid.UUID, title: str, body: str, language: str, problem_id: uuid.UUID | None) -> None:
        nonlocal number
        number += 1
        article_id = dice.uid()
        written = start + timedelta(days=dice.uniform(0, 300))
        status = ArticleStatus.PUBLISHED if dice.random() < 0.85 else ArticleStatus.DRAFT
        author = dice.choice(authors)
        if status is ArticleStatus.DRAFT and number % 2 == 0:  # some drafts wait for their reviewer
            status = ArticleStatus.IN_REVIEW
        reviewer = next(r for r in reviewers if r != author) if status is not ArticleStatus.DRAFT else None
        text = body if problem_id else _ARTICLE_BODY[language].format(title=title, steps=body)
        row = rows.add(
            table_of(KnowledgeArticle),
            id=article_id,
            number=format_number("KB", number),
            title=title,
            body=text,
            status=status,
            language=language,
            module_id=module_id,
            problem_id=problem_id,
            author_id=author,
            created_at=written,
            updated_at=written,
            audience=Audience.TIER0 if number % 3 == 1 else Audience.INTERNAL,  # a third for end users
            reviewer_id=reviewer,
            version=1,
            published_at=written if status is ArticleStatus.PUBLISHED else None,
            retired_at=None,
        )
        rows.add(table_of(AuditEvent), **created_row(None, EntityType.ARTICLE, {k: v for k, v in row.items()
                                                                               if k not in ("body", "updated_at")},
                                                     written, author, None))  # fmt: skip
        rows.add(
            table_of(ArticleVersion),
            id=uuid.uuid5(article_id, "version 1"),  # as a migrated database numbers an article's first text
            article_id=article_id,
            version=1,
            title=title,
            body=text,
            edited_by_id=author,
            edited_at=written,
        )
        links.add_article(module_id, article_id)

    for spec, module_id in cast.modules:
        for title in spec.titles[:3]:
            article(module_id, "How to fix: " + title.format(n="…"), "1. Check the log.\n2. Apply the fix.", "en", None)
        article(
            module_id,
            "راهنما: " + spec.titles_fa[0].format(n="…"),
            "1. لاگ را بررسی کنید.\n2. اصلاح را اعمال کنید.",
            "fa",
            None,
        )
    for problem_id, module_id, status in problems:
        if status is ProblemStatus.KNOWN_ERROR:
            article(
                module_id,
                "Known error and workaround",
                "Workaround: re-run the posting after reopening.",
                "en",
                problem_id,
            )


@dataclass(frozen=True)
class DemoPolicy:
    id: uuid.UUID
    change_type: ChangeType
    risk: RiskLevel | None
    who: ApproverKind


def _approval_policies(dice: Dice, rows: Rows, cast: Cast) -> list[DemoPolicy]:
    policies: list[DemoPolicy] = []

    def policy(
        name: str, kind: ChangeType, risk: RiskLevel | None, who: ApproverKind, quorum: QuorumKind, value: int | None
    ) -> None:
        policy_id = dice.uid()
        rows.add(
            table_of(ApprovalPolicy),
            id=policy_id,
            name=name,
            change_type=kind,
            risk=risk,
            approver_kind=who,
            group_id=cast.groups["CAB"] if who is ApproverKind.CAB else None,
            quorum_kind=quorum,
            quorum_value=value,
        )
        policies.append(DemoPolicy(policy_id, kind, risk, who))

    for risk in RiskLevel:
        policy(f"Module owner ({risk})", ChangeType.NORMAL, risk, ApproverKind.MODULE_OWNER, QuorumKind.COUNT, 1)
    for risk in (RiskLevel.MEDIUM, RiskLevel.HIGH):
        policy(f"Affected units ({risk})", ChangeType.NORMAL, risk, ApproverKind.UNIT_SUPER_USERS, QuorumKind.COUNT, 1)
    policy("CAB for high-risk changes", ChangeType.NORMAL, RiskLevel.HIGH, ApproverKind.CAB, QuorumKind.PERCENT, 60)
    policy("Emergency CAB", ChangeType.EMERGENCY, None, ApproverKind.CAB, QuorumKind.COUNT, 2)
    return policies


def _changes(
    dice: Dice,
    rows: Rows,
    cast: Cast,
    problems: list[tuple[uuid.UUID, uuid.UUID, ProblemStatus]],
    policies: list[DemoPolicy],
    start: datetime,
    end: datetime,
    count: int,
) -> None:
    templates = []
    for spec, module_id in cast.modules[:4]:
        template_id = dice.uid()
        rows.add(
            table_of(ChangeTemplate),
            id=template_id,
            name=f"Standard: {spec.name} master-data mass update",
            module_id=module_id,
            description="Pre-approved mass update from a validated upload file.",
            implementation_plan="Upload in test, compare totals, upload in production.",
            backout_plan="Reverse with the saved before-image file.",
        )
        templates.append(template_id)
    year = start.year
    windows: list[Freeze] = []
    while year <= end.year:
        freeze_start = datetime(year, 12, 24, tzinfo=start.tzinfo)
        freeze = Freeze(f"Year-end freeze {year}", freeze_start, freeze_start + timedelta(days=13))
        rows.add(
            table_of(FreezeWindow),
            id=dice.uid(),
            name=freeze.name,
            reason="Year-end close and audit: no production changes.",
            starts_at=freeze.starts_at,
            ends_at=freeze.ends_at,
            module_id=None,
            business_unit_id=None,
        )
        windows.append(freeze)
        year += 1
    slots = Slots(cast.calendars, windows)
    approvers = cast.people(Role.CHANGE_APPROVER)
    away = approvers[0]
    rows.add(
        table_of(ApproverDelegation),
        id=dice.uid(),
        approver_id=away,
        delegate_id=approvers[1],
        starts_at=end - timedelta(days=5),
        ends_at=end + timedelta(days=10),
    )
    span = (end - start).total_seconds()
    every_stage = list(HAPPY_PATH) + list(END_STATES)
    for n in range(1, count + 1):
        stage = every_stage[n - 1] if n <= len(every_stage) else None
        recent = stage is not None and stage not in (ChangeStage.CLOSED, ChangeStage.REJECTED, ChangeStage.CANCELLED)
        opened = (
            end - timedelta(days=dice.uniform(3, 25))
            if recent
            else start + timedelta(seconds=dice.uniform(0.05, 0.9) * span)
        )
        if stage is None:
            stage = _stage_for_age((end - opened).days, dice)
        _change(dice, rows, cast, slots, problems, policies, templates, n, stage, opened, end)
    _for_the_board(dice.side("for the board"), rows, cast, slots, problems, policies, templates, count, end)


def _for_the_board(
    dice: Dice,
    rows: Rows,
    cast: Cast,
    slots: Slots,
    problems: list[tuple[uuid.UUID, uuid.UUID, ProblemStatus]],
    policies: list[DemoPolicy],
    templates: list[uuid.UUID],
    count: int,
    end: datetime,
) -> None:
    """High-risk normal changes still awaiting approval, planned outside every freeze within the next fortnight:
    the CAB agenda and the support managers' "Awaiting my decision". Numbered after the others, from their own
    dice, so the rest of the demo is what it was without them."""
    pairs = [(m, u) for m in cast.modules for u in cast.units]
    dice.shuffle(pairs)
    n = count
    for module, unit in pairs:
        if n == count + BOARD_CHANGES:
            break
        window = board_window(dice, slots, module[1], unit[1], end, AGENDA_DAYS)
        if window is None:
            continue
        n += 1
        opened = end - timedelta(days=dice.uniform(2, 6))
        board = (module, unit, window)
        _change(
            dice, rows, cast, slots, problems, policies, templates, n, ChangeStage.AWAITING_APPROVAL, opened, end, board
        )


def _stage_for_age(age_days: int, dice: Dice) -> ChangeStage:
    if age_days > 30:
        return dice.choices(
            (ChangeStage.CLOSED, ChangeStage.REJECTED, ChangeStage.CANCELLED, ChangeStage.FAILED), weights=(82, 8, 6, 4)
        )[0]
    return dice.choice(HAPPY_PATH[:-1])


def _change(
    dice: Dice,
    rows: Rows,
    cast: Cast,
    slots: Slots,
    problems: list[tuple[uuid.UUID, uuid.UUID, ProblemStatus]],
    policies: list[DemoPolicy],
    templates: list[uuid.UUID],
    n: int,
    stage: ChangeStage,
    opened: datetime,
    end: datetime,
    board: Board | None = None,
) -> None:
    """One change; with ``board``, a high-risk normal change in that module and unit, waiting for approval, with
    that window."""
    if board is None:
        spec, module_id = dice.choice(cast.modules)
        unit_spec, unit_id = dice.choice(cast.units)
        kind = dice.choices((ChangeType.NORMAL, ChangeType.STANDARD, ChangeType.EMERGENCY), weights=(75, 18, 7))[0]
    else:
        (spec, module_id), (unit_spec, unit_id), _ = board
        kind = ChangeType.NORMAL
    if kind is ChangeType.STANDARD and stage in (ChangeStage.AWAITING_APPROVAL, ChangeStage.REJECTED):
        kind = ChangeType.NORMAL  # a standard change is pre-approved: it never waits for approvers
    requester = dice.choice(cast.consultants_by_module[module_id])
    answers = (
        {q.key: dice.choices(list(q.options), weights=WEIGHTS[: len(q.options)])[0] for q in DEFAULT_RULES.questions}
        if board is None
        else dict(HIGH_RISK_ANSWERS)
    )
    risk = assess(answers).level
    change_id = dice.uid()
    path = list(HAPPY_PATH[: HAPPY_PATH.index(END_STATES.get(stage, stage)) + 1])
    if stage in END_STATES:
        path.append(stage)
    if stage is ChangeStage.FAILED and (end - opened).days > 30:
        path.append(ChangeStage.CLOSED)  # backed out long ago, and reviewed since
    if kind is ChangeType.STANDARD and ChangeStage.AWAITING_APPROVAL in path:
        path.remove(ChangeStage.AWAITING_APPROVAL)
    opened, (planned_start, planned_end), moves = timeline(
        dice, slots, module_id, unit_id, path, opened, end, board[2] if board else None
    )
    values = {
        "id": change_id,
        "number": format_number("CHG", n),
        "title": f"{spec.name}: "
        + dice.choice(("correct posting rule", "new approval step", "report change", "patch")),
        "change_type": kind,
        "stage": ChangeStage.DRAFT,
        "risk": None,
        "risk_answers": None,
        "template_id": dice.choice(templates) if kind is ChangeType.STANDARD else None,
        "requester_id": requester,
        "owner_id": requester,
        "description": f"Change to {spec.name} for {unit_spec.name}.",
        "reason": "Fixes recurring incidents reported after go-live.",
        "implementation_plan": "1. Transport to QA. 2. Key-user test. 3. Transport to production in the window.",
        "test_plan": "Key users re-run the failing scenario and the month-end checklist.",
        "test_evidence": None,
        "backout_plan": "Re-import the previous transport; restore the customising table from backup.",
        "planned_start": planned_start,
        "planned_end": planned_end,
        "implemented_at": None,
        "review_notes": None,
        "reviewed_at": None,
        "created_at": opened,
    }
    events = [created_row(dice, EntityType.CHANGE, values, opened, requester, unit_id)]
    now = opened
    at: dict[ChangeStage, datetime] = {}
    for previous, step, now in zip(path[:-1], path[1:], moves, strict=True):
        at[step] = now
        values["stage"] = step
        events.append(
            audit_row(
                dice,
                entity_type=EntityType.CHANGE,
                entity_id=change_id,
                at=now,
                seq=len(events) + 1,  # the change's events, in the order they happen
                actor_id=requester,
                unit_id=unit_id,
                field="stage",
                old=encode(previous),
                new=encode(step),
            )
        )
        if step is ChangeStage.ASSESSMENT:
            values["risk"] = risk
            values["risk_answers"] = json.dumps(answers, sort_keys=True)
        elif step is ChangeStage.TEST_PASSED:
            values["test_evidence"] = "QA run attached: 14/14 scenarios passed."
        elif step is ChangeStage.IMPLEMENTED:
            values["implemented_at"] = now
        elif step is ChangeStage.CLOSED:
            values["review_notes"] = (
                "Post-implementation review: backed out cleanly; the fix returns as a new change."
                if previous is ChangeStage.FAILED
                else "Post-implementation review: incidents stopped."
            )
            values["reviewed_at"] = now
    values["updated_at"] = now
    rows.add(table_of(ChangeRequest), **values)
    rows.extend(table_of(AuditEvent), events)
    rows.add(change_modules, change_id=change_id, module_id=module_id)
    rows.add(change_business_units, change_id=change_id, business_unit_id=unit_id)
    related = [p for p, m, _ in problems if m == module_id]
    if related and dice.random() < 0.4:
        rows.add(change_problems, change_id=change_id, problem_id=dice.choice(related))
    if ChangeStage.AWAITING_APPROVAL in path:
        asked = at[ChangeStage.AWAITING_APPROVAL]
        after = (
            path[path.index(ChangeStage.AWAITING_APPROVAL) + 1] if stage is not ChangeStage.AWAITING_APPROVAL else None
        )
        decided_by = at[after] if after else end
        chosen = [p for p in policies if p.change_type is kind and p.risk in (None, risk)]
        frozen = slots.frozen(module_id, unit_id, planned_start, planned_end)
        _approvals(dice, rows, cast, chosen, change_id, module_id, unit_id, requester, stage, asked, decided_by, frozen)


def _approvers(cast: Cast, policy: DemoPolicy, module_id: uuid.UUID, unit_id: uuid.UUID) -> list[uuid.UUID]:
    """Whom a policy asks, as ``changes.approvals.required_approvers`` finds them (the requester is left out later)."""
    if policy.who is ApproverKind.MODULE_OWNER:
        return cast.consultants_by_module[module_id]
    if policy.who is ApproverKind.UNIT_SUPER_USERS:
        return cast.super_users_by_unit[unit_id]
    return cast.people(Role.CHANGE_APPROVER) + cast.people(Role.SUPPORT_MANAGER)


def _approvals(
    dice: Dice,
    rows: Rows,
    cast: Cast,
    policies: list[DemoPolicy],
    change_id: uuid.UUID,
    module_id: uuid.UUID,
    unit_id: uuid.UUID,
    requester: uuid.UUID,
    stage: ChangeStage,
    asked: datetime,
    decided_by: datetime,
    frozen: bool,
) -> None:
    """One row per policy and approver. Past approval every approver said yes; a rejected change's last
    approver said no; one still waiting has some of its first policy's approvers decided, never all of them.
    Comments say what is true of the window: only one outside every freeze is "fine outside the close window",
    and only one inside a freeze "clashes with the close"."""
    approving = [c for c in APPROVAL_COMMENTS if not (frozen and c == OUTSIDE_CLOSE)]
    for index, policy in enumerate(policies):
        approvers = sorted(p for p in set(_approvers(cast, policy, module_id, unit_id)) if p != requester)
        for position, approver in enumerate(approvers):
            if stage is ChangeStage.AWAITING_APPROVAL:
                decision = (
                    ApprovalDecision.APPROVED
                    if index == 0 and len(policies) > 1 and dice.random() < 0.5
                    else ApprovalDecision.PENDING
                )
            elif stage is ChangeStage.REJECTED and index == len(policies) - 1 and position == len(approvers) - 1:
                decision = ApprovalDecision.REJECTED
            else:
                decision = ApprovalDecision.APPROVED
            decided = decision is not ApprovalDecision.PENDING
            rows.add(
                table_of(ChangeApproval),
                id=dice.uid(),
                change_id=change_id,
                policy_id=policy.id,
                approver_id=approver,
                decided_by_id=approver if decided else None,
                decision=decision,
                comment=(CLASHES if frozen else NO_EVIDENCE)
                if decision is ApprovalDecision.REJECTED
                else dice.choice(approving)
                if decided
                else None,
                requested_at=asked,
                decided_at=asked + (decided_by - asked) * dice.uniform(0.1, 0.9) if decided else None,
            )
