"""pytest fixtures for testing code that uses the Ching SDK, registered as the ``ching_client`` plugin.

pytest loads this module by itself wherever ching-client is installed (the ``pytest11`` entry
point); the fixtures need the ``testing`` extra. Each test gets its own local Ching, and no
fixture lets the SDK sleep between retries:

- ``fake_ching``: a fresh in-memory ``FakeChing``; backoff is off while the test runs.
- ``ching``: a ``Ching`` bound to it in-process (no sockets).
- ``async_ching``: an ``AsyncChing`` bound to it, for asyncio or trio tests (nothing to close).
- ``fake_ching_httpx``: ``fake_ching`` answering pytest-httpx's ``httpx_mock`` requests to Ching,
  for code that builds its own client; needs pytest-httpx.

Every fixture uses one key, ``DEFAULT_TEST_KEY`` (Ching keeps each key's data apart): the clients
send it, ``fake_ching.counts()`` counts under it, and a request that reaches ``fake_ching_httpx``
with another key gets ``401 NO_ACCESS`` saying so, rather than an empty project's answers.

pytest-httpx intercepts httpx, not httpx2, the engine clients build their own HTTP client on by
default. So when pytest-httpx is active and ``CHING_HTTP_ENGINE`` is not set, the whole run builds
clients on httpx: a client made when a module is imported or in a module-scoped fixture is
intercepted too. And in a test that uses ``httpx_mock`` (directly or through ``fake_ching_httpx``),
clients built during the test use httpx whatever the variable says.

``-p no:ching_client`` turns the plugin off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported when a fixture runs, so loading the plugin costs a test run nothing
    from ching_client import AsyncChing, Ching

    from ._core import FakeChing


_ENGINE = "CHING_HTTP_ENGINE"
_ENGINE_SET_HERE = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """With pytest-httpx active and no engine chosen, clients build on httpx for the whole run."""
    if config.pluginmanager.hasplugin("pytest_httpx") and not os.environ.get(_ENGINE):
        os.environ[_ENGINE] = "httpx"
        config.stash[_ENGINE_SET_HERE] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_ENGINE_SET_HERE, False):
        os.environ.pop(_ENGINE, None)


@pytest.fixture(autouse=True)
def _ching_on_httpx_under_httpx_mock(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a test that uses pytest-httpx, clients build their HTTP client on httpx, which it intercepts."""
    if "httpx_mock" not in request.fixturenames:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(_ENGINE, "httpx")
        yield


@pytest.fixture
def fake_ching() -> Iterator[FakeChing]:
    """A fresh local Ching for this test, in memory; the SDK does not wait between retries meanwhile."""
    from ._core import FakeChing
    from ._sdk import no_backoff

    with FakeChing() as fake, no_backoff():
        yield fake


@pytest.fixture
def ching(fake_ching: FakeChing) -> Iterator[Ching]:
    """A sync ``Ching`` whose requests go to ``fake_ching`` in-process, with ``DEFAULT_TEST_KEY``."""
    with fake_ching.ching() as client:
        yield client


@pytest.fixture
def async_ching(fake_ching: FakeChing) -> AsyncChing:
    """An ``AsyncChing`` whose requests go to ``fake_ching`` in-process, with ``DEFAULT_TEST_KEY``.

    It holds no connections, so the test need not close it (``async with`` works too).
    """
    return fake_ching.async_ching()


@pytest.fixture
def fake_ching_httpx(fake_ching: FakeChing, httpx_mock: Any) -> FakeChing:
    """``fake_ching``, answering every request to Ching that pytest-httpx intercepts (see ``back_httpx_mock``).

    It takes ``DEFAULT_TEST_KEY``, the key of ``ching``, ``async_ching`` and ``fake_ching.ching()``: code under
    test with another key gets ``AuthenticationError`` saying which key to use.
    """
    from ._httpx_mock import back_httpx_mock

    return back_httpx_mock(httpx_mock, fake_ching)
