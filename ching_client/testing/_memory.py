"""The default store: plain dicts with lookup indexes, gone when the process ends.

Every read a request makes is indexed, so the fake answers as fast with 50,000 customers as with
50 (scripts/fake_scale.py): lookups by email, tax ID or phone use a dict, and lists read the
newest entries of a per-scope list kept in creation order.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict

from ._keys import Scope
from ._records import CustomerRecord, ImageRecord, ObjectRecord, ProductRecord
from ._store import LookupField, ObjectCounts, lookup_key

_IndexKey = tuple[Scope, LookupField, str]


_Sorted = CustomerRecord | ProductRecord | ObjectRecord


def _newest_first(record: _Sorted) -> tuple[int, int]:
    """Sort key: creation time, then creation order for objects made in the same millisecond."""
    return (record.created_ms, record.seq)


class _CreationOrder:
    """The ids of one scope's objects sorted by creation (time, then sequence), oldest first.

    Objects are nearly always created in order, so an insert lands at the end; a clock set back
    (``ManualClock``) still files it in its place. Neither key changes once an object exists.
    """

    __slots__ = ("_ids", "_keys")

    def __init__(self) -> None:
        self._keys: list[tuple[int, int]] = []
        self._ids: list[str] = []

    def add(self, record: _Sorted) -> None:
        key = _newest_first(record)
        at = bisect.bisect(self._keys, key)
        self._keys.insert(at, key)
        self._ids.insert(at, record.id)

    def remove(self, record: _Sorted) -> None:
        at = bisect.bisect_left(self._keys, _newest_first(record))
        del self._keys[at], self._ids[at]

    def newest(self, limit: int) -> list[str]:
        """Up to ``limit`` ids, newest first."""
        return self._ids[: -limit - 1 : -1] if limit > 0 else []

    def __len__(self) -> int:
        return len(self._ids)


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
        self._live_customers: dict[Scope, _CreationOrder] = defaultdict(_CreationOrder)
        self._deleted_customers: Counter[Scope] = Counter()
        self._products_by_scope: dict[Scope, _CreationOrder] = defaultdict(_CreationOrder)
        self._images_by_scope: Counter[Scope] = Counter()
        self._index: dict[_IndexKey, set[str]] = defaultdict(set)
        self._objects: dict[str, ObjectRecord] = {}
        self._objects_by_parent: dict[tuple[Scope, str, str], _CreationOrder] = defaultdict(_CreationOrder)

    def close(self) -> None:
        """Nothing to release."""

    def next_seq(self) -> int:
        """Return the next sequence number."""
        self._seq += 1
        return self._seq

    def id_exists(self, object_id: str) -> bool:
        """Tell whether a customer or product has this id."""
        return object_id in self._customers or object_id in self._products or object_id in self._objects

    def save_customer(self, record: CustomerRecord) -> None:
        """Insert or replace a customer, keeping the lookup index and the live list current."""
        old = self._customers.get(record.id)
        if old is not None:
            for key in _lookup_values(old):
                self._index[key].discard(record.id)
        was_live = old is not None and not old.deleted
        if record.deleted and was_live:
            self._live_customers[record.scope].remove(record)
        if not record.deleted and not was_live:
            self._live_customers[record.scope].add(record)
        if record.deleted and (old is None or not old.deleted):
            self._deleted_customers[record.scope] += 1
        self._customers[record.id] = record
        for key in _lookup_values(record):
            self._index[key].add(record.id)

    def get_customer(self, scope: Scope, customer_id: str) -> CustomerRecord | None:
        """Return a customer of this scope, or None."""
        record = self._customers.get(customer_id)
        return record if record is not None and record.scope == scope else None

    def list_customers(self, scope: Scope, limit: int) -> list[CustomerRecord]:
        """Return the newest non-deleted customers."""
        live = self._live_customers.get(scope)
        return [] if live is None else [self._customers[i] for i in live.newest(limit)]

    def find_customers(self, scope: Scope, field: LookupField, value: str) -> list[CustomerRecord]:
        """Return matching non-deleted customers, newest first."""
        ids = self._index.get((scope, field, lookup_key(field, value)), set())
        return sorted((self._customers[i] for i in ids), key=_newest_first, reverse=True)

    def save_product(self, record: ProductRecord) -> None:
        """Insert or replace a product."""
        if record.id not in self._products:
            self._products_by_scope[record.scope].add(record)
        self._products[record.id] = record

    def get_product(self, scope: Scope, product_id: str) -> ProductRecord | None:
        """Return a product of this scope, or None."""
        record = self._products.get(product_id)
        return record if record is not None and record.scope == scope else None

    def list_products(self, scope: Scope, limit: int) -> list[ProductRecord]:
        """Return the newest products."""
        products = self._products_by_scope.get(scope)
        return [] if products is None else [self._products[i] for i in products.newest(limit)]

    def save_image(self, record: ImageRecord) -> None:
        """Store an image."""
        if record.name not in self._images:
            self._images_by_scope[record.scope] += 1
        self._images[record.name] = record

    def get_image(self, name: str) -> ImageRecord | None:
        """Return an image by name, or None."""
        return self._images.get(name)

    def save_object(self, record: ObjectRecord) -> None:
        """Insert or replace an object of an operation served by convention."""
        if record.id not in self._objects:
            self._objects_by_parent[record.scope, record.collection, record.parent].add(record)
        self._objects[record.id] = record

    def get_object(self, scope: Scope, collection: str, object_id: str) -> ObjectRecord | None:
        """Return an object of this scope and collection, or None."""
        record = self._objects.get(object_id)
        return record if record is not None and (record.scope, record.collection) == (scope, collection) else None

    def list_objects(self, scope: Scope, collection: str, parent: str, limit: int) -> list[ObjectRecord]:
        """Return the newest objects of a collection under one parent."""
        order = self._objects_by_parent.get((scope, collection, parent))
        return [] if order is None else [self._objects[i] for i in order.newest(limit)]

    def delete_object(self, scope: Scope, collection: str, object_id: str) -> bool:
        """Delete an object; return whether it existed."""
        record = self.get_object(scope, collection, object_id)
        if record is None:
            return False
        self._objects_by_parent[record.scope, record.collection, record.parent].remove(record)
        del self._objects[object_id]
        return True

    def counts(self, scope: Scope) -> ObjectCounts:
        """Count one scope's objects."""
        live = self._live_customers.get(scope)
        products = self._products_by_scope.get(scope)
        return ObjectCounts(
            customers=0 if live is None else len(live),
            deleted_customers=self._deleted_customers[scope],
            products=0 if products is None else len(products),
            images=self._images_by_scope[scope],
        )
