"""The request log and the object-count helpers."""

from __future__ import annotations

import re

import httpx
import pytest

from ching_client.testing import DEFAULT_TEST_KEY, FakeChing, RequestLog

from .helpers import ok


def test_log_records_requests_in_order_with_the_key_redacted(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("status", status=503, operation="customers_list", times=1)
    ok(client.post("/v1/customers", json={"name": "Tal", "extra": [1]}))
    client.get("/v1/customers", params={"a": "1"})
    client.get("/nowhere")
    entries = fake.requests.entries()
    assert [(e.method, e.path, e.operation_id, e.status, e.fault) for e in entries] == [
        ("POST", "/ching/v1/customers", "customers_create", 200, None),
        ("GET", "/ching/v1/customers", "customers_list", 503, "status"),
        ("GET", "/ching/nowhere", None, 404, None),
    ]
    first = entries[0]
    assert first.body == {"name": "Tal", "extra": [1]}
    assert first.raw_body is None
    assert entries[1].query == "a=1"
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert first.headers["authorization"] == f"Bearer ck_test_...{DEFAULT_TEST_KEY[-4:]}"
    assert DEFAULT_TEST_KEY not in repr(entries)
    assert first.livemode is False
    assert first.project
    assert first.to_dict()["operation_id"] == "customers_create"


def test_every_answer_carries_a_new_request_id_that_the_log_records(fake: FakeChing, client: httpx.Client) -> None:
    fake.faults.add("status", status=503, operation="customers_list", times=1)
    fake.faults.add("drop_after", operation="customers_retrieve", times=1)
    answers = [
        client.post("/v1/customers", json={"name": "Tal"}),
        client.get("/v1/customers"),  # the injected 503
        client.get("/nowhere"),  # no such route
        client.post("/v1/customers", content=b"not json"),  # refused
    ]
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v1/customers/cus_1")  # applied, and the connection dropped before the answer
    sent = [answer.headers["x-request-id"] for answer in answers]
    assert all(re.fullmatch(r"req_[0-9a-f]{16}", request_id) for request_id in sent), sent
    assert len(set(sent)) == len(sent)
    entries = fake.requests.entries()
    assert [entry.request_id for entry in entries[:4]] == sent
    dropped = entries[4].request_id  # recorded though never sent: the log still tells the requests apart
    assert re.fullmatch(r"req_[0-9a-f]{16}", dropped or "")
    assert dropped not in sent
    logged = ok(client.get("/_fake/requests"))
    assert [entry["request_id"] for entry in logged] == [*sent, dropped]


def test_non_json_bodies_are_kept_as_text(fake: FakeChing, client: httpx.Client) -> None:
    client.post("/v1/customers", content=b"name=Tal")
    entry = fake.requests.last()
    assert (entry.body, entry.raw_body, entry.status) == (None, "name=Tal", 400)


def test_admin_requests_are_not_logged_and_the_log_is_readable_over_http(fake: FakeChing, client: httpx.Client) -> None:
    ok(client.post("/v1/customers", json={"name": "A"}))
    ok(client.get("/v1/customers"))
    logged = ok(client.get("/_fake/requests"))
    assert [e["operation_id"] for e in logged] == ["customers_create", "customers_list"]
    assert ok(client.get("/_fake/requests", params={"since": logged[0]["seq"]}))[0]["operation_id"] == "customers_list"
    assert len(ok(client.get("/_fake/requests", params={"operation": "customers_create"}))) == 1
    assert client.get("/_fake/requests", params={"since": "x"}).status_code == 400
    assert len(fake.requests) == 2
    assert [e.operation_id for e in fake.requests.for_operation("customers_list")] == ["customers_list"]
    assert [e.operation_id for e in fake.requests.since(logged[0]["seq"])] == ["customers_list"]
    ok(client.delete("/_fake/requests"))
    assert list(fake.requests) == []


def test_log_is_bounded() -> None:
    fake = FakeChing(log_limit=3)
    with fake.client() as client:
        for _ in range(5):
            client.get("/v1/customers")
    assert [e.seq for e in fake.requests] == [3, 4, 5]
    log = RequestLog()
    with pytest.raises(IndexError):
        log.last()


def test_counts_over_http_and_reset(fake: FakeChing, client: httpx.Client) -> None:
    customer = ok(client.post("/v1/customers", json={"name": "A"}))
    ok(client.post("/v1/customers", json={"name": "B"}))
    ok(client.delete(f"/v1/customers/{customer['id']}"))
    ok(client.post("/v1/products", json={"name": "P"}))
    assert ok(client.get("/_fake/counts")) == {
        "customers": 1,
        "deleted_customers": 1,
        "products": 1,
        "images": 0,
        "customers_created": 2,
    }
    with fake.client(key=None) as anonymous:
        assert anonymous.get("/_fake/counts").status_code == 401
    ok(client.post("/_fake/reset"))
    assert fake.counts().customers_created == 0
    assert len(fake.requests) == 0
    assert client.get("/_fake/unknown").status_code == 404
