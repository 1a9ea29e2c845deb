"""The clients' own connection pool: httpx's transport, split into small shards.

httpcore's pool rescans all its connections, with a socket poll for each idle one and a
nested count of the idle ones, every time a request starts or ends. At 32 requests in flight
that bookkeeping costs about as much CPU as the request itself (scripts/bench.py, bulk section).
Several small pools, each given the next request when it is the least busy, keep every scan short
while the client still holds up to 100 connections in all.

When the environment names a proxy (``HTTPS_PROXY``, ``NO_PROXY``, ...) the clients keep httpx's
own transport, which is where httpx applies those settings.

A shard counts as busy until its response's headers arrive; Ching's bodies are small JSON read
straight after, so the count is close enough to pick a shard, and each shard's own pool still
enforces its limit exactly.
"""

from __future__ import annotations

import threading
import urllib.request
from typing import Final

import httpx


def proxies_in_environment() -> bool:
    """True when proxy variables are set (httpx reads them with ``urllib.request.getproxies``)."""
    return bool(urllib.request.getproxies())


MAX_CONNECTIONS: Final = 100
SHARD_CONNECTIONS: Final = 4


class _Shards:
    """How many requests each shard is serving; under a lock, as the sync client's threads share it."""

    def __init__(self, count: int) -> None:
        self._busy = [0] * count
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            busy = self._busy
            index = busy.index(min(busy))
            busy[index] += 1
            return index

    def release(self, index: int) -> None:
        with self._lock:
            self._busy[index] -= 1


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
        try:
            return await self._pools[index].handle_async_request(request)
        finally:
            self._shards.release(index)

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
        try:
            return self._pools[index].handle_request(request)
        finally:
            self._shards.release(index)

    def close(self) -> None:
        for pool in self._pools:
            pool.close()
