"""The storage interface the core needs, shared by the in-memory and SQLite stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ._keys import Scope
from ._records import CustomerRecord, ImageRecord, ObjectRecord, ProductRecord

LookupField = Literal["email", "taxId", "phone"]
"""Customer fields that can locate a customer (uniqueness checks and upsert)."""


@dataclass(frozen=True)
class ObjectCounts:
    """How many objects one project/mode holds, so tests can assert what a client really created."""

    customers: int
    deleted_customers: int
    products: int
    images: int

    @property
    def customers_created(self) -> int:
        """All customers ever created, deleted ones included."""
        return self.customers + self.deleted_customers


def lookup_key(field: LookupField, value: str) -> str:
    """Normalise a lookup value: emails match case-insensitively, other fields exactly."""
    return value.lower() if field == "email" else value


class Store(Protocol):
    """Persistence for the fake; every method is called with the core's lock held."""

    def next_seq(self) -> int:
        """Return a number larger than any returned before (orders objects created in the same ms)."""
        ...

    def id_exists(self, object_id: str) -> bool:
        """Tell whether a customer, product or other stored object already has this id."""
        ...

    def save_customer(self, record: CustomerRecord) -> None:
        """Insert or replace a customer."""
        ...

    def get_customer(self, scope: Scope, customer_id: str) -> CustomerRecord | None:
        """Return a customer (tombstones included) of this scope, or None."""
        ...

    def list_customers(self, scope: Scope, limit: int) -> list[CustomerRecord]:
        """Return up to `limit` non-deleted customers, newest first."""
        ...

    def find_customers(self, scope: Scope, field: LookupField, value: str) -> list[CustomerRecord]:
        """Return the non-deleted customers whose `field` matches `value`, newest first."""
        ...

    def save_product(self, record: ProductRecord) -> None:
        """Insert or replace a product."""
        ...

    def get_product(self, scope: Scope, product_id: str) -> ProductRecord | None:
        """Return a product of this scope, or None."""
        ...

    def list_products(self, scope: Scope, limit: int) -> list[ProductRecord]:
        """Return up to `limit` products, newest first."""
        ...

    def save_image(self, record: ImageRecord) -> None:
        """Store an uploaded image."""
        ...

    def save_object(self, record: ObjectRecord) -> None:
        """Insert or replace an object of an operation served by convention."""
        ...

    def get_object(self, scope: Scope, collection: str, object_id: str) -> ObjectRecord | None:
        """Return an object of this scope and collection, or None."""
        ...

    def list_objects(self, scope: Scope, collection: str, parent: str, limit: int) -> list[ObjectRecord]:
        """Return up to `limit` objects of a collection under one parent, newest first."""
        ...

    def delete_object(self, scope: Scope, collection: str, object_id: str) -> bool:
        """Delete an object; return whether it existed."""
        ...

    def get_image(self, name: str) -> ImageRecord | None:
        """Return an image by file name, or None."""
        ...

    def counts(self, scope: Scope) -> ObjectCounts:
        """Count the objects of one scope."""
        ...

    def clear(self) -> None:
        """Delete everything."""
        ...

    def close(self) -> None:
        """Release resources; the store is unusable afterwards."""
        ...
