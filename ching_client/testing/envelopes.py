"""Ching's response bodies, for tests that mock HTTP themselves (pytest-httpx, respx).

    httpx_mock.add_response(json=envelopes.success(envelopes.customer(name="Tal Levi")))
    httpx_mock.add_response(json=envelopes.success([envelopes.customer(), envelopes.customer()]))
    httpx_mock.add_response(status_code=404, json=envelopes.error(404))

Objects are built by the same code that renders the local Ching's answers, so the SDK reads them
exactly as it reads Ching's: every field present, ``created`` as Ching formats it, ids shaped
like Ching's. Values are taken as given (a phone number is not normalised, an email not checked).

Every field the spec gives an object is accepted, by its wire name or in snake_case
(``customer(company_name="Acme")`` sets ``companyName``), and a field never given is null, as the
local Ching shows it; ``resource("Invoice", amount=100)`` builds any object the spec describes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from ching_client import InvalidArgumentError

from ._clock import to_millis
from ._failures import DEFAULT_ERRORS
from ._ids import RandomIds
from ._records import CustomerRecord, Feature, ProductRecord
from ._spec import shipped_api

__all__ = ["customer", "deleted_customer", "error", "product", "resource", "success"]

_ids = RandomIds()
_CUSTOMER_WIRE = tuple(CustomerRecord(id="", project="", livemode=False, seq=0, created_ms=0, name="").to_wire())
"""The customer fields the builders' own parameters set (the documented ones)."""
_PRODUCT_WIRE = tuple(ProductRecord(id="", project="", livemode=False, seq=0, created_ms=0, name="").to_wire())


def success(data: object, *, action: Literal["created", "updated"] | None = None) -> dict[str, Any]:
    """The success envelope around ``data`` (an object, or a list for list calls); ``action`` for upserts."""
    body: dict[str, Any] = {"success": True}
    if action is not None:
        body["action"] = action
    body["data"] = data
    return body


def error(
    status: int,
    code: str | None = None,
    message: str | None = None,
    *,
    issues: Sequence[Mapping[str, object]] | None = None,
    details: object = None,
) -> dict[str, Any]:
    """The failure envelope; pass the same ``status`` as the response's ``status_code``.

    ``code`` and ``message`` default to what Ching sends with that status (404: ``NOT_FOUND``,
    401: ``NO_ACCESS``, 429: ``RATE_LIMITED``, ...). ``issues`` are validation problems, each
    ``{"path": ["email"], "message": "Invalid email"}``, as Ching sends with 400 ``INVALID_FIELD``.
    """
    default_code, default_message = DEFAULT_ERRORS.get(status, ("ERROR", "Request failed"))
    failure: dict[str, Any] = {
        "status": status,
        "code": code if code is not None else default_code,
        "message": message if message is not None else default_message,
    }
    if issues is not None:
        failure["issues"] = [dict(issue) for issue in issues]
    if details is not None:
        failure["details"] = details
    return {"success": False, "error": failure}


def _identity(prefix: str, id: str | None, livemode: bool, created: datetime | None) -> dict[str, Any]:
    """The fields every stored object has: its id (a new random one by default), mode and creation time."""
    return {
        "id": id if id is not None else _ids.new(prefix),
        "project": "",  # not on the wire
        "livemode": livemode,
        "seq": 0,  # not on the wire
        "created_ms": to_millis(created if created is not None else datetime.now(UTC)),
    }


def _snake(name: str) -> str:
    """``companyName`` -> ``company_name``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _spec_fields(schema_name: str, builder: str, given: Mapping[str, Any], taken: Sequence[str]) -> dict[str, Any]:
    """Map keyword arguments to the schema's wire names (as written or in snake_case); TypeError for any other."""
    names = {
        variant: wire
        for wire in shipped_api().properties({"$ref": f"#/components/schemas/{schema_name}"})
        for variant in (wire, _snake(wire))
        if wire not in taken
    }
    unknown = sorted(set(given) - set(names))
    if unknown:
        accepted = ", ".join(sorted({_snake(wire) for wire in names.values()}))
        raise InvalidArgumentError(
            f"{builder}() got {', '.join(map(repr, unknown))}, which the spec's {schema_name} does not have; "
            f"its other fields: {accepted or 'none'}",
            argument=unknown[0],
        )
    return {names[key]: value for key, value in given.items()}


def customer(
    name: str = "Tal Levi",
    *,
    id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    locale: str = "he",
    tax_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
    default_payment_method: str | None = None,
    livemode: bool = False,
    created: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A customer object as Ching returns it; ``id`` defaults to a new random ``cus_…`` id, ``created`` to now.

    ``fields``: any other field of the spec's ``Customer`` (``company_name=`` or ``companyName=``).
    """
    extra = _spec_fields("Customer", "customer", fields, _CUSTOMER_WIRE)
    record = CustomerRecord(
        **_identity("cus_", id, livemode, created),
        name=name,
        email=email,
        phone=phone,
        locale=locale,
        tax_id=tax_id,
        metadata=dict(metadata or {}),
        default_payment_method=default_payment_method,
        extra=extra,
    )
    return record.to_wire(shipped_api().shape(CustomerRecord.schema_name))


def deleted_customer(id: str) -> dict[str, Any]:
    """What Ching returns for a deleted customer (delete, and retrieve afterwards)."""
    return {"id": id, "object": "customer", "deleted": True}


def product(
    name: str = "Pro Plan",
    *,
    id: str | None = None,
    description: str | None = None,
    image_url: str | None = None,
    features: Sequence[Mapping[str, str | None]] = (),
    active: bool = True,
    metadata: Mapping[str, str] | None = None,
    livemode: bool = False,
    created: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A product object as Ching returns it; ``features`` are ``{"title": ..., "subtitle": ...}``, subtitle optional.

    ``fields``: any other field of the spec's ``Product``, by wire name or in snake_case.
    """
    extra = _spec_fields("Product", "product", fields, _PRODUCT_WIRE)
    feature_list: list[Feature] = [
        {"title": feature["title"], "subtitle": feature.get("subtitle")} for feature in features
    ]
    record = ProductRecord(
        **_identity("prod_", id, livemode, created),
        name=name,
        description=description,
        image_url=image_url,
        features=feature_list,
        active=active,
        metadata=dict(metadata or {}),
        extra=extra,
    )
    return record.to_wire(shipped_api().shape(ProductRecord.schema_name))


def resource(schema: str, **fields: Any) -> dict[str, Any]:
    """Any object the spec describes, by schema name: its required fields null (or their default) unless given.

    ``resource("Invoice", id="inv_1", amount=100)``; fields by wire name or in snake_case.
    """
    api = shipped_api()
    if schema not in (api.spec.get("components") or {}).get("schemas", {}):
        names = ", ".join(sorted((api.spec.get("components") or {}).get("schemas", {})))
        raise InvalidArgumentError(f"the spec has no schema {schema!r}; it has {names}", argument="schema")
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {**api.placeholder_object(ref), **_spec_fields(schema, "resource", fields, ())}
