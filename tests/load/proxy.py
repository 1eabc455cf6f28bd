"""A fault-injecting TCP proxy on 127.0.0.1, for the team load test and the window's stalled-network test.

Standard library only. Every chunk read from either side may, by seeded chance, be

- **reset**: the connection is torn down with an RST to both sides (``SO_LINGER`` 0), mid-stream, the chunk lost;
- **stalled**: held for a while (longer than the shared database's statement timeout) before it goes on;
- **half-open**: forwarding stops both ways and nothing is closed, as behind a dead NAT or a pulled cable; after
  ``half_open_seconds`` the connection is reset (``None``: it stays so until the proxy stops);

and every connection can be held to ``bytes_per_second`` each way. Each connection draws from a generator seeded
by ``(seed, its number)``, so a run with the same seed faults the same connections in the same way.

A test drives it by hand as well: ``hold()`` stops all forwarding (the open connections and new ones; a chunk
read while held waits and is counted in ``Stats.held``), ``release()`` lets it go on, ``reset_all()`` resets
every open connection. ``wait_for`` waits for the counters, so a test never sleeps to guess the timing.

    python -m tests.load.proxy --target 127.0.0.1:5432 --reset 0.001 --stall 0.001 --stats /tmp/proxy.json

prints ``port N`` once it listens, runs until SIGTERM or SIGINT and then writes its counters as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Faults:
    """Chances per chunk forwarded, and the shape of each fault."""

    reset: float = 0.0
    stall: float = 0.0
    stall_seconds: tuple[float, float] = (6.0, 10.0)
    half_open: float = 0.0
    half_open_seconds: float | None = 30.0
    bytes_per_second: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("reset", "stall", "half_open"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a chance per chunk, 0 to 1")
        if self.reset + self.stall + self.half_open > 1.0:
            raise ValueError("the chances of a reset, a stall and a half-open connection add up to more than 1")
        low, high = self.stall_seconds
        if not 0 <= low <= high:
            raise ValueError("stall_seconds is (shortest, longest), 0 <= shortest <= longest")
        if self.bytes_per_second is not None and self.bytes_per_second < 1:
            raise ValueError("bytes_per_second is at least 1 (None: no limit)")


@dataclass
class Stats:
    """What the proxy did so far (a copy: ``FaultProxy.stats``)."""

    connections: int = 0  # accepted in all
    open: int = 0  # open now
    chunks: int = 0  # forwarded
    bytes_up: int = 0  # client to server
    bytes_down: int = 0  # server to client
    resets: int = 0
    stalls: int = 0
    half_opens: int = 0
    held: int = 0  # chunks waiting now because the proxy is held
    refused: int = 0  # connections the target refused

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(eq=False)
class _Link:
    """One client connection and its connection to the target."""

    number: int
    rng: random.Random
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None = None
    dead: bool = False  # reset or half-open: nothing more is forwarded
    pumps: list[asyncio.Task[None]] = field(default_factory=list)

    def writers(self) -> list[asyncio.StreamWriter]:
        return [w for w in (self.client, self.server) if w is not None]


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """Listens on 127.0.0.1 (``port``) and forwards to ``target``, injecting ``faults``; its own thread and loop."""

    def __init__(self, target: tuple[str, int], faults: Faults | None = None, port: int = 0) -> None:
        self.target = target
        self.faults = faults or Faults()
        self._wanted_port = port
        self._stats = Stats()
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._flowing: asyncio.Event | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # ---- control, from any thread -------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as error:  # the port taken, say: start() raises it
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shut())
            loop.close()

        self._thread = threading.Thread(target=serve, name=f"fault-proxy-{self.target[1]}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop stopped already
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def set_faults(self, faults: Faults) -> None:
        """From the next chunk on (each connection keeps its own generator)."""
        self.faults = faults

    def hold(self) -> None:
        """Stop forwarding anything, on every connection and on new ones; nothing is closed."""
        self._call(lambda flowing: flowing.clear())

    def release(self) -> None:
        self._call(lambda flowing: flowing.set())

    def reset_all(self) -> int:
        """Reset every open connection now; how many there were."""
        done = threading.Event()
        count: list[int] = []

        def reset() -> None:
            links = [link for link in self._links if not link.dead]
            for link in links:
                self._reset(link)
            count.append(len(links))
            done.set()

        if self._loop is None:
            raise RuntimeError("the proxy is not running")
        self._loop.call_soon_threadsafe(reset)
        done.wait(timeout=10)
        return count[0] if count else 0

    @property
    def stats(self) -> Stats:
        with self._changed:
            return dataclasses.replace(self._stats)

    def wait_for(self, condition: Callable[[Stats], bool], timeout: float) -> Stats:
        """Wait until the counters meet ``condition``; TimeoutError with the counters when they do not in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self._stats), timeout):
                raise TimeoutError(f"the proxy's counters did not get there in {timeout} s: {self._stats}")
            return dataclasses.replace(self._stats)

    def _call(self, act: Callable[[asyncio.Event], None]) -> None:
        """Run ``act`` on the loop and return once it has: what comes after sees it done."""
        if self._loop is None or self._flowing is None:
            raise RuntimeError("the proxy is not running")
        done = threading.Event()
        flowing = self._flowing

        def run() -> None:
            act(flowing)
            done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(timeout=10)

    def _count(self, **changes: int) -> None:
        with self._changed:
            for name, by in changes.items():
                setattr(self._stats, name, getattr(self._stats, name) + by)
            self._changed.notify_all()

    # ---- the loop -----------------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, HOST, self._wanted_port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            for writer in link.writers():
                writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._changed:
            self._stats.connections += 1
            self._stats.open += 1
            number = self._stats.connections
            self._changed.notify_all()
        link = _Link(number, random.Random(f"{self.faults.seed}:{number}"), writer)
        self._links.add(link)
        try:
            try:
                up_reader, link.server = await asyncio.open_connection(*self.target)
            except OSError:
                self._count(refused=1)
                _abort_with_rst(writer)
                return
            link.pumps = [
                self._spawn(self._pump(link, reader, link.server, "bytes_up")),
                self._spawn(self._pump(link, up_reader, writer, "bytes_down")),
            ]
            await asyncio.gather(*link.pumps, return_exceptions=True)
            if not link.dead:
                for side in link.writers():
                    side.close()
        finally:
            self._links.discard(link)
            self._count(open=-1)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(self, link: _Link, source: asyncio.StreamReader, sink: asyncio.StreamWriter, counter: str) -> None:
        faults = self.faults
        size = CHUNK if faults.bytes_per_second is None else max(1, min(CHUNK, faults.bytes_per_second // 20))
        assert self._flowing is not None
        try:
            while True:
                data = await source.read(size)
                if not data or link.dead:
                    break
                if not self._flowing.is_set():
                    self._count(held=1)
                    try:
                        await self._flowing.wait()
                    finally:
                        self._count(held=-1)
                faults = self.faults
                draw = link.rng.random()
                if draw < faults.reset:
                    self._reset(link)
                    return
                if draw < faults.reset + faults.half_open:
                    await self._half_open(link, faults.half_open_seconds)
                    return
                if draw < faults.reset + faults.half_open + faults.stall:
                    self._count(stalls=1)
                    await asyncio.sleep(link.rng.uniform(*faults.stall_seconds))
                if link.dead:
                    return
                sink.write(data)
                await sink.drain()
                self._count(chunks=1, **{counter: len(data)})
                if faults.bytes_per_second is not None:
                    await asyncio.sleep(len(data) / faults.bytes_per_second)
            if not link.dead and sink.can_write_eof():
                sink.write_eof()  # one side finished sending: the other still may (a half-close, passed on)
        except (ConnectionError, OSError):  # one side went away: so does the other (not a fault of ours)
            self._reset(link, injected=False)

    def _reset(self, link: _Link, *, injected: bool = True) -> None:
        if link.dead:
            return
        link.dead = True
        if injected:
            self._count(resets=1)
        for writer in link.writers():
            _abort_with_rst(writer)

    async def _half_open(self, link: _Link, seconds: float | None) -> None:
        """Forward nothing more, either way, and close nothing: the pumps stop reading (the kernels' buffers fill
        and the peers wait), until ``seconds`` have passed and the connection is reset."""
        link.dead = True
        self._count(half_opens=1)
        for task in link.pumps:
            if task is not asyncio.current_task():
                task.cancel()
        if seconds is None:
            await asyncio.Event().wait()  # until the proxy stops
        await asyncio.sleep(seconds or 0)
        self._count(resets=1)
        for writer in link.writers():
            _abort_with_rst(writer)


def _target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or HOST, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=_target, required=True, metavar="HOST:PORT")
    parser.add_argument("--port", type=int, default=0, help="the port to listen on (default: any free one)")
    parser.add_argument("--reset", type=float, default=0.0, help="chance per chunk of a reset")
    parser.add_argument("--stall", type=float, default=0.0, help="chance per chunk of a stall")
    parser.add_argument("--stall-seconds", type=float, nargs=2, default=(6.0, 10.0), metavar=("MIN", "MAX"))
    parser.add_argument("--half-open", type=float, default=0.0, help="chance per chunk of going half-open")
    parser.add_argument("--half-open-seconds", type=float, default=30.0, help="then reset; 0: never")
    parser.add_argument("--bandwidth", type=int, default=None, metavar="BYTES/S", help="each way, per connection")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stats", type=Path, help="write the counters here as JSON when stopped")
    args = parser.parse_args(argv)
    faults = Faults(args.reset, args.stall, tuple(args.stall_seconds), args.half_open,
                    args.half_open_seconds or None, args.bandwidth, args.seed)  # fmt: skip
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with FaultProxy(args.target, faults, args.port) as proxy:
        print(f"port {proxy.port}", flush=True)
        stop.wait()
        stats = proxy.stats
    if args.stats is not None:
        args.stats.write_text(json.dumps(stats.as_dict(), indent=2) + "\n", encoding="utf-8")
    print(json.dumps(stats.as_dict()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
