"""Measure what the SDK costs on top of httpx: per-call overhead, loopback CPU, import time, memory.

python scripts/bench.py                  the full run (about seven minutes); prints tables, writes bench-results.json
python scripts/bench.py --quick          a tiny run that only checks every figure is produced (the smoke test)
python scripts/bench.py --import-profile also list the modules `from ching_client import ...` spends time on

The physical limit is raw httpx doing the same request, so every figure is given next to it and
as a ratio. Timings are medians over rounds after a warm-up; the columns take turns round by round
(in a rotating order) so that drift on a shared machine hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "bench-results.json"
COMMAND = "make bench"

# The SDK refuses keys that do not look like Ching's; the in-process transport never checks them.
KEY = "ck_test_benchmark0000000000"
BULK_KEY = "ck_test_" + "b" * 64  # the local Ching accepts any well-formed test key
BASE_URL = "https://ching.bench/ching"
CUSTOMER_ID = "cus_oZ4SPXc1mCW9"
HEADERS = {"Authorization": f"Bearer {KEY}", "User-Agent": "bench", "Accept": "application/json"}

TARGETS = {
    "retrieve": 1.25,
    "list": 1.5,
    "loopback_cpu": 1.3,
    "import": 1.5,
    "memory_mb": 5.0,
    "bulk_ideal": 1.15,
    "bulk_peak_growth_mb": 5.0,
}
T = TypeVar("T")


def _customer(i: int) -> dict[str, Any]:
    """A customer as the local Ching serialises it."""
    return {
        "id": f"cus_{i:012d}" if i else CUSTOMER_ID,
        "object": "customer",
        "name": f"Customer {i}",
        "email": f"customer{i}@example.com",
        "phone": "+972549876543",
        "locale": "he",
        "taxId": None,
        "metadata": {"user_id": str(i)},
        "default_payment_method": None,
        "livemode": False,
        "created": "2025-06-01T12:00:00.123Z",
    }


def _envelope(data: Any) -> bytes:
    return json.dumps({"success": True, "data": data}, separators=(",", ":")).encode()


ONE_CUSTOMER = _envelope(_customer(0))
HUNDRED_CUSTOMERS = _envelope([_customer(i) for i in range(100)])


class FixedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with the same bytes, so each column pays only for its own client code."""

    def __init__(self) -> None:
        self.body = ONE_CUSTOMER
        self._headers = [(b"content-type", b"application/json; charset=utf-8")]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=self._headers, content=self.body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=self._headers, content=self.body)


# --- machine ---------------------------------------------------------------------------------------------------------


def _proc_value(path: str, prefix: str) -> str | None:
    """The value of the first ``prefix: value`` line of a /proc file (None off Linux)."""
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import ching_client

    mem_kb = _proc_value("/proc/meminfo", "MemTotal")
    return {
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(int(mem_kb.split()[0]) / 1024**2, 1) if mem_kb else None,
        "os": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "httpx": httpx.__version__,
        "ching_client": ching_client.__version__,
        # Other work on the machine skews every figure: a load near 0 at the start is a good sign.
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def describe(m: dict[str, Any]) -> str:
    memory = f", {m['memory_gib']} GiB RAM" if m["memory_gib"] else ""
    load = f" (load average {m['load_average_1m']} at the start)" if m["load_average_1m"] is not None else ""
    return f"{m['cpu']}, {m['cpus']} CPUs{memory}, {m['os']}, {m['python']}, httpx {m['httpx']}{load}"


# --- 1. per-call overhead, in-process --------------------------------------------------------------------------------

AsyncCall = Callable[[], Awaitable[object]]
SyncCall = Callable[[], object]
# The third column is not a client: it is the generated request builder and parser alone, the part of
# the SDK's cost that the spec's shape decides; the rest is the request core (retries, deadline, errors).
COLUMNS = ("raw_httpx", "codec", "sdk")


def _rotations(names: list[str], rounds: int) -> Iterator[tuple[int, list[str]]]:
    """Round 0 is the warm-up; each round starts with a different column."""
    for round_ in range(rounds + 1):
        shift = round_ % len(names)
        yield round_, names[shift:] + names[:shift]


async def _async_rounds(
    transport: FixedTransport, body: bytes, columns: dict[str, AsyncCall], calls: int, rounds: int
) -> dict[str, list[float]]:
    """µs per call of each column, one sample per timed round."""
    transport.body = body
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for round_, order in _rotations(list(columns), rounds):
        for name in order:
            call = columns[name]
            gc.collect()
            start = time.perf_counter_ns()
            for i in range(calls):
                await call()
                if i % 100 == 99:
                    # The transport never suspends, so without this the event loop would not run at all;
                    # with real I/O it runs on every call (and discards cancelled timers, such as deadlines).
                    await asyncio.sleep(0)
            if round_:
                samples[name].append((time.perf_counter_ns() - start) / calls / 1000)
    return samples


def _sync_rounds(
    transport: FixedTransport, body: bytes, columns: dict[str, SyncCall], calls: int, rounds: int
) -> dict[str, list[float]]:
    transport.body = body
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for round_, order in _rotations(list(columns), rounds):
        for name in order:
            call = columns[name]
            gc.collect()
            start = time.perf_counter_ns()
            for _ in range(calls):
                call()
            if round_:
                samples[name].append((time.perf_counter_ns() - start) / calls / 1000)
    return samples


def _columns(*calls: T) -> dict[str, T]:
    return dict(zip(COLUMNS, calls, strict=True))


def _check(response: httpx.Response) -> Any:
    """What raw httpx code does at the least: check the status, decode the JSON."""
    if response.status_code != 200:
        raise RuntimeError(f"unexpected status {response.status_code}")
    return json.loads(response.content)["data"]


RETRIEVE_URL = f"{BASE_URL}/v1/customers/{quote(CUSTOMER_ID, safe='')}"
LIST_URL = f"{BASE_URL}/v1/customers"
NAME, EMAIL = "Tal Levi", "tal@example.com"
NEW_CUSTOMER = {"name": NAME, "email": EMAIL}


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


async def _per_call_async(transport: FixedTransport, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    from ching_client import AsyncChing

    codec = _codec()
    async with (
        httpx.AsyncClient(transport=transport) as raw,
        httpx.AsyncClient(transport=transport) as sdk_http,  # injected clients stay the caller's to close
        AsyncChing(api_key=KEY, base_url=BASE_URL, http_client=sdk_http) as sdk,
    ):

        async def raw_retrieve() -> object:
            data = _check(await raw.request("GET", RETRIEVE_URL, headers=HEADERS))
            return data["id"], data["email"], data["created"]

        async def raw_list() -> object:
            return [c["id"] for c in _check(await raw.request("GET", LIST_URL, headers=HEADERS))]

        async def raw_create() -> object:
            return _check(await raw.request("POST", LIST_URL, json=NEW_CUSTOMER, headers=HEADERS))["id"]

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
                transport, ONE_CUSTOMER, _columns(raw_retrieve, codec_retrieve, sdk_retrieve), calls, rounds
            ),
            "list": await _async_rounds(
                transport, HUNDRED_CUSTOMERS, _columns(raw_list, codec_list, sdk_list), list_calls, rounds
            ),
            "create": await _async_rounds(
                transport, ONE_CUSTOMER, _columns(raw_create, codec_create, sdk_create), calls, rounds
            ),
        }


def _per_call_sync(transport: FixedTransport, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    from ching_client import Ching

    codec = _codec()
    with (
        httpx.Client(transport=transport) as raw,
        httpx.Client(transport=transport) as sdk_http,
        Ching(api_key=KEY, base_url=BASE_URL, http_client=sdk_http) as sdk,
    ):

        def raw_retrieve() -> object:
            data = _check(raw.request("GET", RETRIEVE_URL, headers=HEADERS))
            return data["id"], data["email"], data["created"]

        def raw_list() -> object:
            return [c["id"] for c in _check(raw.request("GET", LIST_URL, headers=HEADERS))]

        def raw_create() -> object:
            return _check(raw.request("POST", LIST_URL, json=NEW_CUSTOMER, headers=HEADERS))["id"]

        def sdk_retrieve() -> object:
            return sdk.customers.retrieve(CUSTOMER_ID).id

        def sdk_list() -> object:
            return [c.id for c in sdk.customers.list()]

        def sdk_create() -> object:
            return sdk.customers.create(name=NAME, email=EMAIL).id

        list_calls = max(1, calls // 4)
        return {
            "retrieve": _sync_rounds(
                transport, ONE_CUSTOMER, _columns(raw_retrieve, codec["retrieve"], sdk_retrieve), calls, rounds
            ),
            "list": _sync_rounds(
                transport, HUNDRED_CUSTOMERS, _columns(raw_list, codec["list"], sdk_list), list_calls, rounds
            ),
            "create": _sync_rounds(
                transport, ONE_CUSTOMER, _columns(raw_create, codec["create"], sdk_create), calls, rounds
            ),
        }


def per_call(calls: int, rounds: int) -> dict[str, Any]:
    """In-process: the same transport and bytes for every column, so the differences are client code only."""
    transport = FixedTransport()
    modes = {
        "async": asyncio.run(_per_call_async(transport, calls, rounds)),
        "sync": _per_call_sync(transport, calls, rounds),
    }
    results: dict[str, Any] = {}
    for operation in ("retrieve", "list", "create"):
        for mode, by_operation in modes.items():
            samples = by_operation[operation]
            us = {name: statistics.median(s) for name, s in samples.items()}
            results[f"{operation}/{mode}"] = {
                "operation": operation,
                "mode": mode,
                **{f"{name}_us": round(value, 1) for name, value in us.items()},
                "codec_ratio": round(us["codec"] / us["raw_httpx"], 2),
                "sdk_ratio": round(us["sdk"] / us["raw_httpx"], 2),
                "samples_us": {name: [round(v, 1) for v in s] for name, s in samples.items()},
            }
    return results


# --- 2. loopback -----------------------------------------------------------------------------------------------------


@contextmanager
def local_ching_process(*faults: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """The local Ching in another process, with these fault rules; yields its base URL and its pid."""
    command = [sys.executable, "-m", "ching_client.testing", "--host", "127.0.0.1", "--port", "0"]
    command += ["--log-level", "warning", *(f"--fault={json.dumps(fault)}" for fault in faults)]
    with subprocess.Popen(  # leaving the block closes its pipes and waits for it
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as server:
        try:
            assert server.stdout is not None
            base_url = server.stdout.readline().strip()
            if not base_url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"the local Ching did not start (it printed {base_url!r})")
            yield base_url, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@contextmanager
def local_ching() -> Iterator[str]:
    """The local Ching in another process; yields its base URL and stops it afterwards."""
    with local_ching_process() as (base_url, _):
        yield base_url


async def _drive(call: AsyncCall, total: int, concurrency: int) -> tuple[float, float]:
    """Run `total` calls with `concurrency` in flight: this process's CPU seconds and the wall seconds."""
    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return time.process_time() - cpu, time.perf_counter() - wall


async def _loopback_batch(
    client: str, base_url: str, key: str, customer_id: str, calls: int, concurrency: int
) -> tuple[float, float]:
    """One timed batch on a pool of its own, closed afterwards: (CPU seconds, wall seconds)."""
    from ching_client import AsyncChing

    url = f"{base_url}/v1/customers/{quote(customer_id, safe='')}"
    headers = {**HEADERS, "Authorization": f"Bearer {key}"}
    # Both get the same pool, with the SDK's timeouts, keeping a connection per call in flight. Two
    # things made the figure swing by up to 2x from one batch to the next, whatever the client code:
    # httpx's default pool keeps only 20 idle connections, so at 64 in flight it alternates between
    # reusing them and opening one per request; and a client left idle kept 64 connections open on
    # the server while the other one ran. So each batch opens its own pool, warms it, and closes it.
    limits = httpx.Limits(max_connections=max(100, concurrency), max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0), limits=limits) as http:
        call: AsyncCall
        if client == "sdk":
            sdk = AsyncChing(api_key=key, base_url=base_url, http_client=http)

            async def call() -> object:
                return (await sdk.customers.retrieve(customer_id)).id

        else:

            async def call() -> object:
                return _check(await http.request("GET", url, headers=headers))["id"]

        await _drive(call, max(concurrency, calls // 10), concurrency)  # opens the connections
        return await _drive(call, calls, concurrency)


async def _loopback_rounds(
    base_url: str, key: str, customer_id: str, calls: int, concurrency: int, rounds: int
) -> dict[str, Any]:
    samples: dict[str, list[tuple[float, float]]] = {"raw_httpx": [], "sdk": []}
    for round_ in range(rounds):
        # raw, sdk, then sdk, raw: each goes first as often as the other.
        for client in list(samples) if round_ % 2 == 0 else list(samples)[::-1]:
            samples[client].append(await _loopback_batch(client, base_url, key, customer_id, calls, concurrency))
    figures: dict[str, Any] = {}
    for name, runs in samples.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        figures[name] = {
            "cpu_s_per_1000": round(cpu / calls * 1000, 4),
            "calls_per_s": round(calls / wall),
            "samples_cpu_s_per_1000": [round(c / calls * 1000, 4) for c, _ in runs],
        }
    return figures


def loopback(calls: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """Retrieves over loopback from the local Ching in another process: the client process's CPU."""
    from ching_client import Ching
    from ching_client.testing import DEFAULT_TEST_KEY

    with local_ching() as base_url:
        with Ching(api_key=DEFAULT_TEST_KEY, base_url=base_url) as seed:
            customer_id = seed.customers.create(name=NAME, email=EMAIL).id
        figures = asyncio.run(_loopback_rounds(base_url, DEFAULT_TEST_KEY, customer_id, calls, concurrency, rounds))
    return {
        "calls": calls,
        "concurrency": concurrency,
        "rounds": rounds,
        **figures,
        "cpu_ratio": round(figures["sdk"]["cpu_s_per_1000"] / figures["raw_httpx"]["cpu_s_per_1000"], 2),
    }


# --- 3. import time --------------------------------------------------------------------------------------------------

_FIRST_CALL_SETUP = (
    "import httpx; "
    f"t = httpx.MockTransport(lambda request: httpx.Response(200, content={ONE_CUSTOMER!r})); "
    "c = httpx.Client(transport=t); "
)
IMPORTS = {
    "python_startup": "pass",
    "httpx": "import httpx",
    "ching_client": "import ching_client",
    "ching_client_clients": "from ching_client import AsyncChing, Ching",
    # Lazy imports move cost to the first call: these show the whole way to a first result.
    "first_call_raw_httpx": _FIRST_CALL_SETUP
    + f"import json; json.loads(c.get({RETRIEVE_URL!r}, headers={HEADERS!r}).content)['data']['id']",
    "first_call_sdk": _FIRST_CALL_SETUP
    + "from ching_client import Ching; "
    + f"Ching(api_key={KEY!r}, base_url={BASE_URL!r}, http_client=c).customers.retrieve({CUSTOMER_ID!r}).id",
}
# This venv has httpx's optional CLI dependencies (click, rich, pygments: dev tools need them), and
# `import httpx` then loads them, about 45 ms more. An application that installs ching-client does
# not have them, so the target is checked without them: marking them missing makes httpx skip its CLI.
WITHOUT_HTTPX_CLI = "import sys; sys.modules.update(click=None, rich=None, pygments=None); "


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CHING_", "PYTHONPROFILEIMPORTTIME"))}


def import_time(repeats: int) -> dict[str, Any]:
    """Wall time of fresh interpreters running each snippet (median of `repeats`, interleaved)."""
    # A wheel install compiles bytecode; time that, not compiling the package from source
    # (which happens here when PYTHONDONTWRITEBYTECODE is set, as it is in some CI images).
    compileall.compile_dir(ROOT / "ching_client", quiet=1)
    env = _clean_env()
    variants = {"without_httpx_cli": WITHOUT_HTTPX_CLI, "this_venv": ""}
    runs = [(variant, name, prefix + code) for variant, prefix in variants.items() for name, code in IMPORTS.items()]
    for _, _, code in runs if repeats > 1 else ():  # warm the page cache (not worth it for a single sample)
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    samples: dict[tuple[str, str], list[float]] = {(variant, name): [] for variant, name, _ in runs}
    for _ in range(repeats):
        for variant, name, code in runs:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
            samples[(variant, name)].append((time.perf_counter() - start) * 1000)
    results: dict[str, Any] = {"repeats": repeats}
    for variant in variants:
        ms = {name: statistics.median(samples[(variant, name)]) for name in IMPORTS}
        results[variant] = {
            **{f"{name}_ms": round(value, 1) for name, value in ms.items()},
            "ratio": round(ms["ching_client"] / ms["httpx"], 2),
            "clients_ratio": round(ms["ching_client_clients"] / ms["httpx"], 2),
            "first_call_ratio": round(ms["first_call_sdk"] / ms["first_call_raw_httpx"], 2),
        }
    return results


def import_profile(top: int = 15) -> list[tuple[str, int, int]]:
    """The modules importing the clients loads after httpx, by cumulative µs (`-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import httpx; {IMPORTS['ching_client_clients']}"],
        check=True,
        env=_clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = done.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("| httpx")) + 1
    rows = []
    for line in lines[start:]:
        if line.startswith("import time:"):
            self_us, cumulative_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            rows.append((name, int(self_us), int(cumulative_us)))
    return sorted(rows, key=lambda row: row[2], reverse=True)[:top]


# --- 4. memory -------------------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    """This process's resident set now (Linux), or its peak where /proc is missing."""
    value = _proc_value("/proc/self/status", "VmRSS")
    if value is not None:
        return int(value.split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def memory(first: int, total: int) -> dict[str, Any]:
    """RSS growth of one client between call `first` and call `total` (retrieves, in-process transport)."""
    from ching_client import AsyncChing, Ching

    transport = FixedTransport()

    async def async_growth() -> tuple[float, float]:
        async with (
            httpx.AsyncClient(transport=transport) as http,
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
        with httpx.Client(transport=transport) as http, Ching(api_key=KEY, base_url=BASE_URL, http_client=http) as sdk:
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


# --- 5. bulk sync: customers.upsert_many -----------------------------------------------------------------------------


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bulk_rows(prefix: str, count: int) -> Iterator[dict[str, str]]:
    for i in range(count):
        yield {"name": f"Customer {i}", "email": f"{prefix}-{i}@example.com"}


async def _raw_httpx_upserts(base_url: str, rows: Iterator[dict[str, str]], concurrency: int) -> None:
    """What a team would write by hand: httpx's default client and `concurrency` workers."""
    headers = {**HEADERS, "Authorization": f"Bearer {BULK_KEY}"}
    async with httpx.AsyncClient(timeout=60.0) as http:

        async def worker() -> None:
            for row in rows:
                body = {"identifyBy": "email", **row}
                _check(await http.post(f"{base_url}/v1/customers/upsert", json=body, headers=headers))

        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())


def _bulk_once(client: str, base_url: str, pid: int, prefix: str, rows: int, concurrency: int) -> dict[str, float]:
    """One batch of `rows` new customers: wall seconds, and CPU seconds of this process and of the server."""
    from ching_client import AsyncChing, Ching

    key = BULK_KEY
    source = _bulk_rows(prefix, rows)
    gc.collect()
    server_cpu, cpu, wall = _cpu_of(pid), time.process_time(), time.perf_counter()
    if client.startswith("AsyncChing"):

        async def run() -> Any:
            async with contextlib.AsyncExitStack() as stack:
                http = None
                if client.endswith("httpx-aiohttp"):
                    import httpx_aiohttp

                    http = await stack.enter_async_context(httpx_aiohttp.HttpxAiohttpClient())
                ching = await stack.enter_async_context(AsyncChing(api_key=key, base_url=base_url, http_client=http))
                return await ching.customers.upsert_many(source, identify_by="email", concurrency=concurrency)

        report = asyncio.run(run())
    elif client == "Ching":
        with Ching(api_key=key, base_url=base_url) as ching:
            report = ching.customers.upsert_many(source, identify_by="email", concurrency=concurrency)
    else:
        asyncio.run(_raw_httpx_upserts(base_url, source, concurrency))
        report = None
    wall = time.perf_counter() - wall
    if report is not None and (report.created, report.failed) != (rows, 0):
        raise RuntimeError(f"{client}: {report.summary()}")
    return {
        "wall_s": wall,
        "client_cpu_s": time.process_time() - cpu,
        "server_cpu_s": _cpu_of(pid) - server_cpu,
    }


BULK_LABELS = {
    "AsyncChing": "AsyncChing.customers.upsert_many",
    "Ching": "Ching.customers.upsert_many (threads)",
    "AsyncChing + httpx-aiohttp": "AsyncChing.customers.upsert_many, httpx-aiohttp client",
    "raw httpx": "raw httpx, default client, one task per slot",
}
BULK_CLIENTS = tuple(BULK_LABELS)

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
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, base_url, BULK_KEY, str(count)],
        check=True,
        capture_output=True,
        text=True,
        env=_clean_env(),
    ).stdout
    result = json.loads(out)
    if (result["created"], result["failed"]) != (count, 0):
        raise RuntimeError(f"peak memory run: {result}")
    return float(result["peak_rss_mb"])


def bulk(rows: int, concurrency: int, latency: float, rounds: int, peak_rows: tuple[int, int]) -> dict[str, Any]:
    """upsert_many against the local Ching (another process) answering each request `latency` seconds late."""
    ideal = rows * latency / concurrency
    samples: dict[str, list[dict[str, float]]] = {client: [] for client in BULK_CLIENTS}
    with local_ching_process({"kind": "latency", "latency": latency}) as (base_url, pid):
        for round_ in range(rounds):
            order = BULK_CLIENTS if round_ % 2 == 0 else BULK_CLIENTS[::-1]
            for client in order:
                prefix = f"{client.replace(' ', '')}-{round_}"
                samples[client].append(_bulk_once(client, base_url, pid, prefix, rows, concurrency))
    figures: dict[str, Any] = {"rows": rows, "concurrency": concurrency, "latency_s": latency, "ideal_s": ideal}
    for client, runs in samples.items():
        wall = statistics.median(run["wall_s"] for run in runs)
        figures[client] = {
            "wall_s": round(wall, 3),
            "ratio_to_ideal": round(wall / ideal, 3),
            "client_cpu_ms_per_row": round(statistics.median(run["client_cpu_s"] for run in runs) / rows * 1000, 3),
            "server_cpu_ms_per_row": round(statistics.median(run["server_cpu_s"] for run in runs) / rows * 1000, 3),
            "samples_wall_s": [round(run["wall_s"], 3) for run in runs],
        }
    with local_ching_process() as (base_url, _):
        small, large = peak_rows
        figures["peak_rss_mb"] = {str(small): round(_peak_rss(base_url, small), 1)}
        figures["peak_rss_mb"][str(large)] = round(_peak_rss(base_url, large), 1)
    figures["peak_rss_growth_mb"] = round(figures["peak_rss_mb"][str(large)] - figures["peak_rss_mb"][str(small)], 1)
    return figures


# --- report ----------------------------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue, with the measured value and whether it is met."""
    per_call, imports, bulk = results["per_call"], results["import"]["without_httpx_cli"], results["bulk"]
    checks = [
        ("retrieve, AsyncChing / raw httpx", per_call["retrieve/async"]["sdk_ratio"], TARGETS["retrieve"]),
        ("retrieve, Ching / raw httpx", per_call["retrieve/sync"]["sdk_ratio"], TARGETS["retrieve"]),
        ("list of 100, AsyncChing / raw httpx", per_call["list/async"]["sdk_ratio"], TARGETS["list"]),
        ("list of 100, Ching / raw httpx", per_call["list/sync"]["sdk_ratio"], TARGETS["list"]),
        ("loopback client CPU, AsyncChing / raw httpx", results["loopback"]["cpu_ratio"], TARGETS["loopback_cpu"]),
        ("import ching_client / import httpx", imports["ratio"], TARGETS["import"]),
        ("import AsyncChing, Ching / import httpx", imports["clients_ratio"], TARGETS["import"]),
        ("RSS growth, AsyncChing (MB)", results["memory"]["async"]["growth_mb"], TARGETS["memory_mb"]),
        ("RSS growth, Ching (MB)", results["memory"]["sync"]["growth_mb"], TARGETS["memory_mb"]),
        ("upsert_many, AsyncChing / ideal time", bulk["AsyncChing"]["ratio_to_ideal"], TARGETS["bulk_ideal"]),
        ("upsert_many, Ching / ideal time", bulk["Ching"]["ratio_to_ideal"], TARGETS["bulk_ideal"]),
        ("upsert_many peak RSS, more rows (MB)", bulk["peak_rss_growth_mb"], TARGETS["bulk_peak_growth_mb"]),
    ]
    return [{"name": name, "value": value, "limit": limit, "met": value <= limit} for name, value, limit in checks]


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: readable in a terminal, pasteable into the README."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)])


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def report(results: dict[str, Any]) -> str:
    """The tables, in the order of the issue."""
    rounds = results["settings"]["rounds"]
    names = {"retrieve": "retrieve", "list": "list of 100", "create": "create"}
    per_call_rows = [
        [
            f"{names[row['operation']]}, {'async' if row['mode'] == 'async' else 'sync'}",
            f"{row['raw_httpx_us']:.1f}",
            f"{row['codec_us']:.1f}",
            f"{row['sdk_us']:.1f} ({_x(row['sdk_ratio'])})",
        ]
        for row in results["per_call"].values()
    ]
    lb, mem, bk = results["loopback"], results["memory"], results["bulk"]
    rounds_bulk = results["settings"]["bulk_rounds"]
    imp, venv = results["import"]["without_httpx_cli"], results["import"]["this_venv"]
    import_rows: list[tuple[str, str, str | None]] = [
        ("`pass` (interpreter start)", "python_startup", None),
        ("`import httpx`", "httpx", None),
        ("`import ching_client`", "ching_client", "ratio"),
        ("`from ching_client import AsyncChing, Ching`", "ching_client_clients", "clients_ratio"),
        ("raw httpx: import, first request, json.loads", "first_call_raw_httpx", None),
        ("`Ching`: import, first `retrieve`", "first_call_sdk", "first_call_ratio"),
    ]
    return "\n".join(
        [
            f"Machine: {describe(results['machine'])}",
            "",
            f"Per call, in-process transport: µs per call, median of {rounds} rounds (ratio to raw httpx)",
            "",
            _table(
                ["call", "raw httpx + json.loads", "of which builder + parser", "AsyncChing / Ching"],
                per_call_rows,
            ),
            "",
            f"Loopback: {lb['calls']:,} retrieves at concurrency {lb['concurrency']} from the local Ching "
            f"in another process (median of {lb['rounds']} round{'s' if lb['rounds'] > 1 else ''})",
            "",
            _table(
                ["client", "client CPU s per 1,000 calls", "calls/s"],
                [
                    ["raw httpx", f"{lb['raw_httpx']['cpu_s_per_1000']:.3f}", f"{lb['raw_httpx']['calls_per_s']:,}"],
                    [
                        f"AsyncChing ({_x(lb['cpu_ratio'])} CPU)",
                        f"{lb['sdk']['cpu_s_per_1000']:.3f}",
                        f"{lb['sdk']['calls_per_s']:,}",
                    ],
                ],
            ),
            "",
            f"Import, fresh interpreter: ms, median of {results['import']['repeats']} (ratio to httpx)",
            "",
            _table(
                ["python -c", "without httpx's CLI extra", "this venv (with it)"],
                [
                    [
                        label,
                        f"{imp[key + '_ms']:.1f}" + (f" ({_x(imp[ratio])})" if ratio else ""),
                        f"{venv[key + '_ms']:.1f}" + (f" ({_x(venv[ratio])})" if ratio else ""),
                    ]
                    for label, key, ratio in import_rows
                ],
            ),
            "",
            f"Memory: RSS growth of one client from call {mem['first']:,} to call {mem['total']:,}: "
            f"AsyncChing {mem['async']['growth_mb']:+.2f} MB, Ching {mem['sync']['growth_mb']:+.2f} MB",
            "",
            f"Bulk: {bk['rows']:,} upserts of new customers at concurrency {bk['concurrency']}, the local Ching in "
            f"another process answering each {bk['latency_s'] * 1000:.0f} ms late; ideal {bk['ideal_s']:.2f} s "
            f"(rows x latency / concurrency); median of {rounds_bulk} round{'s' if rounds_bulk > 1 else ''}",
            "",
            _table(
                ["client", "wall s", "/ ideal", "client CPU ms per row", "server CPU ms per row"],
                [
                    [
                        BULK_LABELS[name],
                        f"{bk[name]['wall_s']:.2f}",
                        _x(bk[name]["ratio_to_ideal"]),
                        f"{bk[name]['client_cpu_ms_per_row']:.3f}",
                        f"{bk[name]['server_cpu_ms_per_row']:.3f}",
                    ]
                    for name in BULK_CLIENTS
                ],
            ),
            "",
            "Peak RSS of a fresh process upserting rows from a generator (AsyncChing, concurrency 32): "
            + ", ".join(f"{int(n):,} rows {mb:.1f} MB" for n, mb in bk["peak_rss_mb"].items())
            + f" ({bk['peak_rss_growth_mb']:+.1f} MB)",
            "",
            "Targets",
            "",
            _table(
                ["target", "measured", "limit", ""],
                [
                    [t["name"], f"{t['value']:.2f}", f"<= {t['limit']:.2f}", "met" if t["met"] else "MISSED"]
                    for t in results["targets"]
                ],
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the script works, not the speed")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures (%(default)s)")
    parser.add_argument("--rounds", type=int, help="timed rounds per figure (default 7; --quick 2)")
    parser.add_argument("--import-profile", action="store_true", help="list the slowest modules behind the import")
    args = parser.parse_args(argv)
    quick = args.quick
    settings: dict[str, Any] = {
        "quick": quick,
        "rounds": args.rounds or (2 if quick else 7),
        "calls_per_batch": 20 if quick else 1000,
        "loopback_calls": 200 if quick else 5000,
        "loopback_concurrency": 8 if quick else 64,
        "loopback_rounds": 1 if quick else 4,
        "import_repeats": 1 if quick else 10,
        "memory_calls": (100, 1000) if quick else (1000, 10000),
        "bulk_rows": 200 if quick else 10_000,
        "bulk_concurrency": 8 if quick else 32,
        "bulk_latency": 0.005 if quick else 0.02,
        "bulk_rounds": 1 if quick else 3,
        "bulk_peak_rows": (200, 1000) if quick else (10_000, 100_000),
    }
    results: dict[str, Any] = {"machine": machine(), "command": COMMAND, "settings": settings}
    print(f"Machine: {describe(results['machine'])}", file=sys.stderr)
    print("1/5 per-call overhead, in-process ...", file=sys.stderr)
    results["per_call"] = per_call(settings["calls_per_batch"], settings["rounds"])
    print("2/5 memory ...", file=sys.stderr)
    results["memory"] = memory(*settings["memory_calls"])
    print("3/5 import time ...", file=sys.stderr)
    results["import"] = import_time(settings["import_repeats"])
    print("4/5 loopback against the local Ching ...", file=sys.stderr)
    results["loopback"] = loopback(
        settings["loopback_calls"], settings["loopback_concurrency"], settings["loopback_rounds"]
    )
    print("5/5 bulk upserts against the local Ching ...", file=sys.stderr)
    results["bulk"] = bulk(
        settings["bulk_rows"],
        settings["bulk_concurrency"],
        settings["bulk_latency"],
        settings["bulk_rounds"],
        settings["bulk_peak_rows"],
    )
    results["targets"] = targets(results)
    print(report(results))
    if args.import_profile:
        print("\nSlowest modules `from ching_client import AsyncChing, Ching` imports after httpx (µs):")
        for name, self_us, cumulative_us in import_profile():
            print(f"  {cumulative_us:>8} cumulative {self_us:>8} self  {name}")
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
