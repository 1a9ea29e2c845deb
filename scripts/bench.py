"""Measure what the SDK costs on top of its HTTP engine: per-call overhead, loopback CPU, bulk upserts, import, memory.

python scripts/bench.py                  the full run (about ten minutes); prints tables, writes bench-results.json
python scripts/bench.py --quick          a tiny run that only checks every figure is produced (the smoke test)
python scripts/bench.py --report FILE    print the tables of an earlier run's bench-results.json again
python scripts/bench.py --import-profile also list the modules `from ching_client import ...` spends time on

The SDK runs on httpx2 (its default engine) or httpx, and its limit on each is raw code on the same engine doing the
same request, so every figure is given next to it and as a ratio; the bulk section adds raw aiohttp and a minimal
HTTP/1.1 client on asyncio streams, the limit for any Python client. Timings are medians over rounds after a
warm-up, with their spread; the columns take turns round by round (in a rotating order) so that drift on a shared
machine hits them alike, and loaded runs are measured in CPU time where wall time would mostly measure the load.

A busy machine cannot crash a run: a request that fails in a raw client is counted as a transient error and sent
again (every request here is safe to repeat), an SDK call that fails is counted, and a section that fails as a whole
is reported as failed while the others go on. `bench-results.json` records the machine, every engine's and peer's
version, the load average before and after each section, and every sample.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import functools
import gc
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "bench-results.json"
COMMAND = "make bench"

# The SDK refuses keys that do not look like Ching's; the in-process transport never checks them.
KEY = "ck_test_benchmark0000000000"
BULK_KEY = "ck_test_" + "b" * 64  # the local Ching accepts any well-formed test key
BASE_URL = "https://ching.bench/ching"
CUSTOMER_ID = "cus_oZ4SPXc1mCW9"
HEADERS = {"Authorization": f"Bearer {KEY}", "User-Agent": "bench", "Accept": "application/json"}
ENGINES = ("httpx2", "httpx")  # the SDK's default engine first
DEFAULT_ENGINE = ENGINES[0]
VERSIONS = ("httpx2", "httpcore2", "httpx", "httpcore", "h11", "anyio", "aiohttp", "httpx-aiohttp", "uvicorn")

TARGETS = {
    "retrieve": 1.25,
    "list": 1.4,
    "loopback_cpu": 1.3,
    "import": 1.5,
    "memory_mb": 5.0,
    "bulk_best": 1.15,
    "bulk_default": 1.3,
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


def engine(name: str) -> Any:
    """The ``httpx`` or ``httpx2`` module."""
    return importlib.import_module(name)


class FixedAnswers:
    """Answers every request with the same bytes, so each column pays only for its own client code."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self.body = ONE_CUSTOMER
        self._headers = [(b"content-type", b"application/json; charset=utf-8")]

    def handle_request(self, request: Any) -> Any:
        return self.http.Response(200, headers=self._headers, content=self.body)

    async def handle_async_request(self, request: Any) -> Any:
        return self.http.Response(200, headers=self._headers, content=self.body)


def fixed_transport(name: str) -> FixedAnswers:
    """A ``FixedAnswers`` that is also the engine's own transport base classes' instance."""
    http = engine(name)
    cls = type("FixedTransport", (FixedAnswers, http.BaseTransport, http.AsyncBaseTransport), {})
    transport: FixedAnswers = cls(http)
    return transport


@contextmanager
def sdk_engine(name: str) -> Iterator[None]:
    """Clients built inside build their own HTTP client on engine ``name`` (``CHING_HTTP_ENGINE``)."""
    before = os.environ.get("CHING_HTTP_ENGINE")
    os.environ["CHING_HTTP_ENGINE"] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ["CHING_HTTP_ENGINE"]
        else:
            os.environ["CHING_HTTP_ENGINE"] = before


def spread(samples: list[float]) -> dict[str, float]:
    """Median, lowest and highest of some samples."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


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


def load_average() -> float | None:
    """The machine's 1-minute load average: other work on it skews every figure."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in VERSIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


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
        "ching_client": ching_client.__version__,
        "default_engine": DEFAULT_ENGINE,
        "versions": versions(),
        "load_average_1m": load_average(),
    }


def describe(m: dict[str, Any]) -> str:
    memory = f", {m['memory_gib']} GiB RAM" if m["memory_gib"] else ""
    v = m["versions"]
    engines = f"httpx2 {v['httpx2']}, httpx {v['httpx']}, aiohttp {v['aiohttp']}"
    load = f" (load average {m['load_average_1m']} at the start)" if m["load_average_1m"] is not None else ""
    return f"{m['cpu']}, {m['cpus']} CPUs{memory}, {m['os']}, {m['python']}, {engines}{load}"


# --- 1. per-call overhead, in-process --------------------------------------------------------------------------------

AsyncCall = Callable[[], Awaitable[object]]
SyncCall = Callable[[], object]
# The second column is not a client: it is the generated request builder and parser alone, the part of
# the SDK's cost that the spec's shape decides; the rest is the request core (retries, deadline, errors).
COLUMNS = ("raw", "codec", "sdk")


def _rotations(names: list[str], rounds: int) -> Iterator[tuple[int, list[str]]]:
    """Round 0 is the warm-up; each round starts with a different column."""
    for round_ in range(rounds + 1):
        shift = round_ % len(names)
        yield round_, names[shift:] + names[:shift]


async def _async_rounds(
    transport: FixedAnswers, body: bytes, columns: dict[str, AsyncCall], calls: int, rounds: int
) -> dict[str, list[float]]:
    """CPU µs per call of each column, one sample per timed round."""
    transport.body = body
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for round_, order in _rotations(list(columns), rounds):
        for name in order:
            call = columns[name]
            gc.collect()
            start = time.process_time_ns()
            for i in range(calls):
                await call()
                if i % 100 == 99:
                    # The transport never suspends, so without this the event loop would not run at all;
                    # with real I/O it runs on every call (and discards cancelled timers, such as deadlines).
                    await asyncio.sleep(0)
            if round_:
                samples[name].append((time.process_time_ns() - start) / calls / 1000)
    return samples


def _sync_rounds(
    transport: FixedAnswers, body: bytes, columns: dict[str, SyncCall], calls: int, rounds: int
) -> dict[str, list[float]]:
    transport.body = body
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for round_, order in _rotations(list(columns), rounds):
        for name in order:
            call = columns[name]
            gc.collect()
            start = time.process_time_ns()
            for _ in range(calls):
                call()
            if round_:
                samples[name].append((time.process_time_ns() - start) / calls / 1000)
    return samples


def _columns(*calls: T) -> dict[str, T]:
    return dict(zip(COLUMNS, calls, strict=True))


def _check(response: Any) -> Any:
    """What raw code does at the least: check the status, decode the JSON."""
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


async def _per_call_async(name: str, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
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


def _per_call_sync(name: str, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
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


# --- 2. loopback -----------------------------------------------------------------------------------------------------


@contextmanager
def server_process(command: list[str], what: str) -> Iterator[tuple[str, int]]:
    """A server in another process that prints its base URL first; yields that URL and its pid."""
    with subprocess.Popen(  # leaving the block closes its pipes and waits for it
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as server:
        try:
            assert server.stdout is not None
            base_url = server.stdout.readline().strip()
            if not base_url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"{what} did not start (it printed {base_url!r})")
            yield base_url, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def local_ching_process(*faults: dict[str, Any]) -> contextlib.AbstractContextManager[tuple[str, int]]:
    """The local Ching in another process, with these fault rules; yields its base URL and its pid."""
    command = [sys.executable, "-m", "ching_client.testing", "--host", "127.0.0.1", "--port", "0"]
    command += ["--log-level", "warning", *(f"--fault={json.dumps(fault)}" for fault in faults)]
    return server_process(command, "the local Ching")


def fast_server_process(latency: float) -> contextlib.AbstractContextManager[tuple[str, int]]:
    """scripts/fast_ching.py in another process, answering each request ``latency`` seconds late."""
    command = [sys.executable, str(ROOT / "scripts" / "fast_ching.py"), "--latency", str(latency)]
    return server_process(command, "scripts/fast_ching.py")


class Counter:
    """Transient errors seen by one measured client."""

    def __init__(self) -> None:
        self.errors = 0
        self.kinds: dict[str, int] = {}

    def count(self, exc: BaseException) -> None:
        self.errors += 1
        name = type(exc).__name__
        self.kinds[name] = self.kinds.get(name, 0) + 1


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


LOOPBACK_CLIENTS = ("raw httpx2", "AsyncChing (httpx2)", "raw httpx", "AsyncChing (httpx)")


async def _loopback_batch(
    client: str, base_url: str, key: str, customer_id: str, calls: int, concurrency: int, errors: Counter
) -> tuple[float, float]:
    """One timed batch on a pool of its own, closed afterwards: (CPU seconds, wall seconds)."""
    from ching_client import AsyncChing

    name = client.split("(")[-1].rstrip(")") if "(" in client else client.split()[-1]
    http = engine(name)
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
                return _check(await pool.request("GET", url, headers=headers))["id"]

        await _drive(call, max(concurrency, calls // 10), concurrency, Counter())  # opens the connections
        return await _drive(call, calls, concurrency, errors)


async def _loopback_rounds(
    base_url: str, key: str, customer_id: str, calls: int, concurrency: int, rounds: int
) -> dict[str, Any]:
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


# --- 3. import time --------------------------------------------------------------------------------------------------

_FIRST_CALL_SETUP = (
    "import httpx; "
    f"t = httpx.MockTransport(lambda request: httpx.Response(200, content={ONE_CUSTOMER!r})); "
    "c = httpx.Client(transport=t); "
)
IMPORTS = {
    "python_startup": "pass",
    "httpx": "import httpx",
    "httpx2": "import httpx2",
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


# --- 5. bulk sync: customers.upsert_many -----------------------------------------------------------------------------


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bulk_rows(prefix: str, count: int) -> Iterator[dict[str, str]]:
    for i in range(count):
        yield {"name": f"Customer {i}", "email": f"{prefix}-{i}@example.com"}


BULK_HEADERS = {**HEADERS, "Authorization": f"Bearer {BULK_KEY}", "Content-Type": "application/json"}


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
            _check(await client.post(f"{base_url}/v1/customers/upsert", json=body, headers=BULK_HEADERS))

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
                one_pool = transports.AsyncTransport(shards=1, connections=100)
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


# --- report ----------------------------------------------------------------------------------------------------------


def _get(results: dict[str, Any], *path: str) -> Any:
    """A figure of the results, or None where its section failed or the client's batches all did."""
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue, with the measured value and whether it is met."""
    checks: list[tuple[str, Any, float]] = []
    for name in ENGINES:
        for operation, label, limit in (("retrieve", "retrieve", "retrieve"), ("list", "list of 100", "list")):
            ratio = _get(results, "per_call", f"{operation}/async/{name}", "sdk_ratio")
            checks.append((f"{label}, AsyncChing / raw {name}", ratio, TARGETS[limit]))
    for name in ENGINES:
        ratio = _get(results, "loopback", "cpu_ratio", name)
        checks.append((f"loopback client CPU, AsyncChing / raw {name}", ratio, TARGETS["loopback_cpu"]))
    imports = _get(results, "import", "without_httpx_cli") or {}
    checks += [
        ("import ching_client / import httpx", imports.get("ratio"), TARGETS["import"]),
        ("import AsyncChing, Ching / import httpx", imports.get("clients_ratio"), TARGETS["import"]),
        ("RSS growth, AsyncChing (MB)", _get(results, "memory", "async", "growth_mb"), TARGETS["memory_mb"]),
        ("RSS growth, Ching (MB)", _get(results, "memory", "sync", "growth_mb"), TARGETS["memory_mb"]),
    ]
    clients = _get(results, "bulk", "clients") or {}
    sdk = {  # the engines: not the variants of one engine's pool
        c: f["ratio_to_ideal"]
        for c, f in clients.items()
        if c.startswith("AsyncChing") and "pool" not in c and "ratio_to_ideal" in f
    }
    best = min(sdk, key=lambda c: sdk[c]) if sdk else None
    checks += [
        (f"upsert_many / ideal, best engine ({best})", sdk.get(best) if best else None, TARGETS["bulk_best"]),
        ("upsert_many / ideal, default engine", sdk.get("AsyncChing"), TARGETS["bulk_default"]),
        (
            "upsert_many peak RSS, more rows (MB)",
            _get(results, "bulk", "peak_rss_growth_mb"),
            TARGETS["bulk_peak_growth_mb"],
        ),
    ]
    return [
        {"name": name, "value": value, "limit": limit, "met": value is not None and value <= limit}
        for name, value, limit in checks
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: readable in a terminal, pasteable into the README."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)])


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def _per_call_report(results: dict[str, Any]) -> list[str]:
    rounds = results["settings"]["rounds"]
    names = {"retrieve": "retrieve", "list": "list of 100", "create": "create"}
    rows = []
    for operation in names:
        for mode in ("async", "sync"):
            for name in ENGINES:
                row = _get(results, "per_call", f"{operation}/{mode}/{name}")
                if row is None:
                    continue
                low, high = row["sdk_ratio_spread"]
                rows.append(
                    [
                        f"{names[operation]}, {mode}, {name}",
                        f"{row['raw_us']:.1f}",
                        f"{row['codec_us']:.1f}",
                        f"{row['sdk_us']:.1f} ({_x(row['sdk_ratio'])}, {low:.2f} to {high:.2f})",
                    ]
                )
    return [
        f"Per call, in-process transport: CPU µs per call, median of {rounds} rounds (ratio to raw code on the same "
        "engine; its spread over the rounds)",
        "",
        _table(["call, engine", "raw engine + json.loads", "of which builder + parser", "AsyncChing / Ching"], rows),
    ]


def _loopback_report(results: dict[str, Any]) -> list[str]:
    lb = results["loopback"]
    rows = []
    for client in LOOPBACK_CLIENTS:
        figure = lb["clients"][client]
        name = client.split("(")[-1].rstrip(")") if "(" in client else client.split()[-1]
        label = f"{client} ({_x(lb['cpu_ratio'][name])} CPU)" if client.startswith("AsyncChing") else client
        samples = figure["samples_cpu_s_per_1000"]
        rows.append(
            [
                label,
                f"{figure['cpu_s_per_1000']:.3f} ({min(samples):.3f} to {max(samples):.3f})",
                f"{figure['calls_per_s']:,}",
                str(figure["transient_errors"]),
            ]
        )
    return [
        f"Loopback: {lb['calls']:,} retrieves at concurrency {lb['concurrency']} from the local Ching in another "
        f"process, each AsyncChing on the same kind of pool as the raw client of its engine (median of {lb['rounds']})",
        "",
        _table(["client", "client CPU s per 1,000 calls", "calls/s", "transient errors"], rows),
    ]


def _import_report(results: dict[str, Any]) -> list[str]:
    imp, venv = results["import"]["without_httpx_cli"], results["import"]["this_venv"]
    import_rows: list[tuple[str, str, str | None]] = [
        ("`pass` (interpreter start)", "python_startup", None),
        ("`import httpx`", "httpx", None),
        ("`import httpx2`", "httpx2", None),
        ("`import ching_client`", "ching_client", "ratio"),
        ("`from ching_client import AsyncChing, Ching`", "ching_client_clients", "clients_ratio"),
        ("raw httpx: import, first request, json.loads", "first_call_raw_httpx", None),
        ("`Ching` on httpx: import, first `retrieve`", "first_call_sdk", "first_call_ratio"),
    ]
    return [
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
    ]


def _bulk_row(label: str, figure: dict[str, Any]) -> list[str]:
    if "wall_s" not in figure:
        return [label, "failed", "", "", "", f"{len(figure['failed_batches'])} batches failed"]
    low, high = figure["ratio_spread"]
    failed = f", {len(figure['failed_batches'])} batches failed" if figure["failed_batches"] else ""
    return [
        label,
        f"{figure['wall_s']:.2f}",
        f"{_x(figure['ratio_to_ideal'])} ({low:.2f} to {high:.2f})",
        f"{figure['client_cpu_ms_per_row']:.3f}",
        f"{figure['server_cpu_ms_per_row']:.3f}",
        f"{figure['transient_errors']}{failed}",
    ]


def _bulk_report(results: dict[str, Any]) -> list[str]:
    bk = results["bulk"]
    rounds = results["settings"]["bulk_rounds"]
    rows = [_bulk_row(BULK_LABELS[c], f) for c, f in bk["clients"].items()]
    rows += [_bulk_row(f"{BULK_LABELS[c]}, against the local Ching", f) for c, f in bk["local_ching"].items()]
    header = [
        "client",
        "wall s",
        "/ ideal (spread)",
        "client CPU ms per row",
        "server CPU ms per row",
        "transient errors",
    ]
    return [
        f"Bulk: {bk['rows']:,} upserts of new customers at concurrency {bk['concurrency']} against "
        f"{bk['server']} in another process answering each {bk['latency_s'] * 1000:.0f} ms late; ideal "
        f"{bk['ideal_s']:.2f} s (rows x latency / concurrency); median of {rounds} round{'s' if rounds > 1 else ''}",
        "",
        _table(header, rows),
        "",
        "Peak RSS of a fresh process upserting rows from a generator (AsyncChing, concurrency 32): "
        + ", ".join(f"{int(n):,} rows {mb:.1f} MB" for n, mb in bk["peak_rss_mb"].items())
        + f" ({bk['peak_rss_growth_mb']:+.1f} MB)",
    ]


def report(results: dict[str, Any]) -> str:
    """The tables, in the order of the issue; a section that failed is named with its error."""
    lines = [f"Machine: {describe(results['machine'])}"]
    sections: list[tuple[str, Callable[[dict[str, Any]], list[str]]]] = [
        ("per_call", _per_call_report),
        ("loopback", _loopback_report),
        ("import", _import_report),
        ("memory", _memory_report),
        ("bulk", _bulk_report),
    ]
    for name, render in sections:
        lines.append("")
        if name in results:
            lines += render(results)
        else:
            lines.append(f"{name}: FAILED ({results.get('errors', {}).get(name, 'not run')})")
    load = results.get("load", {})
    lines += [
        "",
        "Load average (1 min) before and after each section: "
        + ", ".join(f"{name} {before} -> {after}" for name, (before, after) in load.items()),
    ]
    quick = results.get("settings", {}).get("quick", False)
    lines += [
        "",
        "Targets"
        + (" (--quick: counts too small to say anything of speed; this run only checks the script)" if quick else ""),
        "",
        _table(
            ["target", "measured", "limit", ""],
            [
                [
                    t["name"],
                    "-" if t["value"] is None else f"{t['value']:.2f}",
                    f"<= {t['limit']:.2f}",
                    "met" if t["met"] else "MISSED",
                ]
                for t in results["targets"]
            ],
        ),
    ]
    return "\n".join(lines)


def _memory_report(results: dict[str, Any]) -> list[str]:
    mem = results["memory"]
    return [
        f"Memory: RSS growth of one client from call {mem['first']:,} to call {mem['total']:,}: "
        f"AsyncChing {mem['async']['growth_mb']:+.2f} MB, Ching {mem['sync']['growth_mb']:+.2f} MB"
    ]


def _run_section(results: dict[str, Any], name: str, run: Callable[[], Any]) -> None:
    """Run one section; a failure is recorded and printed, and the next section runs all the same."""
    before = load_average()
    try:
        results[name] = run()
    except Exception:
        error = traceback.format_exc(limit=5)
        results.setdefault("errors", {})[name] = error.strip().splitlines()[-1]
        print(f"section {name} failed:\n{error}", file=sys.stderr)
    results.setdefault("load", {})[name] = [before, load_average()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the script works, not the speed")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures (%(default)s)")
    parser.add_argument("--rounds", type=int, help="timed rounds per figure (default 7; --quick 2)")
    parser.add_argument("--report", type=Path, metavar="FILE", help="print the tables of an earlier run's figures")
    parser.add_argument("--import-profile", action="store_true", help="list the slowest modules behind the import")
    args = parser.parse_args(argv)
    if args.report is not None:
        earlier = json.loads(args.report.read_text(encoding="utf-8"))
        earlier["targets"] = targets(earlier)  # as the targets read now
        print(report(earlier))
        return 0
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
    sections: list[tuple[str, Callable[[], Any]]] = [
        ("per_call", lambda: per_call(settings["calls_per_batch"], settings["rounds"])),
        ("memory", lambda: memory(*settings["memory_calls"])),
        ("import", lambda: import_time(settings["import_repeats"])),
        (
            "loopback",
            lambda: loopback(settings["loopback_calls"], settings["loopback_concurrency"], settings["loopback_rounds"]),
        ),
        (
            "bulk",
            lambda: bulk(
                settings["bulk_rows"],
                settings["bulk_concurrency"],
                settings["bulk_latency"],
                settings["bulk_rounds"],
                settings["bulk_peak_rows"],
            ),
        ),
    ]
    for number, (name, run) in enumerate(sections, 1):
        print(f"{number}/{len(sections)} {name} ...", file=sys.stderr)
        _run_section(results, name, run)
    results["machine"]["load_average_1m_at_the_end"] = load_average()
    results["targets"] = targets(results)
    print(report(results))
    if args.import_profile:
        print("\nSlowest modules `from ching_client import AsyncChing, Ching` imports after httpx (µs):")
        for name, self_us, cumulative_us in import_profile():
            print(f"  {cumulative_us:>8} cumulative {self_us:>8} self  {name}")
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {args.json}", file=sys.stderr)
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    raise SystemExit(main())
