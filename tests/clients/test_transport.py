"""The clients' sharded connection pool, over real loopback sockets."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator

import anyio
import pytest

from ching_client import APIConnectionError, AsyncChing, Ching
from ching_client._http.pool import AsyncShardedTransport, ShardedTransport
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer, serve


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with serve() as server:
        yield server


def busy(transport: AsyncShardedTransport | ShardedTransport) -> list[int]:
    return [len(shard.live) for shard in transport._shards]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_many_concurrent_async_calls_complete_and_leave_every_shard_idle(server: FakeServer):
    async with AsyncChing(api_key=DEFAULT_TEST_KEY, base_url=server.base_url) as ching:
        transport = ching._http._transport
        assert isinstance(transport, AsyncShardedTransport)
        created = await ching.customers.create(name="Shared")
        results: list[str] = []

        async def fetch() -> None:
            results.append((await ching.customers.retrieve(created.id)).id)

        async with anyio.create_task_group() as group:
            for _ in range(150):
                group.start_soon(fetch)
        assert results == [created.id] * 150
        assert busy(transport) == [0] * len(busy(transport))


def test_many_threads_share_the_sync_pool_and_leave_every_shard_idle(server: FakeServer):
    with Ching(api_key=DEFAULT_TEST_KEY, base_url=server.base_url) as ching:
        transport = ching._http._transport
        assert isinstance(transport, ShardedTransport)
        created = ching.customers.create(name="Shared")
        with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
            ids = list(pool.map(lambda _: ching.customers.retrieve(created.id).id, range(150)))
        assert ids == [created.id] * 150
        assert busy(transport) == [0] * len(busy(transport))


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_proxy_settings_in_the_environment_are_honoured(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, variable: str
):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # The local Ching stands in for the proxy: it answers requests for any host, and the host in
    # the base URL does not exist, so a request that bypassed the proxy could not be answered.
    monkeypatch.setenv(variable, server.base_url.removesuffix("/ching"))
    with Ching(api_key=DEFAULT_TEST_KEY, base_url="http://ching.invalid/ching", max_retries=0) as ching:
        created = ching.customers.create(name="Through the proxy")
        assert created.id in [customer.id for customer in ching.customers.list()]


@pytest.mark.parametrize("no_proxy", [None, "localhost,127.0.0.1"])
def test_without_a_proxy_the_clients_use_the_sharded_pool(monkeypatch: pytest.MonkeyPatch, no_proxy: str | None):
    """NO_PROXY alone exempts hosts and names no proxy: the pool that heals and keeps deadlines stays."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if no_proxy is not None:
        monkeypatch.setenv("NO_PROXY", no_proxy)
    with Ching(api_key=DEFAULT_TEST_KEY) as ching:
        assert isinstance(ching._http._transport, ShardedTransport)
        assert not ching._http._mounts


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_failed_connection_frees_its_shard():
    # Nothing listens on port 9 of the loopback (the discard port): the connection is refused.
    async with AsyncChing(api_key=DEFAULT_TEST_KEY, base_url="http://127.0.0.1:9/ching", max_retries=0) as ching:
        with pytest.raises(APIConnectionError):
            await ching.customers.list()
        transport = ching._http._transport
        assert isinstance(transport, AsyncShardedTransport)
        assert busy(transport) == [0] * 25
