"""Ready-made caches: a new desk that starts from its unit's seed holds exactly what a row-by-row first
sync would, changes made after the seed included; a stale, damaged or foreign seed is not taken."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from console.store.workspace import Workspace
from console.sync import client, seed_build, seeds, server
from models import (
    GLOBAL_SPACE,
    BusinessUnit,
    CacheSeed,
    CacheSeedChunk,
    Comment,
    KnowledgeArticle,
    Problem,
    Role,
    SyncCursor,
    Ticket,
    User,
    Visibility,
    table_of,
)
from tests import clock
from tests.sync_team import TICKETS, Team, as_her_login_reads, same_caches, single_unit_super_users


def search(workspace: Workspace, words: str) -> list[str]:
    with workspace.cache().connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT t.number FROM search_tickets(?) s JOIN tickets t ON t.rowid = s.rowid", (words,)
        )
        return sorted(r[0] for r in found)


def test_a_new_desk_starts_from_its_units_seed_and_pulls_what_changed_since(team: Team, tmp_path: Path) -> None:
    login, unit, code = single_unit_super_users(team)[0]
    with team.shared.begin() as conn:  # a problem of another unit only: not hers to read
        other = conn.execute(select(BusinessUnit.id).where(BusinessUnit.id != unit)).scalars().first()
        problem = dict(conn.execute(select(table_of(Problem))).mappings().first() or {})
        hidden = uuid.uuid4()
        conn.execute(table_of(Problem).insert(), [problem | {"id": hidden, "number": "PRB-9999999",
                                                            "business_unit_id": other}])  # fmt: skip
    built = seed_build.build(team.shared, code.lower(), tmp_path)
    assert built.unit == code
    assert built.tickets > 0
    assert 0 < built.stored < built.size
    assert not list(tmp_path.glob("seed-*"))  # the file was stored and removed
    # After the seed: another SQL client renames one of the unit's tickets and adds a note to another.
    with team.shared.begin() as conn:
        first, second = conn.execute(
            select(Ticket.id).where(Ticket.business_unit_id == unit).order_by(Ticket.number).limit(2)
        ).scalars()
        conn.execute(update(TICKETS).where(Ticket.id == first).values(title="Seeded, then renamed Zanzibarian"))
        author = conn.execute(select(User.id).where(User.login == login)).scalar_one()
        note = {"id": uuid.uuid4(), "ticket_id": second, "author_id": author, "body": "Written after the seed",
                "visibility": Visibility.INTERNAL, "created_at": clock.now()}  # fmt: skip
        conn.execute(table_of(Comment).insert(), [note])

    seeded = team.desk("seeded", Role.SUPER_USER, login=login)
    with team.shared.connect() as conn:
        versions = server.space_versions(conn, [GLOBAL_SPACE, unit.hex])
    with seeded.cache().connect() as conn:
        cursors = {s: int(v) for s, v in conn.execute(select(SyncCursor.space, SyncCursor.version))}
        assert cursors == versions  # the seed's cursors, moved on by the pull after it
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.execute(select(Comment.body).where(Comment.id == note["id"])).scalar_one() == note["body"]
        assert set(conn.execute(select(Ticket.business_unit_id).distinct()).scalars()) == {unit}
    assert search(seeded, "Zanzibarian") != []  # the search index followed the pull after the seed

    with team.shared.begin() as conn:  # the row-by-row desk to compare with
        conn.execute(table_of(CacheSeed).delete())
    by_rows = team.desk("rows", Role.SUPER_USER, login=login)
    with seeded.cache().connect() as conn:
        kept_articles = set(conn.execute(select(KnowledgeArticle.id)).scalars())
        kept_problems = set(conn.execute(select(Problem.id)).scalars())
    assert hidden not in kept_problems
    with by_rows.cache().connect() as conn:  # her unit's seed left out what her login does not read
        assert set(conn.execute(select(KnowledgeArticle.id)).scalars()) > kept_articles
        assert set(conn.execute(select(Problem.id)).scalars()) > kept_problems
    as_her_login_reads(by_rows, login)
    same_caches(seeded, by_rows)
    assert search(seeded, "Zanzibarian") == search(by_rows, "Zanzibarian")


def test_the_report_says_a_seed_was_taken_and_a_second_unit_comes_row_by_row(team: Team, tmp_path: Path) -> None:
    login, unit, code = single_unit_super_users(team)[0]
    seed_build.build(team.shared, code, tmp_path)
    report = client.sync_workspace(team.workspace("desk", login))
    assert report.seeded == unit.hex
    assert "started from a ready-made cache" in report.summary()
    assert report.downloaded == []  # nothing else to download: her one unit and the global space

    # A manager sees every unit: one comes from the seed, the others row by row, the derived
    # structures rebuilt over all of them.
    manager = team.desk("manager", Role.SUPPORT_MANAGER)
    with team.shared.begin() as conn:
        conn.execute(table_of(CacheSeed).delete())
    compare = team.desk("compare", Role.SUPPORT_MANAGER)
    same_caches(manager, compare)


def test_a_download_left_by_a_run_stopped_after_installing_it_is_removed_by_the_next_sync(
    team: Team, tmp_path: Path
) -> None:
    """kill -9 between installing a seed and removing its download leaves the download beside a full cache; the
    next sync, which takes no seed, removes it."""
    login, _unit, code = single_unit_super_users(team)[0]
    seed_build.build(team.shared, code, tmp_path)
    desk = team.workspace("desk", login)
    assert client.sync_workspace(desk).seeded
    part = seeds.part_of(desk.cache())
    part.write_bytes(b"a seed downloaded, installed, not yet removed")
    assert client.sync_workspace(desk).seeded is None
    assert not part.exists()


def test_a_seed_older_than_the_kept_changes_or_of_another_schema_is_not_taken(team: Team, tmp_path: Path) -> None:
    login, unit, code = single_unit_super_users(team)[0]
    seed_build.build(team.shared, code, tmp_path)
    with team.shared.begin() as conn:  # a later write, then every entry up to it pruned
        conn.execute(update(TICKETS).where(Ticket.business_unit_id == unit).values(title="Renamed after the seed"))
        server.prune(conn, clock.now() + timedelta(seconds=1))
    stale = team.desk("stale", Role.SUPER_USER, login=login)
    with stale.cache().connect() as conn:
        titles = set(conn.execute(select(Ticket.title)).scalars())
    assert titles == {"Renamed after the seed"}

    seed_build.build(team.shared, code, tmp_path)  # fresh again, but of another version of the app
    with team.shared.begin() as conn:
        conn.execute(update(table_of(CacheSeed)).values(schema="0001/1"))
    other = team.workspace("other", login)
    report = client.sync_workspace(other)
    assert report.seeded is None
    assert GLOBAL_SPACE in report.downloaded
    same_caches(stale, other)


def test_a_damaged_seed_is_refused_and_the_desk_downloads_row_by_row(team: Team, tmp_path: Path) -> None:
    login, _unit, code = single_unit_super_users(team)[0]
    seed_build.build(team.shared, code, tmp_path)
    with team.shared.begin() as conn:  # one piece swapped for another valid one: only the hash can tell
        pieces = table_of(CacheSeedChunk)
        first = conn.execute(select(pieces.c.data).where(pieces.c.seq == 0)).scalar_one()
        conn.execute(update(pieces).where(pieces.c.seq == 0).values(data=first[:-1] + bytes([first[-1] ^ 1])))
    desk = team.workspace("desk", login)
    report = client.sync_workspace(desk)
    assert report.seeded is None
    assert "ready-made cache" in report.summary()
    assert "row by row" in report.summary()
    assert not (tmp_path / "desk" / "cache.seed-part").exists()
    with team.shared.begin() as conn:
        conn.execute(table_of(CacheSeed).delete())
    same_caches(desk, team.desk("rows", Role.SUPER_USER, login=login))


def test_a_cache_that_holds_anything_is_never_overwritten_by_a_seed(team: Team, tmp_path: Path) -> None:
    login, unit, code = single_unit_super_users(team)[0]
    desk = team.desk("desk", Role.SUPER_USER, login=login)
    seed_build.build(team.shared, code, tmp_path)
    with desk.cache().begin() as conn:  # a desk whose unit was taken away and given back: cursors gone
        conn.execute(table_of(SyncCursor).delete().where(SyncCursor.space == unit.hex))
    with desk.cache().connect() as conn:
        assert not seeds.cache_is_empty(conn)
    report = client.sync_workspace(desk)
    assert report.seeded is None
    assert report.downloaded == [unit.hex]
