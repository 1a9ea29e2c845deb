"""The clients' own connection pool: httpx's transport, split into small shards.

httpcore's pool rescans all its connections, with a socket poll for each idle one and a
nested count of the idle ones, every time a request starts or ends. At 32 requests in flight
that bookkeeping costs about as much CPU as the request itself (scripts/bench.py, bulk section).
Several small pools, each given the next request when it is the least busy, keep every scan short
while the client still holds up to 100 connections in all.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Final

import httpx

MAX_CONNECTIONS: Final = 100
SHARD_CONNECTIONS: Final = 4


class _Released(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A response body that tells its shard the connection is free once the body is closed."""

    def __init__(self, stream: httpx.AsyncByteStream | httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    def _done(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            assert isinstance(self._stream, httpx.AsyncByteStream)
            await self._stream.aclose()
        finally:
            self._done()

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._stream, httpx.SyncByteStream)
        yield from self._stream

    def close(self) -> None:
        try:
            assert isinstance(self._stream, httpx.SyncByteStream)
            self._stream.close()
        finally:
            self._done()


class _Shards:
    """Which shard is least busy; counts are exact for async tasks and kept under a lock for threads."""

    def __init__(self, count: int) -> None:
        self._busy = [0] * count
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            busy = self._busy
            index = busy.index(min(busy))
            busy[index] += 1
            return index

    def releaser(self, index: int) -> Callable[[], None]:
        def release() -> None:
            with self._lock:
                self._busy[index] -= 1

        return release


def _shard_limits() -> tuple[int, httpx.Limits]:
    count = MAX_CONNECTIONS // SHARD_CONNECTIONS
    return count, httpx.Limits(max_connections=SHARD_CONNECTIONS, max_keepalive_connections=SHARD_CONNECTIONS)


class AsyncShardedTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncHTTPTransport`` as 25 pools of 4 connections; each request goes to the least busy."""

    def __init__(self) -> None:
        count, limits = _shard_limits()
        verify = httpx.create_ssl_context()  # one context for all shards: building one loads the CA bundle
        self._pools = [httpx.AsyncHTTPTransport(verify=verify, limits=limits) for _ in range(count)]
        self._shards = _Shards(count)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._shards.take()
        release = self._shards.releaser(index)
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, release)
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class ShardedTransport(httpx.BaseTransport):
    """``httpx.HTTPTransport`` as 25 pools of 4 connections; each request goes to the least busy."""

    def __init__(self) -> None:
        count, limits = _shard_limits()
        verify = httpx.create_ssl_context()
        self._pools = [httpx.HTTPTransport(verify=verify, limits=limits) for _ in range(count)]
        self._shards = _Shards(count)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        index = self._shards.take()
        release = self._shards.releaser(index)
        try:
            response = self._pools[index].handle_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _Released(response.stream, release)
        return response

    def close(self) -> None:
        for pool in self._pools:
            pool.close()
