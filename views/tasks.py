"""Background work for the GUI: the UI thread never waits on the database or the network.

One worker thread for database work (SQLite has one writer) and a small pool for
network and keyring calls. Results come back on the UI thread through a queued Qt
signal, as plain values (dataclasses), never as live ORM objects::

    runner.op(summarize_cache, workspace).success(show).failure(report).run()

An edit made through the desk returns ``Done``: its callback gets the value, and the runner announces
what it touched on ``edited``, so every view showing one of those tickets or changes reads it again.

Closing the window waits for the writes in flight, never for work marked as only reading
(``console.desk.reads``): its answer is no longer wanted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from console.journal.touched import Done, Touched, only_reads


class _Relay(QObject):
    """Lives in the UI thread; a signal emitted from a worker is delivered there (queued)."""

    finished = Signal(object, bool, object)


class Op:
    """One piece of background work and what to do with its outcome on the UI thread."""

    def __init__(self, runner: TaskRunner, fn: Callable[..., Any], args: tuple[Any, ...], label: str) -> None:
        self._runner = runner
        self._fn = fn
        self._args = args
        self.label = label
        self.on_success: Callable[[Any], None] | None = None
        self.on_failure: Callable[[BaseException], None] | None = None
        self.reads = only_reads(fn)  # cutting it short loses nothing: a closing window does not wait for it

    def success(self, callback: Callable[[Any], None]) -> Op:
        self.on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op:
        self.on_failure = callback
        return self

    def run(self) -> None:
        """Run on the database worker (one at a time, in order)."""
        self._runner.submit(self, self._runner.db_pool)

    def run_io(self) -> None:
        """Run on the network / keyring pool (several at once)."""
        self._runner.submit(self, self._runner.io_pool)

    def call(self) -> tuple[bool, Any]:
        try:
            return True, self._fn(*self._args)
        except Exception as error:  # handed to the UI thread (with its traceback), which decides what to show
            return False, error


class _Ledger:
    """Whether the runner still takes work, and how many writes are under way (plain Python, shared with the
    worker threads: a job consults it without touching a Qt object of a window that may be closing)."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.closed = False
        self.writing = 0

    def start(self, op: Op) -> bool:
        """Count a write in before it starts; False once closed (queued work is dropped)."""
        with self.changed:
            if self.closed:
                return False
            if not op.reads:
                self.writing += 1
            return True

    def finish(self, op: Op) -> None:
        with self.changed:
            if not op.reads:
                self.writing -= 1
                self.changed.notify_all()

    def close(self, timeout_ms: int) -> bool:
        """Take no more work and wait for the writes under way; True if none is left."""
        with self.changed:
            self.closed = True
            return self.changed.wait_for(lambda: self.writing == 0, timeout_ms / 1000)


class _Job(QRunnable):
    def __init__(self, op: Op, relay: _Relay, ledger: _Ledger) -> None:
        super().__init__()
        self.op = op
        self.relay = relay
        self.ledger = ledger

    def run(self) -> None:
        if not self.ledger.start(self.op):
            return
        try:
            ok, result = self.op.call()
        finally:
            self.ledger.finish(self.op)
        if not self.ledger.closed:  # after a close, nobody waits for the answer
            self.relay.finished.emit(self.op, ok, result)


class TaskRunner(QObject):
    """Starts background work and reports how much is under way (for the status bar)."""

    busy_changed = Signal(int, str)
    unhandled_failure = Signal(object)
    edited = Signal(object)  # Touched: what an edit (or a sync that brought others' edits) changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_pool = QThreadPool(self)
        self.db_pool.setMaxThreadCount(1)
        self.io_pool = QThreadPool(self)
        self.io_pool.setMaxThreadCount(4)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._running: list[Op] = []
        self._ledger = _Ledger()

    def op(self, fn: Callable[..., Any], *args: Any, label: str = "") -> Op:
        return Op(self, fn, args, label)

    def submit(self, op: Op, pool: QThreadPool) -> None:
        if self._ledger.closed:
            return  # the window is closing: no new work
        self._running.append(op)
        self.busy_changed.emit(len(self._running), self._shown_label())
        pool.start(_Job(op, self._relay, self._ledger))

    def _shown_label(self) -> str:
        """What the status bar says is under way: the latest work with a label (quiet work has none)."""
        return next((op.label for op in reversed(self._running) if op.label), "")

    @property
    def busy(self) -> int:
        return len(self._running)

    @Slot(object, bool, object)
    def _deliver(self, op: Op, ok: bool, result: Any) -> None:
        if self._ledger.closed:
            return
        self._running.remove(op)
        self.busy_changed.emit(len(self._running), self._shown_label())
        if ok:
            done = result if isinstance(result, Done) else None
            if op.on_success is not None:
                op.on_success(done.value if done is not None else result)
            if done is not None:
                self.announce(done.touched)
        elif op.on_failure is not None:
            op.on_failure(result)
        else:
            self.unhandled_failure.emit(result)

    def announce(self, touched: Touched) -> None:
        """Tell every view that shows some of what changed."""
        self.edited.emit(touched)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Take no more work and let the writes under way finish (a database write is never cut in half); queued
        work is dropped, and work that only reads is left to end on its own: nobody waits for its answer.
        True when no write is left running."""
        self.db_pool.clear()
        self.io_pool.clear()
        return self._ledger.close(timeout_ms)
