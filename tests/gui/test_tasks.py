"""The background runner: results reach the UI thread, failures their handler; a close waits for writes only."""

from __future__ import annotations

import sys
import threading
import uuid

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.journal.touched import Done, Touched, reads
from views.tasks import TaskRunner


def test_success_is_delivered_on_the_ui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[tuple[int, threading.Thread, threading.Thread]] = []

    def work(a: int, b: int) -> tuple[int, threading.Thread]:
        return a + b, threading.current_thread()

    runner.op(work, 2, 3).success(lambda r: seen.append((r[0], r[1], threading.current_thread()))).run()
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    value, worker, receiver = seen[0]
    assert value == 5
    assert worker is not threading.main_thread()
    assert receiver is threading.main_thread()
    assert runner.busy == 0
    assert runner.shutdown()


def test_failure_goes_to_its_handler_and_database_work_runs_in_order(qtbot: QtBot) -> None:
    runner = TaskRunner()
    order: list[str] = []
    errors: list[BaseException] = []

    def fail() -> None:
        raise ValueError("nope")

    for name in ("first", "second", "third"):
        runner.op(order.append, name).run()
    runner.op(fail).failure(errors.append).run()
    qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
    assert order == ["first", "second", "third"]
    assert isinstance(errors[0], ValueError)
    assert runner.shutdown()


def test_busy_count_follows_running_work(qtbot: QtBot) -> None:
    runner = TaskRunner()
    gate = threading.Event()
    counts: list[int] = []
    runner.busy_changed.connect(lambda n, _label: counts.append(n))
    runner.op(gate.wait, 5).run_io()
    assert runner.busy == 1
    gate.set()
    qtbot.waitUntil(lambda: runner.busy == 0, timeout=5_000)
    assert counts == [1, 0]
    assert runner.shutdown()


def test_emitting_signals_keeps_python_alive() -> None:
    """PySide6 6.12.0 dropped a reference to True on every emit: Python 3.11 aborted after a few thousand."""

    class Emitter(QObject):
        ping = Signal()

    emitter = Emitter()
    before = sys.getrefcount(True)
    for _ in range(5_000):
        emitter.ping.emit()
    assert sys.getrefcount(True) >= before - 10


def test_an_edit_gives_its_value_and_the_runner_announces_what_it_touched(qtbot: QtBot) -> None:
    runner = TaskRunner()
    ticket = uuid.uuid4()
    values: list[str] = []
    announced: list[Touched] = []
    runner.edited.connect(announced.append)

    runner.op(lambda: "plain").success(values.append).run()  # a read: nothing announced
    runner.op(lambda: Done("INC-0000001", Touched(tickets=frozenset({ticket})))).success(values.append).run()
    qtbot.waitUntil(lambda: len(values) == 2, timeout=5_000)
    assert values == ["plain", "INC-0000001"]
    assert len(announced) == 1
    assert announced[0].ticket(ticket)
    assert not announced[0].ticket(uuid.uuid4())
    assert announced[0].any_ticket
    assert not announced[0].any_change
    assert runner.shutdown()


def test_shutdown_leaves_a_read_to_end_on_its_own_and_drops_the_rest(qtbot: QtBot) -> None:
    runner = TaskRunner()
    reading, release, read_over = threading.Event(), threading.Event(), threading.Event()
    delivered: list[object] = []

    @reads
    def long_read() -> str:
        reading.set()
        release.wait()
        read_over.set()
        return "late"

    runner.op(long_read).success(delivered.append).run()
    runner.op(delivered.append, "queued").run()  # behind the read on the database worker
    qtbot.waitUntil(reading.is_set, timeout=5_000)
    try:
        assert runner.shutdown()  # no write under way: nothing to wait for, though the read still runs
        assert not read_over.is_set()
        runner.op(delivered.append, "after").run()  # a closed runner takes no more work
    finally:
        release.set()
    qtbot.waitUntil(read_over.is_set, timeout=5_000)
    assert runner.db_pool.waitForDone(5_000)
    QApplication.processEvents()
    assert delivered == []  # the queued work was dropped, and nobody is told the read's answer


def test_shutdown_lets_a_write_under_way_finish(qtbot: QtBot) -> None:
    runner = TaskRunner()
    writing, go, written = threading.Event(), threading.Event(), threading.Event()

    def write() -> None:
        writing.set()
        go.wait()
        written.set()

    runner.op(write).run_io()
    qtbot.waitUntil(writing.is_set, timeout=5_000)
    releaser = threading.Thread(target=go.set)
    releaser.start()
    assert runner.shutdown()  # true only once the write is over ...
    assert written.is_set()  # ... and it is
    releaser.join()
