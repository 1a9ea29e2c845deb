"""Let a FakeChing answer the requests pytest-httpx's ``httpx_mock`` intercepts.

Code under test often builds its own client (``AsyncChing()`` from ``CHING_API_KEY``, in a
FastAPI lifespan, say) rather than taking one from the test. pytest-httpx intercepts every httpx
request in the process; with ``back_httpx_mock`` the ones addressed to Ching are answered by a
FakeChing, with its state, validation and injected faults, instead of by canned responses.

The fake takes one key there, ``DEFAULT_TEST_KEY``, the key of ``fake.ching()`` and of the pytest
fixtures (or the keys given as ``api_keys``). Ching keeps each key's data apart, so code under test
that sent another key would read an empty project: lists came back empty, a seeded id was a 404 and
``fake.counts()`` stayed at zero, with nothing saying why. A request with another well-formed key
gets ``401 NO_ACCESS`` naming the key the fake takes instead (the key's mode prefix only, never the
key), before anything is applied.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from typing import Any, Protocol

import anyio
import httpx

from ching_client import InvalidArgumentError
from ching_client._core.config import DEFAULT_BASE_URL

from ._core import FakeChing
from ._keys import DEFAULT_TEST_KEY, Scope, scope_for_authorization, scope_for_key
from ._transport import _to_fake, _to_httpx
from ._wire import ApiError, Outcome, error_response


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


def _accepted_scopes(api_keys: str | Collection[str] | None) -> frozenset[Scope] | None:
    """The projects whose keys the fake takes behind ``httpx_mock``; None takes every well-formed key, as Ching does.

    A single key may be given as a string. A malformed key is refused here, with a message that does not show it.
    """
    if api_keys is None:
        return None
    keys = [api_keys] if isinstance(api_keys, str) else list(api_keys)
    try:
        return frozenset(scope_for_key(key) for key in keys)
    except (ValueError, TypeError):
        raise InvalidArgumentError(
            "api_keys takes Ching keys (ck_test_ or ck_live_ and 64 hex characters, as make_test_key() makes), "
            "or None for any key; one of them is not such a key",
            argument="api_keys",
        ) from None


def _other_key(request: httpx.Request, accepted: frozenset[Scope] | None) -> httpx.Response | None:
    """401 for a well-formed key the fake does not take, saying which one it takes; None to let the fake answer.

    A missing or malformed key is left to the fake, which refuses it as Ching does. The message names the
    request's key by its mode prefix only.
    """
    header = request.headers.get("authorization")
    scope = scope_for_authorization(header)
    if scope is None or accepted is None or scope in accepted:
        return None
    prefix = (header or "").split()[-1][:8]  # well-formed, so "ck_test_", "ck_live_", "sk_test_" or "sk_live_"
    if accepted == {scope_for_key(DEFAULT_TEST_KEY)}:
        takes = "DEFAULT_TEST_KEY, the key of fake.ching() and the pytest fixtures"
        advice = (
            "Set CHING_API_KEY to ching_client.testing.DEFAULT_TEST_KEY, "
            "or pass that key in back_httpx_mock(api_keys=[...])"
        )
    else:
        takes = "only the keys given to back_httpx_mock(api_keys=...)"
        advice = "Send one of them, or add this key to api_keys"
    # Under the SDK's cap on a server's message (300 characters), so it is shown whole; the SDK adds the full stop.
    message = (
        f"The local Ching behind httpx_mock takes {takes}; this request came with another {prefix} key, "
        f"a separate and empty project. {advice}"
    )
    return _to_httpx(Outcome(error_response(ApiError(401, "NO_ACCESS", message))), request, httpx)


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
    httpx_mock: HTTPXMockLike,
    fake: FakeChing | None = None,
    *,
    base_url: str | None = None,
    api_keys: str | Collection[str] | None = (DEFAULT_TEST_KEY,),
) -> FakeChing:
    """Answer ``httpx_mock``'s requests to Ching with ``fake`` (a new FakeChing if None) and return the fake.

    ``base_url`` is where the code under test sends its requests: by default ``CHING_BASE_URL``
    if set, else the production API, as the SDK's clients choose. Requests elsewhere are left to
    the responses you add; faults are added to the fake (``fake.faults.add(...)``), not to
    ``httpx_mock``, since the fake answers every request to Ching.

    ``api_keys`` are the keys the fake takes: ``DEFAULT_TEST_KEY`` by default, the one ``fake.ching()``
    and the pytest fixtures use, so that a test seeding data with them and code under test reading it
    share one project. A request with another well-formed key gets ``401 NO_ACCESS`` saying so (the SDK
    raises ``AuthenticationError``) rather than an empty project's answers; ``None`` takes any key.
    """
    accepted = _accepted_scopes(api_keys)
    fake = fake if fake is not None else FakeChing()
    url = base_url or os.environ.get("CHING_BASE_URL") or DEFAULT_BASE_URL

    def callback(request: httpx.Request) -> httpx.Response:
        refusal = _other_key(request, accepted)
        return refusal if refusal is not None else _answer(fake, request)

    httpx_mock.add_callback(callback, url=base_url_pattern(url), is_optional=True, is_reusable=True)
    return fake
