"""Stored objects (customers, products, images, those of operations served by convention) and their wire form.

Customers and products keep the fields Ching's docs define as attributes, and any field the spec
adds in ``extra``, shown as the spec's response schema asks (``Shape``): a field never set is null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ._clock import format_millis
from ._keys import Scope

if TYPE_CHECKING:
    from ._spec import Shape


def _with_spec_fields(wire: dict[str, object], extra: Mapping[str, object], shape: Shape | None) -> dict[str, object]:
    """Add the fields the spec adds: those set (if the response schema lists them), then required ones never set."""
    if shape is None:
        wire.update((name, value) for name, value in extra.items() if name not in wire)
        return wire
    for name, value in extra.items():
        if name in shape.known and name not in wire:
            wire[name] = value
    if not shape.defaults.keys() <= wire.keys():  # the usual case, every required field present, in one C call
        for name, default in shape.defaults.items():
            if name not in wire:
                wire[name] = default
    return wire


Feature = dict[str, str | None]
"""A product feature as stored and returned: `{"title": str, "subtitle": str | None}`."""


@dataclass(frozen=True)
class _Owned:
    """What every stored object has: its id, the project and mode it belongs to, and when it was made."""

    id: str
    project: str
    livemode: bool
    seq: int
    created_ms: int

    @property
    def scope(self) -> Scope:
        """The project and mode this object belongs to."""
        return Scope(self.project, self.livemode)


@dataclass(frozen=True)
class CustomerRecord(_Owned):
    """A customer row; `deleted` marks a tombstone."""

    name: str
    email: str | None = None
    phone: str | None = None
    locale: str = "he"
    tax_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    default_payment_method: str | None = None
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields the spec adds to Ching's documented ones, by wire name."""

    schema_name: ClassVar[str] = "Customer"

    def to_wire(self, shape: Shape | None = None) -> dict[str, object]:
        """Render the customer object (or its tombstone when deleted), with the fields ``shape`` asks for."""
        if self.deleted:
            return {"id": self.id, "object": "customer", "deleted": True}
        wire: dict[str, object] = {
            "id": self.id,
            "object": "customer",
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "locale": self.locale,
            "taxId": self.tax_id,
            "metadata": dict(self.metadata),
            "default_payment_method": self.default_payment_method,
            "livemode": self.livemode,
            "created": format_millis(self.created_ms),
        }
        return _with_spec_fields(wire, self.extra, shape)


@dataclass(frozen=True)
class ProductRecord(_Owned):
    """A product row."""

    name: str
    description: str | None = None
    image_url: str | None = None
    features: list[Feature] = field(default_factory=list)
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields the spec adds to Ching's documented ones, by wire name."""

    schema_name: ClassVar[str] = "Product"

    def to_wire(self, shape: Shape | None = None) -> dict[str, object]:
        """Render the product object, with the fields ``shape`` asks for."""
        wire: dict[str, object] = {
            "id": self.id,
            "object": "product",
            "name": self.name,
            "description": self.description,
            "image_url": self.image_url,
            "features": [dict(feature) for feature in self.features],
            "active": self.active,
            # Ching's official CLI reads `unlisted`; nothing in the API sets it, so it is always false here.
            "unlisted": False,
            "metadata": dict(self.metadata),
            "livemode": self.livemode,
            "created": format_millis(self.created_ms),
        }
        return _with_spec_fields(wire, self.extra, shape)


@dataclass(frozen=True)
class ObjectRecord(_Owned):
    """An object of an operation served by convention: its collection, its parent's ids, and its JSON."""

    collection: str
    """The collection's path template, parameters unnamed: ``/v1/customers/{}/invoices``."""
    parent: str
    """The path parameters naming the parent, joined by ``/`` (empty for a top-level collection)."""
    data: dict[str, Any]


@dataclass(frozen=True)
class ImageRecord:
    """An uploaded image, served publicly under its file name."""

    name: str
    project: str
    livemode: bool
    seq: int
    created_ms: int
    content_type: str
    data: bytes

    @property
    def scope(self) -> Scope:
        """The project and mode that uploaded the image."""
        return Scope(self.project, self.livemode)


def to_doc(record: CustomerRecord | ProductRecord | ObjectRecord) -> dict[str, Any]:
    """Turn a record into a JSON-ready dict (for persistent stores)."""
    return asdict(record)


def customer_from_doc(doc: dict[str, Any]) -> CustomerRecord:
    """Rebuild a customer from `to_doc` output."""
    return CustomerRecord(**doc)


def product_from_doc(doc: dict[str, Any]) -> ProductRecord:
    """Rebuild a product from `to_doc` output."""
    return ProductRecord(**doc)


def object_from_doc(doc: dict[str, Any]) -> ObjectRecord:
    """Rebuild an object stored by convention from `to_doc` output."""
    return ObjectRecord(**doc)
