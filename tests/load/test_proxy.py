"""The fault-injecting proxy of the load test: it forwards bytes both ways, and injects what it is told to (a reset,
a stall, a half-open connection, a bandwidth limit), the same way for the same seed. Waits are on the proxy's
counters and the echo server's, never on the clock."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.load.proxy import FaultProxy, Faults


class Echo(socketserver.ThreadingTCPServer):
    """Sends back what it receives, and counts it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.received = 0
        self.lock = threading.Condition()

    def got(self, count: int) -> None:
        with self.lock:
            self.received += count
            self.lock.notify_all()


class EchoHandler(socketserver.BaseRequestHandler):
    server: Echo

    def handle(self) -> None:
        try:
            while data := self.request.recv(65536):
                self.server.got(len(data))
                self.request.sendall(data)
        except OSError:  # the proxy reset us: what a test asks for
            return


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = Echo()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def proxied(echo: Echo, faults: Faults) -> FaultProxy:
    return FaultProxy(echo.server_address[:2], faults)  # type: ignore[arg-type]


def client(proxy: FaultProxy) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def receive(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        part = conn.recv(count - len(data))
        if not part:
            break
        data += part
    return data


def test_bytes_go_through_both_ways(echo: Echo) -> None:
    message = bytes(range(256)) * 400  # 100 KiB: more than one chunk
    with proxied(echo, Faults()) as proxy, client(proxy) as conn:
        conn.sendall(message)
        assert receive(conn, len(message)) == message
        stats = proxy.wait_for(lambda s: s.bytes_down == len(message), timeout=5)
    assert stats.bytes_up == len(message)
    assert (stats.resets, stats.stalls, stats.half_opens) == (0, 0, 0)


def test_a_reset_mid_stream_reaches_the_client_as_one(echo: Echo) -> None:
    with proxied(echo, Faults(reset=1.0)) as proxy, client(proxy) as conn:
        conn.sendall(b"BEGIN; UPDATE tickets")
        with pytest.raises(ConnectionResetError):
            receive(conn, 1)
        stats = proxy.wait_for(lambda s: s.open == 0, timeout=5)
    assert stats.resets == 1
    assert echo.received == 0  # the chunk in flight was lost, not delivered


def test_a_stall_holds_the_bytes_then_lets_them_through(echo: Echo) -> None:
    with proxied(echo, Faults()) as proxy, client(proxy) as conn:
        conn.sendall(b"first")
        assert receive(conn, 5) == b"first"
        proxy.set_faults(Faults(stall=1.0, stall_seconds=(3600, 3600)))
        conn.sendall(b"second")
        proxy.wait_for(lambda s: s.stalls == 1, timeout=5)
        assert echo.received == 5  # stalled: the server has not seen it
        assert select.select([conn], [], [], 0)[0] == []  # and the client has neither an answer nor a close
    # the stall outlasts the proxy: stopping it ends the connection


def test_a_short_stall_delivers_everything(echo: Echo) -> None:
    with proxied(echo, Faults(stall=1.0, stall_seconds=(0.01, 0.01))) as proxy, client(proxy) as conn:
        conn.sendall(b"slow")
        assert receive(conn, 4) == b"slow"
        assert proxy.stats.stalls == 2  # there and back


def test_hold_stops_every_connection_and_new_ones_until_released(echo: Echo) -> None:
    with proxied(echo, Faults()) as proxy, client(proxy) as before:
        proxy.hold()
        before.sendall(b"one")
        with client(proxy) as after:
            after.sendall(b"two")
            proxy.wait_for(lambda s: s.held == 2, timeout=5)
            assert echo.received == 0
            proxy.release()
            assert receive(before, 3) == b"one"
            assert receive(after, 3) == b"two"
        assert proxy.stats.held == 0


def test_a_half_open_connection_forwards_nothing_closes_nothing_then_resets(echo: Echo) -> None:
    faults = Faults(half_open=1.0, half_open_seconds=None)
    with proxied(echo, faults) as proxy, client(proxy) as conn:
        conn.sendall(b"COMMIT")
        proxy.wait_for(lambda s: s.half_opens == 1, timeout=5)
        assert echo.received == 0
        assert select.select([conn], [], [], 0)[0] == []  # no answer, no FIN, no RST: the client just waits
        assert proxy.stats.open == 1
    faults = Faults(half_open=1.0, half_open_seconds=0.01)
    with proxied(echo, faults) as proxy, client(proxy) as conn:
        conn.sendall(b"COMMIT")
        with pytest.raises(ConnectionResetError):
            receive(conn, 1)
        assert proxy.stats.resets == 1


def test_a_bandwidth_limit_cuts_the_stream_in_small_chunks(echo: Echo) -> None:
    message = b"x" * 6000
    with proxied(echo, Faults(bytes_per_second=20_000)) as proxy, client(proxy) as conn:
        conn.sendall(message)
        assert receive(conn, len(message)) == message
        stats = proxy.wait_for(lambda s: s.bytes_down == len(message), timeout=5)
    assert stats.chunks >= 2 * len(message) // 1000  # 20,000 B/s goes in chunks of a twentieth: 1,000 bytes


def faulted_connections(echo: Echo, seed: int) -> list[bool]:
    """Which of ten connections, one after the other, a proxy with even odds of a reset per chunk resets."""
    reset: list[bool] = []
    with proxied(echo, Faults(reset=0.5, seed=seed)) as proxy:
        for _ in range(10):
            with client(proxy) as conn:
                conn.sendall(b"ping")
                try:
                    reset.append(receive(conn, 4) != b"ping")
                except ConnectionResetError:
                    reset.append(True)
    return reset


def test_the_same_seed_faults_the_same_connections(echo: Echo) -> None:
    first = faulted_connections(echo, seed=7)
    assert faulted_connections(echo, seed=7) == first
    assert any(first)
    assert not all(first)


def test_chances_that_cannot_be_are_refused() -> None:
    with pytest.raises(ValueError, match="chance"):
        Faults(reset=1.5)
    with pytest.raises(ValueError, match="add up"):
        Faults(reset=0.6, stall=0.6)
