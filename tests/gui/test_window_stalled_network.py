"""The window while the network to the shared database stalls: the UI thread never waits on it.

The desk reaches a PostgreSQL shared database through the load test's fault-injecting proxy
(``tests.load.proxy``). The proxy is held (nothing forwarded, nothing closed) and a sync is asked for with F9;
while the pass is stuck on the network, a timer of the UI thread keeps firing and the window answers keys; the
status bar says so when the pass gives up; once the network flows again, F9 syncs.

Two places a stall can hit: before the connection is up (libpq's ``connect_timeout`` ends the pass: offline), and
on a connection already up, in the middle of a pass (nothing ends it: the pass waits until the network comes
back). The window stays responsive in both. In the second, once the pass has said nothing for a while, a probe of
the shared database (a new connection) finds it unreachable and the window says *offline* while the pass waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.engine import make_url

from console.store.secrets import SecretStore
from console.store.workspace import Workspace
from console.sync import client
from console.sync.client import PROBE_TIMEOUT_S, SyncState
from console.sync.pull import pull as real_pull
from models import Role, User
from tests.conftest import MemoryKeyring
from tests.gui.drive import open_window, save_shot
from tests.load.proxy import FaultProxy
from views.main_window import MainWindow
from views.sync_view import QUIET_MS

pytestmark = pytest.mark.postgres

TICK_MS = 20
SAYS_OFFLINE_WITHIN_MS = QUIET_MS + PROBE_TIMEOUT_S * 1000 + 5_000
LONGEST_HOLD_S = 20  # a hold ends by then whatever happens: a UI thread stuck with the pass fails the test, not hangs


class Network:
    """The proxy between the desk and its shared database, held by the test and released by it (or, should the UI
    thread be stuck and the test with it, after ``LONGEST_HOLD_S`` by a timer of its own)."""

    def __init__(self, proxy: FaultProxy, url: str) -> None:
        self.proxy, self.url = proxy, url
        self._safety: list[threading.Timer] = []

    def hold(self) -> None:
        self.proxy.hold()
        safety = threading.Timer(LONGEST_HOLD_S, self.proxy.release)
        safety.daemon = True
        safety.start()
        self._safety.append(safety)

    def release(self) -> None:
        self.proxy.release()

    def stuck(self) -> bool:
        return self.proxy.stats.held >= 1

    def wait_stuck(self) -> None:
        self.proxy.wait_for(lambda s: s.held >= 1, timeout=10)  # a pass's bytes are held: it waits on the network

    def close(self) -> None:
        for safety in self._safety:
            safety.cancel()
        self.release()  # a pass still waiting on the network finishes before the window goes


@pytest.fixture
def network(pg_demo: Callable[[], str]) -> Iterator[Network]:
    """A proxy in front of the server, and the URL of a demo database through it."""
    url = make_url(pg_demo())
    with FaultProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        network = Network(proxy, url.set(port=proxy.port).render_as_string(hide_password=False))
        yield network
        network.close()


@pytest.fixture
def desk(network: Network, tmp_path: Path) -> Iterator[Workspace]:
    """A consultant's workspace on that database, through the proxy, downloaded."""
    workspace = Workspace.open(tmp_path / "desk", secrets=SecretStore(MemoryKeyring()))
    workspace.settings.set("shared_url", network.url)
    shared = workspace.open_shared()[0]
    with shared.connect() as conn:
        query = select(User.login).where(User.role == Role.FUNCTIONAL_CONSULTANT, User.active).order_by(User.login)
        workspace.settings.set("user", conn.execute(query).scalars().first())
    shared.dispose()
    workspace.settings.set("sync_automatically", False)  # F9 only: the test says when
    client.sync_workspace(workspace)
    yield workspace
    workspace.close()


class Ticks:
    """A timer on the UI thread: it fires only while the UI thread processes events."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


def window_of(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    window = open_window(qtbot, workspace)
    qtbot.waitUntil(lambda: window.sync is not None, timeout=20_000)  # the queue is up: F9 syncs
    return window


def stuck_and_responsive(qtbot: QtBot, window: MainWindow, network: Network) -> None:
    """The pass waits on the held network, and meanwhile the UI thread runs its timer and answers keys."""
    assert window.sync is not None
    network.wait_stuck()
    ticks = Ticks()
    qtbot.waitUntil(lambda: ticks.count >= 25, timeout=5_000)  # half a second of 20 ms ticks, or the UI is blocked
    assert network.stuck()
    assert window.sync.running  # still stuck, all along
    assert window.status_sync.text().endswith(("syncing…", client.PUSHING, client.PULLING))  # not offline
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "metrics"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "queue"
    ticks.timer.stop()


def sync_with_f9(qtbot: QtBot, window: MainWindow, timeout: int = 30_000) -> SyncState:
    with qtbot.waitSignal(window.synced, timeout=timeout) as done:
        qtbot.keyClick(window, Qt.Key.Key_F9)
    state: SyncState = done.args[0]
    return state


def test_a_stall_while_connecting_keeps_the_window_responsive_and_says_offline(
    qtbot: QtBot, desk: Workspace, network: Network
) -> None:
    window = window_of(qtbot, desk)
    network.hold()
    with qtbot.waitSignal(window.synced, timeout=30_000) as done:
        qtbot.keyClick(window, Qt.Key.Key_F9)
        stuck_and_responsive(qtbot, window, network)
        save_shot(window, "stalled-network-syncing")
    state: SyncState = done.args[0]
    assert not state.online
    assert window.status_sync.text().startswith("Offline")
    assert "Cannot reach" in window.status_sync.toolTip()
    save_shot(window, "stalled-network-offline")

    network.release()
    state = sync_with_f9(qtbot, window)
    assert state.online, state.message
    assert window.status_sync.text().startswith("Online · synced")


def hold_when_pulling(monkeypatch: pytest.MonkeyPatch, network: Network) -> None:
    """The network stalls just as the next pass starts to pull: its connection is up, its push done."""

    def pull(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr("console.sync.client.pull", real_pull)  # this pass only
        network.hold()
        real_pull(*args, **kwargs)

    monkeypatch.setattr("console.sync.client.pull", pull)


def test_a_stall_in_the_middle_of_a_pass_keeps_the_window_responsive(
    qtbot: QtBot, desk: Workspace, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = window_of(qtbot, desk)
    hold_when_pulling(monkeypatch, network)
    with qtbot.waitSignal(window.synced, timeout=30_000) as done:
        qtbot.keyClick(window, Qt.Key.Key_F9)
        stuck_and_responsive(qtbot, window, network)
        network.release()
    state: SyncState = done.args[0]
    assert state.online, state.message  # the network came back: the pass went on where it stood


def test_a_pass_stuck_in_the_middle_says_offline_in_time(
    qtbot: QtBot, desk: Workspace, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = window_of(qtbot, desk)
    hold_when_pulling(monkeypatch, network)
    qtbot.keyClick(window, Qt.Key.Key_F9)
    network.wait_stuck()
    try:  # the pass's quiet time, then a probe's connection time, and a margin for a loaded machine
        qtbot.waitUntil(lambda: window.status_sync.text().startswith("Offline"), timeout=SAYS_OFFLINE_WITHIN_MS)
        assert window.sync is not None
        assert window.sync.running  # still waiting on the network: it goes on when the network flows again
        assert "Cannot reach" in window.status_sync.toolTip()
        save_shot(window, "stalled-network-mid-pass-offline")
    finally:
        with qtbot.waitSignal(window.synced, timeout=30_000) as done:
            network.release()
    state: SyncState = done.args[0]
    assert state.online, state.message  # the pass went on where it stood
    assert window.status_sync.text().startswith("Online · synced")
