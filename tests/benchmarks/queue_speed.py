"""Benchmark (not part of the test run): the queue and the ticket detail on a large workspace.

.venv/bin/python tests/benchmarks/queue_speed.py --home /tmp/sc-1m

From a cold process: the main window shown with the first queue screen painted. Then, in
that window: a filter change, a sort change, a search, Ctrl+End to the last ticket, opening
a ticket; for the open queue and for all tickets; and resident memory at the end. Each time
runs until the model says the rows are there and the view has painted them.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHILD = "--child"


def cold_start_once(home: Path) -> tuple[float, float]:
    """Seconds from spawning `support-console-gui` to its first screen painted, and to the live queue.

    The first screen is the last session's snapshot when there is one (`views/snapshot.py`, else inf); the live
    queue is the real window with its first page read from the cache."""
    gui = Path(sys.executable).with_name("support-console-gui")
    started = time.perf_counter()
    marks: dict[str, float] = {}
    with subprocess.Popen(
        [str(gui), "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SUPPORT_CONSOLE_TRACE": "exit"},
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            marks[line.split(" (")[0] + (" live" if "live" in line else "")] = time.perf_counter() - started
    first = min(marks.values()) if marks else float("inf")
    return first, marks.get("painted live", float("inf"))


def cold_start(home: Path) -> tuple[float, float]:
    """``cold_start_once``, best of three."""
    runs = [cold_start_once(home) for _ in range(3)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def open_window(home: Path) -> tuple[Any, Any]:
    """The application and the main window on ``home``, its queue's first page read and painted, the ticket
    page built ahead (as after the first screen; opening a ticket is timed)."""
    from PySide6.QtWidgets import QApplication

    from console.store.workspace import Workspace
    from views.look import create_application
    from views.main_window import MainWindow

    app = create_application(["support-console"])
    window = MainWindow(Workspace.open(home))
    window.show()
    window.load()
    wait_for(window, window.desk_ready)
    assert window.queue_view is not None
    if window.queue_view.model.total == 0:
        wait_for(window, window.queue_view.model.loaded)
    QApplication.processEvents()
    window.repaint()
    assert window.ticket_page() is not None
    return app, window


def wait_for(window: Any, signal: Any, action: Callable[[], object] | None = None, timeout_ms: int = 60_000) -> float:
    """Seconds from ``action`` to ``signal`` with the window painted after it. ``signal`` may be a function giving
    the signal, for one the action itself creates (asked for after the action, before any event is handled)."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    loop = QEventLoop()
    timer = QTimer(singleShot=True, interval=timeout_ms)
    timer.timeout.connect(loop.quit)
    timer.start()
    started = time.perf_counter()
    if not callable(signal) or hasattr(signal, "connect"):
        signal.connect(loop.quit)
    if action is not None:
        action()
    if callable(signal) and not hasattr(signal, "connect"):
        signal = signal()
        signal.connect(loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)
    if not timer.isActive():
        raise SystemExit(f"timed out waiting for {signal}")
    QApplication.processEvents()  # the rows painted
    window.repaint()
    return time.perf_counter() - started


def actions(window: Any) -> Iterator[tuple[str, str, Any, Callable[[], object]]]:
    """(scope, what, the signal that says it is done, the action): a filter change, the priority filter, four
    sorts, Ctrl+End, a search and its clearing, opening a ticket; for the open queue and for all tickets."""
    from PySide6.QtCore import Qt

    from views.queue_view import STATUS_CHOICES

    queue = window.queue_view
    ticket = window.ticket_page()
    all_statuses = [label for label, _ in STATUS_CHOICES].index("All statuses")
    header = queue.table.horizontalHeader()
    for scope, status in (("open queue", 0), ("all tickets", all_statuses)):
        if queue.status.currentIndex() != status:

            def choose(s: int = status) -> None:
                queue.status.setCurrentIndex(s)

            yield scope, "filter: status", queue.model.loaded, choose
        yield scope, "filter: priority High", queue.model.loaded, lambda: queue.priority.setCurrentText("High")
        yield scope, "filter: priority Any", queue.model.loaded, lambda: queue.priority.setCurrentIndex(0)
        for column, name in ((0, "number"), (8, "age"), (4, "unit"), (9, "SLA")):

            def sort(c: int = column) -> None:
                header.setSortIndicator(c, Qt.SortOrder.DescendingOrder)

            yield scope, f"sort: {name}", queue.model.loaded, sort
        queue.table.setFocus()

        def to_end() -> None:
            queue.table.scrollToBottom()
            queue.table.selectRow(queue.model.total - 1)

        if (queue.model.total - 1) // 200 > 0:
            yield scope, "Ctrl+End (last page)", queue.model.page_loaded, to_end

        # Typing waits 250 ms for a pause before it searches; measured here from that moment on.
        def search(text: str) -> None:
            queue.search.blockSignals(True)
            queue.search.setText(text)
            queue.search.blockSignals(False)
            queue.apply_filters()

        yield scope, "search: 'invoice' (after the typing pause)", queue.model.loaded, lambda: search("invoice")
        yield scope, "search: cleared", queue.model.loaded, lambda: search("")
        number: str = queue.model.row_at(0).number

        def open_ticket(n: str = number) -> None:
            window.open_ticket(n)

        yield scope, "open a ticket", ticket.loaded, open_ticket
        window.navigation.setCurrentRow(0)


def child(home: Path) -> int:
    from PySide6.QtWidgets import QApplication

    app, window = open_window(home)
    queue = window.queue_view
    scope = ""
    for where, label, signal, action in actions(window):
        if where != scope:
            scope = where
            print(scope)
        spent = wait_for(window, signal, action)
        print(f"  {label:<44} {spent * 1000:8.0f} ms ({queue.model.total:,} rows)", flush=True)
    QApplication.processEvents()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {rss:,.0f} MiB")
    window.close()
    app.quit()
    return 0


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed; a real one is used when set
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument(CHILD, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.home)
    first, live = cold_start(args.home)
    print(f"cold start to the first queue screen painted: {first * 1000:.0f} ms (best of 3)")
    print(f"cold start to the live queue painted:          {live * 1000:.0f} ms (best of 3)")
    return subprocess.run([sys.executable, __file__, CHILD, "--home", str(args.home)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
