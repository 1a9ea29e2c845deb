"""Fixtures for the bulk tests: no test waits for a backoff, and the developer's CHING_* settings stay out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ching_client.testing import no_backoff


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Pauses and retries are decided as usual, but nothing sleeps for them."""
    with no_backoff():
        yield


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHING_API_KEY", "CHING_BASE_URL", "CHING_LOG"):
        monkeypatch.delenv(name, raising=False)
