"""The fault matrix: every operation x every fault x both clients, over real loopback sockets.

Each cell calls one operation on a ``Ching`` or an ``AsyncChing`` (asyncio) built the way users
build it (``api_key=``, ``base_url=``; one of each per module, as one client serves an application)
against the local Ching served by uvicorn on 127.0.0.1, with one fault in the way, and asserts:

- attempts: how many requests reached the server (the fake's request log) and how many the SDK
  made (its INFO log), exactly as ``x-ching-safe-to-repeat`` and the retry policy say;
- the error: its exact ``ChingError`` class and what its message says (or a successful result);
- the server's state: whether the write happened, and never more than once (the fake's counts);
- the deadline: the call returned within its ``timeout``.

A second table replays every retried cell with a fault that happens once: the call succeeds on
the second attempt and the write is visible exactly once.

Faults come from the fake (``server.fake.faults.add``), except connection refused (a port bound
and closed) and connect timeout (a listener with a full accept queue: see ``_support.blackhole``).
The last six rows need answers the fake never gives on its own; they use the fake's ``status``
fault with ``status=200`` and a custom ``body=``, so they too travel over the socket.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from ching_client import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    Ching,
    ChingError,
    CustomersUpsertResult,
    InternalServerError,
    RateLimitError,
    Timeout,
    WriteAppliedError,
    WriteOutcomeUnknownError,
)
from ching_client._core import config as _config
from ching_client._generated import api as generated_api
from ching_client.testing import FakeServer

from ._support import KEY, KINDS, OPS, Clients, Ctx, Kind, Op, count_attempts, last_seq, set_up

MAX_RETRIES = 2  # the client default
CALL_TIMEOUT = 5.0
READ_TIMEOUT_CALL = 0.2  # the server answers after SLOW_ANSWER; the call's deadline passes first
CONNECT_TIMEOUT = 0.05  # patched down from 5 s so that a connect timeout leaves room to retry
# Scheduling and socket teardown after the deadline fires, on a busy CI machine: seconds, far above scheduling noise.
DEADLINE_SLACK = 3.0
# Far later than a deadline plus its slack: a call that waited for the answer cannot pass for one that kept it.
SLOW_ANSWER = 30.0
# How long to wait for the server to log requests a call sent before it gave up: its thread may lag on a busy machine.
LOG_WAIT = 10.0


@dataclass(frozen=True)
class Expect:
    """What a cell must end with: an exact ChingError class and message fragments, or success."""

    error: type[ChingError] | None
    says: tuple[str, ...] = ()
    check: Callable[[Any], bool] | None = None  # on the error, or on the result when it succeeds


Retried = Literal["always", "if-safe", "never"]
Target = Literal["server", "refused", "blackhole"]


@dataclass(frozen=True)
class Fault:
    """One row of the matrix: how to cause the fault, and what every operation must do about it."""

    name: str
    target: Target
    #: Register the fault with the fake for ``op`` (``times=None``: on every attempt).
    install: Callable[[FakeServer, Op, Ctx, int | None], None] | None
    retried: Retried
    #: Whether a request that reaches the server is applied there (the fake applies, then loses the answer).
    applied: bool
    safe: Expect
    unsafe: Expect
    timeout: float = CALL_TIMEOUT
    #: Replayed in the second table as a one-off fault (only meaningful for retried, server-side faults).
    transient: bool = False
    #: What every operation but a GET must end with, when a write differs from a read of the same safety.
    write: Expect | None = None

    def retries(self, op: Op) -> bool:
        return self.retried == "always" or (self.retried == "if-safe" and op.safe)

    def expect(self, op: Op) -> Expect:
        if self.write is not None and op.method != "GET":
            return self.write
        return self.safe if op.safe else self.unsafe

    @property
    def reaches_server(self) -> bool:
        return self.target == "server"


def _fault(kind: str, **options: Any) -> Callable[[FakeServer, Op, Ctx, int | None], None]:
    def install(server: FakeServer, op: Op, ctx: Ctx, times: int | None) -> None:
        server.fake.faults.add(kind, operation=op.operation_id, times=times, **options)

    return install


def _body(make: Callable[[Op, Ctx], Any]) -> Callable[[FakeServer, Op, Ctx, int | None], None]:
    """A 200 answer with a body of our choosing, through the fake's status fault (nothing is applied)."""

    def install(server: FakeServer, op: Op, ctx: Ctx, times: int | None) -> None:
        body = json.dumps(make(op, ctx))
        server.fake.faults.add("status", status=200, body=body, operation=op.operation_id, times=times)

    return install


def _valid(op: Op, ctx: Ctx) -> dict[str, Any]:
    return {"success": True, **op.envelope, "data": op.data(ctx)}


FUTURE = {"zz_future_field": {"nested": [1, "two", None]}}


def _with_extras(op: Op, ctx: Ctx) -> dict[str, Any]:
    body = _valid(op, ctx)
    data = body["data"]
    for item in data if isinstance(data, list) else [data]:
        item.update(FUTURE)
    return {**body, "zz_envelope_field": True}


ENUM_DRIFT = {"customer": "customer_2027", "product": "product_2027", "created": "merged"}


def _drift(value: str) -> str:
    """The value a later Ching might send instead: ``customer_2027`` for ``customer``, for any kind of object."""
    return ENUM_DRIFT.get(value, f"{value}_2027")


def _with_new_enum_values(op: Op, ctx: Ctx) -> dict[str, Any]:
    body = _valid(op, ctx)
    if "action" in body:
        body["action"] = _drift(body["action"])
    data = body["data"]
    for item in data if isinstance(data, list) else [data]:
        if "object" in item:
            item["object"] = _drift(item["object"])
    return body


def _wrong_shape(op: Op, ctx: Ctx) -> dict[str, Any]:
    data = op.data(ctx)
    return {"success": True, **op.envelope, "data": {"id": "cus_1"} if isinstance(data, list) else ["not", "it"]}


# What a server behind the spec leaves out: the first field of each list that the object has. Strict fields are
# required, not nullable and without a default; nullable ones read as None when absent.
STRICT_FIELDS = ("created", "deleted", "url")
NULLABLE_FIELDS = ("email", "description")


def _lacking(fields: tuple[str, ...]) -> Callable[[Op, Ctx], dict[str, Any]]:
    def make(op: Op, ctx: Ctx) -> dict[str, Any]:
        body = _valid(op, ctx)
        data = body["data"]
        for item in data if isinstance(data, list) else [data]:
            for name in fields:
                if name in item:
                    del item[name]
                    break
        return body

    return make


def _lacks_strict_field(exc: Any) -> bool:
    """The write's id and data are on the error (an image upload's answer has no id)."""
    data = exc.data
    return bool(exc.object_id == data.get("id") and "created" not in data and "deleted" not in data)


def _nullable_fields_read_as_none(result: Any) -> bool:
    return all(getattr(model, name, None) is None for model in _models(result) for name in NULLABLE_FIELDS)


def _models(result: Any) -> list[Any]:
    """The models in a result that carry ``additional_properties`` (an upload returns a plain URL)."""
    if isinstance(result, list):
        return result
    if isinstance(result, CustomersUpsertResult):
        return [result.customer]
    return [] if isinstance(result, str) else [result]


def _keeps_extras(result: Any) -> bool:
    models = _models(result)
    return all(model["zz_future_field"] == FUTURE["zz_future_field"] for model in models) and (
        bool(models) or isinstance(result, str)
    )


def _keeps_enum_values(result: Any) -> bool:
    values = [model.object_ for model in _models(result)]
    if isinstance(result, CustomersUpsertResult):
        values.append(result.action)
    # products.upload_image returns a URL: its response has no enum to drift.
    drifted = all(value in ENUM_DRIFT.values() or value.endswith("_2027") for value in values)
    return drifted and (bool(values) or isinstance(result, str))


def _never_sent(exc: Any) -> bool:
    return exc.may_have_reached_server is False


def _may_have_reached(exc: Any) -> bool:
    return exc.may_have_reached_server is True


def _retry_after_zero(exc: Any) -> bool:
    return bool(exc.retry_after == 0.0 and exc.status_code == 429)


GAVE_UP = f"after {1 + MAX_RETRIES} attempts"
MAY_HAVE_HAPPENED = ("may have been processed", "not retried", "customers.upsert")
NOT_DOCUMENTED = "This is not Ching's documented response"
NOT_RETRIED_NOTE = "not safe to repeat and may have been processed"
APPLIED = "returned 200 with success: true, so Ching applied the write"

FAULTS: list[Fault] = [
    Fault(
        "connection-refused",
        "refused",
        None,
        retried="always",
        applied=False,
        safe=Expect(APIConnectionError, ("the request never left", GAVE_UP, "Check the network"), _never_sent),
        unsafe=Expect(APIConnectionError, ("the request never left", GAVE_UP, "Check the network"), _never_sent),
    ),
    Fault(
        "connect-timeout",
        "blackhole",
        None,
        retried="always",
        applied=False,
        safe=Expect(APIConnectionError, ("the request never left", GAVE_UP), _never_sent),
        unsafe=Expect(APIConnectionError, ("the request never left", GAVE_UP), _never_sent),
        timeout=2.0,
    ),
    Fault(
        "read-timeout",
        "server",
        _fault("latency", latency=SLOW_ANSWER),
        # Each attempt may use what is left of the deadline, so a read timeout leaves no time to retry.
        retried="never",
        applied=True,
        safe=Expect(APITimeoutError, ("no response within the deadline", "deadline"), _may_have_reached),
        unsafe=Expect(WriteOutcomeUnknownError, MAY_HAVE_HAPPENED, lambda exc: exc.timed_out is True),
        timeout=READ_TIMEOUT_CALL,
    ),
    Fault(
        "drop-after-processing",
        "server",
        _fault("drop_after"),
        retried="if-safe",
        applied=True,
        safe=Expect(APIConnectionError, ("the connection dropped", GAVE_UP, "Try again later"), _may_have_reached),
        unsafe=Expect(WriteOutcomeUnknownError, MAY_HAVE_HAPPENED, lambda exc: exc.timed_out is False),
        transient=True,
    ),
    Fault(
        "drop-before-processing",
        "server",
        _fault("drop_before"),
        retried="if-safe",
        applied=False,
        safe=Expect(APIConnectionError, ("the connection dropped", GAVE_UP), _may_have_reached),
        # The client cannot tell this from a drop after processing: it must not guess.
        unsafe=Expect(WriteOutcomeUnknownError, MAY_HAVE_HAPPENED, lambda exc: exc.timed_out is False),
        transient=True,
    ),
    Fault(
        "500",
        "server",
        _fault("status", status=500),
        retried="if-safe",
        applied=False,
        safe=Expect(InternalServerError, ("failed with 500 INTERNAL_ERROR", f"Gave up {GAVE_UP}")),
        unsafe=Expect(InternalServerError, ("failed with 500 INTERNAL_ERROR", NOT_RETRIED_NOTE)),
        transient=True,
    ),
    Fault(
        "502-html",
        "server",
        _fault("status", status=502),
        retried="if-safe",
        applied=False,
        safe=Expect(InternalServerError, ("failed with 502", "502 Bad Gateway", f"Gave up {GAVE_UP}")),
        unsafe=Expect(InternalServerError, ("failed with 502", "502 Bad Gateway", NOT_RETRIED_NOTE)),
        transient=True,
    ),
    Fault(
        "503",
        "server",
        _fault("status", status=503),
        retried="if-safe",
        applied=False,
        safe=Expect(InternalServerError, ("failed with 503", "Service Unavailable", f"Gave up {GAVE_UP}")),
        unsafe=Expect(InternalServerError, ("failed with 503", "Service Unavailable", NOT_RETRIED_NOTE)),
        transient=True,
    ),
    Fault(
        "429-retry-after",
        "server",
        _fault("status", status=429, retry_after="0"),
        retried="always",  # refused before processing: safe to repeat even for a create
        applied=False,
        safe=Expect(
            RateLimitError, ("failed with 429 RATE_LIMITED", "wait 0s", f"Gave up {GAVE_UP}"), _retry_after_zero
        ),
        unsafe=Expect(
            RateLimitError, ("failed with 429 RATE_LIMITED", "wait 0s", f"Gave up {GAVE_UP}"), _retry_after_zero
        ),
        transient=True,
    ),
    Fault(
        "200-malformed-json",
        "server",
        _fault("malformed_json"),
        retried="never",
        applied=True,
        safe=Expect(APIResponseError, ("returned 200 with a body that is not JSON", NOT_DOCUMENTED)),
        unsafe=Expect(APIResponseError, ("returned 200 with a body that is not JSON", NOT_DOCUMENTED)),
    ),
    Fault(
        "200-success-false",
        "server",
        _body(
            lambda op, ctx: {
                "success": False,
                "error": {"status": 500, "code": "INTERNAL_ERROR", "message": "Something broke"},
            }
        ),
        retried="never",
        applied=False,
        safe=Expect(APIResponseError, ("returned 200 with 'success' is False", "INTERNAL_ERROR Something broke")),
        unsafe=Expect(APIResponseError, ("returned 200 with 'success' is False", "INTERNAL_ERROR Something broke")),
    ),
    Fault(
        "200-wrong-shape",
        "server",
        _body(_wrong_shape),
        retried="never",
        applied=False,
        safe=Expect(APIResponseError, ("returned 200 with", "documented shape", NOT_DOCUMENTED)),
        unsafe=Expect(APIResponseError, ("returned 200 with", "documented shape", NOT_DOCUMENTED)),
        # A write answered with success: true happened, whatever shape the rest of the answer has.
        write=Expect(
            WriteAppliedError,
            (APPLIED, "does not have the documented shape"),
            lambda exc: exc.data == ["not", "it"] and exc.object_id is None,
        ),
    ),
    Fault(
        "200-lacking-a-strict-field",
        "server",
        _body(_lacking(STRICT_FIELDS)),
        retried="never",
        applied=False,
        safe=Expect(APIResponseError, ("returned 200 with", "documented", NOT_DOCUMENTED)),
        unsafe=Expect(APIResponseError, ("returned 200 with", "documented", NOT_DOCUMENTED)),
        write=Expect(WriteAppliedError, (APPLIED, "the documented field"), _lacks_strict_field),
    ),
    Fault(
        "200-lacking-a-nullable-field",
        "server",
        _body(_lacking(NULLABLE_FIELDS)),
        retried="never",
        applied=False,
        safe=Expect(None, check=_nullable_fields_read_as_none),
        unsafe=Expect(None, check=_nullable_fields_read_as_none),
    ),
    Fault(
        "200-extra-unknown-fields",
        "server",
        _body(_with_extras),
        retried="never",
        applied=False,
        safe=Expect(None, check=_keeps_extras),
        unsafe=Expect(None, check=_keeps_extras),
    ),
    Fault(
        "200-unknown-enum-value",
        "server",
        _body(_with_new_enum_values),
        retried="never",
        applied=False,
        safe=Expect(None, check=_keeps_enum_values),
        unsafe=Expect(None, check=_keeps_enum_values),
    ),
]
assert len({fault.name for fault in FAULTS}) == len(FAULTS) == 16

CELLS = [
    pytest.param(op, fault, kind, id=f"{op.name}-{fault.name}-{kind}")
    for op in OPS
    for fault in FAULTS
    for kind in KINDS
]
TRANSIENT_CELLS = [
    pytest.param(op, fault, kind, id=f"{op.name}-{fault.name}-once-{kind}")
    for op in OPS
    for fault in FAULTS
    if fault.transient and fault.retries(op)
    for kind in KINDS
]


def _spec_operations() -> dict[str, bool]:
    """Every operation the SDK was generated with, and its ``x-ching-safe-to-repeat``."""
    found: dict[str, bool] = {}
    for info in pkgutil.walk_packages(generated_api.__path__, generated_api.__name__ + "."):
        operation = getattr(importlib.import_module(info.name), "OPERATION", None)
        if operation is not None:
            found[operation.operation_id] = operation.safe_to_repeat
    return found


def test_the_matrix_covers_every_operation_of_the_spec_and_every_fault():
    assert {op.operation_id: op.safe for op in OPS} == _spec_operations()
    assert len(CELLS) == len(OPS) * len(FAULTS) * len(KINDS) == len(_spec_operations()) * 16 * 2
    print(f"\nfault matrix: {len(OPS)} operations x {len(FAULTS)} faults x {len(KINDS)} clients = {len(CELLS)} cells")


def _seen(server: FakeServer, op: Op, since: int, expected: int = 0) -> list[Any]:
    """The requests for ``op`` the server logged; waits (up to ``LOG_WAIT``) for ``expected`` of them.

    A client that timed out may return before the server thread has read (and applied) its request.
    """
    deadline = time.monotonic() + LOG_WAIT
    while True:
        seen = [entry for entry in server.fake.requests.since(since) if entry.operation_id == op.operation_id]
        if len(seen) >= expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.01)


def _check_error(exc: BaseException | None, expect: Expect, op: Op, ctx: Ctx) -> None:
    assert expect.error is not None
    assert exc is not None, f"expected {expect.error.__name__}, but the call succeeded"
    assert type(exc) is expect.error, f"expected {expect.error.__name__}, got {type(exc).__name__}: {exc}"
    message = str(exc)
    for fragment in (f"{op.method} {op.path(ctx)}", *expect.says):
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if expect.check is not None:
        assert expect.check(exc), f"{type(exc).__name__} attributes: {vars(exc)}"


@pytest.mark.parametrize(("op", "fault", "kind"), CELLS)
def test_fault_matrix(
    server: FakeServer,
    inspector: Ching,
    clients_at: Callable[[str], Clients],
    monkeypatch: pytest.MonkeyPatch,
    op: Op,
    fault: Fault,
    kind: Kind,
):
    ctx = set_up(op, inspector, tag=f"cell-{kind}")
    before = server.fake.counts(KEY)
    since = last_seq(server)
    if fault.install is not None:
        fault.install(server, op, ctx, None)
    timeout: Timeout | float | None = fault.timeout
    if fault.target == "blackhole":
        # The SDK's connect timeout is 5 s; shorten it so that a connect timeout leaves time to retry.
        timeout = Timeout(total=fault.timeout or Timeout().total, connect=CONNECT_TIMEOUT)
    with count_attempts() as attempts:
        outcome = clients_at(fault.target).call(kind, op, ctx, timeout=timeout)
    server.fake.faults.clear()

    # Retried or not, exactly as the policy says.
    expected_attempts = 1 + MAX_RETRIES if fault.retries(op) else 1
    assert len(attempts) == expected_attempts, attempts
    seen = _seen(server, op, since, expected_attempts if fault.reaches_server else 0)
    assert len(seen) == (expected_attempts if fault.reaches_server else 0)
    assert [e.headers.get("x-ching-retry-count") for e in seen] == [None, "1", "2"][: len(seen)]

    # The right error with a useful message, or a result that kept what it did not know.
    expect = fault.expect(op)
    if expect.error is None:
        assert outcome.error is None, repr(outcome.error)
        assert op.returns is not None
        assert isinstance(outcome.result, op.returns)
        assert expect.check is not None
        assert expect.check(outcome.result), outcome.result
    else:
        _check_error(outcome.error, expect, op, ctx)

    # The server's state: the write happened as often as the fault allows, and never twice.
    if op.effect is not None:
        landed = op.effect(server.fake, inspector, ctx)
        assert landed == (1 if fault.applied and fault.reaches_server else 0)
    else:
        assert server.fake.counts(KEY) == before

    # Within the call's deadline.
    assert outcome.elapsed < fault.timeout + (DEADLINE_SLACK if fault.timeout < CALL_TIMEOUT else 0)


@pytest.mark.parametrize(("op", "fault", "kind"), TRANSIENT_CELLS)
def test_a_fault_that_happens_once_is_retried_and_the_write_lands_once(
    server: FakeServer, inspector: Ching, clients_at: Callable[[str], Clients], op: Op, fault: Fault, kind: Kind
):
    ctx = set_up(op, inspector, tag=f"once-{kind}")
    since = last_seq(server)
    assert fault.install is not None
    fault.install(server, op, ctx, 1)
    outcome = clients_at("server").call(kind, op, ctx, timeout=CALL_TIMEOUT)
    assert outcome.error is None, repr(outcome.error)
    assert op.returns is not None
    assert isinstance(outcome.result, op.returns)
    seen = _seen(server, op, since)
    assert [e.fault is not None for e in seen] == [True, False]
    assert [e.headers.get("x-ching-retry-count") for e in seen] == [None, "1"]
    if op.effect is not None:
        assert op.effect(server.fake, inspector, ctx) == 1
    assert outcome.elapsed < CALL_TIMEOUT


UNSAFE_OPS = [op for op in OPS if not op.safe]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", [*UNSAFE_OPS, OPS[1]], ids=lambda op: op.name)
def test_a_connect_timeout_that_uses_up_the_deadline_is_never_may_have_happened(
    server: FakeServer, inspector: Ching, clients_at: Callable[[str], Clients], op: Op, kind: Kind
):
    """With the default 5 s connect timeout and a shorter call deadline, the deadline ends the connect.

    The request never left, so even for a create the error must say so: not ``WriteOutcomeUnknownError``.
    """
    ctx = set_up(op, inspector, tag=f"deadline-{kind}")
    outcome = clients_at("blackhole").call(kind, op, ctx, timeout=0.3)
    exc = outcome.error
    assert isinstance(exc, APIConnectionError), repr(exc)
    assert not isinstance(exc, WriteOutcomeUnknownError), f"{type(exc).__name__}: {exc}"
    assert exc.may_have_reached_server is False, f"{type(exc).__name__}: {exc}"
    assert outcome.elapsed < 0.3 + DEADLINE_SLACK < _config.DEFAULT_CONNECT_TIMEOUT  # cut short, however busy
