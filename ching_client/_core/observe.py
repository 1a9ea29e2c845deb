"""Watching calls: the observers a client tells about each call, its ``on_attempt`` hooks among them.

One mechanism serves the hooks and tracing (``ching_client.otel``). A client holds a tuple of observers; each call it
makes while it has any is watched by an ``Observation``, which tells every observer that the call starts, that each
attempt starts (an observer may add headers to it: trace context) and ends (with an ``AttemptEvent``), and that the
call ends (with the error it raises, if any). Every attempt that starts gets exactly one event, also when it is cut
short (cancelled, or ended by an error that is not the transport's). An observer that raises is logged and left out of
that step; the call goes on unchanged. A client without observers builds none of this.

Observers see what identifies a call and what came of it, never the API key, a header or a body.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from .._exceptions import ConfigurationError
from .logs import logger
from .response import operation_name

if TYPE_CHECKING:  # with the protocols below, for the type checker alone: importing the module stays cheap
    from typing import Protocol

    import httpx

    from .._runtime.contract import Operation
    from .events import AttemptDecision, AttemptEvent, AttemptHook
    from .retry_policy import Decision

    class ObservedCall(Protocol):
        """What an ``Observation`` reads of the call it watches (``base.Call``)."""

        @property
        def operation(self) -> Operation: ...
        @property
        def method(self) -> str: ...
        @property
        def path(self) -> str: ...
        @property
        def url(self) -> httpx.URL: ...
        @property
        def request_id(self) -> str | None: ...

    class CallObserver(Protocol):
        """One observer's view of one call."""

        def attempt_started(self, attempt: int) -> Mapping[str, str] | None:
            """Called as an attempt starts; headers to add to its request (trace context), or None."""

        def attempt_ended(self, event: AttemptEvent) -> None:
            """Called once per attempt started, when it ends."""

        def call_ended(self, error: BaseException | None) -> None:
            """Called once when the call returns (``error`` None) or raises ``error``."""

    class Observer(Protocol):
        """What a client tells about its calls: its hooks, its telemetry (``ching_client.otel.OpenTelemetry``)."""

        def _observe_call(self, call: ObservedCall) -> CallObserver:
            """Called as a call starts, before its first attempt."""


class Hook:
    """One ``on_attempt`` callable as an observer: it receives every attempt's event, and nothing else."""

    __slots__ = ("_hook",)

    def __init__(self, hook: AttemptHook) -> None:
        self._hook = hook

    def __str__(self) -> str:
        return f"the on_attempt hook {getattr(self._hook, '__qualname__', type(self._hook).__name__)}"

    def _observe_call(self, call: ObservedCall) -> CallObserver:
        return self  # nothing kept per call

    def attempt_started(self, attempt: int) -> None:
        return None

    def attempt_ended(self, event: AttemptEvent) -> None:
        self._hook(event)

    def call_ended(self, error: BaseException | None) -> None:
        return None


# Headers an observer never sets: the key, and what frames the request (see base._OWNED_HEADERS).
_NEVER_ADDED: Final = frozenset({"authorization", "host", "content-length", "transfer-encoding", "connection"})


class Observation:
    """One call's observers at work, entered around the call's attempts (``BaseChing._observe``)."""

    __slots__ = ("_attempt", "_call", "_forget", "_observers", "_started", "_watchers")

    def __init__(
        self, observers: Sequence[Observer], call: ObservedCall, forget: Callable[[BaseException], None]
    ) -> None:
        self._observers = observers
        self._call = call
        # Clears the locals of the frames an error passed through (``base.forget_locals_below``): the observers run
        # while it is handled, and what they report of ``sys.exc_info()`` must not reach httpx's (the key).
        self._forget = forget
        self._watchers: list[CallObserver] = []
        self._attempt = 0  # the attempt started and not yet ended; 0 for none
        self._started = 0.0

    def __enter__(self) -> Observation:
        for observer in self._observers:
            try:
                self._watchers.append(observer._observe_call(self._call))
            except Exception:
                self._failed(observer, "as the call started")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if error is not None:
            self._forget(error)
        if self._attempt:  # cut short: cancelled, or an error that is not the transport's
            name = type(error).__name__ if error is not None else None
            self.attempt_ended(self._attempt, self._started, None, error_type=name)
        for watcher in self._watchers:
            try:
                watcher.call_ended(error)
            except Exception:
                self._failed(watcher, "as the call ended")

    def attempt_headers(self, attempt: int, headers: httpx.Headers) -> httpx.Headers:
        """``headers`` for this attempt, with what the observers add; a copy when they add any."""
        self._attempt = attempt
        self._started = time.monotonic()
        added: dict[str, str] = {}
        for watcher in self._watchers:
            try:
                more = watcher.attempt_started(attempt)
            except Exception:
                self._failed(watcher, "as an attempt started")
                continue
            if more:
                added.update((name, value) for name, value in more.items() if name.lower() not in _NEVER_ADDED)
        if not added:
            return headers
        headers = headers.copy()  # the client's own headers are shared by its calls
        headers.update(added)
        return headers

    def attempt_ended(
        self,
        attempt: int,
        started: float,
        decision: Decision | None,
        *,
        status: int | None = None,
        error_type: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        """Tell the observers how an attempt ended: ``decision`` None for a success, or when it was cut short."""
        self._attempt = 0
        call = self._call
        if decision is None:
            kind: AttemptDecision = "succeeded" if status is not None and 200 <= status < 300 else "giving_up"
            reason = ""
        else:
            kind = "retrying" if decision.retry else "outcome_unknown" if outcome_unknown else "giving_up"
            reason = decision.reason
        operation = call.operation
        event = _event_class()(
            operation_id=operation.operation_id,
            operation=operation_name(operation),
            method=call.method,
            path=call.path,
            attempt=attempt,
            status_code=status,
            error_type=error_type,
            elapsed=time.monotonic() - started,
            request_id=call.request_id,
            decision=kind,
            retry_after=decision.delay if decision is not None and decision.retry else None,
            reason=reason,
        )
        for watcher in self._watchers:
            try:
                watcher.attempt_ended(event)
            except Exception:
                self._failed(watcher, "with an attempt's event")

    def _failed(self, observer: object, when: str) -> None:
        # The exception is logged (its traceback starts in the observer): what an observer does never ends a call.
        call = self._call
        logger.exception("%s raised %s (%s %s); the call goes on", observer, when, call.method, call.path)


@functools.cache
def _event_class() -> type[AttemptEvent]:
    """``AttemptEvent``, imported with the first event: a client without observers never loads it. (Cached: a
    relative import inside a function resolves its package each time, a few µs per event.)"""
    from .events import AttemptEvent

    return AttemptEvent


def observers_for(on_attempt: object, telemetry: object) -> tuple[Observer, ...]:
    """The observers of a client built with ``on_attempt=`` and ``telemetry=``, checked; ``()`` for neither.

    Typed ``object``: the clients' signatures say what to pass, and this refuses anything else with a message.
    """
    hooks: Sequence[object]
    if on_attempt is None:
        hooks = ()
    elif callable(on_attempt):
        hooks = (on_attempt,)
    elif isinstance(on_attempt, Sequence) and not isinstance(on_attempt, str | bytes):
        hooks = on_attempt
    else:
        raise ConfigurationError(
            f"on_attempt takes a function called with each AttemptEvent, or a list of them; got "
            f"{type(on_attempt).__name__}."
        )
    observers: list[Observer] = []
    for hook in hooks:
        if not callable(hook):
            raise ConfigurationError(f"on_attempt: {type(hook).__name__} is not callable; pass functions.")
        if inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(getattr(hook, "__call__", None)):  # noqa: B004
            raise ConfigurationError(
                f"on_attempt: {getattr(hook, '__qualname__', type(hook).__name__)} is an async function; hooks are "
                "called synchronously, between attempts. Pass a plain function (it may hand the event to a queue)."
            )
        observers.append(Hook(hook))
    if telemetry is not None:
        if not callable(getattr(telemetry, "_observe_call", None)):
            raise ConfigurationError(
                f"telemetry takes ching_client.otel.OpenTelemetry(), got {type(telemetry).__name__}."
            )
        observers.append(telemetry)  # type: ignore[arg-type]  # checked just above
    return tuple(observers)
