"""The error envelope: validation, authentication, routing, and isolation of keys and modes."""

from __future__ import annotations

import httpx
import pytest

from ching_client.testing import DEFAULT_LIVE_KEY, DEFAULT_TEST_KEY, FakeChing, make_live_key, make_test_key

from .helpers import fail, issue_paths, ok


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Invalid JSON"),
        (b"[1, 2]", "Expected object, received array"),
        (b'"name"', "Expected object, received string"),
        (b"null", "Expected object, received null"),
        (b"", "Required"),
        (b'{"name": NaN}', "Invalid JSON"),
        (b"\xff\xfe", "Invalid JSON"),
    ],
)
def test_bad_bodies_are_400_invalid_field(client: httpx.Client, content: bytes, message: str) -> None:
    response = client.post("/v1/customers", content=content, headers={"content-type": "application/json"})
    error = fail(response, 400, "INVALID_FIELD")
    assert error["issues"][0]["path"] == []
    assert error["issues"][0]["message"].startswith(message)


def test_every_body_operation_validates(client: httpx.Client) -> None:
    customer = ok(client.post("/v1/customers", json={"name": "A"}))
    product = ok(client.post("/v1/products", json={"name": "P"}))
    for path in (
        "/v1/customers",
        "/v1/customers/upsert",
        f"/v1/customers/{customer['id']}",
        "/v1/products",
        "/v1/products/upload_image",
        f"/v1/products/{product['id']}",
    ):
        assert issue_paths(client.post(path, content=b"[]")) == [[]], path


def test_issues_list_every_problem(client: httpx.Client) -> None:
    response = client.post("/v1/customers", json={"email": 1, "phone": False, "metadata": "x"})
    assert issue_paths(response) == [["name"], ["email"], ["phone"], ["metadata"]]
    assert response.json()["error"]["issues"][0] == {"path": ["name"], "message": "Required"}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ck_test_1234",
        "Bearer ck_test_" + "g" * 64,
        "Bearer ck_prod_" + "a" * 64,
        "Bearer sk_test_" + "a" * 64,
        "Basic " + DEFAULT_TEST_KEY,
        DEFAULT_TEST_KEY,
        "Bearer " + DEFAULT_TEST_KEY + "0",
    ],
)
def test_missing_or_malformed_key_is_401(fake: FakeChing, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with fake.client(key=None, headers=headers) as client:
        error = fail(client.get("/v1/customers"), 401, "NO_ACCESS")
        assert error["message"] == "No access"
        fail(client.post("/v1/customers", json={"name": "A"}), 401, "NO_ACCESS")
    assert fake.counts().customers == 0


@pytest.mark.parametrize(
    "key",
    [make_test_key(1), make_live_key(1), "sk_test_" + "ab" * 44, "sk_live_" + "0F" * 44, "ck_test_" + "AB" * 32],
)
def test_well_formed_keys_are_accepted(fake: FakeChing, key: str) -> None:
    with fake.client(key=key) as client:
        data = ok(client.post("/v1/customers", json={"name": "A"}))
    assert data["livemode"] is ("_live_" in key)


def test_bearer_scheme_is_case_insensitive(fake: FakeChing) -> None:
    with fake.client(key=None, headers={"authorization": f"bearer  {DEFAULT_TEST_KEY}"}) as client:
        ok(client.get("/v1/customers"))


def test_keys_and_modes_are_isolated(fake: FakeChing) -> None:
    other = make_test_key("other project")
    with fake.client() as test, fake.client(key=DEFAULT_LIVE_KEY) as live, fake.client(key=other) as stranger:
        customer = ok(test.post("/v1/customers", json={"name": "A", "email": "same@x.io"}))
        product = ok(test.post("/v1/products", json={"name": "P"}))
        assert customer["livemode"] is False
        live_customer = ok(live.post("/v1/customers", json={"name": "A", "email": "same@x.io"}))
        assert live_customer["livemode"] is True
        ok(stranger.post("/v1/customers", json={"name": "B", "email": "same@x.io"}))
        for client in (live, stranger):
            fail(client.get(f"/v1/customers/{customer['id']}"), 404, "NOT_FOUND")
            fail(client.delete(f"/v1/customers/{customer['id']}"), 404, "NOT_FOUND")
            fail(client.post(f"/v1/customers/{customer['id']}", json={"name": "X"}), 404, "NOT_FOUND")
            fail(client.get(f"/v1/products/{product['id']}"), 404, "NOT_FOUND")
            assert ok(client.get("/v1/products")) == []
        assert [c["id"] for c in ok(test.get("/v1/customers"))] == [customer["id"]]
        assert [c["id"] for c in ok(live.get("/v1/customers"))] == [live_customer["id"]]
    assert fake.counts(DEFAULT_TEST_KEY).customers == 1
    assert fake.counts(DEFAULT_LIVE_KEY).customers == 1
    assert fake.counts(make_test_key("nobody")).customers == 0


def test_inactive_live_keys_get_403(fake: FakeChing) -> None:
    fake.live_keys_active = False
    with fake.client(key=DEFAULT_LIVE_KEY) as live, fake.client() as test:
        fail(live.get("/v1/customers"), 403, "LIVE_KEY_INACTIVE")
        ok(test.get("/v1/customers"))


def test_routing(client: httpx.Client) -> None:
    fail(client.get("/v1/nothing"), 404, "NOT_FOUND")
    fail(client.get("https://elsewhere.test/v2/customers"), 404, "NOT_FOUND")
    response = client.put("/v1/customers")
    fail(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST, GET"
    fail(client.patch("/v1/customers/cus_x"), 405, "METHOD_NOT_ALLOWED")
    # the /ching prefix is optional and trailing slashes are tolerated
    ok(client.get("http://ching.test/v1/customers"))
    ok(client.get("/v1/customers/"))
    # a concrete path beats a template, as in OpenAPI: "upsert" is never read as a customer id
    upsert = client.get("/v1/customers/upsert")
    fail(upsert, 405, "METHOD_NOT_ALLOWED")
    assert upsert.headers["allow"] == "POST"


def test_unknown_route_without_key_is_404(fake: FakeChing) -> None:
    with fake.client(key=None) as client:
        fail(client.get("/v1/nothing"), 404, "NOT_FOUND")
        ok(client.get("/_fake/health"))
