"""The SDK's own suite runs on the engine ``CHING_HTTP_ENGINE`` names, else on the SDK's default (httpx2).

pytest-httpx is installed here, and with it active ching_client's pytest plugin builds a user's clients on httpx
for the whole run when the variable is unset (pytest-httpx intercepts httpx only). This suite must test the
default engine too, so it sets the variable first; ``make test`` then runs the engine suites again on httpx.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ching_client._http.engines import DEFAULT_ENGINE, ENGINE_VARIABLE

if TYPE_CHECKING:
    from ching_client.testing import FakeServer


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(ENGINE_VARIABLE, DEFAULT_ENGINE)


@pytest.fixture(scope="module")
def live_server() -> Iterator[FakeServer]:
    """The local Ching served by uvicorn on 127.0.0.1 and a free port, for the whole module."""
    from ching_client.testing import FakeChing, serve

    with serve(FakeChing(seed=2026)) as server:
        yield server
