"""The async shards' socket backend under asyncio: asyncio's own transports, without anyio's layer in between.

httpcore reaches sockets through anyio, which enters a cancel scope (``anyio.fail_after``) and builds an exception map
for every read and write: four to six of each per request, the largest part of anyio's share of the client's CPU in
a bulk run (docs/performance.md). Under asyncio the async shards use this backend instead: each connection is an asyncio
``Protocol`` whose received bytes wait in a small buffer, a read that finds nothing waits on one future with one
timer for its timeout, and a write hands its bytes to the transport, waiting only when the transport asks for a
pause. Under trio (or anything else) the shards keep httpcore's own backend.

The contract is httpcore's: the same errors (``ConnectError``, ``ConnectTimeout``, ``ReadError``, ``ReadTimeout``,
``WriteError``, ``WriteTimeout``, of the engine's httpcore) for the same events, ``b""`` at the end of the stream, and
``is_readable`` true once an idle connection has data or an end waiting (the pool then drops it). Reading stops while
more than ``_HIGH_WATER`` bytes wait, so a large body is held a piece at a time, as with anyio.

An idle connection keeps reading (so the server's close is seen at no cost), which means its event loop holds its
transport: a pool dropped without being closed would keep its sockets open for as long as the server keeps them. So
a stream collected while still open closes its transport, with a ``ResourceWarning`` as asyncio gives for a transport
of its own. That, and closing a pool from another thread or after its loop has ended, may happen away from the
connection's loop: ``_abandon`` closes through the loop when it runs, and without it once it is closed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import select
import socket
import ssl
import time
import warnings
from collections.abc import Iterable
from typing import Any, Final, cast

_HIGH_WATER: Final = 256 * 1024


class _Protocol(asyncio.Protocol):
    """Keeps what arrives until a read takes it; wakes the one read or write waiting on this connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.lost: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[object] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not ``asyncio.Transport`` on every loop (uvloop's transports only have its methods), so no isinstance.
        self.transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport: HTTP/1.1 has no half-closed connections

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.lost = exc
        self._wake()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, timeout: float | None, error: type[Exception], what: str) -> None:
        """Until the next event on the connection; ``error`` once ``timeout`` seconds pass first."""
        waiter: asyncio.Future[object] = self.loop.create_future()
        self.waiter = waiter
        timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()
        if waiter.result() is _EXPIRED:
            raise error(f"timed out {what}")


_EXPIRED: Final = object()


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_result(_EXPIRED)


class AsyncioStream:
    """One connection, as httpcore's ``AsyncNetworkStream``."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol, core: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        self._core = core
        self._open = True  # False once closed, or handed over to the TLS stream that replaces it

    def __del__(self, _warn: Any = warnings.warn) -> None:
        # Collected while open: the pool holding it was dropped without being closed (an ``AsyncChing`` never closed).
        # ``_warn`` is bound now: at interpreter exit the warnings module may be gone before this runs.
        if self._open and not self._transport.is_closing():
            self._open = False
            _warn(
                f"unclosed connection {self._transport.get_extra_info('peername')!r} of an AsyncChing that was never "
                "closed: use `async with AsyncChing(...)`, or `await client.aclose()` when done",
                ResourceWarning,
                source=self,
            )
            _abandon(self._transport, self._protocol.loop)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof:
            await protocol.wait(timeout, self._core.ReadTimeout, "reading")
        if protocol.chunks:
            data = protocol.chunks.popleft()
            if len(data) > max_bytes:
                protocol.chunks.appendleft(data[max_bytes:])
                data = data[:max_bytes]
            protocol.buffered -= len(data)
            if protocol.reading_paused and protocol.buffered <= _HIGH_WATER // 2:
                protocol.reading_paused = False
                self._transport.resume_reading()
            return data
        if protocol.lost is not None:
            raise self._core.ReadError(str(protocol.lost) or type(protocol.lost).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.lost is not None or self._transport.is_closing():  # the server's close closes the transport too
            raise self._core.WriteError(str(protocol.lost or "the connection is closed"))
        self._transport.write(buffer)
        # The transport holds the bytes now. This frame must not: they are the serialized request, its Authorization
        # header included, and a write that times out keeps the frame in its traceback, where a formatter that prints
        # locals (``pytest -l``, Sentry) would show them.
        del buffer
        # One deadline for the whole write: bytes arriving meanwhile wake the wait, and must not restart its clock.
        deadline = None if timeout is None else time.monotonic() + timeout
        while protocol.writing_paused and not protocol.eof:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            await protocol.wait(left, self._core.WriteTimeout, "writing")
        if protocol.lost is not None or (protocol.eof and protocol.writing_paused):
            raise self._core.WriteError(str(protocol.lost or "the connection closed while writing"))

    async def aclose(self) -> None:
        # Closed at once, without TLS's closing handshake: HTTP/1.1 frames every body itself, so nothing is lost, and
        # a graceful close would go on after the client is closed (uvloop then warns of an unclosed transport when
        # the loop ends, and waits up to 30 s for a peer that never answers the handshake).
        self._open = False
        loop = self._protocol.loop
        if loop is _asyncio_loop():
            self._transport.abort()
        else:  # a pool of another loop, closed by a client's aclose() or when a new loop retires it
            _abandon(self._transport, loop)

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> AsyncioStream:
        loop = self._protocol.loop
        core = self._core
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.close()
            raise core.ConnectTimeout("timed out during the TLS handshake") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise core.ConnectError(str(exc)) from exc
        if transport is None:  # the connection closed during the handshake
            raise core.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport  # pausing and resuming reads now go through TLS
        self._open = False  # the TLS stream owns the connection now: this one is dropped, and must not close it
        return AsyncioStream(transport, self._protocol, core)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            # Asked of an idle connection before it is reused: anything waiting, or the server's close, means it must
            # not be. The loop may not have polled the socket since the server closed it (a task that kept the loop
            # busy, a blocking call), so the socket is asked too, as httpcore's backend does.
            protocol = self._protocol
            return bool(protocol.chunks) or protocol.eof or _socket_readable(transport.get_extra_info("socket"))
        return None


class AsyncioBackend:
    """httpcore's ``AsyncNetworkBackend`` on asyncio's transports; ``fallback`` (httpcore's own) anywhere else."""

    def __init__(self, fallback: Any, core: Any) -> None:
        self._fallback = fallback
        self._core = core

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        loop = _asyncio_loop()
        if loop is None:
            return await self._fallback.connect_tcp(host, port, timeout, local_address, socket_options)
        source = None if local_address is None else (local_address, 0)
        transport = await self._connect(
            loop.create_connection(lambda: _Protocol(loop), host, port, local_addr=source), timeout
        )
        try:
            sock = transport.get_extra_info("socket")
            for option in socket_options or ():
                sock.setsockopt(*option)
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            transport.close()
            raise
        return AsyncioStream(transport, transport.get_protocol(), self._core)  # type: ignore[arg-type]

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> Any:
        loop = _asyncio_loop()
        if loop is None:
            return await self._fallback.connect_unix_socket(path, timeout, socket_options)
        transport = await self._connect(loop.create_unix_connection(lambda: _Protocol(loop), path), timeout)
        return AsyncioStream(transport, transport.get_protocol(), self._core)  # type: ignore[arg-type]

    async def _connect(self, connecting: Any, timeout: float | None) -> asyncio.Transport:
        core = self._core
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await connecting
        except TimeoutError as exc:
            raise core.ConnectTimeout("timed out connecting") from exc
        except OSError as exc:
            raise core.ConnectError(str(exc)) from exc
        return cast("asyncio.Transport", transport)

    async def sleep(self, seconds: float) -> None:
        if _asyncio_loop() is None:
            await self._fallback.sleep(seconds)
        else:
            await asyncio.sleep(seconds)


def _abandon(transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
    """Close ``transport`` from outside its loop's thread, or from a finalizer (which may run in any thread, at any
    moment): through the loop while it runs, as asyncio's transports may only be touched from their loop's thread;
    without it once the loop is closed, as closing through it would raise."""
    if not loop.is_closed():
        with contextlib.suppress(RuntimeError):  # closed meanwhile, by another thread
            loop.call_soon_threadsafe(transport.abort)
            return
    _close_after_loop(transport)


def _close_after_loop(transport: asyncio.BaseTransport) -> None:
    """Close the socket of a transport whose loop is closed, without the loop.

    uvloop closes every transport when its loop closes. asyncio's leave their sockets open, and their ``close`` and
    ``abort`` only schedule the socket's close on the loop (which raises once it is closed); so the step the loop
    would have run next is run here: ``_call_connection_lost``, of the transport itself or, for TLS, of the one under
    it. tests/reliability/test_event_loops.py names both and fails if a new Python renames them.
    """
    if transport.is_closing():
        return
    plain = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None) or transport
    lost = getattr(plain, "_call_connection_lost", None)
    if lost is not None and getattr(plain, "_sock", None) is not None:
        with contextlib.suppress(RuntimeError):  # TLS tells its protocol through the loop; the socket is closed first
            lost(None)


def _socket_readable(sock: Any) -> bool:
    """Whether a read on ``sock`` would return at once (data or the end); a socket already gone counts as readable."""
    fileno = -1 if sock is None else sock.fileno()
    if fileno < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fileno], [], [], 0)[0])
    poll = select.poll()
    poll.register(fileno, select.POLLIN)
    return bool(poll.poll(0))


def _asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop running this task, or None (trio)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
