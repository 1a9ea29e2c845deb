"""``AsyncChing``: the asynchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Unpack, cast, overload

import anyio

from ..._core import extras as _extras
from ..._core import response as _response
from ..._core.base import AttemptDeadline, AttemptWatch, BaseChing, Call, ClientOptions, resolve_options
from ..._core.config import DEADLINE_GRACE
from ..._core.retry_policy import Backoff, wait_time
from ..._exceptions import ClientClosedError, ConfigurationError
from ..._generated._async.lazy_resources import AsyncResources
from ..._http import body as _body
from ..._http.pool import NoCookies, sharded_transports
from ..._runtime.contract import AsyncRequester, CallOptions, Operation, QueryValue, Request
from ..._runtime.raw import RawResponse
from ..._runtime.timeout import Timeout

if TYPE_CHECKING:
    import httpx
    import httpx2

    from ..._core.events import AttemptHook
    from ...otel import OpenTelemetry
    from .customers import AsyncCustomers

T = TypeVar("T")


class AsyncChing(BaseChing, AsyncResources):
    """The Ching API client for asynchronous code (asyncio or trio).

    Open one per application (for example in a FastAPI lifespan) and share it: it holds
    the connection pool. ``api_key`` defaults to ``CHING_API_KEY`` and ``base_url`` to
    ``CHING_BASE_URL``, then to the production API. ``timeout`` is seconds per call,
    retries included, or a ``ching_client.Timeout(total=, connect=, read=)``; ``max_retries`` applies only where
    the retry policy allows, after the waits ``backoff`` (a ``ching_client.Backoff``) sets.
    ``max_response_bytes`` (default 32 MiB) ends a call whose answer is larger, decoded.
    ``max_connections`` (default 100) sizes the client's pool. ``proxy`` is a proxy URL (httpx's ``proxy=``); without
    it the environment's ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` apply. Either way requests
    go through the client's own pool. ``http_client`` is an ``httpx.AsyncClient`` or an ``httpx2.AsyncClient`` of
    yours, which owns its pool (so not with ``max_connections`` or ``proxy``); without one the client
    builds its own on httpx2 (``CHING_HTTP_ENGINE=httpx`` to build it on httpx). A live key goes over plain http
    only to this machine, and not through a proxy on another host; the proxies an injected
    client was given itself (``proxy=``, ``mounts=``) are not seen, as httpx shows them only under private names.

    ``on_attempt`` is a function (or a list of them) called with an ``AttemptEvent`` as each attempt ends, retries
    included: operation, method, path, attempt number, status or error, elapsed time, request id and what the client
    does next. It never sees the key, a header or a body; one that raises is logged and the call goes on.
    ``telemetry=ching_client.otel.OpenTelemetry()`` traces each call and measures each attempt with OpenTelemetry
    (``pip install ching-client[otel]``). ``with_options`` clients and ``upsert_many`` keep both.
    """

    _http: httpx.AsyncClient  # an httpx2 client is typed as httpx's: the two have the same API

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        max_response_bytes: int | None = None,
        backoff: Backoff | None = None,
        max_connections: int | None = None,
        proxy: str | None = None,
        http_client: httpx.AsyncClient | httpx2.AsyncClient | None = None,
        on_attempt: AttemptHook | Sequence[AttemptHook] | None = None,
        telemetry: OpenTelemetry | None = None,
        _options: ClientOptions | None = None,
    ) -> None:
        # `_options`, private: what `with_options` builds a client sharing this one's pool from (the arguments are
        # then None).
        if _options is None:
            try:
                _options = resolve_options(
                    api_key,
                    base_url,
                    timeout,
                    max_retries,
                    max_response_bytes,
                    http_client,
                    "AsyncClient",
                    on_attempt,
                    telemetry,
                    max_connections=max_connections,
                    backoff=backoff,
                    proxy=proxy,
                )
            except ConfigurationError as error:
                raise error.with_traceback(None) from None  # the frames it passed through hold the key
            finally:
                del api_key, proxy  # and so did this frame (the key, a proxy's password): a traceback formatter that
                # prints locals must not show them
        super().__init__(_options)
        self._owns_http = _options.http is None
        self._http = (
            self._new_http_client(_options) if _options.http is None else cast("httpx.AsyncClient", _options.http)
        )
        self._loop_guard = _options.loop_guard
        self._ask_for_what_is_decoded(self._http.headers)

    def _new_http_client(self, options: ClientOptions) -> httpx.AsyncClient:
        http = self._engine.http
        timeout = self._config.timeout
        client: httpx.AsyncClient = http.AsyncClient(
            headers={"Accept-Encoding": _body.ACCEPT_ENCODING},
            timeout=http.Timeout(timeout.total, connect=timeout.connect, read=timeout.read or timeout.total),
            follow_redirects=False,
            cookies=NoCookies(),
            # The proxy, the argument's or the environment's, is the pool's (see _http.pool): with a transport
            # given, httpx applies no proxy of its own.
            transport=sharded_transports(self._engine).AsyncTransport(
                max_connections=options.max_connections, proxy=options.proxy
            ),
        )
        return client

    def _requester(self) -> AsyncRequester:
        return self

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        max_response_bytes: int | None = None,
        backoff: Backoff | None = None,
        on_attempt: AttemptHook | Sequence[AttemptHook] | None = None,
        telemetry: OpenTelemetry | None = None,
        max_connections: int | None = None,
        proxy: str | None = None,
        http_client: httpx.AsyncClient | httpx2.AsyncClient | None = None,
    ) -> AsyncChing:
        """A client with other defaults that shares this one's connection pool (closing it leaves the pool open).

        Every option left None keeps this client's; a number for ``timeout`` changes the total only.
        ``on_attempt`` replaces the hooks (``[]``: none) and ``telemetry`` the telemetry. The key, the base URL and
        what builds the pool (``max_connections``, ``proxy``, ``http_client``) are the pool's: for others, build
        another client (``ConfigurationError``).
        """
        try:
            self._refuse_new_pool(max_connections=max_connections, proxy=proxy, http_client=http_client)
        finally:
            del proxy  # a proxy URL may hold a password: not in this frame's locals
        options = self._derived(
            timeout=timeout,
            max_retries=max_retries,
            max_response_bytes=max_response_bytes,
            backoff=backoff,
            on_attempt=on_attempt,
            telemetry=telemetry,
        )
        return type(self)(_options=options)

    def _batch_requester(self, watch: AttemptWatch) -> AsyncChing:
        """A client sharing this one's pool whose calls leave a 429 to the batch that paces them.

        ``watch`` notes the attempts that may have been applied without an answer (see ``AttemptWatch``).
        """
        return type(self)(_options=self._derived(watch=watch, retry_rate_limited=False))

    @cached_property
    def customers(self) -> AsyncCustomers:
        """The people paying you. Isolated per project and per mode (test or live)."""
        from .customers import AsyncCustomers

        return AsyncCustomers(self)

    async def aclose(self) -> None:
        """Close the connection pool if this client opened it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncChing:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        safe_to_retry: bool | None = None,
    ) -> Any:
        """Call an endpoint the spec (and so this SDK) lacks, with every guarantee of the generated methods.

        ``path`` is relative to the base URL (``/v1/customers/cus_x``): an absolute URL is refused, so the key
        goes to Ching only. ``query`` and ``body`` (a JSON object) are sent as given, wire names. Returns the
        ``data`` of Ching's envelope, as decoded JSON; failures raise the typed errors of any call. Only GET is
        retried, unless ``safe_to_retry=True`` says that sending the request twice has the effect of sending it
        once (an idempotent write); ``safe_to_retry=False`` stops a GET being retried once it may have reached
        the server. Without it a write is never retried once it may have reached the server: never a duplicate.
        """
        operation, build = _extras.custom_request(method, path, query, body, headers, safe_to_retry)
        return await self._request(
            operation,
            build,
            _extras.data_of,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=headers,
            extra_query=None,
            extra_body=None,
        )

    @cached_property
    def with_raw_response(self) -> AsyncChingWithRawResponse:
        """``request()`` returning the ``RawResponse`` (status, headers, request id...) instead of the data."""
        return AsyncChingWithRawResponse(self)

    @overload
    async def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        raw: Literal[False] = False,
        **options: Unpack[CallOptions],
    ) -> T: ...

    @overload
    async def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        raw: Literal[True],
        **options: Unpack[CallOptions],
    ) -> RawResponse[T]: ...

    async def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        timeout: Timeout | float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, QueryValue] | None,
        extra_body: Mapping[str, object] | None,
        raw: bool = False,
    ) -> T | RawResponse[T]:
        """Send one operation with the retry policy and deadline, and return its parsed success body (with
        ``raw=True``, the ``RawResponse`` whose ``parse()`` gives it)."""
        if self._http.is_closed:
            raise ClientClosedError(
                f"{operation.operation_id.replace('_', '.', 1)}: this client is closed. Open one client for the "
                "application's lifetime (or a new one, with `with`), and close it only when no more calls will come."
            )
        call = self._prepare(operation, build, timeout, max_retries, extra_headers, extra_query, extra_body)
        if self._loop_guard is not None and self._loop_guard.stale():
            raise self._loop_guard.error(call.method, call.path)
        if not self._observers:
            return await self._attempts(call, parse, raw)
        with self._observe(call):
            return await self._attempts(call, parse, raw)

    async def _attempts(self, call: Call, parse: Callable[[Any], T], raw: bool) -> T | RawResponse[T]:
        """Make the call's attempts until one succeeds or the retry policy gives up."""
        limit = self._config.max_response_bytes
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            remaining = call.remaining()
            try:
                # A little past httpx's own timeouts (set to `remaining`), so they fire first and say
                # precisely what happened (a connect timeout was never sent); this only stops stuck I/O.
                backstop = remaining + DEADLINE_GRACE
                async with AttemptDeadline(backstop, fallback=anyio.fail_after):
                    request = self._http.build_request(
                        call.method,
                        call.url,
                        json=call.json,
                        headers=call.attempt_headers(attempt),
                        extensions=call.attempt_extensions(remaining, limit),
                    )
                    # auth=None: the key in the headers wins over any auth on an injected client.
                    response = await self._http.send(request, auth=None, stream=True)
                    if response.is_stream_consumed and len(response.content) <= limit:
                        content = response.content  # built from bytes (an in-process transport): nothing to read
                    else:
                        content = await self._read(call, response)
            except Exception as exc:
                decision = self._after_failure(call, exc, attempt, started)
            else:
                retry = self._after_response(call, response, content, attempt, started)
                if retry is None:
                    if raw:
                        return self._raw_response(call, response, content, parse)
                    return _response.success(
                        call.operation,
                        call.path,
                        response.status_code,
                        content,
                        parse,
                        attempts=attempt,
                        headers=response.headers,
                    )
                decision = retry
            await anyio.sleep(wait_time(decision.delay))

    async def _read(self, call: Call, response: httpx.Response) -> bytes:
        """The body, decoded; ``APIResponseError`` once it passes ``max_response_bytes`` (see ``_body``)."""
        try:
            reader = _body.reader_for(response, self._config.max_response_bytes)
            if reader is None:
                return await response.aread()
            async for chunk in response.aiter_raw():
                reader.feed(chunk)
            return reader.finish()
        except _body.TooLarge:
            raise self._too_large(call, response) from None
        except _body.Undecodable as exc:
            raise self._undecodable(call, response, exc) from None
        finally:
            await response.aclose()


class AsyncChingWithRawResponse:
    """``AsyncChing.with_raw_response``: ``request()`` returning the ``RawResponse`` of the call."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncChing) -> None:
        self._client = client

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        safe_to_retry: bool | None = None,
    ) -> RawResponse[Any]:
        """``AsyncChing.request``, returning the ``RawResponse``: its ``parse()`` gives the envelope's ``data``."""
        operation, build = _extras.custom_request(method, path, query, body, headers, safe_to_retry)
        return await self._client._request(
            operation,
            build,
            _extras.data_of,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=headers,
            extra_query=None,
            extra_body=None,
            raw=True,
        )
