"""uvicorn's h11 protocol, closing connections that hold no complete request for too long.

uvicorn times out a connection only between requests, and any byte received cancels that timer:
a connection that never sends a request (half-open, a client that crashed, a port scan) or drips
its request line and headers stays open for good, and enough of them exhaust the server's sockets.
Imported only once uvicorn is known to be installed.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class IdleClosingH11Protocol(H11Protocol):
    """Closes a connection when a request's headers have not all arrived ``timeout_keep_alive`` seconds
    after it opened or after its last response; a request being answered is never cut short."""

    _request_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # a request line and all its headers arrived
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request may already be under way; otherwise the next one has the same time to arrive.
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._request_deadline = self.loop.call_later(self.timeout_keep_alive, self._expire)

    def _disarm(self) -> None:
        if self._request_deadline is not None:
            self._request_deadline.cancel()
            self._request_deadline = None

    def _expire(self) -> None:
        self._request_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
