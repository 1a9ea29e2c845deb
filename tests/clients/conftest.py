"""Fixtures: every behaviour test runs on AsyncChing (under asyncio and trio) and on Ching.

``variant`` is one of ``async-asyncio``, ``async-trio`` and ``sync``; ``anyio_backend`` follows
from it, so the async client runs on both anyio backends and the sync client runs once (inside
a running asyncio loop, which is also a supported way to use it). Tests that do not involve
the sync/async pair parametrize ``anyio_backend`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ching_client._core import retry_policy as _retry_policy
from ching_client.testing import FakeServer

from ._support import Harness, Kind, ScriptedServer

VARIANTS: dict[str, tuple[Kind, str]] = {
    "async-asyncio": ("async", "asyncio"),
    "async-trio": ("async", "trio"),
    "sync": ("sync", "asyncio"),
}


@pytest.fixture(autouse=True)
def _zero_backoff() -> Iterator[None]:
    """Retry decisions stay real, but no test ever waits for a backoff."""
    _retry_policy.set_zero_backoff(True)
    yield
    _retry_policy.set_zero_backoff(False)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own CHING_* settings must not leak into the tests."""
    for name in ("CHING_API_KEY", "CHING_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> tuple[Kind, str]:
    return VARIANTS[request.param]


@pytest.fixture
def anyio_backend(variant: tuple[Kind, str]) -> str:
    return variant[1]


@pytest.fixture
def server() -> ScriptedServer:
    return ScriptedServer()


@pytest.fixture
def harness(variant: tuple[Kind, str], server: ScriptedServer) -> Harness:
    return Harness(kind=variant[0], server=server)


@pytest.fixture
def local(live_server: FakeServer) -> FakeServer:
    """The module's local Ching over loopback (for clients on the SDK's own pool, ``_support.own_pool``) with no
    data, no faults and an empty request log."""
    live_server.fake.reset()
    return live_server
