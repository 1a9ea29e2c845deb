"""The SQLite store keeps everything across a restart."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from ching_client.testing import FakeChing, ManualClock, SqliteStore

from .helpers import fail, ok


def test_data_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "ching.db"
    clock = ManualClock()
    with FakeChing(SqliteStore(db), clock=clock) as fake, fake.client() as client:
        first = ok(client.post("/v1/customers", json={"name": "A", "email": "a@x.io", "metadata": {"k": "v"}}))
        gone = ok(client.post("/v1/customers", json={"name": "Gone"}))
        ok(client.delete(f"/v1/customers/{gone['id']}"))
        product = ok(client.post("/v1/products", json={"name": "P", "features": [{"title": "t"}]}))
        url = ok(client.post("/v1/products/upload_image", json={"content": "iVBORw0KGgo="}))["url"]

    with FakeChing(SqliteStore(db), clock=clock) as fake, fake.client() as client:
        assert ok(client.get(f"/v1/customers/{first['id']}")) == first
        assert ok(client.get(f"/v1/customers/{gone['id']}")) == {
            "id": gone["id"],
            "object": "customer",
            "deleted": True,
        }
        assert ok(client.get(f"/v1/products/{product['id']}")) == product
        assert client.get(url).content == b"\x89PNG\r\n\x1a\n"
        fail(client.post("/v1/customers", json={"name": "B", "email": "A@x.io"}), 409, "EMAIL_EXISTS")
        # created in the same millisecond as before the restart, yet listed first
        newest = ok(client.post("/v1/customers", json={"name": "C"}))
        assert [c["id"] for c in ok(client.get("/v1/customers"))] == [newest["id"], first["id"]]
        counts = fake.counts()
        assert (counts.customers, counts.deleted_customers, counts.products, counts.images) == (2, 1, 1, 1)
        clock.advance(timedelta(days=1))
        upsert = client.post("/v1/customers/upsert", json={"identifyBy": "email", "email": "a@x.io", "locale": "en"})
        assert upsert.json()["action"] == "updated"


def test_reset_empties_the_database(tmp_path: Path) -> None:
    db = tmp_path / "ching.db"
    with FakeChing(SqliteStore(db)) as fake, fake.client() as client:
        ok(client.post("/v1/customers", json={"name": "A"}))
        fake.reset()
    with FakeChing(SqliteStore(db)) as fake:
        assert fake.counts().customers_created == 0


def _plans(db: sqlite3.Connection, statements: list[str]) -> list[str]:
    """SQLite's plan for each SELECT that was run, one line per step."""
    return [
        " / ".join(str(step[3]) for step in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT")
    ]


def test_every_request_reads_through_an_index_and_an_earlier_database_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "ching.db"
    with sqlite3.connect(db) as earlier:  # the lookup indexes of earlier versions, which SQLite passed over
        earlier.executescript(
            "CREATE TABLE customers (id TEXT PRIMARY KEY, project TEXT NOT NULL, livemode INTEGER NOT NULL,"
            " seq INTEGER NOT NULL, created_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, email_key TEXT,"
            " tax_id TEXT, phone TEXT, doc TEXT NOT NULL);"
            "CREATE INDEX customers_email ON customers (project, livemode, email_key);"
        )
    earlier.close()
    statements: list[str] = []
    store = SqliteStore(db)
    with FakeChing(store) as fake, fake.client() as client:
        ok(client.post("/v1/customers", json={"name": "A", "email": "a@x.io", "taxId": "1", "phone": "0549876543"}))
        store._db.set_trace_callback(statements.append)
        for field, value in (("email", "A@x.io"), ("taxId", "1"), ("phone", "+972549876543")):
            upsert = client.post("/v1/customers/upsert", json={"identifyBy": field, field: value, "locale": "en"})
            assert upsert.json()["action"] == "updated"
        assert len(ok(client.get("/v1/customers"))) == 1
        ok(client.post("/v1/products", json={"name": "P"}))
        assert len(ok(client.get("/v1/products"))) == 1
        store._db.set_trace_callback(None)
        plans = _plans(store._db, statements)
        indexes = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert len(plans) >= 8
    assert not [plan for plan in plans if "SCAN" in plan]
    assert sum("USING INDEX customers_by_" in plan for plan in plans) >= 6  # two lookups per upsert
    assert "customers_email" not in indexes
