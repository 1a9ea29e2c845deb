"""``request()`` and ``with_raw_response.request()``, for endpoints the spec lacks, with every guarantee of the
generated methods: the key and base URL (never another host), the deadline, the retry policy (only a GET is retried
unless the caller says the call is safe to repeat), the typed errors, the envelope unwrapped, the log lines.

Each test runs on ``AsyncChing`` (asyncio and trio) and ``Ching``, against the local Ching or a scripted server;
``make test`` runs them on both engines.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ching_client import (
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    RawResponse,
    WriteOutcomeUnknownError,
)
from ching_client.testing import FakeChing

from ._support import Harness, ScriptedServer, ok

pytestmark = pytest.mark.anyio


async def test_request_returns_the_data_of_the_envelope(harness: Harness, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="ching_client")
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        created = await harness.call(ching.request, "POST", "/v1/customers", body={"name": "Tal", "nickname": "T"})
        found = await harness.call(ching.request, "get", f"/v1/customers/{created['id']}", headers={"X-Tag": "t1"})
        listed = await harness.call(ching.request, "GET", "/v1/customers", query={"limit": 1})
    assert created["name"] == "Tal"
    assert found == created
    assert listed == [created]
    sent = fake.requests.entries()
    assert [(entry.method, entry.query, entry.body) for entry in sent] == [
        ("POST", "", {"name": "Tal", "nickname": "T"}),
        ("GET", "", None),
        ("GET", "limit=1", None),
    ]
    assert sent[1].headers["x-tag"] == "t1"
    assert sent[1].headers["authorization"].startswith("Bearer ck_test_")  # the client's key (redacted in the log)
    lines = [r.getMessage() for r in caplog.records if r.name == "ching_client"]
    assert any(line.startswith(f"GET /v1/customers/{created['id']} -> 200 (attempt 1,") for line in lines), lines


async def test_with_raw_response_request_gives_the_raw_response(harness: Harness):
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        response = await harness.call(ching.with_raw_response.request, "POST", "/v1/customers", body={"name": "Tal"})
        assert ching.with_raw_response is ching.with_raw_response
    assert isinstance(response, RawResponse)
    assert (response.operation, response.http_method, response.status_code, response.attempts) == (
        "request",
        "POST",
        200,
        1,
    )
    assert response.url == "https://ching.test/ching/v1/customers"
    assert response.request_id == fake.requests.entries()[-1].request_id
    assert response.parse()["name"] == "Tal"


async def test_request_retries_a_get_after_a_503(harness: Harness):
    fake = FakeChing()
    fake.faults.add("status", status=503, operation="GET /v1/customers", times=1)
    async with harness.opened(harness.local(fake, max_retries=2)) as ching:
        assert await harness.call(ching.request, "GET", "/v1/customers") == []
        fake.faults.add("status", status=503, operation="GET /v1/customers", times=1)
        with pytest.raises(InternalServerError):  # the caller says a GET there is not safe to repeat
            await harness.call(ching.request, "GET", "/v1/customers", safe_to_retry=False)
    assert [entry.status for entry in fake.requests.entries()] == [503, 200, 503]


async def test_a_client_with_other_options_sends_its_raw_requests_with_them(harness: Harness):
    fake = FakeChing()
    fake.faults.add("status", status=503, operation="GET /v1/customers")
    async with harness.opened(harness.local(fake, max_retries=2)) as ching:
        with pytest.raises(InternalServerError):
            await harness.call(ching.with_raw_response.request, "GET", "/v1/customers")
        assert len(fake.requests.entries()) == 3
        with pytest.raises(InternalServerError):
            await harness.call(ching.with_options(max_retries=0).with_raw_response.request, "GET", "/v1/customers")
    assert len(fake.requests.entries()) == 4


async def test_request_never_sends_a_post_again_once_it_may_have_been_applied(harness: Harness):
    fake = FakeChing()
    fake.faults.add("drop_after", operation="POST /v1/customers", times=1)
    async with harness.opened(harness.local(fake, max_retries=3)) as ching:
        with pytest.raises(WriteOutcomeUnknownError) as caught:
            await harness.call(ching.request, "POST", "/v1/customers", body={"name": "Tal"})
    assert (caught.value.operation, caught.value.attempts) == ("request", 1)
    assert str(caught.value).startswith("request (POST /v1/customers, 1 attempt): the connection dropped")
    assert len(fake.requests.entries()) == 1
    assert fake.counts().customers == 1  # applied once, never twice


async def test_request_retries_a_post_the_caller_says_is_safe_to_repeat(harness: Harness):
    fake = FakeChing()
    fake.faults.add("drop_after", operation="POST /v1/customers/upsert", times=1)
    body = {"identifyBy": "email", "email": "tal@example.com", "name": "Tal"}
    async with harness.opened(harness.local(fake, max_retries=3)) as ching:
        customer = await harness.call(ching.request, "POST", "/v1/customers/upsert", body=body, safe_to_retry=True)
    assert customer["email"] == "tal@example.com"
    assert [entry.fault for entry in fake.requests.entries()] == ["drop_after", None]
    assert fake.counts().customers == 1  # an upsert: the second attempt updated what the first created


async def test_request_to_a_path_ching_does_not_have_is_not_found(harness: Harness):
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        with pytest.raises(NotFoundError) as caught:
            await harness.call(ching.request, "GET", "/v1/invoices")
    assert caught.value.request_id == fake.requests.entries()[-1].request_id
    assert str(caught.value).startswith("GET /v1/invoices failed with 404 NOT_FOUND")


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/v1/customers",
        "http://127.0.0.1/v1/customers",
        "//evil.example/v1/customers",
        "HTTPS://evil.example",
        "evil.example:443/v1",
        "ftp:x",
    ],
)
async def test_request_refuses_an_absolute_url_so_the_key_goes_to_ching_only(
    harness: Harness, server: ScriptedServer, path: str
):
    server.script(ok([]))
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(harness.client().request, "GET", path)
    assert caught.value.argument == "path"
    assert "absolute URL is refused" in str(caught.value)
    assert server.count == 0


@pytest.mark.parametrize(
    ("call", "argument", "problem"),
    [
        (("GET", "v1/customers"), "path", "must start with '/'"),
        (("GET", "/v1/customers/../products"), "path", "'.' or '..' segments"),
        (("GET", "/v1/customers?limit=1"), "path", "pass the query as query="),
        (("GET", "/v1/customers/cus 1"), "path", "percent-encode each segment"),
        (("GET", "/v1/customers/\\evil"), "path", "percent-encode each segment"),
        (("GET", "/v1/customers/נ"), "path", "percent-encode each segment"),
        (("TRACE", "/v1/customers"), "method", "must be one of GET, POST, PUT, PATCH, DELETE"),
        (("GET", "/v1/customers", {"body": {"a": 1}}), "body", "cannot be sent with GET"),
        (("POST", "/v1/customers", {"body": [1]}), "body", "must be a mapping"),
        (("POST", "/v1/customers", {"body": {"a": float("nan")}}), "body", "is not JSON"),
        (("GET", "/v1/customers", {"query": {"a": object()}}), "query['a']", "must be a string, a number"),
        (("GET", "/v1/customers", {"safe_to_retry": "yes"}), "safe_to_retry", "must be True, False or None"),
        (("GET", "/v1/customers", {"headers": {"Authorization": "Bearer x"}}), "headers", "cannot set Authorization"),
        (("GET", "/v1/customers", {"headers": {"Host": "evil.example"}}), "headers", "cannot set Host"),
        (("GET", "/v1/customers", {"timeout": -1}), None, "timeout"),
    ],
    ids=lambda value: str(value)[:48],
)
async def test_request_refuses_what_it_cannot_send_before_sending(
    harness: Harness, server: ScriptedServer, call: tuple[Any, ...], argument: str | None, problem: str
):
    server.script(ok([]))
    method, path, *options = call
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(harness.client().request, method, path, **(options[0] if options else {}))
    if argument is not None:
        assert caught.value.argument == argument
    assert problem in str(caught.value)
    assert server.count == 0
