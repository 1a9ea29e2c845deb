"""The retry policy as the clients apply it: which failures are retried, for which operation, how often.

The rules (``ching_client/_retry_policy.py``): every operation retries failures where the request
certainly never left (connect error, connect timeout) and 429; only operations that are safe to
repeat retry 408/5xx, read timeouts and dropped connections; other 4xx are never retried.
A create whose response was lost raises ``WriteOutcomeUnknownError`` after one attempt.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pytest

from ching_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ChingError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    WriteOutcomeUnknownError,
)
from tests.engine import http

from ._support import OPS, OPS_BY_NAME, UNSAFE_OPS, Harness, Op, Reply, ScriptedServer, error, fail, op_id

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class FailureCase:
    """One way an attempt can fail, and what the policy does with it."""

    name: str
    reply: Reply
    #: "any": retried for every operation; "safe": only for safe-to-repeat ones; "never".
    retried_for: str
    #: The error raised once retries are exhausted, for a safe / an unsafe operation.
    safe_error: type[ChingError]
    unsafe_error: type[ChingError]


FAILURES = [
    FailureCase(
        "connect-error",
        fail(http.ConnectError, "[Errno 111] Connection refused"),
        "any",
        APIConnectionError,
        APIConnectionError,
    ),
    FailureCase(
        "connect-timeout", fail(http.ConnectTimeout, "timed out"), "any", APIConnectionError, APIConnectionError
    ),
    FailureCase("read-timeout", fail(http.ReadTimeout, "timed out"), "safe", APITimeoutError, WriteOutcomeUnknownError),
    FailureCase(
        "server-disconnected",
        fail(http.RemoteProtocolError, "Server disconnected without sending a response."),
        "safe",
        APIConnectionError,
        WriteOutcomeUnknownError,
    ),
    FailureCase(
        "read-error",
        fail(http.ReadError, "[Errno 104] Connection reset by peer"),
        "safe",
        APIConnectionError,
        WriteOutcomeUnknownError,
    ),
    FailureCase("408", error(408, "TIMEOUT", "Request timeout"), "safe", APIStatusError, APIStatusError),
    FailureCase("429", error(429, "RATE_LIMITED", "Too many requests"), "any", RateLimitError, RateLimitError),
    FailureCase("500", error(500, "INTERNAL", "Unexpected"), "safe", InternalServerError, InternalServerError),
    FailureCase("502", error(502, "BAD_GATEWAY", "Bad gateway"), "safe", InternalServerError, InternalServerError),
    FailureCase("503", error(503, "UNAVAILABLE", "Unavailable"), "safe", InternalServerError, InternalServerError),
    FailureCase(
        "504", error(504, "GATEWAY_TIMEOUT", "Gateway timeout"), "safe", InternalServerError, InternalServerError
    ),
    FailureCase("400", error(400, "INVALID_FIELD", "Invalid"), "never", BadRequestError, BadRequestError),
    FailureCase("404", error(404, "NOT_FOUND", "Not found"), "never", NotFoundError, NotFoundError),
    FailureCase("409", error(409, "EMAIL_EXISTS", "Exists"), "never", ConflictError, ConflictError),
]
FAILURES_BY_NAME = {f.name: f for f in FAILURES}


def expected_attempts(op: Op, failure: FailureCase, max_retries: int) -> int:
    retried = failure.retried_for == "any" or (failure.retried_for == "safe" and op.name not in UNSAFE_OPS)
    return 1 + max_retries if retried else 1


def test_the_table_agrees_with_the_spec():
    """The unsafe operations named here are exactly those the spec marks x-ching-safe-to-repeat: false."""
    from ching_client._generated.api.customers import customers_create
    from ching_client._generated.api.products import products_create, products_upload_image

    unsafe = {
        m.OPERATION.operation_id.replace("_", ".", 1)
        for m in (customers_create, products_create, products_upload_image)
    }
    assert unsafe == UNSAFE_OPS
    assert all(not m.OPERATION.safe_to_repeat for m in (customers_create, products_create, products_upload_image))
    assert [op.safe for op in OPS] == [op.name not in UNSAFE_OPS for op in OPS]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: f.name)
@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_retry_matrix(harness: Harness, server: ScriptedServer, op: Op, failure: FailureCase):
    server.script(failure.reply)
    with pytest.raises(ChingError) as caught:
        await harness.run(op, harness.client(max_retries=2))
    expected = failure.safe_error if op.safe else failure.unsafe_error
    assert type(caught.value) is expected
    assert server.count == expected_attempts(op, failure, 2)
    first = server.requests[0]
    for retry in server.requests[1:]:  # every retry re-sends the same request
        assert (retry.method, retry.url, retry.content) == (first.method, first.url, first.content)


@pytest.mark.parametrize("failure_name", ["read-timeout", "server-disconnected", "read-error"])
@pytest.mark.parametrize("op_name", sorted(UNSAFE_OPS))
async def test_a_lost_create_is_never_resent_and_says_what_to_do(
    harness: Harness, server: ScriptedServer, op_name: str, failure_name: str
):
    op, failure = OPS_BY_NAME[op_name], FAILURES_BY_NAME[failure_name]
    server.script(failure.reply)
    with pytest.raises(WriteOutcomeUnknownError) as caught:
        await harness.run(op, harness.client(max_retries=5))
    exc = caught.value
    assert server.count == 1
    assert exc.may_have_reached_server is True
    assert exc.timed_out is (failure_name == "read-timeout")
    assert (exc.method, exc.path) == (op.http_method, op.path)
    assert "upsert" in str(exc)
    assert "not retried" in str(exc)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
@pytest.mark.parametrize("op_name", sorted(UNSAFE_OPS))
async def test_a_create_failing_with_a_retryable_status_says_it_was_not_retried(
    harness: Harness, server: ScriptedServer, op_name: str, status: int
):
    """README: for create and upload_image, 408/500/502/503/504 are "raised at once, with a note"."""
    server.script(error(status))
    with pytest.raises(APIStatusError) as caught:
        await harness.run(OPS_BY_NAME[op_name], harness.client())
    assert server.count == 1
    assert "not retried" in str(caught.value).lower()


@pytest.mark.parametrize("failure_name", ["connect-error", "connect-timeout"])
@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_a_request_that_never_left_says_so(harness: Harness, server: ScriptedServer, op: Op, failure_name: str):
    server.script(FAILURES_BY_NAME[failure_name].reply)
    with pytest.raises(APIConnectionError) as caught:
        await harness.run(op, harness.client(max_retries=1))
    exc = caught.value
    assert not isinstance(exc, WriteOutcomeUnknownError)
    assert exc.may_have_reached_server is False
    assert "after 2 attempts" in str(exc)
    assert harness.client().base_url in str(exc)


def _transient(op: Op) -> list[str]:
    always = ["connect-error", "connect-timeout", "429"]
    return always if op.name in UNSAFE_OPS else [*always, "read-timeout", "server-disconnected", "408", "500", "503"]


@pytest.mark.parametrize(
    ("op", "failure_name"),
    [pytest.param(op, name, id=f"{op.name}-{name}") for op in OPS for name in _transient(op)],
)
async def test_eventual_success_after_a_transient_failure_returns_the_result(
    harness: Harness, server: ScriptedServer, op: Op, failure_name: str
):
    failure = FAILURES_BY_NAME[failure_name]
    server.script(failure.reply, failure.reply, op.reply)
    result = await harness.run(op, harness.client())
    assert op.check(result)
    assert server.count == 3


@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_max_retries_zero_per_call(harness: Harness, server: ScriptedServer, op: Op):
    server.script(error(429), op.reply)
    with pytest.raises(RateLimitError):
        await harness.run(op, harness.client(max_retries=3), max_retries=0)
    assert server.count == 1


@pytest.mark.parametrize(
    ("client_retries", "call_retries", "attempts"),
    [(0, None, 1), (1, None, 2), (5, None, 6), (0, 3, 4), (4, 1, 2), (None, None, 3)],
)
async def test_max_retries_on_the_client_and_per_call(
    harness: Harness, server: ScriptedServer, client_retries: int | None, call_retries: int | None, attempts: int
):
    server.script(error(503))
    ching = harness.client(max_retries=client_retries)
    with pytest.raises(InternalServerError):
        await harness.call(ching.customers.list, max_retries=call_retries)
    assert server.count == attempts


# --- Retry-After ---------------------------------------------------------------------------------


def _delays(caplog: pytest.LogCaptureFixture) -> list[float]:
    found = [re.search(r"retrying in (\d+\.\d\d)s", r.getMessage()) for r in caplog.records if r.name == "ching_client"]
    return [float(m.group(1)) for m in found if m]


@pytest.mark.parametrize("op_name", ["customers.create", "customers.list", "products.upload_image"])
async def test_retry_after_seconds_is_honoured(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture, op_name: str
):
    caplog.set_level(logging.INFO, logger="ching_client")
    op = OPS_BY_NAME[op_name]
    server.script(error(429, headers={"Retry-After": "3"}), error(429, headers={"Retry-After": "0.5"}), op.reply)
    assert op.check(await harness.run(op, harness.client()))
    assert _delays(caplog) == [3.0, 0.5]


async def test_retry_after_http_date_is_honoured(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    from email.utils import formatdate
    from time import time

    caplog.set_level(logging.INFO, logger="ching_client")
    when = formatdate(time() + 30, usegmt=True)
    server.script(error(503, headers={"Retry-After": when}), OPS[1].reply)
    await harness.call(harness.client().customers.list)
    [delay] = _delays(caplog)
    assert 28.0 < delay <= 30.0


async def test_retry_after_on_a_5xx_is_honoured_for_safe_operations(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="ching_client")
    server.script(error(503, headers={"Retry-After": "12"}), OPS[2].reply)
    await harness.call(harness.client().customers.retrieve, "cus_1")
    assert _delays(caplog) == [12.0]


@pytest.mark.parametrize("retry_after", ["61", "3600", "86400"])
async def test_retry_after_beyond_the_cap_raises_at_once(harness: Harness, server: ScriptedServer, retry_after: str):
    server.script(error(429, "RATE_LIMITED", "Slow down", headers={"Retry-After": retry_after}))
    with pytest.raises(RateLimitError) as caught:
        await harness.call(harness.client(max_retries=5).customers.list)
    assert server.count == 1
    assert caught.value.retry_after == float(retry_after)
    assert f"{float(retry_after):.0f}s" in str(caught.value)


async def test_retry_after_past_the_deadline_raises_at_once(harness: Harness, server: ScriptedServer):
    server.script(error(429, headers={"Retry-After": "20"}))
    with pytest.raises(RateLimitError) as caught:
        await harness.call(harness.client(timeout=10).customers.list)
    assert server.count == 1
    assert caught.value.retry_after == 20.0
    assert "asked to wait 20s" in str(caught.value)


async def test_unreadable_retry_after_falls_back_to_backoff(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="ching_client")
    server.script(error(429, headers={"Retry-After": "soon"}), OPS[1].reply)
    await harness.call(harness.client().customers.list)
    [delay] = _delays(caplog)
    assert 0.375 <= delay <= 0.5
