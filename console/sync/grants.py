"""PostgreSQL: what a person's own role may do to each table, and to which rows.

Every table of the schema is listed here once, with the least a desk needs to push its intents (the
shared database runs the same services as the desk, as the person) and to pull what the person may see:

- the privileges: SELECT, INSERT, UPDATE of named columns only, DELETE; what is not granted is refused
  with "permission denied" (people, memberships, policies, calendars, the sync bookkeeping…);
- the rows: row-level security with one policy per command, for the database's person group, whose
  ``WITH CHECK`` holds every written row to the person's scope and name (``actor_id``, ``author_id``,
  ``decided_by_id``… is the connected person);
- the invariants that compare a row with what it was, or with other rows (a ticket's capabilities and
  workflow, a change's gates and quorum, a decision's approver), are ``console.sync.guards``.

``install`` refuses a schema with a table that is not listed, so a new table is classified before any
person can touch it, and it replaces every row policy of the app's tables (a policy left from elsewhere
could only widen what a person reaches). Policy expressions ask who is connected through
``(SELECT public.sc_…(current_user))``: evaluated once per statement, not once per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, text

from console.changes.freezes import FREEZE_KEY
from console.changes.settings import FREEZE_SETTERS
from console.changes.stages import REQUESTERS
from console.errors import ConsoleError
from console.knowledge import rules as article_rules
from console.problems import rules as problem_rules
from console.sync.roles import PINNED, ident, quoted
from models import Role, metadata

ME = "(SELECT public.sc_me(current_user))"
ROLE = "(SELECT public.sc_role(current_user))"
MEMBER = "(SELECT public.sc_member(current_user))"
SEES_ALL = "(SELECT public.sc_sees_all(current_user))"
UNITS = "CAST((SELECT public.sc_units(current_user)) AS uuid[])"  # an array, once per statement
SPACES = "CAST((SELECT public.sc_unit_spaces(current_user)) AS text[])"
MANAGERS = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})  # they oversee every desk's conflicts, keep calendars


def role_in(roles: Iterable[Role]) -> str:
    return f"COALESCE({ROLE} = ANY (ARRAY[{', '.join(quoted(r.value) for r in sorted(roles))}]), false)"


def visible(column: str) -> str:
    """A row of a business unit the person sees: all of them, or (a super-user) their own."""
    return f"({SEES_ALL} OR {column} = ANY ({UNITS}))"


def ticket_visible(column: str) -> str:
    """A row of a ticket the person sees (the subquery is itself under the tickets' policy)."""
    return f"EXISTS (SELECT 1 FROM public.tickets t WHERE t.id = {column})"


@dataclass(frozen=True)
class Access:
    """What the person group may do to one table; None: not at all.

    ``update`` and ``delete`` say which rows (of those one reads) may be changed or deleted, written with
    ``{row}.`` before each column: a policy lets every readable row through and the table's ``sc_rule``
    trigger refuses the others with an error, so a row one can see but not touch is refused, never silently
    skipped. What an updated row may become is ``update_check`` (the policy's WITH CHECK)."""

    read: str | None = MEMBER  # USING of SELECT
    insert: str | None = None  # WITH CHECK of the row inserted
    update: str | None = None
    update_check: str | None = None
    columns: tuple[str, ...] = ()  # the only columns UPDATE may set
    delete: str | None = None


def _all_but(table: str, *kept: str) -> tuple[str, ...]:
    return tuple(c.name for c in metadata.tables[table].columns if c.name not in kept)


NOBODY = Access(read=None)  # the local cache's own tables: nothing of a person's on the shared database
READ = Access()  # reference data and people: everyone reads, the administrator writes
ME_DECIDING = f"EXISTS (SELECT 1 FROM public.change_approvals a WHERE a.change_id = audit_events.entity_id AND a.decided_by_id = {ME})"  # noqa: E501
# A manager's import (``console.imports.write``) writes history as the other tool had it: what that tool said is
# kept beside (``source``, ``source_actor``, ``source_value``, a comment's ``source_author``), and only an importer
# may say it; it may create the people (inactive, never signing in), groups, units and modules its files name.
IMPORTER = "public.sc_may(current_user, 'import', NULL)"
FROM_IMPORT = f"(source IS NULL AND source_actor IS NULL AND source_value IS NULL OR {IMPORTER})"
AUDITED = f"""actor_id = {ME} AND {FROM_IMPORT} AND CASE entity_type
    WHEN 'ticket' THEN {ticket_visible("audit_events.entity_id")}
                       AND (business_unit_id IS NULL OR {visible("business_unit_id")})
    WHEN 'change' THEN public.sc_may_steer(current_user, entity_id) OR {ME_DECIDING}
    WHEN 'user' THEN entity_id = {ME}
    WHEN 'problem' THEN {role_in(problem_rules.WORKERS)}
    WHEN 'article' THEN {role_in(article_rules.WRITERS)}
    ELSE {role_in(MANAGERS)} END"""
# A conflict is its author's, the other side's (whose value it met: ``guards.CONFLICTS`` names them) and the
# managers'; never anyone else's, whatever ticket it is on.
CONFLICT_PARTY = f"(user_id = {ME} OR theirs_user_id = {ME} OR {role_in(MANAGERS)})"
CONFLICT_VISIBLE = f"(business_unit_id IS NULL OR {visible('business_unit_id')}) AND {CONFLICT_PARTY}"
CONFLICT_ON = """CASE entity_table
    WHEN 'tickets' THEN EXISTS (SELECT 1 FROM public.tickets t WHERE t.id = sync_conflicts.entity_id
                                AND t.business_unit_id IS NOT DISTINCT FROM sync_conflicts.business_unit_id)
    WHEN 'change_requests' THEN business_unit_id IS NULL AND EXISTS (
      SELECT 1 FROM public.change_requests c WHERE c.id = sync_conflicts.entity_id)
    WHEN 'knowledge_articles' THEN business_unit_id IS NULL AND EXISTS (
      SELECT 1 FROM public.knowledge_articles a WHERE a.id = sync_conflicts.entity_id)
    WHEN 'problems' THEN EXISTS (SELECT 1 FROM public.problems p WHERE p.id = sync_conflicts.entity_id
                                 AND p.business_unit_id IS NOT DISTINCT FROM sync_conflicts.business_unit_id)
    ELSE false END"""
# An article a person reads (the subquery is itself under the articles' policy: a super-user, published ones and
# those linked to her tickets, which the ticket_articles subquery, under its own policy, finds).
ARTICLE_VISIBLE = "EXISTS (SELECT 1 FROM public.knowledge_articles a WHERE a.id = {row}.{column})"
PLANNING = "public.sc_may_plan(current_user, {row}.change_id)"  # the change's scope, while it is planned
# The problems a person reads: every one, or (a super-user) those touching her units: of one of them, with an incident
# in one (per row, by the index on tickets.problem_id), or what an article she reads is about (hashed once per
# statement), so what her cache holds refers to no problem it lacks. ``console.problems.lists.in_scope`` is the same.
PROBLEMS_TOUCHING = (
    f"({SEES_ALL} OR business_unit_id = ANY ({UNITS}) OR EXISTS (SELECT 1 FROM public.tickets t "
    f"WHERE t.problem_id = problems.id AND t.business_unit_id = ANY ({UNITS})) "
    "OR problems.id IN (SELECT a.problem_id FROM public.knowledge_articles a))"
)
PROBLEM_VISIBLE = "EXISTS (SELECT 1 FROM public.problems p WHERE p.id = {row}.{column})"  # under the problems' policy

REFERENCE = (
    "users", "memberships", "group_members", "business_units", "erp_modules", "support_groups", "business_calendars",
    "business_hours", "holidays", "sla_policies", "sla_targets", "sla_pause_statuses", "approval_policies",
    "change_templates", "freeze_windows", "routing_rules",
)  # fmt: skip

TABLES: dict[str, Access] = {
    # The deployment and the sync bookkeeping: read what sync reads, write nothing of it (the versioning
    # triggers run as their owner), but the outcome of one's own intents and a number block.
    "alembic_version": READ,
    "sync_spaces": READ,
    "change_index": Access(read=f"{MEMBER} AND (space = 'global' OR {SEES_ALL} OR space = ANY ({SPACES}))"),
    "cache_seeds": Access(read=visible("business_unit_id")),
    "cache_seed_chunks": Access(
        read="EXISTS (SELECT 1 FROM public.cache_seeds s WHERE s.id = cache_seed_chunks.seed_id)"
    ),
    "client_mutations": Access(read=f"user_id = {ME}", insert=f"user_id = {ME}"),
    "number_blocks": Access(insert=f"{ME} IS NOT NULL"),  # and guards.NUMBER_BLOCKS
    "deployment_info": Access(
        insert=f"key = {quoted(FREEZE_KEY)} AND {role_in(FREEZE_SETTERS)}",
        update=f"{{row}}.key = {quoted(FREEZE_KEY)} AND {role_in(FREEZE_SETTERS)}",
        update_check=f"key = {quoted(FREEZE_KEY)}",
        columns=("value",),
        delete=f"{{row}}.key = {quoted(FREEZE_KEY)} AND {role_in(FREEZE_SETTERS)}",
    ),
    "outbox": NOBODY,
    "sync_cursors": NOBODY,
    "sync_notices": NOBODY,
    # People, units, policies, calendars, templates, freeze windows, problems, articles, routing rules: reference
    # data.
    **dict.fromkeys(REFERENCE, READ),
    "users": Access(insert=f"{IMPORTER} AND NOT active AND role = 'service_desk_analyst' AND login LIKE 'imported.%'"),
    **dict.fromkeys(("support_groups", "business_units", "erp_modules"), Access(insert=IMPORTER)),
    # Problems: opened, edited and moved by those who work them (guards.PROBLEMS: the lifecycle and its gates).
    "problems": Access(
        read=f"{MEMBER} AND {PROBLEMS_TOUCHING}",
        insert=role_in(problem_rules.WORKERS),
        update=role_in(problem_rules.WORKERS),
        columns=(*problem_rules.EDITABLE, "status", "known_error_at", "resolved_at", "closed_at", "updated_at"),
    ),
    # Articles: written as drafts in one's own name, edited and moved by those who write them (guards.ARTICLES: the
    # lifecycle, a reviewer who is not the author publishes); a super-user reads the published ones. Each saved
    # text is a version in its writer's name; each person's vote is their own.
    "knowledge_articles": Access(
        read=f"{MEMBER} AND (status = 'published' OR {role_in(article_rules.READERS_OF_DRAFTS)} OR EXISTS ("
        "SELECT 1 FROM public.ticket_articles ta WHERE ta.article_id = knowledge_articles.id))",  # linked to her ticket
        insert=f"author_id = {ME} AND status = 'draft' AND version = 1 AND {role_in(article_rules.WRITERS)}",
        update=role_in(article_rules.WRITERS),
        columns=(*article_rules.EDITABLE, "status", "version", "published_at", "retired_at", "updated_at"),
    ),
    "article_versions": Access(
        read=ARTICLE_VISIBLE.format(row="article_versions", column="article_id"),
        insert=f"edited_by_id = {ME} AND {role_in(article_rules.WRITERS)} AND "
        + ARTICLE_VISIBLE.format(row="article_versions", column="article_id"),
    ),
    "article_feedback": Access(
        read=ARTICLE_VISIBLE.format(row="article_feedback", column="article_id"),
        insert=f"user_id = {ME} AND EXISTS (SELECT 1 FROM public.knowledge_articles a "
        "WHERE a.id = article_feedback.article_id AND a.status = 'published')",
        delete=f"{{row}}.user_id = {ME}",
    ),
    # The release calendar: a support manager keeps it (cancelled releases keep their row).
    "releases": Access(
        insert=role_in(MANAGERS), update=role_in(MANAGERS), columns=("name", "production_at", "cancelled_at")
    ),
    # Tickets and what belongs to them: the person's units only; notes, attachments and history are appended,
    # in the person's own name. What each role may change of a ticket: guards.TICKETS.
    "tickets": Access(
        read=visible("business_unit_id"),
        insert=f"{ME} IS NOT NULL AND {visible('business_unit_id')}",
        update=f"{ME} IS NOT NULL",  # and guards.TICKETS; where it may go: its unit stays one the person sees
        update_check=visible("business_unit_id"),
        columns=_all_but(
            "tickets",
            "id",
            "number",
            "kind",
            "reporter_id",
            "created_at",
            "sla_policy_id",
            "source_system",
            "source_key",
        ),
    ),
    "comments": Access(
        read=ticket_visible("comments.ticket_id"),
        insert=f"author_id = {ME} AND public.sc_may(current_user, 'note', NULL) AND {ticket_visible('comments.ticket_id')} "  # noqa: E501
        f"AND (source_author IS NULL OR {IMPORTER})",
    ),
    "attachments": Access(
        read=ticket_visible("attachments.ticket_id"),
        insert=f"uploaded_by_id = {ME} AND public.sc_may(current_user, 'note', NULL) AND {ticket_visible('attachments.ticket_id')}",  # noqa: E501
    ),
    "ticket_articles": Access(
        read=ticket_visible("ticket_articles.ticket_id"),
        insert="public.sc_may_work_on(current_user, ticket_articles.ticket_id)",
        delete="public.sc_may_work_on(current_user, {row}.ticket_id)",
    ),
    "audit_events": Access(
        read=f"""CASE entity_type WHEN 'ticket' THEN {ticket_visible("audit_events.entity_id")}
        WHEN 'article' THEN {ARTICLE_VISIBLE.format(row="audit_events", column="entity_id")}
        WHEN 'problem' THEN {PROBLEM_VISIBLE.format(row="audit_events", column="entity_id")} ELSE true END""",
        insert=AUDITED,  # never updated or deleted (and the append-only triggers refuse it even to the owner)
    ),
    "sync_conflicts": Access(
        read=CONFLICT_VISIBLE,
        insert=f"user_id = {ME} AND resolved_at IS NULL AND resolved_by_id IS NULL AND resolution IS NULL AND {CONFLICT_ON}",  # noqa: E501
        update="{row}.resolved_at IS NULL",
        update_check=f"resolved_by_id = {ME} AND resolved_at IS NOT NULL",
        columns=("resolved_at", "resolved_by_id", "resolution"),
    ),
    # Changes: requested in one's own name; steered by its requester, owner or a coordinator; decided by the
    # approvers (guards.CHANGES, guards.APPROVALS).
    "change_requests": Access(
        # a standard change is pre-approved only as one of the templates (changes._from_template)
        insert=f"requester_id = {ME} AND owner_id = {ME} AND stage = 'draft' AND {role_in(REQUESTERS)} "
        "AND (change_type <> 'standard' OR template_id IS NOT NULL)",
        update=f"{ME} IS NOT NULL",  # and guards.CHANGES
        columns=_all_but(
            "change_requests", "id", "number", "change_type", "template_id", "requester_id", "owner_id", "created_at"
        ),
    ),
    "change_modules": Access(insert=PLANNING.format(row="change_modules"), delete=PLANNING),
    "change_business_units": Access(
        insert=f"{PLANNING.format(row='change_business_units')} AND ({SEES_ALL} OR business_unit_id = ANY ({UNITS}))",
        delete=PLANNING,
    ),
    "change_problems": Access(
        read=PROBLEM_VISIBLE.format(row="change_problems", column="problem_id"),  # a fix of a problem one reads
        insert="public.sc_may_steer(current_user, change_id) AND EXISTS (SELECT 1 FROM public.change_requests c "
        "WHERE c.id = change_problems.change_id AND c.stage = 'draft')",
    ),
    "change_approvals": Access(
        insert="decision = 'pending' AND decided_by_id IS NULL AND decided_at IS NULL AND comment IS NULL "
        "AND public.sc_may_ask(current_user, change_id) AND (policy_id, approver_id) IN "
        "(SELECT r.policy_id, r.user_id FROM public.sc_required_approvers(change_approvals.change_id) r)",
        update=f"{ME} IS NOT NULL",  # and guards.APPROVALS
        update_check=f"decided_by_id = {ME}",
        columns=("decision", "comment", "decided_by_id", "decided_at"),
        delete="public.sc_may_ask(current_user, {row}.change_id)",
    ),
    "approver_delegations": Access(
        insert=f"approver_id = {ME} AND delegate_id <> {ME}",
        update=f"{{row}}.approver_id = {ME}",
        columns=("ends_at",),
        delete=f"{{row}}.approver_id = {ME}",
    ),
}


def unlisted(tables: Iterable[str]) -> list[str]:
    """Tables of a database that this module does not classify (a new table must be, first)."""
    return sorted(set(tables) - set(TABLES))


def install(conn: Connection, group: str) -> None:
    """The person group's privileges and row policies on every table (replacing those of earlier releases)."""
    tables = text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
    )
    existing = set(conn.execute(tables).scalars())
    missing = unlisted(existing | set(metadata.tables))
    if missing:
        raise ConsoleError(
            f"No person's access is declared for {', '.join(missing)} (console/sync/grants.py); nothing was changed."
        )
    role = ident(group)
    for table, access in TABLES.items():
        if table not in existing:
            continue
        name = f"public.{ident(table)}"
        conn.execute(text(f"REVOKE ALL ON {name} FROM PUBLIC, {role}"))
        conn.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
        policies = conn.execute(
            text("SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = :t"), {"t": table}
        ).scalars()
        for policy in list(policies):
            conn.execute(text(f"DROP POLICY {ident(policy)} ON {name}"))
        for statement in _statements(table, role, access):
            conn.execute(text(statement))


def _statements(table: str, role: str, access: Access) -> list[str]:
    name = f"public.{ident(table)}"
    out: list[str] = []
    if access.read is not None:
        out += [f"GRANT SELECT ON {name} TO {role}",
                f"CREATE POLICY sc_read ON {name} FOR SELECT TO {role} USING ({access.read})"]  # fmt: skip
    if access.insert is not None:
        out += [f"GRANT INSERT ON {name} TO {role}",
                f"CREATE POLICY sc_insert ON {name} FOR INSERT TO {role} WITH CHECK ({access.insert})"]  # fmt: skip
    if access.update is not None:
        assert access.columns, table
        assert access.read, table
        columns = ", ".join(ident(c) for c in access.columns)
        check = access.update_check or access.update.format(row=table)
        out += [
            f"GRANT UPDATE ({columns}) ON {name} TO {role}",
            f"CREATE POLICY sc_update ON {name} FOR UPDATE TO {role} USING ({access.read}) WITH CHECK ({check})",
        ]
    if access.delete is not None:
        assert access.read, table
        out += [f"GRANT DELETE ON {name} TO {role}",
                f"CREATE POLICY sc_delete ON {name} FOR DELETE TO {role} USING ({access.read})"]  # fmt: skip
    out += _rule(table, access)
    return out


def _rule(table: str, access: Access) -> list[str]:
    """The trigger that refuses a person's update or delete of a row they read but may not touch."""
    name = f"public.{ident(table)}"
    out = [f"DROP TRIGGER IF EXISTS sc_rule ON {name}"]
    if access.update is None and access.delete is None:
        return [*out, f"DROP FUNCTION IF EXISTS public.sc_rule_{table}()"]
    checks = []
    for verb, rule in (("UPDATE", access.update), ("DELETE", access.delete)):
        if rule is not None:
            what = "change" if verb == "UPDATE" else "delete"
            checks.append(
                f"IF TG_OP = '{verb}' AND NOT COALESCE({rule.format(row='OLD')}, false) THEN\n"
                f"    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',\n"
                f"      MESSAGE = pg_catalog.format('%s may not {what} this row of {table}.', current_user);\n"
                f"  END IF;"
            )
    verbs = " OR ".join(v for v, r in (("UPDATE", access.update), ("DELETE", access.delete)) if r is not None)
    return [
        *out,
        f"""CREATE OR REPLACE FUNCTION public.sc_rule_{table}() RETURNS trigger LANGUAGE plpgsql {PINNED} AS $$
BEGIN
  IF public.sc_is_person(current_user) THEN
  {chr(10).join(checks)}
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""",
        f"REVOKE ALL ON FUNCTION public.sc_rule_{table}() FROM PUBLIC",
        f"CREATE TRIGGER sc_rule BEFORE {verbs} ON {name} FOR EACH ROW EXECUTE FUNCTION public.sc_rule_{table}()",
    ]
