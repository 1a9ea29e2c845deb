"""OpenTelemetry for the clients: a span per call, a child span per attempt, trace context sent with each attempt, and
the ``http.client.request.duration`` histogram. It needs the ``otel`` extra (``pip install 'ching-client[otel]'``,
which brings opentelemetry-api alone); the application sets up the OpenTelemetry SDK and its exporters as usual.

    from ching_client import AsyncChing
    from ching_client.otel import OpenTelemetry

    ching = AsyncChing(telemetry=OpenTelemetry())

``import ching_client`` never imports this module, nor OpenTelemetry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

try:
    from opentelemetry import context as _context
    from opentelemetry import metrics, trace
    from opentelemetry.propagate import inject
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as _missing:  # pragma: no cover - the message is the point
    raise ImportError("ching_client.otel needs the OpenTelemetry API: pip install 'ching-client[otel]'") from _missing

from ._core.response import operation_name
from ._exceptions import ChingError
from ._version import __version__

if TYPE_CHECKING:
    from ._core.events import AttemptEvent
    from ._core.observe import CallObserver, ObservedCall

__all__ = ["OpenTelemetry"]

_SCOPE: Final = "ching_client"
# The stable HTTP conventions' advice for http.client.request.duration (seconds); the SDK's default buckets are
# made for milliseconds and would put every call in the first few.
_DURATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class OpenTelemetry:
    """Traces and measures a client's calls with OpenTelemetry: ``AsyncChing(telemetry=OpenTelemetry())``.

    Each call is an ``INTERNAL`` span named by its operation (``customers.create``) with a ``CLIENT`` child span
    per attempt, named by method and route (``POST /v1/customers``), with the stable HTTP conventions'
    attributes: ``http.request.method``, ``server.address``, ``server.port``, ``url.full`` (query values
    replaced by ``REDACTED``), ``url.template``, ``http.response.status_code``, ``error.type`` (the status code,
    or the class of the error that ended the attempt) and ``http.request.resend_count`` on retries, plus
    ``ching.operation_id`` and ``ching.request_id`` (Ching's id of the request, for its support). A call that
    raises has status ERROR and ``error.type`` set to the error's class (``WriteOutcomeUnknownError``).

    Each attempt's request carries the trace context of its span (``traceparent``, through the propagators the
    application set up), and its duration is recorded in the ``http.client.request.duration`` histogram (seconds,
    with the method, server, status code and error type). Nothing recorded holds the API key, a header or a body.

    ``tracer_provider`` and ``meter_provider`` default to the global ones (``opentelemetry.trace.set_tracer_provider``,
    ``opentelemetry.metrics.set_meter_provider``); ``propagate=False`` sends no trace context to Ching.
    """

    __slots__ = ("_duration", "_propagate", "_tracer")

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        propagate: bool = True,
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider)
        self._duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._propagate = propagate

    def __repr__(self) -> str:
        return f"OpenTelemetry(propagate={self._propagate})"

    def _observe_call(self, call: ObservedCall) -> CallObserver:
        return _TracedCall(self, call)


class _TracedCall:
    """One call's span (current while the call runs), the span of its attempt in flight, and its durations."""

    __slots__ = ("_attempt_span", "_last", "_name", "_request", "_server", "_span", "_telemetry", "_token")

    def __init__(self, telemetry: OpenTelemetry, call: ObservedCall) -> None:
        self._telemetry = telemetry
        url = call.url
        operation = call.operation
        self._server: dict[str, str | int] = {
            "server.address": url.host,
            "server.port": url.port or (443 if url.scheme == "https" else 80),
        }
        self._span = telemetry._tracer.start_span(
            operation_name(operation),
            kind=SpanKind.INTERNAL,
            attributes={"ching.operation_id": operation.operation_id, **self._server},
        )
        # Current while the call runs: the hooks, log records and anything the caller's instrumentation records
        # meanwhile belong to it. Attached and detached in the same task or thread (around the call's attempts).
        self._token = _context.attach(trace.set_span_in_context(self._span))
        self._name = f"{call.method} {operation.path}"
        self._request: dict[str, str | int] = {
            "http.request.method": call.method,
            **self._server,
            "url.full": _url_full(str(url)),
            "url.template": operation.path,
            "ching.operation_id": operation.operation_id,
        }
        self._attempt_span: trace.Span | None = None
        self._last: AttemptEvent | None = None

    def attempt_started(self, attempt: int) -> dict[str, str] | None:
        attributes = self._request
        if attempt > 1:
            attributes = {**attributes, "http.request.resend_count": attempt - 1}
        span = self._telemetry._tracer.start_span(
            self._name, context=trace.set_span_in_context(self._span), kind=SpanKind.CLIENT, attributes=attributes
        )
        self._attempt_span = span
        if not self._telemetry._propagate:
            return None
        carrier: dict[str, str] = {}
        inject(carrier, context=trace.set_span_in_context(span))
        return carrier

    def attempt_ended(self, event: AttemptEvent) -> None:
        self._last = event
        error = _error_type(event)
        measured: dict[str, str | int] = {"http.request.method": event.method, **self._server}
        if event.status_code is not None:
            measured["http.response.status_code"] = event.status_code
        if error is not None:
            measured["error.type"] = error
        self._telemetry._duration.record(event.elapsed, measured)
        span, self._attempt_span = self._attempt_span, None
        if span is None:
            return
        if event.status_code is not None:
            span.set_attribute("http.response.status_code", event.status_code)
        if event.request_id is not None:
            span.set_attribute("ching.request_id", event.request_id)
        if error is not None:
            span.set_attribute("error.type", error)
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    def call_ended(self, error: BaseException | None) -> None:
        span = self._span
        if self._last is not None:
            span.set_attribute("ching.attempts", self._last.attempt)
            if self._last.request_id is not None:
                span.set_attribute("ching.request_id", self._last.request_id)
        if error is not None:
            span.set_attribute("error.type", type(error).__qualname__)
            # The SDK's messages never hold the key (and are bounded); other errors (a cancellation) give their class.
            span.set_status(Status(StatusCode.ERROR, str(error) if isinstance(error, ChingError) else None))
        span.end()
        _context.detach(self._token)


def _error_type(event: AttemptEvent) -> str | None:
    """``error.type`` of an attempt: its status code from 400 up, or the class of the error that ended it."""
    if event.status_code is not None:
        return str(event.status_code) if event.status_code >= 400 else None
    return event.error_type or "_OTHER"


def _url_full(url: str) -> str:
    """The request's URL with each query value replaced by ``REDACTED``: values may be personal data (an email)."""
    base, _, query = url.partition("?")
    if not query:
        return base
    return base + "?" + "&".join(part.partition("=")[0] + "=REDACTED" for part in query.split("&"))
