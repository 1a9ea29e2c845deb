"""Shared pieces of the reliability suite.

- Loopback endpoints that fail the way networks do: ``refused()`` (a port bound, never listened on)
  and ``blackhole()`` (a listener whose accept queue is full, so a connect times out).
- ``OPS``: every operation the SDK was generated with, as data, run against the local Ching over real
  sockets: how to set up what they need, how to call them, what a success answer looks like, and how
  to see in the fake's store whether (and how often) the write happened. A read the spec adds later
  is derived from the spec (``_derived``).
- ``Clients``: a ``Ching`` and an ``AsyncChing`` (asyncio, in a loop of its own thread) on one base
  URL, to call operations on either the same way and time each call.
- ``count_attempts()``: the attempts the SDK made, from its documented INFO log lines (for faults
  where nothing reaches the server, so the fake's request log cannot count them).
- ``RawServer``: a loopback server that answers every request with bytes the test writes itself, as
  a hostile or broken server would (oversized, endless, compressed, deeply nested).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import anyio

from ching_client import AsyncChing, Ching, ChingError, Customer, CustomersUpsertResult, DeletedCustomer, Product
from ching_client.testing import DEFAULT_TEST_KEY, FakeChing, FakeServer, envelopes
from ching_client.testing._spec import shipped_api
from tests.clients._support import generated_endpoints

KEY = DEFAULT_TEST_KEY
T = TypeVar("T")
Kind = Literal["sync", "async"]
KINDS: tuple[Kind, ...] = ("sync", "async")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
OLD_NAME = "Old Name"
NEW_NAME = "New Name"

#: When the canned objects below were created.
CANNED_CREATED = datetime(2026, 4, 19, 9, 12, 43, 250000, tzinfo=UTC)
# A customer as Ching returns it (every field the spec gives it), for servers of the tests' own that answer with one.
CUSTOMER: dict[str, Any] = envelopes.customer("Tal", id="cus_1", created=CANNED_CREATED)


# --- loopback endpoints that fail ---------------------------------------------------------------


@contextlib.contextmanager
def refused() -> Iterator[str]:
    """A base URL on 127.0.0.1 where every connection is refused at once.

    The port is bound but never listened on, and stays bound meanwhile, so no other process can
    start listening there in the middle of a test.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/ching"


@contextlib.contextmanager
def blackhole() -> Iterator[str]:
    """A base URL on 127.0.0.1 where connecting hangs until the client's connect timeout.

    The listener never accepts and its accept queue (backlog 0) is filled first, so Linux drops
    every further SYN: a true connect timeout on loopback, with no packet leaving the machine.
    A probe checks that it really hangs before any test relies on it.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(8):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)
            if _connect_hangs(address):
                break
        else:
            raise RuntimeError("could not fill the accept queue: this platform does not drop SYNs when it is full")
        yield f"http://127.0.0.1:{address[1]}/ching"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def read_request(connection: socket.socket, buffer: bytes = b"") -> bytes | None:
    """Read one request (head, then a ``Content-Length`` body) from ``connection``, after what ``buffer`` already
    holds of it; return the bytes read past its end (the next request's start), or None if the client hung up."""
    while b"\r\n\r\n" not in buffer:
        data = connection.recv(65536)
        if not data:
            return None
        buffer += data
    head, _, buffer = buffer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    size = int(length.group(1)) if length else 0
    while len(buffer) < size:
        data = connection.recv(65536)
        if not data:
            return None
        buffer += data
    return buffer[size:]


class RawServer:
    """A loopback HTTP server whose every answer is ``respond()``: the raw bytes to write, in chunks.

    Each request is read (head and ``Content-Length`` body), then the chunks are written and the
    connection closed. A client that hangs up early ends the writing quietly. ``requests`` counts
    the requests read.
    """

    def __init__(self, respond: Callable[[], Iterable[bytes]]) -> None:
        self._respond = respond
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/ching"
        self.requests = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._socket.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                if read_request(connection) is None:
                    return
                self.requests += 1
                for chunk in self._respond():
                    connection.sendall(chunk)
            except OSError:  # the client hung up, as it should once it has seen enough
                return

    def close(self) -> None:
        self._closed = True
        self._socket.close()


def run_async(variant: str, main: Callable[[], Awaitable[T]]) -> T:
    """``main()`` in a new event loop of ``variant``: ``asyncio``, ``uvloop`` (as ``uvicorn[standard]`` runs apps) or
    ``trio``; each loop is shut down as ``asyncio.run`` and ``trio.run`` do."""
    if variant == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main())  # type: ignore[arg-type]
    return anyio.run(main, backend=variant)


class KeptAliveServer(RawServer):
    """A loopback server that keeps each connection open and answers every request with a customer: the one its path
    names (``/v1/customers/cus_2`` gets ``cus_2``), or ``cus_new`` for a create.

    ``extra``, when given, is written after the first answer of all, in the same write: an unsolicited response, as a
    broken server or a proxy may send. It counts the connections opened, the requests read and the connections the
    client closed (``hangups``); ``wait_closed(n)`` waits for the n-th, so no test depends on the machine's speed.
    """

    def __init__(self, extra: bytes = b"") -> None:
        self._extra = extra
        self.connections = 0
        self.hangups = 0
        self._changed = threading.Condition()
        super().__init__(lambda: ())  # starts accepting: everything above is set first

    def _answer(self, connection: socket.socket) -> None:
        with self._changed:
            self.connections += 1
        self._serve(connection)

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            rest: bytes | None = b""
            try:
                while rest is not None:
                    while b"\r\n\r\n" not in rest:
                        data = connection.recv(65536)
                        if not data:
                            return
                        rest += data
                    target = rest.split(b" ", 2)[1].decode()
                    rest = read_request(connection, rest)
                    with self._changed:
                        self.requests += 1
                        extra, self._extra = self._extra, b""
                    connection.sendall(customer_response(target.rpartition("/")[2]) + extra)
            except OSError:
                return
            finally:
                with self._changed:
                    self.hangups += 1
                    self._changed.notify_all()

    def wait_closed(self, count: int, timeout: float = 10.0) -> int:
        """The number of connections the client closed, once it reaches ``count`` (or ``timeout`` seconds passed)."""
        with self._changed:
            self._changed.wait_for(lambda: self.hangups >= count, timeout)
            return self.hangups


def customer_response(customer_id: str) -> bytes:
    """A 200 with a customer of that id (``cus_new`` for anything that is not a customer's id), kept alive."""
    wanted = customer_id if customer_id.startswith("cus_") else "cus_new"
    body = json.dumps({"success": True, "data": {**CUSTOMER, "id": wanted}}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def raw_response(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.1 response with a ``Content-Length``, closing the connection."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _connect_hangs(address: tuple[str, int]) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.1)
        try:
            probe.connect(address)
        except TimeoutError:
            return True
        return False


def ching_error(run: Callable[[], Any]) -> ChingError:
    """The ``ChingError`` that ``run()`` raises; the test fails if it returns (any other exception fails it too)."""
    try:
        run()
    except ChingError as exc:
        return exc
    raise AssertionError("expected a ChingError; the call returned")


# --- counting attempts from the SDK's own log -----------------------------------------------------

_ATTEMPT = re.compile(r"\(attempt (\d+), ")


class _AttemptHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.attempts: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = _ATTEMPT.search(record.getMessage())
        if found is not None:
            self.attempts.append(int(found.group(1)))


@contextlib.contextmanager
def count_attempts() -> Iterator[list[int]]:
    """Collect the attempt numbers the SDK logs at INFO (one line per attempt, as the README documents)."""
    logger = logging.getLogger("ching_client")
    handler = _AttemptHandler()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler.attempts
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- the operations, against the local Ching ------------------------------------------------------


@dataclass
class Ctx:
    """What one cell set up: the objects an operation works on, and a unique email for creates."""

    tag: str
    customer_id: str = "cus_unset"
    product_id: str = "prod_unset"

    @property
    def email(self) -> str:
        return f"{self.tag}@example.com"


Client = AsyncChing | Ching


def _customer(ctx: Ctx, **changes: Any) -> dict[str, Any]:
    """The customer a cell's operation answers with, built as the local Ching renders one (every spec field)."""
    wire = envelopes.customer(
        NEW_NAME,
        id=ctx.customer_id if ctx.customer_id != "cus_unset" else "cus_Canned000001",
        email=ctx.email,
        phone="+972549876543",
        metadata={"tag": ctx.tag},
        created=CANNED_CREATED,
    )
    return {**wire, **changes}


def _product(ctx: Ctx, **changes: Any) -> dict[str, Any]:
    """The product a cell's operation answers with, built as the local Ching renders one (every spec field)."""
    wire = envelopes.product(
        NEW_NAME,
        id=ctx.product_id if ctx.product_id != "prod_unset" else "prod_Canned00001",
        features=[{"title": "Unlimited", "subtitle": None}],
        created=CANNED_CREATED,
    )
    return {**wire, **changes}


@dataclass(frozen=True)
class Op:
    """One SDK operation as the suite drives it against the local Ching."""

    name: str
    operation_id: str
    method: str
    safe: bool
    needs: Literal["customer", "product"] | None
    #: Calls the operation on a client, with per-call options (``timeout=``) as keywords.
    invoke: Callable[..., Any] = field(repr=False)
    path: Callable[[Ctx], str] = field(repr=False)
    #: The ``data`` of a success envelope, and other envelope fields (``action``).
    data: Callable[[Ctx], Any] = field(repr=False)
    envelope: dict[str, Any] = field(default_factory=dict, repr=False)
    #: How many times the write is visible in the fake afterwards (None: a read, nothing to see).
    effect: Callable[[FakeChing, Ching, Ctx], int] | None = field(default=None, repr=False)
    #: The type of a successful result.
    returns: type | None = None


def _retrieved_name(resource: str) -> Callable[[FakeChing, Ching, Ctx], int]:
    def effect(fake: FakeChing, inspector: Ching, ctx: Ctx) -> int:
        if resource == "customers":
            customer = inspector.customers.retrieve(ctx.customer_id)
            assert isinstance(customer, Customer)
            return int(customer.name == NEW_NAME)
        return int(inspector.products.retrieve(ctx.product_id).name == NEW_NAME)

    return effect


#: The operations of today's spec, with the setup, calls and effects that are their point.
CHOSEN: list[Op] = [
    Op(
        "customers.create",
        "customers_create",
        "POST",
        safe=False,
        needs=None,
        invoke=lambda c, ctx, **o: c.customers.create(name=NEW_NAME, email=ctx.email, metadata={"tag": ctx.tag}, **o),
        path=lambda ctx: "/v1/customers",
        data=_customer,
        effect=lambda fake, _, ctx: fake.counts(KEY).customers_created,
        returns=Customer,
    ),
    Op(
        "customers.list",
        "customers_list",
        "GET",
        safe=True,
        needs="customer",
        invoke=lambda c, ctx, **o: c.customers.list(**o),
        path=lambda ctx: "/v1/customers",
        data=lambda ctx: [_customer(ctx)],
        returns=list,
    ),
    Op(
        "customers.retrieve",
        "customers_retrieve",
        "GET",
        safe=True,
        needs="customer",
        invoke=lambda c, ctx, **o: c.customers.retrieve(ctx.customer_id, **o),
        path=lambda ctx: f"/v1/customers/{ctx.customer_id}",
        data=_customer,
        returns=Customer,
    ),
    Op(
        "customers.update",
        "customers_update",
        "POST",
        safe=True,
        needs="customer",
        invoke=lambda c, ctx, **o: c.customers.update(ctx.customer_id, name=NEW_NAME, **o),
        path=lambda ctx: f"/v1/customers/{ctx.customer_id}",
        data=_customer,
        effect=_retrieved_name("customers"),
        returns=Customer,
    ),
    Op(
        "customers.upsert",
        "customers_upsert",
        "POST",
        safe=True,
        needs=None,
        invoke=lambda c, ctx, **o: c.customers.upsert(identify_by="email", email=ctx.email, name=NEW_NAME, **o),
        path=lambda ctx: "/v1/customers/upsert",
        data=_customer,
        envelope={"action": "created"},
        # A new email: the first upsert that lands creates; any repeat updates the same customer.
        effect=lambda fake, _, ctx: fake.counts(KEY).customers_created,
        returns=CustomersUpsertResult,
    ),
    Op(
        "customers.delete",
        "customers_delete",
        "DELETE",
        safe=True,
        needs="customer",
        invoke=lambda c, ctx, **o: c.customers.delete(ctx.customer_id, **o),
        path=lambda ctx: f"/v1/customers/{ctx.customer_id}",
        data=lambda ctx: {"id": ctx.customer_id, "object": "customer", "deleted": True},
        effect=lambda fake, _, ctx: fake.counts(KEY).deleted_customers,
        returns=DeletedCustomer,
    ),
    Op(
        "products.create",
        "products_create",
        "POST",
        safe=False,
        needs=None,
        invoke=lambda c, ctx, **o: c.products.create(name=NEW_NAME, features=[{"title": "Unlimited"}], **o),
        path=lambda ctx: "/v1/products",
        data=_product,
        effect=lambda fake, _, ctx: fake.counts(KEY).products,
        returns=Product,
    ),
    Op(
        "products.list",
        "products_list",
        "GET",
        safe=True,
        needs="product",
        invoke=lambda c, ctx, **o: c.products.list(**o),
        path=lambda ctx: "/v1/products",
        data=lambda ctx: [_product(ctx)],
        returns=list,
    ),
    Op(
        "products.retrieve",
        "products_retrieve",
        "GET",
        safe=True,
        needs="product",
        invoke=lambda c, ctx, **o: c.products.retrieve(ctx.product_id, **o),
        path=lambda ctx: f"/v1/products/{ctx.product_id}",
        data=_product,
        returns=Product,
    ),
    Op(
        "products.update",
        "products_update",
        "POST",
        safe=True,
        needs="product",
        invoke=lambda c, ctx, **o: c.products.update(ctx.product_id, name=NEW_NAME, **o),
        path=lambda ctx: f"/v1/products/{ctx.product_id}",
        data=_product,
        effect=_retrieved_name("products"),
        returns=Product,
    ),
    Op(
        "products.upload_image",
        "products_upload_image",
        "POST",
        safe=False,
        needs=None,
        invoke=lambda c, ctx, **o: c.products.upload_image(
            content=PNG, content_type="image/png", filename=ctx.tag, **o
        ),
        path=lambda ctx: "/v1/products/upload_image",
        data=lambda ctx: {"url": f"https://files.ching.co.il/products/{ctx.tag}.png"},
        effect=lambda fake, _, ctx: fake.counts(KEY).images,
        returns=str,
    ),
]


def _derived(endpoint: Any) -> Op:
    """An operation the spec added, driven from the spec alone: a read of what its path names.

    Its path parameter names the object set up first (the resource's own kind: a customer for
    ``customers.*``); the spec's success example is the answer the faults alter.
    """
    operation = endpoint.OPERATION
    resource, method = operation.operation_id.split("_", 1)
    if operation.method != "GET":
        raise AssertionError(
            f"{operation.operation_id} is a write: add it to tests/reliability/_support.py CHOSEN, "
            "with the effect to count in the local Ching"
        )
    needs: Literal["customer", "product"] | None = None
    if "{" in operation.path:
        needs = "customer" if resource == "customers" else "product"
    _, example = shipped_api().example(shipped_api().operations[operation.operation_id])
    assert isinstance(example, dict)

    def object_id(ctx: Ctx) -> str:
        return ctx.customer_id if needs == "customer" else ctx.product_id

    def invoke(client: Any, ctx: Ctx, **options: Any) -> Any:
        arguments = (object_id(ctx),) if needs else ()
        return getattr(getattr(client, resource), method)(*arguments, **options)

    return Op(
        f"{resource}.{method}",
        operation.operation_id,
        operation.method,
        safe=operation.safe_to_repeat,
        needs=needs,
        invoke=invoke,
        path=lambda ctx: re.sub(r"\{[^/{}]+\}", object_id(ctx), operation.path),
        data=lambda ctx: copy.deepcopy(example["data"]),
        envelope={k: v for k, v in example.items() if k not in ("success", "data")},
        returns=type(endpoint.parse(example).data),
    )


#: Every operation the SDK was generated with: the chosen ones, then any other the spec has.
OPS: list[Op] = CHOSEN + [
    _derived(endpoint)
    for endpoint in generated_endpoints()
    if endpoint.OPERATION.operation_id not in {op.operation_id for op in CHOSEN}
]
OPS_BY_NAME = {op.name: op for op in OPS}


def set_up(op: Op, inspector: Ching, tag: str) -> Ctx:
    """Create what ``op`` works on, with a fault-free client."""
    ctx = Ctx(tag=tag)
    if op.needs == "customer":
        ctx.customer_id = inspector.customers.create(name=OLD_NAME, email=f"old-{tag}@example.com").id
    elif op.needs == "product":
        ctx.product_id = inspector.products.create(name=OLD_NAME).id
    return ctx


def last_seq(server: FakeServer) -> int:
    """The number of the newest logged request (0 when the log is empty)."""
    entries = server.fake.requests.entries()
    return entries[-1].seq if entries else 0


# --- one client of each kind for many calls ---------------------------------------------------------


@dataclass
class Outcome:
    """How one call ended, and how long it took."""

    result: Any
    error: BaseException | None
    elapsed: float


async def _awaited(fn: Callable[[Any], Any], client: Any) -> Any:
    return await fn(client)


async def _timed(fn: Callable[[Any], Any], client: Any) -> Outcome:
    started = time.monotonic()
    try:
        return Outcome(await fn(client), None, time.monotonic() - started)
    except Exception as exc:
        return Outcome(None, exc, time.monotonic() - started)


class Clients:
    """A ``Ching`` and an ``AsyncChing`` built as users build them, on one base URL, for many calls.

    The async client lives in an asyncio event loop of its own thread (an anyio blocking portal),
    so one instance serves a whole module, as one client serves a whole application.
    ``run(kind, fn)`` calls ``fn(client)`` (awaiting it for the async client) and returns its result.
    """

    def __init__(self, base_url: str, **options: Any) -> None:
        self._stack = contextlib.ExitStack()
        self.sync = self._stack.enter_context(Ching(api_key=KEY, base_url=base_url, **options))
        self.portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        self.async_ = self.portal.call(lambda: AsyncChing(api_key=KEY, base_url=base_url, **options))
        self._stack.callback(self.portal.call, self.async_.aclose)

    def run(self, kind: Kind, fn: Callable[[Any], Any]) -> Any:
        if kind == "sync":
            return fn(self.sync)
        return self.portal.call(_awaited, fn, self.async_)

    def call(self, kind: Kind, op: Op, ctx: Ctx, **options: Any) -> Outcome:
        """Call ``op`` once and time the call alone (per-call options such as ``timeout=`` as keywords)."""

        def fn(client: Any) -> Any:
            return op.invoke(client, ctx, **options)

        if kind == "async":
            outcome: Outcome = self.portal.call(_timed, fn, self.async_)
            return outcome
        started = time.monotonic()
        try:
            return Outcome(fn(self.sync), None, time.monotonic() - started)
        except Exception as exc:
            return Outcome(None, exc, time.monotonic() - started)

    def close(self) -> None:
        self._stack.close()
