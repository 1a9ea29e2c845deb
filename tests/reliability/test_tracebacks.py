"""No frame of a failed call holds the key where a traceback formatter that prints locals would show it.

``pytest -l``, ``traceback.TracebackException(capture_locals=True)``, rich's ``show_locals`` and
error reporters such as Sentry print every local variable of every frame, the SDK's and httpx's
included. Real failures on both clients (over loopback against the local Ching, a refused port and
a black hole) are formatted that way here, causes included, and searched for the key. The key is a
module constant, so no frame of this file holds it as a local either.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from ching_client import APITimeoutError, AsyncChing, Ching, ChingError, ConfigurationError
from tests.engine import core, http

from ._support import KEY, KINDS, Clients, Kind, ching_error, read_request

SECRET = KEY[len("ck_test_") :]
RUNNERS = ["sync", "asyncio", "trio"]


def formatted(exc: BaseException) -> str:
    """The traceback as a formatter that prints every frame's locals shows it (chained causes included)."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def pytest_formatted(exc: BaseException) -> str:
    """The traceback as ``pytest -l`` prints it (each local's repr shortened, chained causes included)."""
    return str(pytest.ExceptionInfo.from_exception(exc).getrepr(showlocals=True, chain=True))


def last_call_error(runner: str, base_url: str, calls: list[Callable[[Any], Any]], **options: Any) -> ChingError:
    """Make ``calls`` in turn on one client (``Ching``, or ``AsyncChing`` under asyncio or trio); the last one must
    fail, and its ``ChingError`` is returned once the client is closed."""
    first, last = calls[:-1], calls[-1]
    if runner == "sync":
        with Ching(api_key=KEY, base_url=base_url, **options) as ching:
            for call in first:
                call(ching)
            return ching_error(lambda: last(ching))

    async def run() -> ChingError:
        async with AsyncChing(api_key=KEY, base_url=base_url, **options) as ching:
            for call in first:
                await call(ching)
            try:
                await last(ching)
            except ChingError as exc:
                return exc
        raise AssertionError("expected a ChingError; the call returned")

    return anyio.run(run, backend=runner)


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


class AnswersOnceThenStopsReading:
    """A loopback server that answers the first request on each connection (keeping it open, so the client pools it)
    and then reads nothing more: the next request's bytes fill the socket buffers and its write stops there.

    A small receive buffer keeps what the kernel takes in on the server's side small.
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/ching"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        body = json.dumps({"success": True, "data": []}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)
            try:
                if read_request(connection) is not None:
                    connection.sendall(head.encode() + body)
            except OSError:  # closed by close() while the client still held it
                return

    def close(self) -> None:
        self._listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def stops_reading() -> Iterator[AnswersOnceThenStopsReading]:
    server = AnswersOnceThenStopsReading()
    yield server
    server.close()


#: More than the client's and the server's socket buffers together hold (Linux's default cap is 4 MiB per socket),
#: so the header write waits for a server that never reads until the call's deadline stops it.
LARGER_THAN_SOCKET_BUFFERS = {"X-Padding": "x" * (8 * 1024 * 1024)}


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_header_write_stopped_on_a_reused_connection_shows_no_key(
    stops_reading: AnswersOnceThenStopsReading, runner: str, monkeypatch: pytest.MonkeyPatch
):
    """The deadline stops the write of the request's head (Authorization included) on a pooled connection: the
    frames that were writing it (the SDK's socket backends, httpcore's, h11's) held the serialized request."""
    # httpcore drops a connection idle for 5 s. Checking and serializing 8 MiB of headers, before the second call takes
    # the pooled connection, costs most of a second of CPU: over 5 s on a loaded machine, which then connected anew.
    # The keep-alive clock stands still here, so the second call reuses the connection however long that takes.
    for http11 in (core._sync.http11, core._async.http11):
        monkeypatch.setattr(http11, "time", types.SimpleNamespace(monotonic=lambda: 0.0))
    error = last_call_error(
        runner,
        stops_reading.base_url,
        [
            lambda c: c.customers.list(),
            lambda c: c.customers.list(timeout=0.5, extra_headers=LARGER_THAN_SOCKET_BUFFERS),
        ],
        max_retries=0,
    )
    assert isinstance(error, APITimeoutError)
    assert len(stops_reading.connections) == 1  # the second call reused the first one's connection
    for text in (formatted(error), pytest_formatted(error)):
        assert "_request" in text  # the SDK's frames are there, with the locals they hold
        assert "_send_request_headers" in text  # so are httpcore's, which say where it stopped
        assert SECRET[:16] not in text, "the key is in a frame's locals"


PROXY_PASSWORD = "Pr0xy-Passw0rd"
#: How the password travels: in the URL the environment names, and as Basic credentials in Proxy-Authorization.
PROXY_NEEDLES = [PROXY_PASSWORD, base64.b64encode(f"squid:{PROXY_PASSWORD}".encode()).decode()]


class ProxyStandIn:
    """A loopback stand-in for a forward proxy: it reads each request (a proxied ``GET http://...`` or a ``CONNECT``)
    and then drops the connection, or says nothing until the client gives up."""

    def __init__(self, behaviour: str) -> None:
        self._behaviour = behaviour
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://squid:{PROXY_PASSWORD}@127.0.0.1:{self._listener.getsockname()[1]}"
        self.requests: list[bytes] = []
        self.arrived = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            head = connection.recv(65536)
            self.requests.append(head.split(b"\r\n", 1)[0])
            self.arrived.set()
            if self._behaviour == "drops":
                connection.close()
            else:
                self._held.append(connection)

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


@pytest.fixture(params=["drops", "hangs"])
def proxy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyStandIn]:
    """The stand-in, named by HTTP_PROXY and HTTPS_PROXY with a user and password, as a company network sets them."""
    stand_in = ProxyStandIn(request.param)
    for name in ("ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", stand_in.url)
    monkeypatch.setenv("HTTPS_PROXY", stand_in.url)
    yield stand_in
    stand_in.close()


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("base_url", ["http://api.ching.test/ching", "https://api.ching.test/ching"])
def test_a_call_failing_at_an_environment_proxy_shows_neither_the_key_nor_the_proxy_password(
    proxy: ProxyStandIn, runner: str, base_url: str
):
    """httpx's and httpcore's frames (the clients' shards send through the environment's proxy) keep the raw header
    lists: the request's, key included (plain http, sent to the proxy), and the CONNECT's (https), with
    Proxy-Authorization."""
    error = last_call_error(runner, base_url, [lambda c: c.customers.list(timeout=0.5)], max_retries=0)
    assert isinstance(error, ChingError)
    expected = b"GET http://api.ching.test" if base_url.startswith("http:") else b"CONNECT api.ching.test:443"
    # A call that gave up on a silent proxy may return before the proxy's thread has read the request: wait for it.
    assert proxy.arrived.wait(30), "the call never reached the proxy"
    assert proxy.requests[0].startswith(expected)
    for text in (formatted(error), pytest_formatted(error)):
        assert "_request" in text
        for needle in [SECRET[:16], *PROXY_NEEDLES]:
            assert needle not in text, "a secret is in a frame's locals"


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("base_url", ["http://api.ching.test/ching", "https://api.ching.test/ching"])
def test_a_call_failing_at_a_proxy_argument_shows_neither_the_key_nor_the_proxy_password(
    proxy: ProxyStandIn, runner: str, base_url: str, monkeypatch: pytest.MonkeyPatch
):
    """The same through ``proxy=``, which also passes through the constructor's and ``route_proxy``'s frames. (This
    test's own frame holds the URL it passed: the caller's, left out of what is searched.)"""
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.delenv("HTTPS_PROXY")
    calls: list[Callable[[Any], Any]] = [lambda c: c.customers.list(timeout=0.5)]
    error = last_call_error(runner, base_url, calls, max_retries=0, proxy=proxy.url)
    assert isinstance(error, ChingError)
    assert proxy.arrived.wait(30), "the call never reached the proxy"
    for text in (formatted(error), pytest_formatted(error)):
        assert "_request" in text
        searched = without_this_modules_frames(text)
        assert "_request" in searched
        for needle in [SECRET[:16], *PROXY_NEEDLES]:
            assert needle not in searched, "a secret is in a frame's locals"


def without_this_modules_frames(text: str) -> str:
    """A formatted traceback without the frames of this test module, in either layout: the standard one (each frame
    starts with ``  File "..."``) and pytest's (each ends with ``path.py:line: in name``)."""
    if '  File "' in text:
        return "".join(frame for frame in re.split(r'\n(?=  File ")', text) if "test_tracebacks.py" not in frame)
    parts = re.split(r"(\n\S+\.py:\d+: [^\n]*)", text)  # body, its file line, body, its file line, ...
    kept = [
        body + end for body, end in zip(parts[::2], [*parts[1::2], ""], strict=True) if "test_tracebacks" not in end
    ]
    return "".join(kept)


def sdk_locals(exc: BaseException) -> str:
    """The locals of the SDK's own frames in ``exc``'s traceback, as a formatter prints them."""
    frames = traceback.walk_tb(exc.__traceback__)
    return "".join(repr(frame.f_locals) for frame, _ in frames if "ching_client" in frame.f_code.co_filename)


class _WriteTimesOut:
    """A socket stream whose writes time out, as httpcore's do when the peer stops reading."""

    def write(self, *_: Any) -> None:
        raise core.WriteTimeout("timed out")


def test_a_write_stopped_in_the_sync_deadline_stream_leaves_the_request_out_of_its_frame():
    """Whatever sees the transport's exception before the client's error path (an httpx event hook or a transport
    wrapper that logs it with locals) finds no request bytes in the SDK's socket frames either."""
    from ching_client._http.deadline import _DeadlineStream

    stream = _DeadlineStream(_WriteTimesOut(), core)  # type: ignore[arg-type]
    with pytest.raises(core.WriteTimeout) as caught:
        stream.write(b"GET /ching/v1/customers HTTP/1.1\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n\r\n")
    assert "_http/deadline.py" in "".join(traceback.format_tb(caught.value.__traceback__))
    assert SECRET[:16] not in sdk_locals(caught.value)


def test_a_write_stopped_in_the_asyncio_stream_leaves_the_request_out_of_its_frame():
    from .test_asyncio_backend import _stalled_stream

    async def run() -> BaseException:
        stream, _ = _stalled_stream()
        try:
            with pytest.raises(core.WriteTimeout) as caught:
                await stream.write(b"GET / HTTP/1.1\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n\r\n", timeout=0)
        finally:
            await stream.aclose()  # a stream dropped open warns, later, that its client was never closed
        return caught.value

    error = asyncio.run(run())
    assert "_http/asyncio_backend.py" in "".join(traceback.format_tb(error.__traceback__))
    assert SECRET[:16] not in sdk_locals(error)


def _fails_with_a_local_of_the_callers() -> None:
    note = "the caller's own local"  # noqa: F841 (a local the traceback must keep)
    raise ValueError("the caller's own error")


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_the_caller_was_handling_keeps_its_frames_locals(clients_at: Callable[[str], Clients], kind: Kind):
    """A call made while handling an exception chains it (``__context__``): the SDK clears only the frames its own
    call went through, never those of the caller's exception."""

    def call(client: Any) -> Any:
        try:
            _fails_with_a_local_of_the_callers()
        except ValueError:
            return client.customers.list()

    async def call_async(client: Any) -> Any:
        try:
            _fails_with_a_local_of_the_callers()
        except ValueError:
            return await client.customers.list()

    error = ching_error(lambda: clients_at("refused").run(kind, call if kind == "sync" else call_async))
    chained: BaseException | None = error
    while chained is not None and not isinstance(chained, ValueError):
        chained = chained.__context__
    assert chained is not None
    assert "the caller's own local" in formatted(chained)
    assert SECRET not in formatted(error)
