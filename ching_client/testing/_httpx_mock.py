"""Let a FakeChing answer the requests pytest-httpx's ``httpx_mock`` intercepts.

Code under test often builds its own client (``AsyncChing()`` from ``CHING_API_KEY``, in a
FastAPI lifespan, say) rather than taking one from the test. pytest-httpx intercepts every httpx
request in the process; with ``back_httpx_mock`` the ones addressed to Ching are answered by a
FakeChing, with its state, validation and injected faults, instead of by canned responses.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

import anyio
import httpx

from ching_client._core.config import DEFAULT_BASE_URL

from ._core import FakeChing
from ._transport import _to_fake, _to_httpx


class HTTPXMockLike(Protocol):
    """What ``back_httpx_mock`` uses of pytest-httpx's ``httpx_mock`` fixture."""

    def add_callback(self, callback: Callable[[httpx.Request], Any], **matchers: Any) -> None:
        """Answer matching requests with ``callback``."""
        ...


class _LateBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives ``delay`` seconds late: an injected latency, waited out by whichever client reads it.

    A callback cannot tell a sync client from an async one, but reading the body can: the sync
    client iterates it (and sleeps), the async client iterates it asynchronously (and awaits).
    """

    def __init__(self, body: bytes, delay: float) -> None:
        self._body = body
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        time.sleep(self._delay)
        yield self._body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        await anyio.sleep(self._delay)  # cancellable, as the client's deadline needs
        yield self._body


def _answer(fake: FakeChing, request: httpx.Request) -> httpx.Response:
    """The fake's answer to one intercepted request (pytest-httpx has already read its body)."""
    outcome = fake.handle(_to_fake(request, request.content))
    response = outcome.response
    if outcome.delay <= 0 or response is None:
        return _to_httpx(outcome, request, httpx)  # raises the httpx error of a lost connection
    headers = list(response.headers)
    return httpx.Response(response.status, headers=headers, stream=_LateBody(response.body, outcome.delay))


def base_url_pattern(base_url: str) -> re.Pattern[str]:
    """Every URL under ``base_url``, whatever follows it (a path, a query)."""
    return re.compile(re.escape(base_url.rstrip("/")) + r"(?:[/?#].*)?\Z", re.DOTALL)


def back_httpx_mock(
    httpx_mock: HTTPXMockLike, fake: FakeChing | None = None, *, base_url: str | None = None
) -> FakeChing:
    """Answer ``httpx_mock``'s requests to Ching with ``fake`` (a new FakeChing if None) and return the fake.

    ``base_url`` is where the code under test sends its requests: by default ``CHING_BASE_URL``
    if set, else the production API, as the SDK's clients choose. Requests elsewhere are left to
    the responses you add; faults are added to the fake (``fake.faults.add(...)``), not to
    ``httpx_mock``, since the fake answers every request to Ching.
    """
    fake = fake if fake is not None else FakeChing()
    url = base_url or os.environ.get("CHING_BASE_URL") or DEFAULT_BASE_URL

    def callback(request: httpx.Request) -> httpx.Response:
        return _answer(fake, request)

    httpx_mock.add_callback(callback, url=base_url_pattern(url), is_optional=True, is_reusable=True)
    return fake
