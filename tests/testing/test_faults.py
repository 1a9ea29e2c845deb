"""Fault injection through the in-process transport (sync and async)."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from ching_client.testing import FakeChing, FaultKind

from .helpers import fail, ok

NEW = {"name": "Tal"}


def test_status_500_is_an_envelope_and_nothing_is_applied(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("status", status=500, times=1)
    error = fail(client.post("/v1/customers", json=NEW), 500, "INTERNAL_ERROR")
    assert error["message"]
    assert fake.counts().customers == 0
    ok(client.post("/v1/customers", json=NEW))
    assert fake.counts().customers == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_statuses_have_html_bodies(fake: FakeChing, client: httpx.Client, status: int) -> None:
    fake.faults.add(FaultKind.STATUS, status=status, times=1)
    response = client.get("/v1/customers")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<title>{status} " in response.text
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_429_carries_retry_after(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("status", status=429, times=1)
    fake.faults.add("status", status=429, retry_after="0", times=1)
    fake.faults.add("status", status=429, retry_after="", times=1)
    first, second, third = (client.get("/v1/customers") for _ in range(3))
    fail(first, 429, "RATE_LIMITED")
    assert first.headers["retry-after"] == "1"
    assert second.headers["retry-after"] == "0"
    assert "retry-after" not in third.headers
    ok(client.get("/v1/customers"))


def test_custom_status_body(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("status", status=500, body="oops", times=1)
    response = client.get("/v1/customers")
    assert (response.status_code, response.text) == (500, "oops")


def test_drop_after_applies_the_write_then_loses_the_response(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("drop_after", operation="customers_create", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/customers", json=NEW)
    assert fake.counts().customers == 1
    entry = fake.requests.last()
    assert (entry.fault, entry.status) == ("drop_after", None)


def test_drop_before_applies_nothing(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("drop_before", times=1)
    with pytest.raises(httpx.ConnectError):
        client.post("/v1/customers", json=NEW)
    assert fake.counts().customers == 0
    assert fake.requests.last().fault == "drop_before"


def test_malformed_json_is_a_200_after_applying(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("malformed_json", times=1)
    response = client.post("/v1/customers", json=NEW)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        response.json()
    assert fake.counts().customers == 1


def test_latency_sync(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("latency", latency=0.005, times=1)
    fake.faults.add("latency", latency=0)
    started = time.perf_counter()
    ok(client.get("/v1/customers"))
    assert time.perf_counter() - started >= 0.005
    entry = fake.requests.last()
    assert (entry.fault, entry.delay) == ("latency", 0.005)


def test_latency_adds_up_with_a_status_fault(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("latency", latency=0.001, times=1)
    fake.faults.add("status", status=503, latency=0.002, times=1)
    response = client.get("/v1/customers")
    assert response.status_code == 503
    entry = fake.requests.last()
    assert entry.fault == "status"
    assert entry.delay == pytest.approx(0.003)
    assert len(fake.faults) == 0


@pytest.mark.parametrize(
    ("target", "creates"),
    [
        ("customers_create", True),
        ("POST /v1/customers", True),
        ("post /ching/v1/customers/", True),
        ("customers_update", False),
        ("POST /v1/customers/{id}", False),
        ("POST /v1/customers/cus_000000000000", False),
    ],
)
def test_targeting(fake: FakeChing, client: httpx.Client, target: str, creates: bool) -> None:
    customer = ok(client.post("/v1/customers", json=NEW))
    target = target.replace("cus_000000000000", customer["id"])
    fault = fake.faults.add("status", status=503, operation=target)
    ok(client.get("/v1/customers"))
    ok(client.get(f"/v1/customers/{customer['id']}"))
    ok(client.post("/v1/products", json={"name": "P"}))
    hit_create = client.post("/v1/customers", json=NEW).status_code == 503
    hit_update = client.post(f"/v1/customers/{customer['id']}", json=NEW).status_code == 503
    assert (hit_create, hit_update) == (creates, not creates)
    assert fake.faults.remaining(fault.id) is None


def test_times_limits_a_rule(fake: FakeChing, client: httpx.Client) -> None:
    fault = fake.faults.add("status", status=500, times=2)
    assert fake.faults.remaining(fault.id) == 2
    assert [client.get("/v1/customers").status_code for _ in range(3)] == [500, 500, 200]
    assert fake.faults.remaining(fault.id) == 0
    assert list(fake.faults) == []


def _pattern(seed: int) -> list[int]:
    """Statuses of 40 requests with a 50% fault, on a fresh fake seeded with `seed`."""
    fake = FakeChing(seed=seed)
    fake.faults.add("status", status=503, probability=0.5)
    with fake.client() as client:
        return [client.get("/v1/customers").status_code for _ in range(40)]


def test_probability_is_seeded_and_reproducible() -> None:
    first = _pattern(3)
    assert first == _pattern(3)
    assert 5 < first.count(503) < 35
    assert first != _pattern(4)


def test_probability_zero_and_one(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("status", status=500, probability=0.0)
    assert {client.get("/v1/customers").status_code for _ in range(10)} == {200}
    fake.faults.clear()
    fake.faults.add("status", status=500, probability=1.0)
    assert {client.get("/v1/customers").status_code for _ in range(10)} == {500}
    fake.faults.seed(9)


def test_remove_and_clear(fake: FakeChing, client: httpx.Client) -> None:
    fault = fake.faults.add("status", status=500)
    assert fake.faults.remove(fault.id) is True
    assert fake.faults.remove(fault.id) is False
    fake.faults.add("status", status=500)
    fake.reset()
    ok(client.get("/v1/customers"))


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("explode", {}, "explode"),
        ("status", {"status": 99}, "status"),
        ("status", {"times": 0}, "times"),
        ("status", {"probability": 1.5}, "probability"),
        ("latency", {"latency": -1}, "latency"),
        ("status", {"operation": "customers_destroy"}, "unknown operation"),
        ("status", {"colour": "red"}, "unknown fault option"),
        ("status", {"retry_after": 5}, "retry_after"),
    ],
)
def test_invalid_rules_are_refused(fake: FakeChing, kind: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fake.faults.add(kind, **options)


def test_admin_routes_manage_faults(fake: FakeChing, client: httpx.Client) -> None:
    created = client.post("/_fake/faults", json={"kind": "status", "status": 503, "operation": "customers_list"})
    rule = ok(created, status=201)
    assert (rule["kind"], rule["status"], rule["remaining"]) == ("status", 503, None)
    assert [r["id"] for r in ok(client.get("/_fake/faults"))] == [rule["id"]]
    assert client.get("/v1/customers").status_code == 503
    assert ok(client.delete(f"/_fake/faults/{rule['id']}")) == {"id": str(rule["id"]), "deleted": True}
    ok(client.get("/v1/customers"))
    ok(client.post("/_fake/faults", json={"kind": "drop_before"}), status=201)
    ok(client.delete("/_fake/faults"))
    ok(client.get("/v1/customers"))
    fail(client.post("/_fake/faults", json={"kind": "nope"}), 400, "INVALID_FIELD")
    fail(client.post("/_fake/faults", json={"status": 500}), 400, "INVALID_FIELD")
    fail(client.post("/_fake/faults", content=b"[]"), 400, "INVALID_FIELD")


@pytest.mark.anyio
async def test_async_faults(fake: FakeChing) -> None:
    async with fake.async_client() as client:
        fake.faults.add("drop_after", times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/v1/customers", json=NEW)
        fake.faults.add("drop_before", times=1)
        with pytest.raises(httpx.ConnectError):
            await client.post("/v1/customers", json=NEW)
        fake.faults.add("status", status=502, times=1)
        assert (await client.get("/v1/customers")).status_code == 502
        fake.faults.add("latency", latency=0.005, times=1)
        started = time.perf_counter()
        assert len(ok(await client.get("/v1/customers"))) == 1
        assert time.perf_counter() - started >= 0.005
    assert fake.counts().customers == 1


@pytest.mark.anyio
async def test_async_latency_is_cancellable_and_the_write_already_happened(fake: FakeChing) -> None:
    fake.faults.add("latency", latency=30, operation="customers_create", times=1)
    async with fake.async_client() as client:
        started = time.perf_counter()
        with anyio.move_on_after(0.005) as scope:
            await client.post("/v1/customers", json=NEW)
        assert scope.cancelled_caught
        assert time.perf_counter() - started < 5
    assert fake.counts().customers == 1
