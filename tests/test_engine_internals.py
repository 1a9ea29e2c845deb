"""The private names of httpx, httpcore, httpx2 and httpcore2 that the SDK relies on are still there, as it uses them.

``ching_client/_http/private.py`` lists them (``NAMES``) and is the only code that spells them. Each entry has a check
here, run on both families against live objects: transports and pools sending real requests to a loopback server,
sync and async. Most check what the SDK's use depends on rather than a mere ``hasattr``: a replaced backend or lock
is really the one the pool then uses, the pool's request carries the httpx request's own ``extensions`` dict, a
method takes no arguments and is not a coroutine.

Without these, a release that renames one would pass unnoticed where the SDK reads it defensively (the guard against
another event loop, the refusal of a live key sent through a proxy and the check for bytes past a response would
silently do nothing) and fail at the first request where it does not. A failure names the package and
version, the name, what the SDK uses it for, and what to do. ``make deps-range`` runs this module on the lowest and
the highest versions ``pyproject.toml`` allows.
"""

from __future__ import annotations

import contextlib
import inspect
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import h11
import pytest

from ching_client._http import private
from ching_client._http.engines import ENGINES, Engine, engine
from ching_client._http.private import NAMES, PrivateName

from .reliability._support import KeptAliveServer


@dataclass
class Live:
    """One family, the URL of a loopback server that keeps connections alive, and the test's ``monkeypatch``."""

    engine: Engine
    url: str
    monkeypatch: pytest.MonkeyPatch

    @property
    def http(self) -> Any:
        return self.engine.http

    @property
    def core(self) -> Any:
        return self.engine.core

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.url.removeprefix("http://").partition("/")[0].partition(":")
        return host, int(port)


@pytest.fixture(scope="module")
def server() -> Iterator[KeptAliveServer]:
    with contextlib.closing(KeptAliveServer()) as server:
        yield server


@pytest.fixture(params=ENGINES)
def live(request: pytest.FixtureRequest, server: KeptAliveServer, monkeypatch: pytest.MonkeyPatch) -> Live:
    return Live(engine(request.param), server.base_url + "/v1/customers/cus_1", monkeypatch)


# -- what the checks share ------------------------------------------------------------------------------------------


class CountingLock:
    """A lock that counts how often it was entered: proof that the owner really takes the lock put in its place."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entered = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self.entered += 1

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class CountingBackend:
    """A sync network backend that counts the connections opened through it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.connects = 0

    def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        self.connects += 1
        return self.inner.connect_tcp(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class AsyncCountingBackend(CountingBackend):
    """``CountingBackend`` for async pools."""

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        self.connects += 1
        return await self.inner.connect_tcp(*args, **kwargs)


@contextlib.contextmanager
def sync_response(live: Live, transport: Any = None) -> Iterator[tuple[Any, Any, Any]]:
    """The pool of a sync transport, a request, and its response, open (its connection held) until the block ends.
    A transport of the block's own is closed with it; one passed in stays open."""
    with contextlib.ExitStack() as stack:
        if transport is None:
            transport = stack.enter_context(live.http.HTTPTransport())
        request = live.http.Request("GET", live.url)
        response = transport.handle_request(request)
        stack.callback(response.close)
        stack.callback(response.read)  # first: a body read to its end leaves the connection in the pool
        yield private.transport_pool(transport), request, response


@contextlib.asynccontextmanager
async def async_response(live: Live, transport: Any = None) -> AsyncIterator[tuple[Any, Any, Any]]:
    """``sync_response`` on an async transport."""
    async with contextlib.AsyncExitStack() as stack:
        if transport is None:
            transport = await stack.enter_async_context(live.http.AsyncHTTPTransport())
        request = live.http.Request("GET", live.url)
        response = await transport.handle_async_request(request)
        stack.push_async_callback(response.aclose)
        stack.push_async_callback(response.aread)
        yield private.transport_pool(transport), request, response


def run(check: Callable[[Live], Any], live: Live) -> None:
    """An async part of a check, in a loop of its own."""
    anyio.run(check, live)


def only_connection(pool: Any) -> Any:
    [connection] = private.pool_connections(pool)
    return connection


def in_package(value: object, live: Live) -> bool:
    """Whether ``value`` is an object of the family's httpcore."""
    package: str = live.core.__name__
    return type(value).__module__.split(".")[0] == package


# -- httpx, httpx2 ---------------------------------------------------------------------------------------------------


def check_client_transport(live: Live) -> None:
    http = live.http
    with http.Client() as client:
        assert isinstance(private.client_transport(client), http.HTTPTransport)
    mock = http.MockTransport(lambda request: http.Response(200))
    with http.Client(transport=mock) as client:
        assert private.client_transport(client) is mock
    run(check_async_client_transport, live)


async def check_async_client_transport(live: Live) -> None:
    async with live.http.AsyncClient() as client:
        assert isinstance(private.client_transport(client), live.http.AsyncHTTPTransport)


def check_mounts(live: Live) -> None:
    http = live.http
    mock = http.MockTransport(lambda request: http.Response(200))
    for kind in (http.Client, http.AsyncClient):
        client = kind(mounts={"https://elsewhere.example": mock})  # never sends: nothing to close
        assert mock in private.mounted_transports(client), kind


def check_pool(live: Live) -> None:
    with live.http.HTTPTransport() as transport:
        assert isinstance(private.transport_pool(transport), live.core.ConnectionPool)
    run(check_async_pool, live)


async def check_async_pool(live: Live) -> None:
    async with live.http.AsyncHTTPTransport() as transport:
        assert isinstance(private.transport_pool(transport), live.core.AsyncConnectionPool)


def check_httpcore_stream(live: Live) -> None:
    with sync_response(live) as (_, _, response):
        inner = response.stream._httpcore_stream
        assert in_package(inner, live), type(inner)
        assert hasattr(inner, "__iter__"), type(inner)
    run(check_async_httpcore_stream, live)


async def check_async_httpcore_stream(live: Live) -> None:
    async with async_response(live) as (_, _, response):
        inner = response.stream._httpcore_stream
        assert in_package(inner, live), type(inner)
        assert hasattr(inner, "__aiter__"), type(inner)


# -- httpcore, httpcore2: pools ----------------------------------------------------------------------------------------


def check_network_backend(live: Live) -> None:
    with live.http.HTTPTransport() as transport:
        pool = private.transport_pool(transport)
        counting = CountingBackend(private.network_backend(pool))
        private.set_network_backend(pool, counting)
        with sync_response(live, transport):
            assert counting.connects == 1, "the pool did not connect through the backend put in its place"
    run(check_async_network_backend, live)


async def check_async_network_backend(live: Live) -> None:
    async with live.http.AsyncHTTPTransport() as transport:
        pool = private.transport_pool(transport)
        counting = AsyncCountingBackend(private.network_backend(pool))
        private.set_network_backend(pool, counting)
        async with async_response(live, transport):
            assert counting.connects == 1, "the pool did not connect through the backend put in its place"


def check_connections(live: Live) -> None:
    with live.http.HTTPTransport() as transport:
        with sync_response(live, transport) as (pool, _, _):
            pass
        connection = only_connection(pool)
        assert connection.is_idle()
        assert not connection.is_closed()
        private.pool_connections(pool).remove(connection)  # as the healing does: the pool sees the change
        assert pool.connections == []
        connection.close()
    run(check_async_connections, live)


async def check_async_connections(live: Live) -> None:
    async with live.http.AsyncHTTPTransport() as transport:
        async with async_response(live, transport) as (pool, _, _):
            pass
        connection = only_connection(pool)
        assert connection.is_idle()
        assert not connection.is_closed()
        private.pool_connections(pool).remove(connection)
        assert pool.connections == []
        await connection.aclose()


def requests_in_flight(pool: Any, request: Any) -> None:
    """What the healing relies on while a response is open: one pool request, carrying the httpx request's own
    ``extensions`` dict (the SDK recognises its requests by its identity), with the connection it was given."""
    [pool_request] = private.pool_requests(pool)
    assert pool_request.request.extensions is request.extensions, "the pool's request has a copy of the extensions"
    assert pool_request.connection is only_connection(pool)


def check_requests(live: Live) -> None:
    with sync_response(live) as (pool, request, _):
        requests_in_flight(pool, request)
    assert private.pool_requests(pool) == []
    run(check_async_requests, live)


async def check_async_requests(live: Live) -> None:
    async with async_response(live) as (pool, request, _):
        requests_in_flight(pool, request)
    assert private.pool_requests(pool) == []


def check_pool_lock(live: Live) -> None:
    with live.http.HTTPTransport() as transport:
        pool = private.transport_pool(transport)
        counting = CountingLock()
        private.set_pool_lock(pool, counting)
        assert private.pool_lock(pool) is counting
        with sync_response(live, transport):
            assert counting.entered, "the pool did not take the lock put in its place"
    run(check_async_pool_lock, live)


async def check_async_pool_lock(live: Live) -> None:
    async with live.http.AsyncHTTPTransport() as transport:
        pool = private.transport_pool(transport)
        with private.pool_lock(pool):  # a plain (not async) context manager, entered from async code
            pass
        counting = CountingLock()
        private.set_pool_lock(pool, counting)
        async with async_response(live, transport):
            assert counting.entered, "the pool did not take the lock put in its place"


def check_assign_requests(live: Live) -> None:
    for kind in (live.http.HTTPTransport, live.http.AsyncHTTPTransport):
        pool = private.transport_pool(kind())
        method = pool._assign_requests_to_connections
        assert list(inspect.signature(method).parameters) == [], inspect.signature(method)
        assert not inspect.iscoroutinefunction(method), "it became a coroutine: heal() calls it without await"
        with private.pool_lock(pool):
            assert private.assign_requests_to_connections(pool) == []


# -- httpcore, httpcore2: streams and connections --------------------------------------------------------------------


def check_pool_stream(live: Live) -> None:
    with sync_response(live) as (_, _, response):
        inner = response.stream._httpcore_stream._stream
        assert type(inner).__name__ == "HTTP11ConnectionByteStream", type(inner)
        assert in_package(inner, live), type(inner)


def check_stream_connection(live: Live) -> None:
    with sync_response(live) as (_, _, response):
        connection = response.stream._httpcore_stream._stream._connection
        assert isinstance(connection, live.core.HTTP11Connection), type(connection)


def check_h11_state(live: Live) -> None:
    with sync_response(live) as (_, _, response):
        state = private.h11_state(response.stream)
        assert isinstance(state, h11.Connection), f"h11_state() found {state!r}"
        response.read()
        assert state.trailing_data == (b"", False)
        assert callable(state.send_failed)
    run(check_async_h11_state, live)


async def check_async_h11_state(live: Live) -> None:
    async with async_response(live) as (_, _, response):
        assert isinstance(private.h11_state(response.stream), h11.Connection)


def check_http_connection(live: Live) -> None:
    with sync_response(live) as (pool, _, _):
        connection = only_connection(pool)
        assert isinstance(connection._connection, live.core.HTTP11Connection), type(connection._connection)
        request_lock, state_lock = private.connection_locks(connection)
        assert request_lock is not None
        assert state_lock is not None


def check_request_lock(live: Live) -> None:
    """As ``_with_signal_safe_locks`` does: each connection the pool creates gets a lock of ours, which it takes."""
    with live.http.HTTPTransport() as transport:
        pool = private.transport_pool(transport)
        create = pool.create_connection
        locks: list[CountingLock] = []

        def create_connection(origin: Any) -> Any:
            connection = create(origin)
            assert private.connection_locks(connection)[0] is not None, "a new connection has no _request_lock"
            locks.append(CountingLock())
            private.set_request_lock(connection, locks[-1])
            return connection

        pool.create_connection = create_connection
        with sync_response(live, transport):
            assert [lock.entered for lock in locks] == [1], "the connection did not take the lock put in its place"


def check_state_lock(live: Live) -> None:
    with live.http.HTTPTransport() as transport:
        with sync_response(live, transport) as (pool, _, _):
            pass
        inner = only_connection(pool)._connection
        counting = CountingLock()
        inner._state_lock = counting  # the name itself is what is checked: a lock the connection takes
        with sync_response(live, transport):
            assert counting.entered, "the HTTP/1.1 connection did not take its _state_lock"


def check_lock_inside(live: Live) -> None:
    with sync_response(live) as (pool, _, _):
        state_lock = private.connection_locks(only_connection(pool))[1]
        inside = private.lock_inside(state_lock)
        assert inside is not None
        assert not inside.locked()
        with state_lock:
            assert inside.locked(), "taking the lock did not take the lock inside it"


# -- modules ---------------------------------------------------------------------------------------------------------


def check_sync_stream(live: Live) -> None:
    stream_class = private.sync_stream_class(live.core)
    assert issubclass(stream_class, live.core.NetworkStream)
    assert list(inspect.signature(stream_class).parameters) == ["sock"], inspect.signature(stream_class)
    host, _ = live.address
    stream = stream_class(socket.create_connection(live.address, timeout=5))
    try:
        stream.write(f"GET /ching/v1/customers/cus_1 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(), 5)
        assert stream.read(65536, 5).startswith(b"HTTP/1.1 200 ")
    finally:
        stream.close()


def proxy_rules(live: Live) -> tuple[Callable[[], dict[str, str | None]], Any]:
    rules = private.environment_proxy_rules(live.http)
    assert rules is not None, "environment_proxy_rules() found neither or not both"
    return rules


def check_environment_proxies(live: Live) -> None:
    environment_proxies, _ = proxy_rules(live)
    assert list(inspect.signature(environment_proxies).parameters) == [], inspect.signature(environment_proxies)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for variable in (name, name.lower()):
            live.monkeypatch.delenv(variable, raising=False)
    live.monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    live.monkeypatch.setenv("NO_PROXY", "localhost")
    proxies = environment_proxies()
    assert proxies.get("http://") == "http://proxy.example:3128", proxies
    assert None in proxies.values(), f"NO_PROXY gave no direct route: {proxies}"


def check_url_pattern(live: Live) -> None:
    _, pattern = proxy_rules(live)
    assert list(inspect.signature(pattern).parameters) == ["pattern"], inspect.signature(pattern)
    url = live.http.URL("http://localhost:8000/ching")
    everything, http_only, localhost = pattern("all://"), pattern("http://"), pattern("all://localhost")
    assert [p.matches(url) for p in (everything, http_only, localhost)] == [True, True, True]
    assert [pattern(p).matches(url) for p in ("https://", "all://example.org")] == [False, False]
    ordered = sorted([everything, http_only, localhost])  # most specific first, as httpx orders its mounts
    assert [id(p) for p in ordered] == [id(localhost), id(http_only), id(everything)]


CHECKS: dict[str, Callable[[Live], None]] = {
    "{http}.Client._transport": check_client_transport,
    "{http}.Client._mounts": check_mounts,
    "{http}.HTTPTransport._pool": check_pool,
    "{http}._transports.default.ResponseStream._httpcore_stream": check_httpcore_stream,
    "{core}.ConnectionPool._network_backend": check_network_backend,
    "{core}.ConnectionPool._connections": check_connections,
    "{core}.ConnectionPool._requests": check_requests,
    "{core}.ConnectionPool._optional_thread_lock": check_pool_lock,
    "{core}.ConnectionPool._assign_requests_to_connections": check_assign_requests,
    "{core}._sync.connection_pool.PoolByteStream._stream": check_pool_stream,
    "{core}._sync.http11.HTTP11ConnectionByteStream._connection": check_stream_connection,
    "{core}.HTTP11Connection._h11_state": check_h11_state,
    "{core}.HTTPConnection._connection": check_http_connection,
    "{core}.HTTPConnection._request_lock": check_request_lock,
    "{core}.HTTP11Connection._state_lock": check_state_lock,
    "{core}._synchronization.Lock._lock": check_lock_inside,
    "{core}._backends.sync.SyncStream": check_sync_stream,
    "{http}._utils.get_environment_proxies": check_environment_proxies,
    "{http}._utils.URLPattern": check_url_pattern,
}


def advice(live: Live, entry: PrivateName, problem: BaseException) -> str:
    """What a failure says: which name of which release, what the SDK needs it for, and what to do."""
    module = live.http if entry.package == "http" else live.core
    package, version = module.__name__, module.__version__
    names = {"http": live.http.__name__, "core": live.core.__name__}
    owner, shape = entry.owner.format(**names), entry.shape.format(**names)
    return (
        f"{package} {version}: the private name {entry.name} of {owner} is gone or changed "
        f"({type(problem).__name__}: {problem}).\nThe SDK relies on it being {shape}, to {entry.use}.\n"
        f"Pin {package} below {version} in pyproject.toml's [project] dependencies, or adapt "
        "ching_client/_http/private.py (and whatever calls the function that uses the name) to this release; "
        "then run `make deps-range`."
    )


def test_every_listed_name_has_a_check_and_every_check_a_listed_name() -> None:
    keys = [entry.key for entry in NAMES]
    assert len(keys) == len(set(keys))
    assert set(CHECKS) == set(keys)


@pytest.mark.parametrize("entry", NAMES, ids=lambda entry: entry.key)
def test_the_private_name_is_there_with_the_shape_the_sdk_uses(live: Live, entry: PrivateName) -> None:
    try:
        CHECKS[entry.key](live)
    except Exception as problem:  # whatever the release changed: AttributeError, TypeError, a failed assertion
        failure = advice(live, entry, problem)
    else:
        return
    pytest.fail(failure, pytrace=False)
