"""A local fake of the Ching API (like moto or stripe-mock) for tests, demos and benchmarks.

In-process: `FakeChing().async_ching()` / `.ching()` give SDK clients, `client()` a raw httpx
client (or `transport()` for any httpx client), all with no sockets.
Over HTTP: `with serve() as server: server.base_url`, or `python -m ching_client.testing --port 12111`.
It speaks the wire protocol only and never imports the SDK's client code.

It serves the spec the package was generated from (``FakeChing(spec=...)`` another one): every
operation, request check and response shape comes from it; ``rule`` teaches it a business rule
for an operationId, and an operation with none is served by REST convention (see ``_convention``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._clock import Clock, ManualClock, SystemClock
from ._context import Context
from ._core import IN_PROCESS_BASE_URL, FakeChing
from ._extras import MissingExtraError
from ._faults import Fault, FaultKind, Faults
from ._ids import IdGenerator, RandomIds, SequentialIds
from ._keys import DEFAULT_LIVE_KEY, DEFAULT_TEST_KEY, make_live_key, make_test_key
from ._log import LoggedRequest, RequestLog
from ._memory import MemoryStore
from ._rules import rule
from ._spec import shipped_spec
from ._store import ObjectCounts, Store
from ._wire import ApiError, FakeRequest, FakeResponse, Outcome

if TYPE_CHECKING:
    from ._asgi import create_asgi_app
    from ._core import FakeTransport
    from ._httpx_mock import back_httpx_mock
    from ._sdk import no_backoff
    from ._server import FakeServer, serve
    from ._sqlite import SqliteStore

# Loaded on first use so that importing this package pulls in neither httpx, sqlite3 nor uvicorn.
_LAZY = {
    "FakeTransport": "._core",
    "FakeServer": "._server",
    "serve": "._server",
    "SqliteStore": "._sqlite",
    "create_asgi_app": "._asgi",
    "back_httpx_mock": "._httpx_mock",
    "no_backoff": "._sdk",
}

__all__ = [
    "DEFAULT_LIVE_KEY",
    "DEFAULT_TEST_KEY",
    "IN_PROCESS_BASE_URL",
    "ApiError",
    "Clock",
    "Context",
    "FakeChing",
    "FakeRequest",
    "FakeResponse",
    "FakeServer",
    "FakeTransport",
    "Fault",
    "FaultKind",
    "Faults",
    "IdGenerator",
    "LoggedRequest",
    "ManualClock",
    "MemoryStore",
    "MissingExtraError",
    "ObjectCounts",
    "Outcome",
    "RandomIds",
    "RequestLog",
    "SequentialIds",
    "SqliteStore",
    "Store",
    "SystemClock",
    "back_httpx_mock",
    "create_asgi_app",
    "make_live_key",
    "make_test_key",
    "no_backoff",
    "rule",
    "serve",
    "shipped_spec",
]


def __getattr__(name: str) -> Any:
    """Import the heavier parts (transport, server, SQLite) on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
