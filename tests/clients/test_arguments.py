"""Arguments are checked before anything is sent; ids always land in exactly one path segment."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import pytest

from ching_client import InvalidArgumentError

from ._support import ID_OPS, OPS_BY_NAME, PNG_BYTES, Harness, Op, ScriptedServer, op_id

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "bad_id",
    ["", ".", "..", "a/b", "../products", "./cus_1", "a\\b"],
    ids=["empty", "dot", "dotdot", "slash", "dotdot-slash", "dot-slash", "backslash"],
)
@pytest.mark.parametrize("op", ID_OPS, ids=op_id)
async def test_ids_that_would_change_the_route_are_refused(
    harness: Harness, server: ScriptedServer, op: Op, bad_id: str
):
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(op.bind(harness.client()), bad_id, **op.kwargs)
    assert caught.value.argument == "id"
    assert op.name in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert server.count == 0


@pytest.mark.parametrize("op", ID_OPS, ids=op_id)
async def test_an_id_naming_a_sibling_operation_is_refused(harness: Harness, server: ScriptedServer, op: Op):
    sibling = "upsert" if "customers" in op.path else "upload_image"
    with pytest.raises(InvalidArgumentError, match="not a valid id"):
        await harness.call(op.bind(harness.client()), sibling, **op.kwargs)
    assert server.count == 0


@pytest.mark.parametrize("bad_id", [None, 42, b"cus_1"], ids=["none", "int", "bytes"])
async def test_an_id_must_be_a_string(harness: Harness, server: ScriptedServer, bad_id: object):
    with pytest.raises(InvalidArgumentError):
        await harness.call(harness.client().customers.retrieve, bad_id)
    assert server.count == 0


ODD_IDS = [
    pytest.param("x?y=1", id="query"),
    pytest.param("x#y", id="fragment"),
    pytest.param("...", id="three-dots"),
    pytest.param("50%off", id="percent"),
    pytest.param("%2F", id="encoded-slash"),
    pytest.param("cus 1", id="space"),
    pytest.param("לקוח_1", id="hebrew"),
    pytest.param("emoji_\U0001f600", id="emoji"),
    pytest.param("a" * 10_000, id="10k-chars"),
]


@pytest.mark.parametrize("odd_id", ODD_IDS)
@pytest.mark.parametrize("op", ID_OPS, ids=op_id)
async def test_any_other_id_reaches_exactly_one_encoded_segment(
    harness: Harness, server: ScriptedServer, op: Op, odd_id: str
):
    server.script(op.reply)
    await harness.call(op.bind(harness.client()), odd_id, **op.kwargs)
    [request] = server.requests
    before, _, after = op.template.partition("{id}")  # /v1/customers/{id}, /v1/customers/{id}/invoices
    prefix, suffix = f"/ching{before}".encode(), after.encode()
    assert request.url.raw_path == prefix + quote(odd_id, safe="").encode("ascii") + suffix
    segment = request.url.raw_path[len(prefix) : len(request.url.raw_path) - len(suffix)].decode("ascii")
    assert not set("/?#") & set(segment)
    assert unquote(segment) == odd_id
    assert request.url.query == b""
    assert request.url.fragment == ""


WRONG_ARGUMENTS = [
    ("customers.create", {"name": 42}, "name"),
    ("customers.create", {"name": ""}, "name"),
    ("customers.create", {"name": None}, "name"),
    ("customers.create", {"name": "Noa", "email": ["a@b.c"]}, "email"),
    ("customers.create", {"name": "Noa", "metadata": {"a": 1}}, "metadata"),
    ("customers.create", {"name": "Noa", "metadata": {1: "a"}}, "metadata"),
    ("customers.create", {"name": "Noa", "metadata": [("a", "b")]}, "metadata"),
    ("customers.upsert", {"identify_by": "name", "name": "Noa"}, "identify_by"),
    ("customers.upsert", {"identify_by": "tax_id", "tax_id": "1"}, "identify_by"),
    ("customers.upsert", {"identify_by": None, "email": "a@b.c"}, "identify_by"),
    ("customers.update", {"phone": 972501234567}, "phone"),
    ("customers.update", {"locale": b"he"}, "locale"),
    ("products.create", {"name": "P", "features": [{}]}, "features[0]"),
    ("products.create", {"name": "P", "features": [{"title": "A"}, {"subtitle": "no title"}]}, "features[1]"),
    ("products.create", {"name": "P", "features": "Fast"}, "features"),
    ("products.create", {"name": "P", "features": {"title": "A"}}, "features"),
    ("products.create", {"name": "P", "features": ["Fast"]}, "features[0]"),
    ("products.update", {"active": "false"}, "active"),
    ("products.update", {"active": 0}, "active"),
    ("products.update", {"features": [None]}, "features[0]"),
    ("products.upload_image", {"content": "aGVsbG8="}, "content"),
    ("products.upload_image", {"content": b""}, "content"),
    ("products.upload_image", {"content": b"\0" * 2_097_152}, "content"),
    ("products.upload_image", {"content": PNG_BYTES, "content_type": "image/bmp"}, "content_type"),
    ("products.upload_image", {"content": PNG_BYTES, "filename": "logo.png"}, "filename"),
    ("products.upload_image", {"content": PNG_BYTES, "filename": "x" * 49}, "filename"),
    ("products.upload_image", {"content": PNG_BYTES, "filename": ""}, "filename"),
]


@pytest.mark.parametrize(
    ("op_name", "kwargs", "argument"),
    WRONG_ARGUMENTS,
    ids=[f"{op}-{arg}-{i}" for i, (op, _, arg) in enumerate(WRONG_ARGUMENTS)],
)
async def test_wrong_arguments_are_refused_before_sending(
    harness: Harness, server: ScriptedServer, op_name: str, kwargs: dict[str, Any], argument: str
):
    await _refused(harness, server, op_name, kwargs, argument)


async def _refused(
    harness: Harness, server: ScriptedServer, op_name: str, kwargs: dict[str, Any], argument: str
) -> InvalidArgumentError:
    """The error calling ``op_name`` with ``kwargs`` raised, checked to name ``argument``; nothing was sent."""
    op = OPS_BY_NAME[op_name]
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(op.bind(harness.client()), *op.args, **kwargs)
    exc = caught.value
    assert exc.argument == argument
    assert str(exc).startswith(f"{op_name}: {argument}")
    assert server.count == 0
    return exc


NONE_FOR_NOT_NULLABLE = [
    ("customers.upsert", {"identify_by": "email", "email": "tal@example.com", "phone": None}, "phone"),
    ("customers.update", {"email": None}, "email"),
    ("customers.create", {"name": "Noa", "metadata": None}, "metadata"),
    ("products.create", {"name": "P", "features": None}, "features"),
    ("products.upload_image", {"content": PNG_BYTES, "content_type": None}, "content_type"),
]


@pytest.mark.parametrize(
    ("op_name", "kwargs", "argument"),
    NONE_FOR_NOT_NULLABLE,
    ids=[f"{op}-{arg}" for op, _, arg in NONE_FOR_NOT_NULLABLE],
)
async def test_none_for_a_field_ching_cannot_null_says_to_leave_it_out(
    harness: Harness, server: ScriptedServer, op_name: str, kwargs: dict[str, Any], argument: str
):
    exc = await _refused(harness, server, op_name, kwargs, argument)
    assert str(exc).startswith(f"{op_name}: {argument}: cannot be None: Ching cannot set this field to null.")
    assert "leave the argument out or pass UNSET" in str(exc)
    assert 'upsert_many rows read None as "not sent"' in str(exc)


async def test_the_largest_image_is_accepted(harness: Harness, server: ScriptedServer):
    op = OPS_BY_NAME["products.upload_image"]
    server.script(op.reply)
    await harness.call(op.bind(harness.client()), content=b"\0" * 2_097_151)
    assert server.count == 1
