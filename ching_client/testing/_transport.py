"""An httpx or httpx2 transport (sync and async) that hands requests to a local Ching in-process, with no sockets.

``FakeTransport`` (in ``_core``) is this transport bound to a ``FakeChing``."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx

from ._wire import FakeRequest, Outcome


def _to_fake(request: httpx.Request, body: bytes) -> FakeRequest:
    """Translate an httpx request for the core."""
    url = request.url
    return FakeRequest(
        method=request.method,
        path=url.raw_path.split(b"?", 1)[0].decode("ascii"),  # still encoded, as a server sees it
        query=url.query.decode("ascii", errors="replace"),
        headers=dict(request.headers.items()),
        body=body,
        origin=f"{url.scheme}://{url.netloc.decode('ascii')}",
    )


def _to_httpx(outcome: Outcome, request: httpx.Request, http: Any) -> httpx.Response:
    """Turn the core's outcome into a response of the ``http`` family, or into the error a lost connection raises."""
    if outcome.drop == "before":
        raise http.ConnectError("Simulated fault: connection failed before the request was sent", request=request)
    if outcome.response is None:
        raise http.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    response = outcome.response
    result: httpx.Response = http.Response(
        response.status, headers=list(response.headers), content=response.body, request=request
    )
    return result


class InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Hands each request to ``handle`` (a local Ching's) and its outcome back as an ``engine`` response; thread-safe.

    ``engine`` names the family of the client it is mounted on (``"httpx"`` or ``"httpx2"``): its responses and
    errors are that family's, as the client expects.
    """

    def __init__(self, handle: Callable[[FakeRequest], Outcome], engine: str = "httpx") -> None:
        self._handle = handle
        self._http: Any = importlib.import_module(engine) if engine in ("httpx", "httpx2") else None
        if self._http is None:
            raise ValueError(f"engine must be 'httpx' or 'httpx2', got {engine!r}")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Sync path: apply, then `time.sleep` any injected latency."""
        outcome = self._handle(_to_fake(request, request.read()))
        if outcome.delay > 0:
            time.sleep(outcome.delay)
        return _to_httpx(outcome, request, self._http)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Async path: apply, then `anyio.sleep` any injected latency (cancellable)."""
        outcome = self._handle(_to_fake(request, await request.aread()))
        if outcome.delay > 0:
            await anyio.sleep(outcome.delay)
        return _to_httpx(outcome, request, self._http)
