"""Customer semantics against the in-process transport (memory and SQLite stores)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from ching_client.testing import DEFAULT_LIVE_KEY, FakeChing, ManualClock, ObjectCounts
from ching_client.testing._spec import shipped_api

from .conftest import START
from .helpers import fail, issue_paths, ok

CUSTOMER_ID = re.compile(r"^cus_[A-Za-z0-9_-]{12}$")


def create(client: httpx.Client, **fields: object) -> dict[str, object]:
    """Create a customer and return it."""
    body = {"name": "Tal Levi", **fields}
    data: dict[str, object] = ok(client.post("/v1/customers", json=body))
    return data


def test_create_returns_the_full_customer(client: httpx.Client) -> None:
    data = ok(
        client.post(
            "/v1/customers",
            json={"name": "Tal Levi", "email": "tal@example.com", "metadata": {"user_id": "42"}, "bogus": [1]},
        )
    )
    assert CUSTOMER_ID.match(data["id"])
    documented = {
        "id": data["id"],
        "object": "customer",
        "name": "Tal Levi",
        "email": "tal@example.com",
        "phone": None,
        "locale": "he",
        "taxId": None,
        "metadata": {"user_id": "42"},
        "default_payment_method": None,
        "livemode": False,
        "created": "2026-04-19T09:12:43.000Z",
    }
    # Any field the spec adds to a customer and requires is there too, null until set ("bogus" is not).
    added = {name: None for name in shipped_api().shape("Customer").defaults if name not in documented}
    assert data == {**documented, **added}


def test_create_status_can_be_201(clock: ManualClock) -> None:
    with FakeChing(create_status=201, clock=clock).client() as client:
        ok(client.post("/v1/customers", json={"name": "A"}), status=201)
        ok(client.post("/v1/customers/upsert", json={"identifyBy": "email", "email": "a@x.io", "name": "A"}))


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"name": 5}, ["name"]),
        ({"name": "A", "email": None}, ["email"]),
        ({"name": "A", "locale": 1}, ["locale"]),
        ({"name": "A", "taxId": True}, ["taxId"]),
        ({"name": "A", "metadata": []}, ["metadata"]),
        ({"name": "A", "metadata": {"n": 1}}, ["metadata", "n"]),
        ({"name": "A", "phone": "not a phone"}, ["phone"]),
    ],
)
def test_create_validation_names_the_field(client: httpx.Client, body: dict[str, object], path: list[str]) -> None:
    assert issue_paths(client.post("/v1/customers", json=body)) == [path]


def test_list_is_newest_first_stable_within_a_millisecond_and_capped(client: httpx.Client, clock: ManualClock) -> None:
    ids = [create(client, name=f"c{i}")["id"] for i in range(3)]  # all in the same millisecond
    clock.advance(timedelta(milliseconds=1))
    ids += [create(client, name=f"c{i}")["id"] for i in range(3, 102)]
    listed = ok(client.get("/v1/customers", params={"limit": 3}))  # query parameters are ignored
    assert len(listed) == 100
    assert [c["id"] for c in listed] == ids[::-1][:100]


def test_retrieve_and_not_found(client: httpx.Client) -> None:
    customer = create(client)
    assert ok(client.get(f"/v1/customers/{customer['id']}")) == customer
    fail(client.get("/v1/customers/cus_doesnotexist"), 404, "NOT_FOUND")
    fail(client.post("/v1/customers/cus_doesnotexist", json={"name": "x"}), 404, "NOT_FOUND")
    fail(client.delete("/v1/customers/cus_doesnotexist"), 404, "NOT_FOUND")


def test_update_has_patch_semantics(client: httpx.Client) -> None:
    customer = create(client, email="a@x.io", taxId="123", metadata={"a": "1"}, locale="en")
    updated = ok(client.post(f"/v1/customers/{customer['id']}", json={"phone": "054-987-6543", "metadata": {"b": "2"}}))
    assert updated == {**customer, "phone": "+972549876543", "metadata": {"b": "2"}}
    assert ok(client.post(f"/v1/customers/{customer['id']}", json={})) == updated
    cleared = ok(client.post(f"/v1/customers/{customer['id']}", json={"email": ""}))
    assert cleared["email"] is None
    assert cleared["taxId"] == "123"
    assert issue_paths(client.post(f"/v1/customers/{customer['id']}", json={"name": ""})) == [["name"]]


def test_duplicate_email_and_tax_id_conflict(client: httpx.Client) -> None:
    first = create(client, email="tal@example.com", taxId="515151515")
    fail(client.post("/v1/customers", json={"name": "B", "email": "TAL@example.com"}), 409, "EMAIL_EXISTS")
    fail(client.post("/v1/customers", json={"name": "B", "taxId": "515151515"}), 409, "TAX_ID_EXISTS")
    second = create(client, email="b@example.com")
    fail(client.post(f"/v1/customers/{second['id']}", json={"email": "tal@example.com"}), 409, "EMAIL_EXISTS")
    fail(client.post(f"/v1/customers/{second['id']}", json={"taxId": "515151515"}), 409, "TAX_ID_EXISTS")
    assert ok(client.post(f"/v1/customers/{first['id']}", json={"email": "tal@example.com"}))["id"] == first["id"]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("054-987-6543", "+972549876543"),
        ("0549876543", "+972549876543"),
        ("054 987 6543", "+972549876543"),
        ("(054) 987-6543", "+972549876543"),
        ("+972 54-987-6543", "+972549876543"),
        ("+972549876543", "+972549876543"),
        ("03-123-4567", "+97231234567"),
        ("+972501234567", "+972501234567"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_phone_is_normalised_to_e164(client: httpx.Client, raw: str, e164: str) -> None:
    assert create(client, phone=raw)["phone"] == e164


@pytest.mark.parametrize("raw", ["123", "abc", "054-987-65a3", "+972", "054-987-6543-1234567890", "++972549876543"])
def test_invalid_phone_is_rejected(client: httpx.Client, raw: str) -> None:
    response = client.post("/v1/customers", json={"name": "A", "phone": raw})
    assert issue_paths(response) == [["phone"]]


def test_upsert_creates_then_updates(client: httpx.Client) -> None:
    body = {"identifyBy": "email", "email": "tal@example.com", "name": "Tal", "metadata": {"user_id": "42"}}
    first = client.post("/v1/customers/upsert", json=body)
    assert first.json()["action"] == "created"
    created = ok(first)
    second = client.post(
        "/v1/customers/upsert", json={"identifyBy": "email", "email": "TAL@example.com", "locale": "en"}
    )
    assert second.json()["action"] == "updated"
    updated = ok(second)
    assert updated["id"] == created["id"]
    assert (updated["name"], updated["locale"], updated["metadata"]) == ("Tal", "en", {"user_id": "42"})
    again = client.post("/v1/customers/upsert", json=body)
    assert (again.json()["action"], ok(again)["id"]) == ("updated", created["id"])
    assert len(ok(client.get("/v1/customers"))) == 1


def test_upsert_by_phone_normalises_before_matching_and_prefers_the_newest(
    client: httpx.Client, clock: ManualClock
) -> None:
    older = create(client, name="Old", phone="+972549876543")
    clock.advance(timedelta(seconds=1))
    newer = create(client, name="New", phone="054-987-6543")
    response = client.post("/v1/customers/upsert", json={"identifyBy": "phone", "phone": "0549876543", "taxId": "9"})
    assert response.json()["action"] == "updated"
    assert ok(response)["id"] == newer["id"]
    assert ok(client.get(f"/v1/customers/{older['id']}"))["taxId"] is None


def test_upsert_by_tax_id_and_deleted_customers_do_not_match(client: httpx.Client) -> None:
    gone = create(client, taxId="777")
    ok(client.delete(f"/v1/customers/{gone['id']}"))
    response = client.post("/v1/customers/upsert", json={"identifyBy": "taxId", "taxId": "777", "name": "Back"})
    assert response.json()["action"] == "created"
    assert ok(response)["id"] != gone["id"]


def test_upsert_validation(client: httpx.Client) -> None:
    assert issue_paths(client.post("/v1/customers/upsert", json={"email": "a@x.io", "name": "A"})) == [["identifyBy"]]
    assert issue_paths(client.post("/v1/customers/upsert", json={"identifyBy": "name", "name": "A"})) == [
        ["identifyBy"]
    ]
    assert issue_paths(client.post("/v1/customers/upsert", json={"identifyBy": "email", "name": "A"})) == [["email"]]
    assert issue_paths(client.post("/v1/customers/upsert", json={"identifyBy": "email", "email": ""})) == [["email"]]
    # name is only required when the upsert creates
    assert issue_paths(client.post("/v1/customers/upsert", json={"identifyBy": "email", "email": "n@x.io"})) == [
        ["name"]
    ]
    assert issue_paths(client.post("/v1/customers/upsert", json={"identifyBy": "phone", "phone": "12"})) == [["phone"]]


def test_upsert_into_a_conflict_fails(client: httpx.Client) -> None:
    create(client, email="taken@x.io", taxId="1")
    create(client, email="other@x.io", phone="0549876543")
    updating = {"identifyBy": "phone", "phone": "054-987-6543", "email": "taken@x.io"}
    fail(client.post("/v1/customers/upsert", json=updating), 409, "EMAIL_EXISTS")
    creating = {"identifyBy": "email", "email": "new@x.io", "name": "N", "taxId": "1"}
    fail(client.post("/v1/customers/upsert", json=creating), 409, "TAX_ID_EXISTS")
    assert len(ok(client.get("/v1/customers"))) == 2


def test_delete_is_a_soft_idempotent_tombstone(client: httpx.Client, fake: FakeChing) -> None:
    customer = create(client, email="gone@x.io")
    keep = create(client, name="Keep")
    tombstone = {"id": customer["id"], "object": "customer", "deleted": True}
    assert ok(client.delete(f"/v1/customers/{customer['id']}")) == tombstone
    assert ok(client.delete(f"/v1/customers/{customer['id']}")) == tombstone
    assert ok(client.get(f"/v1/customers/{customer['id']}")) == tombstone
    assert [c["id"] for c in ok(client.get("/v1/customers"))] == [keep["id"]]
    fail(client.post(f"/v1/customers/{customer['id']}", json={"name": "Zombie"}), 400, "CUSTOMER_DELETED")
    assert ok(client.get(f"/v1/customers/{customer['id']}")) == tombstone
    # the email is free again once its owner is deleted
    assert create(client, email="gone@x.io")["id"] != customer["id"]
    counts = fake.counts()
    assert (counts.customers, counts.deleted_customers, counts.customers_created) == (2, 1, 3)


def test_list_orders_by_creation_time_even_when_the_clock_went_back_and_leaves_out_deleted_customers(
    client: httpx.Client, clock: ManualClock, fake: FakeChing
) -> None:
    first = create(client, name="first")
    clock.set(START - timedelta(minutes=5))  # the clock went back: created after `first`, but earlier
    earlier = create(client, name="earlier")
    clock.set(START + timedelta(minutes=5))
    latest = create(client, name="latest")
    assert [c["name"] for c in ok(client.get("/v1/customers"))] == ["latest", "first", "earlier"]
    ok(client.delete(f"/v1/customers/{latest['id']}"))
    ok(client.delete(f"/v1/customers/{earlier['id']}"))
    ok(client.delete(f"/v1/customers/{earlier['id']}"))  # deleting again changes nothing
    assert [c["id"] for c in ok(client.get("/v1/customers"))] == [first["id"]]
    counts = fake.counts()
    assert (counts.customers, counts.deleted_customers) == (1, 2)


def test_counts_are_per_key_and_mode(fake: FakeChing) -> None:
    with fake.client() as test_mode, fake.client(DEFAULT_LIVE_KEY) as live_mode:
        create(test_mode, name="Test")
        gone = create(live_mode, name="Live, deleted")
        ok(live_mode.delete(f"/v1/customers/{gone['id']}"))
        ok(test_mode.post("/v1/products", json={"name": "Plan"}))
        ok(live_mode.post("/v1/products/upload_image", json={"content": "iVBORw0KGgo="}))
    assert fake.counts() == ObjectCounts(customers=1, deleted_customers=0, products=1, images=0)
    assert fake.counts(DEFAULT_LIVE_KEY) == ObjectCounts(customers=0, deleted_customers=1, products=0, images=1)
