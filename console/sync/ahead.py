"""Reading ahead: items made in a thread of their own while the caller works on the previous ones.

Both long downloads are a reader and a writer: rows (or pieces of a file) arrive from the shared
database while SQLite (or the disk) takes the ones before. The network waits, psycopg's COPY, zlib
and hashing release the GIL, so the two overlap. An error in the reading thread is raised in the
caller's; a caller that stops early (or fails) stops the reader, which leaves its source at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()


@contextmanager
def read_ahead(items: Iterable[T], depth: int = 4) -> Iterator[Iterator[T]]:
    """Iterate ``items`` in a reading thread, at most ``depth`` ahead of the caller."""
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            put(exc)
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator leaves its COPY or transaction here, in its own thread
                close()

    def consume() -> Iterator[T]:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    reader = threading.Thread(target=produce, name="read-ahead", daemon=True)
    reader.start()
    try:
        yield consume()
    finally:
        stop.set()
        reader.join()
