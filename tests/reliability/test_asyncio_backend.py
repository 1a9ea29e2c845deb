"""The async clients' own pool under asyncio reaches sockets through asyncio's transports (``_asyncio_backend``).

The rest of this suite (fault matrix, soak, pool healing, hostile server) runs through it too; these tests cover
what only it does: TLS started on an asyncio transport, and a kept-alive connection the server closed while it sat
idle in the pool, which must be dropped rather than given to the next request (for a create, reusing it would
turn into a "may have been processed" error). Each runs under asyncio (this backend), under trio (httpcore's own
backend), under uvloop (this backend on uvloop's transports, as in an app served by ``uvicorn[standard]``) and on
the sync client, which must all behave alike. Last, a write the server has stopped reading keeps one deadline and
ends when the server closes (on a transport that never drains, which a real socket's buffers make slow to reach).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
import trustme
import uvloop

from ching_client import AsyncChing, Ching
from tests.engine import core

from ._support import CUSTOMER, KEY, read_request

ANSWER = json.dumps({"success": True, "data": CUSTOMER}).encode()
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
VARIANTS = ["async-asyncio", "async-uvloop", "async-trio", "sync"]
SLACK = 3.0
"""What a write may take past the timeout that ends it on a busy machine: seconds, far above scheduling noise."""
WRITE_TIMEOUT = 30.0
"""A write timeout no busy machine reaches before the server's close, which comes 0.05 s in."""


class KeepAliveServer:
    """Answers every request on a connection with a customer, keeping the connection open; with
    ``close_after_answer``, closes each connection that many seconds after its first answer instead.

    ``wait_closed(n)`` waits until it has closed n connections, so a client can go on once the server's close has
    happened, however long a busy machine takes to get there, rather than after a pause that must outlast it."""

    def __init__(self, tls: ssl.SSLContext | None = None, close_after_answer: float | None = None) -> None:
        self._tls = tls
        self._close_after = close_after_answer
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.connections = 0
        self.requests = 0
        self.closed = 0
        self._lock = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            self._answer(raw)
        finally:  # the connection is closed by now
            with self._lock:
                self.closed += 1
                self._lock.notify_all()

    def _answer(self, raw: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            connection = stack.enter_context(raw)
            try:
                if self._tls is not None:
                    connection = stack.enter_context(self._tls.wrap_socket(raw, server_side=True))
                rest = b""
                while True:
                    after = read_request(connection, rest)
                    if after is None:
                        return
                    rest = after
                    with self._lock:
                        self.requests += 1
                    connection.sendall(RESPONSE)
                    if self._close_after is not None:
                        time.sleep(self._close_after)
                        return
            except (OSError, ssl.SSLError):
                return

    def wait_closed(self, count: int, timeout: float = 30.0) -> None:
        """Return once ``count`` connections are closed; fail after ``timeout`` seconds, far more than it takes."""
        with self._lock:
            assert self._lock.wait_for(lambda: self.closed >= count, timeout), f"{self.closed} of {count} closed"

    def close(self) -> None:
        self._socket.close()


@contextlib.contextmanager
def keep_alive_server(**options: Any) -> Iterator[KeepAliveServer]:
    server = KeepAliveServer(**options)
    try:
        yield server
    finally:
        server.close()


def _calls(
    variant: str,
    base_url: str,
    count: int,
    *,
    between: Callable[[int], None] | None = None,
    trust: trustme.CA | None = None,
    blocking: bool = False,
) -> list[str]:
    """``count`` creates on one client of ``variant`` (the SDK's own pool), calling ``between(n)`` after the n-th;
    with ``blocking``, an async caller runs it in its own thread, so its event loop never runs in between."""
    if variant == "sync":
        with Ching(api_key=KEY, base_url=base_url, max_retries=0) as ching:
            if trust is not None:
                trust.configure_trust(ching._http._transport._verify)  # type: ignore[attr-defined]
            ids = []
            for n in range(1, count + 1):
                ids.append(ching.customers.create(name="Tal").id)
                if between is not None:
                    between(n)
            return ids

    async def run() -> list[str]:
        async with AsyncChing(api_key=KEY, base_url=base_url, max_retries=0) as ching:
            if trust is not None:
                trust.configure_trust(ching._http._transport._verify)  # type: ignore[attr-defined]
            ids = []
            for n in range(1, count + 1):
                ids.append((await ching.customers.create(name="Tal")).id)
                if between is None:
                    continue
                if blocking:
                    between(n)  # blocking work of the caller's, on purpose
                else:
                    await anyio.to_thread.run_sync(between, n)
            return ids

    if variant == "async-uvloop":
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(run())
    return anyio.run(run, backend=variant.removeprefix("async-"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_https_on_the_clients_own_pool_keeps_its_connection(variant: str) -> None:
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    with keep_alive_server(tls=tls) as server:
        ids = _calls(variant, f"https://localhost:{server.port}/ching", 3, trust=ca)
    assert ids == ["cus_1"] * 3
    assert (server.connections, server.requests) == (1, 3)


@pytest.mark.parametrize("blocking", [False, True], ids=["awaiting", "blocking"])
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_connection_the_server_closed_while_idle_is_not_given_to_a_create(
    variant: str, scheme: str, blocking: bool
) -> None:
    """Each create after the server closed the previous connection opens a new one: with max_retries=0, a create
    sent on the dead connection would have ended in WriteOutcomeUnknownError. The close must be seen even when the
    caller's event loop did not run while it came (a blocking call, a busy task)."""
    ca, tls = None, None
    if scheme == "https":
        ca = trustme.CA()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost").configure_cert(tls)
    with keep_alive_server(tls=tls, close_after_answer=0.05) as server:
        host = "localhost" if scheme == "https" else "127.0.0.1"
        url = f"{scheme}://{host}:{server.port}/ching"
        ids = _calls(variant, url, 4, between=server.wait_closed, trust=ca, blocking=blocking)
    assert ids == ["cus_1"] * 4
    assert (server.connections, server.requests) == (4, 4)


class _StalledTransport:
    """A transport whose peer has stopped reading: every write stays buffered, and writing stays paused."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return False

    def abort(self) -> None:
        pass


def _stalled_stream() -> tuple[Any, Any]:
    from ching_client._http.asyncio_backend import AsyncioStream, _Protocol

    protocol = _Protocol(asyncio.get_running_loop())
    transport = _StalledTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.pause_writing()
    return AsyncioStream(transport, protocol, core), protocol  # type: ignore[arg-type]


def test_a_paused_write_ends_at_its_timeout_while_the_server_keeps_sending() -> None:
    """Bytes arriving wake the write's wait; they must not restart its clock (it would never time out)."""

    async def run() -> float:
        stream, protocol = _stalled_stream()
        loop = asyncio.get_running_loop()
        feeder: asyncio.TimerHandle | None = None

        def feed() -> None:
            nonlocal feeder
            protocol.data_received(b"x")
            feeder = loop.call_later(0.05, feed)

        feeder = loop.call_later(0.05, feed)
        started = time.monotonic()
        try:
            with pytest.raises(core.WriteTimeout):  # the write's own timeout, not wait_for's TimeoutError
                await asyncio.wait_for(stream.write(b"body", timeout=0.3), 0.3 + SLACK)
        finally:
            assert feeder is not None
            feeder.cancel()
            await stream.aclose()  # a stream dropped open warns that its client was never closed
        return time.monotonic() - started

    assert asyncio.run(run()) < 0.3 + SLACK


def test_a_paused_write_ends_when_the_server_closes() -> None:
    """The server's end while writing is paused is a write error at once, not a wait for the whole timeout."""

    async def run() -> float:
        stream, protocol = _stalled_stream()
        asyncio.get_running_loop().call_later(0.05, protocol.eof_received)
        started = time.monotonic()
        try:
            with pytest.raises(core.WriteError):  # not the WriteTimeout that waiting out the timeout ends in
                await asyncio.wait_for(stream.write(b"body", timeout=WRITE_TIMEOUT), 2 * WRITE_TIMEOUT)
        finally:
            await stream.aclose()
        return time.monotonic() - started

    assert asyncio.run(run()) < WRITE_TIMEOUT
