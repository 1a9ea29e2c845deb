"""An ``AsyncChing`` on more than one event loop, and an ``AsyncChing`` dropped without ``aclose()``.

A connection belongs to the event loop that opened it. A client built once and used by two ``asyncio.run()`` calls
(or a module-scoped client under pytest-asyncio's per-test loops) sent its request on the first, closed loop's
connection and raised a bare ``RuntimeError("Event loop is closed")`` after the server had received it; uvloop warned
of the open transports as each loop closed. The clients' own pool now keeps each loop's connections apart and closes
a loop's pools as it shuts down (or, for a loop closed without shutting down, from the next loop, without calling
into the closed one: that takes asyncio's private ``_call_connection_lost``, ``_sock`` and, for TLS,
``_ssl_protocol._transport``, which the https case below exercises). An injected ``http_client`` met on a second loop
is refused before sending, with a ``ChingError`` that says why.

Under asyncio an idle connection of the clients' pool keeps reading, so its loop holds its transport: a dropped
client kept one socket per connection until the server closed it. It is now closed when the pool is collected, with
a ``ResourceWarning``, whether the collection runs in the loop's thread, in another one, or after the loop closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ssl
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.from_thread
import pytest
import trustme

from ching_client import APIConnectionError, AsyncChing
from tests.engine import http

from ._support import KEY, KeptAliveServer, run_async


@pytest.fixture
def server() -> Iterator[KeptAliveServer]:
    server = KeptAliveServer()
    try:
        yield server
    finally:
        server.close()


async def _create(ching: AsyncChing) -> str:
    return (await ching.customers.create(name="Tal")).id


@pytest.mark.parametrize("variant", ["asyncio", "uvloop", "trio"])
def test_one_client_serves_one_event_loop_after_another(server: KeptAliveServer, variant: str) -> None:
    """Before: the second create raised ``RuntimeError: Event loop is closed`` under asyncio once the server had it;
    under uvloop each loop warned, as it closed, of the connection left open (an error under ``-W error``). Trio's
    sockets outlive a run, and kept working."""
    ching = AsyncChing(api_key=KEY, base_url=server.base_url, max_retries=0)
    assert [run_async(variant, lambda: _create(ching)) for _ in range(2)] == ["cus_new", "cus_new"]
    assert server.requests == 2
    run_async(variant, ching.aclose)
    assert server.wait_closed(server.connections) == server.connections  # no socket left open


def test_a_loop_closed_without_shutting_down_has_its_sockets_closed_by_the_next(server: KeptAliveServer) -> None:
    """``loop.close()`` with no ``shutdown_asyncgens()``: the next loop closes the first one's socket without it."""
    ching = AsyncChing(api_key=KEY, base_url=server.base_url, max_retries=0)
    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(_create(ching)) == "cus_new"
    loop.close()
    assert asyncio.run(_create(ching)) == "cus_new"
    assert server.wait_closed(2) == 2  # the first loop's, and the second's as that loop shut down
    assert list(ching._http._transport._watchers) == []  # type: ignore[attr-defined]  # nothing kept of either loop
    asyncio.run(ching.aclose())


def test_a_tls_connection_of_a_closed_loop_is_closed_by_the_next() -> None:
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    from .test_asyncio_backend import keep_alive_server

    with keep_alive_server(tls=tls) as server:
        ching = AsyncChing(api_key=KEY, base_url=f"https://localhost:{server.port}/ching", max_retries=0)
        ca.configure_trust(ching._http._transport._verify)  # type: ignore[attr-defined]
        loop = asyncio.new_event_loop()
        first = loop.run_until_complete(_create(ching))
        loop.close()
        [stream] = [c._connection._network_stream for shard in _shards(ching) for c in shard.pool._connections]
        assert asyncio.run(_create(ching)) == first
        assert stream._transport.get_extra_info("socket").fileno() == -1  # closed, though its loop never ran again
        asyncio.run(ching.aclose())
    assert (server.connections, server.requests) == (2, 2)


def _shards(ching: AsyncChing) -> list[Any]:
    """The shards of the client's pool for the loop of its latest call."""
    shards: list[Any] = ching._http._transport._shards  # type: ignore[attr-defined]
    return shards


@pytest.mark.parametrize("variant", ["asyncio", "uvloop"])
def test_two_loops_in_two_threads_share_one_client(server: KeptAliveServer, variant: str) -> None:
    """Before: the main thread's loop took the other loop's idle connection, and the call failed with a bare
    ``RuntimeError`` (a future attached to a different loop)."""
    ching = AsyncChing(api_key=KEY, base_url=server.base_url, max_retries=0)
    options = {"use_uvloop": variant == "uvloop"}
    with anyio.from_thread.start_blocking_portal("asyncio", options) as portal:
        ids = []
        for _ in range(3):
            ids.append(portal.call(_create, ching))  # the portal's loop, in its own thread
            ids.append(run_async(variant, lambda: _create(ching)))  # a new loop in this thread, each time
        portal.call(ching.aclose)
    assert ids == ["cus_new"] * 6
    # The portal's loop kept one connection; each of the three loops here had its own.
    assert (server.connections, server.requests) == (4, 6)
    assert server.wait_closed(4) == 4


def test_an_injected_client_met_on_a_second_loop_is_refused_before_sending(server: KeptAliveServer) -> None:
    """Before: a bare ``RuntimeError`` (``Event loop is closed`` once the first loop has closed, or a future attached
    to a different loop), after the server had received the create (with httpx) or not (httpx2): a retry could
    duplicate it. Now an ``APIConnectionError`` that says why, and nothing sent. (The first loop stays open here
    only so that the test can close the injected client on it, as its owner would.)"""
    injected = http.AsyncClient()
    ching = AsyncChing(api_key=KEY, base_url=server.base_url, max_retries=0, timeout=5, http_client=injected)
    first = asyncio.new_event_loop()
    try:
        assert first.run_until_complete(_create(ching)) == "cus_new"
        with pytest.raises(APIConnectionError, match="opened on another event loop") as caught:
            asyncio.run(_create(ching))
        assert caught.value.may_have_reached_server is False
        assert server.requests == 1
    finally:
        first.run_until_complete(injected.aclose())
        first.close()


def test_an_injected_client_without_a_pool_goes_from_loop_to_loop() -> None:
    """A transport with no connections (a mock, an ASGI app) is bound to no loop: nothing to refuse."""
    from ._support import CUSTOMER

    def answer(request: Any) -> Any:
        return http.Response(200, json={"success": True, "data": CUSTOMER})

    ching = AsyncChing(api_key=KEY, max_retries=0, http_client=http.AsyncClient(transport=http.MockTransport(answer)))
    assert [asyncio.run(_create(ching)) for _ in range(2)] == ["cus_1", "cus_1"]


# -- a client dropped without aclose() -------------------------------------------------------------------------------


@contextlib.contextmanager
def _unclosed_connection_warned() -> Iterator[None]:
    with pytest.warns(ResourceWarning, match="unclosed connection .* AsyncChing that was never closed"):
        yield


@pytest.mark.parametrize("variant", ["asyncio", "uvloop"])
@pytest.mark.parametrize("collected_in", ["the loop's thread", "another thread"])
def test_a_dropped_client_frees_its_sockets(server: KeptAliveServer, variant: str, collected_in: str) -> None:
    """Before: no warning, and the socket stayed open for as long as the server kept the idle connection."""

    async def drop() -> int:
        ching = AsyncChing(api_key=KEY, base_url=server.base_url)
        await _create(ching)
        with _unclosed_connection_warned():
            del ching
            if collected_in == "another thread":
                collector = threading.Thread(target=gc.collect)
                collector.start()
                collector.join()
            else:
                gc.collect()
        # The close was handed to this loop, which runs it now; the server then sees it.
        return await anyio.to_thread.run_sync(server.wait_closed, 1)

    assert run_async(variant, drop) == 1


def test_a_client_dropped_after_its_loop_closed_frees_its_sockets(server: KeptAliveServer) -> None:
    """The loop closed without shutting down (so it closed nothing), and no longer holds the transport: asyncio's own
    finalizers may run before or after the client's, in any order. Each closes the socket without the loop, and none
    fails (an exception in a finalizer fails the test under ``-W error``). This was already so before."""
    ching = AsyncChing(api_key=KEY, base_url=server.base_url)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_create(ching))
    loop.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del ching
        gc.collect()
    assert {warning.category for warning in caught} == {ResourceWarning}
    assert server.wait_closed(1) == 1


@pytest.mark.parametrize("variant", ["asyncio", "uvloop"])
def test_a_closed_client_is_collected_without_a_warning(server: KeptAliveServer, variant: str) -> None:
    async def close_then_drop() -> None:
        ching = AsyncChing(api_key=KEY, base_url=server.base_url)
        await _create(ching)
        await ching.aclose()
        del ching
        gc.collect()  # under -W error, a warning here would fail the test

    run_async(variant, close_then_drop)
    assert server.wait_closed(1) == 1
