"""Section 5, bulk sync: customers.upsert_many and its peers (raw httpx2, httpx and aiohttp, and a minimal HTTP/1.1
client on asyncio streams, the limit for any Python client) against scripts/fast_ching.py answering each request late,
as a remote API would; then the default client against the local Ching; then the peak memory of bigger batches.

A request that fails in a raw client is counted as a transient error and sent again (every request here is safe to
repeat); rows the SDK reports failed are counted the same way, and a batch that fails as a whole is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts.bench.common import (
    DEFAULT_ENGINE,
    HEADERS,
    Counter,
    check,
    clean_env,
    engine,
    fast_server_process,
    local_ching_process,
    sdk_engine,
)

BULK_KEY = "ck_test_" + "b" * 64  # the local Ching accepts any well-formed test key
BULK_HEADERS = {**HEADERS, "Authorization": f"Bearer {BULK_KEY}", "Content-Type": "application/json"}


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bulk_rows(prefix: str, count: int) -> Iterator[dict[str, str]]:
    """``count`` new customers, their emails unique to this batch (``prefix``), made as they are read."""
    for i in range(count):
        yield {"name": f"Customer {i}", "email": f"{prefix}-{i}@example.com"}


async def _again_on(
    transient: Any,
    errors: Counter,
    send: Callable[[], Awaitable[None]],
    reconnect: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """``send()``, sent again (up to three times in all) after an exception of the ``transient`` kinds, each counted:
    on a busy machine a loopback connection can be reset, and every request of the benchmark is safe to repeat."""
    for attempt in (1, 2, 3):
        try:
            await send()
            return
        except transient as exc:
            errors.count(exc)
            if attempt == 3:
                raise
            if reconnect is not None:
                await reconnect()


async def _raw_engine_upserts(
    name: str, base_url: str, rows: Iterator[dict[str, str]], concurrency: int, errors: Counter
) -> None:
    """What a team would write by hand: the engine's default client and `concurrency` workers; a request that
    fails is counted and sent again (an upsert is safe to repeat)."""
    http = engine(name)
    async with http.AsyncClient(timeout=60.0) as client:

        async def send(body: dict[str, str]) -> None:
            check(await client.post(f"{base_url}/v1/customers/upsert", json=body, headers=BULK_HEADERS))

        async def worker() -> None:
            for row in rows:
                body = {"identifyBy": "email", **row}

                await _again_on(http.TransportError, errors, functools.partial(send, body))

        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())


async def _raw_aiohttp_upserts(
    base_url: str, rows: Iterator[dict[str, str]], concurrency: int, errors: Counter
) -> None:
    """The same with aiohttp: one session, a connector of `concurrency` connections."""
    import aiohttp

    url = f"{base_url}/v1/customers/upsert"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def send(body: str) -> None:
            async with session.post(url, data=body, headers=BULK_HEADERS) as response:
                content = await response.read()
            if response.status != 200:
                raise RuntimeError(f"unexpected status {response.status}")
            json.loads(content)["data"]

        async def worker() -> None:
            for row in rows:
                body = json.dumps({"identifyBy": "email", **row})
                await _again_on(aiohttp.ClientError, errors, functools.partial(send, body))

        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())


async def _minimal_upserts(base_url: str, rows: Iterator[dict[str, str]], concurrency: int, errors: Counter) -> None:
    """The limit for a Python client: HTTP/1.1 by hand on asyncio streams, one kept-alive connection per worker,
    a request written in one piece, the answer read by its Content-Length, its JSON decoded. No pool, no timeouts,
    no header objects: what any real client adds on top of this is its own cost."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = f"{parts.path}/v1/customers/upsert"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {BULK_HEADERS['Authorization']}\r\n"
        "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()

    class Link:
        """One kept-alive connection."""

        async def open(self) -> None:
            self.reader, self.writer = await asyncio.open_connection(host, port)

        async def reopen(self) -> None:
            self.writer.close()
            await self.open()

        async def exchange(self, body: bytes) -> None:
            self.writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status = await self.reader.readline()
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            content = await self.reader.readexactly(length)
            if status.split(b" ", 2)[1] != b"200":
                raise RuntimeError(f"unexpected status line {status!r}")
            json.loads(content)["data"]

    async def worker() -> None:
        link = Link()
        await link.open()
        try:
            for row in rows:
                body = json.dumps({"identifyBy": "email", **row}).encode()
                transient = (OSError, asyncio.IncompleteReadError, IndexError)
                await _again_on(transient, errors, functools.partial(link.exchange, body), link.reopen)
        finally:
            link.writer.close()

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())


BULK_LABELS = {
    "AsyncChing": "AsyncChing.customers.upsert_many (httpx2, the default)",
    "AsyncChing, httpx": "AsyncChing.customers.upsert_many, CHING_HTTP_ENGINE=httpx",
    "AsyncChing, one pool": "AsyncChing.customers.upsert_many (httpx2), one pool of 100 instead of 25 of 4",
    "AsyncChing, one httpx2 pool": "AsyncChing.customers.upsert_many, http_client=httpx2.AsyncClient()",
    "Ching": "Ching.customers.upsert_many (threads, httpx2)",
    "AsyncChing, httpx-aiohttp": "AsyncChing.customers.upsert_many, httpx-aiohttp client",
    "raw httpx2": "raw httpx2, default client, one task per slot",
    "raw httpx": "raw httpx, default client, one task per slot",
    "raw aiohttp": "raw aiohttp, one session",
    "minimal client": "minimal HTTP/1.1 client on asyncio streams (the limit)",
}
BULK_CLIENTS = tuple(BULK_LABELS)


def _sdk_upserts(client: str, base_url: str, rows: Iterator[dict[str, str]], concurrency: int) -> Any:
    """One batch through the SDK; returns its report."""
    from ching_client import AsyncChing, Ching

    if client == "Ching":
        with sdk_engine(DEFAULT_ENGINE), Ching(api_key=BULK_KEY, base_url=base_url) as ching:
            return ching.customers.upsert_many(rows, identify_by="email", concurrency=concurrency)

    async def run() -> Any:
        async with contextlib.AsyncExitStack() as stack:
            http: Any = None
            if client == "AsyncChing, httpx-aiohttp":
                import httpx_aiohttp

                http = await stack.enter_async_context(httpx_aiohttp.HttpxAiohttpClient())
            elif client == "AsyncChing, one pool":
                from ching_client._http.engines import engine as sdk_engine_named
                from ching_client._http.pool import sharded_transports

                transports = sharded_transports(sdk_engine_named(DEFAULT_ENGINE))
                one_pool = transports.AsyncTransport(max_connections=100, connections=100)
                http = await stack.enter_async_context(engine(DEFAULT_ENGINE).AsyncClient(transport=one_pool))
            elif client == "AsyncChing, one httpx2 pool":
                import httpx2

                http = await stack.enter_async_context(httpx2.AsyncClient(limits=httpx2.Limits(max_connections=100)))
            with sdk_engine("httpx" if client == "AsyncChing, httpx" else DEFAULT_ENGINE):
                ching = AsyncChing(api_key=BULK_KEY, base_url=base_url, http_client=http)
            async with ching:
                return await ching.customers.upsert_many(rows, identify_by="email", concurrency=concurrency)

    return asyncio.run(run())


def _bulk_once(client: str, base_url: str, pid: int, prefix: str, rows: int, concurrency: int) -> dict[str, Any]:
    """One batch of `rows` new customers: wall seconds, CPU seconds of this process and of the server, and the
    transient errors met (rows the SDK reported failed or of unknown outcome; requests a raw client sent again)."""
    source = _bulk_rows(prefix, rows)
    errors = Counter()
    gc.collect()
    server_cpu, cpu, wall = _cpu_of(pid), time.process_time(), time.perf_counter()
    if client.startswith(("AsyncChing", "Ching")):
        report = _sdk_upserts(client, base_url, source, concurrency)
        errors.errors = report.failed + report.outcome_unknown
        errors.kinds = {failure.code or "failed": 1 for failure in report.failures}
        if report.created + report.updated + report.created_or_updated + errors.errors != rows:
            raise RuntimeError(f"{client}: {report.summary()}")
    elif client == "raw aiohttp":
        asyncio.run(_raw_aiohttp_upserts(base_url, source, concurrency, errors))
    elif client == "minimal client":
        asyncio.run(_minimal_upserts(base_url, source, concurrency, errors))
    else:
        asyncio.run(_raw_engine_upserts(client.split()[-1], base_url, source, concurrency, errors))
    return {
        "wall_s": time.perf_counter() - wall,
        "client_cpu_s": time.process_time() - cpu,
        "server_cpu_s": _cpu_of(pid) - server_cpu,
        "transient_errors": errors.errors,
        "transient_error_kinds": errors.kinds,
    }


def _bulk_rounds(
    clients: tuple[str, ...], base_url: str, pid: int, tag: str, rows: int, concurrency: int, rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """Every client's batches, taking turns (forwards, then backwards); a batch that fails is kept as its error."""
    samples: dict[str, list[dict[str, Any]]] = {client: [] for client in clients}
    for round_ in range(rounds):
        order = clients if round_ % 2 == 0 else clients[::-1]
        for client in order:
            prefix = f"{tag}-{client.replace(' ', '').replace(',', '')}-{round_}"
            try:
                samples[client].append(_bulk_once(client, base_url, pid, prefix, rows, concurrency))
            except Exception as exc:  # one failed batch is reported, and the others still run
                samples[client].append({"error": f"{type(exc).__name__}: {exc}"[:500]})
    return samples


def _bulk_figures(samples: dict[str, list[dict[str, Any]]], rows: int, ideal: float) -> dict[str, Any]:
    """Each client's medians over its good batches, as ratios to the ideal where they are times."""
    figures: dict[str, Any] = {}
    for client, runs in samples.items():
        good = [run for run in runs if "error" not in run]
        failed = [run["error"] for run in runs if "error" in run]
        if not good:
            figures[client] = {"failed_batches": failed}
            continue
        walls = [run["wall_s"] for run in good]
        wall = statistics.median(walls)
        figures[client] = {
            "wall_s": round(wall, 3),
            "ratio_to_ideal": round(wall / ideal, 3),
            "ratio_spread": [round(min(walls) / ideal, 3), round(max(walls) / ideal, 3)],
            "client_cpu_ms_per_row": round(statistics.median(run["client_cpu_s"] for run in good) / rows * 1000, 3),
            "server_cpu_ms_per_row": round(statistics.median(run["server_cpu_s"] for run in good) / rows * 1000, 3),
            "transient_errors": sum(run["transient_errors"] for run in good),
            "samples_wall_s": [round(w, 3) for w in walls],
            "failed_batches": failed,
        }
    return figures


# Run in a fresh interpreter, so that its peak RSS is this batch's alone.
_PEAK_CHILD = """
import asyncio, json, resource, sys
from ching_client import AsyncChing
base_url, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = ({"name": f"Customer {i}", "email": f"peak{count}-{i}@example.com"} for i in range(count))
async def run():
    async with AsyncChing(api_key=key, base_url=base_url) as ching:
        return await ching.customers.upsert_many(rows, identify_by="email", concurrency=32)
report = asyncio.run(run())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"created": report.created, "failed": report.failed, "peak_rss_mb": peak / 1024}))
"""


def _peak_rss(base_url: str, count: int) -> float:
    """The peak RSS in MB of a fresh interpreter upserting ``count`` new customers (``_PEAK_CHILD``)."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, base_url, BULK_KEY, str(count)],
        check=True,
        capture_output=True,
        text=True,
        env=clean_env(),
    ).stdout
    result = json.loads(out)
    if (result["created"], result["failed"]) != (count, 0):
        raise RuntimeError(f"peak memory run: {result}")
    return float(result["peak_rss_mb"])


def bulk(rows: int, concurrency: int, latency: float, rounds: int, peak_rows: tuple[int, int]) -> dict[str, Any]:
    """upsert_many and its peers against scripts/fast_ching.py (another process) answering each request `latency`
    seconds late; then the default client against the local Ching, whose own CPU per request shows whether it
    would have been the bottleneck."""
    ideal = rows * latency / concurrency
    figures: dict[str, Any] = {"rows": rows, "concurrency": concurrency, "latency_s": latency, "ideal_s": ideal}
    with fast_server_process(latency) as (base_url, pid):
        samples = _bulk_rounds(BULK_CLIENTS, base_url, pid, "fast", rows, concurrency, rounds)
        figures["server"] = "scripts/fast_ching.py"
        figures["clients"] = _bulk_figures(samples, rows, ideal)
    with fast_server_process(0.0) as (base_url, _):  # memory, not time: no latency to wait out
        small, large = peak_rows
        figures["peak_rss_mb"] = {str(n): round(_peak_rss(base_url, n), 1) for n in (small, large)}
    figures["peak_rss_growth_mb"] = round(figures["peak_rss_mb"][str(large)] - figures["peak_rss_mb"][str(small)], 1)
    with local_ching_process({"kind": "latency", "latency": latency}) as (base_url, pid):
        samples = _bulk_rounds(("AsyncChing",), base_url, pid, "local", rows, concurrency, rounds)
        figures["local_ching"] = _bulk_figures(samples, rows, ideal)
    return figures
