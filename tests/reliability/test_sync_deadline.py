"""The sync client keeps its deadline against a server that drips its answer.

httpx's read timeout bounds each read, not the call: a server sending a byte a second resets it every time. Before
the sync shards bounded every socket operation by the attempt's deadline, ``timeout=3`` kept a sync call for 40 s
against a dripping body and 59 s against dripping headers, and an endless drip for ever. The async clients already
cancel an attempt at its deadline; they are held to the same bound here.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ching_client import APITimeoutError, AsyncChing, Ching, Timeout, WriteOutcomeUnknownError
from tests.forward_proxy import forward_proxy

from ._support import KEY

TIMEOUT = 2.0
# What a call may take past its timeout (closing the connection, building the error), with room for a busy machine:
# seconds, far above scheduling noise, and far below what an unbounded call takes against a drip (40 s, or for ever).
GRACE = 3.0


def _drip(connection: socket.socket, what: str, stop: threading.Event) -> None:
    """Read a request, then answer a byte every 0.2 s: the headers (never finished) or a body that never ends."""
    with connection:
        connection.settimeout(1)
        with contextlib.suppress(OSError):
            connection.recv(65536)
            if what == "body":
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                )
            drip = b"X-Slow: " if what == "headers" else b'{"success": true, "data": "'
            for byte in drip + b"a" * 100_000:
                if stop.wait(0.2):
                    return
                connection.sendall(bytes([byte]))


@contextlib.contextmanager
def dripping_server(what: str) -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # so that the acceptor notices the end of the test
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=_drip, args=(connection, what, stop), daemon=True)
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/ching"
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)


@pytest.mark.parametrize("what", ["headers", "body"])
def test_a_sync_read_ends_at_the_call_deadline(what: str) -> None:
    with dripping_server(what) as url, Ching(api_key=KEY, base_url=url, timeout=TIMEOUT) as ching:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            ching.customers.list()
        assert time.monotonic() - started < TIMEOUT + GRACE


@pytest.mark.parametrize("what", ["headers", "body"])
def test_a_sync_read_through_a_proxy_ends_at_the_call_deadline(what: str) -> None:
    """A proxy is given to the SDK's own shards (before, the client fell back to httpx's transport, which keeps no
    deadline): a drip relayed by the proxy still ends at the deadline."""
    with (
        dripping_server(what) as url,
        forward_proxy(url) as proxy,
        Ching(api_key=KEY, base_url="http://ching.invalid/ching", timeout=TIMEOUT, proxy=proxy.url) as ching,
    ):
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            ching.customers.list()
        assert time.monotonic() - started < TIMEOUT + GRACE
        assert proxy.seen == ["GET http://ching.invalid/ching/v1/customers HTTP/1.1"]


def test_a_sync_read_part_shorter_than_the_deadline_does_not_shorten_the_deadline() -> None:
    """``Timeout(read=...)`` bounds each read; a drip that sends a byte more often than that keeps the attempt going
    until the call's deadline, which still ends it."""
    timeout = Timeout(total=TIMEOUT, read=1.0)
    with dripping_server("body") as url, Ching(api_key=KEY, base_url=url, timeout=timeout, max_retries=0) as ching:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            ching.customers.list()
        took = time.monotonic() - started
    assert TIMEOUT - 0.1 < took < TIMEOUT + GRACE  # not cut at the 1 s read part, nor past the deadline


@pytest.mark.parametrize("what", ["headers", "body"])
def test_a_sync_create_against_a_drip_is_not_retried_and_ends_in_time(what: str) -> None:
    with dripping_server(what) as url, Ching(api_key=KEY, base_url=url, timeout=TIMEOUT) as ching:
        started = time.monotonic()
        with pytest.raises(WriteOutcomeUnknownError):
            ching.customers.create(name="Drip")
        assert time.monotonic() - started < TIMEOUT + GRACE


def test_threads_of_one_sync_client_each_keep_their_own_deadline() -> None:
    """The deadline belongs to each call: calls started later, from other threads, end later."""
    took: dict[int, float] = {}
    with dripping_server("body") as url, Ching(api_key=KEY, base_url=url, timeout=TIMEOUT) as ching:

        def call(delay: float) -> None:
            time.sleep(delay)
            started = time.monotonic()  # each call's own start: a busy machine may wake a thread late
            with contextlib.suppress(APITimeoutError):
                ching.customers.list()
            took[int(delay * 10)] = time.monotonic() - started

        threads = [threading.Thread(target=call, args=(d,)) for d in (0.0, 0.5, 1.0)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(took) == [0, 5, 10]
    # A deadline shared by the client's calls would have ended the later ones early (at TIMEOUT - 0.5, - 1.0).
    assert all(TIMEOUT - 0.1 < seconds < TIMEOUT + GRACE for seconds in took.values()), took


@pytest.mark.parametrize("what", ["headers", "body"])
def test_the_async_client_holds_the_same_bound(what: str) -> None:
    async def main() -> float:
        with dripping_server(what) as url:
            async with AsyncChing(api_key=KEY, base_url=url, timeout=TIMEOUT) as ching:
                started = time.monotonic()
                with pytest.raises(APITimeoutError):
                    await ching.customers.list()
                return time.monotonic() - started

    assert asyncio.run(main()) < TIMEOUT + GRACE
