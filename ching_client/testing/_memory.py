"""The default store: plain dicts with lookup indexes, gone when the process ends."""

from __future__ import annotations

import heapq
from collections import defaultdict

from ._keys import Scope
from ._records import CustomerRecord, ImageRecord, ProductRecord
from ._store import LookupField, ObjectCounts, lookup_key

_IndexKey = tuple[Scope, LookupField, str]


def _newest_first(record: CustomerRecord | ProductRecord) -> tuple[int, int]:
    """Sort key: creation time, then creation order for objects made in the same millisecond."""
    return (record.created_ms, record.seq)


def _lookup_values(record: CustomerRecord) -> list[_IndexKey]:
    """The index entries a live customer contributes."""
    if record.deleted:
        return []
    pairs: list[tuple[LookupField, str | None]] = [
        ("email", record.email),
        ("taxId", record.tax_id),
        ("phone", record.phone),
    ]
    return [(record.scope, name, lookup_key(name, value)) for name, value in pairs if value is not None]


class MemoryStore:
    """In-memory Store."""

    def __init__(self) -> None:
        """Start empty."""
        self.clear()

    def clear(self) -> None:
        """Delete everything."""
        self._seq = 0
        self._customers: dict[str, CustomerRecord] = {}
        self._products: dict[str, ProductRecord] = {}
        self._images: dict[str, ImageRecord] = {}
        self._customers_by_scope: dict[Scope, list[str]] = defaultdict(list)
        self._products_by_scope: dict[Scope, list[str]] = defaultdict(list)
        self._index: dict[_IndexKey, set[str]] = defaultdict(set)

    def close(self) -> None:
        """Nothing to release."""

    def next_seq(self) -> int:
        """Return the next sequence number."""
        self._seq += 1
        return self._seq

    def id_exists(self, object_id: str) -> bool:
        """Tell whether a customer or product has this id."""
        return object_id in self._customers or object_id in self._products

    def save_customer(self, record: CustomerRecord) -> None:
        """Insert or replace a customer, keeping the lookup index current."""
        old = self._customers.get(record.id)
        if old is None:
            self._customers_by_scope[record.scope].append(record.id)
        else:
            for key in _lookup_values(old):
                self._index[key].discard(record.id)
        self._customers[record.id] = record
        for key in _lookup_values(record):
            self._index[key].add(record.id)

    def get_customer(self, scope: Scope, customer_id: str) -> CustomerRecord | None:
        """Return a customer of this scope, or None."""
        record = self._customers.get(customer_id)
        return record if record is not None and record.scope == scope else None

    def list_customers(self, scope: Scope, limit: int) -> list[CustomerRecord]:
        """Return the newest non-deleted customers."""
        live = (self._customers[i] for i in self._customers_by_scope.get(scope, []))
        return heapq.nlargest(limit, (r for r in live if not r.deleted), key=_newest_first)

    def find_customers(self, scope: Scope, field: LookupField, value: str) -> list[CustomerRecord]:
        """Return matching non-deleted customers, newest first."""
        ids = self._index.get((scope, field, lookup_key(field, value)), set())
        return sorted((self._customers[i] for i in ids), key=_newest_first, reverse=True)

    def save_product(self, record: ProductRecord) -> None:
        """Insert or replace a product."""
        if record.id not in self._products:
            self._products_by_scope[record.scope].append(record.id)
        self._products[record.id] = record

    def get_product(self, scope: Scope, product_id: str) -> ProductRecord | None:
        """Return a product of this scope, or None."""
        record = self._products.get(product_id)
        return record if record is not None and record.scope == scope else None

    def list_products(self, scope: Scope, limit: int) -> list[ProductRecord]:
        """Return the newest products."""
        records = (self._products[i] for i in self._products_by_scope.get(scope, []))
        return heapq.nlargest(limit, records, key=_newest_first)

    def save_image(self, record: ImageRecord) -> None:
        """Store an image."""
        self._images[record.name] = record

    def get_image(self, name: str) -> ImageRecord | None:
        """Return an image by name, or None."""
        return self._images.get(name)

    def counts(self, scope: Scope) -> ObjectCounts:
        """Count one scope's objects."""
        customers = [self._customers[i] for i in self._customers_by_scope.get(scope, [])]
        deleted = sum(1 for record in customers if record.deleted)
        return ObjectCounts(
            customers=len(customers) - deleted,
            deleted_customers=deleted,
            products=len(self._products_by_scope.get(scope, [])),
            images=sum(1 for image in self._images.values() if image.scope == scope),
        )
