"""Pulls and first downloads read from a PostgreSQL streaming-replication standby (``shared_read_url``) while pushes
go to the primary; a desk's cursors never go back, whether the standby lags, is paused, fails or is switched.

Against a real primary and hot standby made on this machine for the module (``tests.pg_standby``): the standby's
replay is paused with ``pg_wal_replay_pause()`` to make it lag as long as a test needs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update
from sqlalchemy.engine import make_url

from console.demo import DemoSpec, create_demo
from console.errors import ConsoleError, SettingError
from console.i18n import _
from console.store.database import make_engine
from console.store.secrets import SecretStore
from console.store.settings import Settings
from console.store.workspace import Workspace
from console.sync import client, pull, server
from console.sync.cache_rows import cursors_of
from console.sync.connection import standby_url
from console.sync.download import download
from console.sync.report import SyncReport
from console.tickets import edits
from console.tickets import service as tickets
from models import GLOBAL_SPACE, Role, Ticket, User, table_of
from tests import clock
from tests.conftest import DEMO_SEED, DEMO_UNTIL, PG_DEMO_TICKETS, MemoryKeyring, PgServer
from tests.people import give_logins
from tests.pg_standby import REPLAYED_WITHIN, Pair, Unavailable, free_port, standby_pair
from tests.sync_team import TICKETS, Team, open_ticket, same_caches, team_on

TEMPLATE = "standby_demo"
PAUSED_WAIT = 0.2  # how long a pull waits for a paused standby (it never catches up) before it reads the primary
LAGGING_REPLAY = REPLAYED_WITHIN  # long enough for a running standby to catch up, whatever the machine's load


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A primary and its hot standby, for this module; skipped (failed under CI=true) where they cannot be made."""
    with contextlib.ExitStack() as stack:
        try:
            made = stack.enter_context(standby_pair())
        except Unavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"No PostgreSQL standby can be made here: {exc} (required when CI=true)", pytrace=False)
            pytest.skip(f"No PostgreSQL standby can be made here: {exc}")
        yield made


@pytest.fixture(scope="module")
def template(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The small demo on the primary, prepared for sync: the template of each test's shared database."""
    pair.create_database(TEMPLATE)
    seeding = Workspace.open(tmp_path_factory.mktemp("standby-demo"), secrets=SecretStore(MemoryKeyring()))
    try:
        spec = DemoSpec(tickets=PG_DEMO_TICKETS, seed=DEMO_SEED, until=DEMO_UNTIL)
        create_demo(seeding, spec, shared_url=pair.primary_url(TEMPLATE))
    finally:
        seeding.close()
    return TEMPLATE


@dataclass
class Scene:
    """A shared database of this test on the primary, the same on the standby, and the team's desks."""

    pair: Pair
    team: Team
    database: str

    @property
    def standby_url(self) -> str:
        return self.pair.standby_url(self.database)

    def login(self, role: Role, nth: int = 0) -> str:
        with self.team.shared.connect() as conn:
            query = select(User.login).where(User.role == role, User.active.is_(True)).order_by(User.login)
            return str(conn.execute(query).scalars().all()[nth])

    def desk(self, name: str, role: Role, *, read: bool = True) -> Workspace:
        """A new desk of the first person of ``role``, reading from the standby (``read``), its first sync done."""
        workspace = self.team.workspace(name, self.login(role))
        if read:
            workspace.settings.set("shared_read_url", self.standby_url)
        client.sync_workspace(workspace)
        return workspace

    def versions(self) -> dict[str, int]:
        """The primary's version of every space."""
        with self.team.shared.connect() as conn:
            return server.space_versions(conn)


@pytest.fixture
def scene(pair: Pair, template: str, tmp_path: Path) -> Iterator[Scene]:
    """A copy of the demo for this test (left to go with the throwaway clusters), and its team."""
    database = f"sc_standby_{secrets.token_hex(4)}"
    pair.create_database(database, template)  # on the standby too once this returns
    # on PostgreSQL a team needs no demo workspace to copy: its shared database is the one just made
    with team_on("postgresql", tmp_path, tmp_path, lambda: pair.primary_url(database)) as team:
        yield Scene(pair, team, database)


@dataclass
class Traffic:
    """The SQL statements sent through SQLAlchemy meanwhile, each with the port of the server it went to (a first
    download's ``COPY`` goes past SQLAlchemy; the snapshot it is read in does not)."""

    sent: list[tuple[int | None, str]] = field(default_factory=list)

    def to(self, port: int, *words: str) -> list[str]:
        """The statements sent to ``port`` that mention every one of ``words``."""
        return [s for p, s in self.sent if p == port and all(w in s for w in words)]


@contextlib.contextmanager
def traffic() -> Iterator[Traffic]:
    seen = Traffic()

    def note(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.sent.append((conn.engine.url.port, statement))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def cursors(desk: Workspace) -> dict[str, int]:
    with desk.cache().connect() as conn:
        return cursors_of(conn)


def never_back(history: list[dict[str, int]]) -> None:
    """Each pass's cursors at least the previous pass's, space by space."""
    for before, after in itertools.pairwise(history):
        for space, version in before.items():
            assert after.get(space, -1) >= version, (space, before, after)


def vendor_reference(desk: Workspace, ticket_id: uuid.UUID) -> Any:
    with desk.cache().connect() as conn:
        return conn.execute(select(Ticket.vendor_reference).where(Ticket.id == ticket_id)).scalar_one()


def write_on_primary(scene: Scene, ticket_id: uuid.UUID, reference: str) -> None:
    """Another SQL client (an ERP integration) writes a ticket straight into the primary."""
    with scene.team.shared.begin() as conn:
        conn.execute(update(TICKETS).where(Ticket.id == ticket_id).values(vendor_reference=reference))


# ---- the setting ----------------------------------------------------------------------------------------------


def test_the_setting_takes_a_standby_and_refuses_what_cannot_be_one(tmp_path: Path) -> None:
    assert (
        Settings.checked("shared_read_url", "postgresql://standby.example:5433") == "postgresql://standby.example:5433"
    )
    assert Settings.checked("shared_read_url", "") == ""
    for refused in ("sqlite:///elsewhere.sqlite3", "postgresql://alice:hunter2@standby/support", "not a url"):
        with pytest.raises(SettingError):
            Settings.checked("shared_read_url", refused)
    workspace = Workspace.open(tmp_path / "desk", secrets=SecretStore(MemoryKeyring()))
    try:
        workspace.settings.set("shared_read_url", "postgresql://standby.example:5433")
        with pytest.raises(ConsoleError, match="PostgreSQL shared database"):  # the single-seat SQLite file has none
            standby_url(workspace)
        workspace.settings.set("shared_url", "postgresql://alice@primary.example/support")
        url = standby_url(workspace)  # the shared database's login and database
        assert url is not None
        assert (url.username, url.host, url.port, url.database) == ("alice", "standby.example", 5433, "support")
        workspace.settings.set("shared_read_url", "postgresql://bob@standby.example/support")
        with pytest.raises(ConsoleError, match="login of the shared database"):  # row security would judge Bob
            standby_url(workspace)
        workspace.settings.set("shared_read_url", "")
        assert standby_url(workspace) is None
    finally:
        workspace.close()


# ---- reading from the standby ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_desk_downloads_and_pulls_through_the_standby_and_pushes_to_the_primary(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "STANDBY_WAIT", LAGGING_REPLAY)  # a running standby: always read there
    primary, standby = scene.pair.primary_port, scene.pair.standby_port
    with traffic() as first:
        desk = scene.desk("manager", Role.SUPPORT_MANAGER)
    reference = scene.desk("reference", Role.SUPPORT_MANAGER, read=False)
    same_caches(desk, reference)
    assert first.to(standby, "sync_spaces")
    for table in ("change_index", "FROM tickets", "FROM comments", "FROM audit_events", "cache_seeds"):
        assert not first.to(primary, table), table  # the primary answers who and where, never the rows

    ticket_id, _row = open_ticket(scene.team)
    write_on_primary(scene, ticket_id, "ERP-STANDBY-1")
    with traffic() as second:
        client.sync_workspace(desk)
    assert vendor_reference(desk, ticket_id) == "ERP-STANDBY-1"
    assert second.to(standby, "change_index")
    assert not second.to(primary, "change_index")

    actor = scene.team.actor(desk)
    tickets.execute(
        desk.cache(), actor, [edits.add_note(ticket_id, "Read on the standby.", internal=True)], clock.now()
    )
    with traffic() as third:
        report = client.sync_workspace(desk)
    assert report.pushed == 1
    assert report.notes == []
    assert third.to(primary, "INSERT INTO comments")
    assert not third.to(standby, "INSERT")
    assert third.to(standby, "change_index")
    assert not third.to(primary, "change_index")
    assert cursors(desk) == {s: v for s, v in scene.versions().items() if s in cursors(desk)}
    client.sync_workspace(reference)
    same_caches(desk, reference)


@pytest.mark.postgres
def test_a_write_on_the_primary_arrives_once_the_standby_replays_it(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "STANDBY_WAIT", LAGGING_REPLAY)
    desk = scene.desk("manager", Role.SUPPORT_MANAGER)
    ticket_id, _row = open_ticket(scene.team)
    scene.pair.pause()
    try:
        write_on_primary(scene, ticket_id, "ERP-REPLAYED")
        before = cursors(desk)
        waiting, done = threading.Event(), threading.Event()
        outcome: list[BaseException | SyncReport] = []

        def say(step: str) -> None:
            if step == _(pull.WAITING):
                waiting.set()

        def run() -> None:
            try:
                outcome.append(client.sync_workspace(desk, say))
            except BaseException as exc:  # handed to the test's thread
                outcome.append(exc)
            finally:
                done.set()

        with traffic() as sent:
            syncing = threading.Thread(target=run, name="sync")
            syncing.start()
            assert waiting.wait(LAGGING_REPLAY) or done.is_set(), "the pull neither waited nor ended"
            assert not done.is_set(), f"the pull did not wait for the standby: {outcome}"
            assert cursors(desk) == before  # nothing taken meanwhile: the standby has not replayed the write
            assert vendor_reference(desk, ticket_id) != "ERP-REPLAYED"
            scene.pair.resume()
            syncing.join(LAGGING_REPLAY)
        assert done.is_set(), "the pull did not end once the standby replayed"
    finally:
        scene.pair.resume()
    assert [type(o) for o in outcome] == [SyncReport], outcome
    assert vendor_reference(desk, ticket_id) == "ERP-REPLAYED"
    assert sent.to(scene.pair.standby_port, "change_index")
    assert not sent.to(scene.pair.primary_port, "change_index")  # waited for the standby, not read around it
    never_back([before, cursors(desk)])


@pytest.mark.postgres
def test_with_replay_paused_a_desk_keeps_its_own_edit_and_its_cursors_never_go_back(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "STANDBY_WAIT", PAUSED_WAIT)
    desk = scene.desk("consultant", Role.FUNCTIONAL_CONSULTANT)
    history = [cursors(desk)]
    ticket_id, row = open_ticket(scene.team)
    write_on_primary(scene, ticket_id, "ERP-BEFORE-PAUSE")  # the standby holds this one, the desk not yet
    scene.pair.wait_replayed()
    scene.pair.pause()
    try:
        # The desk's own edit is pushed to the primary and read back from it. The standby's newer entries for the
        # ticket (the write above) are older than the edit: read there, they would undo it in the cache.
        actor = scene.team.actor(desk)
        tickets.execute(desk.cache(), actor, [edits.assign(ticket_id, actor.id, base=row["assignee_id"])], clock.now())
        with traffic() as sent:
            report = client.sync_workspace(desk)
        history.append(cursors(desk))
        assert report.pushed == 1
        assert report.rejected == []
        assert report.notes == []
        with desk.cache().connect() as conn:
            held = conn.execute(select(Ticket.assignee_id, Ticket.vendor_reference).where(Ticket.id == ticket_id)).one()
        assert tuple(held) == (actor.id, "ERP-BEFORE-PAUSE")
        assert sent.to(scene.pair.primary_port, "change_index")  # the paused standby could not serve
        assert history[-1] == {s: v for s, v in scene.versions().items() if s in history[-1]}

        # More writes elsewhere, a person renamed (the global space): read from the primary while paused.
        with scene.team.shared.connect() as conn:
            other_id = conn.execute(select(Ticket.id).where(Ticket.id != ticket_id).order_by(Ticket.number)).scalar()
        assert other_id is not None
        write_on_primary(scene, other_id, "ERP-WHILE-PAUSED")
        with scene.team.shared.begin() as conn:
            conn.execute(update(table_of(User)).where(User.id == actor.id).values(display_name="Renamed meanwhile"))
        client.sync_workspace(desk)
        history.append(cursors(desk))
        assert vendor_reference(desk, other_id) == "ERP-WHILE-PAUSED"

        # Switched: the standby set aside, then set again while it still lags the cursors.
        desk.settings.set("shared_read_url", "")
        write_on_primary(scene, other_id, "ERP-PRIMARY-ONLY")
        client.sync_workspace(desk)
        history.append(cursors(desk))
        desk.settings.set("shared_read_url", scene.standby_url)
        report = client.sync_workspace(desk)
        history.append(cursors(desk))
        assert report.pulled == 0
        assert report.notes == []
        assert vendor_reference(desk, other_id) == "ERP-PRIMARY-ONLY"

        # A download from the lagging standby itself is refused rather than moving the cursor back.
        standby = make_engine(scene.standby_url)
        try:
            with pytest.raises(ConsoleError, match="older than this cache"):
                download(desk.cache(), standby, GLOBAL_SPACE, replace=True)
        finally:
            standby.dispose()
        assert cursors(desk) == history[-1]
    finally:
        scene.pair.resume()
    scene.pair.wait_replayed()
    monkeypatch.setattr(pull, "STANDBY_WAIT", LAGGING_REPLAY)
    with traffic() as resumed:
        client.sync_workspace(desk)
    history.append(cursors(desk))
    assert resumed.to(scene.pair.standby_port, "change_index")
    assert not resumed.to(scene.pair.primary_port, "change_index")
    never_back(history)
    reference = scene.desk("reference", Role.FUNCTIONAL_CONSULTANT, read=False)
    same_caches(desk, reference)  # nothing lost, nothing doubled, nothing stale
    assert history[-1] == cursors(reference)


@pytest.mark.postgres
def test_a_standby_that_cannot_serve_leaves_the_reads_to_the_primary(scene: Scene) -> None:
    desk = scene.desk("manager", Role.SUPPORT_MANAGER, read=False)
    ticket_id, _row = open_ticket(scene.team)
    history = [cursors(desk)]
    for n, (url, said) in enumerate(
        [
            (f"postgresql://127.0.0.1:{free_port()}/{scene.database}", "cannot be used"),
            (scene.pair.standby_url(TEMPLATE), "not a standby of the shared database"),  # another database there
        ]
    ):
        desk.settings.set("shared_read_url", url)
        write_on_primary(scene, ticket_id, f"ERP-FALLBACK-{n}")
        report = client.sync_workspace(desk)
        history.append(cursors(desk))
        assert any(said in note for note in report.notes), report.notes
        assert vendor_reference(desk, ticket_id) == f"ERP-FALLBACK-{n}"
    never_back(history)


@pytest.mark.postgres
def test_a_standby_that_gives_up_mid_pull_hands_the_rest_to_the_primary(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "STANDBY_WAIT", LAGGING_REPLAY)
    desk = scene.desk("manager", Role.SUPPORT_MANAGER)
    before = cursors(desk)
    ticket_id, _row = open_ticket(scene.team)
    write_on_primary(scene, ticket_id, "ERP-AFTER-A-CUT")
    cut: list[int] = []

    def cut_the_first_page(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if conn.engine.url.port == scene.pair.standby_port and "change_index" in statement and not cut:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with scene.pair.admin(scene.pair.standby_port) as admin:  # a recovery conflict or a restart would too
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            cut.append(pid)

    event.listen(Engine, "before_cursor_execute", cut_the_first_page)
    try:
        report = client.sync_workspace(desk)
    finally:
        event.remove(Engine, "before_cursor_execute", cut_the_first_page)
    assert cut, "no page was read on the standby"
    assert any("gave up" in note for note in report.notes), report.notes
    assert vendor_reference(desk, ticket_id) == "ERP-AFTER-A-CUT"
    never_back([before, cursors(desk)])
    assert cursors(desk) == {s: v for s, v in scene.versions().items() if s in cursors(desk)}


@pytest.mark.postgres
def test_a_super_users_own_login_reads_only_their_units_on_the_standby(
    scene: Scene, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row-level security holds on the standby as on the primary: it is the same database, replayed."""
    monkeypatch.setattr(pull, "STANDBY_WAIT", LAGGING_REPLAY)
    admin = PgServer(make_url(scene.pair.primary_url("postgres")), None)
    people = give_logins(scene.team.url, admin, {"su": (Role.SUPER_USER, 0)}, request.addfinalizer)
    scene.pair.wait_replayed()  # the login, made on the primary, reaches the standby
    person = people["su"]
    desk = Workspace.open(scene.team.root / "su", secrets=SecretStore(MemoryKeyring()))
    scene.team.members.append(desk)
    desk.settings.set("shared_url", people.url_of("su"))
    desk.settings.set("user", person.login)
    desk.settings.set("shared_read_url", f"postgresql://127.0.0.1:{scene.pair.standby_port}")  # login, database: hers
    with traffic() as sent:
        report = client.sync_workspace(desk)
    assert report.notes == []
    assert sent.to(scene.pair.standby_port, "sync_spaces")
    assert not sent.to(scene.pair.primary_port, "FROM tickets")
    assert set(cursors(desk)) == {GLOBAL_SPACE, *(unit.hex for unit in person.units)}
    with desk.cache().connect() as conn:
        held = set(conn.execute(select(Ticket.id, Ticket.business_unit_id)))
    with scene.team.shared.connect() as conn:
        theirs = set(
            conn.execute(select(Ticket.id, Ticket.business_unit_id).where(Ticket.business_unit_id.in_(person.units)))
        )
    assert held == theirs
