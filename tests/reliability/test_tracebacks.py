"""No frame of a failed call holds the key where a traceback formatter that prints locals would show it.

``pytest -l``, ``traceback.TracebackException(capture_locals=True)``, rich's ``show_locals`` and
error reporters such as Sentry print every local variable of every frame, the SDK's and httpx's
included. Real failures on both clients (over loopback against the local Ching, a refused port and
a black hole) are formatted that way here, causes included, and searched for the key. The key is a
module constant, so no frame of this file holds it as a local either.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest

from ching_client import AsyncChing, Ching, ConfigurationError
from tests.engine import http

from ._support import KEY, KINDS, Clients, Kind, ching_error

SECRET = KEY[len("ck_test_") :]


def formatted(exc: BaseException) -> str:
    """The traceback as a formatter that prints every frame's locals shows it (chained causes included)."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


#: (label, where, fault to install on the local Ching, call)
CALL_FAILURES: list[tuple[str, str, dict[str, Any] | None, Callable[[Any], Any]]] = [
    ("connection refused", "refused", None, lambda c: c.customers.list()),
    ("connect timeout", "blackhole", None, lambda c: c.customers.create(name="A", timeout=0.3)),
    ("read timeout", "server", {"kind": "latency", "latency": 1.0}, lambda c: c.customers.list(timeout=0.3)),
    ("dropped, create", "server", {"kind": "drop_after"}, lambda c: c.customers.create(name="A")),
    ("dropped, retried", "server", {"kind": "drop_after"}, lambda c: c.customers.list()),
    ("framing header", "server", None, lambda c: c.customers.list(extra_headers={"Content-Length": "1"})),
    ("header not a string", "server", None, lambda c: c.customers.list(extra_headers={"X-Tag": 1})),
    ("line break in a header", "server", None, lambda c: c.customers.create(name="A", extra_headers={"X": "a\r\n"})),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("label", "where", "fault", "call"), CALL_FAILURES, ids=[f[0] for f in CALL_FAILURES])
def test_a_failed_call_shows_no_key_in_any_frames_locals(
    clients_at: Callable[[str], Clients],
    server: Any,
    kind: Kind,
    label: str,
    where: str,
    fault: dict[str, Any] | None,
    call: Callable[[Any], Any],
):
    if fault is not None:
        server.fake.faults.add(times=3, **fault)
    clients = clients_at(where)
    error = ching_error(lambda: clients.run(kind, call))
    text = formatted(error)
    assert "    self = " in text  # the frames' locals really are in the text
    assert SECRET not in text, f"{label}: the key is in a frame's locals"
    assert SECRET[:16] not in text


CLIENT_CLASSES = [pytest.param(AsyncChing, id="async"), pytest.param(Ching, id="sync")]
#: Constructor arguments refused with ConfigurationError, the key given as an argument.
BAD_CONSTRUCTIONS: list[dict[str, Any]] = [
    {"base_url": "ftp://api.ching.co.il/ching"},
    {"base_url": "https://api.ching.co.il/ching\r\n"},
    {"timeout": -1},
    {"http_client": object()},
]


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
@pytest.mark.parametrize("options", BAD_CONSTRUCTIONS, ids=lambda o: next(iter(o)))
def test_a_refused_construction_shows_no_key_and_formats(cls: type[Any], options: dict[str, Any]):
    # The formatter calls repr() on the half-built client in __init__'s frame: it must work.
    text = formatted(ching_error(lambda: cls(api_key=KEY, **options)))
    assert "ConfigurationError" in text
    assert SECRET not in text


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
def test_a_refused_construction_with_the_key_from_the_environment_shows_no_key(
    cls: type[Any], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CHING_API_KEY", KEY)
    monkeypatch.setenv("CHING_BASE_URL", "https://user:pw@api.ching.co.il/ching")
    error = ching_error(cls)
    assert isinstance(error, ConfigurationError)
    text = formatted(error)
    assert SECRET not in text
    assert ":pw@" not in text


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
def test_the_repr_of_a_half_built_client_works(cls: type[Any]):
    half_built = object.__new__(cls)
    assert repr(half_built) == f"{cls.__name__}(<not configured>)"


def test_an_injected_client_failing_shows_no_key():
    """An ``http_client=`` of the caller's own goes through the same frames: the headers stay redacted."""

    def refuse(request: http.Request) -> http.Response:
        raise http.ConnectError("refused", request=request)

    with http.Client(transport=http.MockTransport(refuse)) as http_client:
        ching = Ching(api_key=KEY, http_client=http_client, max_retries=1)
        text = formatted(ching_error(ching.customers.list))
    assert "request = <Request('GET'" in text  # httpx's frames, with their locals, are in the text
    assert SECRET not in text
