"""Stored objects (customers, products, images) and how they look on the wire."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ._clock import format_millis
from ._keys import Scope

Feature = dict[str, str | None]
"""A product feature as stored and returned: `{"title": str, "subtitle": str | None}`."""


@dataclass(frozen=True)
class CustomerRecord:
    """A customer row; `deleted` marks a tombstone."""

    id: str
    project: str
    livemode: bool
    seq: int
    created_ms: int
    name: str
    email: str | None = None
    phone: str | None = None
    locale: str = "he"
    tax_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    default_payment_method: str | None = None
    deleted: bool = False

    @property
    def scope(self) -> Scope:
        """The project and mode this customer belongs to."""
        return Scope(self.project, self.livemode)

    def to_wire(self) -> dict[str, object]:
        """Render the customer object (or its tombstone when deleted)."""
        if self.deleted:
            return {"id": self.id, "object": "customer", "deleted": True}
        return {
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


@dataclass(frozen=True)
class ProductRecord:
    """A product row."""

    id: str
    project: str
    livemode: bool
    seq: int
    created_ms: int
    name: str
    description: str | None = None
    image_url: str | None = None
    features: list[Feature] = field(default_factory=list)
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> Scope:
        """The project and mode this product belongs to."""
        return Scope(self.project, self.livemode)

    def to_wire(self) -> dict[str, object]:
        """Render the product object."""
        return {
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


def to_doc(record: CustomerRecord | ProductRecord) -> dict[str, Any]:
    """Turn a record into a JSON-ready dict (for persistent stores)."""
    return asdict(record)


def customer_from_doc(doc: dict[str, Any]) -> CustomerRecord:
    """Rebuild a customer from `to_doc` output."""
    return CustomerRecord(**doc)


def product_from_doc(doc: dict[str, Any]) -> ProductRecord:
    """Rebuild a product from `to_doc` output."""
    return ProductRecord(**doc)
