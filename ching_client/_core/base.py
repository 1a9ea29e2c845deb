"""Everything a call needs that does no I/O, shared by ``AsyncChing`` and ``Ching``."""

from __future__ import annotations

import datetime
import functools
import inspect
import logging
import platform
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, TypeVar

from attrs import field, frozen

from .._exceptions import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    ChingError,
    ConfigurationError,
    InvalidArgumentError,
    WriteOutcomeUnknownError,
)
from .._http import body as _body
from .._http import engines as _engine
from .._http.pool import MAX_CONNECTIONS, LoopGuard
from .._runtime.contract import Operation, QueryValue, Request
from .._runtime.kinds import InvalidArgument, unencodable
from .._runtime.raw import RawResponse
from .._runtime.timeout import Timeout
from .._version import __version__
from . import config as _config
from . import extras as _extras
from . import response as _response
from .logs import configure_from_env, logger
from .observe import Hook, Observation, observers_for
from .retry_policy import RETRY_ON_SAFE_STATUS, Backoff, Decision, Failure, attempts, decide, parse_retry_after

if TYPE_CHECKING:  # httpx's types stand for httpx2's too: the two families have the same API
    import httpx

    from .observe import Observer

T = TypeVar("T")
RETRY_COUNT_HEADER: Final = "X-Ching-Retry-Count"
_URLS_KEPT: Final = 256
MAX_PATH_LENGTH: Final = 16 * 1024
"""Longest request path sent: common servers take at most 16 KB for the request line and headers together
(h11, Node.js; nginx and Apache 8 KB), so a longer path could never succeed. httpx refuses URLs past 64 KB."""


class Call:
    """One SDK method call: its request and its deadline, across all attempts.

    It is also where what the attempts learn is kept, for the errors, log lines (and anything else) that describe
    the call: ``attempts`` made so far and the latest answer's ``response_headers`` (``request_id`` among them).
    A client with hooks or telemetry sets ``observation`` for the call's duration (``BaseChing._observe``).
    """

    __slots__ = (
        "attempts",
        "connect",
        "deadline",
        "headers",
        "json",
        "max_retries",
        "method",
        "observation",
        "operation",
        "path",
        "read",
        "response_headers",
        "started",
        "url",
    )

    def __init__(
        self,
        operation: Operation,
        request: Request,
        url: httpx.URL,
        headers: httpx.Headers,
        timeout: Timeout,
        max_retries: int,
    ) -> None:
        self.operation = operation
        self.method = request.method
        self.path = request.path  # what logs and messages show: the query may carry personal data
        self.url = url
        self.json: Any = request.json
        self.headers = headers
        self.max_retries = max_retries
        #: When the call started (``time.monotonic()``): a raw response's ``elapsed`` counts from here.
        self.started = now = time.monotonic()
        self.deadline = now + timeout.total
        self.connect = timeout.connect
        self.read = timeout.read
        #: Attempts started so far, the current one included (``attempt_headers`` counts them).
        self.attempts = 0
        #: The headers of the latest attempt's answer; None before one arrives, and after an attempt without one.
        self.response_headers: httpx.Headers | None = None
        #: The observers watching this call (hooks, telemetry); None for a client without any.
        self.observation: Observation | None = None

    @property
    def name(self) -> str:
        """The operation as users call it: ``customers.create``."""
        return _response.operation_name(self.operation)

    @property
    def request_id(self) -> str | None:
        """The latest answer's ``X-Request-Id`` (Ching's id of the request), or None."""
        return _response.request_id_of(self.response_headers)

    def remaining(self) -> float:
        """Seconds left before this call's deadline."""
        return self.deadline - time.monotonic()

    def attempt_headers(self, attempt: int) -> httpx.Headers:
        """Headers for one attempt: the retry count tells the server (and logs) which attempt this is.

        Always the engine's ``Headers`` (httpx's or httpx2's), whose repr hides Authorization: httpx's frames hold
        these headers, and a traceback formatter that prints locals (``pytest -l``, Sentry) must not print the key.
        The clients ask for them as each attempt starts, so this is where the attempts are counted, and where the
        call's observers hear of each attempt (and add trace context).
        """
        self.attempts = attempt
        self.response_headers = None
        if attempt == 1:
            headers = self.headers
        else:
            headers = self.headers.copy()
            headers[RETRY_COUNT_HEADER] = str(attempt - 1)
        if self.observation is not None:
            return self.observation.attempt_headers(attempt, headers)
        return headers

    def attempt_extensions(self, remaining: float, limit: int) -> dict[str, Any]:
        """The request extensions of an attempt with ``remaining`` seconds left of the call's deadline, which bounds
        each attempt: its timeouts in the form both engines keep in the ``timeout`` extension, where
        ``build_request`` takes them as they are (since httpx 0.23) instead of building a ``Timeout`` object per
        request; the body cap (``limit``); and the deadline itself, which the sync shards hold every socket operation
        to (``_http.deadline``) whatever the read timeout."""
        read = self.read
        timeouts = {
            "connect": min(self.connect, remaining),
            "read": remaining if read is None else min(read, remaining),
            "write": remaining,
            "pool": remaining,
        }
        return {_body.LIMIT_EXTENSION: limit, "timeout": timeouts, _body.ATTEMPT_SECONDS_EXTENSION: remaining}


class AttemptDeadline:
    """Ends an attempt that outlives what is left of its call's deadline, raising ``TimeoutError``.

    ``AsyncChing`` enters it with ``async with``. In an asyncio task it schedules one timer that cancels the task,
    and turns that cancellation into ``TimeoutError`` on the way out, as ``asyncio.timeout`` does (Python 3.12's
    rules: a cancellation from elsewhere is never swallowed) without its state machine, and without building
    ``fallback`` unless it is entered: 4 µs per attempt against 7 µs for the wrapper around ``asyncio.timeout``
    this replaced, on an in-process transport. Anywhere else (trio) it enters ``fallback(seconds)``,
    ``anyio.fail_after``. The sync client is derived from the async source, so it enters this with plain ``with``,
    which enters ``fallback`` only: there that is ``contextlib.nullcontext``, as a blocking call cannot be
    cancelled; the sync shards end every socket operation at the deadline instead
    (``_deadline``).
    """

    __slots__ = ("_cancelling", "_expired", "_fallback", "_handle", "_scope", "_seconds", "_task")

    def __init__(self, seconds: float, fallback: Callable[[float], AbstractContextManager[object]]) -> None:
        self._seconds = seconds
        self._fallback = fallback
        self._task: Any = None
        self._handle: Any = None
        self._scope: AbstractContextManager[object] | None = None
        self._expired = False
        self._cancelling = 0

    def __enter__(self) -> None:
        self._scope = self._fallback(self._seconds)
        self._scope.__enter__()

    def __exit__(self, *exc_info: Any) -> bool | None:
        assert self._scope is not None
        return self._scope.__exit__(*exc_info)

    # Plain methods returning awaitables rather than ``async def``: ``async with`` awaits what they
    # return, so the deadline is entered and left without a coroutine of ours around it.
    def __aenter__(self) -> Awaitable[object]:
        # Not imported here: an application that never imported asyncio is not running on it.
        asyncio = sys.modules.get("asyncio")
        task = _asyncio_task(asyncio) if asyncio is not None else None
        if task is not None:
            loop = task.get_loop()
            self._task = task
            self._cancelling = task.cancelling()
            self._handle = loop.call_at(loop.time() + self._seconds, self._expire)
            return _DONE
        self.__enter__()
        return _DONE

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> Awaitable[None]:
        task = self._task
        if task is None:
            return _Done(self.__exit__(exc_type, exc, tb))
        self._handle.cancel()
        self._task = self._handle = None  # no cycle through the task's frame
        expired = self._expired and task.uncancel() <= self._cancelling
        if expired and exc_type is not None and issubclass(exc_type, sys.modules["asyncio"].CancelledError):
            raise TimeoutError from exc
        return _DONE


class _Done:
    """An awaitable that is already complete, with ``value`` as its result."""

    __slots__ = ("value",)

    def __init__(self, value: Any = None) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        yield from ()  # never suspends
        return self.value


_DONE: Final = _Done()


def _asyncio_task(asyncio: Any) -> Any:
    """The asyncio task running now, or None (no asyncio loop in this thread: trio, or no loop at all)."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class AttemptWatch:
    """Notes that an attempt of the current call may have been applied though no usable answer came back.

    ``upsert_many`` gives each worker a client carrying one (``_batch_requester``) and clears it before
    each row: a row that succeeds on a retry after such an attempt cannot tell whether the lost attempt
    created the customer, and a row that fails after one may have been applied all the same.
    """

    __slots__ = ("lost",)

    def __init__(self) -> None:
        self.lost: bool = False


@frozen(repr=False)
class ClientOptions:
    """What a client is built from, resolved and checked: its configuration and engine, and the HTTP client (the
    connection pool) it sends through when that is not its own to open and close.

    The constructor resolves one from its arguments (``resolve_options``); ``with_options`` derives one from its
    client (``BaseChing._derived``) and builds the clone with the same constructor, so a clone holds every invariant
    a client does. An option of the constructor becomes one of ``with_options`` by being changeable in
    ``config.changed``: nothing is copied attribute by attribute.
    """

    config: _config.Config
    engine: _engine.Engine
    http: Any = None
    """An httpx or httpx2 client to send through, which the client does not close; None: it opens its own."""
    loop_guard: LoopGuard | None = None
    """The guard of an injected async client's pool, shared by every client on that pool."""
    urls: dict[str, httpx.URL] = field(factory=dict)
    """The parsed URLs (``BaseChing._url``), shared by every client on one pool: they have one base URL."""
    watch: AttemptWatch | None = None
    """For ``upsert_many``'s workers: where the client notes attempts that may have been applied unseen."""
    observers: tuple[Observer, ...] = ()
    """Who is told about each call and attempt: the ``on_attempt`` hooks and the telemetry (``_core.observe``)."""
    max_connections: int = MAX_CONNECTIONS
    """The size of the client's own pool (``_http.pool``); unused with an injected ``http``."""
    proxy: str | None = None
    """The proxy the client's own pool sends through (``config.route_proxy``); never in a repr: it may hold a
    password."""

    def __repr__(self) -> str:  # a traceback formatter that prints locals shows the constructor's: never the key
        shared = "its own pool" if self.http is None else "a shared pool"
        return f"ClientOptions({self.config!r}, engine={self.engine.name!r}, {shared})"


def resolve_options(
    api_key: str | None,
    base_url: str | None,
    timeout: Timeout | float | None,
    max_retries: int | None,
    max_response_bytes: int | None,
    http_client: Any,
    client_class: str,
    on_attempt: Any = None,
    telemetry: Any = None,
    *,
    max_connections: int | None = None,
    backoff: Any = None,
    proxy: str | None = None,
) -> ClientOptions:
    """A client's options from its constructor's arguments; ``ConfigurationError`` names a bad one.

    The clients call this with the key in their own frame and cut the traceback of a refusal, so no frame that a
    traceback formatter prints holds the key (see ``AsyncChing.__init__``). ``client_class`` is the class an injected
    ``http_client`` must be an instance of: ``AsyncClient`` or ``Client``, of httpx or httpx2.
    """
    if http_client is not None:
        _refuse_pool_options(max_connections=max_connections, proxy=proxy)
    engine = _engine.default_engine() if http_client is None else _engine.engine_of(http_client, client_class)
    # Whether httpx reads the environment's proxy settings: unless an injected client has trust_env=False.
    env = http_client is None or http_client.trust_env
    config = _config.resolve(
        api_key, base_url, timeout, max_retries, max_response_bytes, engine.http, env, backoff=backoff, proxy=proxy
    )
    # The SDK's own pool keeps each event loop's connections apart; an injected one is checked before each call.
    loop_guard = None if http_client is None else LoopGuard.of(http_client)
    observers = observers_for(on_attempt, telemetry)
    return ClientOptions(
        config,
        engine,
        http=http_client,
        loop_guard=loop_guard,
        observers=observers,
        max_connections=_config.check_max_connections(MAX_CONNECTIONS if max_connections is None else max_connections),
        proxy=None if http_client is not None else _config.route_proxy(engine.http, config.base_url, proxy),
    )


def _refuse_pool_options(**given: object) -> None:
    """Refuse the options of a pool the SDK builds (``max_connections``, ``proxy``) beside an injected
    ``http_client``, whose pool is its owner's."""
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise ConfigurationError(
            f"{' and '.join(named)} size or route the client's own connection pool, and an http_client was given: "
            "it owns its pool, so set them on it (httpx.Client(limits=httpx.Limits(max_connections=...), "
            "proxy=...)), or leave out http_client."
        )


def _changed_observers(observers: tuple[Observer, ...], on_attempt: Any, telemetry: Any) -> tuple[Observer, ...]:
    """``observers`` with the hooks replaced by ``on_attempt`` (an empty list: none) and the telemetry by
    ``telemetry``; None keeps what was there."""
    hooks: tuple[Observer, ...] = tuple(o for o in observers if isinstance(o, Hook))
    others = tuple(o for o in observers if not isinstance(o, Hook))
    if on_attempt is not None:
        hooks = observers_for(on_attempt, None)
    if telemetry is not None:
        others = observers_for(None, telemetry)
    return hooks + others


class BaseChing:
    """Configuration, request preparation, retry decisions and error mapping; no I/O."""

    # Set by the clients, from their options: the HTTP client they send through, and its loop guard.
    _http: Any
    _loop_guard: LoopGuard | None
    #: What the client tells about its calls: its ``on_attempt`` hooks and its telemetry (``_core.observe``).
    _observers: tuple[Observer, ...] = ()

    def __init__(self, options: ClientOptions) -> None:
        configure_from_env()
        config, engine = options.config, options.engine
        self._config = config
        self._engine = engine
        self._urls = options.urls
        self._watch = options.watch
        self._observers = options.observers
        # The engine's Headers, never a dict: its repr hides Authorization (see Call.attempt_headers).
        self._headers: httpx.Headers = engine.http.Headers(
            {
                "Authorization": f"Bearer {config.api_key}",
                "User-Agent": user_agent(engine),
                "Accept": "application/json",
            }
        )

    def _derived(
        self,
        *,
        watch: AttemptWatch | None = None,
        on_attempt: Any = None,
        telemetry: Any = None,
        **changes: Any,
    ) -> ClientOptions:
        """The options of a client on this one's pool (a ``with_options`` clone, an ``upsert_many`` worker's): this
        client's configuration with ``changes`` (None leaves an option as it is), each checked as the constructor
        checks it. ``on_attempt`` replaces the hooks and ``telemetry`` the telemetry; either left None keeps this
        client's."""
        try:
            config = _config.changed(self._config, **changes)
            observers = self._observers
            if on_attempt is not None or telemetry is not None:
                observers = _changed_observers(observers, on_attempt, telemetry)
        except ConfigurationError as exc:
            raise InvalidArgumentError(exc.message) from None
        return ClientOptions(
            config,
            self._engine,
            http=self._http,
            loop_guard=self._loop_guard,
            urls=self._urls,
            watch=watch,
            observers=observers,
        )

    @staticmethod
    def _refuse_new_pool(**given: object) -> None:
        """``with_options`` shares its client's pool: refuse an option only a new pool could apply."""
        named = [name for name, value in given.items() if value is not None]
        if named:
            raise ConfigurationError(
                f"with_options shares this client's connection pool, and {' and '.join(named)} "
                f"{'need' if len(named) > 1 else 'needs'} a new one: build another client with "
                f"{', '.join(f'{name}=...' for name in named)} (and close it when done)."
            )

    def _ask_for_what_is_decoded(self, defaults: httpx.Headers) -> None:
        """Ask only for the encodings ``_body`` inflates under the size cap.

        The clients' own httpx client already does, with no header per request; an injected one may
        offer ``br`` or ``zstd`` (httpx does when those packages are installed).
        """
        if defaults.get("accept-encoding") != _body.ACCEPT_ENCODING:
            self._headers["Accept-Encoding"] = _body.ACCEPT_ENCODING

    @property
    def livemode(self) -> bool:
        """True for a live key (``ck_live_`` / ``sk_live_``), False for a test key."""
        return self._config.livemode

    @property
    def base_url(self) -> str:
        """The API root requests go to, such as ``https://api.ching.co.il/ching``."""
        return self._config.base_url

    @property
    def timeout(self) -> float:
        """Default seconds per call, retries included (the ``total`` of ``timeouts``)."""
        return self._config.timeout.total

    @property
    def timeouts(self) -> Timeout:
        """The default ``Timeout`` of a call: its total, and each attempt's connect and read parts."""
        return self._config.timeout

    @property
    def backoff(self) -> Backoff:
        """The waits before retries the server gave no ``Retry-After`` for."""
        return self._config.backoff

    @property
    def max_retries(self) -> int:
        """Default retries per call for failures the retry policy allows."""
        return self._config.max_retries

    def __repr__(self) -> str:
        # A traceback formatter that prints locals calls this on a client whose constructor failed too.
        config: _config.Config | None = getattr(self, "_config", None)
        if config is None:
            return f"{type(self).__name__}(<not configured>)"
        mode = "live" if config.livemode else "test"
        key = _config.redacted_key(config.api_key)
        return f"{type(self).__name__}(base_url={config.base_url!r}, mode={mode!r}, api_key={key!r})"

    def _options(self, timeout: Timeout | float | None, max_retries: int | None) -> tuple[Timeout, int]:
        if timeout is None and max_retries is None:  # most calls: the client's checked defaults
            return self._config.timeout, self._config.max_retries
        try:
            return (
                self._config.timeout if timeout is None else _config.check_timeout(timeout, self._config.timeout),
                self._config.max_retries if max_retries is None else _config.check_max_retries(max_retries),
            )
        except ConfigurationError as exc:
            raise InvalidArgumentError(exc.message) from None

    def _prepare(
        self,
        operation: Operation,
        build: Callable[[], Request],
        timeout: Timeout | float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, QueryValue] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> Call:
        """Build the call, refusing bad arguments before anything is sent."""
        call_timeout, call_retries = self._options(timeout, max_retries)
        name = _response.operation_name(operation)
        try:
            request = build()
            if extra_query is not None or extra_body is not None:
                _extras.merge(request, extra_query, extra_body)
        except InvalidArgument as exc:
            raise InvalidArgumentError(f"{name}: {exc}", argument=exc.argument) from None
        except UnicodeEncodeError as exc:
            # The kinds name every string argument UTF-8 cannot carry; should text reach an encoder unchecked all
            # the same, the call is still refused as a bad argument, before anything is sent.
            problem = unencodable(exc.object, exc.start)
            raise InvalidArgumentError(f"{name}: an argument {problem}.") from None
        _check_path(name, operation, request.path)
        url = self._url(self._config.base_url + request.path + ("?" + request.query if request.query else ""))
        headers = self._headers  # shared, never mutated: a copy is made only when a call adds headers
        if request.headers or extra_headers:
            headers = headers.copy()
            headers.update(request.headers or {})
        if extra_headers:
            _extras.check_headers("extra_headers", extra_headers)
            headers.update(extra_headers)
        return Call(operation, request, url, headers, call_timeout, call_retries)

    def _observe(self, call: Call) -> Observation:
        """Watch ``call`` with the client's observers: enter the result around the call's attempts."""
        call.observation = Observation(self._observers, call, forget_locals_below)
        return call.observation

    def _url(self, text: str) -> httpx.URL:
        """The engine's URL for ``text``, parsed once: httpx parses and checks every URL given as text, about a tenth
        of an in-process call, and most calls go to a handful of URLs (a list, an upsert, one customer).
        The cache is shared with the clients on the same pool and emptied when it holds ``_URLS_KEPT`` URLs."""
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            url = self._urls[text] = self._engine.http.URL(text)
        return url

    @staticmethod
    def _failure(exc: BaseException) -> Failure:
        """Classify an exception from sending, httpx's and httpx2's alike; anything that is not a transport failure
        is re-raised."""
        if _is(exc, "ConnectError", "ConnectTimeout", "PoolTimeout") and not _sent_after_all(exc):
            return Failure.NOT_SENT
        if isinstance(exc, TimeoutError) or _is(exc, "TimeoutException"):
            return Failure.TIMED_OUT
        if _is(exc, "TransportError"):
            return Failure.DROPPED
        forget_locals_below(exc)  # not a transport failure, but its frames hold the request all the same
        raise exc

    def _after_failure(self, call: Call, exc: BaseException, attempt: int, started: float) -> Decision:
        """Decide on a failed attempt; raise the connection error when it is final."""
        failure = self._failure(exc)
        if failure is not Failure.NOT_SENT and self._watch is not None:
            self._watch.lost = True
        decision = decide(
            safe_to_repeat=call.operation.safe_to_repeat,
            attempt=attempt,
            max_retries=call.max_retries,
            remaining=call.remaining(),
            failure=failure,
            policy=self._config.backoff,
        )
        _log_attempt(call, attempt, started, failure.name.lower().replace("_", " "), decision)
        if call.observation is not None:
            # Hooks run while exc is handled: what they report of sys.exc_info() must not reach httpx's locals.
            forget_locals_below(exc)
            call.observation.attempt_ended(
                attempt,
                started,
                decision,
                error_type=type(exc).__name__,
                outcome_unknown=_may_have_been_applied(call, failure),
            )
        if decision.retry:
            return decision
        forget_locals_below(exc)
        raise self._connection_error(call, failure, exc, decision, attempt) from exc

    def _connection_error(
        self, call: Call, failure: Failure, exc: BaseException, decision: Decision, attempt: int
    ) -> ChingError:
        """The error for a call that ended without a response; its message says each thing once."""
        if _may_have_been_applied(call, failure):
            return WriteOutcomeUnknownError(
                f"{_response.call_named(call.operation, call.method, call.path, attempt)}: {failure.value}. The "
                "request may have been processed, so it was not retried (Ching ignores idempotency keys and a retry "
                "could create a duplicate). Check whether the object exists before trying again; for customers, "
                "customers.upsert(identify_by=...) creates or updates without duplicates.",
                method=call.method,
                path=call.path,
                timed_out=failure is Failure.TIMED_OUT,
                operation=call.name,
                attempts=attempt,
            )
        what = failure.value
        advice = f"Try again later ({self._config.base_url})."
        if failure is Failure.NOT_SENT and _is(exc, "PoolTimeout"):
            what = "no connection in the client's pool became free in time, so the request never left"
            advice = (
                "Every pooled connection was busy for the whole wait: send fewer requests at once through this "
                "client, or give calls a longer timeout."
            )
        elif failure is Failure.NOT_SENT:
            how = "connecting timed out" if _is(exc, "ConnectTimeout") else "could not connect"
            what = f"{what} ({how})"
            advice = f"Check the network and the base URL ({self._config.base_url})."
        stop = f"; gave up after {attempts(attempt)}" if attempt > 1 else ""
        if attempt <= call.max_retries and decision.stop and failure is not Failure.TIMED_OUT:
            # Retries were left: the deadline left no time for another (a timeout already says so).
            stop += f" ({decision.stop})" if stop else f"; {decision.stop}"
        cls = APITimeoutError if failure is Failure.TIMED_OUT else APIConnectionError
        return cls(
            f"{call.method} {call.path}: {what}{stop}. {advice}",
            method=call.method,
            path=call.path,
            may_have_reached_server=failure is not Failure.NOT_SENT,
            operation=call.name,
            attempts=attempt,
        )

    def _after_response(
        self, call: Call, response: httpx.Response, content: bytes, attempt: int, started: float
    ) -> Decision | None:
        """None for a 2xx; a decision to retry; or the typed error raised when the failure is final."""
        status = response.status_code
        call.response_headers = response.headers
        if 200 <= status < 300:
            if logger.isEnabledFor(logging.INFO):
                _log_attempt(call, attempt, started, str(status), None)
                logger.debug("response body %s", content[:2000])
            if call.observation is not None:
                call.observation.attempt_ended(attempt, started, None, status=status)
            return None
        if self._watch is not None and (status >= 500 or status in RETRY_ON_SAFE_STATUS):
            self._watch.lost = True  # Ching may have processed it before failing
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        decision = decide(
            safe_to_repeat=call.operation.safe_to_repeat,
            attempt=attempt,
            max_retries=call.max_retries,
            remaining=call.remaining(),
            status=status,
            retry_after=retry_after,
            retry_rate_limited=self._config.retry_rate_limited,
            policy=self._config.backoff,
        )
        _log_attempt(call, attempt, started, str(status), decision)
        if call.observation is not None:
            call.observation.attempt_ended(attempt, started, decision, status=status)
        if decision.retry:
            return decision
        note = f"Gave up after {attempt} attempts." if attempt > 1 else None
        if status in RETRY_ON_SAFE_STATUS and not call.operation.safe_to_repeat:
            note = (
                "It was not retried: the operation is not safe to repeat and may have been processed. "
                "Check whether the object exists before trying again (customers.upsert reconciles customers)."
            )
        route_has_id = "{" in call.operation.path
        raise _response.status_error(
            call.method,
            call.path,
            status,
            content,
            retry_after,
            note,
            route_has_id=route_has_id,
            headers=response.headers,
        )

    @staticmethod
    def _raw_response(
        call: Call, response: httpx.Response, content: bytes, parse: Callable[[Any], T]
    ) -> RawResponse[T]:
        """The answer to a call made ``with_raw_response``: ``parse()`` reads it as the plain call would have."""
        read = functools.partial(
            _response.success,
            call.operation,
            call.path,
            response.status_code,
            content,
            parse,
            attempts=call.attempts,
            headers=response.headers,
        )
        return RawResponse(
            operation=call.name,
            http_method=call.method,
            url=str(call.url),
            status_code=response.status_code,
            headers=response.headers,
            request_id=call.request_id,
            content=content,
            elapsed=datetime.timedelta(seconds=time.monotonic() - call.started),
            attempts=call.attempts,
            parse=read,
        )

    def _too_large(self, call: Call, response: httpx.Response) -> APIResponseError:
        limit = self._config.max_response_bytes
        problem = (
            f"a body larger than the client's max_response_bytes ({limit:,} bytes); it was not read further. "
            "Ching's answers are far smaller"
        )
        return _undocumented(call, response, problem)

    def _undecodable(self, call: Call, response: httpx.Response, exc: Exception) -> APIResponseError:
        encoding = response.headers.get("content-encoding", "")
        problem = f"a body that is not valid {encoding} ({_response.capped(str(exc), 120)})"
        return _undocumented(call, response, problem)


def _undocumented(call: Call, response: httpx.Response, problem: str) -> APIResponseError:
    """The error for an answer the client could not read (``problem`` says why), naming the call and its attempts."""
    return _response.undocumented(
        call.method,
        call.path,
        response.status_code,
        problem,
        operation=call.operation,
        attempts=call.attempts,
        headers=response.headers,
    )


def _check_path(name: str, operation: Operation, path: str) -> None:
    """Refuse a path (an id, in practice) too long for any server, before httpx refuses the URL itself."""
    if len(path) <= MAX_PATH_LENGTH:
        return
    params = re.findall(r"\{(\w+)\}", operation.path)
    argument = params[0] if len(params) == 1 else None
    raise InvalidArgumentError(
        f"{name}: {argument or 'a path parameter'} makes a request path of {len(path):,} characters once encoded; "
        f"servers refuse paths this long (at most {MAX_PATH_LENGTH:,} are sent). Ching's ids are short, like cus_…",
        argument=argument,
    )


def user_agent(engine: _engine.Engine) -> str:
    return f"ching-client-python/{__version__} {engine.name}/{engine.version} python/{platform.python_version()}"


def forget_locals_below(exc: BaseException) -> None:
    """Clear the local variables of every frame ``exc`` and the exceptions chained to it went through below the frame
    that caught it (httpx's, httpcore's, h11's, the socket backends', the SDK's own transport).

    Those frames hold the request as httpx sends it: the serialized bytes and raw header lists, the API key in
    them, and through a proxy its ``Proxy-Authorization`` and the URL's password. A traceback formatter that prints
    locals (``pytest -l``, ``traceback.TracebackException(capture_locals=True)``, Sentry) would show them all. The
    frames stay in the traceback, so it still says where the call failed, file and line; only what they held goes.
    They have all returned (an exception passed through them on its way out), so nothing runs in them again.

    The frame that caught ``exc`` (the client's ``_request``) is still running and is left alone, as is any
    exception the caller was handling when it made the call (it becomes the innermost ``__context__``): its frames
    are the caller's, raised before the call, and its traceback starts in a frame that is still running.
    """
    top = exc.__traceback__
    catcher = None if top is None else top.tb_frame
    running = set()  # this thread's (or task's) frames that are still executing: the caller's, and ours above exc
    frame = inspect.currentframe()
    while frame is not None:
        running.add(id(frame))
        frame = frame.f_back
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        tb = error.__traceback__
        if tb is not None and tb.tb_frame is not catcher and id(tb.tb_frame) in running:
            continue  # raised before the call: the caller's own exception, and those chained to it
        traceback.clear_frames(tb)  # skips the frames still running (RuntimeError), such as the catcher
        pending.extend(e for e in (error.__cause__, error.__context__) if e is not None)
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)


def _may_have_been_applied(call: Call, failure: Failure) -> bool:
    """Whether an attempt that got no answer leaves the call's outcome unknown: its request may have reached the
    server, and the operation is not safe to repeat (``WriteOutcomeUnknownError`` when it is the last)."""
    return failure is not Failure.NOT_SENT and not call.operation.safe_to_repeat


def _is(exc: BaseException, *names: str) -> bool:
    """Whether ``exc`` is one of the exception classes called ``names`` in httpx or httpx2."""
    return any(isinstance(exc, tuple(getattr(m, n) for n in names)) for m in _engine.exception_families())


def _sent_after_all(exc: BaseException) -> bool:
    """True for a "connect" error that a transport built on aiohttp raised after the request was sent.

    httpx-aiohttp maps every ``aiohttp.ClientConnectionError`` to ``httpx.ConnectTimeout``, including
    ``ServerDisconnectedError``, a connection lost after the request went out. Only aiohttp's
    ``ClientConnectorError`` (and its subclasses) means the connection was never made.
    """
    cause = exc.__cause__
    if cause is None or not type(cause).__module__.startswith("aiohttp"):
        return False
    return not any(base.__name__ == "ClientConnectorError" for base in type(cause).__mro__)


def _log_attempt(call: Call, attempt: int, started: float, outcome: str, decision: Decision | None) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    elapsed = (time.monotonic() - started) * 1000
    request_id = call.request_id
    tail = f", request id {request_id}" if request_id else ""
    if decision is not None:
        tail += f"; retrying in {decision.delay:.2f}s" if decision.retry else f"; giving up ({decision.reason})"
    logger.info("%s %s -> %s (attempt %d, %.1f ms%s)", call.method, call.path, outcome, attempt, elapsed, tail)
    if attempt == 1 and call.json is not None:
        logger.debug("request body %s", call.json)
