"""``on_attempt`` hooks: one ``AttemptEvent`` per attempt, retries included, with what the client decided next.

The scripted tests run on ``AsyncChing`` (asyncio and trio) and ``Ching`` with an injected HTTP client; the
``own_pool`` tests run both clients on the SDK's own transport against the local Ching over loopback. ``make test``
runs them on both engines.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import anyio
import attrs
import pytest

from ching_client import (
    AsyncChing,
    AttemptEvent,
    Ching,
    ConfigurationError,
    InternalServerError,
    WriteOutcomeUnknownError,
)
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer
from tests.engine import http

from ._support import CUSTOMER, Harness, Outcome, ScriptedServer, error, fail, ok, own_pool, with_id

pytestmark = pytest.mark.anyio

# A key no other value in these tests resembles, so that finding any part of it means it leaked.
SECRET_KEY = "ck_test_" + "Zq7Wv" * 12


async def test_a_success_gives_one_event_that_names_the_call_and_its_answer(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(with_id(ok(CUSTOMER), "req_1"))
    ching = harness.client(on_attempt=events.append)
    customer = await harness.call(ching.customers.retrieve, "cus_V8ltq1pK_MWH")
    assert customer.id == CUSTOMER["id"]
    (event,) = events
    assert attrs.asdict(event) | {"elapsed": None} == {
        "operation_id": "customers_retrieve",
        "operation": "customers.retrieve",
        "method": "GET",
        "path": "/v1/customers/cus_V8ltq1pK_MWH",
        "attempt": 1,
        "status_code": 200,
        "error_type": None,
        "elapsed": None,
        "request_id": "req_1",
        "decision": "succeeded",
        "retry_after": None,
        "reason": "",
    }
    assert 0 <= event.elapsed < 60
    assert event.outcome == "200"


async def test_a_503_then_a_success_gives_two_events_the_first_retrying(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(with_id(error(503), "req_1"), with_id(ok([CUSTOMER]), "req_2"))
    await harness.call(harness.client(on_attempt=events.append).customers.list)
    first, second = events
    assert (first.attempt, first.status_code, first.decision, first.reason, first.request_id) == (
        1,
        503,
        "retrying",
        "status 503",
        "req_1",
    )
    assert first.retry_after is not None
    assert 0 < first.retry_after <= 8
    assert (second.attempt, second.status_code, second.decision, second.retry_after, second.request_id) == (
        2,
        200,
        "succeeded",
        None,
        "req_2",
    )


async def test_a_create_whose_connection_drops_after_sending_is_outcome_unknown_and_never_retried(
    harness: Harness, server: ScriptedServer
):
    events: list[AttemptEvent] = []
    server.script(fail(http.RemoteProtocolError, "Server disconnected without sending a response."))
    ching = harness.client(on_attempt=events.append, max_retries=3)
    with pytest.raises(WriteOutcomeUnknownError):
        await harness.call(ching.customers.create, name="Dana", email="dana@example.com")
    assert server.count == 1
    (event,) = events
    assert (event.operation, event.method, event.path) == ("customers.create", "POST", "/v1/customers")
    assert event.attempt == 1
    assert (event.status_code, event.error_type, event.outcome) == (None, "RemoteProtocolError", "RemoteProtocolError")
    assert (event.decision, event.retry_after, event.request_id) == ("outcome_unknown", None, None)


async def test_a_read_that_runs_out_of_retries_ends_with_giving_up(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(error(503))
    with pytest.raises(InternalServerError):
        await harness.call(harness.client(on_attempt=events.append, max_retries=2).customers.list)
    assert [(e.attempt, e.decision) for e in events] == [(1, "retrying"), (2, "retrying"), (3, "giving_up")]
    assert events[-1].reason == "status 503; gave up after 3 attempts"


async def test_a_connection_never_made_is_retried_even_for_a_create(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(fail(http.ConnectError), ok(CUSTOMER, status=201))
    await harness.call(harness.client(on_attempt=events.append).customers.create, name="Dana")
    assert [(e.error_type, e.status_code, e.decision) for e in events] == [
        ("ConnectError", None, "retrying"),
        (None, 201, "succeeded"),
    ]


async def test_a_hook_that_raises_is_logged_and_the_call_and_the_other_hooks_go_on(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    seen: list[int] = []

    def broken(event: AttemptEvent) -> None:
        raise ValueError("the hook's own bug")

    server.script(error(503), ok([CUSTOMER]))
    ching = harness.client(on_attempt=[broken, lambda event: seen.append(event.attempt)])
    with caplog.at_level(logging.ERROR, logger="ching_client"):
        customers = await harness.call(ching.customers.list)
    assert [c.id for c in customers] == [CUSTOMER["id"]]
    assert server.count == 2  # the retry happened as without hooks
    assert seen == [1, 2]
    records = [r for r in caplog.records if r.name == "ching_client" and r.levelno == logging.ERROR]
    assert len(records) == 2  # once per attempt
    assert "on_attempt hook" in records[0].getMessage()
    assert "broken" in records[0].getMessage()
    assert "GET /v1/customers" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is ValueError


async def test_no_event_holds_the_key_a_header_or_the_body(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(error(503), fail(http.ReadTimeout), ok(CUSTOMER))
    ching = harness.client(api_key=SECRET_KEY, on_attempt=events.append)
    await harness.call(
        ching.customers.update,
        "cus_1",
        name="Body Name",
        phone="+972501234567",
        extra_headers={"X-Caller-Secret": "header-value-9"},
    )
    assert len(events) == 3
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET_KEY}"  # it was sent, all the same
    for event in events:
        shown = repr(event) + str(attrs.asdict(event)) + event.outcome
        for secret in (SECRET_KEY, SECRET_KEY[8:], "Zq7Wv", "header-value-9", "X-Caller-Secret", "Body Name", "+97250"):
            assert secret not in shown, (secret, shown)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        events[0].path = "/changed"  # type: ignore[misc]
    assert not hasattr(events[0], "__dict__")  # slotted


async def test_with_options_clients_and_upsert_many_workers_keep_the_hooks(harness: Harness, server: ScriptedServer):
    events: list[AttemptEvent] = []
    server.script(ok(CUSTOMER, action="created"))
    ching = harness.client(on_attempt=events.append)
    await harness.call(ching.with_options(timeout=5).customers.retrieve, "cus_1")
    rows = [{"name": "A", "email": "a@example.com"}, {"name": "B", "email": "b@example.com"}]
    report = await harness.call(ching.customers.upsert_many, rows, identify_by="email", concurrency=2)
    assert report.created == 2
    assert [e.operation for e in events] == ["customers.retrieve", "customers.upsert", "customers.upsert"]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_an_attempt_cut_short_by_cancellation_still_gets_its_event():
    """Async only: a cancelled call's attempt ends in an event too, so that every attempt started is reported."""
    events: list[AttemptEvent] = []
    started = anyio.Event()

    async def hang(request: http.Request) -> http.Response:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    ching = AsyncChing(
        api_key=DEFAULT_TEST_KEY,
        http_client=http.AsyncClient(transport=http.MockTransport(hang)),
        on_attempt=events.append,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(ching.customers.list)
        await started.wait()
        group.cancel_scope.cancel()
    (event,) = events
    assert event.decision == "giving_up"
    assert event.error_type in {"CancelledError", "Cancelled"}  # asyncio's, trio's
    assert event.status_code is None


def test_a_client_without_hooks_watches_nothing():
    """The default costs nothing: no hook, no observation built (see docs/performance.md for the per-call CPU)."""
    empty = http.Response(200, json={"success": True, "data": []})
    ching = AsyncChing(
        api_key=DEFAULT_TEST_KEY, http_client=http.AsyncClient(transport=http.MockTransport(lambda _: empty))
    )
    assert ching._observers == ()
    assert ching.with_options(timeout=3)._observers == ()


@pytest.mark.parametrize(
    ("on_attempt", "message"),
    [
        ("not a function", "on_attempt takes a function"),
        ([print, 42], "int is not callable"),
    ],
)
def test_hooks_that_are_not_functions_are_refused_when_the_client_is_built(on_attempt: Any, message: str):
    for client in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=message):
            client(api_key=DEFAULT_TEST_KEY, on_attempt=on_attempt)


def test_an_async_hook_is_refused_as_hooks_are_called_synchronously():
    async def hook(event: AttemptEvent) -> None: ...

    for client in (AsyncChing, Ching):
        with pytest.raises(ConfigurationError, match=r"hook is an async function; hooks are called synchronously"):
            client(api_key=DEFAULT_TEST_KEY, on_attempt=hook)


def test_telemetry_takes_only_a_telemetry_object():
    with pytest.raises(ConfigurationError, match=r"telemetry takes ching_client\.otel\.OpenTelemetry"):
        Ching(api_key=DEFAULT_TEST_KEY, telemetry=object())  # type: ignore[arg-type]


async def test_a_hook_reporting_the_error_being_handled_never_reaches_the_key(harness: Harness, server: ScriptedServer):
    """Hooks run while a failed attempt's error is handled. A hook that reports ``sys.exc_info()`` with its frames'
    locals (as error reporters do) must not find the key there: the transport's frames held the request as sent
    (httpcore's and h11's hold the serialized head), as this one's does."""
    reports: list[str] = []

    def report(event: AttemptEvent) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            reports.append("".join(traceback.TracebackException.from_exception(error, capture_locals=True).format()))

    def drop_holding_the_head(request: http.Request) -> Outcome:
        head = f"{request.method} {request.url.path}\r\nAuthorization: {request.headers['authorization']}\r\n"
        raise http.ReadError(f"connection reset after {len(head)} bytes", request=request)

    server.script(drop_holding_the_head, ok([CUSTOMER]))
    await harness.call(harness.client(api_key=SECRET_KEY, on_attempt=report).customers.list)
    (shown,) = reports
    assert "drop_holding_the_head" in shown  # the transport's frame is in the traceback, its locals cleared
    assert SECRET_KEY[8:] not in shown


# --- the SDK's own transport, against the local Ching over loopback ----------------------------------------------


async def test_own_pool_a_503_then_a_success(harness: Harness, local: FakeServer):
    events: list[AttemptEvent] = []
    local.fake.faults.add("status", operation="customers_list", status=503, times=1)
    async with own_pool(harness.kind, local.base_url, on_attempt=events.append) as ching:
        await harness.call(ching.customers.list)
    logged = local.fake.requests.for_operation("customers_list")
    assert [(e.status_code, e.decision) for e in events] == [(503, "retrying"), (200, "succeeded")]
    assert [e.request_id for e in events] == [entry.request_id for entry in logged]


async def test_own_pool_a_create_whose_answer_is_lost_is_outcome_unknown(harness: Harness, local: FakeServer):
    events: list[AttemptEvent] = []
    local.fake.faults.add("drop_after", operation="customers_create", times=1)
    async with own_pool(harness.kind, local.base_url, on_attempt=events.append, max_retries=3) as ching:
        with pytest.raises(WriteOutcomeUnknownError):
            await harness.call(ching.customers.create, name="Dana")
    assert len(local.fake.requests.for_operation("customers_create")) == 1
    (event,) = events
    assert (event.decision, event.status_code, event.request_id) == ("outcome_unknown", None, None)
    assert event.error_type == "RemoteProtocolError"
