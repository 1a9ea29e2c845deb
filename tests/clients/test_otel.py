"""``ching_client.otel``: a span per call with a child per attempt, trace context on each attempt's request, and the
``http.client.request.duration`` histogram, read back with opentelemetry-sdk's in-memory exporter and reader.

The scripted tests run on ``AsyncChing`` (asyncio and trio) and ``Ching`` with an injected HTTP client; the
``own_pool`` tests run both clients on the SDK's own transport against the local Ching over loopback, which logs the
``traceparent`` it received. ``make test`` runs them on both engines. No test sets OpenTelemetry's global providers.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ching_client import AttemptEvent, WriteOutcomeUnknownError
from ching_client.otel import OpenTelemetry, _url_full
from ching_client.testing import FakeServer
from tests.engine import http

from ._support import CUSTOMER, Harness, ScriptedServer, error, fail, ok, own_pool, with_id
from .test_hooks import SECRET_KEY

pytestmark = pytest.mark.anyio

TRACEPARENT = re.compile(r"^00-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-[0-9a-f]{2}$")


class Exported:
    """One test's tracer and meter providers, with what they recorded."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def telemetry(self, **options: Any) -> OpenTelemetry:
        return OpenTelemetry(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **options)

    def finished(self) -> tuple[ReadableSpan, list[ReadableSpan]]:
        """The one call span and its attempt spans, in order."""
        spans = self.spans.get_finished_spans()
        (call,) = [s for s in spans if s.kind is SpanKind.INTERNAL]
        attempts = [s for s in spans if s.kind is SpanKind.CLIENT]
        assert len(spans) == 1 + len(attempts)
        return call, sorted(attempts, key=lambda s: s.start_time or 0)

    def durations(self) -> list[HistogramDataPoint]:
        data = self.reader.get_metrics_data()
        assert data is not None
        points: list[HistogramDataPoint] = []
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                assert scope.scope.name == "ching_client"
                for metric in scope.metrics:
                    assert (metric.name, metric.unit) == ("http.client.request.duration", "s")
                    for point in metric.data.data_points:
                        assert isinstance(point, HistogramDataPoint)
                        points.append(point)
        return points

    def close(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


@pytest.fixture
def exported() -> Iterator[Exported]:
    recorded = Exported()
    yield recorded
    recorded.close()


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def traceparents(headers: Sequence[str | None]) -> list[tuple[int, int]]:
    """(trace id, span id) of each ``traceparent`` header."""
    found = []
    for header in headers:
        assert header is not None
        match = TRACEPARENT.match(header)
        assert match is not None, header
        found.append((int(match["trace"], 16), int(match["span"], 16)))
    return found


async def test_a_retried_call_is_one_span_with_an_attempt_child_per_try(
    harness: Harness, server: ScriptedServer, exported: Exported
):
    server.script(with_id(error(503), "req_1"), with_id(ok([CUSTOMER]), "req_2"))
    ching = harness.client(telemetry=exported.telemetry())
    await harness.call(ching.customers.list)
    call, (first, second) = exported.finished()

    assert (call.name, call.kind, call.status.status_code) == ("customers.list", SpanKind.INTERNAL, StatusCode.UNSET)
    assert call.attributes is not None
    assert call.attributes["ching.operation_id"] == "customers_list"
    assert call.attributes["ching.request_id"] == "req_2"
    assert call.attributes["ching.attempts"] == 2
    assert "error.type" not in call.attributes

    for attempt in (first, second):
        assert (attempt.name, attempt.kind) == ("GET /v1/customers", SpanKind.CLIENT)
        assert parent_of(attempt) == call.context.span_id
        assert attempt.context.trace_id == call.context.trace_id
        assert attempt.attributes is not None
        assert attempt.attributes["http.request.method"] == "GET"
        assert attempt.attributes["server.address"] == "api.ching.co.il"
        assert attempt.attributes["server.port"] == 443
        assert attempt.attributes["url.full"] == "https://api.ching.co.il/ching/v1/customers"
        assert attempt.attributes["url.template"] == "/v1/customers"
        assert attempt.attributes["ching.operation_id"] == "customers_list"
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert first.attributes["ching.request_id"] == "req_1"
    assert first.status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["ching.request_id"] == "req_2"
    assert "error.type" not in second.attributes
    assert second.status.status_code is StatusCode.UNSET

    # Each attempt's request carried its own span's context.
    assert traceparents(server.header("traceparent")) == [
        (first.context.trace_id, first.context.span_id),
        (second.context.trace_id, second.context.span_id),
    ]

    points = exported.durations()
    by_status = {p.attributes["http.response.status_code"]: p for p in points if p.attributes is not None}
    assert set(by_status) == {200, 503}
    assert all(p.count == 1 for p in points)
    assert by_status[503].attributes == {
        "http.request.method": "GET",
        "server.address": "api.ching.co.il",
        "server.port": 443,
        "http.response.status_code": 503,
        "error.type": "503",
    }
    assert "error.type" not in (by_status[200].attributes or {})
    # The stable conventions' buckets, in seconds (the SDK's default ones are for milliseconds).
    assert by_status[200].explicit_bounds[:3] == (0.005, 0.01, 0.025)


async def test_a_create_whose_answer_is_lost_ends_its_span_in_error_as_outcome_unknown(
    harness: Harness, server: ScriptedServer, exported: Exported
):
    server.script(fail(http.RemoteProtocolError, "Server disconnected without sending a response."))
    ching = harness.client(telemetry=exported.telemetry(), max_retries=3)
    with pytest.raises(WriteOutcomeUnknownError) as caught:
        await harness.call(ching.customers.create, name="Dana")
    call, (attempt,) = exported.finished()
    assert call.name == "customers.create"
    assert call.attributes is not None
    assert call.attributes["error.type"] == "WriteOutcomeUnknownError"
    assert call.status.status_code is StatusCode.ERROR
    assert call.status.description == str(caught.value)
    assert attempt.attributes is not None
    assert attempt.attributes["error.type"] == "RemoteProtocolError"
    assert "http.response.status_code" not in attempt.attributes
    assert attempt.status.status_code is StatusCode.ERROR
    (point,) = exported.durations()
    assert point.attributes is not None
    assert point.attributes["error.type"] == "RemoteProtocolError"
    assert "http.response.status_code" not in point.attributes


async def test_the_call_span_is_current_while_the_call_runs_and_a_child_of_the_callers(
    harness: Harness, server: ScriptedServer, exported: Exported
):
    current: list[trace.Span] = []
    server.script(ok(CUSTOMER))
    ching = harness.client(
        telemetry=exported.telemetry(), on_attempt=lambda event: current.append(trace.get_current_span())
    )
    tracer = exported.tracer_provider.get_tracer("the application")
    with tracer.start_as_current_span("handle request") as outer:
        await harness.call(ching.customers.retrieve, "cus_1")
        assert trace.get_current_span() is outer  # put back once the call is done
    spans = {s.name: s for s in exported.spans.get_finished_spans()}  # the caller's span is INTERNAL too
    call = spans["customers.retrieve"]
    assert parent_of(call) == outer.get_span_context().span_id
    assert [span.get_span_context().span_id for span in current] == [call.context.span_id]
    assert trace.get_current_span() is trace.INVALID_SPAN


async def test_hooks_and_telemetry_see_the_same_attempts(harness: Harness, server: ScriptedServer, exported: Exported):
    events: list[AttemptEvent] = []
    server.script(error(502), error(503), ok([CUSTOMER]))
    ching = harness.client(telemetry=exported.telemetry(), on_attempt=events.append)
    await harness.call(ching.customers.list)
    _, attempts = exported.finished()
    assert [e.status_code for e in events] == [
        a.attributes["http.response.status_code"] for a in attempts if a.attributes is not None
    ]
    assert [a.attributes.get("http.request.resend_count") for a in attempts if a.attributes is not None] == [None, 1, 2]


async def test_propagate_false_sends_no_trace_context(harness: Harness, server: ScriptedServer, exported: Exported):
    server.script(ok([CUSTOMER]))
    await harness.call(harness.client(telemetry=exported.telemetry(propagate=False)).customers.list)
    assert server.header("traceparent") == [None]
    assert len(exported.spans.get_finished_spans()) == 2


async def test_nothing_recorded_holds_the_key_or_the_headers(
    harness: Harness, server: ScriptedServer, exported: Exported
):
    server.script(error(503), ok(CUSTOMER))
    ching = harness.client(api_key=SECRET_KEY, telemetry=exported.telemetry())
    await harness.call(ching.customers.update, "cus_1", name="Body Name", extra_headers={"X-Caller": "header-value-9"})
    spans = exported.spans.get_finished_spans()
    recorded = [span.to_json() for span in spans]
    data = exported.reader.get_metrics_data()
    assert data is not None
    recorded.append(data.to_json())
    for text in recorded:
        for secret in (SECRET_KEY[8:], "Zq7Wv", "Bearer", "header-value-9", "Body Name"):
            assert secret not in text, secret


async def test_an_observer_that_raises_never_changes_the_call(
    harness: Harness, server: ScriptedServer, exported: Exported, caplog: pytest.LogCaptureFixture
):
    class Broken(OpenTelemetry):
        __slots__ = ()

        def _observe_call(self, call: Any) -> Any:
            raise RuntimeError("a tracer's bug")

    server.script(ok([CUSTOMER]))
    customers = await harness.call(harness.client(telemetry=Broken()).customers.list)
    assert [c.id for c in customers] == [CUSTOMER["id"]]
    assert server.header("traceparent") == [None]
    (record,) = [r for r in caplog.records if r.name == "ching_client"]
    assert "raised as the call started" in record.getMessage()


def test_url_full_keeps_the_query_keys_and_redacts_their_values():
    assert _url_full("https://api.ching.co.il/ching/v1/customers") == "https://api.ching.co.il/ching/v1/customers"
    assert (
        _url_full("https://api.ching.co.il/ching/v1/customers?email=tal%40example.com&limit=5&flag")
        == "https://api.ching.co.il/ching/v1/customers?email=REDACTED&limit=REDACTED&flag=REDACTED"
    )


def test_importing_ching_client_and_building_clients_never_imports_opentelemetry():
    code = (
        "import sys\n"
        "import ching_client\n"
        "from ching_client import AsyncChing, AttemptEvent, Ching\n"
        "Ching(api_key='ck_test_' + '0' * 64, on_attempt=print).close()\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# --- the SDK's own transport, against the local Ching over loopback ----------------------------------------------


async def test_own_pool_the_local_ching_receives_each_attempts_trace_context(
    harness: Harness, local: FakeServer, exported: Exported
):
    local.fake.faults.add("status", operation="customers_list", status=503, times=1)
    async with own_pool(harness.kind, local.base_url, telemetry=exported.telemetry()) as ching:
        await harness.call(ching.customers.list)
    call, attempts = exported.finished()
    logged = local.fake.requests.for_operation("customers_list")
    assert traceparents([entry.headers.get("traceparent") for entry in logged]) == [
        (a.context.trace_id, a.context.span_id) for a in attempts
    ]
    assert [a.attributes.get("ching.request_id") for a in attempts if a.attributes is not None] == [
        entry.request_id for entry in logged
    ]
    assert call.attributes is not None
    assert call.attributes["server.address"] == "127.0.0.1"
    assert call.attributes["server.port"] == local.port


async def test_own_pool_a_lost_create_is_outcome_unknown(harness: Harness, local: FakeServer, exported: Exported):
    local.fake.faults.add("drop_after", operation="customers_create", times=1)
    async with own_pool(harness.kind, local.base_url, telemetry=exported.telemetry()) as ching:
        with pytest.raises(WriteOutcomeUnknownError):
            await harness.call(ching.customers.create, name="Dana")
    call, (attempt,) = exported.finished()
    assert call.attributes is not None
    assert call.attributes["error.type"] == "WriteOutcomeUnknownError"
    assert call.status.status_code is StatusCode.ERROR
    assert attempt.attributes is not None
    assert attempt.attributes["error.type"] == "RemoteProtocolError"
    (entry,) = local.fake.requests.for_operation("customers_create")
    assert traceparents([entry.headers.get("traceparent")]) == [(attempt.context.trace_id, attempt.context.span_id)]
