"""Property tests (Hypothesis): the retry policy's promises, and model round trips.

Deterministic for CI: ``derandomize=True`` (examples derive from each test), no example database,
bounded example counts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ching_client import APIResponseError, Ching, Customer, DeletedCustomer, Product
from ching_client._core.retry_policy import (
    INITIAL_DELAY,
    MAX_DELAY,
    RETRY_AFTER_CAP,
    RETRY_ON_SAFE_STATUS,
    Failure,
    backoff,
    decide,
    parse_retry_after,
)
from ching_client._generated.models.customer_list_envelope import CustomerListEnvelope
from ching_client._generated.models.customer_upsert_envelope import CustomerUpsertEnvelope
from ching_client._generated.models.product_envelope import ProductEnvelope
from ching_client._generated.models.product_feature import ProductFeature
from ching_client.testing import DEFAULT_TEST_KEY
from ching_client.testing._spec import shipped_api
from tests.engine import http

CI = settings(max_examples=200, derandomize=True, database=None, deadline=None)
MODEL_EXAMPLES = settings(CI, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
BODY_EXAMPLES = settings(CI, max_examples=50, suppress_health_check=[HealthCheck.too_slow])

attempts = st.integers(min_value=1, max_value=12)
max_retries = st.integers(min_value=0, max_value=10)
remaining = st.floats(min_value=0.0, max_value=3600.0)
rand = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
retry_after = st.none() | st.floats(min_value=0.0, max_value=10_000.0)
#: Every outcome of an attempt that may have reached the server: any status but 429, a timeout, a drop.
maybe_processed = st.one_of(
    st.integers(min_value=100, max_value=599).filter(lambda s: s != 429).map(lambda s: {"status": s}),
    st.sampled_from([Failure.TIMED_OUT, Failure.DROPPED]).map(lambda f: {"failure": f}),
)


# --- the retry policy -------------------------------------------------------------------------------


@CI
@given(attempts, max_retries, remaining, maybe_processed, retry_after, rand)
def test_an_unsafe_request_is_never_retried_once_it_may_have_been_processed(
    attempt: int, retries: int, left: float, outcome: dict[str, Any], after: float | None, r: float
):
    decision = decide(
        safe_to_repeat=False,
        attempt=attempt,
        max_retries=retries,
        remaining=left,
        retry_after=after,
        rand=lambda: r,
        **outcome,
    )
    assert decision.retry is False


@CI
@given(st.booleans(), attempts, max_retries, remaining, rand)
def test_a_request_that_never_left_or_was_rate_limited_is_retried_while_retries_and_time_remain(
    safe: bool, attempt: int, retries: int, left: float, r: float
):
    for outcome in ({"failure": Failure.NOT_SENT}, {"status": 429}):
        decision = decide(
            safe_to_repeat=safe, attempt=attempt, max_retries=retries, remaining=left, rand=lambda: r, **outcome
        )
        assert decision.retry is (attempt <= retries and decision.delay < left)


@CI
@given(st.booleans(), st.integers(min_value=400, max_value=499).filter(lambda s: s not in (408, 429)), attempts)
def test_other_client_errors_are_never_retried(safe: bool, status: int, attempt: int):
    decision = decide(safe_to_repeat=safe, attempt=attempt, max_retries=10, remaining=3600.0, status=status)
    assert decision.retry is False


@CI
@given(st.booleans(), attempts, max_retries, remaining, st.integers(min_value=100, max_value=599), rand)
def test_delays_stay_within_bounds(safe: bool, attempt: int, retries: int, left: float, status: int, r: float):
    decision = decide(
        safe_to_repeat=safe, attempt=attempt, max_retries=retries, remaining=left, status=status, rand=lambda: r
    )
    base = min(MAX_DELAY, INITIAL_DELAY * 2.0 ** (attempt - 1))
    if decision.retry:
        assert 0.75 * base <= decision.delay <= base <= MAX_DELAY
        assert decision.delay < left  # a retry never sleeps past the call's deadline
    assert 0.75 * base <= backoff(attempt, lambda: r) <= base


@CI
@given(st.booleans(), attempts, st.floats(min_value=0.0, max_value=10 * RETRY_AFTER_CAP), remaining, rand)
def test_retry_after_is_respected_up_to_the_cap(safe: bool, attempt: int, after: float, left: float, r: float):
    decision = decide(
        safe_to_repeat=safe,
        attempt=attempt,
        max_retries=attempt,
        remaining=left,
        status=429,
        retry_after=after,
        rand=lambda: r,
    )
    wait = after if after > 0 else backoff(attempt, lambda: r)  # 0 asks for no wait at all: back off instead
    if after > RETRY_AFTER_CAP or wait >= left:
        assert decision.retry is False  # over the cap, or past the deadline: give up rather than wait
    else:
        assert decision.retry is True
        assert decision.delay == wait


@CI
@given(st.booleans(), max_retries, st.sampled_from([*sorted(RETRY_ON_SAFE_STATUS), 429, None]))
def test_a_call_makes_at_most_max_retries_plus_one_attempts(safe: bool, retries: int, status: int | None):
    attempt = 1
    outcome: dict[str, Any] = {"status": status} if status is not None else {"failure": Failure.NOT_SENT}
    while decide(safe_to_repeat=safe, attempt=attempt, max_retries=retries, remaining=1e9, **outcome).retry:
        attempt += 1
        assert attempt <= retries + 1


@CI
@given(st.integers(min_value=0, max_value=10**6))
def test_retry_after_in_seconds_is_read_exactly(seconds: int):
    assert parse_retry_after(str(seconds), now=0.0) == float(seconds)
    assert parse_retry_after(f"  {seconds} ", now=0.0) == float(seconds)


@CI
@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)),
    st.floats(min_value=9.4e8, max_value=4.1e9),
)
def test_retry_after_as_an_http_date_is_the_wait_until_then(when: dt.datetime, now: float):
    wait = parse_retry_after(format_datetime(when.replace(microsecond=0), usegmt=True), now=now)
    assert wait is not None
    assert wait == pytest.approx(max(0.0, when.replace(microsecond=0).timestamp() - now), abs=1e-6)


@CI
@given(st.text(max_size=40))
def test_any_retry_after_text_gives_a_finite_wait_or_none(value: str):
    wait = parse_retry_after(value, now=1_776_590_000.0)
    assert wait is None or (math.isfinite(wait) and wait >= 0)


# --- model round trips ---------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
texts = st.text(max_size=30)
metadata = st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=4)
instants = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
).map(lambda when: when.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def extras(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Fields a future Ching might add: any names but the declared ones, any JSON values."""
    return st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in known), json_values, max_size=3)


KNOWN: dict[int, set[str]] = {}


def with_extras(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the declared ``fields`` plus unknown ones."""
    strategy = st.tuples(st.fixed_dictionaries(fields), extras(set(fields))).map(lambda pair: {**pair[1], **pair[0]})
    KNOWN[id(strategy)] = set(fields)
    return strategy


#: Envelope facts no schema type states: a success says ``success: true``, a tombstone ``deleted: true``.
CONSTANT = {"success": st.just(True), "deleted": st.just(True)}


def _value(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one property of the shipped spec, by its type; enums also take values Ching may add later."""
    api = shipped_api()
    node = api.deref(node)
    kinds: list[str] = node["type"] if isinstance(node.get("type"), list) else [str(node.get("type"))]
    base: st.SearchStrategy[Any]
    if node.get("enum"):
        base = st.sampled_from([*node["enum"], f"{node['enum'][0]}_v2"])
    elif "array" in kinds:
        base = st.lists(_value(node["items"]), max_size=3)
    elif "object" in kinds and "properties" in node:
        base = _object(node)
    elif "object" in kinds:  # metadata: string keys and values
        base = metadata
    elif node.get("format") == "date-time":
        base = instants
    elif "boolean" in kinds:
        base = st.booleans()
    elif "integer" in kinds:
        base = st.integers()
    else:
        base = texts
    return st.none() | base if "null" in kinds else base


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the schema's required fields (as the spec describes each) plus unknown ones."""
    api = shipped_api()
    properties = api.properties(schema)
    return with_extras(
        {name: CONSTANT[name] if name in CONSTANT else _value(properties[name]) for name in api.required(schema)}
    )


def wire_of(schema_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Ching's wire form of a component schema, derived from the spec the package was generated from."""
    return _object({"$ref": f"#/components/schemas/{schema_name}"})


customer_wire, product_wire = wire_of("Customer"), wire_of("Product")
CUSTOMER_FIELDS, PRODUCT_FIELDS = KNOWN[id(customer_wire)], KNOWN[id(product_wire)]


MODELS: list[tuple[str, type, st.SearchStrategy[dict[str, Any]]]] = [
    (model.__name__, model, wire_of(model.__name__))
    for model in (
        Customer,
        Product,
        ProductFeature,
        DeletedCustomer,
        CustomerUpsertEnvelope,
        CustomerListEnvelope,
        ProductEnvelope,
    )
]


def _same_wire(left: Any, right: Any) -> bool:
    """Equal as JSON, with timestamps compared as instants (``Z`` and ``+00:00`` name the same one)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same_wire(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same_wire(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, str) and isinstance(right, str) and left != right:
        try:
            return dt.datetime.fromisoformat(left) == dt.datetime.fromisoformat(right)
        except ValueError:
            return False
    return bool(left == right)


@pytest.mark.parametrize(("name", "model", "wire"), MODELS, ids=[m[0] for m in MODELS])
def test_models_round_trip_and_keep_unknown_fields(name: str, model: Any, wire: st.SearchStrategy[dict[str, Any]]):
    @MODEL_EXAMPLES
    @given(wire)
    def round_trip(data: dict[str, Any]) -> None:
        parsed = model.from_dict(data)
        assert model.from_dict(parsed.to_dict()) == parsed
        assert model.from_dict(json.loads(json.dumps(parsed.to_dict()))) == parsed
        assert _same_wire(parsed.to_dict(), data)  # unknown fields and unknown enum values included
        unknown = {key: value for key, value in data.items() if key not in KNOWN[id(wire)]}
        assert parsed.additional_properties == unknown

    round_trip()


# --- any 200 body: a result or APIResponseError, never another exception -------------------------------


class _Replay:
    """An httpx handler that answers 200 with whatever body the test sets."""

    def __init__(self) -> None:
        self.body = b""

    def __call__(self, request: http.Request) -> http.Response:
        return http.Response(200, content=self.body, headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def replay() -> Iterator[tuple[_Replay, Ching]]:
    handler = _Replay()
    transport = http.MockTransport(handler)
    with Ching(api_key=DEFAULT_TEST_KEY, http_client=http.Client(transport=transport), max_retries=0) as ching:
        yield handler, ching


CALLS: dict[str, Callable[[Ching], Any]] = {
    "customers.create": lambda c: c.customers.create(name="A"),
    "customers.list": lambda c: c.customers.list(),
    "customers.retrieve": lambda c: c.customers.retrieve("cus_1"),
    "customers.update": lambda c: c.customers.update("cus_1", name="B"),
    "customers.upsert": lambda c: c.customers.upsert(identify_by="email", email="a@b.c"),
    "customers.delete": lambda c: c.customers.delete("cus_1"),
    "products.create": lambda c: c.products.create(name="P"),
    "products.list": lambda c: c.products.list(),
    "products.retrieve": lambda c: c.products.retrieve("prod_1"),
    "products.update": lambda c: c.products.update("prod_1", active=False),
    "products.upload_image": lambda c: c.products.upload_image(content=b"\x89PNG"),
}
#: Plausible but broken bodies: the right envelope around valid objects with one field removed or
#: replaced by any JSON value, or anything else at all.
field_names = st.sampled_from(sorted({*CUSTOMER_FIELDS, *PRODUCT_FIELDS, "url"})) | st.text(max_size=15)
mangled = st.one_of(
    st.tuples(st.one_of(customer_wire, product_wire), field_names, json_values).map(
        lambda t: {"success": True, "action": "created", "data": {**t[0], t[1]: t[2]}}
    ),
    st.tuples(customer_wire, st.sampled_from(sorted(CUSTOMER_FIELDS))).map(
        lambda t: {"success": True, "data": {k: v for k, v in t[0].items() if k != t[1]}}
    ),
    st.fixed_dictionaries({"success": st.just(True), "data": json_values}),
    json_values,
)


@pytest.mark.parametrize("operation", list(CALLS))
def test_any_200_body_gives_a_result_or_api_response_error(replay: tuple[_Replay, Ching], operation: str):
    handler, ching = replay

    @BODY_EXAMPLES
    @given(mangled)
    def answer(body: Any) -> None:
        handler.body = json.dumps(body).encode()
        try:
            CALLS[operation](ching)
        except APIResponseError as exc:
            error = exc
        else:
            return
        assert "returned 200 with" in str(error)

    answer()
