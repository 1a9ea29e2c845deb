"""Section 4, memory: how much one client's resident set grows between two counts of calls (retrieves through the
in-process transport), for AsyncChing and Ching on the default engine.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import sys
from typing import Any

from scripts.bench.common import BASE_URL, CUSTOMER_ID, DEFAULT_ENGINE, KEY, engine, fixed_transport
from scripts.bench.machine import proc_value


def _rss_mb() -> float:
    """This process's resident set now (Linux), or its peak where /proc is missing."""
    value = proc_value("/proc/self/status", "VmRSS")
    if value is not None:
        return int(value.split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def memory(first: int, total: int) -> dict[str, Any]:
    """RSS growth of one client between call `first` and call `total` (retrieves, in-process transport)."""
    from ching_client import AsyncChing, Ching

    module = engine(DEFAULT_ENGINE)
    transport = fixed_transport(DEFAULT_ENGINE)

    async def async_growth() -> tuple[float, float]:
        async with (
            module.AsyncClient(transport=transport) as http,
            AsyncChing(api_key=KEY, base_url=BASE_URL, http_client=http) as sdk,
        ):
            for i in range(total):
                if i == first:
                    gc.collect()
                    before = _rss_mb()
                await sdk.customers.retrieve(CUSTOMER_ID)
                if i % 100 == 99:
                    # As in the per-call figures: let the loop run, as real I/O does. A loop that never
                    # runs keeps every cancelled deadline timer, which would count as growth here.
                    await asyncio.sleep(0)
            gc.collect()
            return before, _rss_mb()

    def sync_growth() -> tuple[float, float]:
        with module.Client(transport=transport) as http, Ching(api_key=KEY, base_url=BASE_URL, http_client=http) as sdk:
            for _ in range(first):
                sdk.customers.retrieve(CUSTOMER_ID)
            gc.collect()
            before = _rss_mb()
            for _ in range(total - first):
                sdk.customers.retrieve(CUSTOMER_ID)
            gc.collect()
            return before, _rss_mb()

    results: dict[str, Any] = {"first": first, "total": total}
    for mode, (before, after) in (("async", asyncio.run(async_growth())), ("sync", sync_growth())):
        results[mode] = {
            "rss_first_mb": round(before, 2),
            "rss_total_mb": round(after, 2),
            "growth_mb": round(after - before, 2),
        }
    return results
