"""A hostile or broken server: every exception is a ChingError, sizes stay bounded, Retry-After cannot rush.

- Fuzz (Hypothesis, deterministic): any status, ``Retry-After``, ``Content-Encoding`` and body (JSON of
  any shape, bytes, nesting 100,000 deep, gzip valid or not) gives a result or a ``ChingError`` with a
  bounded message, on both clients.
- Over real sockets (``RawServer``): deeply nested answers, a ``Retry-After`` date past year 9999, a
  ``Retry-After`` of zero or in the past, bodies past the size cap (plain, gzip, gzip twice, declared
  too long), and error messages and bodies of megabytes.
- ``upsert_many`` goes on through all of these: they are row failures, never the batch's end.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ching_client import (
    APIResponseError,
    AsyncChing,
    BadRequestError,
    Ching,
    ChingError,
    InternalServerError,
    RateLimitError,
)
from ching_client.testing import FakeChing
from tests.engine import http

from ._support import CUSTOMER, KEY, KINDS, Clients, Kind, RawServer, ching_error, raw_response

MiB = 1024 * 1024
DEFAULT_CAP = 32 * MiB
FUZZ = settings(
    max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
HUGE_YEAR = "Wed, 21 Oct 9999999999999999999 07:28:00 GMT"


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[], Iterable[bytes]]], RawServer]]:
    """Start ``RawServer``s answering with the given chunks; closed after the test."""
    started: list[RawServer] = []

    def start(respond: Callable[[], Iterable[bytes]]) -> RawServer:
        started.append(RawServer(respond))
        return started[-1]

    yield start
    for server in started:
        server.close()


def on_clients(url: str, kind: Kind, call: Callable[[Any], Any], **options: Any) -> Any:
    """Call on a fresh client of ``kind`` for ``url`` (options such as ``max_retries`` for the client)."""
    clients = Clients(url, **options)
    try:
        return clients.run(kind, call)
    finally:
        clients.close()


# --- fuzz: any response is a result or a ChingError -------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
)
envelopes = st.one_of(
    st.fixed_dictionaries({"success": st.just(True), "data": json_values}),
    st.fixed_dictionaries({"success": st.just(True), "data": st.just(CUSTOMER), "action": json_values}),
    st.fixed_dictionaries(
        {"success": json_values, "error": st.fixed_dictionaries({"code": json_values, "message": json_values})}
    ),
    st.fixed_dictionaries(
        {"success": st.just(False), "error": st.fixed_dictionaries({"issues": json_values, "message": json_values})}
    ),
    json_values,
).map(lambda value: json.dumps(value).encode())
deep = st.tuples(st.integers(min_value=500, max_value=100_000), st.sampled_from(["[", '{"a":'])).map(
    lambda t: (t[1] * t[0]).encode() + (b"]" if t[1] == "[" else b"}") * t[0]
)
bodies = st.one_of(envelopes, deep, st.binary(max_size=64))
http_dates = st.builds(
    "{}, {:02d} Oct {} 07:28:00 GMT".format,
    st.sampled_from(["Mon", "Wed", "Xyz"]),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=-10, max_value=10**22),
)
retry_after = st.one_of(
    st.none(), st.text(max_size=30), http_dates, st.integers(-(10**30), 10**30).map(str), st.floats().map(str)
)
encodings = st.sampled_from([None, "gzip", "deflate", "gzip, gzip", "br", "identity", "x-unknown"])


@st.composite
def responses(draw: st.DrawFn) -> tuple[int, dict[str, str], bytes]:
    status = draw(st.sampled_from([200, 201, 400, 404, 408, 409, 429, 500, 502, 503]) | st.integers(200, 599))
    body = draw(bodies)
    headers: dict[str, str] = {"Content-Type": draw(st.sampled_from(["application/json", "text/html"]))}
    after = draw(retry_after)
    if after is not None:
        headers["Retry-After"] = after
    encoding = draw(encodings)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        if draw(st.booleans()):  # encode it as it says (else the body is not what the header claims)
            for layer in encoding.split(","):
                if layer.strip() == "gzip":
                    body = gzip.compress(body)
    return status, headers, body


CALLS: dict[str, Callable[[Any], Any]] = {
    "customers.list": lambda c: c.customers.list(),
    "customers.create": lambda c: c.customers.create(name="A"),
    "customers.upsert": lambda c: c.customers.upsert(identify_by="email", email="a@example.com", name="A"),
}


class _Answer:
    """A MockTransport handler that streams whatever response the example drew, as a socket would."""

    response: tuple[int, dict[str, str], bytes] = (200, {}, b"")

    def __call__(self, request: http.Request) -> http.Response:
        status, headers, body = self.response
        raw_headers = [(name.encode(), value.encode()) for name, value in headers.items()]  # as bytes, as received
        return http.Response(status, headers=raw_headers, stream=http.ByteStream(body))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", list(CALLS))
def test_any_response_gives_a_result_or_a_ching_error_with_a_bounded_message(kind: Kind, operation: str):
    answer = _Answer()
    transport = http.MockTransport(answer)
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        # No sockets behind the mock transport: nothing to close.
        if kind == "sync":
            client: Any = Ching(api_key=KEY, http_client=http.Client(transport=transport), max_retries=1)
        else:
            client = portal.call(
                lambda: AsyncChing(api_key=KEY, http_client=http.AsyncClient(transport=transport), max_retries=1)
            )

        async def awaited() -> Any:
            return await CALLS[operation](client)

        def call() -> ChingError | None:
            try:
                portal.call(awaited) if kind == "async" else CALLS[operation](client)
            except ChingError as exc:  # anything else fails the test
                return exc
            return None

        @FUZZ
        @given(responses())
        def respond(response: tuple[int, dict[str, str], bytes]) -> None:
            answer.response = response
            error = call()
            if error is not None:
                assert len(str(error)) < 4000
                assert repr(error)

        respond()


@FUZZ
@given(retry_after)
def test_any_retry_after_gives_a_finite_wait_or_none(value: str | None):
    from ching_client._core.retry_policy import parse_retry_after

    wait = parse_retry_after(value, now=1_776_590_000.0)
    assert wait is None or 0 <= wait < float("inf")


# --- deep nesting, huge dates, Retry-After that would rush ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("opener", ["[", '{"success":true,"data":'])
def test_a_success_nested_100000_deep_is_an_api_response_error(raw: Any, kind: Kind, opener: str):
    server = raw(lambda: [raw_response(200, opener.encode() * 100_000 + b"]" * 100_000)])
    error = ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list()))
    assert isinstance(error, APIResponseError)
    assert "returned 200 with" in str(error)
    assert len(error.body) <= 64 * 1024


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_nested_100000_deep_is_a_status_error(raw: Any, kind: Kind):
    server = raw(lambda: [raw_response(400, nested(100_000, '{"a":', "}"))])
    error = ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.create(name="A")))
    assert isinstance(error, BadRequestError)
    assert "not Ching's error envelope" in str(error)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("status", "cls"), [(503, InternalServerError), (429, RateLimitError)])
def test_a_retry_after_date_past_year_9999_is_ignored(raw: Any, kind: Kind, status: int, cls: type[ChingError]):
    server = raw(lambda: [raw_response(status, b"{}", {"Retry-After": HUGE_YEAR})])
    error = ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list()))
    assert isinstance(error, cls)
    assert server.requests == 3  # retried as usual, with backoff


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_retry_after_of_zero_or_in_the_past_falls_back_to_backoff(
    raw: Any, kind: Kind, value: str, caplog: pytest.LogCaptureFixture
):
    server = raw(lambda: [raw_response(503, b"{}", {"Retry-After": value})])
    caplog.set_level(logging.INFO, logger="ching_client")
    ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list(), max_retries=5))
    waits = [float(w) for w in re.findall(r"retrying in ([\d.]+)s", caplog.text)]
    assert len(waits) == 5
    # Backoff: 0.5 s doubling, less up to a quarter of jitter (the tests skip the sleeps, not the decisions).
    assert all(wait >= 0.75 * 0.5 * 2**n for n, wait in enumerate(waits)), waits


# --- sizes: the response cap, compressed bodies, error messages ------------------------------------------


def peak_mib_during(run: Callable[[], Any]) -> tuple[Any, float]:
    """Run and return (the error or result, the peak of memory allocated meanwhile, in MiB)."""
    tracemalloc.start()
    try:
        try:
            outcome: Any = run()
        except ChingError as exc:
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1] / MiB
    finally:
        tracemalloc.stop()


def until_closed(head: bytes, chunk: bytes, count: int) -> Callable[[], Iterator[bytes]]:
    """A response with no length: ``head``, then ``chunk`` ``count`` times, then the connection closes."""

    def respond() -> Iterator[bytes]:
        yield head
        for _ in range(count):
            yield chunk

    return respond


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_past_the_default_cap_ends_the_call_before_it_is_all_read(raw: Any, kind: Kind):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    server = raw(until_closed(head, b" " * MiB, 96))  # 96 MiB, read until the server closes
    error, peak = peak_mib_during(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list()))
    assert isinstance(error, APIResponseError)
    assert "max_response_bytes" in str(error)
    assert peak < 48, f"{peak:.0f} MiB allocated to refuse a body over {DEFAULT_CAP // MiB} MiB"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers", [1, 2], ids=["gzip", "gzip-twice"])
def test_a_gzip_bomb_ends_the_call_before_memory_grows(raw: Any, kind: Kind, layers: int):
    bomb = b"\0" * (256 * MiB)
    for _ in range(layers):
        bomb = gzip.compress(bomb, compresslevel=9)
    encoding = ", ".join(["gzip"] * layers)
    response = raw_response(200, bomb, {"Content-Encoding": encoding, "Content-Type": "application/json"})
    server = raw(lambda: [response])
    error, peak = peak_mib_during(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list()))
    assert isinstance(error, APIResponseError)
    assert "max_response_bytes" in str(error)
    assert peak < 48, f"{peak:.0f} MiB allocated for a {len(bomb) // 1024} KiB gzip bomb"


@pytest.mark.parametrize("kind", KINDS)
def test_a_declared_length_past_the_cap_is_refused_without_reading(raw: Any, kind: Kind):
    def respond() -> Iterator[bytes]:
        yield b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n{"
        time.sleep(10)  # and nothing more: a client that waits for the body waits for its deadline

    server = raw(respond)
    error = ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list(timeout=5)))
    assert isinstance(error, APIResponseError)
    assert "max_response_bytes" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_the_cap_is_the_clients_max_response_bytes(raw: Any, kind: Kind):
    listing = json.dumps({"success": True, "data": [CUSTOMER] * 40}).encode()  # about 10 KB
    server = raw(lambda: [raw_response(200, listing, {"Content-Type": "application/json"})])
    assert len(on_clients(server.base_url, kind, lambda c: c.customers.list(), max_response_bytes=len(listing))) == 40
    error = ching_error(
        lambda: on_clients(server.base_url, kind, lambda c: c.customers.list(), max_response_bytes=len(listing) - 1)
    )
    assert isinstance(error, APIResponseError)
    assert f"max_response_bytes ({len(listing) - 1:,} bytes)" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_of_megabytes_gives_a_short_message_and_a_capped_body(raw: Any, kind: Kind):
    issues = [{"path": ["name", "x" * 100], "message": "m" * 200} for _ in range(10_000)]
    envelope = {"success": False, "error": {"code": "C" * 10_000, "message": "huge " * 1_000_000, "issues": issues}}
    body = json.dumps(envelope).encode()  # about 8 MB
    server = raw(lambda: [raw_response(400, body, {"Content-Type": "application/json"})])
    error = ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.create(name="A")))
    assert isinstance(error, BadRequestError)
    assert len(str(error)) < 4000
    assert error.server_message is not None
    assert len(error.server_message) < 1100
    assert error.code is not None
    assert len(error.code) < 200
    assert len(error.issues) == 50
    assert isinstance(error.body, str)
    assert len(error.body) < 65 * 1024


@pytest.mark.parametrize("kind", KINDS)
def test_a_non_json_success_of_megabytes_keeps_a_capped_body(raw: Any, kind: Kind):
    server = raw(lambda: [raw_response(200, b"<html>" + b"x" * (5 * MiB))])
    error = ching_error(lambda: on_clients(server.base_url, kind, lambda c: c.customers.list()))
    assert isinstance(error, APIResponseError)
    assert len(error.body) <= 64 * 1024
    assert len(str(error)) < 1000


# --- upsert_many goes on -----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", KINDS)
async def test_upsert_many_reports_hostile_answers_as_rows_and_goes_on(kind: Kind):
    fake = FakeChing(seed=3)
    deep_body = '{"success":true,"data":' + "[" * 100_000
    fake.faults.add("status", operation="customers_upsert", status=200, body=deep_body, times=3)
    fake.faults.add("status", operation="customers_upsert", status=503, retry_after=HUGE_YEAR, times=3)
    fake.faults.add("status", operation="customers_upsert", status=429, retry_after=HUGE_YEAR, times=3)
    rows = [{"name": f"Row {n}", "email": f"row{n}@example.com"} for n in range(60)]

    if kind == "async":
        async with fake.async_ching(max_retries=0) as ching:
            report = await ching.customers.upsert_many(rows, identify_by="email", concurrency=1)
    else:
        with fake.ching(max_retries=0) as ching:
            report = ching.customers.upsert_many(rows, identify_by="email", concurrency=1)

    assert report.total == 60
    assert {(f.code, f.maybe_applied) for f in report.failures} == {("INVALID_RESPONSE", True), ("HTTP_503", True)}
    assert report.outcome_unknown == 6
    assert report.created == 54
    assert report.rate_limited == 3
