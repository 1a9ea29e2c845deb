"""An httpx-aiohttp client passed as ``http_client=``: its errors are read as what really happened.

httpx-aiohttp reports a connection lost after the request was sent as ``httpx.ConnectTimeout``,
the exception that otherwise means "never sent". Read that way, a create would be retried and
could be duplicated; the SDK looks at the aiohttp error underneath instead.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx_aiohttp
import pytest

from ching_client import APIConnectionError, AsyncChing, WriteOutcomeUnknownError
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio"])]


class Dropper:
    """A loopback server that reads each request, then closes the connection without answering."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/ching"
        self.requests = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:  # closed
                return
            with connection:
                if self._closed.is_set():
                    return
                if connection.recv(65536):
                    self.requests += 1

    def close(self) -> None:
        self._closed.set()
        with socket.create_connection(self._socket.getsockname()):  # wakes the accept() above
            pass
        self._thread.join(5)
        self._socket.close()


@pytest.fixture
def dropper() -> Iterator[Dropper]:
    server = Dropper()
    yield server
    server.close()


def refused_url() -> str:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/ching"


async def test_a_create_whose_connection_drops_after_sending_is_not_retried(dropper: Dropper, anyio_backend: str):
    async with (
        httpx_aiohttp.HttpxAiohttpClient() as http,
        AsyncChing(api_key=DEFAULT_TEST_KEY, base_url=dropper.base_url, http_client=http) as ching,
    ):
        with pytest.raises(WriteOutcomeUnknownError, match="may have been processed"):
            await ching.customers.create(name="Noa", email="noa@example.com")
    assert dropper.requests == 1


async def test_a_safe_call_whose_connection_drops_is_retried_and_said_to_have_maybe_arrived(
    dropper: Dropper, anyio_backend: str
):
    async with (
        httpx_aiohttp.HttpxAiohttpClient() as http,
        AsyncChing(api_key=DEFAULT_TEST_KEY, base_url=dropper.base_url, http_client=http) as ching,
    ):
        with pytest.raises(APIConnectionError) as caught:
            await ching.customers.list()
    assert caught.value.may_have_reached_server
    assert dropper.requests in (3, 6)  # 3 attempts; aiohttp itself may resend a GET once per attempt


async def test_a_refused_connection_is_still_known_to_be_unsent_and_retried(anyio_backend: str):
    async with (
        httpx_aiohttp.HttpxAiohttpClient() as http,
        AsyncChing(api_key=DEFAULT_TEST_KEY, base_url=refused_url(), http_client=http) as ching,
    ):
        with pytest.raises(APIConnectionError, match="never left") as caught:
            await ching.customers.create(name="Noa")
    assert not caught.value.may_have_reached_server
    assert "after 3 attempts" in caught.value.message


async def test_calls_and_a_bulk_sync_work_through_it(server: FakeServer, anyio_backend: str):
    rows = [{"email": f"p{n}@example.com", "name": f"P{n}"} for n in range(50)]
    async with (
        httpx_aiohttp.HttpxAiohttpClient() as http,
        AsyncChing(api_key=DEFAULT_TEST_KEY, base_url=server.base_url, http_client=http) as ching,
    ):
        created = await ching.customers.create(name="Tal", email="tal@example.com")
        assert (await ching.customers.retrieve(created.id)) == created
        report = await ching.customers.upsert_many(rows, identify_by="email", concurrency=8)
    assert (report.created, report.failed) == (50, 0)
    assert server.fake.counts().customers == 51
