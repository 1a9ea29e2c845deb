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

from collections.abc import Callable, Sequence

from ._context import H, Rules
from ._validate import FieldSpec

RULES = Rules()
"""The process-wide rules: the built-in operations' and every one registered with ``rule``."""


def rule(operation_id: str, *, fields: Sequence[FieldSpec] = ()) -> Callable[[H], H]:
    """Teach every local Ching of this process a business rule for ``operation_id`` (a decorator).

    ``fields`` are the body fields the rule checks by hand (``FieldSpec``); the spec checks the rest.
    """
    return RULES(operation_id, fields=fields)
