"""The five product operations' rules, as Ching's docs define them: create, list, retrieve, update, upload_image.

Fields the spec adds to a product are stored in ``ProductRecord.extra`` and shown as the spec's
``Product`` schema asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import _schemas as schemas
from ._context import Context
from ._records import ImageRecord, ProductRecord
from ._rules import rule
from ._wire import ApiError, FakeResponse, success

IMAGE_ROUTE = "/_fake/images"
"""Where uploaded images are served, relative to the base URL."""

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_FIELDS = ("name", "description", "image_url", "features", "active", "metadata")
"""The product fields Ching's docs define; others the spec adds are kept in `extra`."""


def _load(ctx: Context, product_id: str) -> ProductRecord:
    """Fetch a product of the caller's scope or raise 404."""
    record = ctx.store.get_product(ctx.scope, product_id)
    if record is None:
        raise ApiError(404, "NOT_FOUND", "Product not found")
    return record


def _patch(record: ProductRecord, body: dict[str, Any]) -> ProductRecord:
    """Apply present fields; null clears description/image_url, and features (to []).

    Fields the spec adds go to `extra`.
    """
    changes: dict[str, Any] = {}
    for name in ("name", "description", "image_url", "active"):
        if name in body:
            changes[name] = body[name]
    if "features" in body:
        changes["features"] = list(body["features"] or [])
    if "metadata" in body:
        changes["metadata"] = dict(body["metadata"])
    added = {name: value for name, value in body.items() if name not in _FIELDS}
    if added:
        changes["extra"] = {**record.extra, **added}
    return replace(record, **changes)


@rule("products_create", fields=schemas.PRODUCT_CREATE)
def create(ctx: Context, _params: Mapping[str, str], body: dict[str, Any]) -> FakeResponse:
    """POST /v1/products: a new, active product."""
    record = ProductRecord(
        id=ctx.new_id("prod_"),
        project=ctx.scope.project,
        livemode=ctx.scope.livemode,
        seq=ctx.store.next_seq(),
        created_ms=ctx.now_ms(),
        name=body["name"],
    )
    record = _patch(record, body)
    ctx.store.save_product(record)
    return success(ctx.wire(record), status=ctx.create_status)


@rule("products_list")
def list_(ctx: Context, _params: Mapping[str, str], _body: dict[str, Any]) -> FakeResponse:
    """GET /v1/products: the 100 newest products, retired ones included."""
    return success([ctx.wire(record) for record in ctx.store.list_products(ctx.scope, ctx.list_limit)])


@rule("products_retrieve")
def retrieve(ctx: Context, params: Mapping[str, str], _body: dict[str, Any]) -> FakeResponse:
    """GET /v1/products/{id}."""
    return success(ctx.wire(_load(ctx, params["id"])))


@rule("products_update", fields=schemas.PRODUCT_UPDATE)
def update(ctx: Context, params: Mapping[str, str], body: dict[str, Any]) -> FakeResponse:
    """POST /v1/products/{id}: patch; features are replaced wholesale."""
    record = _patch(_load(ctx, params["id"]), body)
    ctx.store.save_product(record)
    return success(ctx.wire(record))


@rule("products_upload_image", fields=schemas.PRODUCT_UPLOAD_IMAGE)
def upload_image(ctx: Context, _params: Mapping[str, str], body: dict[str, Any]) -> FakeResponse:
    """POST /v1/products/upload_image: store the bytes and return a URL this fake serves."""
    content_type: str = body.get("content_type", "image/png")
    created_ms = ctx.now_ms()
    token = ctx.ids.new("")
    stem = body.get("filename") or f"image-{token}"
    name = f"{created_ms}-{stem}.{_EXTENSIONS[content_type]}"
    if ctx.store.get_image(name) is not None:
        name = f"{created_ms}-{stem}-{token}.{_EXTENSIONS[content_type]}"
    ctx.store.save_image(
        ImageRecord(
            name=name,
            project=ctx.scope.project,
            livemode=ctx.scope.livemode,
            seq=ctx.store.next_seq(),
            created_ms=created_ms,
            content_type=content_type,
            data=body["content"],
        )
    )
    return success({"url": f"{ctx.base_url}{IMAGE_ROUTE}/{name}"})
