"""Shared pieces of the client behaviour tests.

- ``ScriptedServer``: an ``httpx.MockTransport`` handler that answers from a script (the last
  reply repeats) and records every request, so a test can count attempts and read what was sent.
- ``OPS``: every operation the SDK was generated with, as data: how to call it, the request it must
  send, the success reply, and whether the spec calls it safe to repeat. Method, path and safety come
  from the generated operations; the arguments from ``RECIPES``, or from the spec's examples for an
  operation without one, so an operation the spec adds is tested with no edit here.
- ``Harness``: builds an ``AsyncChing`` or a ``Ching`` on the scripted server and calls a resource
  method the same way for both (``await harness.call(ching.customers.create, name=...)``), so
  each behaviour test is written once and runs on both clients.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, Literal
from urllib.parse import quote

from ching_client import AsyncChing, Ching, Customer, CustomersUpsertResult, DeletedCustomer, Product
from ching_client._generated import api as generated_api
from ching_client.testing import FakeChing, envelopes
from ching_client.testing._spec import Operation as SpecOperation
from ching_client.testing._spec import shipped_api
from tests.engine import http

TEST_KEY = "ck_test_" + "0" * 64
LIVE_KEY = "ck_live_" + "1" * 64
DEFAULT_BASE_URL = "https://api.ching.co.il/ching"

# Ching's objects as the local Ching renders them (ching_client.testing.envelopes), so they carry every field
# the spec gives them, whatever the spec adds later.
CUSTOMER: dict[str, Any] = envelopes.customer(
    "Tal Levi",
    id="cus_V8ltq1pK_MWH",
    email="tal@example.com",
    phone="+972501234567",
    locale="he",
    tax_id="515123456",
    metadata={"user_id": "42"},
    created=datetime(2026, 4, 19, 9, 12, 43, tzinfo=UTC),
)
DELETED_CUSTOMER: dict[str, Any] = envelopes.deleted_customer("cus_V8ltq1pK_MWH")
PRODUCT: dict[str, Any] = envelopes.product(
    "Pro Plan",
    id="prod_Lkt0TxOhGNMY",
    image_url="https://files.ching.co.il/products/pro.png",
    features=[
        {"title": "Unlimited customers", "subtitle": None},
        {"title": "Priority support", "subtitle": "Under 4h response time"},
    ],
    metadata={"tier": "pro"},
    created=datetime(2026, 4, 19, 9, 12, 43, 250000, tzinfo=UTC),
)
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


def with_id(reply: Reply, request_id: str, **headers: str) -> Reply:
    """``reply`` with an ``X-Request-Id`` (and any other headers) on its response."""

    def answer(request: http.Request) -> Outcome:
        response = reply(request)
        assert isinstance(response, http.Response)
        response.headers["X-Request-Id"] = request_id
        response.headers.update(headers)
        return response

    return answer


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
    #: The spec's path template, such as ``/v1/customers/{id}``.
    template: str = ""

    def bind(self, client: Client) -> Callable[..., Any]:
        resource, method = self.name.split(".")
        return getattr(getattr(client, resource), method)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Recipe:
    """How a test calls one operation: its arguments, the JSON body they send, Ching's answer, a check of the result."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    body: Any
    reply: Reply
    check: Callable[[Any], bool] = field(repr=False)


def _is(cls: type) -> Callable[[Any], bool]:
    return lambda result: type(result) is cls


def _list_of(cls: type, length: int) -> Callable[[Any], bool]:
    return lambda result: isinstance(result, list) and [type(item) for item in result] == [cls] * length


#: Arguments chosen by hand where they are the point (snake_case to camelCase, nested inputs, bytes to base64);
#: an operation the spec adds later gets a recipe derived from the spec (``_derived``).
RECIPES: dict[str, Recipe] = {
    "customers.create": Recipe(
        args=(),
        kwargs={"name": "Tal Levi", "email": "tal@example.com", "tax_id": "515123456", "metadata": {"user_id": "42"}},
        body={"name": "Tal Levi", "email": "tal@example.com", "taxId": "515123456", "metadata": {"user_id": "42"}},
        reply=ok(CUSTOMER),
        check=_is(Customer),
    ),
    "customers.list": Recipe(
        args=(),
        kwargs={},
        body=None,
        reply=ok([CUSTOMER]),
        check=_list_of(Customer, 1),
    ),
    "customers.retrieve": Recipe(
        args=("cus_V8ltq1pK_MWH",),
        kwargs={},
        body=None,
        reply=ok(CUSTOMER),
        check=_is(Customer),
    ),
    "customers.update": Recipe(
        args=("cus_V8ltq1pK_MWH",),
        kwargs={"phone": "054-987-6543", "locale": "en"},
        body={"phone": "054-987-6543", "locale": "en"},
        reply=ok(CUSTOMER),
        check=_is(Customer),
    ),
    "customers.upsert": Recipe(
        args=(),
        kwargs={"identify_by": "email", "email": "tal@example.com", "name": "Tal"},
        body={"identifyBy": "email", "email": "tal@example.com", "name": "Tal"},
        reply=ok(CUSTOMER, action="updated"),
        check=lambda result: (
            type(result) is CustomersUpsertResult and result.action == "updated" and type(result.customer) is Customer
        ),
    ),
    "customers.delete": Recipe(
        args=("cus_V8ltq1pK_MWH",),
        kwargs={},
        body=None,
        reply=ok(DELETED_CUSTOMER),
        check=_is(DeletedCustomer),
    ),
    "products.create": Recipe(
        args=(),
        kwargs={"name": "Pro Plan", "description": "Everything", "features": [{"title": "Unlimited customers"}]},
        body={"name": "Pro Plan", "description": "Everything", "features": [{"title": "Unlimited customers"}]},
        reply=ok(PRODUCT),
        check=_is(Product),
    ),
    "products.list": Recipe(
        args=(),
        kwargs={},
        body=None,
        reply=ok([PRODUCT, PRODUCT]),
        check=_list_of(Product, 2),
    ),
    "products.retrieve": Recipe(
        args=("prod_Lkt0TxOhGNMY",),
        kwargs={},
        body=None,
        reply=ok(PRODUCT),
        check=_is(Product),
    ),
    "products.update": Recipe(
        args=("prod_Lkt0TxOhGNMY",),
        kwargs={"active": False, "metadata": {"tier": "legacy"}},
        body={"active": False, "metadata": {"tier": "legacy"}},
        reply=ok(PRODUCT),
        check=_is(Product),
    ),
    "products.upload_image": Recipe(
        args=(),
        kwargs={"content": PNG_BYTES, "content_type": "image/png", "filename": "pro-plan"},
        body={"content": base64.b64encode(PNG_BYTES).decode(), "content_type": "image/png", "filename": "pro-plan"},
        reply=ok({"url": IMAGE_URL}),
        check=lambda result: result == IMAGE_URL,
    ),
}


def generated_endpoints() -> list[ModuleType]:
    """Every generated operation module, found in the package itself: a new operation joins the tests by itself."""
    prefix = generated_api.__name__ + "."
    modules = [importlib.import_module(info.name) for info in pkgutil.walk_packages(generated_api.__path__, prefix)]
    return [module for module in modules if hasattr(module, "OPERATION")]


def _parameter_example(operation: SpecOperation, name: str) -> str:
    """The spec's example of a path parameter (``cus_V8ltq1pK_MWH`` for a customer id), else ``<name>_1``."""
    api = shipped_api()
    item = api.deref(api.spec["paths"][operation.template])
    for parameter in [*(item.get("parameters") or ()), *(operation.spec.get("parameters") or ())]:
        parameter = api.deref(parameter)
        if parameter.get("name") == name and parameter.get("in") == "path":
            examples = (parameter.get("schema") or {}).get("examples") or [f"{name}_1"]
            return str(parameter.get("example", examples[0]))
    return f"{name}_1"


def _derived(endpoint: ModuleType) -> Recipe:
    """A recipe from the spec alone: its path parameters' examples, its success example as the answer.

    The result must be what the generated parser reads from that answer (its ``data``).
    """
    api = shipped_api()
    operation = api.operations[endpoint.OPERATION.operation_id]
    if operation.body_schema is not None:
        raise AssertionError(
            f"{operation.operation_id} takes a request body: give it a Recipe in tests/clients/_support.py RECIPES "
            "(the arguments a user passes and the body they send)"
        )
    status, body = api.example(operation)

    def reply(request: http.Request) -> Outcome:
        return http.Response(status, json=body)

    return Recipe(
        args=tuple(_parameter_example(operation, name) for name in operation.params),
        kwargs={},
        body=None,
        reply=reply,
        check=lambda result: bool(result == endpoint.parse(body).data),
    )


def _op(endpoint: ModuleType) -> Op:
    """The ``Op`` of a generated operation: method, path and safety from the spec, the call from its recipe."""
    operation = endpoint.OPERATION
    name = operation.operation_id.replace("_", ".", 1)
    recipe = RECIPES.get(name) or _derived(endpoint)
    args = iter(recipe.args)
    path = re.sub(r"\{[^/{}]+\}", lambda _: quote(str(next(args)), safe=""), operation.path)
    return Op(
        name=name,
        args=recipe.args,
        kwargs=recipe.kwargs,
        http_method=operation.method,
        path=path,
        body=recipe.body,
        reply=recipe.reply,
        safe=operation.safe_to_repeat,
        check=recipe.check,
        template=operation.path,
    )


def _order(op: Op) -> tuple[int, str]:
    """The recipes' order first (tests pick ``OPS[1]``, a list, and ``OPS[2]``, a retrieve), then by name."""
    names = list(RECIPES)
    return (names.index(op.name) if op.name in names else len(names), op.name)


OPS: list[Op] = sorted((_op(endpoint) for endpoint in generated_endpoints()), key=_order)
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

    def local(self, fake: FakeChing, **options: Any) -> Client:
        """A client on the local Ching ``fake``, in-process (``timeout`` and ``max_retries`` as options)."""
        return fake.async_ching(**options) if self.kind == "async" else fake.ching(**options)

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


@asynccontextmanager
async def own_pool(kind: Kind, base_url: str, **options: Any) -> AsyncIterator[Client]:
    """A client of ``kind`` on the SDK's own connection pool (no ``http_client``) at ``base_url``, closed afterwards."""
    options.setdefault("api_key", TEST_KEY)
    if kind == "async":
        async with AsyncChing(base_url=base_url, **options) as ching:
            yield ching
    else:
        with Ching(base_url=base_url, **options) as sync_ching:
            yield sync_ching
