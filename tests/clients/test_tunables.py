"""The tunables: ``max_connections``, ``Timeout``, ``Backoff``, ``with_options`` and ``proxy=`` (with the
environment's proxies), on ``AsyncChing`` (asyncio and trio) and ``Ching``. The proxy tests run both clients on the
SDK's own pool through a forward proxy on the loopback; ``make test`` runs them on both engines."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ching_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncChing,
    AttemptEvent,
    Backoff,
    Ching,
    ConfigurationError,
    InvalidArgumentError,
    Timeout,
)
from ching_client._http.pool import AsyncShardedTransport, ShardedTransport, shard_sizes
from ching_client.testing import FakeServer
from tests.engine import http
from tests.forward_proxy import forward_proxy

from ._support import CUSTOMER, LIVE_KEY, TEST_KEY, Harness, ScriptedServer, error, ok, own_pool

pytestmark = pytest.mark.anyio

PASSWORD = "Pr0xy-S3cret"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def clients(**options: Any) -> list[AsyncChing | Ching]:
    return [AsyncChing(api_key=TEST_KEY, **options), Ching(api_key=TEST_KEY, **options)]


# --- max_connections ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "sizes"), [(100, [4] * 25), (10, [4, 4, 2]), (3, [3]), (1, [1]), (400, [4] * 100)])
def test_max_connections_is_split_into_shards_of_four_and_one_for_the_rest(total: int, sizes: list[int]):
    assert shard_sizes(total) == sizes
    for ching in clients(max_connections=total):
        transport = ching._http._transport
        assert isinstance(transport, AsyncShardedTransport | ShardedTransport)
        assert [limits.max_connections for limits in transport._limits] == sizes


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_a_max_connections_that_is_not_a_whole_number_from_one_is_refused(bad: Any):
    for cls in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=r"max_connections must be a whole number from 1"):
            cls(api_key=TEST_KEY, max_connections=bad)


def test_max_connections_or_proxy_beside_an_injected_client_is_refused():
    for option in ({"max_connections": 10}, {"proxy": f"http://squid:{PASSWORD}@127.0.0.1:3128"}):
        with pytest.raises(ConfigurationError, match=r"it owns its pool") as caught:
            AsyncChing(api_key=TEST_KEY, http_client=http.AsyncClient(), **option)
        assert PASSWORD not in str(caught.value)
        with pytest.raises(ConfigurationError, match=r"it owns its pool") as caught:
            Ching(api_key=TEST_KEY, http_client=http.Client(), **option)
        assert PASSWORD not in str(caught.value)


def connections_for_eight_slow_calls(local: FakeServer, max_connections: int) -> int:
    """The connections the pool opens for eight calls at once, each answered 0.3 s late (counted by a proxy)."""
    local.fake.faults.add("latency", operation="customers_list", latency=0.3)
    with (
        forward_proxy(local.base_url) as proxy,
        Ching(
            api_key=TEST_KEY, base_url="http://ching.invalid/ching", proxy=proxy.url, max_connections=max_connections
        ) as ching,
    ):
        barrier = threading.Barrier(8)
        answers: list[int] = []

        def call() -> None:
            barrier.wait(10)
            answers.append(len(ching.customers.list()))

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert answers == [0] * 8
        return proxy.connections


def test_the_pool_opens_at_most_max_connections(local: FakeServer):
    assert connections_for_eight_slow_calls(local, 2) <= 2
    local.fake.reset()
    assert connections_for_eight_slow_calls(local, 8) > 2  # the same calls in a larger pool open more


# --- Timeout -----------------------------------------------------------------------------------------------------


def test_timeout_parts_and_defaults():
    assert Timeout() == Timeout(total=60, connect=5, read=None)
    for ching in clients(timeout=Timeout(total=20, connect=2, read=3)):
        assert ching.timeout == 20.0
        assert ching.timeouts == Timeout(total=20, connect=2, read=3)
    for ching in clients(timeout=7):  # a number is the total, as before
        assert ching.timeouts == Timeout(total=7)


@pytest.mark.parametrize("part", ["total", "connect", "read"])
@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "5"])
def test_a_timeout_part_that_is_not_a_positive_finite_number_is_refused(part: str, bad: Any):
    with pytest.raises(ConfigurationError, match=rf"Timeout {part} must be a positive number of seconds"):
        Timeout(**{part: bad})


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "5", None.__class__])
def test_a_bad_timeout_is_refused_by_the_constructor(bad: Any):
    for cls in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=r"timeout must be a positive number of seconds"):
            cls(api_key=TEST_KEY, timeout=bad)


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), True])
async def test_a_bad_timeout_per_call_is_an_invalid_argument_and_nothing_is_sent(
    harness: Harness, server: ScriptedServer, bad: Any
):
    ching = harness.client()
    with pytest.raises(InvalidArgumentError, match=r"timeout must be a positive number of seconds"):
        await harness.call(ching.customers.list, timeout=bad)
    assert server.count == 0


async def test_a_number_per_call_changes_the_total_and_keeps_the_clients_connect_and_read(
    harness: Harness, server: ScriptedServer
):
    seen: list[dict[str, float]] = []

    def record(request: Any) -> Any:
        seen.append(request.extensions["timeout"])
        return ok([])(request)

    server.script(record)
    ching = harness.client(timeout=Timeout(total=30, connect=2, read=4))
    await harness.call(ching.customers.list, timeout=10)
    await harness.call(ching.customers.list, timeout=Timeout(total=10, connect=1))
    first, second = seen
    assert first["connect"] == 2
    assert first["read"] == 4
    assert 9 < first["pool"] <= 10
    assert second["connect"] == 1
    assert 9 < second["read"] <= 10


def silent_server() -> Iterator[str]:
    """A server that reads each request and never answers (until the test ends)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/ching"
    finally:
        stop.set()
        listener.close()
        for connection in held:
            connection.close()


silent = pytest.fixture(silent_server)


async def test_a_read_part_gives_up_on_a_silent_attempt_and_retries_long_before_the_deadline(
    harness: Harness, silent: str
):
    """Without ``read`` the first attempt would wait for the whole 60 s deadline; with it each attempt waits 0.5 s."""
    events: list[AttemptEvent] = []
    started = time.monotonic()
    async with own_pool(
        harness.kind, silent, timeout=Timeout(total=60, read=0.5), max_retries=2, on_attempt=events.append
    ) as ching:
        with pytest.raises(APITimeoutError):
            await harness.call(ching.customers.list)
    assert [event.attempt for event in events] == [1, 2, 3]
    assert time.monotonic() - started < 30  # each attempt 0.5 s; far below the 60 s deadline on any machine


# --- Backoff -------------------------------------------------------------------------------------------------------


def test_a_backoff_out_of_range_is_refused():
    for bad in ({"initial": 0}, {"maximum": -1}, {"initial": float("nan")}, {"jitter": 1.5}, {"jitter": "yes"}):
        with pytest.raises(ConfigurationError, match=r"Backoff"):
            Backoff(**bad)
    with pytest.raises(ConfigurationError, match=r"maximum \(1\) must not be less than initial \(2\)"):
        Backoff(initial=2, maximum=1)
    for cls in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=r"backoff takes ching_client.Backoff"):
            cls(api_key=TEST_KEY, backoff=0.5)  # type: ignore[arg-type]


async def test_the_backoff_sets_the_waits_between_retries(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(error(503, "unavailable"), error(503, "unavailable"), error(503, "unavailable"), ok([]))
    ching = harness.client(backoff=Backoff(initial=1.5, maximum=2.0, jitter=False), max_retries=3)
    ching = ching.with_options(on_attempt=events.append)
    await harness.call(ching.customers.list)
    assert [event.retry_after for event in events[:-1]] == [1.5, 2.0, 2.0]


async def test_a_retry_after_still_wins_over_the_backoff(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(error(429, "slow down", headers={"Retry-After": "3"}), ok([]))
    ching = harness.client(backoff=Backoff(initial=0.1, jitter=False), on_attempt=events.append)
    await harness.call(ching.customers.list)
    assert events[0].retry_after == 3.0


# --- with_options --------------------------------------------------------------------------------------------------


async def test_with_options_takes_every_option_but_the_pools_and_shares_the_pool(
    harness: Harness, server: ScriptedServer
):
    first: list[AttemptEvent] = []
    second: list[AttemptEvent] = []
    server.script(ok(CUSTOMER))
    ching = harness.client(on_attempt=first.append)
    clone = ching.with_options(
        timeout=Timeout(total=9, read=2),
        max_retries=5,
        max_response_bytes=4096,
        backoff=Backoff(initial=1, jitter=False),
        on_attempt=second.append,
    )
    assert clone._http is ching._http
    assert clone.timeouts == Timeout(total=9, read=2)
    assert clone.max_retries == 5
    assert clone._config.max_response_bytes == 4096
    assert clone.backoff == Backoff(initial=1, jitter=False)
    await harness.call(clone.customers.retrieve, "cus_V8ltq1pK_MWH")
    assert (len(first), len(second)) == (0, 1)  # the hooks were replaced
    assert ching.with_options(timeout=3).timeouts == Timeout(total=3)  # a number: the total only
    assert ching.with_options(on_attempt=[])._observers == ()


@pytest.mark.parametrize(
    "option", [{"max_connections": 10}, {"proxy": f"http://u:{PASSWORD}@127.0.0.1:1"}, {"http_client": object()}]
)
def test_with_options_refuses_what_needs_a_new_pool(option: dict[str, Any]):
    for ching in clients():
        with pytest.raises(
            ConfigurationError, match=r"shares this client's connection pool.*build another client"
        ) as caught:
            ching.with_options(**option)
        assert PASSWORD not in str(caught.value)


def test_with_options_refuses_a_bad_value_as_an_invalid_argument():
    for ching in clients():
        with pytest.raises(InvalidArgumentError, match=r"max_response_bytes"):
            ching.with_options(max_response_bytes=10)
        with pytest.raises(InvalidArgumentError, match=r"timeout must be"):
            ching.with_options(timeout=-1)


# --- proxies, on the SDK's own pool ------------------------------------------------------------------------------


async def test_proxy_argument_routes_every_call_through_the_proxy_on_the_sdks_own_pool(
    harness: Harness, local: FakeServer
):
    """``ching.invalid`` does not exist: only the proxy, forwarding to the local Ching, can answer."""
    with forward_proxy(local.base_url) as proxy:
        async with own_pool(harness.kind, "http://ching.invalid/ching", proxy=proxy.url) as ching:
            assert isinstance(ching._http._transport, AsyncShardedTransport | ShardedTransport)
            assert not ching._http._mounts
            created = await harness.call(ching.customers.create, name="Through the proxy")
            listed = await harness.call(ching.customers.list)
        assert created.id in [customer.id for customer in listed]
        assert proxy.seen[0] == "POST http://ching.invalid/ching/v1/customers HTTP/1.1"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
async def test_the_environments_proxy_goes_through_the_sdks_own_pool(
    harness: Harness, local: FakeServer, monkeypatch: pytest.MonkeyPatch, variable: str
):
    with forward_proxy(local.base_url) as proxy:
        monkeypatch.setenv(variable, proxy.url)
        async with own_pool(harness.kind, "http://ching.invalid/ching") as ching:
            assert isinstance(ching._http._transport, AsyncShardedTransport | ShardedTransport)
            await harness.call(ching.customers.list)
        assert proxy.seen == ["GET http://ching.invalid/ching/v1/customers HTTP/1.1"]


async def test_no_proxy_exempts_the_base_urls_host(
    harness: Harness, local: FakeServer, monkeypatch: pytest.MonkeyPatch
):
    with forward_proxy(local.base_url) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with own_pool(harness.kind, local.base_url) as ching:
            await harness.call(ching.customers.list)
        assert proxy.seen == []


async def test_https_goes_through_the_proxy_with_connect(harness: Harness, local: FakeServer):
    """The tunnel reaches a plain server, so TLS fails after the CONNECT: what matters is that the pool asked for it."""
    with forward_proxy(local.base_url) as proxy:
        async with own_pool(harness.kind, "https://ching.invalid/ching", proxy=proxy.url, max_retries=0) as ching:
            with pytest.raises(APIConnectionError):
                await harness.call(ching.customers.list)
        assert proxy.seen == ["CONNECT ching.invalid:443 HTTP/1.1"]


@pytest.mark.parametrize("bad", ["ftp://proxy.example:21", "http://proxy example:3128", "not a url", 3128])
def test_a_proxy_the_client_cannot_use_is_refused(bad: Any):
    for cls in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=r"proxy|Proxy"):
            cls(api_key=TEST_KEY, proxy=bad)


def test_a_live_key_over_plain_http_through_a_proxy_argument_on_another_host_is_refused():
    for cls in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=r"proxy\.corp\.example:3128 \(proxy=\)") as caught:
            cls(
                api_key=LIVE_KEY,
                base_url="http://127.0.0.1:8000/ching",
                proxy=f"http://squid:{PASSWORD}@proxy.corp.example:3128",
            )
        assert PASSWORD not in str(caught.value)
        cls(api_key=LIVE_KEY, base_url="http://127.0.0.1:8000/ching", proxy="http://127.0.0.1:3128")  # this machine
        cls(api_key=LIVE_KEY, proxy=f"http://squid:{PASSWORD}@proxy.corp.example:3128")  # https: inside TLS


def test_a_proxys_password_is_in_no_repr():
    for ching in clients(proxy=f"http://squid:{PASSWORD}@proxy.corp.example:3128"):
        shown = [repr(ching), repr(ching._http._transport), repr(ching._config)]
        assert not any(PASSWORD in text for text in shown)
