"""A 2xx whose body drifts from the spec never hides a write.

Every operation the SDK was generated with gets a success envelope (``success: true``) whose object
lacks a field the spec lists as required:

- a strict field (required, not nullable, no default: ``created``, ``deleted``, ``url``): a write
  raises ``WriteAppliedError`` with the object's id and data, sent once whatever ``max_retries``
  says; a GET raises a plain ``APIResponseError``;
- a nullable field (``email``, ``description``): the call succeeds, the field reads as None, and
  one WARNING names the model and the field, however many answers lack it.

``upsert_many`` counts rows whose answers lack a strict field as applied.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from ching_client import APIResponseError, ChingError, CustomersUpsertResult, WriteAppliedError
from ching_client._generated import models as generated_models
from ching_client._runtime import absent
from tests.engine import http

from ._support import CUSTOMER, OPS_BY_NAME, Harness, Op, ScriptedServer, generated_endpoints, ok

pytestmark = pytest.mark.anyio

RETRIES = 5  # generous: none of them may be used


ENDPOINTS = generated_endpoints()
NAMES = [m.OPERATION.operation_id.replace("_", ".", 1) for m in ENDPOINTS]


def test_every_generated_operation_is_driven():
    assert sorted(NAMES) == sorted(OPS_BY_NAME), "add the new operation to tests/clients/_support.py OPS"


def _data_schema(endpoint: ModuleType) -> tuple[dict[str, Any], bool]:
    """The schema of the object in the operation's envelope ``data`` (a list's item), and whether it is a list."""
    envelope = json.loads(endpoint.parse.__self__._json_schema)
    node = envelope["properties"]["data"]
    listed = node.get("type") == "array"
    node = node["items"] if listed else node
    node = node.get("oneOf", [node])[0]  # a union (a customer or its tombstone): its first kind
    if "$ref" in node:
        node = json.loads(getattr(generated_models, node["$ref"].rsplit("/", 1)[1])._json_schema)
    return node, listed


def _nullable(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return isinstance(kind, list) and "null" in kind


def _field(endpoint: ModuleType, strict: bool) -> str | None:
    """The first required field of the data's object that is strict (not nullable, no default), or nullable."""
    schema, _ = _data_schema(endpoint)
    for name in schema.get("required", []):
        node = schema["properties"][name]
        if name != "id" and "default" not in node and _nullable(node) != strict:
            return str(name)
    return None


def _drifted(op: Op, field: str) -> tuple[dict[str, Any], Any]:
    """The op's success envelope with ``field`` removed from its object (each object of a list)."""
    response = op.reply(http.Request(op.http_method, "https://api.ching.co.il/ching" + op.path))
    assert isinstance(response, http.Response)
    envelope = json.loads(response.content)
    data = envelope["data"]
    for item in data if isinstance(data, list) else [data]:
        del item[field]
    return envelope, data


def _reply(envelope: dict[str, Any]) -> Any:
    data = envelope["data"]
    return ok(data, **{k: v for k, v in envelope.items() if k not in ("success", "data")})


STRICT = [pytest.param(m, id=name) for m, name in zip(ENDPOINTS, NAMES, strict=True) if _field(m, strict=True)]
NULLABLE = [pytest.param(m, id=name) for m, name in zip(ENDPOINTS, NAMES, strict=True) if _field(m, strict=False)]


def test_every_operation_has_a_strict_field_to_drop_and_some_a_nullable_one():
    assert len(STRICT) == len(ENDPOINTS)
    assert {p.id for p in NULLABLE} >= {"customers.create", "customers.list", "products.create", "products.retrieve"}


@pytest.mark.parametrize("endpoint", STRICT)
async def test_an_answer_lacking_a_strict_field_never_hides_a_write(
    harness: Harness, server: ScriptedServer, endpoint: ModuleType
):
    operation = endpoint.OPERATION
    op = OPS_BY_NAME[operation.operation_id.replace("_", ".", 1)]
    field = _field(endpoint, strict=True)
    assert field is not None
    envelope, data = _drifted(op, field)
    server.script(_reply(envelope))
    with pytest.raises(ChingError) as caught:
        await harness.run(op, harness.client(max_retries=RETRIES))
    exc = caught.value
    assert server.count == 1  # an answer came: never sent again
    assert isinstance(exc, APIResponseError)
    assert repr(field) in str(exc)  # the field the answer lacks, whichever of a union's shapes it was read as
    if operation.method == "GET":
        assert type(exc) is APIResponseError
        return
    assert type(exc) is WriteAppliedError
    assert f"the documented field {field!r} missing" in str(exc)
    assert (exc.operation, exc.data, exc.status_code, exc.method) == (op.name, data, 200, operation.method)
    assert exc.object_id == (data.get("id") if isinstance(data, dict) else None)
    assert exc.action == envelope.get("action")
    message = str(exc)
    assert "so Ching applied the write" in message
    if exc.object_id is not None:
        assert f"look the object up by its id ({exc.object_id})" in message
    if not operation.safe_to_repeat:
        assert "Do not send it again" in message


@pytest.fixture
def warnings_once() -> Iterator[None]:
    """A fresh "already warned" memory: each test sees the first warning of its process."""
    saved = set(absent._warned)
    absent._warned.clear()
    yield
    absent._warned.clear()
    absent._warned.update(saved)


def _objects(result: Any) -> list[Any]:
    if isinstance(result, CustomersUpsertResult):
        return [result.customer]
    return result if isinstance(result, list) else [result]


@pytest.mark.parametrize("endpoint", NULLABLE)
async def test_an_answer_lacking_a_nullable_field_reads_it_as_none_and_warns_once(
    harness: Harness,
    server: ScriptedServer,
    endpoint: ModuleType,
    warnings_once: None,
    caplog: pytest.LogCaptureFixture,
):
    op = OPS_BY_NAME[endpoint.OPERATION.operation_id.replace("_", ".", 1)]
    field = _field(endpoint, strict=False)
    assert field is not None
    envelope, _ = _drifted(op, field)
    server.script(_reply(envelope))
    client = harness.client(max_retries=RETRIES)
    caplog.set_level(logging.WARNING, logger="ching_client")
    results = [await harness.run(op, client) for _ in range(3)]
    assert server.count == 3
    attribute = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", field).lower()
    for result in results:
        assert op.check(result), result
        assert [getattr(obj, attribute) for obj in _objects(result)] == [None] * len(_objects(result))
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    model = type(_objects(results[0])[0]).__name__
    assert [r.getMessage().split(":")[0] for r in warned] == [f"{model}.{field}"]
    assert "lacks this field" in warned[0].getMessage()
    assert "the spec may be ahead of the server" in warned[0].getMessage().lower()


async def test_upsert_many_counts_rows_whose_answers_lack_a_strict_field_as_applied(
    harness: Harness, server: ScriptedServer
):
    lacking = {k: v for k, v in CUSTOMER.items() if k != "created"}
    server.script(
        ok(lacking, action="created"),
        ok(lacking, action="updated"),
        ok(lacking),  # no action either: applied, but created or updated is unknown
        ok(CUSTOMER, action="updated"),
    )
    rows = [{"email": f"row{i}@example.com", "name": "Row"} for i in range(4)]
    client = harness.client(max_retries=RETRIES)
    report = await harness.call(client.customers.upsert_many, rows, identify_by="email", concurrency=1)
    assert server.count == 4
    assert report.failures == ()
    assert (report.created, report.updated, report.created_or_updated, report.failed) == (1, 2, 1, 0)
    assert report.outcome_unknown == 0


@pytest.mark.parametrize("endpoint", NULLABLE)
async def test_an_answer_lacking_a_nullable_field_still_keeps_fields_ching_added(
    harness: Harness, server: ScriptedServer, endpoint: ModuleType, warnings_once: None
):
    # A server behind the spec that also sends a field newer than the SDK: the missing field reads as None
    # and the new one is kept, as in any other answer (it was dropped when a field was missing).
    op = OPS_BY_NAME[endpoint.OPERATION.operation_id.replace("_", ".", 1)]
    field = _field(endpoint, strict=False)
    assert field is not None
    envelope, data = _drifted(op, field)
    for item in data if isinstance(data, list) else [data]:
        item["zz_new_field"] = {"added": "later"}
    server.script(_reply(envelope))
    result = await harness.run(op, harness.client())
    assert [obj["zz_new_field"] for obj in _objects(result)] == [{"added": "later"}] * len(_objects(result))
    assert all(obj.to_dict()["zz_new_field"] == {"added": "later"} for obj in _objects(result))


def test_a_union_answer_names_what_each_shape_lacks() -> None:
    """A retrieve answers a customer or a tombstone: a customer lacking ``created`` is reported as that, not as a
    tombstone lacking ``deleted`` (the last shape tried)."""
    from ching_client._core.response import success
    from ching_client._generated.api.customers import customers_retrieve
    from ching_client.testing import envelopes

    customer = envelopes.customer(id="cus_1")
    del customer["created"]
    body = json.dumps({"success": True, "data": customer}).encode()
    with pytest.raises(APIResponseError) as caught:
        success(customers_retrieve.OPERATION, "/v1/customers/cus_1", 200, body, customers_retrieve.parse)
    assert "Customer lacks 'created'; DeletedCustomer lacks 'deleted'" in caught.value.message
