"""Injectable clocks so `created` timestamps can be real or fully deterministic."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (or by `step` after each reading), for deterministic tests."""

    def __init__(self, start: datetime | None = None, *, step: timedelta = timedelta(0)) -> None:
        """Start at `start` (default 2026-04-19T09:12:43Z) and advance by `step` after every reading."""
        self._now = start if start is not None else datetime(2026, 4, 19, 9, 12, 43, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the current time, then advance by the configured step."""
        with self._lock:
            current = self._now
            self._now = current + self._step
            return current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        with self._lock:
            self._now += delta

    def set(self, when: datetime) -> None:
        """Jump to `when` (an aware datetime)."""
        with self._lock:
            self._now = when


def to_millis(when: datetime) -> int:
    """Convert an aware datetime to integer milliseconds since the Unix epoch."""
    return (when - _EPOCH) // _MS


def format_millis(millis: int) -> str:
    """Render epoch milliseconds the way Ching does: `2026-04-19T09:12:43.000Z`."""
    when = _EPOCH + timedelta(milliseconds=millis)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
