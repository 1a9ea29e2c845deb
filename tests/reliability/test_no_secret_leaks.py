"""The API key appears nowhere: not in output, logs, errors, tracebacks, pickles or reprs.

One run per key mode drives the whole demo flow (``scripts/demo.py``) on both clients against the
local Ching over loopback, then a catalogue of error cases (every fault kind, bad arguments, bad
configuration, a revoked key), with every logger at DEBUG. Everything the run produced is then
searched for the key's secret part (and for its first 16 characters, to catch partial leaks).
"""

from __future__ import annotations

import importlib.util
import logging
import pickle
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest

from ching_client import AsyncChing, Ching, ChingError
from ching_client.testing import FakeServer, make_live_key, make_test_key

from ._support import PNG

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo.py"
KEYS = {"test": make_test_key("reliability-secret"), "live": make_live_key("reliability-secret")}
REVOKED = "ck_test_" + "f00d" * 15 + "zzzz"  # well formed for the SDK, unknown to Ching: 401


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ching_demo_for_secrets", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _everything_about(exc: BaseException) -> list[str]:
    """The printed traceback (chained causes included); str, repr and attributes of each link; the SDK error's pickle.

    A chained httpx exception is not pickled: its pickle carries httpx's request, headers included,
    which is httpx's business (pickling the SDK error does not include its cause).
    """
    texts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), repr(vars(seen)), repr(seen.args)]
        if isinstance(seen, ChingError):  # SDK errors pickle with their attributes (for task queues)
            texts.append(pickle.dumps(seen).decode("latin-1"))
        seen = seen.__cause__ or seen.__context__
    return texts


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger (ching_client, httpx, httpcore, uvicorn) at DEBUG, captured."""
    caplog.set_level(logging.DEBUG)
    return caplog


def _error_cases(
    server: FakeServer, key: str, blackhole_url: str, refused_url: str
) -> list[tuple[str, Callable[[Any], Any], str]]:
    """(label, call on a client, base URL): one call per way the SDK can fail."""
    faults = server.fake.faults

    def fault(kind: str, operation: str, **options: Any) -> Callable[[], Any]:
        return lambda: faults.add(kind, operation=operation, times=3, **options)

    base = server.base_url
    cases: list[tuple[str, Callable[[], Any] | None, Callable[[Any], Any], str]] = [
        ("drop after", fault("drop_after", "customers_create"), lambda c: c.customers.create(name="A"), base),
        ("drop before", fault("drop_before", "customers_list"), lambda c: c.customers.list(), base),
        ("500", fault("status", "customers_update", status=500), lambda c: c.customers.update("cus_x", name="B"), base),
        ("502", fault("status", "products_create", status=502), lambda c: c.products.create(name="P"), base),
        ("503", fault("status", "products_list", status=503), lambda c: c.products.list(), base),
        ("429", fault("status", "customers_list", status=429, retry_after="0"), lambda c: c.customers.list(), base),
        ("malformed", fault("malformed_json", "products_list"), lambda c: c.products.list(), base),
        (
            "success false",
            fault("status", "customers_list", status=200, body='{"success":false,"error":{"code":"X"}}'),
            lambda c: c.customers.list(),
            base,
        ),
        (
            "read timeout",
            fault("latency", "customers_list", latency=2.0),
            lambda c: c.customers.list(timeout=0.2),
            base,
        ),
        ("not found", None, lambda c: c.customers.retrieve("cus_missing"), base),
        ("bad request", None, lambda c: c.customers.create(name="D", phone="not a phone"), base),
        ("conflict", None, lambda c: c.customers.create(name="Dup", email="noa@example.com"), base),
        ("bad argument", None, lambda c: c.products.upload_image(content=PNG, content_type="image/bmp"), base),
        ("key in extra_headers", None, lambda c: c.customers.list(extra_headers={"Authorization": key}), base),
        ("bad extra header", None, lambda c: c.customers.list(extra_headers={"X-Key": 1}), base),
        (
            "key in request headers",
            None,
            lambda c: c.request("GET", "/v1/customers", headers={"Authorization": key}),
            base,
        ),
        ("request to an absolute URL", None, lambda c: c.request("GET", f"https://{key}.example/v1"), base),
        ("request to an unknown path", None, lambda c: c.with_raw_response.request("GET", "/v1/invoices"), base),
        ("refused", None, lambda c: c.customers.list(), refused_url),
        ("connect timeout", None, lambda c: c.customers.create(name="A", timeout=0.2), blackhole_url),
    ]
    prepared: list[tuple[str, Callable[[Any], Any], str]] = []
    for label, install, invoke, url in cases:

        def run(client: Any, install: Callable[[], Any] | None = install, invoke: Callable[[Any], Any] = invoke) -> Any:
            faults.clear()
            if install is not None:
                install()
            return invoke(client)

        prepared.append((label, run, url))
    return prepared


@pytest.mark.parametrize("mode", list(KEYS))
def test_the_key_appears_nowhere_in_a_full_run(
    server: FakeServer,
    blackhole_url: str,
    refused_url: str,
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    mode: str,
):
    key = KEYS[mode]
    needles = [key[8:], key[8:24]]
    demo = _demo()
    texts: list[str] = []
    errors: list[ChingError] = []

    def keep(client: Any) -> Any:
        clone = client.with_options(timeout=7, max_retries=1)
        texts.extend([repr(client), str(client), repr(clone), repr(client.customers), repr(client.products)])
        return client

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # The demo flow, on both clients, exactly as `make demo` runs it.
        async_client = keep(AsyncChing(api_key=key, base_url=server.base_url))
        anyio.run(demo.run_async, async_client, backend="asyncio")
        with Ching(api_key=key, base_url=server.base_url) as sync_client:
            demo.sync_flow(keep(sync_client))
            texts += [repr(sync_client.customers.list()), repr(sync_client.products.list())]
        server.fake.faults.clear()

        # Every error case, on one client of each kind per base URL.
        groups: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {}
        for label, run, url in _error_cases(server, key, blackhole_url, refused_url):
            groups.setdefault(url, []).append((label, run))
        for url, cases in groups.items():
            with Ching(api_key=key, base_url=url) as sync_client:
                keep(sync_client)
                for label, run in cases:
                    try:
                        run(sync_client)
                    except ChingError as exc:
                        errors.append(exc)
                    else:
                        pytest.fail(f"{label}: no error on Ching")

            async def on_async(url: str = url, cases: list[tuple[str, Callable[[Any], Any]]] = cases) -> None:
                async with AsyncChing(api_key=key, base_url=url) as async_client:
                    keep(async_client)
                    for label, run in cases:
                        try:
                            await run(async_client)
                        except ChingError as exc:
                            errors.append(exc)
                        else:
                            pytest.fail(f"{label}: no error on AsyncChing")

            anyio.run(on_async, backend="asyncio")
        server.fake.faults.clear()

        # A revoked key (401) on both clients, and configurations refused at construction.
        with Ching(api_key=REVOKED, base_url=server.base_url) as revoked:
            try:
                revoked.customers.list()
            except ChingError as exc:
                errors.append(exc)

        async def revoked_async() -> None:
            async with AsyncChing(api_key=REVOKED, base_url=server.base_url) as revoked:
                await revoked.customers.list()

        try:
            anyio.run(revoked_async, backend="asyncio")
        except ChingError as exc:
            errors.append(exc)
        bad_configurations: list[dict[str, Any]] = [
            {"api_key": key + "\n"},
            {"api_key": " " + key},
            {"api_key": "pk_" + key},
            {"api_key": key[:-1] + "!"},
            {"api_key": key, "base_url": "api.ching.co.il/ching"},
            {"api_key": key.replace("_test_", "_live_"), "base_url": "http://api.ching.co.il/ching"},
        ]
        for cls in (Ching, AsyncChing):
            for bad in bad_configurations:
                try:
                    cls(**bad)
                except ChingError as exc:
                    errors.append(exc)
                else:
                    pytest.fail(f"{cls.__name__} accepted a bad configuration")
        gc_warnings = [str(w.message) for w in caught]

    out = capsys.readouterr()
    assert "retrieve gives a tombstone: True" in out.out  # the demo really ran
    assert len(errors) == 2 * 20 + 2 + 12
    assert len({type(error) for error in errors}) >= 10
    for error in errors:
        texts.extend(_everything_about(error))
    texts += [out.out, out.err, debug_logs.text, *gc_warnings]
    texts += [f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in debug_logs.records]
    assert any(r.name == "ching_client" and r.levelno == logging.DEBUG for r in debug_logs.records)
    for text in texts:
        for needle in needles:
            assert needle not in text, f"the key leaked: ...{text[max(0, text.find(needle) - 120) :][:240]}..."
    assert server.fake.counts(key).customers > 0  # the key was used all along, just never shown
