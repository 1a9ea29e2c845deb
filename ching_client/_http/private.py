"""Every private name of httpx, httpcore, httpx2 and httpcore2 that the SDK relies on, and the only code that uses them.

What the HTTP layer adds to plain httpx cannot be done through public names: healing a pool that an interrupted call
left jammed, giving sync pools locks a signal handler cannot leave taken, closing a connection with bytes past its
response, bounding every socket operation of the sync shards by a deadline, refusing an injected client's
connections of another event loop, and resolving the environment's proxy by the engine's own ``NO_PROXY`` rules.

``NAMES`` lists each name: where it lives, what the SDK uses it for, and the shape relied on. The functions below are
the only code that spells them (``grep`` for a name finds its entry and its uses, all here); the rest of the SDK calls
them. The two families share every name: ``{http}`` stands for ``httpx`` or ``httpx2``, ``{core}`` for ``httpcore`` or
``httpcore2``.

tests/test_engine_internals.py checks each entry on both families against live objects (a real request through a
loopback server), and ``make deps-range`` runs it, with the suites that exercise this layer, on the lowest and the
highest versions ``pyproject.toml`` allows. A release that renames or reshapes one fails there, naming it: then pin
the package below that release, or adapt the function here that uses the name.

The guards (``client_transport``, ``mounted_transports``, ``transport_pool``, ``h11_state``,
``environment_proxy_rules``) look names up with ``getattr``: they meet objects without them (a mock transport has no
pool), and then do nothing, or less. The healing reads them directly: it only runs on pools the SDK built itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal


@dataclass(frozen=True, slots=True)
class PrivateName:
    """One private name: ``package`` (``http``: httpx or httpx2; ``core``: httpcore or httpcore2) defines it on
    ``owner`` (a class, or the module itself); ``shape`` is what the SDK relies on, ``use`` what for."""

    name: str
    package: Literal["http", "core"]
    owner: str
    shape: str
    use: str

    @property
    def key(self) -> str:
        """Unique in ``NAMES`` (``_connection`` lives on two classes): the first owner, then the name."""
        return f"{self.owner.split(',')[0]}.{self.name}"


_HEAL: Final = "heal a shard (pool.py, _Shard.heal and ShardedTransport._repair)"
_LEFTOVERS: Final = "see bytes left past a response before its connection is pooled again (pool.py, refuse_leftovers)"
_JAMMED: Final = "see a sync connection whose lock an interrupted call left taken (pool.py, _jammed)"

NAMES: Final = (
    PrivateName(
        "_transport",
        "http",
        "{http}.Client, {http}.AsyncClient",
        "attribute: the transport for URLs no mount matches",
        "refuse a client of one family with a transport of the other (engines.py, _check_transports), and find the "
        "pool of an injected async client (pool.py, LoopGuard)",
    ),
    PrivateName(
        "_mounts",
        "http",
        "{http}.Client, {http}.AsyncClient",
        "attribute: a dict whose values are the mounted transports (or None)",
        "refuse a client of one family with a mounted transport of the other (engines.py, _check_transports)",
    ),
    PrivateName(
        "_pool",
        "http",
        "{http}.HTTPTransport, {http}.AsyncHTTPTransport",
        "attribute: the {core}.ConnectionPool or AsyncConnectionPool the transport sends through",
        "reach the pool of each shard, and of an injected async client (pool.py)",
    ),
    PrivateName(
        "_httpcore_stream",
        "http",
        "{http}._transports.default.ResponseStream, AsyncResponseStream",
        "attribute: the {core} pool's stream of the response's body",
        _LEFTOVERS,
    ),
    PrivateName(
        "_network_backend",
        "core",
        "{core}.ConnectionPool, {core}.AsyncConnectionPool",
        "attribute: the network backend every new connection of the pool connects through; replaced before the "
        "first request",
        "connect the sync shards through DeadlineBackend (deadline.py) and the async ones through AsyncioBackend "
        "(asyncio_backend.py)",
    ),
    PrivateName(
        "_connections",
        "core",
        "{core}.ConnectionPool, {core}.AsyncConnectionPool",
        "attribute: the list of the pool's connections (each with is_idle() and is_closed()), changed in place "
        "under _optional_thread_lock",
        _HEAL,
    ),
    PrivateName(
        "_requests",
        "core",
        "{core}.ConnectionPool, {core}.AsyncConnectionPool",
        "attribute: the list of requests in the pool, each with `request` (whose `extensions` is the httpx "
        "request's own dict) and `connection` (None until one is assigned), changed in place",
        "notice requests that no call owns any more, and release them (pool.py, _Shard.needs_check and heal)",
    ),
    PrivateName(
        "_optional_thread_lock",
        "core",
        "{core}.ConnectionPool, {core}.AsyncConnectionPool",
        "attribute: a context manager the pool enters whenever it changes _connections or _requests; replaced by a "
        "threading.Lock in sync pools",
        "change the pool's lists as the pool does, and give sync pools a lock entered in C, which an exception from "
        "a signal handler cannot leave taken (pool.py, _with_signal_safe_locks)",
    ),
    PrivateName(
        "_assign_requests_to_connections",
        "core",
        "{core}.ConnectionPool, {core}.AsyncConnectionPool",
        "method without arguments, called under _optional_thread_lock: gives waiting requests the free capacity "
        "and returns the connections to close",
        _HEAL,
    ),
    PrivateName(
        "_stream",
        "core",
        "{core}._sync.connection_pool.PoolByteStream, {core}._async.connection_pool.PoolByteStream",
        "attribute: the connection's stream of the response's body",
        _LEFTOVERS,
    ),
    PrivateName(
        "_connection",
        "core",
        "{core}._sync.http11.HTTP11ConnectionByteStream, {core}._async.http11.HTTP11ConnectionByteStream",
        "attribute: the HTTP11Connection the body is read from",
        _LEFTOVERS,
    ),
    PrivateName(
        "_h11_state",
        "core",
        "{core}.HTTP11Connection, {core}.AsyncHTTP11Connection",
        "attribute: the connection's h11.Connection (h11's public trailing_data and send_failed())",
        _LEFTOVERS,
    ),
    PrivateName(
        "_connection",
        "core",
        "{core}.HTTPConnection",
        "attribute: the HTTP11Connection once connected, None before",
        _JAMMED,
    ),
    PrivateName(
        "_request_lock",
        "core",
        "{core}.HTTPConnection",
        "attribute: the lock the connection holds while it connects; replaced by a threading.Lock when the pool "
        "creates it (create_connection)",
        "give sync connections a lock entered in C (pool.py, _with_signal_safe_locks), and " + _JAMMED,
    ),
    PrivateName(
        "_state_lock",
        "core",
        "{core}.HTTP11Connection",
        "attribute: a Lock of {core}'s, which the connection holds while its state changes",
        _JAMMED,
    ),
    PrivateName(
        "_lock",
        "core",
        "{core}._synchronization.Lock",
        "attribute: the threading.Lock inside {core}'s sync Lock (locked() tells whether it is taken)",
        _JAMMED,
    ),
    PrivateName(
        "_backends.sync.SyncStream",
        "core",
        "{core}",
        "class SyncStream(sock): the sync network stream over a connected socket",
        "wrap the sockets DeadlineBackend connects itself (deadline.py)",
    ),
    PrivateName(
        "_utils.get_environment_proxies",
        "http",
        "{http}",
        "function without arguments: the environment's proxies, {mount pattern: proxy URL, or None for direct}",
        "tell which proxy a request would go through by the engine's own NO_PROXY rules, for the rule that a live "
        "key goes over plain http only to this machine (_core/config.py, environment_proxy)",
    ),
    PrivateName(
        "_utils.URLPattern",
        "http",
        "{http}",
        "class URLPattern(pattern) with matches(url), sorted most specific first",
        "match the base URL against those patterns in the order httpx does (_core/config.py, environment_proxy)",
    ),
)


# -- clients and transports (httpx, httpx2) -------------------------------------------------------------------------


def client_transport(client: object) -> Any:
    """The transport of an httpx client for URLs no mount matches (``_transport``), or None for another object."""
    return getattr(client, "_transport", None)


def mounted_transports(client: object) -> list[Any]:
    """The transports mounted on an httpx client (the values of ``_mounts``: a transport, or None)."""
    return list(getattr(client, "_mounts", {}).values())


def transport_pool(transport: object) -> Any:
    """The httpcore pool of an httpx transport (``_pool``), or None for a transport without one (a mock)."""
    return getattr(transport, "_pool", None)


def h11_state(stream: object) -> Any:
    """h11's state of the connection a response is read from, or None (another transport, HTTP/2):
    ``_httpcore_stream`` (httpx), then ``_stream``, ``_connection`` and ``_h11_state`` (httpcore)."""
    inner = getattr(getattr(stream, "_httpcore_stream", None), "_stream", None)
    return getattr(getattr(inner, "_connection", None), "_h11_state", None)


# -- pools (httpcore, httpcore2) ------------------------------------------------------------------------------------


def network_backend(pool: Any) -> Any:
    """The backend the pool's new connections connect through (``_network_backend``)."""
    return pool._network_backend


def set_network_backend(pool: Any, backend: object) -> None:
    """Have the pool's connections from now on connect through ``backend``."""
    pool._network_backend = backend


def pool_connections(pool: Any) -> list[Any]:
    """The pool's own list of connections (``_connections``): change it only under ``pool_lock``."""
    connections: list[Any] = pool._connections
    return connections


def pool_requests(pool: Any) -> list[Any]:
    """The pool's own list of requests (``_requests``): change it only under ``pool_lock``."""
    requests: list[Any] = pool._requests
    return requests


def pool_lock(pool: Any) -> Any:
    """The lock the pool takes to change its lists (``_optional_thread_lock``)."""
    return pool._optional_thread_lock


def set_pool_lock(pool: Any, lock: object) -> None:
    """Have the pool take ``lock`` to change its lists."""
    pool._optional_thread_lock = lock


def assign_requests_to_connections(pool: Any) -> list[Any]:
    """Give waiting requests the pool's free capacity (``_assign_requests_to_connections``), under ``pool_lock``;
    returns the connections to close."""
    closing: list[Any] = pool._assign_requests_to_connections()
    return closing


# -- connections and locks (httpcore, httpcore2) --------------------------------------------------------------------


def set_request_lock(connection: Any, lock: object) -> None:
    """Have a new connection take ``lock`` while it connects (``_request_lock``)."""
    connection._request_lock = lock


def connection_locks(connection: object) -> tuple[Any, Any]:
    """A connection's ``_request_lock`` and its HTTP/1.1 connection's ``_state_lock`` (``_connection``); None for
    what it has not (yet)."""
    inner = getattr(connection, "_connection", None)
    return getattr(connection, "_request_lock", None), getattr(inner, "_state_lock", None)


def lock_inside(lock: object) -> Any:
    """The ``threading.Lock`` inside one of httpcore's sync locks (``_lock``), or None (its async locks)."""
    return getattr(lock, "_lock", None)


# -- modules --------------------------------------------------------------------------------------------------------


def sync_stream_class(core: Any) -> Any:
    """httpcore's sync stream over a connected socket (``_backends.sync.SyncStream``)."""
    return importlib.import_module(f"{core.__name__}._backends.sync").SyncStream


def environment_proxy_rules(http: Any) -> tuple[Callable[[], dict[str, str | None]], Any] | None:
    """The engine's own reading of the proxy variables (``_utils.get_environment_proxies``) and its URL patterns
    (``_utils.URLPattern``); None when the engine has not both."""
    utils = getattr(http, "_utils", None)
    environment_proxies = getattr(utils, "get_environment_proxies", None)
    pattern = getattr(utils, "URLPattern", None)
    if environment_proxies is None or pattern is None:
        return None
    return environment_proxies, pattern
