"""Business rules by operationId: the one way to teach the local Ching what the spec cannot say.

Every operation of the spec is served; an operation with no rule is served by REST convention
(``_convention``). A rule replaces the convention for one operationId. The built-in operations
(``_customers``, ``_products``) register their rules here too, with ``rule``::

    from ching_client.testing import rule

    @rule("customers_list_invoices")
    def list_invoices(ctx, params, body):
        ctx.store  # the fake's store; ctx.scope is the caller's project and mode
        return [{"id": "inv_1", "object": "invoice", "amount": 100}]  # data of the success envelope

A rule gets the request's context, its path parameters and its body, already checked against the
spec (unknown fields dropped). It returns the ``data`` of the success envelope (or a whole
``FakeResponse``) and raises ``ApiError`` for a failure; whatever it answers is checked against
the spec before it is sent. ``FakeChing.rule`` teaches one fake only; this module's ``rule``
teaches every fake of the process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ._context import Handler
from ._validate import FieldSpec

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


RULES = Rules()
"""The process-wide rules: the built-in operations' and every one registered with ``rule``."""


def rule(operation_id: str, *, fields: Sequence[FieldSpec] = ()) -> Callable[[H], H]:
    """Teach every local Ching of this process a business rule for ``operation_id`` (a decorator).

    ``fields`` are the body fields the rule checks by hand (``FieldSpec``); the spec checks the rest.
    """
    return RULES(operation_id, fields=fields)
