"""Each call has one deadline covering all its attempts; no attempt or wait may run past it."""

from __future__ import annotations

import time

import anyio
import pytest

from ching_client import (
    APITimeoutError,
    AsyncChing,
    InternalServerError,
    RateLimitError,
    WriteOutcomeUnknownError,
)
from ching_client._core import base as _base_client
from tests.engine import http

from ._support import OPS, OPS_BY_NAME, TEST_KEY, Harness, ScriptedServer, error, fail

pytestmark = pytest.mark.anyio

HANG = 30.0
"""How long a hanging server takes to answer: longer than any deadline plus ``SLACK``."""
SLACK = 3.0
"""What a call may take past the deadline that ends it on a busy machine: seconds, far above scheduling noise."""


class FakeClock:
    """Stands in for the ``time`` module of the request core: time passes only when a test says so."""

    def __init__(self) -> None:
        self.now = 5_000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_776_590_000.0 + self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(_base_client, "time", fake)
    return fake


def _timeouts(server: ScriptedServer, kind: str) -> list[float]:
    return [r.extensions["timeout"][kind] for r in server.requests]


@pytest.mark.parametrize(
    ("client_timeout", "call_timeout", "expected"), [(None, None, 60.0), (30, None, 30.0), (30, 7, 7.0)]
)
async def test_the_call_timeout_bounds_the_attempt(
    harness: Harness,
    server: ScriptedServer,
    clock: FakeClock,
    client_timeout: float | None,
    call_timeout: float | None,
    expected: float,
):
    server.script(OPS[1].reply)
    await harness.call(harness.client(timeout=client_timeout).customers.list, timeout=call_timeout)
    assert _timeouts(server, "read") == [expected]
    assert _timeouts(server, "connect") == [5.0]


async def test_a_short_deadline_also_bounds_connecting(harness: Harness, server: ScriptedServer, clock: FakeClock):
    server.script(OPS[1].reply)
    await harness.call(harness.client().customers.list, timeout=2)
    assert _timeouts(server, "connect") == [2.0]
    assert _timeouts(server, "read") == [2.0]


async def test_attempts_that_keep_timing_out_stop_at_the_deadline(
    harness: Harness, server: ScriptedServer, clock: FakeClock
):
    """Each attempt takes 10 s of a 25 s deadline: the third ends past it, and nothing follows."""

    def slow_timeout(request: http.Request) -> http.ReadTimeout:
        clock.advance(10)
        return http.ReadTimeout("timed out", request=request)

    server.script(slow_timeout)
    started = clock.now
    with pytest.raises(APITimeoutError) as caught:
        await harness.call(harness.client(max_retries=10).customers.retrieve, "cus_1", timeout=25)
    assert server.count == 3
    assert clock.now - started == 30
    assert _timeouts(server, "read") == [25.0, 15.0, 5.0]  # each attempt gets only what is left
    assert "deadline" in str(caught.value)
    assert caught.value.may_have_reached_server is True


async def test_a_backoff_that_would_pass_the_deadline_is_not_waited(
    harness: Harness, server: ScriptedServer, clock: FakeClock
):
    def slow_503(request: http.Request) -> http.Response:
        clock.advance(0.8)
        return error(503)(request)  # type: ignore[return-value]

    server.script(slow_503)
    with pytest.raises(InternalServerError):
        await harness.call(harness.client(max_retries=10).customers.list, timeout=1.0)
    assert server.count == 1  # 0.2 s left, the shortest backoff is 0.375 s


async def test_retry_after_longer_than_what_is_left_is_not_waited(
    harness: Harness, server: ScriptedServer, clock: FakeClock
):
    server.script(error(429, headers={"Retry-After": "8"}), OPS[1].reply)
    with pytest.raises(RateLimitError):
        await harness.call(harness.client().customers.list, timeout=5)
    assert server.count == 1
    server.script(error(429, headers={"Retry-After": "8"}), OPS[1].reply)
    await harness.call(harness.client().customers.list, timeout=9)
    assert server.count == 2


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.parametrize(
    ("op_name", "error_class"), [("customers.list", APITimeoutError), ("customers.create", WriteOutcomeUnknownError)]
)
async def test_async_deadline_cancels_a_hanging_attempt(anyio_backend: str, op_name: str, error_class: type[Exception]):
    """A server that accepts the request and never answers: the cancel scope ends the call on time."""
    attempts = 0

    async def hang(request: http.Request) -> http.Response:
        nonlocal attempts
        attempts += 1
        await anyio.sleep(HANG)
        return http.Response(200)

    op = OPS_BY_NAME[op_name]
    async with AsyncChing(api_key=TEST_KEY, http_client=http.AsyncClient(transport=http.MockTransport(hang))) as ching:
        started = time.monotonic()
        with pytest.raises(error_class) as caught:
            await op.bind(ching)(*op.args, **op.kwargs, timeout=0.2)
        elapsed = time.monotonic() - started
    assert 0.15 < elapsed < 0.2 + SLACK < HANG  # ended by its deadline, not by the answer, however busy the machine
    assert attempts == 1
    assert "GET /v1/customers" in str(caught.value) or "POST /v1/customers" in str(caught.value)


async def test_a_retry_that_took_no_time_keeps_the_whole_budget(
    harness: Harness, server: ScriptedServer, clock: FakeClock
):
    """The budget shrinks by the time attempts really take (the fake clock did not move here), nothing else."""
    server.script(fail(http.ConnectError), OPS[1].reply)
    await harness.call(harness.client().customers.list, timeout=12)
    assert _timeouts(server, "read") == [12.0, 12.0]


def _hanging_client() -> AsyncChing:
    async def hang(request: http.Request) -> http.Response:
        await anyio.sleep(HANG)
        return http.Response(200)

    return AsyncChing(api_key=TEST_KEY, http_client=http.AsyncClient(transport=http.MockTransport(hang)))


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_callers_own_shorter_timeout_is_the_one_that_fires(anyio_backend: str):
    """Under asyncio the SDK's deadline is a timer of its own: an enclosing ``asyncio.timeout`` that ends first
    raises the caller's ``TimeoutError``, not the SDK's error, and leaves the task free to go on."""
    import asyncio

    async with _hanging_client() as ching:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as caught:
            async with asyncio.timeout(0.1):
                await ching.customers.list(timeout=10)
        assert not isinstance(caught.value, APITimeoutError)
        assert time.monotonic() - started < 0.1 + SLACK < 10  # the caller's timeout, long before the SDK's
        task = asyncio.current_task()
        assert task is not None
        assert task.cancelling() == 0
        await asyncio.sleep(0.01)  # no cancellation left pending on the task


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_cancelling_the_task_is_never_turned_into_a_timeout(anyio_backend: str):
    import asyncio

    async with _hanging_client() as ching:
        call = asyncio.ensure_future(ching.customers.list(timeout=10))
        await asyncio.sleep(0.05)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_after_the_sdks_deadline_the_task_carries_no_pending_cancellation(anyio_backend: str):
    import asyncio

    async with _hanging_client() as ching:
        with pytest.raises(APITimeoutError):
            await ching.customers.list(timeout=0.1, max_retries=0)
        task = asyncio.current_task()
        assert task is not None
        assert task.cancelling() == 0
        await asyncio.sleep(0.01)
        assert (await asyncio.gather(asyncio.sleep(0, result="still running")))[0] == "still running"
