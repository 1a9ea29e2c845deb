"""What every section of the benchmark shares: the fixed request and answers, the engines, the in-process transport
that answers every request with the same bytes, the servers run in another process, and the error counter.

The SDK runs on httpx2 (its default engine) or httpx; every figure is measured on both, the default first.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent.parent

# The SDK refuses keys that do not look like Ching's; the in-process transport never checks them.
KEY = "ck_test_benchmark0000000000"
BASE_URL = "https://ching.bench/ching"
CUSTOMER_ID = "cus_oZ4SPXc1mCW9"
HEADERS = {"Authorization": f"Bearer {KEY}", "User-Agent": "bench", "Accept": "application/json"}
ENGINES = ("httpx2", "httpx")  # the SDK's default engine first
DEFAULT_ENGINE = ENGINES[0]


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


AsyncCall = Callable[[], Awaitable[object]]


def check(response: Any) -> Any:
    """What raw code does at the least: check the status, decode the JSON."""
    if response.status_code != 200:
        raise RuntimeError(f"unexpected status {response.status_code}")
    return json.loads(response.content)["data"]


RETRIEVE_URL = f"{BASE_URL}/v1/customers/{quote(CUSTOMER_ID, safe='')}"
NAME, EMAIL = "Tal Levi", "tal@example.com"


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


def clean_env() -> dict[str, str]:
    """This environment without the SDK's settings or import-time profiling: a child runs as a user's would."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CHING_", "PYTHONPROFILEIMPORTTIME"))}
