"""Fixtures for the fake Ching tests: a deterministic fake (memory or SQLite) and httpx clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ching_client.testing import FakeChing, ManualClock, MemoryStore, SqliteStore, Store

START = datetime(2026, 4, 19, 9, 12, 43, tzinfo=UTC)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run anyio-marked tests on both asyncio and trio."""
    return str(request.param)


@pytest.fixture
def clock() -> ManualClock:
    """A clock frozen at START (advance it explicitly)."""
    return ManualClock(START)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every semantic test runs on both stores, to keep them in step."""
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SqliteStore(tmp_path / "fake.db")
        yield sqlite
        sqlite.close()


@pytest.fixture
def fake(store: Store, clock: ManualClock) -> FakeChing:
    """A fake with a manual clock and seeded ids."""
    return FakeChing(store, clock=clock, seed=7)


@pytest.fixture
def client(fake: FakeChing) -> Iterator[httpx.Client]:
    """A sync httpx client on the fake, with the default test key."""
    with fake.client() as http:
        yield http
