"""The bulk tests share the reliability suite's fixtures: no backoff sleeps, no CHING_* settings from
the developer's shell, and one local Ching over loopback per module, reset for each test."""

from __future__ import annotations

from tests.reliability.conftest import _clean_environment, _no_backoff, server

__all__ = ["_clean_environment", "_no_backoff", "server"]  # live_server is the suite's (tests/conftest.py)
