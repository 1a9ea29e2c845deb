"""A small hand-written ASGI app exposing a FakeChing over real HTTP (served by uvicorn)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._core import MAX_BODY_BYTES, FakeChing
from ._wire import FakeRequest

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]


async def _read_body(receive: Receive) -> bytes:
    """Collect the request body, stopping once it is over `MAX_BODY_BYTES` (the core then answers 413)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _raw_path(scope: Message) -> str:
    """The still-encoded path: `a%2Fb` is one id, not two segments (parameters are decoded after routing).

    A request sent through a proxy names the absolute URL (`GET http://host/ching/v1/...`); only its
    path counts, as on any server.
    """
    raw: str = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
    if raw.startswith(("http://", "https://")):
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    return raw


def _origin(scope: Message, headers: dict[str, str]) -> str:
    """`scheme://host[:port]` as the client addressed us."""
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


async def _drop(receive: Receive, send: Send) -> None:
    """Close the connection without any response, as a crashed server or broken proxy would."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:  # not uvicorn's h11/httptools cycle: the best we can do is abort mid-response
        await send({"type": "http.response.start", "status": 500, "headers": []})
        raise ConnectionAbortedError("simulated dropped connection")
    transport.close()
    await receive()  # returns http.disconnect once the server notices, so it sends nothing itself


def create_asgi_app(fake: FakeChing) -> ASGIApp:
    """Return an ASGI app serving `fake` (Ching routes plus the `/_fake` admin routes)."""

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        """Handle one HTTP request; lifespan events are acknowledged, other scopes ignored."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request = FakeRequest(
            method=scope["method"],
            path=_raw_path(scope),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=await _read_body(receive),
            origin=_origin(scope, headers),
        )
        outcome = fake.handle(request)
        if outcome.delay > 0:
            await asyncio.sleep(outcome.delay)
        if outcome.response is None:
            await _drop(receive, send)
            return
        response = outcome.response
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        raw_headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": response.body})

    return app
