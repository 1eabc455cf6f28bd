"""Sync between several workspaces and one shared database, on SQLite and on the real PostgreSQL server:
push once, pull by cursor, conflicts as data, unit moves, writes by other SQL clients."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from console.access import Refused, load_actor
from console.changes import freezes
from console.changes import service as changes
from console.changes.settings import submit_setting
from console.journal import outbox
from console.sync import client, merge, server
from console.sync.conflicts import open_conflicts, resolve
from console.sync.pull import spaces_for
from console.tickets import edits
from console.tickets import service as tickets
from models import (
    ApproverDelegation,
    AuditEvent,
    BusinessUnit,
    ChangeRequest,
    ChangeStage,
    ClientMutation,
    Comment,
    ErpModule,
    Holiday,
    Impact,
    Membership,
    OutboxEntry,
    Priority,
    Role,
    SyncConflict,
    SyncNotice,
    Ticket,
    TicketKind,
    TicketStatus,
    Urgency,
    User,
    table_of,
)
from tests import clock
from tests.sync_team import TICKETS, Team, open_ticket, rows


def test_an_edit_reaches_the_shared_database_once_and_every_cache(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT, nth=0)
    bob = team.desk("bob", Role.FUNCTIONAL_CONSULTANT, nth=1)
    ticket_id, _row = open_ticket(team)
    note = edits.add_note(ticket_id, "Checked the posting log: period 11 was closed early.", internal=True)
    tickets.execute(alice.cache(), team.actor(alice), [note], clock.now())
    with alice.cache().connect() as conn:
        assert outbox.pending(conn) == 1
    report = client.sync_workspace(alice)
    assert report.pushed == 1
    with alice.cache().connect() as conn:
        assert outbox.pending(conn) == 0
    # The shared database has the note and its audit event, with the ids the cache gave them.
    where = (AuditEvent.entity_id == ticket_id,)
    assert rows(team.shared, table_of(AuditEvent), *where) == rows(alice.cache(), table_of(AuditEvent), *where)
    assert rows(team.shared, table_of(Comment), Comment.id == note.comment_id)
    client.sync_workspace(bob)
    assert rows(bob.cache(), table_of(Comment), Comment.id == note.comment_id) == rows(
        team.shared, table_of(Comment), Comment.id == note.comment_id
    )
    assert rows(bob.cache(), TICKETS, Ticket.id == ticket_id) == rows(team.shared, TICKETS, Ticket.id == ticket_id)

    # A retry of the same intent (the answer was lost) applies nothing twice.
    with team.shared.begin() as conn:
        again = merge.apply_remote(conn, load_actor(conn, alice.settings.get("user")), "alice", note, clock.now())
    assert again.repeated
    assert len(rows(team.shared, table_of(Comment), Comment.id == note.comment_id)) == 1
    with team.shared.connect() as conn:
        assert (
            conn.execute(select(func.count()).where(ClientMutation.mutation_id == note.mutation_id)).scalar_one() == 1
        )


def test_the_same_field_changed_on_two_desks_is_a_conflict_not_an_overwrite(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT, nth=0)
    bob = team.desk("bob", Role.FUNCTIONAL_CONSULTANT, nth=1)
    ticket_id, row = open_ticket(team)
    a, b = team.actor(alice), team.actor(bob)
    now = clock.now()
    # Both offline, both from the same base: Alice takes it, Bob gives it to himself.
    tickets.execute(alice.cache(), a, [edits.assign(ticket_id, a.id, base=row["assignee_id"])], now)
    tickets.execute(bob.cache(), b, [edits.assign(ticket_id, b.id, base=row["assignee_id"])], now)
    # Bob also raises the priority; Alice lowers it: the escalation wins whatever the order.
    client.sync_workspace(alice)
    report = client.sync_workspace(bob)
    assert report.conflicts == 1
    with team.shared.connect() as conn:
        assert conn.execute(select(Ticket.assignee_id).where(Ticket.id == ticket_id)).scalar_one() == a.id
        conflict = conn.execute(select(table_of(SyncConflict)).where(SyncConflict.entity_id == ticket_id)).one()
    assert (conflict.field, conflict.mine_value, conflict.theirs_value) == ("assignee_id", str(b.id), str(a.id))
    # Bob's cache holds what the shared database holds, his notice says why, and both caches see the conflict.
    assert rows(bob.cache(), TICKETS, Ticket.id == ticket_id) == rows(team.shared, TICKETS, Ticket.id == ticket_id)
    with bob.cache().connect() as conn:
        notice = conn.execute(select(SyncNotice.kind, SyncNotice.summary)).one()
    assert notice.kind == "conflict"
    assert "changed by someone else" in notice.summary
    client.sync_workspace(alice)
    for desk in (alice, bob):
        assert rows(desk.cache(), table_of(SyncConflict)) == rows(team.shared, table_of(SyncConflict))

    # Bob resolves it his way: "keep mine" sets his value over theirs, and both sides see it resolved.
    with bob.cache().connect() as conn:
        [open_one] = open_conflicts(conn, b)
    assert (open_one.field, open_one.mine) == ("assignee_id", b.display_name)
    resolve = tickets.ResolveConflict(ticket_id, open_one.id, "mine")
    tickets.execute(bob.cache(), b, [resolve], clock.now())
    with pytest.raises(Refused, match="already resolved"):
        tickets.execute(bob.cache(), b, [tickets.ResolveConflict(ticket_id, open_one.id, "theirs")], clock.now())
    assert client.sync_workspace(bob).rejected == []
    client.sync_workspace(alice)
    with team.shared.connect() as conn:
        assert conn.execute(select(Ticket.assignee_id).where(Ticket.id == ticket_id)).scalar_one() == b.id
        assert (
            conn.execute(select(SyncConflict.resolution).where(SyncConflict.id == open_one.id)).scalar_one() == "mine"
        )
    for desk in (alice, bob):
        with desk.cache().connect() as conn:
            assert open_conflicts(conn, team.actor(desk)) == []
        assert rows(desk.cache(), TICKETS, Ticket.id == ticket_id) == rows(team.shared, TICKETS, Ticket.id == ticket_id)


def test_status_goes_through_the_state_machine_and_escalation_wins(team: Team) -> None:
    ticket_id, _ = open_ticket(team)
    with team.shared.begin() as conn:  # a Medium ticket, whatever the demo made it
        conn.execute(update(TICKETS).where(Ticket.id == ticket_id).values(priority=Priority.MEDIUM))
    ticket_id, row = open_ticket(team, None, Ticket.id == ticket_id)
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT, nth=0)
    bob = team.desk("bob", Role.FUNCTIONAL_CONSULTANT, nth=1)
    a, b = team.actor(alice), team.actor(bob)
    now = clock.now()
    base = TicketStatus(row["status"])
    tickets.execute(alice.cache(), a, [edits.set_status(ticket_id, TicketStatus.PENDING_VENDOR, base=base,
                                                          reason="Waiting for the vendor's note.")], now)  # fmt: skip
    tickets.execute(bob.cache(), b, [edits.set_status(ticket_id, TicketStatus.RESOLVED, base=base,
                                                        reason="Fixed by the new posting rule.")], now)  # fmt: skip
    lower = edits.set_priority(ticket_id, Priority.LOW, base=row["priority"], reason="Workaround in place.")
    tickets.execute(alice.cache(), a, [lower], now + timedelta(seconds=1))
    raise_it = edits.set_priority(ticket_id, Priority.CRITICAL, base=row["priority"], reason="Payroll stops.")
    tickets.execute(bob.cache(), b, [raise_it], now + timedelta(seconds=1))
    client.sync_workspace(alice)
    report = client.sync_workspace(bob)
    with team.shared.connect() as conn:
        status, priority = conn.execute(select(Ticket.status, Ticket.priority).where(Ticket.id == ticket_id)).one()
    # Pending vendor → Resolved is a move the workflow allows: Bob's resolve applies on top of Alice's pend.
    assert status == TicketStatus.RESOLVED
    assert priority == Priority.CRITICAL  # raised above what Alice set: escalation wins
    assert report.rejected == []


def test_a_ticket_moved_to_another_unit_leaves_the_super_users_cache(team: Team) -> None:
    with team.shared.connect() as conn:
        login, unit = conn.execute(
            select(User.login, Membership.business_unit_id)
            .join(Membership)
            .where(User.role == Role.SUPER_USER)
            .order_by(User.login)
        ).first()  # type: ignore[misc]
        other = conn.execute(select(BusinessUnit.id).where(BusinessUnit.id != unit)).scalars().first()
    nth = 0
    with team.shared.connect() as conn:
        logins = (
            conn.execute(select(User.login).where(User.role == Role.SUPER_USER).order_by(User.login)).scalars().all()
        )
        nth = logins.index(login)
    sue = team.desk("sue", Role.SUPER_USER, nth=nth)
    manager = team.desk("max", Role.SUPPORT_MANAGER)
    with sue.cache().connect() as conn:
        units = set(conn.execute(select(Ticket.business_unit_id).distinct()).scalars())
    assert units == {unit}  # only her unit, downloaded
    boss = team.actor(manager)
    with manager.cache().begin() as conn:  # a new ticket in Sue's unit, logged by the manager
        number = tickets.new_ticket_number(conn, TicketKind.INCIDENT, manager.client_id, manager.reserve_numbers)
        module = conn.execute(select(ErpModule.id).order_by(ErpModule.code).limit(1)).scalar_one()
    ticket_id = uuid.uuid4()
    logged = tickets.CreateTicket(ticket_id, TicketKind.INCIDENT, "Goods receipt blocked", "GR for PO 4711 fails.",
                                  Impact.MEDIUM, Urgency.MEDIUM, unit, module, boss.id, number)  # fmt: skip
    tickets.execute(manager.cache(), boss, [logged], clock.now())
    note = edits.add_note(ticket_id, "Asked the warehouse for the delivery note.", internal=False)
    tickets.execute(manager.cache(), boss, [note], clock.now())
    client.sync_workspace(manager)
    client.sync_workspace(sue)
    assert rows(sue.cache(), TICKETS, Ticket.id == ticket_id)
    move = tickets.SetField(ticket_id, "business_unit_id", other, unit)
    tickets.execute(manager.cache(), team.actor(manager), [move], clock.now())
    client.sync_workspace(manager)
    client.sync_workspace(sue)
    assert rows(sue.cache(), TICKETS, Ticket.id == ticket_id) == set()
    assert rows(sue.cache(), table_of(Comment), Comment.ticket_id == ticket_id) == set()
    assert rows(sue.cache(), table_of(AuditEvent), AuditEvent.entity_id == ticket_id) == set()
    with sue.cache().connect() as conn:
        assert set(conn.execute(select(Ticket.business_unit_id).distinct()).scalars()) == {unit}


def test_a_write_by_another_sql_client_is_picked_up(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    ticket_id, _ = open_ticket(team)
    with team.shared.begin() as conn:  # an ERP integration writing straight to the table
        conn.execute(update(TICKETS).where(Ticket.id == ticket_id).values(vendor_reference="ERP-INT-77"))
    client.sync_workspace(alice)
    with alice.cache().connect() as conn:
        assert conn.execute(select(Ticket.vendor_reference).where(Ticket.id == ticket_id)).scalar_one() == "ERP-INT-77"
    with team.shared.begin() as conn:
        conn.execute(
            text("DELETE FROM comments WHERE ticket_id = :t"),
            {"t": ticket_id if team.shared.dialect.name == "postgresql" else ticket_id.hex},
        )
    client.sync_workspace(alice)
    assert rows(alice.cache(), table_of(Comment), Comment.ticket_id == ticket_id) == set()


def test_a_rejected_intent_comes_back_with_its_reason_and_does_not_block_the_rest(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT, nth=0)
    ticket_id, row = open_ticket(team)
    a = team.actor(alice)
    now = clock.now()
    tickets.execute(alice.cache(), a, [edits.add_note(ticket_id, "first", internal=True)], now)
    with team.shared.begin() as conn:  # meanwhile an administrator deactivates Alice's chosen assignee
        other = conn.execute(select(User.id).where(User.role == Role.TECHNICAL).order_by(User.login)).scalars().first()
    tickets.execute(
        alice.cache(), a, [edits.assign(ticket_id, other, base=row["assignee_id"])], now + timedelta(seconds=1)
    )
    with team.shared.begin() as conn:
        conn.execute(update(table_of(User)).where(User.id == other).values(active=False))
    last = edits.add_note(ticket_id, "second", internal=True)
    tickets.execute(alice.cache(), a, [last], now + timedelta(seconds=2))
    report = client.sync_workspace(alice)
    assert report.pushed == 3
    assert len(report.rejected) == 1
    assert "deactivated" in report.rejected[0]
    assert rows(team.shared, table_of(Comment), Comment.id == last.comment_id)
    assert rows(alice.cache(), TICKETS, Ticket.id == ticket_id) == rows(team.shared, TICKETS, Ticket.id == ticket_id)
    with alice.cache().connect() as conn:
        assert conn.execute(select(func.count()).select_from(OutboxEntry)).scalar_one() == 0


def test_a_cache_offline_longer_than_changes_are_kept_pushes_then_reads_its_spaces_again(team: Team) -> None:
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    sue = team.desk("sue", Role.SUPER_USER)
    ticket_id, _ = open_ticket(team)
    note = edits.add_note(ticket_id, "Written on the plane, synced a month later.", internal=True)
    tickets.execute(alice.cache(), team.actor(alice), [note], clock.now())
    # While Alice is away: a ticket deleted (a tombstone), a person renamed, a holiday removed.
    with team.shared.connect() as conn:
        doomed = conn.execute(
            select(Ticket.id).where(Ticket.id != ticket_id).order_by(Ticket.number.desc()).limit(1)
        ).scalar_one()
        holiday = conn.execute(select(Holiday.id).limit(1)).scalar_one()
    with team.shared.begin() as conn:
        conn.execute(delete(TICKETS).where(Ticket.id == doomed))
        conn.execute(delete(table_of(Holiday)).where(Holiday.id == holiday))
        conn.execute(update(table_of(User)).where(User.role == Role.TECHNICAL).values(display_name="Renamed"))
    client.sync_workspace(sue)  # Sue kept up: she is never read again
    with team.shared.begin() as conn:  # the administrator's daily prune, a while later
        removed = server.prune(conn, clock.now() + timedelta(days=1))
    assert sum(removed.values()) > 0

    report = client.sync_workspace(alice)
    assert report.pushed == 1
    with team.shared.connect() as conn:  # read again: the spaces that lost entries she had not seen
        assert set(report.redownloaded) == set(removed) & set(spaces_for(conn, team.actor(alice)))
    assert "global" in report.redownloaded
    assert "again" in report.summary()
    everything = rows(team.shared, TICKETS)
    assert rows(alice.cache(), TICKETS) == everything
    assert not rows(alice.cache(), TICKETS, Ticket.id == doomed)
    assert rows(alice.cache(), table_of(Comment), Comment.id == note.comment_id)
    assert rows(alice.cache(), table_of(Holiday)) == rows(team.shared, table_of(Holiday))
    assert rows(alice.cache(), table_of(User)) == rows(team.shared, table_of(User))
    with alice.cache().connect() as conn:
        assert outbox.pending(conn) == 0
    assert client.sync_workspace(alice).redownloaded == []  # caught up: entry by entry again
    report = client.sync_workspace(sue)
    assert report.redownloaded == []
    assert rows(sue.cache(), TICKETS) == rows(team.shared, TICKETS, Ticket.business_unit_id.in_(team.actor(sue).units))


def test_time_away_and_freeze_lengths_sync_as_intents(team: Team) -> None:
    max_ = team.desk("max", Role.SUPPORT_MANAGER)
    alice = team.desk("alice", Role.FUNCTIONAL_CONSULTANT)
    now = clock.now()
    with team.shared.connect() as conn:
        helper, gone = (
            conn.execute(
                select(User.id)
                .where(User.role == Role.FUNCTIONAL_CONSULTANT, User.active)
                .order_by(User.login)
                .offset(2)
            )
            .scalars()
            .all()[:2]
        )
    a = team.actor(alice)
    with alice.cache().begin() as conn:
        submit_setting(conn, a, changes.Back(), now)  # whatever the demo had set ends
        submit_setting(conn, a, changes.Away(helper, now, now + timedelta(days=5)), now)
    with max_.cache().begin() as conn:
        submit_setting(conn, team.actor(max_), changes.SetFreezes("month=4,1 quarter=6,2 year=8,3"), now)
    with alice.cache().begin() as conn, pytest.raises(Refused, match="administrator or a support manager"):
        submit_setting(conn, a, changes.SetFreezes("month=0,0"), now)
    assert client.sync_workspace(max_).rejected == []
    assert client.sync_workspace(alice).rejected == []
    client.sync_workspace(max_)
    delegations = table_of(ApproverDelegation)
    mine = (ApproverDelegation.approver_id == a.id,)
    assert rows(team.shared, delegations, *mine) == rows(alice.cache(), delegations, *mine)
    assert rows(max_.cache(), delegations, *mine) == rows(team.shared, delegations, *mine)
    with alice.cache().connect() as conn:
        assert freezes.freeze_text(freezes.freeze_policy(conn)) == "month=4,1 quarter=6,2 year=8,3"

    # Away with someone an administrator deactivates meanwhile: refused there, and undone here.
    with alice.cache().begin() as conn:
        submit_setting(conn, a, changes.Back(), now + timedelta(minutes=1))
        submit_setting(conn, a, changes.Away(gone, now + timedelta(days=9), now + timedelta(days=12)), now)
    with team.shared.begin() as conn:
        conn.execute(update(table_of(User)).where(User.id == gone).values(active=False))
    report = client.sync_workspace(alice)
    assert len(report.rejected) == 1
    assert "not an active user" in report.rejected[0]
    assert rows(alice.cache(), delegations, *mine) == rows(team.shared, delegations, *mine)
    assert not rows(alice.cache(), delegations, ApproverDelegation.delegate_id == gone)


def test_a_conflict_on_a_change_request_is_resolved_from_the_same_list(team: Team) -> None:
    max_ = team.desk("max", Role.SUPPORT_MANAGER, nth=0)
    meg = team.desk("meg", Role.SUPPORT_MANAGER, nth=1)
    with team.shared.connect() as conn:
        change = conn.execute(
            select(ChangeRequest.id, ChangeRequest.title, ChangeRequest.planned_start, ChangeRequest.planned_end)
            .where(ChangeRequest.stage.in_([ChangeStage.DRAFT, ChangeStage.ASSESSMENT]))
            .order_by(ChangeRequest.number)
            .limit(1)
        ).one()
    now = clock.now()
    for desk, title in ((max_, "Patch the VAT return layout (Max)"), (meg, "Patch the VAT return layout (Meg)")):
        edit = changes.EditChange(change.id, "title", title, change.title)
        changes.execute_change(desk.cache(), team.actor(desk), edit, now)
    client.sync_workspace(max_)
    report = client.sync_workspace(meg)
    assert report.conflicts == 1
    with meg.cache().connect() as conn:
        [conflict] = open_conflicts(conn, team.actor(meg))
        assert conn.execute(select(ChangeRequest.title).where(ChangeRequest.id == change.id)).scalar_one() == (
            "Patch the VAT return layout (Max)"  # read back: nothing overwritten
        )
    assert (conflict.entity_table, conflict.field) == ("change_requests", "title")
    assert (conflict.mine, conflict.theirs) == (
        "Patch the VAT return layout (Meg)",
        "Patch the VAT return layout (Max)",
    )
    assert conflict.editable

    assert resolve(meg.cache(), team.actor(meg), conflict, "edited", "Patch the VAT return layout") == conflict.number
    client.sync_workspace(meg)
    client.sync_workspace(max_)
    for engine in (max_.cache(), meg.cache(), team.shared):
        with engine.connect() as conn:
            title_now = select(ChangeRequest.title).where(ChangeRequest.id == change.id)
            assert conn.execute(title_now).scalar_one() == "Patch the VAT return layout"
            resolution = select(SyncConflict.resolution).where(SyncConflict.id == conflict.id)
            assert conn.execute(resolution).scalar_one() == "edited"
    for desk in (max_, meg):
        with desk.cache().connect() as conn:
            assert open_conflicts(conn, team.actor(desk)) == []
    # A change's window is chosen, not typed.
    window = (now + timedelta(days=3), now + timedelta(days=3, hours=2))
    for desk, hours in ((max_, 0), (meg, 1)):
        seen = (change.planned_start, change.planned_end)
        moved = (window[0] + timedelta(hours=hours), window[1] + timedelta(hours=hours))
        changes.execute_change(
            desk.cache(), team.actor(desk), changes.EditChange(change.id, "window", moved, seen), now
        )
    client.sync_workspace(max_)
    client.sync_workspace(meg)
    with meg.cache().connect() as conn:
        [conflict] = open_conflicts(conn, team.actor(meg))
    assert not conflict.editable
    with pytest.raises(Refused, match="chosen, not typed"):
        resolve(meg.cache(), team.actor(meg), conflict, "edited", "tomorrow")
    resolve(meg.cache(), team.actor(meg), conflict, "mine")
    client.sync_workspace(meg)
    with team.shared.connect() as conn:
        start = conn.execute(select(ChangeRequest.planned_start).where(ChangeRequest.id == change.id)).scalar_one()
    assert start == window[0] + timedelta(hours=1)
