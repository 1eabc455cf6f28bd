"""The threat model for roles narrower than an administrator's, each with its own database role (its login, and
``SET ROLE`` from an administrator's session): a functional consultant, a service-desk analyst and a change
approver see every unit, and still may not raise their privileges, change people, memberships, approval groups,
policies, SLA targets, calendars, freeze rules, routing rules or the release calendar, decide what is not theirs
to decide, act in someone else's name, or touch the sync bookkeeping; nor do more to a ticket than their role
allows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests import clock
from tests.conftest import PgServer
from tests.people import HOW, People, Session, fingerprint, give_logins
from tests.threats import PICKS, REFUSED, Scene, make_scene

pytestmark = pytest.mark.postgres

Attack = tuple[str, str, tuple[object, ...]]


@pytest.fixture
def people(pg_demo: Callable[[], str], pg_server: PgServer, request: pytest.FixtureRequest) -> People:
    return give_logins(pg_demo(), pg_server, PICKS, request.addfinalizer)


def common(people: People, who: str, s: Scene) -> list[Attack]:
    """What no person may do, whatever their role (but an administrator's)."""
    me = people[who]
    other = people["cora" if who != "cora" else "ana"]
    new = uuid.uuid4
    now = clock.now()
    attacks: list[Attack] = [
        ("a role of one's own choosing", "UPDATE users SET role = 'admin' WHERE id = %s", (me.id,)),
        ("someone deactivated", "UPDATE users SET active = false WHERE id = %s", (other.id,)),
        ("a membership", "INSERT INTO memberships VALUES (%s, %s)", (me.id, s.other)),
        ("an approval group joined", "INSERT INTO group_members SELECT id, %s FROM support_groups", (me.id,)),
        ("an approval group left", "DELETE FROM group_members WHERE user_id = %s", (me.id,)),
        ("SLA targets", "UPDATE sla_targets SET resolution_minutes = NULL", ()),
        ("a calendar", "DELETE FROM holidays", ()),
        ("working hours", "UPDATE business_hours SET starts = '00:00'", ()),
        ("an SLA policy", "UPDATE sla_policies SET warning_threshold = 0.99", ()),
        ("approval rules", "DELETE FROM approval_policies", ()),
        (
            "a freeze window",
            "INSERT INTO freeze_windows (id, name, reason, starts_at, ends_at) "
            "VALUES (%s, 'x', '', now(), now() + interval '1 day')",
            (new(),),
        ),
        ("a template", "DELETE FROM change_templates", ()),
        ("routing rules", "UPDATE routing_rules SET group_id = (SELECT id FROM support_groups WHERE code = 'CAB')", ()),
        (
            "an event as someone else",
            "INSERT INTO audit_events (id, occurred_at, seq, actor_id, entity_type, "
            "entity_id, action) VALUES (%s, now(), 99, %s, 'ticket', %s, 'commented')",
            (new(), other.id, s.my_ticket),
        ),
        (
            "a note as someone else",
            "INSERT INTO comments VALUES (%s, %s, %s, 'internal', 'x', now())",
            (new(), s.my_ticket, other.id),
        ),
        ("history rewritten", "UPDATE audit_events SET actor_id = %s", (me.id,)),
        (
            "someone else away",
            "INSERT INTO approver_delegations VALUES (%s, %s, %s, now(), now() + interval '1 day')",
            (new(), other.id, me.id),
        ),
        (
            "Bob's approval",
            "UPDATE change_approvals SET decision = 'approved', comment = 'ok', decided_by_id = %s, "
            "decided_at = %s WHERE id = %s",
            (me.id, now, s.bob_row),
        ),
        (
            "an approval made up",
            "INSERT INTO change_approvals VALUES (%s, %s, NULL, %s, %s, 'approved', 'ok', now(), now())",
            (new(), s.their_change, me.id, me.id),
        ),
        ("Sue's change approved", "UPDATE change_requests SET stage = 'approved' WHERE id = %s", (s.my_change,)),
        ("a space's version", "UPDATE sync_spaces SET version = 0", ()),
        ("a bump", "SELECT public.sc_bump('global', 'tickets', 'x', 'delete')", ()),
        (
            "a change-index entry",
            "INSERT INTO change_index VALUES ('global', 999999, 'users', 'x', 'delete', now())",
            (),
        ),
        (
            "someone's outcome",
            "INSERT INTO client_mutations VALUES (%s, 'x', %s, 'applied', NULL, now())",
            (new(), other.id),
        ),
        ("the schema's version", "UPDATE alembic_version SET version_num = '0001'", ()),
        ("number blocks", "DELETE FROM number_blocks", ()),
        ("a ready-made cache", "DELETE FROM cache_seeds", ()),
        ("a temporary table", "CREATE TEMPORARY TABLE change_index (x int)", ()),
    ]
    if who != "abe":  # Abe's is his to decide
        attacks.append(("Abe's approval", "UPDATE change_approvals SET decision = 'rejected', comment = 'no', "
                        "decided_by_id = %s, decided_at = %s WHERE id = %s", (me.id, now, s.abe_row)))  # fmt: skip
    return attacks


def consultants(people: People, s: Scene) -> list[Attack]:
    cora = people["cora"]
    now = clock.now()
    return [
        ("the freeze lengths", "INSERT INTO deployment_info VALUES ('change_freeze_days', 'month=0,0')", ()),
        (
            "a release",
            "INSERT INTO releases SELECT %s, id, 'R-C', now(), NULL FROM erp_modules LIMIT 1",
            (uuid.uuid4(),),
        ),
        # Her own change (an administrator asked her too, by mistake): never hers to decide.
        (
            "her own change",
            "UPDATE change_approvals SET decision = 'approved', comment = 'ok', decided_by_id = %s, "
            "decided_at = %s WHERE id = %s",
            (cora.id, now, s.cora_row),
        ),
        ("her change approved", "UPDATE change_requests SET stage = 'approved' WHERE id = %s", (s.their_change,)),
        ("her change rejected", "UPDATE change_requests SET stage = 'rejected' WHERE id = %s", (s.their_change,)),
        # A change of hers being planned: only the approvers its policies name are asked, and all of them.
        (
            "a friend asked",
            "INSERT INTO change_approvals (id, change_id, policy_id, approver_id, decision, "
            "requested_at) SELECT %s, %s, id, %s, 'pending', now() FROM approval_policies LIMIT 1",
            (uuid.uuid4(), s.planned, people["sue"].id),
        ),
        (
            "for approval, no one asked",
            "UPDATE change_requests SET stage = 'awaiting_approval' WHERE id = %s",
            (s.planned,),
        ),
        (
            "a normal change approved straight from assessment",
            "UPDATE change_requests SET stage = 'approved' WHERE id = %s",
            (s.planned,),
        ),
        ("Sue's change edited", "UPDATE change_requests SET implementation_plan = 'x' WHERE id = %s", (s.my_change,)),
        (
            "a standard change of no template",
            "INSERT INTO change_requests (id, number, title, change_type, stage, "
            "requester_id, owner_id, created_at, updated_at) VALUES (%s, 'CHG-S', 'x', 'standard', 'draft', %s, %s, "
            "now(), now())",
            (uuid.uuid4(), cora.id, cora.id),
        ),
    ]


def analysts(people: People, s: Scene) -> list[Attack]:
    """The service desk works a ticket only at tier 1, and requests no changes."""
    ana = people["ana"]
    return [
        (
            "a change requested",
            "INSERT INTO change_requests (id, number, title, change_type, stage, requester_id, "
            "owner_id, created_at, updated_at) VALUES (%s, 'CHG-A', 'x', 'normal', 'draft', %s, %s, now(), now())",
            (uuid.uuid4(), ana.id, ana.id),
        ),
        ("a tier-2 ticket's status", "UPDATE tickets SET status = 'pending_vendor' WHERE id = %s", (s.my_ticket,)),
        ("a tier-2 ticket's vendor", "UPDATE tickets SET vendor = 'ACME' WHERE id = %s", (s.my_ticket,)),
        (
            "an article on a tier-2 ticket",
            "INSERT INTO ticket_articles SELECT %s, id FROM knowledge_articles LIMIT 1",
            (s.my_ticket,),
        ),
        ("the freeze lengths", "INSERT INTO deployment_info VALUES ('change_freeze_days', 'month=0,0')", ()),
    ]


def approvers(people: People, s: Scene) -> list[Attack]:
    """A change approver notes tickets; he neither logs nor triages nor works them."""
    abe = people["abe"]
    return [
        (
            "a ticket logged",
            "INSERT INTO tickets (id, number, kind, title, description, status, priority, impact, "
            "urgency, tier, module_id, business_unit_id, reporter_id, reopen_count, created_at, updated_at) SELECT %s, "
            "'INC-9999998', 'incident', 'x', '', 'new', 'low', 'low', 'low', 1, module_id, business_unit_id, %s, 0, "
            "now(), now() FROM tickets WHERE id = %s",
            (uuid.uuid4(), abe.id, s.my_ticket),
        ),
        ("a priority", "UPDATE tickets SET priority = 'critical' WHERE id = %s", (s.my_ticket,)),
        ("an assignee", "UPDATE tickets SET assignee_id = %s WHERE id = %s", (abe.id, s.my_ticket)),
        ("a status", "UPDATE tickets SET status = 'resolved' WHERE id = %s", (s.my_ticket,)),
        ("the freeze lengths", "UPDATE deployment_info SET value = 'month=0,0' WHERE key = 'sync_triggers'", ()),
    ]


ROLES = {"cora": consultants, "ana": analysts, "abe": approvers}


@pytest.mark.parametrize("who", sorted(ROLES))
@pytest.mark.parametrize("how", HOW)
def test_a_narrower_role_cannot_reach_past_it(people: People, who: str, how: str) -> None:
    scene = make_scene(people)
    before = fingerprint(people)
    with people.connect(who, how) as session:
        for why, statement, params in [*common(people, who, scene), *ROLES[who](people, scene)]:
            error = session.attempt(statement, params or None)
            assert error is not None, f"{who}, {why}: the database let it through"
            assert error.sqlstate == REFUSED, f"{who}, {why}: {error.sqlstate} {error}"
        _reads(session, people, who, scene)
    assert fingerprint(people) == before


def _reads(session: Session, people: People, who: str, s: Scene) -> None:
    """Every unit's tickets (not a super-user), and still no one else's refusals or conflicts."""
    assert session.value("SELECT count(*) FROM tickets WHERE business_unit_id = %s", (s.other,)) > 0
    me = (people[who].id,)
    for table in ("client_mutations", "sync_conflicts"):
        assert session.value(f"SELECT count(*) FROM {table} WHERE user_id <> %s", me) == 0, table
    assert session.value("SELECT count(*) FROM client_mutations") == (1 if who == "cora" else 0)  # her own


def test_an_ended_delegation_decides_nothing_and_a_delegate_only_in_its_time(people: People) -> None:
    """Sue decided for Bob while he was away; it is over. Backdating the decision into that week is refused too:
    a decision comes after the approval was asked."""
    scene = make_scene(people)
    sue = people["sue"]
    for when in (clock.now(), clock.now() - timedelta(days=5), clock.now() + timedelta(days=400)):
        with people.connect("sue") as session:
            error = session.attempt(
                "UPDATE change_approvals SET decision = 'approved', comment = 'ok', decided_by_id = %s, "
                "decided_at = %s WHERE id = %s",
                (sue.id, when, scene.bob_row),
            )
        assert error is not None
        assert error.sqlstate == REFUSED
