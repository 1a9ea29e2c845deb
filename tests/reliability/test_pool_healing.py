"""The connection pool survives thousands of interrupted calls, as services interrupt them.

A request cancelled (or, in sync code, interrupted by an exception from a signal handler, as Ctrl-C does) at the
wrong moment can leave httpcore's pool holding a connection no request owns. Before the clients' shards healed,
``asyncio.wait_for`` broke a client after about 125 such cancellations, and the sync client after 475 to 650
interruptions: every later call then waited its full timeout for a connection that never freed.

Each test interrupts 5,000 real calls over loopback at random moments (0 to 4 ms in, which spans connecting,
sending, waiting and reading), then requires 100 calls in a row and 100 at once to succeed, and the pool to hold
nothing that is not in use.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import gc
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from ching_client import AsyncChing, Ching
from ching_client._http.pool import AsyncShardedTransport, ShardedTransport
from tests.engine import core
from tests.forward_proxy import forward_proxy

from ._support import KEY

INTERRUPTIONS = 5_000
LATEST = 0.004  # seconds into a call at which it may be interrupted


class Interrupted(Exception):
    """What the test's signal handler raises, as a service's handler for SIGALRM or SIGTERM might."""


def pool_leftovers(transport: AsyncShardedTransport | ShardedTransport) -> list[str]:
    """What the pools hold though no call is running: requests, and connections that are not idle."""
    left = []
    shards: list[Any] = list(transport._shards)
    for index, shard in enumerate(shards):
        pool = shard.pool
        left += [f"shard {index}: request {r!r}" for r in pool._requests]
        left += [f"shard {index}: {c!r}" for c in pool._connections if not c.is_idle() and not c.is_closed()]
        left += [f"shard {index}: {len(shard.live)} calls counted as running"] if shard.live else []
    return left


async def assert_serves_async(ching: AsyncChing, customer_id: str) -> None:
    """100 calls in a row, then 100 at once, all answered (on asyncio or trio)."""
    quick = ching.with_options(timeout=5, max_retries=0)  # no retry may hide a broken pool
    for _ in range(100):
        assert (await quick.customers.retrieve(customer_id)).id == customer_id
    found: list[str] = []

    async def fetch() -> None:
        found.append((await quick.customers.retrieve(customer_id)).id)

    async with anyio.create_task_group() as group:
        for _ in range(100):
            group.start_soon(fetch)
    assert found == [customer_id] * 100


@pytest.fixture(scope="module")
def server_process() -> Iterator[str]:
    """The local Ching in a process of its own, so that thousands of calls are not slowed by sharing the GIL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "ching_client.testing", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local Ching did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/ching"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def base_url(server_process: str) -> str:
    return server_process


@pytest.fixture(scope="module")
def customer_id(base_url: str) -> str:
    with Ching(api_key=KEY, base_url=base_url) as ching:
        return ching.customers.create(name="Pool").id


async def interrupt_calls(ching: AsyncChing, customer_id: str, how: str, rnd: random.Random) -> None:
    for _ in range(INTERRUPTIONS):
        seconds = rnd.uniform(0, LATEST)
        if how == "scope":  # anyio's cancel scope: trio's own, or anyio's on asyncio
            with anyio.move_on_after(seconds):
                await ching.customers.retrieve(customer_id)
            continue
        with contextlib.suppress(TimeoutError):
            if how == "wait_for":
                await asyncio.wait_for(ching.customers.retrieve(customer_id), seconds)
            else:
                async with asyncio.timeout(seconds):
                    await ching.customers.retrieve(customer_id)


@pytest.mark.parametrize(
    ("how", "backend"), [("wait_for", "asyncio"), ("timeout", "asyncio"), ("scope", "asyncio"), ("scope", "trio")]
)
def test_the_async_pool_survives_cancellations(base_url: str, customer_id: str, how: str, backend: str) -> None:
    async def main() -> None:
        async with AsyncChing(api_key=KEY, base_url=base_url, timeout=5) as ching:
            transport = ching._http._transport
            assert isinstance(transport, AsyncShardedTransport)
            await interrupt_calls(ching, customer_id, how, random.Random(2026))
            await assert_serves_async(ching, customer_id)
            assert pool_leftovers(transport) == []

    anyio.run(main, backend=backend)


@pytest.mark.parametrize(("how", "backend"), [("wait_for", "asyncio"), ("scope", "trio")])
def test_the_async_pool_survives_cancellations_through_a_proxy(
    base_url: str, customer_id: str, how: str, backend: str
) -> None:
    """A proxy is given to the shards' own pools (httpcore's HTTPProxy), so they heal as they do without one."""
    path = base_url.split("/", 3)[3]

    async def main() -> None:
        async with AsyncChing(
            api_key=KEY, base_url=f"http://ching.invalid/{path}", timeout=5, proxy=proxy.url
        ) as ching:
            transport = ching._http._transport
            assert isinstance(transport, AsyncShardedTransport)
            await interrupt_calls(ching, customer_id, how, random.Random(2026))
            await assert_serves_async(ching, customer_id)
            assert pool_leftovers(transport) == []

    with forward_proxy(base_url) as proxy:
        anyio.run(main, backend=backend)
        assert proxy.seen  # the calls went through it


@contextlib.contextmanager
def alarm_raises() -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def unraisable_collected() -> Iterator[list[Any]]:
    """Exceptions Python could not raise where they happened (in a finaliser, a weakref callback), collected."""
    seen: list[Any] = []
    previous, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        yield seen
        gc.collect()  # what the block left in reference cycles is finalised here, inside it
    finally:
        sys.unraisablehook = previous


class CallLengths:
    """The median length of the last calls that ran to the end: where in a call a timer may strike.

    Measured as the test goes, not once at its start: a machine that gets busier or quieter meanwhile (CI runs other
    jobs) changes how long calls take, and timers drawn from a stale length would strike after most calls ended.
    """

    def __init__(self, keep: int = 21) -> None:
        self._recent: collections.deque[float] = collections.deque(maxlen=keep)

    def add(self, seconds: float) -> None:
        self._recent.append(seconds)

    def median(self) -> float:
        return statistics.median(self._recent)


def test_the_sync_pool_survives_exceptions_from_signal_handlers(base_url: str, customer_id: str) -> None:
    assert threading.current_thread() is threading.main_thread()  # Python runs signal handlers there only
    rnd = random.Random(2028)
    interrupted = calls = 0
    lengths = CallLengths()
    with Ching(api_key=KEY, base_url=base_url, timeout=5) as ching:
        transport = ching._http._transport
        assert isinstance(transport, ShardedTransport)
        for _ in range(21):
            started = time.perf_counter()
            ching.customers.retrieve(customer_id)
            lengths.add(time.perf_counter() - started)
        # Timers spread over a call's length as it is now strike at varied points inside it however fast or busy the
        # machine is, so about half of all calls are interrupted; calls go on until INTERRUPTIONS of them really were
        # (a bounded number of tries, far more than that needs).
        with alarm_raises(), unraisable_collected() as unraisable:
            while interrupted < INTERRUPTIONS and calls < INTERRUPTIONS * 20:
                calls += 1
                started = time.perf_counter()
                try:
                    try:
                        signal.setitimer(signal.ITIMER_REAL, rnd.uniform(0.00005, max(lengths.median(), 0.0001)))
                        ching.customers.retrieve(customer_id)
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                    lengths.add(time.perf_counter() - started)
                except Interrupted:
                    interrupted += 1
        # The handler may also strike where Python cannot raise (a weakref callback), and a socket that a call had
        # just created when it struck, before the socket was stored, is closed by its finaliser, which warns (any
        # socket library has that window). Nothing else may be left to a finaliser.
        assert all(
            isinstance(u.exc_value, Interrupted) or str(u.exc_value).startswith("unclosed <socket.socket")
            for u in unraisable
        ), [repr(u.exc_value) for u in unraisable]
        quick = ching.with_options(timeout=5, max_retries=0)
        for _ in range(100):
            assert quick.customers.retrieve(customer_id).id == customer_id
        with concurrent.futures.ThreadPoolExecutor(max_workers=100) as threads:
            found = list(threads.map(lambda _: quick.customers.retrieve(customer_id).id, range(100)))
        assert found == [customer_id] * 100
        assert pool_leftovers(transport) == []
    assert interrupted == INTERRUPTIONS, f"{interrupted} of {calls} calls interrupted"


# --- the mechanism, made deterministic -------------------------------------------------------------------------------


class CancelledInClose(BaseException):
    """Stands for a cancellation that arrives while httpcore gives a connection back after a response."""


@pytest.fixture
def interrupted_closes(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The next four responses' connections are not given back: each close is cut short as a cancellation does."""
    strikes = {"left": 4}
    for cls in (core._sync.http11.HTTP11Connection, core._async.http11.AsyncHTTP11Connection):
        original = cls._response_closed

        def interrupted(self: Any, original: Any = original) -> Any:
            if strikes["left"]:
                strikes["left"] -= 1
                raise CancelledInClose
            return original(self)

        monkeypatch.setattr(cls, "_response_closed", interrupted)
    return strikes


def test_sync_requests_abandoned_mid_close_are_released(
    base_url: str, customer_id: str, interrupted_closes: dict[str, int]
) -> None:
    """httpcore marks a response closed, then gives its connection back; an exception in between leaves both held
    (httpcore issues #830, #1093). Unhealed, four of them fill the shard every idle call goes to."""
    with Ching(api_key=KEY, base_url=base_url, timeout=2, max_retries=0) as ching:
        transport = ching._http._transport
        assert isinstance(transport, ShardedTransport)
        for _ in range(4):
            with pytest.raises(CancelledInClose):
                ching.customers.retrieve(customer_id)
        assert transport._shards[0].pool._requests  # left behind, waiting for the next call to notice
        for _ in range(10):
            assert ching.customers.retrieve(customer_id).id == customer_id
        assert pool_leftovers(transport) == []


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_async_requests_abandoned_mid_close_are_released(
    base_url: str, customer_id: str, interrupted_closes: dict[str, int], anyio_backend: str
) -> None:
    async with AsyncChing(api_key=KEY, base_url=base_url, timeout=2, max_retries=0) as ching:
        transport = ching._http._transport
        assert isinstance(transport, AsyncShardedTransport)
        for _ in range(4):
            with pytest.raises(CancelledInClose):
                await ching.customers.retrieve(customer_id)
        assert transport._shards[0].pool._requests  # left behind, waiting for the next call to notice
        for _ in range(10):
            assert (await ching.customers.retrieve(customer_id)).id == customer_id
        assert pool_leftovers(transport) == []
