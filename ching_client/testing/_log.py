"""The request log: every API request the fake received, in arrival order, with secrets redacted."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ._keys import redact_authorization


@dataclass(frozen=True)
class LoggedRequest:
    """One received request and what the fake did with it."""

    seq: int
    method: str
    path: str
    """The path as received, `/ching` prefix included if sent."""
    query: str
    headers: dict[str, str]
    """Lower-cased header names; the Authorization key is redacted to its prefix and last 4 characters."""
    body: Any
    """The parsed JSON body; None if there was none or it was not JSON (then see `raw_body`)."""
    raw_body: str | None
    """The body text when it was not valid JSON, else None."""
    operation_id: str | None
    fault: str | None
    """The simulated fault (`status`, `drop_after`, ...; `latency` if only delayed), else None."""
    delay: float
    status: int | None
    """The status sent, or None when the connection was dropped."""
    livemode: bool | None
    project: str | None
    note: str | None = None
    """How the answer was made when the spec did not say enough (e.g. "answered the spec's example: ...")."""
    request_id: str | None = None
    """The ``X-Request-Id`` the answer carried (``req_…``); for a dropped connection, the one it would have carried."""

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON-ready data (for GET /_fake/requests)."""
        return asdict(self)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names and redact the API key."""
    cleaned = {name.lower(): value for name, value in headers.items()}
    if "authorization" in cleaned:
        cleaned["authorization"] = redact_authorization(cleaned["authorization"])
    return cleaned


class RequestLog:
    """A bounded, thread-safe list of LoggedRequest, oldest first."""

    def __init__(self, limit: int = 10_000) -> None:
        """Keep at most `limit` entries (the oldest are forgotten first)."""
        self._lock = threading.Lock()
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)
        self._seq = 0

    def next_seq(self) -> int:
        """Reserve the next entry number."""
        with self._lock:
            self._seq += 1
            return self._seq

    def append(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        """Forget every entry (numbering continues)."""
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[LoggedRequest]:
        """A snapshot of all entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def for_operation(self, operation_id: str) -> list[LoggedRequest]:
        """The entries of one operation, oldest first."""
        return [entry for entry in self.entries() if entry.operation_id == operation_id]

    def since(self, seq: int) -> list[LoggedRequest]:
        """The entries numbered after `seq`."""
        return [entry for entry in self.entries() if entry.seq > seq]

    def last(self) -> LoggedRequest:
        """The most recent entry (IndexError when empty)."""
        with self._lock:
            return self._entries[-1]

    def __iter__(self) -> Iterator[LoggedRequest]:
        """Iterate over a snapshot."""
        return iter(self.entries())

    def __len__(self) -> int:
        """Number of entries kept."""
        with self._lock:
            return len(self._entries)
