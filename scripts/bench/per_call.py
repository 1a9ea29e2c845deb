"""Section 1, per-call overhead: each call's CPU cost in-process, on each engine, next to raw code on that engine.

Every column gets the same in-process transport and the same bytes, so the differences are client code only; the
columns take turns round by round in a rotating order, so that drift on a shared machine hits them alike.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from scripts.bench.common import (
    BASE_URL,
    CUSTOMER_ID,
    EMAIL,
    ENGINES,
    HEADERS,
    HUNDRED_CUSTOMERS,
    KEY,
    NAME,
    ONE_CUSTOMER,
    RETRIEVE_URL,
    AsyncCall,
    FixedAnswers,
    check,
    engine,
    fixed_transport,
)

SyncCall = Callable[[], object]
C = TypeVar("C")  # a column's call: AsyncCall or SyncCall
# The second column is not a client: it is the generated request builder and parser alone, the part of
# the SDK's cost that the spec's shape decides; the rest is the request core (retries, deadline, errors).
COLUMNS = ("raw", "codec", "sdk")
LIST_URL = f"{BASE_URL}/v1/customers"
NEW_CUSTOMER = {"name": NAME, "email": EMAIL}


class _Turns(Generic[C]):
    """The three columns of one operation taking turns on the in-process transport, which answers them ``body``.

    Iterating yields the column whose ``calls`` calls the caller makes now, and adds their CPU µs per call to
    ``samples``, one sample per timed round. Round 0 is the warm-up; each round starts with a different column. The
    caller makes its calls between two steps, so the async and the sync columns are timed alike: only their calls
    differ.
    """

    def __init__(self, transport: FixedAnswers, body: bytes, calls: int, rounds: int, *columns: C) -> None:
        self.transport, self.body, self.calls, self.rounds = transport, body, calls, rounds
        self.columns: dict[str, C] = dict(zip(COLUMNS, columns, strict=True))
        self.samples: dict[str, list[float]] = {name: [] for name in COLUMNS}

    def __iter__(self) -> Iterator[C]:
        self.transport.body = self.body
        for round_ in range(self.rounds + 1):
            shift = round_ % len(COLUMNS)
            for name in COLUMNS[shift:] + COLUMNS[:shift]:
                call = self.columns[name]
                gc.collect()
                start = time.process_time_ns()
                yield call
                if round_:
                    self.samples[name].append((time.process_time_ns() - start) / self.calls / 1000)


async def _async_rounds(turns: _Turns[AsyncCall]) -> dict[str, list[float]]:
    """CPU µs per call of each async column, one sample per timed round."""
    for call in turns:
        for i in range(turns.calls):
            await call()
            if i % 100 == 99:
                # The transport never suspends, so without this the event loop would not run at all;
                # with real I/O it runs on every call (and discards cancelled timers, such as deadlines).
                await asyncio.sleep(0)
    return turns.samples


def _sync_rounds(turns: _Turns[SyncCall]) -> dict[str, list[float]]:
    """CPU µs per call of each sync column, one sample per timed round."""
    for call in turns:
        for _ in range(turns.calls):
            call()
    return turns.samples


def _codec() -> dict[str, SyncCall]:
    """Each operation's generated request builder and parser alone: no client, no transport, no I/O."""
    from ching_client._generated.api.customers import customers_create, customers_list, customers_retrieve

    def retrieve() -> object:
        customers_retrieve.build(CUSTOMER_ID)
        return customers_retrieve.parse(json.loads(ONE_CUSTOMER)).data.id

    def list_() -> object:
        customers_list.build()
        return [c.id for c in customers_list.parse(json.loads(HUNDRED_CUSTOMERS)).data]

    def create() -> object:
        customers_create.build(name=NAME, email=EMAIL)
        return customers_create.parse(json.loads(ONE_CUSTOMER)).data.id

    return {"retrieve": retrieve, "list": list_, "create": create}


async def _per_call_async(name: str, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Each operation's samples by column, AsyncChing next to raw async code on engine ``name``."""
    from ching_client import AsyncChing

    http = engine(name)
    transport = fixed_transport(name)
    codec = _codec()
    async with (
        http.AsyncClient(transport=transport) as raw,
        http.AsyncClient(transport=transport) as sdk_http,  # injected clients stay the caller's to close
        AsyncChing(api_key=KEY, base_url=BASE_URL, http_client=sdk_http) as sdk,
    ):

        async def raw_retrieve() -> object:
            data = check(await raw.request("GET", RETRIEVE_URL, headers=HEADERS))
            return data["id"], data["email"], data["created"]

        async def raw_list() -> object:
            return [c["id"] for c in check(await raw.request("GET", LIST_URL, headers=HEADERS))]

        async def raw_create() -> object:
            return check(await raw.request("POST", LIST_URL, json=NEW_CUSTOMER, headers=HEADERS))["id"]

        async def codec_retrieve() -> object:
            return codec["retrieve"]()

        async def codec_list() -> object:
            return codec["list"]()

        async def codec_create() -> object:
            return codec["create"]()

        async def sdk_retrieve() -> object:
            return (await sdk.customers.retrieve(CUSTOMER_ID)).id

        async def sdk_list() -> object:
            return [c.id for c in await sdk.customers.list()]

        async def sdk_create() -> object:
            return (await sdk.customers.create(name=NAME, email=EMAIL)).id

        list_calls = max(1, calls // 4)
        return {
            "retrieve": await _async_rounds(
                _Turns(transport, ONE_CUSTOMER, calls, rounds, raw_retrieve, codec_retrieve, sdk_retrieve)
            ),
            "list": await _async_rounds(
                _Turns(transport, HUNDRED_CUSTOMERS, list_calls, rounds, raw_list, codec_list, sdk_list)
            ),
            "create": await _async_rounds(
                _Turns(transport, ONE_CUSTOMER, calls, rounds, raw_create, codec_create, sdk_create)
            ),
        }


def _per_call_sync(name: str, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Each operation's samples by column, Ching next to raw sync code on engine ``name``."""
    from ching_client import Ching

    http = engine(name)
    transport = fixed_transport(name)
    codec = _codec()
    with (
        http.Client(transport=transport) as raw,
        http.Client(transport=transport) as sdk_http,
        Ching(api_key=KEY, base_url=BASE_URL, http_client=sdk_http) as sdk,
    ):

        def raw_retrieve() -> object:
            data = check(raw.request("GET", RETRIEVE_URL, headers=HEADERS))
            return data["id"], data["email"], data["created"]

        def raw_list() -> object:
            return [c["id"] for c in check(raw.request("GET", LIST_URL, headers=HEADERS))]

        def raw_create() -> object:
            return check(raw.request("POST", LIST_URL, json=NEW_CUSTOMER, headers=HEADERS))["id"]

        def sdk_retrieve() -> object:
            return sdk.customers.retrieve(CUSTOMER_ID).id

        def sdk_list() -> object:
            return [c.id for c in sdk.customers.list()]

        def sdk_create() -> object:
            return sdk.customers.create(name=NAME, email=EMAIL).id

        list_calls = max(1, calls // 4)
        return {
            "retrieve": _sync_rounds(
                _Turns(transport, ONE_CUSTOMER, calls, rounds, raw_retrieve, codec["retrieve"], sdk_retrieve)
            ),
            "list": _sync_rounds(
                _Turns(transport, HUNDRED_CUSTOMERS, list_calls, rounds, raw_list, codec["list"], sdk_list)
            ),
            "create": _sync_rounds(
                _Turns(transport, ONE_CUSTOMER, calls, rounds, raw_create, codec["create"], sdk_create)
            ),
        }


def per_call(calls: int, rounds: int) -> dict[str, Any]:
    """In-process, on each engine: the same transport and bytes for every column, so the differences are client
    code only. CPU time, so that other work on the machine does not count."""
    results: dict[str, Any] = {}
    for name in ENGINES:
        modes = {
            "async": asyncio.run(_per_call_async(name, calls, rounds)),
            "sync": _per_call_sync(name, calls, rounds),
        }
        for operation in ("retrieve", "list", "create"):
            for mode, by_operation in modes.items():
                samples = by_operation[operation]
                us = {column: statistics.median(s) for column, s in samples.items()}
                # The ratio of each round's pair, then their median and spread: drift hits both of a round alike.
                ratios = [s / r for s, r in zip(samples["sdk"], samples["raw"], strict=True)]
                results[f"{operation}/{mode}/{name}"] = {
                    "operation": operation,
                    "mode": mode,
                    "engine": name,
                    **{f"{column}_us": round(value, 1) for column, value in us.items()},
                    "codec_ratio": round(us["codec"] / us["raw"], 2),
                    "sdk_ratio": round(us["sdk"] / us["raw"], 2),
                    "sdk_ratio_spread": [round(min(ratios), 2), round(max(ratios), 2)],
                    "samples_us": {column: [round(v, 1) for v in s] for column, s in samples.items()},
                }
    return results
