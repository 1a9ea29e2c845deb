"""Misuse is refused before anything is sent, with an error that names the cause; messages say each thing once.

- ``extra_headers`` with a line break, a control character or non-ASCII text, or naming a header that
  frames the request or concerns its connection (``Content-Length``, ``Transfer-Encoding``, ``Host``,
  ...): ``InvalidArgumentError``, nothing reaches the local Ching, and a create is never reported as
  "may have been processed".
- An id too long for any server: ``InvalidArgumentError`` naming ``id``, not httpx's ``InvalidURL``.
- Base URLs with whitespace, a control character, a bad port, a broken IPv6 host, a trailing ``/v1``
  or a ``user:password@`` part: ``ConfigurationError`` from the constructor, the password never shown.
- Connection failures: "never left" said once; a pool timeout says no connection became free.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ching_client import (
    APIConnectionError,
    AsyncChing,
    Ching,
    ChingError,
    ConfigurationError,
    InvalidArgumentError,
)
from ching_client.testing import FakeServer
from tests.engine import http

from ._support import KEY, KINDS, Clients, Kind, RawServer, ching_error, last_seq, raw_response

BAD_HEADERS = [
    pytest.param({"X-Tag": "a\r\nX-Injected: 1"}, id="crlf-in-value"),
    pytest.param({"X-Tag\r\nX-Injected": "1"}, id="crlf-in-name"),
    pytest.param({"X-Tag": "a\nb"}, id="lf-in-value"),
    pytest.param({"X-Tag": "a\0b"}, id="nul-in-value"),
    pytest.param({"X-Tag": "שלום"}, id="non-ascii-value"),
    pytest.param({"X-Tág": "1"}, id="non-ascii-name"),
    pytest.param({"X Tag": "1"}, id="space-in-name"),
    pytest.param({"": "1"}, id="empty-name"),
    pytest.param({"X-Tag": " padded "}, id="surrounding-space"),
    *(
        pytest.param({name: "1"}, id=name)
        for name in (
            "Content-Length",
            "transfer-encoding",
            "Host",
            "Connection",
            "Keep-Alive",
            "Proxy-Connection",
            "TE",
            "Trailer",
            "Upgrade",
            "Expect",
        )
    ),
]
CALLS: dict[str, Callable[..., Any]] = {
    "create": lambda c, **o: c.customers.create(name="Header test", email="headers@example.com", **o),
    "list": lambda c, **o: c.customers.list(**o),
}


@pytest.fixture(scope="module")
def clients(live_server: FakeServer) -> Any:
    shared = Clients(live_server.base_url)
    yield shared
    shared.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_a_bad_extra_header_is_refused_before_sending(
    server: FakeServer, clients: Clients, kind: Kind, call: str, headers: dict[str, str]
):
    since = last_seq(server)
    error = ching_error(lambda: clients.run(kind, lambda c: CALLS[call](c, extra_headers=headers)))
    assert isinstance(error, InvalidArgumentError)
    assert error.argument == "extra_headers"
    assert server.fake.requests.since(since) == []
    assert server.fake.counts(KEY).customers == 0
    for value in headers.values():
        if len(value) > 1:
            assert value not in str(error)  # a header value may be a secret: it is not repeated


@pytest.mark.parametrize("kind", KINDS)
def test_ordinary_extra_headers_are_sent(server: FakeServer, clients: Clients, kind: Kind):
    headers = {"X-Request-Source": "nightly sync; v=2", "X-Empty": ""}
    clients.run(kind, lambda c: c.customers.list(extra_headers=headers))
    sent = server.fake.requests.last().headers
    assert (sent["x-request-source"], sent["x-empty"]) == ("nightly sync; v=2", "")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("length", [20_000, 100_000])
def test_an_id_too_long_for_any_server_is_refused_before_sending(
    server: FakeServer, clients: Clients, kind: Kind, length: int
):
    since = last_seq(server)
    error = ching_error(lambda: clients.run(kind, lambda c: c.customers.retrieve("c" * length)))
    assert isinstance(error, InvalidArgumentError)
    assert error.argument == "id"
    assert str(error).startswith("customers.retrieve: id ")
    assert server.fake.requests.since(since) == []


CLIENT_CLASSES = [pytest.param(AsyncChing, id="async"), pytest.param(Ching, id="sync")]
BAD_BASE_URLS = [
    pytest.param("http://127.0.0.1:99999/ching", "not a valid URL", id="port-99999"),
    pytest.param("http://127.0.0.1:0/ching", "port 0", id="port-0"),
    pytest.param("http://127.0.0.1:http/ching", "not a valid URL", id="port-not-a-number"),
    pytest.param("http://[::1/ching", "not a valid URL", id="broken-ipv6"),
    pytest.param("http://127.0.0.1:12111/ching\r\n", "whitespace", id="trailing-crlf"),
    pytest.param("http://127.0.0.1:12111/ching\nINFO: Uvicorn running", "whitespace", id="captured-log-line"),
    pytest.param("http://127.0.0.1\r\nX-Injected: 1/ching", "whitespace", id="crlf-in-host"),
    pytest.param(" https://api.ching.co.il/ching", "whitespace", id="leading-space"),
    pytest.param("https://api.ching.co.il/ching ", "whitespace", id="trailing-space"),
    pytest.param("https://api.ching.co.il/ch ing", "whitespace", id="inner-space"),
    pytest.param("https://api.ching.co.il/ching/v1", "/v1", id="trailing-v1"),
    pytest.param("https://api.ching.co.il/ching/v1/", "/v1", id="trailing-v1-slash"),
    pytest.param("http://127.0.0.1:12111/v1", "/v1", id="v1-only"),
]


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
@pytest.mark.parametrize(("base_url", "cause"), BAD_BASE_URLS)
def test_a_base_url_httpx_would_refuse_later_is_refused_when_the_client_is_built(
    cls: type[Any], base_url: str, cause: str
):
    error = ching_error(lambda: cls(api_key=KEY, base_url=base_url))
    assert isinstance(error, ConfigurationError)
    assert cause in str(error)


def test_a_trailing_v1_message_gives_the_base_url_to_use():
    error = ching_error(lambda: Ching(api_key=KEY, base_url="https://api.ching.co.il/ching/v1"))
    assert "use 'https://api.ching.co.il/ching'" in str(error)


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:s3cr3t-pw@api.ching.co.il/ching",
        "http://s3cr3t-pw@127.0.0.1:12111/ching",
        "http://:s3cr3t-pw@127.0.0.1:12111/ching",
    ],
)
def test_a_base_url_with_a_user_or_password_is_refused_and_the_password_never_shown(cls: type[Any], base_url: str):
    error = ching_error(lambda: cls(api_key=KEY, base_url=base_url))
    assert isinstance(error, ConfigurationError)
    assert "user name or password" in str(error)
    assert "s3cr3t" not in str(error)
    assert "s3cr3t" not in repr(error)


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
def test_a_base_url_with_a_password_from_the_environment_is_refused(cls: type[Any], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHING_BASE_URL", "https://ching:s3cr3t-pw@api.ching.co.il/ching")
    error = ching_error(lambda: cls(api_key=KEY))
    assert isinstance(error, ConfigurationError)
    assert "s3cr3t" not in str(error)


# --- messages that say each thing once ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused_says_never_left_once(clients_at: Callable[[str], Clients], kind: Kind):
    error = ching_error(lambda: clients_at("refused").run(kind, lambda c: c.customers.list()))
    assert isinstance(error, APIConnectionError)
    message = str(error)
    assert message.count("never left") == 1, message
    assert "gave up after 3 attempts" in message
    assert "attempt (" not in message
    assert "1 attempts" not in message


@contextlib.contextmanager
def held_answers() -> Iterator[tuple[RawServer, threading.Event, threading.Event]]:
    """A server that answers a list only once ``release`` is set, and sets ``arrived`` when a request is in.

    The held call keeps its connection however long a busy machine takes to start the next call: nothing depends on a
    server's latency outlasting the test's steps.
    """
    arrived, release = threading.Event(), threading.Event()
    body = json.dumps({"success": True, "data": []}).encode()

    def respond() -> Iterator[bytes]:
        arrived.set()
        release.wait(60)  # released by the test once the next call gave up; the bound only ends a broken test
        yield raw_response(200, body, {"Content-Type": "application/json"})

    server = RawServer(respond)
    try:
        yield server, arrived, release
    finally:
        release.set()
        server.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_pool_timeout_says_no_connection_became_free(kind: Kind):
    """One connection, held by a call the server has not answered yet: the next call waits for it and gives up."""
    limits = http.Limits(max_connections=1)
    with held_answers() as (server, arrived, release):
        if kind == "sync":
            with http.Client(limits=limits) as http_client:
                ching = Ching(api_key=KEY, base_url=server.base_url, http_client=http_client)
                holder = threading.Thread(target=ching.customers.list)
                holder.start()
                assert arrived.wait(30)
                error = ching_error(lambda: ching.products.list(timeout=0.3))
                release.set()
                holder.join()
        else:
            clients = Clients(server.base_url)  # for its event loop thread
            try:

                async def both() -> ChingError:
                    import anyio

                    caught: list[ChingError] = []
                    async with http.AsyncClient(limits=limits) as http_client, anyio.create_task_group() as group:
                        async_ching = AsyncChing(api_key=KEY, base_url=server.base_url, http_client=http_client)
                        group.start_soon(async_ching.customers.list)
                        assert await anyio.to_thread.run_sync(arrived.wait, 30)
                        try:
                            await async_ching.products.list(timeout=0.3)
                        except ChingError as exc:
                            caught.append(exc)
                        release.set()
                    assert caught, "not refused"
                    return caught[0]

                error = clients.portal.call(both)
            finally:
                clients.close()
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server is False
    assert "no connection in the client's pool became free" in str(error)
    assert "Check the network" not in str(error)
