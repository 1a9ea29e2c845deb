"""Errors carry the response: its headers and Ching's request id (``X-Request-Id``), which messages end with and
log lines show; errors without a usable answer name the operation and the attempts made.

Each test runs on ``AsyncChing`` (asyncio and trio) and ``Ching``; ``make test`` runs them on both engines.
"""

from __future__ import annotations

import json
import logging
import pickle
import re
from typing import Any

import pytest

from ching_client import (
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    WriteAppliedError,
    WriteOutcomeUnknownError,
)
from ching_client.testing import FakeChing
from tests.engine import http

from ._support import CUSTOMER, Harness, Outcome, ScriptedServer, error, fail, ok, raw, with_id

pytestmark = pytest.mark.anyio

SUPPORT = "Request id for Ching support: "


async def test_a_status_error_carries_the_response_headers_and_ends_with_the_request_id(
    harness: Harness, server: ScriptedServer
):
    server.script(with_id(error(409, "EMAIL_EXISTS", "Email already used"), "req_7Hq2", **{"X-Ching-Trace": "t1"}))
    with pytest.raises(ConflictError) as caught:
        await harness.call(harness.client().customers.create, name="Dana", email="dana@example.com")
    exc = caught.value
    assert exc.request_id == "req_7Hq2"
    assert str(exc).endswith(f"{SUPPORT}req_7Hq2")
    # Looked up as in httpx, whatever the case; read-only; the response's headers, never the request's.
    assert (exc.headers["x-request-id"], exc.headers["X-CHING-TRACE"], exc.headers.get("Content-Type")) == (
        "req_7Hq2",
        "t1",
        "application/json",
    )
    assert "authorization" not in exc.headers
    assert "user-agent" not in exc.headers
    with pytest.raises(TypeError):
        exc.headers["x-request-id"] = "changed"  # type: ignore[index]
    copy = pickle.loads(pickle.dumps(exc))
    assert (copy.request_id, dict(copy.headers), str(copy)) == (exc.request_id, dict(exc.headers), str(exc))


async def test_after_retries_the_error_names_the_last_answers_request_id(harness: Harness, server: ScriptedServer):
    server.script(with_id(error(503), "req_1"), with_id(error(503), "req_2"), with_id(error(503), "req_3"))
    with pytest.raises(InternalServerError) as caught:
        await harness.call(harness.client(max_retries=2).customers.list)
    assert server.count == 3
    assert caught.value.request_id == "req_3"
    assert str(caught.value).endswith(f"Gave up after 3 attempts. {SUPPORT}req_3")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("r" * 5000, "r" * 100 + "… (5,000 characters in all)", id="5000-characters"),
    ],
)
async def test_a_missing_or_hostile_request_id(
    harness: Harness, server: ScriptedServer, value: str | None, expected: str | None
):
    reply = error(404, "NOT_FOUND", "No such customer")
    server.script(reply if value is None else with_id(reply, value))
    with pytest.raises(NotFoundError) as caught:
        await harness.call(harness.client().customers.retrieve, "cus_1")
    exc = caught.value
    assert exc.request_id == expected
    if expected is None:
        assert SUPPORT not in str(exc)
        assert str(exc).endswith("(test or live).")
    else:
        assert str(exc).endswith(SUPPORT + expected)  # a message of a few hundred characters, not of 5,000


async def test_an_answer_that_is_not_the_envelope_names_operation_attempts_and_request_id(
    harness: Harness, server: ScriptedServer
):
    server.script(error(503), with_id(raw(200, "<html>captive portal</html>"), "req_9"))
    with pytest.raises(APIResponseError) as caught:
        await harness.call(harness.client(max_retries=2).customers.retrieve, "cus_1")
    exc = caught.value
    assert type(exc) is APIResponseError
    assert (exc.operation, exc.attempts, exc.request_id, exc.headers["content-type"]) == (
        "customers.retrieve",
        2,
        "req_9",
        "text/html",
    )
    assert str(exc).startswith("customers.retrieve (GET /v1/customers/cus_1, 2 attempts) returned 200 with")
    assert str(exc).endswith(f"{SUPPORT}req_9")


async def test_a_write_applied_with_an_unreadable_answer_names_operation_attempts_and_request_id(
    harness: Harness, server: ScriptedServer
):
    applied = raw(200, json.dumps({"success": True, "data": {"id": "cus_new"}}), "application/json")
    server.script(fail(http.ConnectError), with_id(applied, "req_w"))
    with pytest.raises(WriteAppliedError) as caught:
        await harness.call(harness.client().customers.create, name="Tal")
    exc = caught.value
    assert (exc.operation, exc.attempts, exc.request_id, exc.object_id) == ("customers.create", 2, "req_w", "cus_new")
    assert str(exc).startswith("customers.create (POST /v1/customers, 2 attempts) returned 200 with success: true")
    assert str(exc).endswith(f"{SUPPORT}req_w")


async def test_a_body_over_the_cap_names_operation_attempts_and_request_id(harness: Harness, server: ScriptedServer):
    def reply(request: http.Request) -> Outcome:
        # A stream, as from a socket, declaring a length over the cap: the client refuses it before reading it.
        headers = {"Content-Length": "4096", "X-Request-Id": "req_b"}
        return http.Response(200, stream=http.ByteStream(b"x" * 4096), headers=headers)

    server.script(error(500), reply)
    with pytest.raises(APIResponseError) as caught:
        await harness.call(harness.client(max_response_bytes=1024).customers.list)
    exc = caught.value
    assert (exc.operation, exc.attempts, exc.request_id) == ("customers.list", 2, "req_b")
    assert str(exc).startswith(
        "customers.list (GET /v1/customers, 2 attempts) returned 200 with a body larger than the client's "
        "max_response_bytes"
    )
    assert str(exc).endswith(f"{SUPPORT}req_b")


async def test_a_lost_create_names_the_operation_and_the_attempts_made(harness: Harness, server: ScriptedServer):
    server.script(fail(http.ConnectError), fail(http.RemoteProtocolError))
    with pytest.raises(WriteOutcomeUnknownError) as caught:
        await harness.call(harness.client().customers.create, name="Tal")
    exc = caught.value
    assert (exc.operation, exc.attempts) == ("customers.create", 2)
    assert str(exc).startswith("customers.create (POST /v1/customers, 2 attempts): the connection dropped")
    assert server.count == 2  # the first never left; the second may have been applied, so it is the last


async def test_a_timed_out_read_names_the_operation_and_the_attempts_made(harness: Harness, server: ScriptedServer):
    server.script(fail(http.ReadTimeout))
    with pytest.raises(APITimeoutError) as caught:
        await harness.call(harness.client(max_retries=2).customers.list)
    assert (caught.value.operation, caught.value.attempts) == ("customers.list", 3)


LINE = re.compile(r"-> (?P<outcome>.+?) \(attempt (?P<attempt>\d), [\d.]+ ms(?:, request id (?P<id>\S+?))?[;)]")


async def test_log_lines_carry_the_request_id_of_each_answer(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="ching_client")
    server.script(with_id(error(503), "req_a"), fail(http.ConnectError), error(502), with_id(ok(CUSTOMER), "req_d"))
    await harness.call(harness.client(max_retries=3).customers.retrieve, "cus_1")
    lines = [m for r in caplog.records if r.name == "ching_client" and (m := LINE.search(r.getMessage()))]
    assert [(m["outcome"], m["attempt"], m["id"]) for m in lines] == [
        ("503", "1", "req_a"),
        ("not sent", "2", None),  # no answer, so no request id (and not the previous answer's)
        ("502", "3", None),
        ("200", "4", "req_d"),
    ]


def _local_clients(kind: str, fake: FakeChing) -> Any:
    return fake.async_ching(max_retries=0) if kind == "async" else fake.ching(max_retries=0)


async def test_the_request_id_of_an_error_finds_the_request_in_the_local_chings_log(harness: Harness):
    fake = FakeChing()
    ching = _local_clients(harness.kind, fake)
    async with harness.opened(ching):
        with pytest.raises(APIStatusError) as caught:
            await harness.call(ching.customers.retrieve, "cus_missing")
        fake.faults.add("malformed_json", operation="customers_list", times=1)
        with pytest.raises(APIResponseError) as unreadable:
            await harness.call(ching.customers.list)
    first, second = fake.requests.entries()
    assert (caught.value.request_id, unreadable.value.request_id) == (first.request_id, second.request_id)
    assert first.request_id != second.request_id
    assert str(caught.value).endswith(f"{SUPPORT}{first.request_id}")
