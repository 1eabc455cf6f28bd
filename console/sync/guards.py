"""PostgreSQL: the invariants a row policy cannot say, checked by the database for every person's write.

A policy sees one row; these rules compare a row with what it was or with other rows. They are the
rules the desk runs first (``console.tickets.workflow``, ``console.tickets.service``, ``console.changes.service``,
``console.changes.rules``), generated from the same constants, so the desk's clear message comes first and
the database's refusal is the backstop against a modified desk or ``psql``:

- a ticket: each field only by a role with its capability (triage, work; a tier-1 analyst works only
  tickets at the service desk), its status only along the workflow, nothing of a closed one, and a new
  one logged as New;
- a change request: steered (edited, assessed, moved) only by its requester, owner or a coordinator,
  along the stage graph; Approved only once its approvals' quorum is met (or a standard change from
  assessment), Rejected only by a required rejection; sent for approval only with every approver its
  policies name asked, none else (``sc_required_approvers`` is ``changes.approvals.required_approvers``);
- a decision: by the approver or their delegate while away, never by the change's requester, on a change
  awaiting approval (or an emergency after it went ahead), once;
- an imported ticket (one with the other tool's number, ``source_key``) is written as that tool had it, in any
  state, only by a person who may import (``Can.IMPORT``: managers), who may also bring it up to date later;
- a problem: opened as New with a number of one's own, worked only by the roles that work problems, along its
  lifecycle with what each status asks for (``console.problems.rules``), closed by its owner or a manager;
- an article: written by those who write articles, as a draft of version 1 in the author's own name with a
  number of their own; moved along its lifecycle (``console.knowledge.rules``), to review only with a reviewer who
  is not its author, published only by that reviewer or a support manager who did not write it; its text and
  fields edited only while a draft or in review, each title or body saved as the next version, with that
  version's text written first in the editor's name (``article_versions``: a version is the next text of a draft
  or one in review, and no version outlives its transaction ahead of its article); stamped published or retired
  only on that move, its number, author and creation never changed;
- a number block: the next free range of its series, at most ``BLOCK_MAX`` numbers, in the name of the role
  that reserved it; a ticket or change is numbered only from a block of the person's own;
- a conflict names the other side, the author of the value the edit met (who may read it with its author).

The functions are SECURITY INVOKER (they judge ``current_user``, the connected person, and read under
their policies), with a pinned search path and schema-qualified names; only the person group may call
the helpers, and trigger functions need no EXECUTE at all. Administrators' writes pass unchecked.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from console.access import ANALYST_WORKS_UP_TO_TIER, ROLE_CAN, Can
from console.changes.rules import STAGE_MOVES, TEXT_GATES
from console.changes.stages import COORDINATORS, PLANNING
from console.knowledge import rules as article_rules
from console.problems import rules as problem_rules
from console.store.numbering import BLOCK_MAX, SERIES
from console.sync.roles import PINNED, grant_execute, quoted
from console.tickets.service import EDITABLE
from console.tickets.workflow import TRANSITIONS
from models import ArticleStatus, ChangeStage, ChangeType, Role, metadata

REFUSE = "RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE ="


def _array(values: list[str]) -> str:
    return f"ARRAY[{', '.join(quoted(v) for v in values)}]"


def _may() -> str:
    """``sc_may(who, capability, tier)``: what a role may do to a ticket it sees (``access.ROLE_CAN``)."""
    cases = []
    for role, caps in ROLE_CAN.items():
        rule = f"cap = ANY ({_array(sorted(c.name.lower() for c in caps))})"
        if role is Role.SERVICE_DESK_ANALYST:
            rule += f" AND (cap <> 'work' OR tier IS NULL OR tier <= {ANALYST_WORKS_UP_TO_TIER})"
        cases.append(f"WHEN {quoted(role.value)} THEN {rule}")
    return f"""CREATE OR REPLACE FUNCTION public.sc_may(who name, cap text, tier integer) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT COALESCE(CASE public.sc_role(who) {" ".join(cases)} ELSE false END, false)
$$"""


def _row(prefix: str, columns: list[str]) -> str:
    return f"ROW({', '.join(f'{prefix}.{c}' for c in columns)})"


def _changed(columns: list[str]) -> str:
    return f"{_row('NEW', columns)} IS DISTINCT FROM {_row('OLD', columns)}"


PLANNED = _array(sorted(s.value for s in PLANNING))
FUNCTIONS: tuple[str, ...] = (
    _may(),
    f"""CREATE OR REPLACE FUNCTION public.sc_may_work_on(who name, ticket uuid) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT EXISTS (SELECT 1 FROM public.tickets t WHERE t.id = ticket AND public.sc_may(who, 'work', t.tier))
$$""",
    # changes._may_steer; a super-user's change with no unit yet is the one being created.
    f"""CREATE OR REPLACE FUNCTION public.sc_may_steer(who name, change uuid) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.change_requests c
    WHERE c.id = change
      AND (public.sc_me(who) IN (c.requester_id, c.owner_id)
           OR COALESCE(public.sc_role(who) = ANY ({_array(sorted(r.value for r in COORDINATORS))}), false))
      AND (public.sc_sees_all(who)
           OR NOT EXISTS (SELECT 1 FROM public.change_business_units b WHERE b.change_id = c.id)
           OR EXISTS (SELECT 1 FROM public.change_business_units b
                      WHERE b.change_id = c.id AND b.business_unit_id = ANY (public.sc_units(who)))))
$$""",
    f"""CREATE OR REPLACE FUNCTION public.sc_may_plan(who name, change uuid) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT public.sc_may_steer(who, change)
     AND EXISTS (SELECT 1 FROM public.change_requests c WHERE c.id = change AND c.stage = ANY ({PLANNED}))
$$""",
    f"""CREATE OR REPLACE FUNCTION public.sc_may_ask(who name, change uuid) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT public.sc_may_steer(who, change)
     AND EXISTS (SELECT 1 FROM public.change_requests c WHERE c.id = change AND c.stage = 'assessment')
$$""",
    # changes.approvals.required_approvers: each policy that applies, and the people it asks (never the requester).
    f"""CREATE OR REPLACE FUNCTION public.sc_required_approvers(change uuid)
RETURNS TABLE (policy_id uuid, user_id uuid)
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT p.id, u.id
  FROM public.change_requests c
  JOIN public.approval_policies p ON p.change_type = c.change_type AND (p.risk IS NULL OR p.risk = c.risk)
  JOIN public.users u ON u.active AND u.id <> c.requester_id
  WHERE c.id = change AND CASE p.approver_kind
    WHEN 'module_owner' THEN EXISTS (
      SELECT 1 FROM public.change_modules cm
      JOIN public.erp_modules m ON m.id = cm.module_id
      JOIN public.group_members g ON g.group_id = m.owner_group_id
      WHERE cm.change_id = c.id AND g.user_id = u.id)
    WHEN 'unit_super_users' THEN u.role = 'super_user' AND EXISTS (
      SELECT 1 FROM public.change_business_units b
      JOIN public.memberships ms ON ms.business_unit_id = b.business_unit_id
      WHERE b.change_id = c.id AND ms.user_id = u.id)
    ELSE EXISTS (SELECT 1 FROM public.group_members g WHERE g.group_id = p.group_id AND g.user_id = u.id)
  END
$$""",
    # Every policy that applies asks someone, and the change's approval rows are exactly those people, undecided.
    f"""CREATE OR REPLACE FUNCTION public.sc_approvals_asked(change uuid) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT EXISTS (SELECT 1 FROM public.sc_required_approvers(change))
     AND NOT EXISTS (
       SELECT 1 FROM public.change_requests c
       JOIN public.approval_policies p ON p.change_type = c.change_type AND (p.risk IS NULL OR p.risk = c.risk)
       WHERE c.id = change
         AND NOT EXISTS (SELECT 1 FROM public.sc_required_approvers(change) r WHERE r.policy_id = p.id))
     AND NOT EXISTS (
       SELECT r.policy_id, r.user_id FROM public.sc_required_approvers(change) r
       EXCEPT SELECT a.policy_id, a.approver_id FROM public.change_approvals a WHERE a.change_id = change)
     AND NOT EXISTS (SELECT 1 FROM public.change_approvals a WHERE a.change_id = change AND a.decision <> 'pending')
$$""",
    # change_rules.approval_outcome: 'rejected' by any required no; 'approved' when every rule's quorum is met.
    f"""CREATE OR REPLACE FUNCTION public.sc_approval_outcome(change uuid) RETURNS text
LANGUAGE sql STABLE {PINNED} AS $$
  WITH asked AS (
    SELECT a.policy_id, a.approver_id, a.decision FROM public.change_approvals a WHERE a.change_id = change),
  yes AS (SELECT DISTINCT approver_id FROM asked WHERE decision = 'approved'),
  rules AS (
    SELECT pg_catalog.count(DISTINCT q.approver_id) AS n,
           pg_catalog.count(DISTINCT q.approver_id) FILTER (WHERE q.approver_id IN (SELECT approver_id FROM yes)) AS y,
           COALESCE(MIN(p.quorum_kind), 'all') AS kind, MIN(p.quorum_value) AS value
    FROM asked q LEFT JOIN public.approval_policies p ON p.id = q.policy_id
    GROUP BY q.policy_id)
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM asked WHERE decision = 'rejected') THEN 'rejected'
    WHEN NOT EXISTS (SELECT 1 FROM rules) THEN NULL
    WHEN (SELECT pg_catalog.bool_and(CASE kind
            WHEN 'all' THEN y = n AND n > 0
            WHEN 'count' THEN y >= GREATEST(1, COALESCE(value, 1))
            ELSE n > 0 AND 100 * y >= COALESCE(value, 100) * n END) FROM rules) THEN 'approved'
  END
$$""",
    # A number of a block the person's own role reserved (or one of an earlier release, which names no one).
    f"""CREATE OR REPLACE FUNCTION public.sc_own_number(who name, num text) RETURNS boolean
LANGUAGE sql STABLE {PINNED} AS $$
  SELECT EXISTS (
    SELECT 1 FROM (SELECT pg_catalog.regexp_match(num, '^([A-Z]+)-([0-9]{{1,9}})$') AS m) p
    JOIN public.number_blocks b ON b.series = p.m[1]
    WHERE CAST(p.m[2] AS integer) BETWEEN b.first AND b.last AND (b.reserved_by = who OR b.reserved_by IS NULL))
$$""",
)
HELPERS = ("sc_may(name, text, integer)", "sc_may_work_on(name, uuid)", "sc_may_steer(name, uuid)",
           "sc_may_plan(name, uuid)", "sc_may_ask(name, uuid)", "sc_required_approvers(uuid)",
           "sc_approvals_asked(uuid)", "sc_approval_outcome(uuid)", "sc_own_number(name, text)")  # fmt: skip

PERSON = """  IF NOT public.sc_is_person(who) THEN RETURN NEW; END IF;
  me := public.sc_me(who);
  IF me IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
      MESSAGE = pg_catalog.format('%s is not an active person of this database', who);
  END IF;"""

TICKET_MOVES = _array(sorted(f"{old}>{new}" for old, moves in TRANSITIONS.items() for new in moves))
WORK = sorted(f for f, can in EDITABLE.items() if can is Can.WORK)
TRIAGE = sorted(f for f, can in EDITABLE.items() if can is Can.TRIAGE)
TICKETS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_tickets() RETURNS trigger LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; role text;
BEGIN
{PERSON}
  role := public.sc_role(who);
  IF TG_OP = 'INSERT' THEN
    IF NOT public.sc_may(who, 'log', NULL) THEN
      {REFUSE} pg_catalog.format('A %s cannot log tickets.', role);
    END IF;
    IF (NEW.status <> 'new' OR NEW.reopen_count <> 0 OR NEW.resolved_at IS NOT NULL OR NEW.closed_at IS NOT NULL)
       AND NOT (NEW.source_key IS NOT NULL AND public.sc_may(who, 'import', NULL)) THEN
      {REFUSE} 'A ticket is logged as New.';
    END IF;
    IF NOT public.sc_own_number(who, NEW.number) THEN
      {REFUSE} pg_catalog.format('%s is not a number of a block %s reserved.', NEW.number, who);
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.source_key IS NOT NULL AND public.sc_may(who, 'import', NULL) THEN
    RETURN NEW;  -- an importer brings an imported ticket's history up to date as the other tool had it
  END IF;
  IF OLD.status = 'closed' AND {_changed(sorted(EDITABLE))} THEN
    {REFUSE} pg_catalog.format('%s is closed; reopen it to change it.', OLD.number);
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    IF (OLD.status || '>' || NEW.status) <> ALL ({TICKET_MOVES}) THEN
      {REFUSE} pg_catalog.format('A ticket cannot go from %s to %s.', OLD.status, NEW.status);
    END IF;
    IF NEW.status IN ('assigned', 'in_progress') AND NEW.assignee_id IS NULL THEN
      {REFUSE} pg_catalog.format('Assign the ticket to someone before it goes to %s.', NEW.status);
    END IF;
    IF NOT (public.sc_may(who, 'work', OLD.tier)
            OR (OLD.status = 'new' AND NEW.status = 'assigned' AND NEW.assignee_id IS DISTINCT FROM OLD.assignee_id
                AND public.sc_may(who, 'triage', NULL))) THEN
      {REFUSE} pg_catalog.format('A %s cannot change the status of %s.', role, OLD.number);
    END IF;
  END IF;
  IF {_changed(WORK)} AND NOT public.sc_may(who, 'work', OLD.tier) THEN
    {REFUSE} pg_catalog.format('A %s cannot work %s.', role, OLD.number);
  END IF;
  IF {_changed(TRIAGE)} AND NOT public.sc_may(who, 'triage', NULL) THEN
    {REFUSE} pg_catalog.format('A %s cannot triage %s.', role, OLD.number);
  END IF;
  RETURN NEW;
END $$"""


def _texts(gate: str) -> str:
    """The gate's texts are there: something other than spaces in each (``rules._gate``)."""
    return " AND ".join(f"COALESCE(NEW.{column} ~ '[^[:space:]]', false)" for column, _ in TEXT_GATES[gate])


WINDOW = "NEW.planned_start IS NOT NULL AND NEW.planned_end IS NOT NULL"
# The stage gates of ``changes.rules._gate`` that read the change itself (approvals are below): what it must
# have to enter each stage.
GATES = f"""(NEW.stage <> '{ChangeStage.ASSESSMENT}' OR ({_texts("assessment")}
      AND EXISTS (SELECT 1 FROM public.change_modules m WHERE m.change_id = NEW.id)
      AND EXISTS (SELECT 1 FROM public.change_business_units b WHERE b.change_id = NEW.id)))
    AND (NOT (NEW.stage = '{ChangeStage.AWAITING_APPROVAL}' OR (NEW.stage = '{ChangeStage.APPROVED}'
              AND OLD.stage = '{ChangeStage.ASSESSMENT}'))
         OR (NEW.risk IS NOT NULL AND {_texts("approval")} AND {WINDOW} AND NEW.planned_start < NEW.planned_end))
    AND (NEW.stage <> '{ChangeStage.TEST_PASSED}' OR {_texts("test_passed")})
    AND (NEW.stage <> '{ChangeStage.SCHEDULED}' OR ({WINDOW}))
    AND (NEW.stage <> '{ChangeStage.CLOSED}' OR {_texts("closed")})"""
CHANGE_MOVES = _array(sorted(f"{old}>{new}" for old, moves in STAGE_MOVES.items() for new in moves))
S = ChangeStage
STEERING = sorted(c.name for c in metadata.tables["change_requests"].columns if c.name not in ("stage", "updated_at"))
CHANGES = f"""CREATE OR REPLACE FUNCTION public.sc_guard_change_requests() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; outcome text;
BEGIN
{PERSON}
  IF TG_OP = 'INSERT' THEN
    IF NOT public.sc_own_number(who, NEW.number) THEN
      {REFUSE} pg_catalog.format('%s is not a number of a block %s reserved.', NEW.number, who);
    END IF;
    RETURN NEW;
  END IF;
  IF NOT public.sc_may_steer(who, OLD.id) THEN
    IF {_changed(STEERING)}
       OR (NEW.stage IS DISTINCT FROM OLD.stage
           AND NOT (OLD.stage = '{S.AWAITING_APPROVAL}' AND NEW.stage IN ('{S.APPROVED}', '{S.REJECTED}')))
       OR NOT EXISTS (SELECT 1 FROM public.change_approvals a WHERE a.change_id = OLD.id AND a.decided_by_id = me) THEN
      {REFUSE} pg_catalog.format('Only the requester or owner of %s, a change approver or a support manager can '
                                 'change it.', OLD.number);
    END IF;
  END IF;
  IF NEW.risk IS DISTINCT FROM OLD.risk AND OLD.stage <> ALL ({PLANNED}) THEN
    {REFUSE} pg_catalog.format('%s is %s; its risk was assessed before approval.', OLD.number, OLD.stage);
  END IF;
  IF NEW.stage IS DISTINCT FROM OLD.stage THEN
    IF (OLD.stage || '>' || NEW.stage) <> ALL ({CHANGE_MOVES}) THEN
      {REFUSE} pg_catalog.format('A change cannot go from %s to %s.', OLD.stage, NEW.stage);
    END IF;
    IF NOT ({GATES}) THEN
      {REFUSE} pg_catalog.format('%s needs what its stage %s asks for first (a description, plans, a window, '
                                 'evidence or a review).', OLD.number, NEW.stage);
    END IF;
    outcome := public.sc_approval_outcome(OLD.id);
    IF NEW.stage = '{S.APPROVED}' AND outcome IS DISTINCT FROM 'approved'
       AND NOT (OLD.stage = '{S.ASSESSMENT}' AND OLD.change_type = '{ChangeType.STANDARD}') THEN
      {REFUSE} pg_catalog.format('%s is not approved: the quorum of its approvals is not met.', OLD.number);
    END IF;
    IF NEW.stage = '{S.REJECTED}' AND outcome IS DISTINCT FROM 'rejected' THEN
      {REFUSE} pg_catalog.format('%s is not rejected by any of its approvers.', OLD.number);
    END IF;
    IF OLD.stage = '{S.AWAITING_APPROVAL}' AND NEW.stage = '{S.SCHEDULED}'
       AND OLD.change_type <> '{ChangeType.EMERGENCY}' THEN
      {REFUSE} pg_catalog.format('Only an emergency change may go ahead of its approval (%s).', OLD.number);
    END IF;
    IF NEW.stage = '{S.AWAITING_APPROVAL}' AND NOT public.sc_approvals_asked(OLD.id) THEN
      {REFUSE} pg_catalog.format('%s goes for approval with every approver its policies name asked, and no one '
                                 'else.', OLD.number);
    END IF;
  END IF;
  RETURN NEW;
END $$"""

APPROVALS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_change_approvals() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; c record;
BEGIN
{PERSON}
  IF OLD.decision <> 'pending' THEN
    {REFUSE} pg_catalog.format('This approval was already decided (%s).', OLD.decision);
  END IF;
  IF NEW.decision NOT IN ('approved', 'rejected') OR NEW.decided_by_id IS DISTINCT FROM me
     OR NEW.decided_at IS NULL OR NEW.decided_at < OLD.requested_at THEN
    {REFUSE} 'A decision approves or rejects, in the name of the one deciding, after it was asked.';
  END IF;
  SELECT r.requester_id, r.stage, r.change_type, r.number INTO c
  FROM public.change_requests r WHERE r.id = OLD.change_id;
  IF me = c.requester_id THEN
    {REFUSE} 'The requester of a change cannot decide on it, not even in someone else''s name.';
  END IF;
  IF NOT (c.stage = '{S.AWAITING_APPROVAL}'
          OR (c.change_type = '{ChangeType.EMERGENCY}' AND c.stage IN ('{S.SCHEDULED}', '{S.IMPLEMENTED}'))) THEN
    {REFUSE} pg_catalog.format('%s is %s, not awaiting approval.', c.number, c.stage);
  END IF;
  IF me <> OLD.approver_id AND NOT EXISTS (
       SELECT 1 FROM public.approver_delegations d
       WHERE d.approver_id = OLD.approver_id AND d.delegate_id = me
         AND d.starts_at <= NEW.decided_at AND NEW.decided_at < d.ends_at) THEN
    {REFUSE} 'Only the approver, or their delegate while they are away, can decide here.';
  END IF;
  IF NOT public.sc_sees_all(who) AND NOT EXISTS (
       SELECT 1 FROM public.change_business_units b
       WHERE b.change_id = OLD.change_id AND b.business_unit_id = ANY (public.sc_units(who))) THEN
    {REFUSE} pg_catalog.format('%s is a super-user of other business units and cannot see %s.', who, c.number);
  END IF;
  RETURN NEW;
END $$"""

NUMBER_BLOCKS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_number_blocks() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; top integer;
BEGIN
  NEW.reserved_by := who;  -- whoever reserves it, an administrator too; the desk's value is ignored
{PERSON}
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('number_blocks:' || NEW.series));
  SELECT COALESCE(MAX(b.last), 0) INTO top FROM public.number_blocks b WHERE b.series = NEW.series;
  IF NEW.series <> ALL ({_array(list(SERIES))}) OR NEW.first <> top + 1 OR NEW.next_free <> NEW.first
     OR NEW.last < NEW.first OR NEW.last - NEW.first >= {BLOCK_MAX} THEN
    {REFUSE} pg_catalog.format('A number block is the next free range of its series, at most %s numbers.', {BLOCK_MAX});
  END IF;
  RETURN NEW;
END $$"""

# Whose value a conflicting edit met: the author of the latest event of that field (anyone's write, the
# administrator's too, names it; what a desk sends in its place is ignored).
CONFLICTS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_sync_conflicts() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
BEGIN
  NEW.theirs_user_id := (
    SELECT e.actor_id FROM public.audit_events e
    WHERE e.entity_type = CASE NEW.entity_table WHEN 'tickets' THEN 'ticket' WHEN 'knowledge_articles' THEN 'article'
                               WHEN 'problems' THEN 'problem' ELSE 'change' END
      AND e.entity_id = NEW.entity_id
      AND (e.field = NEW.field OR (NEW.field = 'window' AND e.field IN ('planned_start', 'planned_end')))
    ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1);
  RETURN NEW;
END $$"""

PROBLEM_MOVES = _array(sorted(f"{old}>{new}" for old, moves in problem_rules.MOVES.items() for new in moves))
WORKERS = _array(sorted(r.value for r in problem_rules.WORKERS))
CLOSERS = _array(sorted(r.value for r in problem_rules.CLOSERS))


def _problem_gates() -> str:
    """``problem_rules.GATES``: what a problem holds to enter each status."""
    held = {
        "owner_id": "NEW.owner_id IS NOT NULL",
        "root_cause": "COALESCE(NEW.root_cause ~ '[^[:space:]]', false)",
        "workaround": "COALESCE(NEW.workaround ~ '[^[:space:]]', false)",
        "change": "EXISTS (SELECT 1 FROM public.change_problems c WHERE c.problem_id = NEW.id)",
    }
    return " AND ".join(
        f"(NEW.status <> '{status}' OR ({' AND '.join(held[need] for need in needs)}))"
        for status, needs in problem_rules.GATES.items()
    )


PROBLEMS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_problems() RETURNS trigger LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; role text;
BEGIN
{PERSON}
  role := public.sc_role(who);
  IF NOT COALESCE(role = ANY ({WORKERS}), false) THEN
    {REFUSE} pg_catalog.format('A %s cannot work problems.', role);
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'new' OR NOT public.sc_own_number(who, NEW.number) THEN
      {REFUSE} pg_catalog.format('A problem is opened as New, with a number of a block %s reserved.', who);
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.status = 'closed' THEN
    {REFUSE} pg_catalog.format('%s is closed.', OLD.number);
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    IF (OLD.status || '>' || NEW.status) <> ALL ({PROBLEM_MOVES}) THEN
      {REFUSE} pg_catalog.format('A problem cannot go from %s to %s.', OLD.status, NEW.status);
    END IF;
    IF NEW.status = 'closed' AND me IS DISTINCT FROM OLD.owner_id AND NOT COALESCE(role = ANY ({CLOSERS}), false) THEN
      {REFUSE} pg_catalog.format('Only its owner or a support manager closes %s.', OLD.number);
    END IF;
  END IF;
  IF NOT ({_problem_gates()}) THEN
    {REFUSE} pg_catalog.format('%s lacks what its status %s asks for (an owner, a root cause, a workaround or a '
                               'change that fixes it).', OLD.number, NEW.status);
  END IF;
  RETURN NEW;
END $$"""

ARTICLE_MOVES = _array(sorted(f"{old}>{new}" for old, moves in article_rules.MOVES.items() for new in moves))
ARTICLE_WRITERS = _array(sorted(r.value for r in article_rules.WRITERS))
PUBLISHERS = _array(sorted(r.value for r in article_rules.PUBLISHERS))
ARTICLE_EDITABLE_IN = _array(sorted(s.value for s in article_rules.EDITABLE_IN))
TEXTS = list(article_rules.TEXTS)
ARTICLE_FIELDS = [*article_rules.EDITABLE, "version"]  # what changes only while it is a draft or in review
ARTICLE_FIXED = ["id", "number", "author_id", "created_at"]
A = ArticleStatus


def _stamped(column: str, status: ArticleStatus) -> str:
    """``published_at`` or ``retired_at``: set (anew) on the move to its status, and on no other update."""
    moved = f"(NEW.status = '{status}' AND OLD.status <> '{status}')"
    return f"((NEW.{column} IS DISTINCT FROM OLD.{column}) <> {moved} OR ({moved} AND NEW.{column} IS NULL))"


# A reviewer: someone who writes articles, active (``knowledge.service._checked``), never the author.
REVIEWER = f"""IF NEW.reviewer_id IS NOT DISTINCT FROM NEW.author_id THEN
      {REFUSE} pg_catalog.format('The author of %s cannot review it: name someone else.', NEW.number);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.users u WHERE u.id = NEW.reviewer_id AND u.active
                   AND CAST(u.role AS text) = ANY ({ARTICLE_WRITERS})) THEN
      {REFUSE} 'A reviewer is someone who writes articles: a consultant, a specialist or a manager.';
    END IF;"""
ARTICLES = f"""CREATE OR REPLACE FUNCTION public.sc_guard_knowledge_articles() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; role text;
BEGIN
{PERSON}
  role := public.sc_role(who);
  IF NOT COALESCE(role = ANY ({ARTICLE_WRITERS}), false) THEN
    {REFUSE} pg_catalog.format('A %s cannot write articles.', role);
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> '{A.DRAFT}' OR NEW.version <> 1 OR NEW.author_id IS DISTINCT FROM me
       OR NEW.published_at IS NOT NULL OR NEW.retired_at IS NOT NULL THEN
      {REFUSE} 'An article is written as a draft, its version 1, in its author''s own name.';
    END IF;
    IF NEW.number !~ '^KB-' OR NOT public.sc_own_number(who, NEW.number) THEN
      {REFUSE} pg_catalog.format('%s is not a number of a KB block %s reserved.', NEW.number, who);
    END IF;
    IF NEW.reviewer_id IS NOT NULL THEN
    {REVIEWER}
    END IF;
    RETURN NEW;
  END IF;
  IF {_changed(ARTICLE_FIXED)} THEN
    {REFUSE} pg_catalog.format('The number, author and creation of %s stay as they were.', OLD.number);
  END IF;
  IF {_changed(ARTICLE_FIELDS)} AND OLD.status <> ALL ({ARTICLE_EDITABLE_IN}) THEN
    {REFUSE} pg_catalog.format('%s is %s: move it back to draft to revise it.', OLD.number, OLD.status);
  END IF;
  IF NEW.reviewer_id IS DISTINCT FROM OLD.reviewer_id AND NEW.reviewer_id IS NOT NULL THEN
    {REVIEWER}
  END IF;
  IF NEW.status = '{A.IN_REVIEW}' AND NEW.reviewer_id IS NULL THEN
    {REFUSE} pg_catalog.format('%s is in review only with its reviewer named.', OLD.number);
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    IF (OLD.status || '>' || NEW.status) <> ALL ({ARTICLE_MOVES}) THEN
      {REFUSE} pg_catalog.format('An article cannot go from %s to %s.', OLD.status, NEW.status);
    END IF;
    -- four eyes: its reviewer (as it was before this update), or a support manager, never its author
    IF NEW.status = '{A.PUBLISHED}' AND (me = OLD.author_id
       OR NOT (me IS NOT DISTINCT FROM OLD.reviewer_id OR COALESCE(role = ANY ({PUBLISHERS}), false))) THEN
      {REFUSE} pg_catalog.format('%s is published by its reviewer, or by a support manager who did not write it.',
                                 OLD.number);
    END IF;
  END IF;
  IF {_stamped("published_at", A.PUBLISHED)} OR {_stamped("retired_at", A.RETIRED)} THEN
    {REFUSE} pg_catalog.format('%s is stamped published or retired only as it moves there.', OLD.number);
  END IF;
  -- each saved title or body is the next version, its text written first (knowledge.service._edit)
  IF ({_changed(TEXTS)}) IS DISTINCT FROM (NEW.version IS DISTINCT FROM OLD.version)
     OR NEW.version NOT IN (OLD.version, OLD.version + 1) THEN
    {REFUSE} pg_catalog.format('The version of %s grows by one with each saved title or text, and only then.',
                               OLD.number);
  END IF;
  IF NEW.version <> OLD.version AND NOT EXISTS (
       SELECT 1 FROM public.article_versions v
       WHERE v.article_id = NEW.id AND v.version = NEW.version AND v.title = NEW.title AND v.body = NEW.body
         AND v.edited_by_id = me) THEN
    {REFUSE} pg_catalog.format('Version %s of %s is saved first, with its text, in its editor''s name.',
                               NEW.version, OLD.number);
  END IF;
  RETURN NEW;
END $$"""

# A version is an article's next text, written before the article's update (``knowledge.service._edit``), or the
# text it has now (its first, written after the article): of a draft or one in review, in its editor's name.
VERSIONS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_article_versions() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid; a record;
BEGIN
{PERSON}
  SELECT k.number, k.status, k.version, k.title, k.body INTO a
  FROM public.knowledge_articles k WHERE k.id = NEW.article_id;
  IF NOT FOUND THEN
    {REFUSE} 'No such article here.';
  END IF;
  IF a.status <> ALL ({ARTICLE_EDITABLE_IN}) THEN
    {REFUSE} pg_catalog.format('%s is %s: its text is saved only while it is a draft or in review.', a.number,
                               a.status);
  END IF;
  IF NEW.edited_by_id IS DISTINCT FROM me
     OR NOT (NEW.version = a.version + 1
             OR (NEW.version = a.version AND NEW.title = a.title AND NEW.body = a.body)) THEN
    {REFUSE} pg_catalog.format('A version of %s is its next text or the one it has (%s), in its editor''s name.',
                               a.number, a.version);
  END IF;
  RETURN NEW;
END $$"""

# At commit: an article has its first version, and no version is ahead of its article (a next text whose article
# was never saved with it). Deferred, as the service writes an article before its first version and a next text
# before the article.
ARTICLE_TEXTS = f"""CREATE OR REPLACE FUNCTION public.sc_guard_article_texts() RETURNS trigger
LANGUAGE plpgsql {PINNED} AS $$
DECLARE who name := current_user; me uuid;
BEGIN
  IF NOT public.sc_is_person(who) THEN RETURN NULL; END IF;
  me := public.sc_me(who);
  IF TG_TABLE_NAME = 'knowledge_articles' THEN
    IF EXISTS (SELECT 1 FROM public.knowledge_articles k WHERE k.id = NEW.id)
       AND NOT EXISTS (SELECT 1 FROM public.article_versions v WHERE v.article_id = NEW.id AND v.version = 1) THEN
      {REFUSE} pg_catalog.format('%s is written with its first version.', NEW.number);
    END IF;
  ELSIF EXISTS (SELECT 1 FROM public.knowledge_articles k WHERE k.id = NEW.article_id AND k.version < NEW.version)
  THEN
    {REFUSE} pg_catalog.format('Version %s was saved for an edit of its article that was not.', NEW.version);
  END IF;
  RETURN NULL;
END $$"""

TRIGGERS: dict[str, tuple[str, str]] = {  # table: (when, the function's definition)
    "tickets": ("BEFORE INSERT OR UPDATE", TICKETS),
    "change_requests": ("BEFORE INSERT OR UPDATE", CHANGES),
    "change_approvals": ("BEFORE UPDATE", APPROVALS),
    "number_blocks": ("BEFORE INSERT", NUMBER_BLOCKS),
    "sync_conflicts": ("BEFORE INSERT", CONFLICTS),
    "problems": ("BEFORE INSERT OR UPDATE", PROBLEMS),
    "knowledge_articles": ("BEFORE INSERT OR UPDATE", ARTICLES),
    "article_versions": ("BEFORE INSERT", VERSIONS),
}
# Checked at commit (deferred constraint triggers ``sc_guard_later``): table: the function's name and definition.
LATER: dict[str, tuple[str, str]] = {
    "knowledge_articles": ("sc_guard_article_texts", ARTICLE_TEXTS),
    "article_versions": ("sc_guard_article_texts", ARTICLE_TEXTS),
}


def install(conn: Connection, group: str) -> None:
    """The helper functions the policies call, and the guard triggers (idempotent)."""
    for statement in FUNCTIONS:
        conn.execute(text(statement))
    grant_execute(conn, group, HELPERS)
    for table, (when, function) in TRIGGERS.items():
        conn.execute(text(function))
        conn.execute(text(f"REVOKE ALL ON FUNCTION public.sc_guard_{table}() FROM PUBLIC"))
        conn.execute(text(f"DROP TRIGGER IF EXISTS sc_guard ON public.{table}"))
        conn.execute(
            text(
                f"CREATE TRIGGER sc_guard {when} ON public.{table} "
                f"FOR EACH ROW EXECUTE FUNCTION public.sc_guard_{table}()"
            )
        )
    for table, (name, function) in LATER.items():
        conn.execute(text(function))
        conn.execute(text(f"REVOKE ALL ON FUNCTION public.{name}() FROM PUBLIC"))
        conn.execute(text(f"DROP TRIGGER IF EXISTS sc_guard_later ON public.{table}"))
        conn.execute(
            text(
                f"CREATE CONSTRAINT TRIGGER sc_guard_later AFTER INSERT ON public.{table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.{name}()"
            )
        )
