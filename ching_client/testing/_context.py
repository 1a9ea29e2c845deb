"""What an operation handler gets: the caller's scope and the fake's store, clock and id generator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._clock import Clock, to_millis
from ._ids import IdGenerator
from ._keys import Scope
from ._store import Store
from ._wire import FakeResponse

LIST_LIMIT = 100
"""Lists return at most this many objects (the docs' "100 most recent")."""


@dataclass(frozen=True)
class Context:
    """Per-request handler environment."""

    scope: Scope
    store: Store
    clock: Clock
    ids: IdGenerator
    base_url: str
    """The base the client used, e.g. `http://127.0.0.1:12111/ching`, for absolute URLs in responses."""
    create_status: int = 200

    def now_ms(self) -> int:
        """Read the clock in epoch milliseconds."""
        return to_millis(self.clock.now())

    def new_id(self, prefix: str) -> str:
        """Make an id no stored object has yet."""
        for _ in range(1_000_000):
            candidate = self.ids.new(prefix)
            if not self.store.id_exists(candidate):
                return candidate
        raise RuntimeError("id generator keeps returning ids already in use")


Handler = Callable[[Context, Mapping[str, str], dict[str, Any]], FakeResponse]
"""An operation: (context, path parameters, validated body) -> response; raises ApiError on failure."""
