"""Deadlines on every socket operation of the sync client's shards.

httpx's read timeout bounds each read, so a server dripping a byte a second keeps a sync call alive for ever (the
async clients cancel an attempt at its deadline instead). The sync shards connect and read through this network
backend, which also stops every read, write and connect (not the name lookup) at the attempt's deadline:
``start_attempt`` takes it from the request's ``ATTEMPT_SECONDS_EXTENSION``, what is left of the call (without it,
from the read timeout).

Imported when a sync client builds its pool, with httpcore itself (``import ching_client`` loads neither). One
source for both engines: ``core`` is ``httpcore`` or ``httpcore2``, whose errors their httpx maps to its own.
"""

from __future__ import annotations

import contextvars
import socket
import time
import typing
from typing import TYPE_CHECKING, Any, Final

from .body import ATTEMPT_SECONDS_EXTENSION
from .private import sync_stream_class

if TYPE_CHECKING:  # httpx's and httpcore's types stand for httpx2's and httpcore2's too
    import httpcore
    import httpx

_ATTEMPT_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("ching_attempt_deadline", default=None)
_WRITE_CHUNK: Final = 65536


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the attempt's deadline; raises ``error`` once it has passed."""
    deadline = _ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A socket stream (an ``httpcore.NetworkStream``) whose every operation also ends at the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, core: Any) -> None:
        self._inner = inner
        self._core = core

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, self._core.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # In chunks, so that a server reading slowly cannot hold one write past the deadline.
        view = memoryview(buffer)
        try:
            for start in range(0, len(view), _WRITE_CHUNK):
                self._inner.write(bytes(view[start : start + _WRITE_CHUNK]), _bounded(timeout, self._core.WriteTimeout))
        except BaseException:
            # ``buffer`` is the serialized request, its Authorization header included: a traceback formatter that
            # prints locals (``pytest -l``, Sentry) would show it from this frame, which the exception keeps.
            del buffer, view
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _DeadlineStream:
        bounded = _bounded(timeout, self._core.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded), self._core)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend:
    """httpcore's sync socket backend (a ``NetworkBackend``), with every stream bounded by the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend, core: Any) -> None:
        self._inner = inner
        self._core = core
        self._stream_class: Any = sync_stream_class(core)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> _DeadlineStream:
        core = self._core
        bounded = _bounded(timeout, core.ConnectTimeout)
        source = None if local_address is None else (local_address, 0)
        try:
            sock = _connect((host, port), bounded, source)
        except TimeoutError as exc:
            raise core.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise core.ConnectError(str(exc)) from exc
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        return _DeadlineStream(self._stream_class(sock), core)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[Any] | None = None
    ) -> _DeadlineStream:
        bounded = _bounded(timeout, self._core.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options), self._core)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _connect(address: tuple[str, int], timeout: float | None, source: tuple[str, int] | None) -> socket.socket:
    """``socket.create_connection``, with two differences. The socket is closed whatever interrupts the connect
    (the standard one closes it only on ``OSError``: an exception from a signal handler there left an open socket
    behind). And ``timeout`` bounds the whole connect, not each address tried. The name lookup is not bounded."""
    ends = None if timeout is None else time.monotonic() + timeout
    last: OSError | None = None
    for family, kind, proto, _, target in socket.getaddrinfo(*address, 0, socket.SOCK_STREAM):
        left = None if ends is None else ends - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError("timed out")
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            if source is not None:
                sock.bind(source)
            sock.connect(target)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
        except BaseException:
            sock.close()
            raise
    raise last if last is not None else OSError(f"no address found for {address[0]}")


def start_attempt(request: httpx.Request) -> None:
    """Fix this attempt's deadline from what is left of its call (or its read timeout, for a request without it);
    the body is read after the transport returns, in the same thread, so the value stays set until the next attempt
    replaces it. A shorter read timeout (``Timeout(read=...)``) still bounds each read on its own."""
    seconds = request.extensions.get(ATTEMPT_SECONDS_EXTENSION)
    if seconds is None:
        timeout = request.extensions.get("timeout")
        seconds = timeout.get("read") if isinstance(timeout, dict) else None
    _ATTEMPT_DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
