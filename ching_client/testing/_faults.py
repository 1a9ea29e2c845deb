"""Fault injection: pick, per request, which failure (if any) the fake should simulate."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from ._routes import split_prefix


class FaultKind(StrEnum):
    """The failures the fake can simulate."""

    LATENCY = "latency"
    """Answer normally, `latency` seconds late (the request is applied first, as on a slow server)."""
    STATUS = "status"
    """Answer with `status` without applying the request (500/503 JSON, 502/504 HTML, 429 + Retry-After)."""
    DROP_AFTER = "drop_after"
    """Apply the request, then lose the response (connection closed)."""
    DROP_BEFORE = "drop_before"
    """Lose the request before it is applied."""
    MALFORMED = "malformed_json"
    """Apply the request, then answer 200 with a truncated JSON body."""


@dataclass(frozen=True)
class Fault:
    """One fault rule: what to simulate, for which requests, how often."""

    id: int
    kind: FaultKind
    operation: str | None = None
    """An operationId (`customers_create`), `METHOD /v1/path` (template or concrete), or None for all."""
    times: int | None = None
    """Trigger on the next N matching requests only; None means no limit."""
    probability: float = 1.0
    """Chance that a matching request triggers it (drawn from the fake's seeded RNG)."""
    status: int = 500
    latency: float = 0.0
    """Seconds to wait before answering (any kind)."""
    retry_after: str | None = None
    """`Retry-After` header value; for status 429 it defaults to "1" (send "" to omit it)."""
    body: str | None = None
    """Response body to use instead of the default one for this status."""

    def matches(self, operation_id: str | None, method: str, template: str | None, path: str) -> bool:
        """Tell whether this rule targets the request."""
        if self.operation is None:
            return True
        if self.operation == operation_id:
            return True
        return self.operation in (f"{method} {template}", f"{method} {path}")

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON-ready data (for the admin API)."""
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data


_FAULT_FIELDS = ("operation", "times", "probability", "status", "latency", "retry_after", "body")


def _check(options: Mapping[str, Any], operation_ids: frozenset[str]) -> None:
    """Reject nonsensical fault options early, with a clear message."""
    times, probability, status, latency = (
        options.get("times"),
        options.get("probability", 1.0),
        options.get("status", 500),
        options.get("latency", 0.0),
    )
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ValueError("times must be a positive integer or None")
    if not isinstance(probability, int | float) or not 0.0 <= probability <= 1.0:
        raise ValueError("probability must be between 0 and 1")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code")
    if not isinstance(latency, int | float) or latency < 0:
        raise ValueError("latency must be a non-negative number of seconds")
    operation = options.get("operation")
    if operation is not None and (
        not isinstance(operation, str) or (" " not in operation and operation not in operation_ids)
    ):
        raise ValueError(f"unknown operation {operation!r}: use an operationId or 'METHOD /v1/path'")
    for name in ("retry_after", "body"):
        if options.get(name) is not None and not isinstance(options[name], str):
            raise ValueError(f"{name} must be a string")


def _normalise_target(target: str) -> str:
    """Spell a `METHOD /path` target the way requests are matched: upper-case method, no `/ching` prefix."""
    method, _, path = target.strip().partition(" ")
    return f"{method.upper()} {split_prefix(path.strip())[1]}"


@dataclass(frozen=True)
class Triggered:
    """The faults a request drew: the main one (if any) and the total delay."""

    fault: Fault | None
    delay: float
    kinds: tuple[FaultKind, ...]


class Faults:
    """The registry of active fault rules; thread-safe, with a seeded RNG for probabilities."""

    def __init__(self, seed: int | None = 0, operation_ids: frozenset[str] | None = None) -> None:
        """Start with no rules; `seed` makes probabilistic faults reproducible.

        ``operation_ids`` are the names a rule may target (default: the shipped spec's operations).
        """
        if operation_ids is None:
            from ._spec import shipped_api

            operation_ids = shipped_api().operation_ids
        self._operation_ids = operation_ids
        self._lock = threading.Lock()
        self._rules: dict[int, Fault] = {}
        self._remaining: dict[int, int | None] = {}
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)  # noqa: S311 - reproducible test faults, not security

    def add(self, kind: FaultKind | str, **options: Any) -> Fault:
        """Add a rule, e.g. `add("status", status=503, operation="customers_create", times=1)`."""
        kind = FaultKind(kind)
        unknown = set(options) - set(_FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        _check(options, self._operation_ids)
        if isinstance(options.get("operation"), str) and " " in options["operation"]:
            options["operation"] = _normalise_target(options["operation"])
        with self._lock:
            fault = Fault(id=next(self._ids), kind=kind, **options)
            self._rules[fault.id] = fault
            self._remaining[fault.id] = fault.times
            return fault

    def add_from_dict(self, data: Mapping[str, Any]) -> Fault:
        """Add a rule described as JSON (`{"kind": "status", "status": 503, ...}`)."""
        options = dict(data)
        kind = options.pop("kind", None)
        if not isinstance(kind, str):
            raise ValueError(f"kind is required: one of {', '.join(k.value for k in FaultKind)}")
        return self.add(kind, **options)

    def remove(self, fault_id: int) -> bool:
        """Remove one rule; return whether it existed."""
        with self._lock:
            self._remaining.pop(fault_id, None)
            return self._rules.pop(fault_id, None) is not None

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._remaining.clear()

    def seed(self, seed: int | None) -> None:
        """Reseed the RNG used for probabilistic faults."""
        with self._lock:
            self._rng.seed(seed)

    def remaining(self, fault_id: int) -> int | None:
        """How many more times a rule will trigger (None: unlimited); 0 once used up or removed."""
        with self._lock:
            return self._remaining.get(fault_id, 0) if fault_id in self._rules else 0

    def __iter__(self) -> Iterator[Fault]:
        """Iterate over a snapshot of the active rules."""
        with self._lock:
            return iter(list(self._rules.values()))

    def __len__(self) -> int:
        """Number of active rules."""
        with self._lock:
            return len(self._rules)

    def draw(self, operation_id: str | None, method: str, template: str | None, path: str) -> Triggered:
        """Decide the faults for one request: latency rules add up; the first other rule wins."""
        with self._lock:
            main: Fault | None = None
            delay = 0.0
            kinds: list[FaultKind] = []
            for fault in list(self._rules.values()):
                if main is not None and fault.kind is not FaultKind.LATENCY:
                    continue
                if not fault.matches(operation_id, method, template, path):
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                self._consume(fault.id)
                delay += fault.latency
                kinds.append(fault.kind)
                if fault.kind is not FaultKind.LATENCY:
                    main = fault
            return Triggered(main, delay, tuple(kinds))

    def _consume(self, fault_id: int) -> None:
        """Count one use of a rule, removing it when used up."""
        left = self._remaining.get(fault_id)
        if left is None:
            return
        if left <= 1:
            del self._rules[fault_id]
            del self._remaining[fault_id]
        else:
            self._remaining[fault_id] = left - 1
