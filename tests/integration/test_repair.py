"""A damaged local cache is named, set aside untouched and downloaded again, with its unsynced edits kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.cli.command import main
from console.desk import Desk
from console.journal.intents import AddComment
from console.store import damage
from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client
from console.sync.repair import repair
from models import Comment, OutboxEntry, Ticket, Visibility
from tests import clock
from tests.conftest import MemoryKeyring


def open_home(home: Path) -> Workspace:
    return Workspace.open(home, secrets=SecretStore(MemoryKeyring()))


def damage_by(how: str, path: Path) -> None:
    for suffix in damage.SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "garbage":
        path.write_bytes(b"\x13\x37" * 4096)
    else:  # a page in the middle overwritten: the header is sound, the content is not
        middle = (len(data) // 4096 // 2) * 4096
        path.write_bytes(data[:middle] + b"\xff" * 4096 + data[middle + 4096 :])


@pytest.mark.parametrize("how", ["truncated", "garbage", "overwritten"])
def test_a_damaged_cache_is_named_set_aside_and_downloaded_again_with_its_unsynced_note(
    demo_copy: Path, how: str
) -> None:
    workspace = open_home(demo_copy)
    client.sync_workspace(workspace)  # everything synced: the note below is the only edit not yet pushed
    desk = Desk.open(workspace, clock=clock.now)
    with workspace.cache().connect() as conn:
        ticket = conn.execute(select(Ticket.id, Ticket.number).order_by(Ticket.number).limit(1)).one()
        tickets = conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
    note = "Checked the bank file with the treasury team."
    desk.edit_ticket(lambda i: [AddComment(i, note, Visibility.INTERNAL)], ticket.id, ticket.number)
    with workspace.cache().connect() as conn:
        assert conn.execute(select(func.count()).select_from(OutboxEntry)).scalar_one() == 1
    workspace.close()
    cache = demo_copy / "cache.sqlite3"
    damage_by(how, cache)
    damaged = cache.read_bytes()

    workspace = open_home(demo_copy)
    with (
        pytest.raises(damage.DamagedCache, match=r"local cache .* is damaged") as caught,
        workspace.cache().connect() as conn,
    ):
        conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
    assert "repair" in str(caught.value)
    assert cache.read_bytes() == damaged  # named, and left exactly as it was
    workspace.close()

    repaired = repair(workspace)
    assert (repaired.folder / "cache.sqlite3").read_bytes() == damaged
    assert repaired.report is not None
    with workspace.cache().connect() as conn:
        assert conn.execute(select(func.count()).select_from(Ticket)).scalar_one() == tickets
        notes = conn.execute(select(Comment.body).where(Comment.ticket_id == ticket.id)).scalars().all()
        pending = conn.execute(select(func.count()).select_from(OutboxEntry)).scalar_one()
    if repaired.outbox_lost:  # the outbox's pages went with the damage: said, not hidden
        assert how in ("truncated", "garbage")
        assert "could not be read: any made since the last sync are lost" in repaired.summary()
    else:
        assert (repaired.kept, repaired.lost) == (1, 0)
        assert note in notes  # pushed from the new outbox, and downloaded again with everything else
    assert pending == 0
    workspace.close()
    shutil.rmtree(repaired.folder)


def test_the_command_line_names_a_damaged_cache_and_repairs_it(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = demo_copy / "cache.sqlite3"
    damage_by("overwritten", cache)
    for argv in (["ticket", "list"], ["info"]):
        assert main(["--home", str(demo_copy), *argv]) == 1
        said = capsys.readouterr()
        assert "Your local cache" in said.err
        assert "support-console repair" in said.err
        assert "Traceback" not in said.err
    assert main(["--home", str(demo_copy), "repair"]) == 0
    assert "The damaged cache is in" in capsys.readouterr().out
    assert main(["--home", str(demo_copy), "ticket", "list", "--status", "all", "--limit", "1"]) == 0
