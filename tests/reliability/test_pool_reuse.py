"""A pooled connection is reused only when nothing of an earlier exchange is left on it.

A server (or a proxy) that sends one unsolicited response in the same write as a real one leaves it in h11's buffer.
The pool checks the socket before reusing a connection, not what h11 already read from it: the next call on that
connection was answered with the unsolicited response, and every call after it with the previous call's answer
(``retrieve("cus_2")`` returned ``cus_1``). The clients' own pool closes such a connection when its response is
closed (``_transport.refuse_leftovers``), on both clients, both engines, asyncio, uvloop and trio.

``refuse_leftovers`` reaches h11 through private names of httpx and httpcore (``_httpcore_stream``, ``_stream``,
``_connection``, ``_h11_state``); the last test fails if a new version renames any of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import anyio
import h11
import pytest

from ching_client import AsyncChing, Ching
from tests.engine import http

from ._support import KEY, KeptAliveServer, customer_response, run_async

IDS = ["cus_1", "cus_2", "cus_3"]
UNSOLICITED = customer_response("cus_99")


@contextlib.contextmanager
def kept_alive_server(extra: bytes = b"") -> Iterator[KeptAliveServer]:
    server = KeptAliveServer(extra)
    try:
        yield server
    finally:
        server.close()


def _retrieve_all(variant: str, base_url: str) -> list[str]:
    if variant == "sync":
        with Ching(api_key=KEY, base_url=base_url, max_retries=0) as ching:
            return [ching.customers.retrieve(customer_id).id for customer_id in IDS]

    async def run() -> list[str]:
        async with AsyncChing(api_key=KEY, base_url=base_url, max_retries=0) as ching:
            return [(await ching.customers.retrieve(customer_id)).id for customer_id in IDS]

    return run_async(variant, run)


@pytest.mark.parametrize("variant", ["sync", "asyncio", "uvloop", "trio"])
def test_an_unsolicited_response_is_never_taken_for_the_next_answer(variant: str) -> None:
    """Before: ``['cus_1', 'cus_99', 'cus_2']`` on every variant and engine. The connection the extra response came
    on is closed; the next one, clean, is kept for the third call."""
    with kept_alive_server(extra=UNSOLICITED) as server:
        assert _retrieve_all(variant, server.base_url) == IDS
        assert (server.connections, server.requests) == (2, 3)


def test_a_clean_connection_is_still_reused() -> None:
    with kept_alive_server() as server:
        assert _retrieve_all("asyncio", server.base_url) == IDS
        assert (server.connections, server.requests) == (1, 3)


def _h11_state_of(stream: object) -> object:
    """h11's state for a response's connection, by the names ``refuse_leftovers`` uses."""
    return stream._httpcore_stream._stream._connection._h11_state  # type: ignore[attr-defined]


def test_the_names_the_pool_reaches_h11_by_still_exist() -> None:
    """On the responses each engine's transports give the clients' pool, sync and async."""
    with kept_alive_server() as server, http.HTTPTransport() as transport:
        response = transport.handle_request(http.Request("GET", server.base_url + "/v1/customers/cus_1"))
        state = _h11_state_of(response.stream)
        assert isinstance(state, h11.Connection)
        response.read()
        assert state.trailing_data == (b"", False)
        response.close()

    async def run() -> None:
        async with http.AsyncHTTPTransport() as transport:
            response = await transport.handle_async_request(http.Request("GET", server.base_url + "/v1/customers/x"))
            assert isinstance(_h11_state_of(response.stream), h11.Connection)
            await response.aclose()

    with kept_alive_server() as server:
        anyio.run(run)
