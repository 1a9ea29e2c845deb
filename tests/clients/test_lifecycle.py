"""Connection pools, with_options clones, injected httpx clients, and the sync client inside event loops."""

from __future__ import annotations

import threading

import anyio
import pytest
import sniffio
from pytest_httpx import HTTPXMock

from ching_client import AsyncChing, Ching, ClientClosedError, Customer, InternalServerError, InvalidArgumentError
from ching_client._core.base import AttemptWatch
from tests.engine import http
from tests.reliability._support import KeptAliveServer

from ._support import CUSTOMER, DEFAULT_BASE_URL, OPS, TEST_KEY, Harness, ScriptedServer, error, ok

pytestmark = pytest.mark.anyio

LIST_URL = DEFAULT_BASE_URL + "/v1/customers"


async def test_with_options_changes_defaults_and_nothing_else(harness: Harness, server: ScriptedServer):
    ching = harness.client(timeout=30, max_retries=2)
    _ = ching.customers  # resources are cached per client: the clone must not reuse the original's
    quick = ching.with_options(timeout=2, max_retries=0)
    assert type(quick) is type(ching)
    assert (quick.timeout, quick.max_retries) == (2.0, 0)
    assert (ching.timeout, ching.max_retries) == (30.0, 2)
    assert (quick.base_url, quick.livemode) == (ching.base_url, ching.livemode)
    assert repr(quick) == repr(ching)

    server.script(error(503))
    with pytest.raises(InternalServerError):
        await harness.call(quick.customers.list)
    assert server.count == 1
    assert server.requests[0].extensions["timeout"]["read"] <= 2.0

    server.script(error(503))
    with pytest.raises(InternalServerError):
        await harness.call(ching.customers.list)
    assert server.count == 3


async def test_with_options_keeps_unspecified_defaults(harness: Harness):
    ching = harness.client(timeout=30, max_retries=4)
    assert (ching.with_options(timeout=3).max_retries, ching.with_options(max_retries=0).timeout) == (4, 30.0)


async def test_clone_shares_the_pool_and_closing_it_leaves_the_pool_open(harness: Harness, httpx_mock: HTTPXMock):
    httpx_mock.add_response(url=LIST_URL, json={"success": True, "data": [CUSTOMER]}, is_reusable=True)
    ching = harness.owned_client()
    clone = ching.with_options(max_retries=0)
    await harness.close(clone)
    assert len(await harness.call(ching.customers.list)) == 1  # the original still works
    assert len(await harness.call(clone.customers.list)) == 1  # and so does the closed clone: the pool is open
    await harness.close(ching)
    with pytest.raises(RuntimeError, match="closed"):  # one pool: closing the owner closed it for the clone too
        await harness.call(clone.customers.list)


async def test_clones_send_over_the_parents_connections_until_the_parent_closes_them(harness: Harness):
    server = KeptAliveServer()  # keeps each connection open, and counts them
    try:
        ching = harness.owned_client(base_url=server.base_url, max_retries=0)
        _ = ching.customers  # resources are cached per client: a clone's must send with the clone's options
        clone = ching.with_options(timeout=7)
        worker = clone._batch_requester(AttemptWatch())  # what upsert_many's workers send with: built the same way
        ids = [
            (await harness.call(client.customers.retrieve, customer_id)).id
            for client, customer_id in [(ching, "cus_1"), (clone, "cus_2"), (worker, "cus_3")]
        ]
        await harness.close(clone)
        await harness.close(worker)
        assert (await harness.call(ching.customers.retrieve, "cus_4")).id == "cus_4"  # closing a clone closed nothing
        assert (ids, server.requests, server.connections) == (["cus_1", "cus_2", "cus_3"], 4, 1)  # one pool
        assert (clone.timeout, clone.max_retries, ching.timeout) == (7.0, 0, 60.0)

        await harness.close(ching)
        # Closing the parent closed the pool, and its connection (asyncio closes a socket on the loop's next turn).
        assert await anyio.to_thread.run_sync(server.wait_closed, 1) == 1
        with pytest.raises(ClientClosedError):
            await harness.call(clone.customers.retrieve, "cus_5")
    finally:
        server.close()


async def test_a_clone_is_built_by_the_constructor_and_keeps_its_checks(harness: Harness, server: ScriptedServer):
    ching = harness.client(timeout=30)
    clone = ching.with_options(max_retries=1).with_options(timeout=4)  # a clone of a clone
    server.script(error(503), ok([]))
    assert await harness.call(clone.customers.list) == []
    assert server.count == 2
    assert server.requests[0].extensions["timeout"]["read"] <= 4.0
    assert server.requests[0].headers["Accept-Encoding"] == "gzip, deflate"  # what the constructor asks of a pool
    with pytest.raises(InvalidArgumentError, match="max_retries"):
        clone.with_options(max_retries=-1)


async def test_context_manager_closes_an_owned_pool(harness: Harness, httpx_mock: HTTPXMock):
    httpx_mock.add_response(url=LIST_URL, json={"success": True, "data": []})
    async with harness.opened(harness.owned_client()) as ching:
        assert await harness.call(ching.customers.list) == []
    with pytest.raises(RuntimeError, match="closed"):
        await harness.call(ching.customers.list)


async def test_owned_pool_sends_to_the_default_base_url(harness: Harness, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST",
        url=LIST_URL,
        match_headers={"Authorization": f"Bearer {TEST_KEY}"},
        match_json={"name": "Tal"},
        json={"success": True, "data": CUSTOMER},
        status_code=201,
    )
    async with harness.opened(harness.owned_client()) as ching:
        customer = await harness.call(ching.customers.create, name="Tal")
    assert isinstance(customer, Customer)


async def test_context_manager_leaves_an_injected_client_open(harness: Harness, server: ScriptedServer):
    transport = http.MockTransport(server.handle)
    server.script(ok([]))
    if harness.kind == "async":
        async_http = http.AsyncClient(transport=transport)
        async with AsyncChing(api_key=TEST_KEY, http_client=async_http) as ching:
            await ching.customers.list()
        assert not async_http.is_closed
        assert (await async_http.get("https://example.test/")).status_code == 200
        await async_http.aclose()
    else:
        _sync_client_leaves_an_injected_client_open(transport)
    assert server.count == 2


def _sync_client_leaves_an_injected_client_open(transport: http.MockTransport) -> None:
    sync_http = http.Client(transport=transport)
    with Ching(api_key=TEST_KEY, http_client=sync_http) as ching:
        ching.customers.list()
    assert not sync_http.is_closed
    assert sync_http.get("https://example.test/").status_code == 200
    sync_http.close()


async def test_injected_client_settings_do_not_override_auth_or_base_url(harness: Harness, server: ScriptedServer):
    server.script(ok([]))
    ching = harness.client(
        http_options={
            "base_url": "https://other.example.test/api",
            "headers": {"Authorization": "Bearer someone-else", "X-App": "shop"},
        }
    )
    await harness.call(ching.customers.list)
    [request] = server.requests
    assert str(request.url) == LIST_URL
    assert request.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert request.headers["X-App"] == "shop"  # the application's own headers still go out


async def test_injected_client_with_httpx_auth_still_sends_the_ching_key(harness: Harness, server: ScriptedServer):
    """README: with http_client=, "auth and base URL are still applied per request"."""
    server.script(ok([]))
    ching = harness.client(http_options={"auth": ("proxy-user", "proxy-pass")})
    await harness.call(ching.customers.list)
    assert server.header("Authorization") == [f"Bearer {TEST_KEY}"]


async def test_concurrent_calls_share_one_client(harness: Harness, server: ScriptedServer):
    server.script(ok(CUSTOMER))
    ching = harness.client()
    ids = [f"cus_{i}" for i in range(8)]

    async def fetch(customer_id: str) -> None:
        await harness.call(ching.customers.retrieve, customer_id)

    async with anyio.create_task_group() as tg:
        for customer_id in ids:
            tg.start_soon(fetch, customer_id)
    assert sorted(r.url.path.rsplit("/", 1)[1] for r in server.requests) == ids


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_sync_client_works_inside_a_running_event_loop_without_threads(
    anyio_backend: str, server: ScriptedServer
):
    assert sniffio.current_async_library() == anyio_backend
    threads_before = threading.active_count()
    server.script(error(503), ok([CUSTOMER]))
    with Ching(api_key=TEST_KEY, http_client=http.Client(transport=http.MockTransport(server.handle))) as ching:
        customers = ching.customers.list()
        server.script(*(op.reply for op in OPS[:1]))
        customer = ching.customers.create(name="Tal")
    assert [c.id for c in customers] == [CUSTOMER["id"]]
    assert isinstance(customer, Customer)
    assert threading.active_count() == threads_before


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_sync_client_with_its_own_pool_inside_a_running_event_loop(anyio_backend: str, httpx_mock: HTTPXMock):
    httpx_mock.add_response(url=LIST_URL, status_code=502, text="<html>Bad Gateway</html>")
    httpx_mock.add_response(url=LIST_URL, json={"success": True, "data": [CUSTOMER]})
    threads_before = threading.active_count()
    with Ching(api_key=TEST_KEY) as ching:
        assert len(ching.customers.list()) == 1
    assert threading.active_count() == threads_before


async def test_a_call_on_a_closed_client_is_a_ching_error_that_says_so(harness: Harness):
    ching = harness.owned_client()
    async with harness.opened(ching):
        pass
    with pytest.raises(ClientClosedError, match=r"customers\.list: this client is closed") as caught:
        await harness.call(ching.customers.list)
    assert isinstance(caught.value, RuntimeError)  # what httpx raised before, for code that caught that
