"""Product semantics, including image upload, against the in-process transport."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import httpx
import pytest

from ching_client.testing import FakeChing, ManualClock

from .helpers import fail, issue_paths, ok

PRODUCT_ID = re.compile(r"^prod_[A-Za-z0-9_-]{12}$")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def b64(data: bytes) -> str:
    """Base64 text of some bytes."""
    return base64.b64encode(data).decode()


def test_create_defaults(client: httpx.Client) -> None:
    data = ok(client.post("/v1/products", json={"name": "Pro Plan"}))
    assert PRODUCT_ID.match(data["id"])
    assert data == {
        "id": data["id"],
        "object": "product",
        "name": "Pro Plan",
        "description": None,
        "image_url": None,
        "features": [],
        "active": True,
        "unlisted": False,
        "metadata": {},
        "livemode": False,
        "created": "2026-04-19T09:12:43.000Z",
    }


def test_create_with_everything(client: httpx.Client) -> None:
    body = {
        "name": "Pro Plan",
        "description": "Full access",
        "image_url": "https://cdn.example.com/p.png",
        "features": [{"title": "Unlimited customers"}, {"title": "Support", "subtitle": "4h", "extra": 1}],
        "metadata": {"tier": "pro"},
        "active": False,  # not a create field: ignored
    }
    data = ok(client.post("/v1/products", json=body))
    assert data["features"] == [
        {"title": "Unlimited customers", "subtitle": None},
        {"title": "Support", "subtitle": "4h"},
    ]
    assert (data["description"], data["image_url"], data["metadata"], data["active"]) == (
        "Full access",
        "https://cdn.example.com/p.png",
        {"tier": "pro"},
        True,
    )


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, [["name"]]),
        ({"name": ""}, [["name"]]),
        ({"name": "P", "image_url": "not a url"}, [["image_url"]]),
        ({"name": "P", "image_url": "ftp://x.io/a.png"}, [["image_url"]]),
        ({"name": "P", "description": None}, [["description"]]),
        ({"name": "P", "features": {}}, [["features"]]),
        ({"name": "P", "features": ["x"]}, [["features", 0]]),
        ({"name": "P", "features": [{"title": "ok"}, {"subtitle": "s"}]}, [["features", 1, "title"]]),
        (
            {"name": "P", "features": [{"title": "", "subtitle": 3}]},
            [["features", 0, "title"], ["features", 0, "subtitle"]],
        ),
        ({"name": 1, "metadata": {"a": None}}, [["name"], ["metadata", "a"]]),
    ],
)
def test_create_validation(client: httpx.Client, body: dict[str, object], paths: list[list[object]]) -> None:
    assert issue_paths(client.post("/v1/products", json=body)) == paths


def test_update_patches_replaces_features_and_clears_with_null(client: httpx.Client) -> None:
    product = ok(
        client.post(
            "/v1/products",
            json={"name": "P", "description": "d", "image_url": "https://x.io/a.png", "features": [{"title": "a"}]},
        )
    )
    path = f"/v1/products/{product['id']}"
    replaced = ok(client.post(path, json={"features": [{"title": "b", "subtitle": "s"}]}))
    assert replaced == {**product, "features": [{"title": "b", "subtitle": "s"}]}
    cleared = ok(client.post(path, json={"description": None, "image_url": None, "features": None}))
    assert (cleared["description"], cleared["image_url"], cleared["features"]) == (None, None, [])
    retired = ok(client.post(path, json={"active": False, "name": "P2", "metadata": {"k": "v"}}))
    assert (retired["active"], retired["name"], retired["metadata"]) == (False, "P2", {"k": "v"})
    assert ok(client.get(path)) == retired
    assert issue_paths(client.post(path, json={"active": "no", "name": None})) == [["name"], ["active"]]
    fail(client.post("/v1/products/prod_nope", json={"name": "x"}), 404, "NOT_FOUND")


def test_list_retrieve_and_no_delete(client: httpx.Client, clock: ManualClock) -> None:
    first = ok(client.post("/v1/products", json={"name": "A"}))
    clock.advance(timedelta(seconds=1))
    second = ok(client.post("/v1/products", json={"name": "B"}))
    ok(client.post(f"/v1/products/{first['id']}", json={"active": False}))
    assert [p["id"] for p in ok(client.get("/v1/products"))] == [second["id"], first["id"]]
    assert ok(client.get(f"/v1/products/{second['id']}")) == second
    fail(client.get("/v1/products/prod_missing"), 404, "NOT_FOUND")
    response = client.delete(f"/v1/products/{first['id']}")
    fail(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [(None, "png"), ("image/png", "png"), ("image/jpeg", "jpg"), ("image/webp", "webp"), ("image/gif", "gif")],
)
def test_upload_image_and_fetch_it(
    client: httpx.Client, fake: FakeChing, content_type: str | None, extension: str
) -> None:
    body = {"content": b64(PNG), "filename": "pro-plan_1"}
    if content_type:
        body["content_type"] = content_type
    url = ok(client.post("/v1/products/upload_image", json=body))["url"]
    assert url.startswith("https://ching.test/ching/_fake/images/")
    assert url.endswith(f"-pro-plan_1.{extension}")
    image = client.get(url, headers={"Authorization": ""})  # public: no key needed
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == (content_type or "image/png")
    product = ok(client.post("/v1/products", json={"name": "P", "image_url": url}))
    assert product["image_url"] == url
    assert fake.counts().images == 1


def test_upload_without_filename_gets_a_generated_one_and_each_upload_is_new(client: httpx.Client) -> None:
    urls = {ok(client.post("/v1/products/upload_image", json={"content": b64(PNG)}))["url"] for _ in range(2)}
    assert len(urls) == 2
    for url in urls:
        assert re.search(r"/_fake/images/\d+-image-[A-Za-z0-9_-]{12}\.png$", url)
    same = [
        ok(client.post("/v1/products/upload_image", json={"content": b64(PNG), "filename": "x"}))["url"] for _ in "ab"
    ]
    assert same[0] != same[1]


def test_upload_accepts_just_under_two_megabytes(client: httpx.Client) -> None:
    limit = 2 * 1024 * 1024 - 1
    ok(client.post("/v1/products/upload_image", json={"content": b64(b"\0" * limit)}))
    too_big = client.post("/v1/products/upload_image", json={"content": b64(b"\0" * (limit + 1))})
    assert issue_paths(too_big) == [["content"]]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": "data:image/png;base64," + b64(PNG)}, "content"),
        ({"content": "not base64!"}, "content"),
        ({"content": b64(PNG)[:-2]}, "content"),
        ({"content": 12}, "content"),
        ({"content": b64(PNG), "content_type": "image/svg+xml"}, "content_type"),
        ({"content": b64(PNG), "filename": "has.dot"}, "filename"),
        ({"content": b64(PNG), "filename": "x" * 49}, "filename"),
        ({"content": b64(PNG), "filename": ""}, "filename"),
    ],
)
def test_upload_validation(client: httpx.Client, body: dict[str, object], path: str) -> None:
    assert issue_paths(client.post("/v1/products/upload_image", json=body)) == [[path]]


def test_unknown_image_is_404(client: httpx.Client) -> None:
    fail(client.get("/_fake/images/nope.png"), 404, "NOT_FOUND")
