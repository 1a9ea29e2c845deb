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
from collections.abc import Iterator
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


class KeepAliveServer:
    """Answers every request on a connection with a customer, keeping the connection open; with
    ``close_after_answer``, closes each connection that many seconds after its first answer instead."""

    def __init__(self, tls: ssl.SSLContext | None = None, close_after_answer: float | None = None) -> None:
        self._tls = tls
        self._close_after = close_after_answer
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
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
    variant: str, base_url: str, count: int, pause: float, *, trust: trustme.CA | None = None, blocking: bool = False
) -> list[str]:
    """``count`` creates on one client of ``variant`` (the SDK's own pool), ``pause`` seconds apart; with
    ``blocking``, an async caller spends the pause in blocking work, so its event loop never runs in between."""
    if variant == "sync":
        with Ching(api_key=KEY, base_url=base_url, max_retries=0) as ching:
            if trust is not None:
                trust.configure_trust(ching._http._transport._verify)  # type: ignore[attr-defined]
            ids = []
            for _ in range(count):
                ids.append(ching.customers.create(name="Tal").id)
                time.sleep(pause)
            return ids

    async def run() -> list[str]:
        async with AsyncChing(api_key=KEY, base_url=base_url, max_retries=0) as ching:
            if trust is not None:
                trust.configure_trust(ching._http._transport._verify)  # type: ignore[attr-defined]
            ids = []
            for _ in range(count):
                ids.append((await ching.customers.create(name="Tal")).id)
                if blocking:
                    time.sleep(pause)  # noqa: ASYNC251 (blocking work of the caller's, on purpose)
                else:
                    await anyio.sleep(pause)
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
        ids = _calls(variant, f"https://localhost:{server.port}/ching", 3, 0.0, trust=ca)
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
        ids = _calls(variant, f"{scheme}://{host}:{server.port}/ching", 4, 0.25, trust=ca, blocking=blocking)
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
            with pytest.raises(core.WriteTimeout):
                await asyncio.wait_for(stream.write(b"body", timeout=0.3), 3)
        finally:
            assert feeder is not None
            feeder.cancel()
            await stream.aclose()  # a stream dropped open warns that its client was never closed
        return time.monotonic() - started

    assert asyncio.run(run()) < 1.0


def test_a_paused_write_ends_when_the_server_closes() -> None:
    """The server's end while writing is paused is a write error at once, not a wait for the whole timeout."""

    async def run() -> float:
        stream, protocol = _stalled_stream()
        asyncio.get_running_loop().call_later(0.05, protocol.eof_received)
        started = time.monotonic()
        try:
            with pytest.raises(core.WriteError):
                await asyncio.wait_for(stream.write(b"body", timeout=5), 10)
        finally:
            await stream.aclose()
        return time.monotonic() - started

    assert asyncio.run(run()) < 1.0
