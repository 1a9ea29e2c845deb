"""What an operation handler gets (the caller's scope, the fake's store, clock and ids, and the spec), and the rules
that map operationIds to handlers (``Rules``; ``_rules`` holds the process-wide ones)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._clock import Clock, to_millis
from ._ids import IdGenerator
from ._keys import Scope
from ._store import Store
from ._validate import FieldSpec

if TYPE_CHECKING:
    from ._records import CustomerRecord, ProductRecord
    from ._spec import Api, Operation

LIST_LIMIT = 100
"""Lists return at most this many objects (the docs' "100 most recent")."""
UNCAPPED = 1 << 62
"""What a list the spec pages holds before it is cut into pages: everything."""


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
    request_id: str = ""
    """The ``X-Request-Id`` the answer will carry (``req_…``), for log lines about this request."""

    @property
    def list_limit(self) -> int:
        """How many objects a list holds: 100, or every one when the spec pages it (``_paging`` cuts the page)."""
        return UNCAPPED if "x-ching-pagination" in self.operation.spec else LIST_LIMIT

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


H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Rule:
    """A handler for one operation, and the body fields it checks by hand (the spec checks the others)."""

    handler: Handler
    fields: tuple[FieldSpec, ...] = ()

    @property
    def handled(self) -> frozenset[str]:
        """The names of the fields checked by hand."""
        return frozenset(spec.name for spec in self.fields)


class Rules:
    """Rules by operationId; a fake's own rules fall back on the process-wide ones."""

    def __init__(self, parent: Rules | None = None) -> None:
        """Start empty; look up in ``parent`` what is not found here."""
        self._parent = parent
        self._rules: dict[str, Rule] = {}

    def add(self, operation_id: str, handler: Handler, *, fields: Sequence[FieldSpec] = ()) -> None:
        """Serve ``operation_id`` with ``handler``, replacing any earlier rule for it."""
        self._rules[operation_id] = Rule(handler, tuple(fields))

    def __call__(self, operation_id: str, *, fields: Sequence[FieldSpec] = ()) -> Callable[[H], H]:
        """A decorator form of ``add``: ``@rules("customers_create")``."""

        def register(handler: H) -> H:
            self.add(operation_id, handler, fields=fields)
            return handler

        return register

    def remove(self, operation_id: str) -> bool:
        """Forget this registry's rule for ``operation_id`` (the parent's, if any, applies again)."""
        return self._rules.pop(operation_id, None) is not None

    def get(self, operation_id: str) -> Rule | None:
        """The rule for ``operation_id``: this registry's, else its parent's, else None."""
        found = self._rules.get(operation_id)
        if found is None and self._parent is not None:
            return self._parent.get(operation_id)
        return found

    def __iter__(self) -> Iterator[str]:
        """The operationIds with a rule, the parent's included."""
        seen = set(self._rules)
        yield from self._rules
        if self._parent is not None:
            yield from (operation_id for operation_id in self._parent if operation_id not in seen)
