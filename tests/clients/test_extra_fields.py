"""``extra_query=`` and ``extra_body=`` on every operation: sent by wire name, merged over the method's own fields,
checked before anything is sent.

Each test runs on ``AsyncChing`` (asyncio and trio) and ``Ching``, against the local Ching or a scripted server;
``make test`` runs them on both engines.
"""

from __future__ import annotations

from typing import Any

import pytest

from ching_client import BadRequestError, InvalidArgumentError
from ching_client.testing import FakeChing

from ._support import CUSTOMER, OPS, Harness, Op, ScriptedServer, ok, op_id

pytestmark = pytest.mark.anyio

BODY_OPS = [op for op in OPS if op.body is not None]
BODILESS_OPS = [op for op in OPS if op.body is None]


@pytest.mark.parametrize("op", BODY_OPS, ids=op_id)
async def test_extra_body_is_merged_last_over_the_methods_own_fields(harness: Harness, server: ScriptedServer, op: Op):
    server.script(op.reply)
    first = next(iter(op.body))  # a field the method itself sends
    await harness.run(op, harness.client(), extra_body={first: "replaced", "notInTheSpec": [1, {"a": None}]})
    assert server.body() == {**op.body, first: "replaced", "notInTheSpec": [1, {"a": None}]}


@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_extra_query_is_added_to_every_operation(harness: Harness, server: ScriptedServer, op: Op):
    server.script(op.reply)
    await harness.run(op, harness.client(), extra_query={"expand": ["a", "b c"], "limit": 5, "beta": True, "x": None})
    assert server.requests[0].url.query == b"expand=a&expand=b%20c&limit=5&beta=true"
    assert server.body() == op.body


async def test_extra_body_reaches_the_local_ching_which_checks_it(harness: Harness):
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        customer = await harness.call(ching.customers.create, name="Tal", extra_body={"nickname": "T"})
        assert fake.requests.entries()[-1].body == {"name": "Tal", "nickname": "T"}
        # Merged over the method's own `name`: the local Ching refuses the empty name it then receives.
        with pytest.raises(BadRequestError) as caught:
            await harness.call(ching.customers.update, customer.id, name="Tal", extra_body={"name": ""})
        raw = await harness.call(
            ching.customers.with_raw_response.update, customer.id, extra_body={"taxId": "515123456"}
        )
    assert caught.value.issues == [{"path": ["name"], "message": "String must contain at least 1 character(s)"}]
    assert raw.parse().tax_id == "515123456"


async def test_extra_query_reaches_the_local_ching(harness: Harness):
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        await harness.call(ching.customers.list, extra_query={"limit": 3, "email": "tal@example.com"})
    assert fake.requests.entries()[-1].query == "limit=3&email=tal%40example.com"


@pytest.mark.parametrize("op", BODILESS_OPS, ids=op_id)
async def test_extra_body_on_an_operation_without_a_body_is_refused_before_sending(
    harness: Harness, server: ScriptedServer, op: Op
):
    server.script(op.reply)
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.run(op, harness.client(), extra_body={"a": 1})
    assert caught.value.argument == "extra_body"
    assert str(caught.value).startswith(f"{op.name}: extra_body: cannot be sent: {op.http_method} ")
    assert "takes no request body" in str(caught.value)
    assert server.count == 0


@pytest.mark.parametrize(
    ("extras", "argument", "problem"),
    [
        ({"extra_body": {"a": float("nan")}}, "extra_body", "is not JSON"),
        ({"extra_body": {"a": object()}}, "extra_body", "is not JSON"),
        ({"extra_body": {"a": "\ud800"}}, "extra_body.a", "lone surrogate"),
        ({"extra_body": ["a"]}, "extra_body", "must be a mapping"),
        ({"extra_query": {"a": {"b": 1}}}, "extra_query['a']", "must be a string, a number"),
        ({"extra_query": {"a": float("inf")}}, "extra_query['a']", "a query cannot carry"),
        ({"extra_query": {"": 1}}, "extra_query", "names are non-empty strings"),
        ({"extra_query": "a=1"}, "extra_query", "must be a mapping"),
    ],
    ids=lambda value: str(value)[:40],
)
async def test_extras_that_cannot_be_sent_are_refused_before_sending(
    harness: Harness, server: ScriptedServer, extras: dict[str, Any], argument: str, problem: str
):
    server.script(ok(CUSTOMER))
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(harness.client().customers.create, name="Tal", **extras)
    assert caught.value.argument == argument
    assert problem in str(caught.value)
    assert str(caught.value).startswith("customers.create: ")
    assert server.count == 0
