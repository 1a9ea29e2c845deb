"""The bulk tests share the reliability suite's fixtures: no backoff sleeps, no CHING_* settings from
the developer's shell, and one local Ching over loopback per module, reset for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ching_client._core import retry_policy as _retry_policy
from tests.reliability.conftest import _clean_environment, _no_backoff, server

__all__ = ["_clean_environment", "_no_backoff", "server"]  # live_server is the suite's (tests/conftest.py)


@pytest.fixture
def real_waits() -> Iterator[None]:
    """The pacer's pauses as a client really takes them (``_no_backoff`` zeroes them)."""
    _retry_policy.set_zero_backoff(False)
    yield
    _retry_policy.set_zero_backoff(True)
