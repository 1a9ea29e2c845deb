"""The clients' own connection pool: httpx's transport, split into small shards that heal.

httpcore's pool rescans all its connections, with a socket poll for each idle one and a
nested count of the idle ones, every time a request starts or ends. At 32 requests in flight
that bookkeeping costs about as much CPU as the request itself (docs/performance.md, bulk).
Several small pools, each given the next request when it is the least busy, keep every scan short
while the client still holds up to 100 connections in all.

Three things plain httpx leaves to chance are handled here:

- **Healing.** A request interrupted at the wrong moment (``asyncio.wait_for`` or
  ``asyncio.timeout`` cancelling it while the response is being closed, or an exception raised by
  a signal handler in a sync call) can leave httpcore's pool holding a connection that no request
  owns (httpcore issues #830 and #1093). Four of them fill a shard, and every later request to it
  waits for a connection that never frees. Whenever a request or a response close on a shard ends
  with an exception, that shard is checked before its next request: a connection that is neither
  idle nor held by a request is taken out and closed, and the request it held is released.
- **Deadlines on every socket operation (sync).** httpx's read timeout bounds each read, so a
  server dripping a byte a second keeps a call alive for ever. The sync shards read through
  ``_deadline.DeadlineBackend``, which also stops every read, write and connect at the attempt's
  deadline.
- **Sockets without anyio (async, under asyncio).** The async shards connect, read and write through
  ``_asyncio_backend``, asyncio's own transports, rather than through anyio's cancel scope per operation;
  under trio they keep httpcore's backend.
- **Fork.** A child process must not share the parent's pooled sockets (both would read each
  other's responses). After ``os.fork()`` every pool of this module is replaced in the child.
- **Event loops.** A connection belongs to the event loop that opened it: on another loop (a client built once and
  used by two ``asyncio.run()`` calls, or by pytest-asyncio's per-test loops) its reads fail with a bare
  ``RuntimeError("Event loop is closed")`` after the request has left. So the async transport keeps the shards of
  each event loop (asyncio's loop, uvloop's, a trio run) apart; when it meets a new loop it closes the pools of
  loops that have ended, without calling into them (``_asyncio_backend``), and each loop of two threads keeps its own.
- **Bytes past a response.** A server (or a proxy) that sends one unsolicited response in the same write as a real
  one leaves it in h11's buffer; a pooled connection would answer its next request with it, and every call after
  that with the previous call's answer. A connection with bytes left over when its response is closed is closed.

**Size.** ``max_connections`` (default 100) sets the whole pool: shards of ``SHARD_CONNECTIONS`` (4, the shape
measured in docs/performance.md) and one smaller shard for a remainder, so 100 is 25 shards of 4, 10 is 4 + 4 + 2
and 3 is one shard of 3. The scan that shards keep short grows with a shard's size, not with their number.

**Proxies.** A proxy (the client's ``proxy=``, or the one the environment's ``HTTP_PROXY``, ``HTTPS_PROXY`` or
``ALL_PROXY`` names for the base URL, ``NO_PROXY`` applied) is given to every shard's pool: httpx then builds each on
httpcore's public ``HTTPProxy`` (or ``SOCKSProxy``), a connection pool like the others, so the healing, the sync
deadline, the async sockets and fork safety hold through it. httpx would apply the environment's proxies only to its
own transport; the clients decide the proxy once (``_core.config.route_proxy``), as a client has one base URL.

One source serves both engines (``engines``): httpcore2 keeps httpcore's pool attributes, so the healing works
unchanged (the private names of either family used here are reached through ``private``, which lists them), and
``sharded_transports(engine)`` derives each engine's classes from the mixins below, as a response stream must be an
instance of its own family's ``AsyncByteStream``.

A shard counts as busy until its response's headers arrive; Ching's bodies are small JSON read
straight after, so the count is close enough to pick a shard, and each shard's own pool still
enforces its limit exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.cookiejar
import os
import sys
import threading
import typing
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any, Final, Generic, NamedTuple, TypeVar

from .._exceptions import APIConnectionError
from . import private
from .body import LIMIT_EXTENSION, OVER_LIMIT_EXTENSION
from .engines import ENGINES, Engine

if TYPE_CHECKING:  # httpx's types stand for httpx2's too
    import httpx

MAX_CONNECTIONS: Final = 100
SHARD_CONNECTIONS: Final = 4
_T = TypeVar("_T", "httpx.AsyncHTTPTransport", "httpx.HTTPTransport")
_PLAIN_LOCK: Final = type(threading.Lock())


class NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that keeps nothing, for the clients' own httpx clients.

    Ching sets no cookies, and an API client should not send back what a proxy or a load balancer set. The standard
    jar also takes its lock outside ``try`` on every response: an exception from a signal handler there (Ctrl-C) left
    the lock held by the interrupted thread, and every other thread of the sync client waited for it for ever.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


def shard_sizes(max_connections: int, per_shard: int = SHARD_CONNECTIONS) -> list[int]:
    """How ``max_connections`` are split into shards: as many of ``per_shard`` as fit, and one with the rest."""
    whole, rest = divmod(max_connections, per_shard)
    return [per_shard] * whole + ([rest] if rest else [])


def _shard_limits(engine: Engine, sizes: list[int]) -> list[httpx.Limits]:
    made: dict[int, httpx.Limits] = {}
    for size in sizes:
        if size not in made:
            made[size] = engine.http.Limits(max_connections=size, max_keepalive_connections=size)
    return [made[size] for size in sizes]


def _least_busy(shards: list[_Shard[_T]]) -> _Shard[_T]:
    """The first shard serving the fewest of our requests: an idle client keeps reusing the first shard's
    connections. No lock: two threads picking the same shard at once only share it, as its pool allows."""
    best = shards[0]
    fewest = len(best.live)
    if fewest:
        for shard in shards:
            busy = len(shard.live)
            if busy < fewest:
                best, fewest = shard, busy
                if not busy:
                    break
    return best


# -- bytes past a response ----------------------------------------------------------------------------------------
# h11's state is reached from httpx's response stream through four private names (``private.h11_state``).


def refuse_leftovers(stream: object) -> None:
    """Before a response's connection goes back to its pool: if h11 has read bytes past the response's end (or the
    server's close), mark h11's side as failed, so httpcore closes the connection instead of pooling it.

    The pool only checks the socket before reusing a connection (``is_readable``), not what h11 already read from it.
    Here the connection is still held by this response, so no other request can have been given it. A body not read
    to its end leaves bytes too; httpcore closes that connection anyway.
    """
    h11_state = private.h11_state(stream)
    if h11_state is not None:
        left, closed = h11_state.trailing_data
        if left or closed:
            h11_state.send_failed()


# -- event loops -----------------------------------------------------------------------------------------------------


def running_loop() -> object:
    """What a connection is bound to: the running asyncio loop (uvloop's too), else the current trio run's token,
    else None (no loop known: one set of pools, as before)."""
    loop = asyncio._get_running_loop()  # the C function behind get_running_loop(), without an exception under trio
    if loop is not None:
        return loop
    trio = sys.modules.get("trio")
    if trio is not None:
        with contextlib.suppress(RuntimeError):
            return trio.lowlevel.current_trio_token()
    return None


def _nothing() -> None:
    """A callback that does nothing, to ask a trio run whether it still takes callbacks."""
    return None


def loop_ended(loop: object) -> bool:
    """Whether ``loop`` (from ``running_loop``) has ended: an asyncio loop closed, or a trio run finished."""
    if isinstance(loop, asyncio.AbstractEventLoop):
        return loop.is_closed()
    if _is_trio(loop):
        try:
            typing.cast(Any, loop).run_sync_soon(_nothing)  # public API; a finished run refuses it
        except sys.modules["trio"].RunFinishedError:
            return True
    return False


async def _close_at_shutdown(
    transport: weakref.ref[AsyncShardedTransport], loop: asyncio.AbstractEventLoop
) -> AsyncGenerator[None, None]:
    """Waits at ``yield`` until ``loop`` shuts down its async generators, then closes the transport's pools of it."""
    try:
        yield
    finally:
        alive = transport()
        if alive is not None and not loop.is_closed():
            await alive._retire(loop)


class LoopGuard:
    """For an injected ``httpx.AsyncClient``, whose pool the SDK does not own: notices a call on another event loop
    than the previous one while that pool still holds connections, which are bound to the loop that opened them.

    httpx would send the request on one of them and fail while reading, with a bare ``RuntimeError`` after the
    request may have been processed (for a create, a possible duplicate on retry). Refusing before sending is cheap:
    one comparison per call, and a look at the pool only when the loop changed. Trio runs one after another are not
    refused: trio's sockets are not bound to a run. The message says how to avoid it.
    """

    __slots__ = ("_http", "_loop")

    def __init__(self, http: object) -> None:
        self._http = http
        self._loop: object = _NO_LOOP

    @classmethod
    def of(cls, http: object) -> LoopGuard | None:
        """A guard for an injected async client; None for a sync one (no loop) or the SDK's own."""
        families = [sys.modules.get(name) for name in ENGINES]
        clients = tuple(module.AsyncClient for module in families if module is not None)
        return cls(http) if isinstance(http, clients) else None

    def stale(self) -> bool:
        """Whether this call runs on another loop than the previous one while the pool holds connections."""
        loop = running_loop()
        if loop is self._loop:
            return False
        previous = self._loop
        if previous is not _NO_LOOP and not (_is_trio(previous) and _is_trio(loop)) and self._pooled():
            return True
        self._loop = loop
        return False

    def _pooled(self) -> bool:
        # ``connections`` is httpcore's public list. Another transport (a mock, an ASGI app) has no pool, and nothing
        # bound to a loop.
        pool = private.transport_pool(private.client_transport(self._http))
        return any(not connection.is_closed() for connection in getattr(pool, "connections", ()))

    @staticmethod
    def error(method: str, path: str) -> APIConnectionError:
        """The error for a refused call: never sent, so a create can be made again once the cause is fixed."""
        return APIConnectionError(
            f"{method} {path}: the http_client given to this client holds connections opened on another event loop "
            "(one that has ended, or runs in another thread), and httpx cannot use them on this one; the request was "
            "not sent. Build the httpx client on the event loop that uses it (for example in a FastAPI lifespan), "
            "or let the SDK build its own, which keeps a pool per event loop.",
            method=method,
            path=path,
            may_have_reached_server=False,
        )


def _is_trio(loop: object) -> bool:
    """Whether ``loop`` is a trio run's token (trio is never imported to find out)."""
    trio = sys.modules.get("trio")
    return trio is not None and isinstance(loop, trio.lowlevel.TrioToken)


async def _close_shards(shards: list[_Shard[httpx.AsyncHTTPTransport]]) -> None:
    """Close every connection of ``shards``, from any loop: the asyncio backend closes a connection of an ended loop
    without it, and one of a loop running in another thread through that loop. Best effort: a pool of a trio run
    closed from asyncio fails to close, and its sockets are freed when collected."""
    for shard in shards:
        with contextlib.suppress(Exception):
            await shard.aclose_retired()
            await shard.transport.aclose()


# -- healing ---------------------------------------------------------------------------------------------------------
# httpcore's pools (sync and async) keep their connections, requests and lock under private names (``private``).
# tests/reliability/test_pool_healing.py interrupts real requests as users do.


def _held(lock: Any) -> bool:
    """Whether a sync lock (a plain one, or httpcore's wrapper) is taken; httpcore's async locks never stay taken."""
    inner = lock if isinstance(lock, _PLAIN_LOCK) else private.lock_inside(lock)
    return inner is not None and inner.locked()


def _jammed(connection: Any) -> bool:
    """A connection with one of its locks taken: unusable unless a request of ours is inside it right now."""
    request_lock, state_lock = private.connection_locks(connection)
    return _held(request_lock) or _held(state_lock)


class _Shard(Generic[_T]):
    """One small pool, and the requests of ours it is serving, by the identity of their extensions dict (which httpx
    hands to httpcore as is): a request in the pool that is none of ours was abandoned by an interrupted call.

    ``suspect`` is set when a request ends with an exception; the next request on the shard checks it first.
    """

    __slots__ = ("closing", "limits", "live", "lock", "suspect", "transport")

    def __init__(self, transport: _T, limits: httpx.Limits) -> None:
        self.transport: _T = transport
        self.limits = limits  # its size, for a pool that replaces this one
        self.live: set[int] = set()
        # Held only while a sync request joins the shard and, if need be, repairs it, so that no other thread joins
        # a pool that is being replaced. A plain lock: the ``with`` statement takes it in C (see below).
        self.lock = threading.Lock()
        self.suspect = False
        self.closing: list[Any] = []  # connections taken out of the pool, to be closed

    @property
    def pool(self) -> Any:
        return private.transport_pool(self.transport)

    def needs_check(self) -> bool:
        """Cheap test, run before each request once it counts in ``live``: was a request on this shard interrupted,
        does the pool hold requests that are none of ours, or (sync) is its lock taken with no one else inside?"""
        pool = self.pool
        alone = len(self.live) == 1
        return (
            self.suspect
            or len(private.pool_requests(pool)) >= len(self.live)
            or (alone and _held(private.pool_lock(pool)))
        )

    def heal(self) -> None:
        """Release abandoned requests; take out connections in use by no request, and (when no other request of ours
        is in the pool) connections whose locks an interrupted call left taken."""
        pool = self.pool
        alone = len(self.live) == 1
        with private.pool_lock(pool):
            requests = private.pool_requests(pool)
            for abandoned in [r for r in requests if id(r.request.extensions) not in self.live]:
                requests.remove(abandoned)
            held = {id(r.connection) for r in requests if r.connection is not None}
            connections = private.pool_connections(pool)
            stuck = [
                c
                for c in connections
                if (id(c) not in held and not c.is_idle() and not c.is_closed()) or (alone and _jammed(c))
            ]
            for connection in stuck:
                connections.remove(connection)
            self.closing.extend(stuck)
            self.closing.extend(private.assign_requests_to_connections(pool))
        self.suspect = not alone  # with others inside, a lock taken now may be theirs: look again later

    def close_retired(self) -> None:
        while self.closing:
            connection = self.closing.pop()
            with contextlib.suppress(Exception):  # a broken connection may fail to close; it is gone either way
                connection.close()

    async def aclose_retired(self) -> None:
        while self.closing:
            connection = self.closing.pop()
            with contextlib.suppress(Exception):
                await connection.aclose()


class _HealingAsyncStream:
    """A response body that stops counting as ours once closed; a close that is interrupted marks the shard.

    Mixed into each engine's ``AsyncByteStream`` by ``sharded_transports``."""

    __slots__ = ("_inner", "_key", "_shard")

    def __init__(self, inner: httpx.AsyncByteStream, shard: _Shard[httpx.AsyncHTTPTransport], key: int) -> None:
        self._inner = inner
        self._shard = shard
        self._key = key

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inner.__aiter__()  # no wrapper per chunk

    async def aclose(self) -> None:
        try:
            refuse_leftovers(self._inner)
            await self._inner.aclose()
        except BaseException:
            self._shard.suspect = True  # the pool may still hold this request: the shard's next request heals it
            raise
        finally:
            self._shard.live.discard(self._key)


def _with_signal_safe_locks(pool: Any) -> None:
    """Give a sync pool, and each connection it makes, plain ``threading.Lock`` objects.

    httpcore wraps its locks in classes whose ``__enter__`` is Python code, and Python runs a signal handler right
    after the ``acquire()`` call inside it returns: a handler that raises (Ctrl-C) leaves the lock taken with no
    ``with`` block to give it back. The pool's own error path then waits for its lock for ever. A plain lock is
    entered by the ``with`` statement itself, in C, so nothing can strike between taking it and the block.
    """
    private.set_pool_lock(pool, threading.Lock())
    create = pool.create_connection

    def create_connection(origin: Any) -> Any:
        connection = create(origin)
        private.set_request_lock(connection, threading.Lock())
        return connection

    pool.create_connection = create_connection


# -- the transports --------------------------------------------------------------------------------------------------

_LIVE: weakref.WeakSet[AsyncShardedTransport | ShardedTransport] = weakref.WeakSet()
_ABANDONED: list[object] = []
"""Pools a forked child inherited: never used nor closed there (closing would act on the parent's connections)."""
_NO_LOOP: Final = object()
"""The loop of a transport that has sent nothing yet: no running loop is this object."""


class _ShardedPool:
    """What both transports are built from: their shards' sizes, the proxy, and one TLS context."""

    _engine: Engine  # set on each engine's class by ``sharded_transports``

    def __init__(
        self,
        *,
        max_connections: int = MAX_CONNECTIONS,
        connections: int = SHARD_CONNECTIONS,
        proxy: str | None = None,
    ) -> None:
        """``max_connections`` in pools of ``connections`` each (scripts/bench measures one pool of 100 against the
        default), through ``proxy`` when given."""
        self._limits = _shard_limits(self._engine, shard_sizes(max_connections, connections))
        # A Proxy object rather than the URL: httpx before 0.26 takes only that in a transport's `proxy=`.
        self._proxy = None if proxy is None else self._engine.http.Proxy(proxy)
        # One context for all shards: building one loads the CA bundle.
        self._verify = self._engine.http.create_ssl_context()
        self._build()
        _LIVE.add(typing.cast("AsyncShardedTransport | ShardedTransport", self))

    def _build(self) -> None:
        raise NotImplementedError


class AsyncShardedTransport(_ShardedPool):
    """``AsyncHTTPTransport`` as pools of 4 connections (25 by default) per event loop; each request goes to the least
    busy.

    Cancellation strikes only at an ``await``, so the bookkeeping here is never half done: a request counts as ours
    from the moment it is picked until its response is closed, and a close that is interrupted heals the shard.

    ``_current`` pairs the loop of the latest request with its shards, read in one step (two threads may swap it at
    any moment), so a request on the same loop as the last one finds its shards with one comparison.
    """

    _stream: type[_HealingAsyncStream]

    def _build(self) -> None:
        self._lock = threading.Lock()  # taken, without an await inside, only when a request meets another loop
        self._loops: dict[object, list[_Shard[httpx.AsyncHTTPTransport]]] = {}
        self._watchers: dict[object, AsyncGenerator[None, None]] = {}  # see _close_when_loop_ends
        self._current: tuple[object, list[_Shard[httpx.AsyncHTTPTransport]]] = (_NO_LOOP, [])

    @property
    def _shards(self) -> list[_Shard[httpx.AsyncHTTPTransport]]:
        """The shards of the loop that sent the latest request."""
        return self._current[1]

    def _new_pool(self, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
        from .asyncio_backend import AsyncioBackend

        transport: httpx.AsyncHTTPTransport = self._engine.http.AsyncHTTPTransport(
            verify=self._verify, limits=limits, proxy=self._proxy
        )
        pool = private.transport_pool(transport)
        private.set_network_backend(pool, AsyncioBackend(private.network_backend(pool), self._engine.core))
        return transport

    def _after_fork(self) -> None:
        _ABANDONED.append((self._loops, self._watchers))
        self._build()

    async def _enter(self, loop: object) -> list[_Shard[httpx.AsyncHTTPTransport]]:
        """The shards of ``loop``, new if need be; the pools of loops that have ended are closed meanwhile."""
        with self._lock:
            shards = self._loops.get(loop)
            new = shards is None
            if shards is None:
                shards = self._loops[loop] = [_Shard(self._new_pool(limits), limits) for limits in self._limits]
            ended = [other for other in self._loops if other is not loop and loop_ended(other)]
            retired = [self._loops.pop(other) for other in ended]
            for other in ended:  # a loop closed without shutting down never ran its watcher: drop it with the loop
                self._watchers.pop(other, None)
            self._current = (loop, shards)
        for old in retired:
            await _close_shards(old)
        if new and isinstance(loop, asyncio.AbstractEventLoop):
            await self._close_when_loop_ends(loop)
        return shards

    async def _close_when_loop_ends(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have ``loop`` close its pools as it shuts down (``asyncio.run``, ``asyncio.Runner`` and pytest-asyncio
        do), while it can still close them itself: uvloop warns of every transport still open when it closes.

        The hook is the one asyncio gives for cleaning up at that moment: an async generator, once started in the loop,
        is closed by ``loop.shutdown_asyncgens()``. The loop holds it weakly, so the transport holds it; dropped with
        the transport, the loop closes it at once and it finds nothing to do. A loop closed without shutting down its
        generators leaves its pools to the next loop, ``aclose()`` or the collector, which close them without it.
        """
        watcher = _close_at_shutdown(weakref.ref(self), loop)
        self._watchers[loop] = watcher
        # Past shutdown (a generator of the application's calling us from its own cleanup) asyncio refuses to track a
        # new generator, with a RuntimeWarning: the fallbacks above close these pools instead.
        with contextlib.suppress(RuntimeWarning, StopAsyncIteration):
            await watcher.asend(None)

    async def _retire(self, loop: object) -> None:
        """Close the pools of ``loop``, which is ending."""
        with self._lock:
            shards = self._loops.pop(loop, [])
            self._watchers.pop(loop, None)
            if self._current[0] is loop:
                self._current = (_NO_LOOP, [])
        await _close_shards(shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = running_loop()
        current = self._current
        shard = _least_busy(current[1] if current[0] is loop else await self._enter(loop))
        key = id(request.extensions)
        shard.live.add(key)
        try:
            if shard.needs_check():
                shard.heal()
            if shard.closing:
                await shard.aclose_retired()
            response = await shard.transport.handle_async_request(request)
        except BaseException:
            shard.live.discard(key)
            shard.suspect = True
            raise
        stream = self._stream(typing.cast("httpx.AsyncByteStream", response.stream), shard, key)
        response.stream = typing.cast("httpx.AsyncByteStream", stream)  # an instance of the engine's class too
        return response

    async def aclose(self) -> None:
        """Close the pools of every loop: this one's here, another's through that loop (or without it, once ended)."""
        with self._lock:
            every = list(self._loops.values())
            self._loops.clear()
            self._current = (_NO_LOOP, [])
        for shards in every:
            await _close_shards(shards)


class ShardedTransport(_ShardedPool):
    """``HTTPTransport`` as pools of 4 connections (25 by default); each request goes to the least busy.

    An exception raised by a signal handler (Ctrl-C raises one) can strike between any two bytecodes, inside httpx
    and httpcore too. So each response is read whole and its connection given back before this returns, all under
    one ``try``, and before each request the shard is checked for what such an exception leaves behind: requests
    of no one, connections in use by no request, and a lock held by no one (then the shard gets a new pool).
    """

    def _build(self) -> None:
        from .deadline import start_attempt  # with httpcore, which httpx also imports only now

        self._start_attempt = start_attempt
        self._shards: list[_Shard[httpx.HTTPTransport]] = [
            _Shard(self._new_pool(limits), limits) for limits in self._limits
        ]

    def _new_pool(self, limits: httpx.Limits) -> httpx.HTTPTransport:
        from .deadline import DeadlineBackend  # with httpcore, which httpx also imports only now

        transport: httpx.HTTPTransport = self._engine.http.HTTPTransport(
            verify=self._verify, limits=limits, proxy=self._proxy
        )
        pool = private.transport_pool(transport)
        private.set_network_backend(pool, DeadlineBackend(private.network_backend(pool), self._engine.core))
        _with_signal_safe_locks(pool)
        return transport

    def _after_fork(self) -> None:
        _ABANDONED.append(self._shards)
        self._build()

    def _repair(self, shard: _Shard[httpx.HTTPTransport]) -> None:
        """After an exception, nothing in the pool can be trusted: a lock left taken, a connection mid-way through
        a state change (h11 then fails an assertion on its next request). With no other request of ours inside,
        its sockets are closed directly (that takes no lock) and the shard starts anew; otherwise what is certain
        is healed now and the rest when the shard is next alone."""
        if len(shard.live) == 1:
            fresh = self._new_pool(shard.limits)
            shard.closing.extend(private.pool_connections(shard.pool))
            shard.transport = fresh
            shard.suspect = False
        else:
            shard.heal()
        shard.close_retired()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        shard = _least_busy(self._shards)
        key = id(request.extensions)
        try:
            with shard.lock:
                shard.live.add(key)  # inside the try: an exception right after it must still take it back
                if shard.needs_check():
                    self._repair(shard)
            self._start_attempt(request)
            response = shard.transport.handle_request(request)
            stream = typing.cast("httpx.SyncByteStream", response.stream)
            try:
                content = _read_within(response, stream, request.extensions.get(LIMIT_EXTENSION))
            finally:
                refuse_leftovers(stream)
                stream.close()
        except BaseException:
            shard.suspect = True
            raise
        finally:
            shard.live.discard(key)
        extensions = response.extensions
        if content is None:  # over the cap: the client refuses it (``_body.reader_for``)
            extensions = {**extensions, OVER_LIMIT_EXTENSION: True}
        http = self._engine.http
        body = http.ByteStream(content or b"")
        result: httpx.Response = http.Response(
            response.status_code, headers=response.headers, stream=body, extensions=extensions
        )
        return result

    def close(self) -> None:
        for shard in self._shards:
            shard.close_retired()
            shard.transport.close()


def _read_within(response: httpx.Response, stream: httpx.SyncByteStream, limit: int | None) -> bytes | None:
    """The raw body, or None once it passes ``limit`` (or declares a length over it): the rest is never read, and
    the connection is closed, as the body was not read to its end (httpcore does that when the stream is closed)."""
    if limit is None:
        return b"".join(stream)
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in stream:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Transports(NamedTuple):
    """One engine's transports: ``AsyncTransport`` for ``AsyncChing``, ``Transport`` for ``Ching``."""

    AsyncTransport: type[AsyncShardedTransport]
    Transport: type[ShardedTransport]


@functools.cache
def sharded_transports(engine: Engine) -> Transports:
    """The sharded transports for ``engine``: the classes above, with that engine's base classes mixed in."""
    http = engine.http
    stream = type("_HealingAsyncStream", (_HealingAsyncStream, http.AsyncByteStream), {"__slots__": ()})
    namespace = {"_engine": engine, "_stream": stream, "__module__": __name__}
    return Transports(
        type("AsyncShardedTransport", (AsyncShardedTransport, http.AsyncBaseTransport), namespace),
        type("ShardedTransport", (ShardedTransport, http.BaseTransport), namespace),
    )


def _renew_pools_in_child() -> None:
    for transport in list(_LIVE):
        transport._after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_renew_pools_in_child)
