"""Shared pieces of the client behaviour tests.

- ``ScriptedServer``: an ``httpx.MockTransport`` handler that answers from a script (the last
  reply repeats) and records every request, so a test can count attempts and read what was sent.
- ``OPS``: every resource method of the API as data: how to call it, the request it must send,
  the success reply, and whether the spec calls it safe to repeat.
- ``Harness``: builds an ``AsyncChing`` or a ``Ching`` on the scripted server and calls a resource
  method the same way for both (``await harness.call(ching.customers.create, name=...)``), so
  each behaviour test is written once and runs on both clients.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from ching_client import AsyncChing, Ching, Customer, CustomersUpsertResult, DeletedCustomer, Product
from tests.engine import http

TEST_KEY = "ck_test_" + "0" * 64
LIVE_KEY = "ck_live_" + "1" * 64
DEFAULT_BASE_URL = "https://api.ching.co.il/ching"

CUSTOMER: dict[str, Any] = {
    "id": "cus_V8ltq1pK_MWH",
    "object": "customer",
    "name": "Tal Levi",
    "email": "tal@example.com",
    "phone": "+972501234567",
    "locale": "he",
    "taxId": "515123456",
    "metadata": {"user_id": "42"},
    "default_payment_method": None,
    "livemode": False,
    "created": "2026-04-19T09:12:43Z",
}
DELETED_CUSTOMER: dict[str, Any] = {"id": "cus_V8ltq1pK_MWH", "object": "customer", "deleted": True}
PRODUCT: dict[str, Any] = {
    "id": "prod_Lkt0TxOhGNMY",
    "object": "product",
    "name": "Pro Plan",
    "description": None,
    "image_url": "https://files.ching.co.il/products/pro.png",
    "features": [
        {"title": "Unlimited customers", "subtitle": None},
        {"title": "Priority support", "subtitle": "Under 4h response time"},
    ],
    "active": True,
    "metadata": {"tier": "pro"},
    "livemode": False,
    "created": "2026-04-19T09:12:43.250Z",
}
IMAGE_URL = "https://files.ching.co.il/products/img_7f3a.png"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

Outcome = http.Response | Exception
Reply = Callable[[http.Request], Outcome]
Kind = Literal["async", "sync"]
Client = AsyncChing | Ching


# --- replies ---------------------------------------------------------------------------------


def ok(data: Any, *, status: int = 200, **envelope: Any) -> Reply:
    """A success envelope around ``data`` (extra envelope fields such as ``action`` as keywords)."""

    def reply(request: http.Request) -> Outcome:
        return http.Response(status, json={"success": True, "data": data, **envelope})

    return reply


def error(
    status: int,
    code: str = "SOME_CODE",
    message: str = "Something went wrong",
    *,
    issues: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """Ching's error envelope with ``status``."""
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if issues is not None:
        body["issues"] = issues

    def reply(request: http.Request) -> Outcome:
        return http.Response(status, json={"success": False, "error": body}, headers=headers)

    return reply


def raw(status: int, content: bytes | str, content_type: str = "text/html") -> Reply:
    """Any body at all, such as a proxy's HTML page."""
    data = content.encode() if isinstance(content, str) else content

    def reply(request: http.Request) -> Outcome:
        return http.Response(status, content=data, headers={"Content-Type": content_type})

    return reply


def fail(exc_type: type[http.TransportError], message: str = "transport failure") -> Reply:
    """The transport raises ``exc_type`` for this attempt (no response at all)."""

    def reply(request: http.Request) -> Outcome:
        return exc_type(message, request=request)

    return reply


# --- the scripted server ---------------------------------------------------------------------


class ScriptedServer:
    """Answers requests from a script of replies, in order; the last reply repeats forever."""

    def __init__(self) -> None:
        self.requests: list[http.Request] = []
        self._script: list[Reply] = []

    def script(self, *replies: Reply) -> None:
        """Replace the script (and forget recorded requests)."""
        self._script = list(replies)
        self.requests.clear()

    def handle(self, request: http.Request) -> http.Response:
        self.requests.append(request)
        if not self._script:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        reply = self._script.pop(0) if len(self._script) > 1 else self._script[0]
        outcome = reply(request)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    @property
    def count(self) -> int:
        return len(self.requests)

    def body(self, index: int = 0) -> Any:
        """The JSON body of request ``index``, or None when it had no body."""
        content = self.requests[index].content
        return json.loads(content) if content else None

    def header(self, name: str) -> list[str | None]:
        """One header's value on every recorded request, in order."""
        return [r.headers.get(name) for r in self.requests]


# --- the operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One resource method: how to call it, what it must send, how Ching answers it."""

    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    http_method: str
    path: str
    body: Any
    reply: Reply
    safe: bool
    check: Callable[[Any], bool] = field(repr=False)

    def bind(self, client: Client) -> Callable[..., Any]:
        resource, method = self.name.split(".")
        return getattr(getattr(client, resource), method)  # type: ignore[no-any-return]


def _is(cls: type) -> Callable[[Any], bool]:
    return lambda result: type(result) is cls


def _list_of(cls: type, length: int) -> Callable[[Any], bool]:
    return lambda result: isinstance(result, list) and [type(item) for item in result] == [cls] * length


OPS: list[Op] = [
    Op(
        name="customers.create",
        args=(),
        kwargs={"name": "Tal Levi", "email": "tal@example.com", "tax_id": "515123456", "metadata": {"user_id": "42"}},
        http_method="POST",
        path="/v1/customers",
        body={"name": "Tal Levi", "email": "tal@example.com", "taxId": "515123456", "metadata": {"user_id": "42"}},
        reply=ok(CUSTOMER),
        safe=False,
        check=_is(Customer),
    ),
    Op(
        name="customers.list",
        args=(),
        kwargs={},
        http_method="GET",
        path="/v1/customers",
        body=None,
        reply=ok([CUSTOMER]),
        safe=True,
        check=_list_of(Customer, 1),
    ),
    Op(
        name="customers.retrieve",
        args=("cus_V8ltq1pK_MWH",),
        kwargs={},
        http_method="GET",
        path="/v1/customers/cus_V8ltq1pK_MWH",
        body=None,
        reply=ok(CUSTOMER),
        safe=True,
        check=_is(Customer),
    ),
    Op(
        name="customers.update",
        args=("cus_V8ltq1pK_MWH",),
        kwargs={"phone": "054-987-6543", "locale": "en"},
        http_method="POST",
        path="/v1/customers/cus_V8ltq1pK_MWH",
        body={"phone": "054-987-6543", "locale": "en"},
        reply=ok(CUSTOMER),
        safe=True,
        check=_is(Customer),
    ),
    Op(
        name="customers.upsert",
        args=(),
        kwargs={"identify_by": "email", "email": "tal@example.com", "name": "Tal"},
        http_method="POST",
        path="/v1/customers/upsert",
        body={"identifyBy": "email", "email": "tal@example.com", "name": "Tal"},
        reply=ok(CUSTOMER, action="updated"),
        safe=True,
        check=lambda result: (
            type(result) is CustomersUpsertResult and result.action == "updated" and type(result.customer) is Customer
        ),
    ),
    Op(
        name="customers.delete",
        args=("cus_V8ltq1pK_MWH",),
        kwargs={},
        http_method="DELETE",
        path="/v1/customers/cus_V8ltq1pK_MWH",
        body=None,
        reply=ok(DELETED_CUSTOMER),
        safe=True,
        check=_is(DeletedCustomer),
    ),
    Op(
        name="products.create",
        args=(),
        kwargs={"name": "Pro Plan", "description": "Everything", "features": [{"title": "Unlimited customers"}]},
        http_method="POST",
        path="/v1/products",
        body={"name": "Pro Plan", "description": "Everything", "features": [{"title": "Unlimited customers"}]},
        reply=ok(PRODUCT),
        safe=False,
        check=_is(Product),
    ),
    Op(
        name="products.list",
        args=(),
        kwargs={},
        http_method="GET",
        path="/v1/products",
        body=None,
        reply=ok([PRODUCT, PRODUCT]),
        safe=True,
        check=_list_of(Product, 2),
    ),
    Op(
        name="products.retrieve",
        args=("prod_Lkt0TxOhGNMY",),
        kwargs={},
        http_method="GET",
        path="/v1/products/prod_Lkt0TxOhGNMY",
        body=None,
        reply=ok(PRODUCT),
        safe=True,
        check=_is(Product),
    ),
    Op(
        name="products.update",
        args=("prod_Lkt0TxOhGNMY",),
        kwargs={"active": False, "metadata": {"tier": "legacy"}},
        http_method="POST",
        path="/v1/products/prod_Lkt0TxOhGNMY",
        body={"active": False, "metadata": {"tier": "legacy"}},
        reply=ok(PRODUCT),
        safe=True,
        check=_is(Product),
    ),
    Op(
        name="products.upload_image",
        args=(),
        kwargs={"content": PNG_BYTES, "content_type": "image/png", "filename": "pro-plan"},
        http_method="POST",
        path="/v1/products/upload_image",
        body={"content": base64.b64encode(PNG_BYTES).decode(), "content_type": "image/png", "filename": "pro-plan"},
        reply=ok({"url": IMAGE_URL}),
        safe=False,
        check=lambda result: result == IMAGE_URL,
    ),
]
OPS_BY_NAME = {op.name: op for op in OPS}
UNSAFE_OPS = {"customers.create", "products.create", "products.upload_image"}
ID_OPS = [op for op in OPS if op.args]


def op_id(op: Op) -> str:
    return op.name


# --- the async/sync harness -------------------------------------------------------------------


@dataclass
class Harness:
    """Builds either client on the scripted server and calls its methods the same way."""

    kind: Kind
    server: ScriptedServer

    def client(self, *, http_options: Mapping[str, Any] | None = None, **options: Any) -> Client:
        """A client whose (injected) httpx client sends to the scripted server."""
        options.setdefault("api_key", TEST_KEY)
        transport = http.MockTransport(self.server.handle)
        if self.kind == "async":
            return AsyncChing(http_client=http.AsyncClient(transport=transport, **(http_options or {})), **options)
        return Ching(http_client=http.Client(transport=transport, **(http_options or {})), **options)

    def owned_client(self, **options: Any) -> Client:
        """A client that opens its own connection pool (pair with pytest-httpx)."""
        options.setdefault("api_key", TEST_KEY)
        return AsyncChing(**options) if self.kind == "async" else Ching(**options)

    async def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a resource method of either client; the async one must return an awaitable, the sync one must not."""
        result = method(*args, **kwargs)
        if self.kind == "async":
            assert inspect.isawaitable(result), f"{method} of AsyncChing returned {result!r}, not an awaitable"
            return await result
        assert not inspect.isawaitable(result), f"{method} of Ching returned an awaitable"
        return result

    async def run(self, op: Op, client: Client, **overrides: Any) -> Any:
        """Call ``op`` with its table arguments (plus ``overrides``)."""
        return await self.call(op.bind(client), *op.args, **{**op.kwargs, **overrides})

    async def close(self, client: Client) -> None:
        if isinstance(client, AsyncChing):
            await client.aclose()
        else:
            client.close()

    @asynccontextmanager
    async def opened(self, client: Client) -> AsyncIterator[Client]:
        """Use the client as a context manager, the way its users do."""
        if isinstance(client, AsyncChing):
            async with client as entered:
                yield entered
        else:
            with client as entered_sync:
                yield entered_sync
