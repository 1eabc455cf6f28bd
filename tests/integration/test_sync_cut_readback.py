"""A pass cut off while the cache reads back an edit that did not stand (the network gone at that moment): the
next pass reads it back again, so the cache never keeps a history the shared database does not have. Found by
the team load test through its fault proxy (tests/load)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from console.sync import client, push
from console.sync.cache_rows import read_back
from console.tickets import edits
from console.tickets import service as tickets
from models import Role, Ticket, TicketStatus, User, table_of
from tests import clock
from tests.integration.test_sync_model import snapshot
from tests.sync_team import Team


def test_a_read_back_cut_off_is_done_again_by_the_next_pass(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = team.desk("desk", Role.FUNCTIONAL_CONSULTANT)
    actor = team.actor(desk)
    with team.shared.connect() as conn:
        other = conn.execute(
            select(User.id).where(User.role == Role.FUNCTIONAL_CONSULTANT, User.id != actor.id).limit(1)
        ).scalar_one()
        ticket = conn.execute(
            select(Ticket.id, Ticket.assignee_id).where(
                Ticket.status == TicketStatus.IN_PROGRESS, Ticket.assignee_id != actor.id,
                Ticket.business_unit_id.in_(actor.units) if actor.scoped else Ticket.id.is_not(None))
            .limit(1)
        ).one()  # fmt: skip
    tickets.execute(desk.cache(), actor, [edits.assign(ticket.id, actor.id, base=ticket.assignee_id)], clock.now())
    with team.shared.begin() as conn:  # someone else assigns it meanwhile: the desk's edit meets a conflict
        conn.execute(update(table_of(Ticket)).where(Ticket.id == ticket.id).values(assignee_id=other))
    cuts: list[str] = []

    def cut(*args: Any) -> None:
        monkeypatch.setattr(push, "read_back", read_back)
        cuts.append("cut")
        raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(push, "read_back", cut)
    with pytest.raises(OperationalError):
        client.sync_workspace(desk)
    assert cuts == ["cut"]
    report = client.sync_workspace(desk)
    assert report.conflicts == 1  # the re-sent edit is answered as before, from the shared database's record
    assert snapshot(desk.cache(), {ticket.id}) == snapshot(team.shared, {ticket.id})
