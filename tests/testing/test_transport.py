"""The in-process transport: async semantics on asyncio and trio, thread safety, determinism."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ching_client.testing import (
    DEFAULT_TEST_KEY,
    FakeChing,
    FakeTransport,
    ManualClock,
    SequentialIds,
)

from .helpers import fail, ok


@pytest.mark.anyio
async def test_async_client_covers_every_operation(fake: FakeChing) -> None:
    async with fake.async_client() as client:
        customer = ok(await client.post("/v1/customers", json={"name": "Tal", "phone": "054-987-6543"}))
        assert customer["phone"] == "+972549876543"
        assert ok(await client.get("/v1/customers")) == [customer]
        assert ok(await client.get(f"/v1/customers/{customer['id']}")) == customer
        assert ok(await client.post(f"/v1/customers/{customer['id']}", json={"locale": "en"}))["locale"] == "en"
        upsert = await client.post("/v1/customers/upsert", json={"identifyBy": "phone", "phone": "+972549876543"})
        assert upsert.json()["action"] == "updated"
        assert ok(await client.delete(f"/v1/customers/{customer['id']}"))["deleted"] is True
        product = ok(await client.post("/v1/products", json={"name": "P"}))
        assert ok(await client.get("/v1/products")) == [product]
        assert ok(await client.get(f"/v1/products/{product['id']}")) == product
        assert ok(await client.post(f"/v1/products/{product['id']}", json={"active": False}))["active"] is False
        url = ok(await client.post("/v1/products/upload_image", json={"content": "R0lGODlhAQABAAAAACw="}))["url"]
        assert (await client.get(url)).content.startswith(b"GIF8")
        fail(await client.get("/v1/customers", headers={"Authorization": "Bearer nope"}), 401, "NO_ACCESS")


def test_a_plain_httpx_client_can_mount_the_transport() -> None:
    transport = FakeTransport()
    with httpx.Client(transport=transport, base_url="https://api.ching.co.il/ching") as client:
        headers = {"Authorization": f"Bearer {DEFAULT_TEST_KEY}"}
        ok(client.post("/v1/customers", json={"name": "A"}, headers=headers))
    assert transport.fake.counts().customers == 1


def test_concurrent_threads_are_serialised(fake: FakeChing) -> None:
    with fake.client() as client:

        def create(i: int) -> str:
            data: dict[str, str] = ok(client.post("/v1/customers", json={"name": f"c{i}", "email": f"{i}@x.io"}))
            return data["id"]

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(create, range(40)))
        assert len(set(ids)) == 40
        assert len(ok(client.get("/v1/customers"))) == 40


def test_sequential_ids_and_manual_clock_make_runs_identical() -> None:
    def run() -> list[dict[str, object]]:
        fake = FakeChing(clock=ManualClock(), ids=SequentialIds())
        with fake.client() as client:
            ok(client.post("/v1/customers", json={"name": "A"}))
            ok(client.post("/v1/products", json={"name": "P"}))
            return [ok(client.get("/v1/customers"))[0], ok(client.get("/v1/products"))[0]]

    first = run()
    assert first == run()
    assert first[0]["id"] == "cus_000000000001"
    assert first[1]["id"] == "prod_000000000001"


def test_seeded_random_ids_are_reproducible_and_well_formed() -> None:
    def ids(seed: int) -> list[str]:
        fake = FakeChing(seed=seed)
        with fake.client() as client:
            return [ok(client.post("/v1/customers", json={"name": "A"}))["id"] for _ in range(5)]

    assert ids(1) == ids(1) != ids(2)
    assert all(re.fullmatch(r"cus_[A-Za-z0-9_-]{12}", i) for i in ids(1))


def test_fake_is_a_context_manager() -> None:
    with FakeChing() as fake, fake.client() as client:
        ok(client.get("/v1/customers"))
