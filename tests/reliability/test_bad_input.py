"""Bad input, end to end: refused before sending with a clear error, or sent to exactly the intended route.

Ids go over real sockets to the local Ching, and its request log shows where each request landed:
an id is either refused by the SDK (nothing logged) or reaches the intended operation with the id,
whole, as its one path parameter. Nothing may ever reach another endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from ching_client import AsyncChing, Ching, ChingError, ConfigurationError, InvalidArgumentError
from ching_client.testing import DEFAULT_LIVE_KEY, DEFAULT_TEST_KEY, FakeServer

from ._support import KINDS, PNG, Clients, Kind, last_seq

BAD_IDS = [
    pytest.param("", id="empty"),
    pytest.param(".", id="dot"),
    pytest.param("..", id="dotdot"),
    pytest.param("../products", id="dotdot-products"),
    pytest.param("a/b", id="slash"),
    pytest.param("%2e%2e", id="encoded-dotdot"),
    pytest.param("x?y=1", id="query"),
    pytest.param("x#y", id="fragment"),
    pytest.param("c" * 10_000, id="10k-chars"),
    pytest.param("לקוח-é-\U0001f600", id="non-ascii"),
    # Ids equal to a sibling route's literal segment: POST /v1/customers/upsert is the upsert operation.
    pytest.param("upsert", id="sibling-route-upsert"),
    pytest.param("upload_image", id="sibling-route-upload_image"),
]

#: (operation, operationId, collection, call with an id)
ID_CALLS: list[tuple[str, str, str, Callable[[Any, str], Any]]] = [
    ("customers.retrieve", "customers_retrieve", "/v1/customers", lambda c, i: c.customers.retrieve(i)),
    ("customers.update", "customers_update", "/v1/customers", lambda c, i: c.customers.update(i, name="X")),
    ("customers.delete", "customers_delete", "/v1/customers", lambda c, i: c.customers.delete(i)),
    ("products.retrieve", "products_retrieve", "/v1/products", lambda c, i: c.products.retrieve(i)),
    ("products.update", "products_update", "/v1/products", lambda c, i: c.products.update(i, name="X")),
]


@pytest.fixture(scope="module")
def clients(live_server: FakeServer) -> Iterator[Clients]:
    shared = Clients(live_server.base_url, max_retries=0)
    yield shared
    shared.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(("name", "operation_id", "collection", "invoke"), ID_CALLS, ids=[c[0] for c in ID_CALLS])
def test_an_id_is_refused_or_reaches_exactly_the_intended_route(
    server: FakeServer,
    clients: Clients,
    kind: Kind,
    bad_id: str,
    name: str,
    operation_id: str,
    collection: str,
    invoke: Callable[[Any, str], Any],
):
    since = last_seq(server)
    refused: InvalidArgumentError | None = None
    try:
        clients.run(kind, lambda client: invoke(client, bad_id))
    except InvalidArgumentError as exc:
        refused = exc
    except ChingError:
        pass  # sent, and Ching answered (404 for an id that does not exist): where did it land?
    if refused is not None:
        assert server.fake.requests.since(since) == [], "refused, yet something was sent"
        assert refused.argument == "id"
        assert str(refused).startswith(f"{name}: id")
        return
    landed = server.fake.requests.since(since)
    assert [(entry.method, entry.operation_id) for entry in landed] == [
        ("GET" if "retrieve" in name else "DELETE" if "delete" in name else "POST", operation_id)
    ], f"id {bad_id[:40]!r} reached {[(e.method, e.path[:80], e.operation_id) for e in landed]}"
    [entry] = landed
    assert unquote(entry.path) == f"/ching{collection}/{bad_id}", (
        "the id did not arrive whole as the one path parameter"
    )
    assert entry.query == ""


# --- arguments refused before anything is sent ----------------------------------------------------

Call = Callable[[Any], Any]
WRONG: list[tuple[str, Call, type[Exception], str]] = [
    # wrong types
    (
        "customers.create name=int",
        lambda c: c.customers.create(name=42),
        InvalidArgumentError,
        "name: must be a string",
    ),
    ("customers.create name=None", lambda c: c.customers.create(name=None), InvalidArgumentError, "name"),
    (
        "customers.create email=list",
        lambda c: c.customers.create(name="A", email=["a@b.c"]),
        InvalidArgumentError,
        "email",
    ),
    (
        "customers.create metadata values",
        lambda c: c.customers.create(name="A", metadata={"n": 1}),
        InvalidArgumentError,
        "metadata: keys and values must be strings",
    ),
    (
        "customers.upsert identify_by",
        lambda c: c.customers.upsert(identify_by="name", name="A"),
        InvalidArgumentError,
        "identify_by: must be one of email, phone, taxId",
    ),
    ("customers.retrieve id=int", lambda c: c.customers.retrieve(42), InvalidArgumentError, "id: must be a string"),
    (
        "customers.update phone=int",
        lambda c: c.customers.update("cus_1", phone=972501234567),
        InvalidArgumentError,
        "phone",
    ),
    (
        "products.update active=str",
        lambda c: c.products.update("prod_1", active="false"),
        InvalidArgumentError,
        "active",
    ),
    (
        "products.create features=str",
        lambda c: c.products.create(name="P", features="Fast"),
        InvalidArgumentError,
        "features: must be a list",
    ),
    (
        "products.create features item",
        lambda c: c.products.create(name="P", features=[{}]),
        InvalidArgumentError,
        "features[0]",
    ),
    # per-call options
    ("timeout=str", lambda c: c.customers.list(timeout="5"), InvalidArgumentError, "timeout must be a positive number"),
    ("timeout=0", lambda c: c.customers.list(timeout=0), InvalidArgumentError, "timeout must be a positive number"),
    ("max_retries=-1", lambda c: c.customers.list(max_retries=-1), InvalidArgumentError, "max_retries must be a whole"),
    (
        "extra_headers Authorization",
        lambda c: c.customers.list(extra_headers={"Authorization": "Bearer ck_test_other"}),
        InvalidArgumentError,
        "extra_headers cannot set Authorization",
    ),
    (
        "extra_headers value=int",
        lambda c: c.customers.list(extra_headers={"X-A": 1}),
        InvalidArgumentError,
        "extra_headers",
    ),
    # unknown keyword arguments: Python's own TypeError, raised at the call
    ("customers.create emial=", lambda c: c.customers.create(name="A", emial="a@b.c"), TypeError, "'emial'"),
    ("products.update activ=", lambda c: c.products.update("prod_1", activ=False), TypeError, "'activ'"),
    ("customers.list limit=", lambda c: c.customers.list(limit=10), TypeError, "'limit'"),
    # images
    (
        "upload_image oversized",
        lambda c: c.products.upload_image(content=b"\0" * 2_097_152),
        InvalidArgumentError,
        "content: is 2,097,152 bytes; the largest accepted is 2,097,151 bytes",
    ),
    (
        "upload_image str content",
        lambda c: c.products.upload_image(content="aGk="),
        InvalidArgumentError,
        "content: must be bytes",
    ),
    ("upload_image empty", lambda c: c.products.upload_image(content=b""), InvalidArgumentError, "content: is empty"),
    (
        "upload_image content_type",
        lambda c: c.products.upload_image(content=PNG, content_type="image/bmp"),
        InvalidArgumentError,
        "content_type: must be one of image/gif, image/jpeg, image/png, image/webp",
    ),
    (
        "upload_image filename",
        lambda c: c.products.upload_image(content=PNG, filename="logo.png"),
        InvalidArgumentError,
        "filename",
    ),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("label", "invoke", "error", "says"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_arguments_are_refused_before_anything_is_sent(
    server: FakeServer, clients: Clients, kind: Kind, label: str, invoke: Call, error: type[Exception], says: str
):
    since = last_seq(server)
    with pytest.raises(error) as caught:
        clients.run(kind, invoke)
    assert says in str(caught.value)
    if error is InvalidArgumentError:
        assert isinstance(caught.value, ValueError)  # and so also a ChingError
        assert isinstance(caught.value, ChingError)
    assert server.fake.requests.since(since) == []


# --- a client that cannot work is refused when it is built ----------------------------------------

CONSTRUCTION: list[tuple[str, dict[str, Any], str]] = [
    ("missing key", {}, "No API key: pass api_key=... or set CHING_API_KEY"),
    ("empty key", {"api_key": ""}, "The API key is empty"),
    ("whitespace-only key", {"api_key": "   \t"}, "The API key is empty"),
    ("key as bytes", {"api_key": DEFAULT_TEST_KEY.encode()}, "The API key must be a str, got bytes"),
    ("key with a newline", {"api_key": DEFAULT_TEST_KEY + "\n"}, "contains whitespace"),
    ("base URL without scheme", {"base_url": "api.ching.co.il/ching"}, "needs a scheme and a host"),
    ("base URL host:port without scheme", {"base_url": "localhost:12111/ching"}, "needs a scheme and a host"),
    ("base URL with another scheme", {"base_url": "ftp://api.ching.co.il/ching"}, "needs a scheme and a host"),
    (
        "live key over http to a remote host",
        {"api_key": DEFAULT_LIVE_KEY, "base_url": "http://api.ching.co.il/ching"},
        "Refusing to send a live key over plain http to api.ching.co.il: use https",
    ),
    (
        "live key over http to a remote IP",
        {"api_key": DEFAULT_LIVE_KEY, "base_url": "http://10.1.2.3:8080/ching"},
        "Refusing to send a live key over plain http",
    ),
]


@pytest.mark.parametrize("cls", [Ching, AsyncChing], ids=["sync", "async"])
@pytest.mark.parametrize(("label", "options", "says"), CONSTRUCTION, ids=[c[0] for c in CONSTRUCTION])
def test_a_client_that_cannot_work_is_refused_at_construction(
    cls: type[Ching] | type[AsyncChing], label: str, options: dict[str, Any], says: str
):
    options = {"api_key": DEFAULT_TEST_KEY, **options} if label != "missing key" else options
    with pytest.raises(ConfigurationError) as caught:
        cls(**options)
    assert says in str(caught.value)
    assert DEFAULT_TEST_KEY[8:] not in str(caught.value)
    assert DEFAULT_LIVE_KEY[8:] not in str(caught.value)


@pytest.mark.parametrize("cls", [Ching, AsyncChing], ids=["sync", "async"])
def test_an_empty_key_in_the_environment_is_refused_too(cls: type[Ching] | type[AsyncChing], monkeypatch):
    monkeypatch.setenv("CHING_API_KEY", " ")
    with pytest.raises(ConfigurationError, match="The API key is empty"):
        cls()


@pytest.mark.parametrize("cls", [Ching, AsyncChing], ids=["sync", "async"])
@pytest.mark.parametrize("url", ["http://127.0.0.1:12111/ching", "http://localhost:12111/ching", "http://[::1]:1/c"])
def test_a_live_key_over_http_to_loopback_is_allowed(cls: type[Ching] | type[AsyncChing], url: str):
    client = cls(api_key=DEFAULT_LIVE_KEY, base_url=url)
    assert client.livemode is True
    if isinstance(client, Ching):
        client.close()
