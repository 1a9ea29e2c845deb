"""What an operation handler gets: the caller's scope, the fake's store, clock and ids, and the spec."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._clock import Clock, to_millis
from ._ids import IdGenerator
from ._keys import Scope
from ._store import Store

if TYPE_CHECKING:
    from ._records import CustomerRecord, ProductRecord
    from ._rules import Rules
    from ._spec import Api, Operation

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
    api: Api
    """The spec the fake serves, compiled."""
    operation: Operation
    """The operation being served."""
    rules: Rules
    """The fake's business rules by operationId (its own, then the process-wide ones)."""
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

    def wire(self, record: CustomerRecord | ProductRecord) -> dict[str, object]:
        """A stored customer or product as the spec's response schema shows it (fields never set are null)."""
        return record.to_wire(self.api.shape(record.schema_name))


Handler = Callable[[Context, Mapping[str, str], dict[str, Any]], Any]
"""An operation: (context, path parameters, checked body) -> the success envelope's data, or a whole
``FakeResponse``; raises ApiError on failure."""
