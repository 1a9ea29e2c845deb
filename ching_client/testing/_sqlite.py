"""A Store in a SQLite file (stdlib sqlite3) so a fake server keeps its data across restarts."""

from __future__ import annotations

import json
import os
from typing import Any

from ._keys import Scope
from ._records import (
    CustomerRecord,
    ImageRecord,
    ObjectRecord,
    ProductRecord,
    customer_from_doc,
    object_from_doc,
    product_from_doc,
    to_doc,
)
from ._store import LookupField, ObjectCounts, lookup_key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, livemode INTEGER NOT NULL, seq INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, deleted INTEGER NOT NULL,
    email_key TEXT, tax_id TEXT, phone TEXT, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_recent ON customers (project, livemode, deleted, created_ms, seq);
-- A lookup names every column up to the value and reads matches newest first, so SQLite takes these
-- rather than customers_recent (which would scan every live customer of the project to skip a sort).
DROP INDEX IF EXISTS customers_email;
DROP INDEX IF EXISTS customers_tax_id;
DROP INDEX IF EXISTS customers_phone;
CREATE INDEX IF NOT EXISTS customers_by_email ON customers (project, livemode, deleted, email_key, created_ms, seq);
CREATE INDEX IF NOT EXISTS customers_by_tax_id ON customers (project, livemode, deleted, tax_id, created_ms, seq);
CREATE INDEX IF NOT EXISTS customers_by_phone ON customers (project, livemode, deleted, phone, created_ms, seq);
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, livemode INTEGER NOT NULL, seq INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS products_recent ON products (project, livemode, created_ms, seq);
-- Objects of the operations the spec adds, served by convention: one table for every collection.
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, livemode INTEGER NOT NULL, seq INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, collection TEXT NOT NULL, parent TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_recent ON objects (project, livemode, collection, parent, created_ms, seq);
CREATE TABLE IF NOT EXISTS images (
    name TEXT PRIMARY KEY, project TEXT NOT NULL, livemode INTEGER NOT NULL, seq INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, content_type TEXT NOT NULL, data BLOB NOT NULL
);
"""

_LOOKUP_COLUMNS: dict[LookupField, str] = {"email": "email_key", "taxId": "tax_id", "phone": "phone"}


class SqliteStore:
    """SQLite-backed Store; every write is committed at once, so a crash or restart of the fake loses nothing.

    The file is in WAL mode with ``synchronous=NORMAL``: a commit is on disk for any later process
    at once, and only a power loss could drop the last few. Waiting for the disk at every commit
    (SQLite's default) capped the fake at a few hundred writes a second.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (creating if needed) the database at `path`; `":memory:"` works too."""
        import sqlite3

        self.path: str = os.fspath(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._seq = self._max_seq()

    def _max_seq(self) -> int:
        """Find the largest sequence number already used."""
        row = self._db.execute(
            "SELECT MAX(s) FROM (SELECT MAX(seq) AS s FROM customers UNION ALL"
            " SELECT MAX(seq) FROM products UNION ALL SELECT MAX(seq) FROM images UNION ALL"
            " SELECT MAX(seq) FROM objects)"
        ).fetchone()
        return int(row[0] or 0)

    def _one(self, sql: str, *params: object) -> tuple[Any, ...] | None:
        """Run a query and return its first row."""
        row: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def clear(self) -> None:
        """Delete every row."""
        self._db.executescript("DELETE FROM customers; DELETE FROM products; DELETE FROM images; DELETE FROM objects;")
        self._seq = 0

    def next_seq(self) -> int:
        """Return the next sequence number."""
        self._seq += 1
        return self._seq

    def id_exists(self, object_id: str) -> bool:
        """Tell whether a customer or product has this id."""
        return (
            self._one(
                "SELECT 1 FROM customers WHERE id = ?1 UNION ALL SELECT 1 FROM products WHERE id = ?1"
                " UNION ALL SELECT 1 FROM objects WHERE id = ?1",
                object_id,
            )
            is not None
        )

    def save_customer(self, record: CustomerRecord) -> None:
        """Insert or replace a customer."""
        self._db.execute(
            "INSERT OR REPLACE INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.project,
                int(record.livemode),
                record.seq,
                record.created_ms,
                int(record.deleted),
                None if record.email is None else lookup_key("email", record.email),
                record.tax_id,
                record.phone,
                json.dumps(to_doc(record)),
            ),
        )

    def get_customer(self, scope: Scope, customer_id: str) -> CustomerRecord | None:
        """Return a customer of this scope, or None."""
        row = self._one(
            "SELECT doc FROM customers WHERE id = ? AND project = ? AND livemode = ?",
            customer_id,
            scope.project,
            int(scope.livemode),
        )
        return None if row is None else customer_from_doc(json.loads(row[0]))

    def list_customers(self, scope: Scope, limit: int) -> list[CustomerRecord]:
        """Return the newest non-deleted customers."""
        rows = self._db.execute(
            "SELECT doc FROM customers WHERE project = ? AND livemode = ? AND deleted = 0"
            " ORDER BY created_ms DESC, seq DESC LIMIT ?",
            (scope.project, int(scope.livemode), limit),
        )
        return [customer_from_doc(json.loads(row[0])) for row in rows]

    def find_customers(self, scope: Scope, field: LookupField, value: str) -> list[CustomerRecord]:
        """Return matching non-deleted customers, newest first."""
        column = _LOOKUP_COLUMNS[field]
        rows = self._db.execute(
            f"SELECT doc FROM customers WHERE project = ? AND livemode = ? AND deleted = 0 AND {column} = ?"  # noqa: S608
            " ORDER BY created_ms DESC, seq DESC",
            (scope.project, int(scope.livemode), lookup_key(field, value)),
        )
        return [customer_from_doc(json.loads(row[0])) for row in rows]

    def save_product(self, record: ProductRecord) -> None:
        """Insert or replace a product."""
        self._db.execute(
            "INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.project,
                int(record.livemode),
                record.seq,
                record.created_ms,
                json.dumps(to_doc(record)),
            ),
        )

    def get_product(self, scope: Scope, product_id: str) -> ProductRecord | None:
        """Return a product of this scope, or None."""
        row = self._one(
            "SELECT doc FROM products WHERE id = ? AND project = ? AND livemode = ?",
            product_id,
            scope.project,
            int(scope.livemode),
        )
        return None if row is None else product_from_doc(json.loads(row[0]))

    def list_products(self, scope: Scope, limit: int) -> list[ProductRecord]:
        """Return the newest products."""
        rows = self._db.execute(
            "SELECT doc FROM products WHERE project = ? AND livemode = ? ORDER BY created_ms DESC, seq DESC LIMIT ?",
            (scope.project, int(scope.livemode), limit),
        )
        return [product_from_doc(json.loads(row[0])) for row in rows]

    def save_image(self, record: ImageRecord) -> None:
        """Store an image."""
        self._db.execute(
            "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.name,
                record.project,
                int(record.livemode),
                record.seq,
                record.created_ms,
                record.content_type,
                record.data,
            ),
        )

    def get_image(self, name: str) -> ImageRecord | None:
        """Return an image by name, or None."""
        row = self._one(
            "SELECT name, project, livemode, seq, created_ms, content_type, data FROM images WHERE name = ?", name
        )
        if row is None:
            return None
        return ImageRecord(row[0], row[1], bool(row[2]), row[3], row[4], row[5], bytes(row[6]))

    def save_object(self, record: ObjectRecord) -> None:
        """Insert or replace an object of an operation served by convention."""
        self._db.execute(
            "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.project,
                int(record.livemode),
                record.seq,
                record.created_ms,
                record.collection,
                record.parent,
                json.dumps(to_doc(record)),
            ),
        )

    def get_object(self, scope: Scope, collection: str, object_id: str) -> ObjectRecord | None:
        """Return an object of this scope and collection, or None."""
        row = self._one(
            "SELECT doc FROM objects WHERE id = ? AND project = ? AND livemode = ? AND collection = ?",
            object_id,
            scope.project,
            int(scope.livemode),
            collection,
        )
        return None if row is None else object_from_doc(json.loads(row[0]))

    def list_objects(self, scope: Scope, collection: str, parent: str, limit: int) -> list[ObjectRecord]:
        """Return the newest objects of a collection under one parent."""
        rows = self._db.execute(
            "SELECT doc FROM objects WHERE project = ? AND livemode = ? AND collection = ? AND parent = ?"
            " ORDER BY created_ms DESC, seq DESC LIMIT ?",
            (scope.project, int(scope.livemode), collection, parent, limit),
        )
        return [object_from_doc(json.loads(row[0])) for row in rows]

    def delete_object(self, scope: Scope, collection: str, object_id: str) -> bool:
        """Delete an object; return whether it existed."""
        cursor = self._db.execute(
            "DELETE FROM objects WHERE id = ? AND project = ? AND livemode = ? AND collection = ?",
            (object_id, scope.project, int(scope.livemode), collection),
        )
        return cursor.rowcount > 0

    def counts(self, scope: Scope) -> ObjectCounts:
        """Count one scope's objects."""
        params = (scope.project, int(scope.livemode))
        row = self._one(
            "SELECT"
            " (SELECT COUNT(*) FROM customers WHERE project = ?1 AND livemode = ?2 AND deleted = 0),"
            " (SELECT COUNT(*) FROM customers WHERE project = ?1 AND livemode = ?2 AND deleted = 1),"
            " (SELECT COUNT(*) FROM products WHERE project = ?1 AND livemode = ?2),"
            " (SELECT COUNT(*) FROM images WHERE project = ?1 AND livemode = ?2)",
            *params,
        )
        assert row is not None
        return ObjectCounts(customers=row[0], deleted_customers=row[1], products=row[2], images=row[3])
