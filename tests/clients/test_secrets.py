"""The API key never shows: not in reprs, not in any error (chained causes included), not in logs."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from ching_client import AsyncChing, Ching, ChingError, ConfigurationError, InvalidArgumentError, RawResponse
from tests.engine import http

from ._support import CUSTOMER, OPS_BY_NAME, Harness, ScriptedServer, error, fail, ok, raw

pytestmark = pytest.mark.anyio

SECRET_BODY = "c0ffee" * 10 + "beef"  # 64 hex characters
SECRETS = {
    "ck_test": "ck_test_" + SECRET_BODY,
    "sk_live": "sk_live_" + SECRET_BODY + "0123456789abcdef01234567",
}


def _leaks(text: str) -> bool:
    return SECRET_BODY in text or SECRET_BODY[:24] in text


def _everything_about(exc: BaseException) -> str:
    """The full printed traceback with chained causes, plus str and repr of each exception in the chain."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("key_name", list(SECRETS))
async def test_key_never_appears_in_reprs_errors_or_debug_logs(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture, key_name: str
):
    caplog.set_level(logging.DEBUG)  # every logger: ching_client, httpx, httpcore
    key = SECRETS[key_name]
    ching = harness.client(api_key=key, base_url="http://127.0.0.1:12111/ching")
    clone = ching.with_options(timeout=5, max_retries=1)
    create, upload = OPS_BY_NAME["customers.create"], OPS_BY_NAME["products.upload_image"]
    scenarios = [
        (ching.customers.create, (), {"name": "Tal"}, [ok(CUSTOMER)]),
        (ching.customers.list, (), {}, [error(503), ok([CUSTOMER])]),
        (ching.customers.retrieve, ("cus_1",), {}, [error(401, "NO_ACCESS", "No access")]),
        (
            ching.customers.update,
            ("cus_1",),
            {"email": "x"},
            [error(400, "INVALID_FIELD", "bad", issues=[{"path": ["email"], "message": "bad"}])],
        ),
        (ching.customers.delete, ("cus_1",), {}, [error(429, headers={"Retry-After": "600"})]),
        (ching.products.list, (), {}, [fail(http.ConnectError, "Connection refused")]),
        (clone.products.retrieve, ("prod_1",), {}, [fail(http.ReadTimeout, "timed out")]),
        (
            create.bind(ching),
            create.args,
            dict(create.kwargs),
            [fail(http.RemoteProtocolError, "Server disconnected")],
        ),
        (upload.bind(ching), upload.args, dict(upload.kwargs), [error(502)]),
        (ching.products.list, (), {}, [raw(200, "<html>not json</html>")]),
        (ching.customers.list, (), {"extra_headers": {"Authorization": f"Bearer {key}"}}, [ok([])]),
        (ching.customers.retrieve, ("",), {}, [ok(CUSTOMER)]),
        (ching.request, ("GET", "/v1/invoices"), {}, [error(404, "NOT_FOUND", "No such route")]),
        (ching.request, ("GET", "/v1/x"), {"headers": {"Authorization": f"Bearer {key}"}}, [ok([])]),
        (ching.request, ("GET", f"https://evil.example/{key}"), {}, [ok([])]),
        (ching.request, ("GET", f"v1/{key}"), {}, [ok([])]),
        (ching.request, (key, "/v1/x"), {}, [ok([])]),
        (ching.with_raw_response.request, ("POST", "/v1/x"), {"body": {"a": 1}}, [ok({"id": "x_1"})]),
        (ching.customers.with_raw_response.create, (), {"name": "Tal", "extra_body": {"a": 1}}, [ok(CUSTOMER)]),
    ]
    raised: list[ChingError] = []
    answers: list[Any] = []
    for method, args, kwargs, replies in scenarios:
        server.script(*replies)
        try:
            answers.append(await harness.call(method, *args, **kwargs))
        except ChingError as exc:
            raised.append(exc)
    assert len(raised) == 15
    for failure in raised:
        assert not _leaks(_everything_about(failure)), type(failure).__name__
    responses = [answer for answer in answers if isinstance(answer, RawResponse)]
    assert len(responses) == 2
    for response in responses:
        shown = [repr(response), response.url, str(dict(response.headers)), response.content.decode()]
        assert not _leaks("\n".join(shown))
    assert not _leaks(repr(ching))
    assert not _leaks(repr(clone))
    assert not _leaks(str(ching))
    assert repr(ching).endswith("api_key='" + key[:8] + "***')")
    assert any(r.levelno == logging.DEBUG and r.name == "ching_client" for r in caplog.records)
    assert not _leaks(caplog.text)
    assert not any(_leaks(r.getMessage()) or _leaks(repr(r.args)) for r in caplog.records)
    assert all(r.headers["Authorization"] == f"Bearer {key}" for r in server.requests)  # it was used, just never shown


@pytest.mark.parametrize("cls", [AsyncChing, Ching])
@pytest.mark.parametrize(
    "bad_key",
    [
        SECRETS["ck_test"] + "\n",
        "pk_live_" + SECRET_BODY,
        " " + SECRETS["ck_test"],
        SECRETS["ck_test"] + "!",
        "ck_test " + SECRET_BODY,
    ],
    ids=["newline", "unknown-prefix", "leading-space", "odd-character", "space"],
)
def test_configuration_errors_do_not_echo_the_key(cls: type[AsyncChing] | type[Ching], bad_key: str):
    with pytest.raises(ConfigurationError) as caught:
        cls(api_key=bad_key)
    assert not _leaks(_everything_about(caught.value))


@pytest.mark.parametrize("cls", [AsyncChing, Ching])
def test_live_key_over_http_error_does_not_echo_the_key(cls: type[AsyncChing] | type[Ching]):
    with pytest.raises(ConfigurationError) as caught:
        cls(api_key=SECRETS["sk_live"], base_url="http://api.ching.co.il/ching")
    assert not _leaks(_everything_about(caught.value))


def _with_locals(exc: BaseException) -> str:
    """The traceback as a formatter that prints every frame's locals shows it (``pytest -l``, Sentry)."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


@pytest.mark.parametrize("key_name", list(SECRETS))
async def test_a_clone_and_what_it_is_built_from_never_show_the_key(
    harness: Harness, server: ScriptedServer, key_name: str
):
    ching = harness.client(api_key=SECRETS[key_name], base_url="http://127.0.0.1:12111/ching")
    clone = ching.with_options(timeout=5, max_retries=0)
    with pytest.raises(InvalidArgumentError) as refused:
        ching.with_options(timeout=-1)  # its frames hold the client and the options being changed
    server.script(fail(http.ConnectError, "Connection refused"))
    with pytest.raises(ChingError) as failed:
        await harness.call(clone.customers.list)

    # The options a clone's constructor holds in its frame, as a traceback formatter would print them.
    options = repr(ching._derived(timeout=5))
    assert SECRETS[key_name][:8] in options
    for text in (repr(clone), str(clone), options, _with_locals(refused.value), _with_locals(failed.value)):
        assert not _leaks(text)
    assert server.header("Authorization") == [f"Bearer {SECRETS[key_name]}"]  # the clone sent it, never showed it
