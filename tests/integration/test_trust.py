"""The threat model, tried with raw SQL on a real PostgreSQL server as a super-user's own role: her login, and
an administrator's session after ``SET ROLE`` to her. Every attempt to read outside her scope, raise her own
privileges, write outside her scope, act in someone else's name, decide an approval that is not hers (or her
own change's), change policies, SLA targets, calendars, freeze rules, people or memberships, or tamper with
the sync bookkeeping fails with a permission or policy error (SQLSTATE 42501), and every table's rows are
exactly what they were. (A row of another unit does not exist for her: an UPDATE of it touches nothing.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from psycopg import sql

from console.store.database import make_engine
from console.sync import roles, server
from models import Role
from tests import clock
from tests.conftest import PgServer
from tests.people import HOW, People, fingerprint, give_logins
from tests.threats import PICKS, REFUSED, Scene, make_scene


@pytest.fixture
def people(pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest) -> People:
    return give_logins(pg_demo(), pg_server, PICKS, request.addfinalizer)


pytestmark = pytest.mark.postgres


def attacks(people: People, s: Scene) -> list[tuple[str, str, tuple[object, ...]]]:
    """(why, statement, parameters): each must be refused with 42501."""
    sue, cora, bob = people["sue"], people["cora"], people["bob"]
    now = clock.now()
    hex_other = s.other.hex
    new = uuid.uuid4
    return [
        # Raise her own privileges: her role, her memberships, someone else's groups.
        ("role", "UPDATE users SET role = 'support_manager' WHERE id = %s", (sue.id,)),
        ("membership", "INSERT INTO memberships VALUES (%s, %s)", (sue.id, s.other)),
        ("memberships gone", "DELETE FROM memberships WHERE user_id = %s", (sue.id,)),
        (
            "a person",
            "INSERT INTO users (id, login, display_name, role, active, locale, created_at) "
            "VALUES (%s, 'mallory', 'M', 'admin', true, 'en', now())",
            (new(),),
        ),
        ("a group", "INSERT INTO group_members SELECT id, %s FROM support_groups LIMIT 1", (sue.id,)),
        ("another person's role", f"SET ROLE {sql.Identifier(cora.login).as_string(None)}", ()),
        ("row security off", "ALTER TABLE tickets DISABLE ROW LEVEL SECURITY", ()),
        ("a policy of her own", "CREATE POLICY mine ON tickets FOR SELECT USING (true)", ()),
        ("a policy gone", "DROP POLICY sc_read ON tickets", ()),
        (
            "a function of her own",
            "CREATE FUNCTION public.sc_me(who name) RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'",
            (),
        ),
        ("a guard off", "ALTER TABLE tickets DISABLE TRIGGER sc_guard", ()),
        ("a temporary table", "CREATE TEMPORARY TABLE sync_spaces (space text)", ()),
        # Write outside her scope.
        ("ticket moved out", "UPDATE tickets SET business_unit_id = %s WHERE id = %s", (s.other, s.my_ticket)),
        (
            "ticket logged elsewhere",
            "INSERT INTO tickets (id, number, kind, title, description, status, priority, "
            "impact, urgency, tier, module_id, business_unit_id, reporter_id, reopen_count, created_at, updated_at) "
            "SELECT %s, 'INC-9999999', 'incident', 'x', '', 'new', 'low', 'low', 'low', 1, module_id, %s, %s, 0, "
            "now(), now() FROM tickets WHERE id = %s",
            (new(), s.other, sue.id, s.my_ticket),
        ),
        (
            "a note elsewhere",
            "INSERT INTO comments VALUES (%s, %s, %s, 'internal', 'x', now())",
            (new(), s.their_ticket, sue.id),
        ),
        ("a note edited", "UPDATE comments SET body = 'x' WHERE ticket_id = %s", (s.my_ticket,)),
        ("a note deleted", "DELETE FROM comments WHERE ticket_id = %s", (s.my_ticket,)),
        ("a ticket deleted", "DELETE FROM tickets WHERE id = %s", (s.my_ticket,)),
        (
            "a change widened to another unit",
            "INSERT INTO change_business_units VALUES (%s, %s)",
            (s.my_change, s.other),
        ),
        # Work a ticket: a super-user triages, she does not work it (status, vendor).
        ("a status", "UPDATE tickets SET status = 'resolved' WHERE id = %s", (s.my_ticket,)),
        ("a vendor", "UPDATE tickets SET vendor = 'ACME' WHERE id = %s", (s.my_ticket,)),
        # In someone else's name.
        (
            "an event as Cora",
            "INSERT INTO audit_events (id, occurred_at, seq, actor_id, entity_type, entity_id, "
            "business_unit_id, action) VALUES (%s, now(), 99, %s, 'ticket', %s, %s, 'commented')",
            (new(), cora.id, s.my_ticket, s.mine),
        ),
        (
            "a note as Cora",
            "INSERT INTO comments VALUES (%s, %s, %s, 'internal', 'x', now())",
            (new(), s.my_ticket, cora.id),
        ),
        ("an event edited", "UPDATE audit_events SET reason = 'x' WHERE entity_id = %s", (s.my_ticket,)),
        ("an event deleted", "DELETE FROM audit_events WHERE entity_id = %s", (s.my_ticket,)),
        (
            "an outcome as Cora",
            "INSERT INTO client_mutations VALUES (%s, 'x', %s, 'applied', NULL, now())",
            (new(), cora.id),
        ),
        (
            "a conflict as Cora",
            "INSERT INTO sync_conflicts (id, entity_table, entity_id, business_unit_id, number, "
            "field, user_id, mutation_id, created_at) VALUES (%s, 'tickets', %s, %s, 'x', 'title', %s, %s, now())",
            (new(), s.my_ticket, s.mine, cora.id, new()),
        ),
        (
            "a change as Cora",
            "INSERT INTO change_requests (id, number, title, change_type, stage, requester_id, "
            "owner_id, created_at, updated_at) VALUES (%s, 'CHG-X', 'x', 'normal', 'draft', %s, %s, now(), now())",
            (new(), cora.id, cora.id),
        ),
        (
            "Bob away, as Bob",
            "INSERT INTO approver_delegations VALUES (%s, %s, %s, now(), now() + interval '1 day')",
            (new(), bob.id, sue.id),
        ),
        ("Bob's delegation ended", "DELETE FROM approver_delegations WHERE approver_id = %s", (bob.id,)),
        # Decide an approval that is not hers, or one of her own change.
        (
            "Bob's approval",
            "UPDATE change_approvals SET decision = 'approved', comment = 'ok', decided_by_id = %s, "
            "decided_at = %s WHERE id = %s",
            (sue.id, now, s.bob_row),
        ),
        (
            "Bob's approval, in his name",
            "UPDATE change_approvals SET decision = 'approved', comment = 'ok', "
            "decided_by_id = %s, decided_at = %s WHERE id = %s",
            (bob.id, now, s.bob_row),
        ),
        (
            "Bob's approval, while she was his delegate",
            "UPDATE change_approvals SET decision = 'approved', "
            "comment = 'ok', decided_by_id = %s, decided_at = %s WHERE id = %s",
            (sue.id, now - timedelta(days=5), s.bob_row),
        ),
        (
            "her own change",
            "UPDATE change_approvals SET decision = 'approved', comment = 'ok', decided_by_id = %s, "
            "decided_at = %s WHERE id = %s",
            (sue.id, now, s.sue_row),
        ),
        (
            "an approval made up",
            "INSERT INTO change_approvals VALUES (%s, %s, NULL, %s, %s, 'approved', 'ok', now(), now())",
            (new(), s.my_change, sue.id, sue.id),
        ),
        ("approvers asked away", "DELETE FROM change_approvals WHERE change_id = %s", (s.my_change,)),
        ("her change approved", "UPDATE change_requests SET stage = 'approved' WHERE id = %s", (s.my_change,)),
        (
            "her change back to planning",
            "UPDATE change_requests SET stage = 'assessment' WHERE id = %s",
            (s.my_change,),
        ),
        ("Cora's change approved", "UPDATE change_requests SET stage = 'approved' WHERE id = %s", (s.their_change,)),
        ("Cora's change edited", "UPDATE change_requests SET title = 'mine' WHERE id = %s", (s.their_change,)),
        # Policies, SLA targets, calendars, freeze rules, approval rules, templates, releases, routing rules.
        ("SLA targets", "UPDATE sla_targets SET response_minutes = 9999", ()),
        ("an SLA policy", "DELETE FROM sla_pause_statuses", ()),
        ("a calendar", "UPDATE business_hours SET ends = '23:59'", ()),
        (
            "a holiday",
            "INSERT INTO holidays SELECT %s, id, '2031-01-02', 'Mine', true FROM business_calendars LIMIT 1",
            (new(),),
        ),
        ("a unit's policy", "UPDATE business_units SET sla_policy_id = NULL WHERE id = %s", (s.mine,)),
        ("approval rules", "UPDATE approval_policies SET quorum_kind = 'count', quorum_value = 1", ()),
        ("a freeze window", "DELETE FROM freeze_windows", ()),
        ("the freeze lengths", "INSERT INTO deployment_info VALUES ('change_freeze_days', 'month=0,0')", ()),
        ("a template", "UPDATE change_templates SET implementation_plan = 'x'", ()),
        ("a release", "INSERT INTO releases SELECT %s, id, 'R-X', now(), NULL FROM erp_modules LIMIT 1", (new(),)),
        (
            "a routing rule",
            "UPDATE routing_rules SET group_id = (SELECT id FROM support_groups WHERE code = 'CAB')",
            (),
        ),
        ("routing rules gone", "DELETE FROM routing_rules", ()),
        (
            "a routing rule of her own",
            "INSERT INTO routing_rules SELECT %s, id, 3, (SELECT id FROM support_groups WHERE code = 'DESK') "
            "FROM erp_modules LIMIT 1",
            (new(),),
        ),
        # The sync bookkeeping.
        ("a space's version", "UPDATE sync_spaces SET version = version + 1", ()),
        ("a bump of another unit", "SELECT public.sc_bump(%s, 'tickets', 'x', 'upsert')", (hex_other,)),
        (
            "a change-index entry",
            "INSERT INTO change_index VALUES ('global', 999999, 'tickets', 'x', 'upsert', now())",
            (),
        ),
        ("the change index pruned", "DELETE FROM change_index", ()),
        ("the schema's version", "DELETE FROM alembic_version", ()),
        ("the triggers' version", "UPDATE deployment_info SET value = '4' WHERE key = 'sync_triggers'", ()),
        ("the deployment", "DELETE FROM deployment_info", ()),
        ("number blocks", "DELETE FROM number_blocks", ()),
        ("a number block taken", "UPDATE number_blocks SET client_id = 'mine'", ()),
        (
            "someone's numbers",
            "INSERT INTO number_blocks SELECT %s, series, first, last, first, 'mine', now() FROM number_blocks LIMIT 1",
            (new(),),
        ),
        (
            "a million numbers",
            "INSERT INTO number_blocks SELECT %s, 'INC', max(last) + 1, max(last) + 1000000, "
            "max(last) + 1, 'mine', now() FROM number_blocks WHERE series = 'INC'",
            (new(),),
        ),
        ("a ready-made cache", "UPDATE cache_seeds SET sha256 = ''", ()),
        ("a seed's piece", "DELETE FROM cache_seed_chunks", ()),
        ("outcomes forgotten", "DELETE FROM client_mutations", ()),
        ("someone's outbox", "SELECT * FROM outbox", ()),
        ("cursors", "SELECT * FROM sync_cursors", ()),
        ("notices", "SELECT * FROM sync_notices", ()),
    ]


@pytest.mark.parametrize("how", HOW)
def test_a_super_user_cannot_reach_past_her_role(people: People, how: str) -> None:
    scene = make_scene(people)
    before = fingerprint(people)
    with people.connect("sue", how) as sue:
        assert sue.query("SELECT current_user")[0][0] == people["sue"].login
        if how == "set role":  # an administrator's session: session_user is not her, and it must not matter
            assert sue.query("SELECT session_user")[0][0] != people["sue"].login
        for why, statement, params in attacks(people, scene):
            if why == "another person's role" and how == "set role":
                continue  # an administrator's session may set any role: that is the administrator, not her
            error = sue.attempt(statement, params or None)
            assert error is not None, f"{why}: the database let it through"
            assert error.sqlstate == REFUSED, f"{why}: {error.sqlstate} {error}"
        # What she reads: her unit, and nothing of anyone else's.
        assert sue.value("SELECT count(*) FROM tickets") == scene.in_mine
        for table in ("tickets", "sync_conflicts", "cache_seeds"):
            assert sue.value(f"SELECT count(*) FROM {table} WHERE business_unit_id = %s", (scene.other,)) == 0, table
        for table in ("comments", "attachments", "ticket_articles"):
            assert sue.value(f"SELECT count(*) FROM {table} WHERE ticket_id = %s", (scene.their_ticket,)) == 0
        assert sue.value("SELECT count(*) FROM audit_events WHERE entity_id = %s", (scene.their_ticket,)) == 0
        assert sue.value("SELECT count(*) FROM change_index WHERE space = %s", (scene.other.hex,)) == 0
        assert sue.value("SELECT count(*) FROM cache_seed_chunks") == 0
        assert sue.value("SELECT count(*) FROM client_mutations") == 0  # Cora's refusal quotes another unit
        # Conflicts: her own; not Cora's, though it is on a ticket of her unit.
        assert [r[0] for r in sue.query("SELECT mine_value FROM sync_conflicts")] == [f"by {people['sue'].login}"]
        # Updates of rows she cannot see touch nothing (they do not exist for her).
        assert sue.attempt("UPDATE tickets SET title = 'mine' WHERE business_unit_id = %s", (scene.other,)) is None
        assert sue.attempt("DELETE FROM sync_conflicts") is not None  # no DELETE at all
    assert fingerprint(people) == before
    # She still has her privileges as a super-user after all that: she reads her unit, and that is all.
    with people.connect("sue", how) as sue:
        assert sue.value("SELECT public.sc_role(current_user)") == "super_user"


@pytest.mark.parametrize("how", HOW)
def test_a_temporary_table_or_function_never_stands_in_for_the_bookkeeping(people: People, how: str) -> None:
    """The attack on release 3: her temporary ``sync_spaces`` with a trigger calling a pg_temp function, which the
    versioning (running as its owner) would have written to. Even allowed temporary tables, she gets nowhere."""
    scene = make_scene(people)
    sue = people["sue"]
    with people.admin() as conn:  # an administrator lets her have temporary tables, for this test only
        conn.execute(sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(people.database), sql.Identifier(sue.login)))  # fmt: skip
        conn.commit()
        version = conn.execute("SELECT version FROM sync_spaces WHERE space = %s", (scene.mine.hex,)).fetchone()
    try:
        with people.connect("sue", how) as session:
            session._as_person()
            conn = session.conn
            conn.execute("CREATE TEMPORARY TABLE sync_spaces (space text PRIMARY KEY, version bigint, "
                         "pruned_through bigint DEFAULT 0)")  # fmt: skip
            conn.execute("CREATE TEMPORARY TABLE change_index (space text, version bigint, table_name text, "
                         "entity_key text, op text, at timestamptz)")  # fmt: skip
            conn.execute(
                "CREATE FUNCTION pg_temp.escalate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO public.memberships VALUES ('{sue.id}', '{scene.other}'); RETURN NEW; END $$"
            )
            conn.execute("CREATE TRIGGER escalate BEFORE INSERT OR UPDATE ON pg_temp.sync_spaces "
                         "FOR EACH ROW EXECUTE FUNCTION pg_temp.escalate()")  # fmt: skip
            conn.execute("SET search_path = pg_temp, public")
            # A legitimate note on her own ticket: the versioning bumps the real counter, never hers.
            conn.execute("INSERT INTO comments VALUES (%s, %s, %s, 'internal', 'Checked.', now())",
                         (uuid.uuid4(), scene.my_ticket, sue.id))  # fmt: skip
            assert conn.execute("SELECT count(*) FROM pg_temp.sync_spaces").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM pg_temp.change_index").fetchone() == (0,)
            conn.commit()
    finally:
        with people.admin() as conn:
            conn.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(
                sql.Identifier(people.database), sql.Identifier(sue.login)))  # fmt: skip
    with people.admin() as conn:
        assert conn.execute("SELECT count(*) FROM memberships WHERE user_id = %s", (sue.id,)).fetchone() == (1,)
        after = conn.execute("SELECT version FROM sync_spaces WHERE space = %s", (scene.mine.hex,)).fetchone()
        assert after is not None
        assert version is not None
        assert after[0] == version[0] + 1
        definer = conn.execute(
            "SELECT p.proname, p.prosecdef, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'sc\\_%%'"
        ).fetchall()
        public = conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'sc\\_%%' "
            "AND has_function_privilege('public', p.oid, 'EXECUTE')"
        ).fetchall()
    # Every function of the app pins its search path; PUBLIC may execute none.
    assert definer
    assert all(config == ["search_path=pg_catalog, pg_temp"] for _, _, config in definer), definer
    assert any(secure for _, secure, _ in definer)
    assert public == []


def test_a_person_of_one_database_cannot_reach_another_on_the_same_server(
    people: People, pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest
) -> None:
    other = give_logins(pg_demo(), pg_server, {"zed": (Role.SUPPORT_MANAGER, 0)}, request.addfinalizer)
    sue = people["sue"]
    # Her own login is refused at the door of the other database: CONNECT is the other group's alone.
    info = psycopg.conninfo.make_conninfo(pg_server.conninfo(other.database), user=sue.login)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(info).close()
    with people.admin() as conn:
        assert conn.execute("SELECT has_database_privilege('public', current_database(), 'CONNECT')").fetchone() == (
            False,
        )
    # An administrator's session there, set to her role: nothing of that database is hers.
    with psycopg.connect(pg_server.conninfo(other.database)) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(sue.login)))
        for statement in ("SELECT count(*) FROM tickets", "UPDATE tickets SET title = 'x'", "SELECT * FROM users"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(sue.login)))
    # Nor does a copy of her own database grant her anything before an administrator prepares it.
    copy = f"{people.database}_copy"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(copy),
                                                                      sql.Identifier(people.database)))  # fmt: skip
    try:
        with people.connect("sue", "login", database=copy) as session:
            assert session.value("SELECT count(*) FROM tickets") == 0
            assert session.value("SELECT count(*) FROM users") == 0
            assert session.attempt("INSERT INTO comments SELECT gen_random_uuid(), id, reporter_id, 'internal', 'x', "
                                   "now() FROM tickets LIMIT 1") is None  # fmt: skip  # (no ticket is hers there)
            assert session.value("SELECT count(*) FROM comments") == 0
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(copy)))


def test_a_database_prepared_by_the_earlier_release_is_refused_until_prepared_again(people: People) -> None:
    engine = make_engine(people.url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE deployment_info SET value = '3' WHERE key = 'sync_triggers'")
        with engine.connect() as conn, pytest.raises(Exception, match="not prepared for sync by this version"):
            server.require_installed(conn, "it")
        with engine.begin() as conn:
            server.prepare(conn)
        with engine.connect() as conn:
            server.require_installed(conn, "it")
            assert roles.person_group(conn) == roles.group_name(people.database)
    finally:
        engine.dispose()


def test_people_of_the_earlier_release_join_the_databases_own_group(people: People, pg_server: PgServer) -> None:
    """Release 3 gave a server-wide ``sc_users`` every privilege on every table; preparing again takes it back and
    its members who are people of this database join this database's group (and keep working, held to it)."""
    legacy = roles.LEGACY_GROUP
    sue = people["sue"]
    with psycopg.connect(pg_server.conninfo(people.database), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (legacy,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(legacy)))
        group = sql.Identifier(roles.group_name(people.database))
        conn.execute(sql.SQL("REVOKE {} FROM {}").format(group, sql.Identifier(sue.login)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(legacy), sql.Identifier(sue.login)))
        conn.execute(sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(legacy)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(people.database),
                                                                          sql.Identifier(legacy)))  # fmt: skip
        conn.execute("UPDATE deployment_info SET value = '3' WHERE key = 'sync_triggers'")
    engine = make_engine(people.url)
    try:
        with engine.begin() as conn:
            server.prepare(conn)
    finally:
        engine.dispose()
    with people.admin() as conn:
        granted = conn.execute(
            "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = %s", (legacy,)
        ).fetchone()
        assert granted == (0,)
        assert conn.execute(
            "SELECT has_database_privilege(%s, current_database(), 'CONNECT')", (legacy,)
        ).fetchone() == (False,)
    with people.connect("sue") as session:  # in this database's group now: her unit, and nothing more
        assert session.value("SELECT count(*) FROM tickets") > 0
        assert (
            session.value("SELECT count(*) FROM tickets WHERE NOT business_unit_id = ANY (%s)", (list(sue.units),)) == 0
        )
        error = session.attempt("UPDATE users SET role = 'admin' WHERE id = %s", (sue.id,))
        assert error is not None
        assert error.sqlstate == REFUSED
    with psycopg.connect(pg_server.conninfo(people.database), autocommit=True) as conn:
        conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(legacy), sql.Identifier(sue.login)))


TICKET_NUMBERED = (
    "INSERT INTO tickets (id, number, kind, title, description, status, priority, impact, urgency, tier, module_id, "
    "business_unit_id, reporter_id, reopen_count, created_at, updated_at) SELECT gen_random_uuid(), %s, 'incident', "
    "'Numbered', '', 'new', 'low', 'low', 'low', 1, module_id, business_unit_id, %s, 0, now(), now() "
    "FROM tickets WHERE id = %s"
)
CHANGE_NUMBERED = (
    "INSERT INTO change_requests (id, number, title, change_type, stage, requester_id, owner_id, description, "
    "reason, implementation_plan, test_plan, backout_plan, created_at, updated_at) VALUES (gen_random_uuid(), %s, "
    "'Numbered', 'normal', 'draft', %s, %s, '', '', '', '', '', now(), now())"
)
BLOCK = (
    "INSERT INTO number_blocks (id, series, first, last, next_free, client_id, reserved_at, reserved_by) "
    "SELECT gen_random_uuid(), CAST(%(series)s AS varchar), COALESCE(max(last), 0) + 1, COALESCE(max(last), 0) + 10, "
    "COALESCE(max(last), 0) + 1, 'desk', now(), CAST(%(claims)s AS varchar) FROM number_blocks "
    "WHERE series = CAST(%(series)s AS varchar) "
    "RETURNING first, reserved_by"
)


@pytest.mark.parametrize("how", HOW)
def test_a_person_numbers_only_from_a_block_of_her_own(people: People, how: str) -> None:
    """Numbers of someone else's block, or of none, would make that desk's own ticket or change collide and be
    refused: a person logs a ticket (Sue) or requests a change (Cora) only with a number her own role reserved,
    and a block names who reserved it whatever the desk writes."""
    scene = make_scene(people)
    with people.admin() as conn:  # another desk's block: the administrator's
        admins = conn.execute(BLOCK, {"series": "INC", "claims": None}).fetchone()
        changes = conn.execute(BLOCK, {"series": "CHG", "claims": None}).fetchone()
        conn.commit()
    assert admins is not None
    assert changes is not None
    sue, cora = people["sue"], people["cora"]
    for name, series, other, table, numbered, params in (
        ("sue", "INC", admins[0], "tickets", TICKET_NUMBERED, lambda n: (n, sue.id, scene.my_ticket)),
        ("cora", "CHG", changes[0], "change_requests", CHANGE_NUMBERED, lambda n: (n, cora.id, cora.id)),
    ):
        before = fingerprint(people)
        with people.connect(name, how) as session:
            for number in (f"{series}-{other:07d}", f"{series}-9999999", f"{series}-x"):
                error = session.attempt(numbered, params(number))
                assert error is not None, f"{name} used {number}"
                assert error.sqlstate == REFUSED, f"{number}: {error.sqlstate} {error}"
        assert fingerprint(people) == before
        with people.connect(name, how) as session:
            session._as_person()
            row = session.conn.execute(BLOCK, {"series": series, "claims": people["bob"].login}).fetchone()
            session.conn.commit()
            assert row is not None
            first, reserved_by = row
            assert reserved_by == people[name].login  # not Bob, whom the desk named
            mine = f"{series}-{first:07d}"
            assert session.attempt(numbered, params(mine)) is None
            assert session.value(f"SELECT count(*) FROM {table} WHERE number = %s", (mine,)) == 1


@pytest.mark.parametrize("how", HOW)
def test_a_change_enters_a_stage_only_with_what_the_stage_asks_for(people: People, how: str) -> None:
    """The stage gates hold for the change's own requester in psql, as in her desk: no blank plan sent for approval,
    no blank description into assessment."""
    scene = make_scene(people)
    gate = "needs what its stage"
    with people.connect("cora", how) as cora:
        for blanks in ("backout_plan = ' \t'", "test_plan = ''"):
            before = fingerprint(people)
            error = cora.attempt(
                f"UPDATE change_requests SET {blanks}, stage = 'awaiting_approval' WHERE id = %s", (scene.planned,)
            )
            assert error is not None, blanks
            assert (error.sqlstate, gate in str(error)) == (REFUSED, True), str(error)
            assert fingerprint(people) == before
        assert cora.attempt("UPDATE change_requests SET stage = 'draft' WHERE id = %s", (scene.planned,)) is None
        error = cora.attempt(
            "UPDATE change_requests SET description = '  ', stage = 'assessment' WHERE id = %s", (scene.planned,)
        )
        assert error is not None
        assert gate in str(error)
        assert cora.attempt("UPDATE change_requests SET stage = 'assessment' WHERE id = %s", (scene.planned,)) is None
        assert cora.value("SELECT stage FROM change_requests WHERE id = %s", (scene.planned,)) == "assessment"
