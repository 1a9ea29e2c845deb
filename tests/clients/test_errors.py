"""Error statuses and malformed responses become typed, explanatory ChingErrors."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from ching_client import (
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ChingError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from tests.engine import http

from ._support import CUSTOMER, Harness, Reply, ScriptedServer, error, fail, raw

pytestmark = pytest.mark.anyio

PATH = "/v1/customers/cus_V8ltq1pK_MWH"

STATUS_TABLE = [
    (400, "INVALID_FIELD", "Validation failed", BadRequestError),
    (401, "NO_ACCESS", "No access", AuthenticationError),
    (403, "LIVE_KEY_INACTIVE", "Live key is not active yet", PermissionDeniedError),
    (404, "NOT_FOUND", "Customer not found", NotFoundError),
    (409, "EMAIL_EXISTS", "A customer with this email already exists", ConflictError),
    (422, "INVALID_FIELD", "Semantic rule failed", UnprocessableEntityError),
    (429, "RATE_LIMITED", "Slow down", RateLimitError),
    (500, "INTERNAL", "Unexpected error", InternalServerError),
    (502, "BAD_GATEWAY", "Upstream failed", InternalServerError),
    (503, "UNAVAILABLE", "Try later", InternalServerError),
    (504, "GATEWAY_TIMEOUT", "Upstream timed out", InternalServerError),
    (418, "TEAPOT", "I am a teapot", APIStatusError),
    (402, "CHARGE_FAILED", "הכרטיס נדחה", APIStatusError),
]


@pytest.mark.parametrize(("status", "code", "message", "cls"), STATUS_TABLE, ids=[str(row[0]) for row in STATUS_TABLE])
async def test_status_maps_to_its_error_class_with_a_full_message(
    harness: Harness, server: ScriptedServer, status: int, code: str, message: str, cls: type[APIStatusError]
):
    server.script(error(status, code, message))
    with pytest.raises(ChingError) as caught:
        await harness.call(harness.client(max_retries=0).customers.update, "cus_V8ltq1pK_MWH", name="Tal")
    exc = caught.value
    assert type(exc) is cls
    assert isinstance(exc, APIStatusError)
    assert (exc.status_code, exc.code, exc.server_message) == (status, code, message)
    assert (exc.method, exc.path) == ("POST", PATH)
    text = str(exc)
    for part in ("POST", PATH, str(status), code, message):
        assert part in text
    assert exc.body == {"success": False, "error": {"status": status, "code": code, "message": message}}
    assert server.count == 1


async def test_conflict_carries_the_code_to_branch_on(harness: Harness, server: ScriptedServer):
    server.script(error(409, "EMAIL_EXISTS", "Email already used"))
    with pytest.raises(ConflictError) as caught:
        await harness.call(harness.client().customers.create, name="Dana", email="dana@example.com")
    assert caught.value.code == "EMAIL_EXISTS"
    assert "POST /v1/customers failed with 409 EMAIL_EXISTS: Email already used" in str(caught.value)


@pytest.mark.parametrize(
    ("issues", "described"),
    [
        pytest.param(
            [
                {"path": ["email"], "message": "Invalid email"},
                {"path": ["metadata", "user_id"], "message": "Too long"},
            ],
            ["email: Invalid email", "metadata.user_id: Too long"],
            id="array-paths",
        ),
        pytest.param([{"path": "phone", "message": "Not a phone"}], ["phone: Not a phone"], id="string-path"),
        pytest.param(
            [{"path": ["features", 0, "title"], "message": "Required"}], ["features.0.title: Required"], id="index"
        ),
    ],
)
async def test_bad_request_issues_are_parsed_and_named(
    harness: Harness, server: ScriptedServer, issues: list[dict[str, object]], described: list[str]
):
    server.script(error(400, "INVALID_FIELD", "Invalid input", issues=issues))
    with pytest.raises(BadRequestError) as caught:
        await harness.call(harness.client().customers.create, name="Dana", email="nope")
    assert caught.value.issues == issues
    assert caught.value.code == "INVALID_FIELD"
    for text in described:
        assert text in str(caught.value)
    assert server.count == 1


async def test_rate_limit_error_carries_retry_after(harness: Harness, server: ScriptedServer):
    server.script(error(429, "RATE_LIMITED", "Slow down", headers={"Retry-After": "7"}))
    with pytest.raises(RateLimitError) as caught:
        await harness.call(harness.client().customers.list, max_retries=0)
    assert caught.value.retry_after == 7.0
    assert "7s" in str(caught.value)


async def test_rate_limit_without_retry_after(harness: Harness, server: ScriptedServer):
    server.script(error(429))
    with pytest.raises(RateLimitError) as caught:
        await harness.call(harness.client().customers.list, max_retries=0)
    assert caught.value.retry_after is None


HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>"


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        pytest.param(raw(502, HTML_502), "502 Bad Gateway", id="html"),
        pytest.param(raw(503, b"", "text/plain"), "empty", id="empty"),
        pytest.param(raw(500, json.dumps({"message": "boom"}), "application/json"), "boom", id="json-not-envelope"),
    ],
)
async def test_a_proxy_page_still_gives_a_typed_error(harness: Harness, server: ScriptedServer, reply: Reply, fragment):
    server.script(reply)
    with pytest.raises(InternalServerError) as caught:
        await harness.call(harness.client().customers.retrieve, "cus_1", max_retries=0)
    exc = caught.value
    assert exc.code is None
    assert exc.status_code in (500, 502, 503)
    assert "GET /v1/customers/cus_1" in str(exc)
    assert fragment in str(exc)


async def test_html_body_is_kept_as_text(harness: Harness, server: ScriptedServer):
    server.script(raw(502, HTML_502))
    with pytest.raises(InternalServerError) as caught:
        await harness.call(harness.client().customers.list, max_retries=0)
    assert caught.value.body == HTML_502


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        pytest.param(raw(200, "<html>captive portal</html>"), "not JSON", id="html"),
        pytest.param(raw(200, b"", "application/json"), "not JSON", id="empty"),
        pytest.param(raw(200, '{"success": tr', "application/json"), "not JSON", id="truncated"),
        pytest.param(
            raw(200, json.dumps({"success": False, "error": {"code": "X", "message": "nope"}}), "application/json"),
            "nope",
            id="success-false",
        ),
        pytest.param(raw(200, json.dumps([CUSTOMER]), "application/json"), "list", id="json-list"),
        pytest.param(raw(200, json.dumps({"success": True}), "application/json"), "data", id="no-data"),
        pytest.param(
            raw(200, json.dumps({"success": True, "data": {"id": "cus_1"}}), "application/json"),
            "documented",
            id="data-missing-fields",
        ),
        pytest.param(
            raw(200, json.dumps({"success": True, "data": {**CUSTOMER, "created": "yesterday"}}), "application/json"),
            "documented",
            id="bad-date",
        ),
        pytest.param(
            raw(200, json.dumps({"success": True, "data": "cus_1"}), "application/json"), "documented", id="data-str"
        ),
    ],
)
async def test_a_2xx_that_is_not_the_envelope_raises_api_response_error(
    harness: Harness, server: ScriptedServer, reply: Reply, fragment: str
):
    server.script(reply)
    with pytest.raises(APIResponseError) as caught:
        await harness.call(harness.client().customers.retrieve, "cus_1")
    exc = caught.value
    assert isinstance(exc, ChingError)
    assert exc.status_code == 200
    assert (exc.method, exc.path, exc.operation, exc.attempts) == (
        "GET",
        "/v1/customers/cus_1",
        "customers.retrieve",
        1,
    )
    assert str(exc).startswith("customers.retrieve (GET /v1/customers/cus_1, 1 attempt) returned 200")
    assert fragment in str(exc)
    assert server.count == 1  # a 2xx was an answer: never re-sent


async def test_a_wrong_shape_list_raises_api_response_error(harness: Harness, server: ScriptedServer):
    server.script(raw(200, json.dumps({"success": True, "data": CUSTOMER}), "application/json"))
    with pytest.raises(APIResponseError):
        await harness.call(harness.client().customers.list)


def test_every_error_class_is_a_ching_error():
    import ching_client

    exported = [getattr(ching_client, name) for name in ching_client.__all__]
    errors = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, BaseException)]
    assert len(errors) == 18
    assert all(issubclass(cls, ChingError) for cls in errors)


async def test_raised_errors_survive_pickling(harness: Harness, server: ScriptedServer):
    """Errors cross process boundaries (ProcessPoolExecutor, Celery, multiprocessing) by pickling."""
    ching = harness.client(max_retries=0)
    scenarios: list[tuple[Reply, Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
        (error(404, "NOT_FOUND", "No such customer"), ching.customers.retrieve, ("cus_1",), {}),
        (error(429, headers={"Retry-After": "3"}), ching.customers.list, (), {}),
        (
            error(400, "INVALID_FIELD", "bad", issues=[{"path": ["email"], "message": "bad"}]),
            ching.customers.list,
            (),
            {},
        ),
        (fail(http.ConnectError, "refused"), ching.customers.list, (), {}),
        (fail(http.ReadTimeout, "timed out"), ching.customers.list, (), {}),
        (fail(http.ReadTimeout, "timed out"), ching.customers.create, (), {"name": "Tal"}),
        (raw(200, "<html/>"), ching.customers.list, (), {}),
        (
            raw(200, json.dumps({"success": True, "data": {"id": "cus_1"}}), "application/json"),
            ching.customers.create,
            (),
            {"name": "Tal"},
        ),
        (error(500), ching.customers.retrieve, ("",), {}),
    ]
    raised: list[ChingError] = []
    for reply, method, args, kwargs in scenarios:
        server.script(reply)
        with pytest.raises(ChingError) as caught:
            await harness.call(method, *args, **kwargs)
        raised.append(caught.value)
    assert len({type(exc) for exc in raised}) == len(raised)
    broken = []
    for exc in raised:
        try:
            copy = pickle.loads(pickle.dumps(exc))
        except Exception as problem:  # collect every class that fails, not only the first
            broken.append(f"{type(exc).__name__}: {problem}")
            continue
        assert type(copy) is type(exc)
        assert str(copy) == str(exc)
        assert vars(copy) == vars(exc)
    assert broken == []


async def test_redirects_are_not_followed(harness: Harness, httpx_mock: HTTPXMock):
    """A redirect is reported, never followed: the key must not travel to another host."""
    httpx_mock.add_response(
        url="https://api.ching.co.il/ching/v1/customers", status_code=307, headers={"Location": "https://evil.example/"}
    )
    async with harness.opened(harness.owned_client()) as ching:
        with pytest.raises(APIStatusError) as caught:
            await harness.call(ching.customers.list)
    assert caught.value.status_code == 307
    assert len(httpx_mock.get_requests()) == 1
