"""The six customer operations' rules, as Ching's docs define them: create, list, retrieve, update, upsert, soft delete.

Fields the spec adds to a customer are stored in ``CustomerRecord.extra`` and shown as the
spec's ``Customer`` schema asks; the rules themselves only know Ching's documented fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import _schemas as schemas
from ._context import Context
from ._records import CustomerRecord
from ._rules import rule
from ._store import LookupField
from ._wire import ApiError, FakeResponse, invalid, issue, success

# Wire field name -> record attribute, for the patchable fields.
_FIELDS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "locale": "locale",
    "taxId": "tax_id",
    "metadata": "metadata",
}
_CONTROL = frozenset({"identifyBy"})
"""Body fields that steer an operation and are not stored."""


def _not_found() -> ApiError:
    """The 404 for an id unknown in this project and mode."""
    return ApiError(404, "NOT_FOUND", "Customer not found")


def _load(ctx: Context, customer_id: str) -> CustomerRecord:
    """Fetch a customer of the caller's scope (tombstones included) or raise 404."""
    record = ctx.store.get_customer(ctx.scope, customer_id)
    if record is None:
        raise _not_found()
    return record


def _ensure_unique(ctx: Context, record: CustomerRecord) -> None:
    """Refuse an email or tax ID another live customer of the scope already uses (409)."""
    checks: list[tuple[LookupField, str | None, str, str]] = [
        ("email", record.email, "EMAIL_EXISTS", "A customer with this email already exists"),
        ("taxId", record.tax_id, "TAX_ID_EXISTS", "A customer with this tax ID already exists"),
    ]
    for field, value, code, message in checks:
        if value is None:
            continue
        if any(other.id != record.id for other in ctx.store.find_customers(ctx.scope, field, value)):
            raise ApiError(409, code, message, details={"field": field})


def _patch(record: CustomerRecord, body: dict[str, Any]) -> CustomerRecord:
    """Apply the fields present in `body` (patch semantics); fields the spec adds go to `extra`."""
    changes: dict[str, Any] = {attr: body[wire] for wire, attr in _FIELDS.items() if wire in body}
    if "metadata" in changes:
        changes["metadata"] = dict(changes["metadata"])
    added = {name: value for name, value in body.items() if name not in _FIELDS and name not in _CONTROL}
    if added:
        changes["extra"] = {**record.extra, **added}
    return replace(record, **changes)


def _new(ctx: Context, body: dict[str, Any]) -> CustomerRecord:
    """Build (but not store) a new customer from a validated body."""
    record = CustomerRecord(
        id=ctx.new_id("cus_"),
        project=ctx.scope.project,
        livemode=ctx.scope.livemode,
        seq=ctx.store.next_seq(),
        created_ms=ctx.now_ms(),
        name=body["name"],
    )
    return _patch(record, body)


def _save(ctx: Context, record: CustomerRecord) -> CustomerRecord:
    """Check uniqueness, then store."""
    _ensure_unique(ctx, record)
    ctx.store.save_customer(record)
    return record


@rule("customers_create", fields=schemas.CUSTOMER_CREATE)
def create(ctx: Context, _params: Mapping[str, str], body: dict[str, Any]) -> FakeResponse:
    """POST /v1/customers."""
    return success(ctx.wire(_save(ctx, _new(ctx, body))), status=ctx.create_status)


@rule("customers_list")
def list_(ctx: Context, _params: Mapping[str, str], _body: dict[str, Any]) -> FakeResponse:
    """GET /v1/customers: the 100 newest live customers."""
    return success([ctx.wire(record) for record in ctx.store.list_customers(ctx.scope, ctx.list_limit)])


@rule("customers_retrieve")
def retrieve(ctx: Context, params: Mapping[str, str], _body: dict[str, Any]) -> FakeResponse:
    """GET /v1/customers/{id}: the customer, or its tombstone."""
    return success(ctx.wire(_load(ctx, params["id"])))


@rule("customers_update", fields=schemas.CUSTOMER_UPDATE)
def update(ctx: Context, params: Mapping[str, str], body: dict[str, Any]) -> FakeResponse:
    """POST /v1/customers/{id}: patch; a deleted customer cannot be updated (400 CUSTOMER_DELETED)."""
    record = _load(ctx, params["id"])
    if record.deleted:
        raise ApiError(400, "CUSTOMER_DELETED", "This customer was deleted and can no longer be updated")
    return success(ctx.wire(_save(ctx, _patch(record, body))))


@rule("customers_upsert", fields=schemas.CUSTOMER_UPSERT)
def upsert(ctx: Context, _params: Mapping[str, str], body: dict[str, Any]) -> FakeResponse:
    """POST /v1/customers/upsert: update the newest live match on `identifyBy`, else create."""
    field: LookupField = body["identifyBy"]
    if field not in body:
        raise invalid([issue([field], f"Required when identifyBy is '{field}'")])
    value = body[field]
    if value is None:
        raise invalid([issue([field], f"Must not be empty when identifyBy is '{field}'")])
    matches = ctx.store.find_customers(ctx.scope, field, value)
    if matches:
        return success(ctx.wire(_save(ctx, _patch(matches[0], body))), action="updated")
    if "name" not in body:
        raise invalid([issue(["name"], "Required when no customer matches and one is created")])
    return success(ctx.wire(_save(ctx, _new(ctx, body))), action="created")


@rule("customers_delete")
def delete(ctx: Context, params: Mapping[str, str], _body: dict[str, Any]) -> FakeResponse:
    """DELETE /v1/customers/{id}: tombstone it and detach its card; repeating returns the same tombstone."""
    record = _load(ctx, params["id"])
    if not record.deleted:
        record = replace(record, deleted=True, default_payment_method=None)
        ctx.store.save_customer(record)
    return success(ctx.wire(record))
