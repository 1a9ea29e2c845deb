"""Fixtures for the reliability suite: one local Ching over loopback per module (``live_server``, in the suite's root
conftest), reset per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ching_client import Ching
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer, no_backoff

from ._support import Clients, blackhole, refused


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retry decisions stay real, but nothing ever sleeps for a backoff."""
    with no_backoff():
        yield


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own CHING_* settings must not leak into the tests."""
    for name in ("CHING_API_KEY", "CHING_BASE_URL", "CHING_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(live_server: FakeServer) -> FakeServer:
    """The module's server with no data, no faults and an empty request log."""
    live_server.fake.reset()
    return live_server


@pytest.fixture(scope="module")
def inspector(live_server: FakeServer) -> Iterator[Ching]:
    """A fault-free sync client for setting up and reading back state (faults target other operations)."""
    with Ching(api_key=DEFAULT_TEST_KEY, base_url=live_server.base_url) as ching:
        yield ching


@pytest.fixture(scope="module")
def blackhole_url() -> Iterator[str]:
    """A loopback base URL where every connect times out (see ``_support.blackhole``)."""
    with blackhole() as url:
        yield url


@pytest.fixture(scope="module")
def refused_url() -> Iterator[str]:
    """A loopback base URL where every connection is refused (see ``_support.refused``)."""
    with refused() as url:
        yield url


@pytest.fixture(scope="module")
def clients_at(live_server: FakeServer, blackhole_url: str, refused_url: str) -> Iterator[Callable[[str], Clients]]:
    """Both clients, built once per module, for a target: "server", "refused" or "blackhole"."""
    urls = {"server": live_server.base_url, "refused": refused_url, "blackhole": blackhole_url}
    built: dict[str, Clients] = {}

    def get(target: str) -> Clients:
        if target not in built:
            built[target] = Clients(urls[target])
        return built[target]

    yield get
    for clients in built.values():
        clients.close()
