"""What the threat-model tests aim at: people with logins of their own in a prepared demo, and rows made by the
administrator for them to attack (changes awaiting approval, a delegation that is over, someone else's refused
edit and conflicts, another unit's ready-made cache)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from models import Role
from tests import clock
from tests.people import People, Session, other_unit

REFUSED = "42501"  # insufficient_privilege: "permission denied", a row-level security violation, a guard


@dataclass(frozen=True)
class Scene:
    """What the attempts aim at (made by the administrator)."""

    mine: uuid.UUID  # Sue's unit
    other: uuid.UUID  # a unit she does not belong to
    my_ticket: uuid.UUID
    their_ticket: uuid.UUID  # in the other unit
    my_change: uuid.UUID  # requested by Sue, awaiting approval: Abe asked, and (by hand) Sue herself
    their_change: uuid.UUID  # requested by Cora for Sue's unit, awaiting approval: Bob asked
    abe_row: uuid.UUID
    sue_row: uuid.UUID  # an approval of her own change, in her own name
    bob_row: uuid.UUID
    cora_row: uuid.UUID  # an approval of Cora's own change, in her own name
    planned: uuid.UUID  # Cora's normal change in assessment, low risk, approvers not asked yet
    in_mine: int  # tickets in Sue's unit


PICKS = {
    "sue": (Role.SUPER_USER, 0),
    "cora": (Role.FUNCTIONAL_CONSULTANT, 0),
    "ana": (Role.SERVICE_DESK_ANALYST, 0),
    "max": (Role.SUPPORT_MANAGER, 0),
    "abe": (Role.CHANGE_APPROVER, 0),
    "bob": (Role.CHANGE_APPROVER, 1),
}


def make_scene(people: People) -> Scene:
    """Two changes awaiting approval, a delegation that is over, someone else's refused edit and conflicts,
    another unit's ready-made cache: written by the administrator."""
    sue, cora, abe, bob = people["sue"], people["cora"], people["abe"], people["bob"]
    mine = min(sue.units)
    other = other_unit(people, "sue")
    now = clock.now()
    with people.admin() as conn:

        def one(query: str, *params: object) -> uuid.UUID:
            row = conn.execute(query, params).fetchone()
            assert row is not None, query
            return row[0]  # type: ignore[no-any-return]

        my_ticket = one("SELECT id FROM tickets WHERE business_unit_id = %s ORDER BY number LIMIT 1", mine)
        their_ticket = one("SELECT id FROM tickets WHERE business_unit_id = %s ORDER BY number LIMIT 1", other)
        module = one("SELECT id FROM erp_modules ORDER BY code LIMIT 1")
        changes = {}
        for name, requester in (("mine", sue), ("theirs", cora), ("planned", cora)):
            change = uuid.uuid4()
            conn.execute(
                "INSERT INTO change_requests (id, number, title, change_type, stage, risk, requester_id, owner_id, "
                "description, reason, implementation_plan, test_plan, backout_plan, planned_start, planned_end, "
                "created_at, updated_at) VALUES (%s, %s, 'Trust test', 'normal', %s, 'low', %s, %s, "
                "'d', 'r', 'i', 't', 'b', %s, %s, %s, %s)",
                (change, f"CHG-T{name.upper()}", "assessment" if name == "planned" else "awaiting_approval",
                 requester.id, requester.id, now + timedelta(days=9), now + timedelta(days=9, hours=2), now, now),
            )  # fmt: skip
            conn.execute("INSERT INTO change_business_units VALUES (%s, %s)", (change, mine))
            conn.execute("INSERT INTO change_modules VALUES (%s, %s)", (change, module))
            changes[name] = change
        rows = {}
        for key, change, approver in (("abe", changes["mine"], abe), ("sue", changes["mine"], sue),
                                      ("bob", changes["theirs"], bob), ("cora", changes["theirs"], cora)):  # fmt: skip
            rows[key] = uuid.uuid4()
            conn.execute(
                "INSERT INTO change_approvals (id, change_id, policy_id, approver_id, decision, requested_at) "
                "VALUES (%s, %s, NULL, %s, 'pending', %s)",
                (rows[key], change, approver.id, now - timedelta(days=3)),
            )
        # Bob was away last week and Sue decided for him then; that is over.
        conn.execute(
            "INSERT INTO approver_delegations (id, approver_id, delegate_id, starts_at, ends_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (uuid.uuid4(), bob.id, sue.id, now - timedelta(days=7), now - timedelta(days=2)),
        )
        number = one("SELECT number FROM tickets WHERE id = %s", their_ticket)
        conn.execute(
            "INSERT INTO client_mutations (mutation_id, client_id, user_id, outcome, reason, applied_at) "
            "VALUES (%s, 'cora-desk', %s, 'rejected', %s, %s)",
            (uuid.uuid4(), cora.id, f"{number}, status: Confidential payroll ticket", now),
        )
        for owner, ticket, unit in ((cora, my_ticket, mine), (cora, their_ticket, other), (sue, my_ticket, mine)):
            conn.execute(
                "INSERT INTO sync_conflicts (id, entity_table, entity_id, business_unit_id, number, field, base_value, "
                "mine_value, theirs_value, user_id, mutation_id, created_at) VALUES (%s, 'tickets', %s, %s, 'INC-X', "
                "'trust_field', 'a', %s, 'c', %s, %s, %s)",
                (uuid.uuid4(), ticket, unit, f"by {owner.login}", owner.id, uuid.uuid4(), now),
            )
        seed = uuid.uuid4()
        conn.execute(
            "INSERT INTO cache_seeds (id, business_unit_id, schema, global_version, unit_version, tickets, size, "
            "sha256, built_at) VALUES (%s, %s, 'x', 0, 0, 0, 0, '', %s)",
            (seed, other, now),
        )
        conn.execute("INSERT INTO cache_seed_chunks VALUES (%s, 0, 'secret')", (seed,))
        # Her ticket is being worked at tier 2 by Cora: a super-user may triage it, not work it.
        conn.execute("UPDATE tickets SET status = 'in_progress', assignee_id = %s, tier = 2 WHERE id = %s",
                     (cora.id, my_ticket))  # fmt: skip
        in_mine = one("SELECT count(*) FROM tickets WHERE business_unit_id = %s", mine)
    return Scene(mine, other, my_ticket, their_ticket, changes["mine"], changes["theirs"], rows["abe"],
                 rows["sue"], rows["bob"], rows["cora"], changes["planned"], int(in_mine))  # fmt: skip


def refused(session: Session, statement: str, *params: object) -> psycopg.Error:
    error = session.attempt(statement, params or None)
    assert error is not None, f"the database let this through: {statement}"
    assert error.sqlstate == REFUSED, f"{statement}: {error.sqlstate} {error}"
    return error
