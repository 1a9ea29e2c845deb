"""Section 2, loopback: retrieves over loopback from the local Ching in another process, and the CPU the client
process spends on them, each AsyncChing on the same kind of pool as the raw client of its engine.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from typing import Any
from urllib.parse import quote

from scripts.bench.common import (
    EMAIL,
    ENGINES,
    HEADERS,
    NAME,
    AsyncCall,
    Counter,
    check,
    engine,
    local_ching_process,
)

LOOPBACK_CLIENTS = ("raw httpx2", "AsyncChing (httpx2)", "raw httpx", "AsyncChing (httpx)")


def engine_of(client: str) -> str:
    """The engine a client of ``LOOPBACK_CLIENTS`` runs on: ``raw httpx`` and ``AsyncChing (httpx)`` both on httpx."""
    return client.split("(")[-1].rstrip(")") if "(" in client else client.split()[-1]


async def _drive(call: AsyncCall, total: int, concurrency: int, errors: Counter) -> tuple[float, float]:
    """Run `total` calls with `concurrency` in flight: this process's CPU seconds and the wall seconds.

    A call that fails is counted and the run goes on: on a busy machine a loopback connection can be reset.
    """
    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            try:
                await call()
            except Exception as exc:
                errors.count(exc)

    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return time.process_time() - cpu, time.perf_counter() - wall


async def _loopback_batch(
    client: str, base_url: str, key: str, customer_id: str, calls: int, concurrency: int, errors: Counter
) -> tuple[float, float]:
    """One timed batch on a pool of its own, closed afterwards: (CPU seconds, wall seconds)."""
    from ching_client import AsyncChing

    http = engine(engine_of(client))
    url = f"{base_url}/v1/customers/{quote(customer_id, safe='')}"
    headers = {**HEADERS, "Authorization": f"Bearer {key}"}
    # Both columns of an engine get the same kind of pool, with the SDK's timeouts, keeping a connection per call
    # in flight. Two things made the figure swing by up to 2x from one batch to the next, whatever the client code:
    # httpx's default pool keeps only 20 idle connections, so at 64 in flight it alternates between reusing them
    # and opening one per request; and a client left idle kept 64 connections open on the server while the other
    # one ran. So each batch opens its own pool, warms it, and closes it.
    limits = http.Limits(max_connections=max(100, concurrency), max_keepalive_connections=concurrency)
    async with http.AsyncClient(timeout=http.Timeout(60.0, connect=5.0), limits=limits) as pool:
        call: AsyncCall
        if client.startswith("AsyncChing"):
            sdk = AsyncChing(api_key=key, base_url=base_url, http_client=pool)

            async def call() -> object:
                return (await sdk.customers.retrieve(customer_id)).id

        else:

            async def call() -> object:
                return check(await pool.request("GET", url, headers=headers))["id"]

        await _drive(call, max(concurrency, calls // 10), concurrency, Counter())  # opens the connections
        return await _drive(call, calls, concurrency, errors)


async def _loopback_rounds(
    base_url: str, key: str, customer_id: str, calls: int, concurrency: int, rounds: int
) -> dict[str, Any]:
    """Every client's batches, taking turns round by round; each client's median CPU, rate and errors."""
    samples: dict[str, list[tuple[float, float]]] = {client: [] for client in LOOPBACK_CLIENTS}
    errors = {client: Counter() for client in LOOPBACK_CLIENTS}
    for round_ in range(rounds):
        # Forwards, then backwards: each goes first as often as the others.
        for client in LOOPBACK_CLIENTS if round_ % 2 == 0 else LOOPBACK_CLIENTS[::-1]:
            batch = _loopback_batch(client, base_url, key, customer_id, calls, concurrency, errors[client])
            samples[client].append(await batch)
    figures: dict[str, Any] = {}
    for client, runs in samples.items():
        cpu = [c / calls * 1000 for c, _ in runs]
        figures[client] = {
            "cpu_s_per_1000": round(statistics.median(cpu), 4),
            "calls_per_s": round(calls / statistics.median(w for _, w in runs)),
            "samples_cpu_s_per_1000": [round(c, 4) for c in cpu],
            "transient_errors": errors[client].errors,
            "transient_error_kinds": errors[client].kinds,
        }
    return figures


def loopback(calls: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """Retrieves over loopback from the local Ching in another process: the client process's CPU."""
    from ching_client import Ching
    from ching_client.testing import DEFAULT_TEST_KEY

    with local_ching_process() as (base_url, _):
        with Ching(api_key=DEFAULT_TEST_KEY, base_url=base_url) as seed:
            customer_id = seed.customers.create(name=NAME, email=EMAIL).id
        figures = asyncio.run(_loopback_rounds(base_url, DEFAULT_TEST_KEY, customer_id, calls, concurrency, rounds))
    ratios = {
        name: round(figures[f"AsyncChing ({name})"]["cpu_s_per_1000"] / figures[f"raw {name}"]["cpu_s_per_1000"], 2)
        for name in ENGINES
    }
    return {"calls": calls, "concurrency": concurrency, "rounds": rounds, "clients": figures, "cpu_ratio": ratios}
