"""The SQLite store keeps everything across a restart."""

from __future__ import annotations

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
