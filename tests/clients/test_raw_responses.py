"""Raw responses: ``ching.<tag>.with_raw_response.<verb>(...)`` returns the call's ``RawResponse`` (status, headers,
request id, elapsed time, attempts) whose ``parse()`` gives exactly what the plain call returns, or raises what it
raises.

Each test runs on ``AsyncChing`` (asyncio and trio) and ``Ching``, against the local Ching or a scripted server;
``make test`` runs them on both engines.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ching_client import (
    APIResponseError,
    AsyncChing,
    Ching,
    Customer,
    DeletedCustomer,
    InternalServerError,
    NotFoundError,
    Product,
    RawResponse,
    WriteAppliedError,
    WriteOutcomeUnknownError,
)
from ching_client.testing import FakeChing

from ._support import OPS, Harness, Op, ScriptedServer, error, op_id, raw

pytestmark = pytest.mark.anyio


def raw_method(op: Op, client: AsyncChing | Ching) -> Any:
    resource, method = op.name.split(".")
    return getattr(getattr(client, resource).with_raw_response, method)


def answered(fake: FakeChing, index: int = -1) -> str | None:
    """The request id of the local Ching's logged request ``index``."""
    return fake.requests.entries()[index].request_id


async def test_raw_create_retrieve_list_and_delete_show_the_answer_and_parse_to_the_plain_result(harness: Harness):
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        created = await harness.call(ching.customers.with_raw_response.create, name="Tal", email="tal@example.com")
        assert isinstance(created, RawResponse)
        assert (created.operation, created.http_method, created.status_code, created.attempts) == (
            "customers.create",
            "POST",
            200,
            1,
        )
        assert created.url == "https://ching.test/ching/v1/customers"
        assert created.request_id == answered(fake) is not None
        assert created.headers["X-Request-Id"] == created.request_id  # looked up whatever the case
        assert created.headers["content-type"].startswith("application/json")
        assert isinstance(created.elapsed, datetime.timedelta)
        assert created.elapsed > datetime.timedelta(0)
        customer = created.parse()
        assert type(customer) is Customer
        assert (customer.name, customer.email) == ("Tal", "tal@example.com")
        assert created.parse() is customer  # read once
        assert f'"id":"{customer.id}"' in created.content.decode()

        retrieved = await harness.call(ching.customers.with_raw_response.retrieve, customer.id)
        assert (retrieved.operation, retrieved.http_method, retrieved.url.rsplit("/", 1)[-1]) == (
            "customers.retrieve",
            "GET",
            customer.id,
        )
        assert retrieved.parse() == customer == await harness.call(ching.customers.retrieve, customer.id)

        listed = await harness.call(ching.customers.with_raw_response.list)
        assert listed.parse() == [customer] == await harness.call(ching.customers.list)
        assert listed.request_id != retrieved.request_id

        deleted = await harness.call(ching.customers.with_raw_response.delete, customer.id)
        assert (deleted.operation, deleted.http_method, deleted.status_code) == ("customers.delete", "DELETE", 200)
        tombstone = deleted.parse()
        assert type(tombstone) is DeletedCustomer
        assert tombstone.id == customer.id
        assert await harness.call(ching.customers.retrieve, customer.id) == tombstone
    assert len({entry.request_id for entry in fake.requests.entries()}) == len(fake.requests.entries()) == 7


@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_parse_gives_what_the_plain_call_returns_for_every_operation(
    harness: Harness, server: ScriptedServer, op: Op
):
    server.script(op.reply)
    client = harness.client()
    plain = await harness.run(op, client)
    response = await harness.call(raw_method(op, client), *op.args, **op.kwargs)
    assert server.count == 2
    assert server.body(0) == server.body(1) == op.body  # the same request
    assert (response.operation, response.http_method, response.status_code) == (op.name, op.http_method, 200)
    parsed = response.parse()
    assert op.check(parsed)
    assert parsed == plain


async def test_attempts_and_the_request_id_are_those_of_the_answer_after_a_503(harness: Harness):
    fake = FakeChing()
    fake.faults.add("status", status=503, operation="customers_list", times=1)
    async with harness.opened(harness.local(fake, max_retries=2)) as ching:
        response = await harness.call(ching.customers.with_raw_response.list)
    first, second = fake.requests.entries()
    assert (first.status, second.status) == (503, 200)
    assert response.attempts == 2
    assert response.request_id == second.request_id != first.request_id
    assert response.parse() == []


async def test_a_failed_call_raises_as_the_plain_call_does(harness: Harness):
    fake = FakeChing()
    async with harness.opened(harness.local(fake)) as ching:
        with pytest.raises(NotFoundError) as caught:
            await harness.call(ching.customers.with_raw_response.retrieve, "cus_missing")
        assert caught.value.request_id == answered(fake)
        fake.faults.add("drop_after", operation="customers_create", times=1)
        with pytest.raises(WriteOutcomeUnknownError) as lost:
            await harness.call(ching.customers.with_raw_response.create, name="Tal")
    assert (lost.value.operation, lost.value.attempts) == ("customers.create", 1)
    assert len(fake.requests.entries()) == 2  # the create was applied, so it was not sent again
    assert fake.counts().customers == 1


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(("customers", "retrieve", ("cus_1",), {}), APIResponseError, id="GET"),
        pytest.param(("customers", "update", ("cus_1",), {"name": "Tal"}), WriteAppliedError, id="POST"),
    ],
)
async def test_parse_raises_what_the_plain_call_raises_for_an_answer_it_cannot_read(
    harness: Harness,
    server: ScriptedServer,
    call: tuple[str, str, tuple[Any, ...], dict[str, Any]],
    expected: type[APIResponseError],
):
    resource, verb, args, kwargs = call
    # success: true with a customer missing its documented fields: for a write, proof that it was applied.
    server.script(raw(200, '{"success": true, "data": {"id": "cus_1"}}', "application/json"))
    client = harness.client()
    with pytest.raises(expected) as plain:
        await harness.call(getattr(getattr(client, resource), verb), *args, **kwargs)
    response = await harness.call(getattr(getattr(client, resource).with_raw_response, verb), *args, **kwargs)
    assert response.status_code == 200  # the call itself succeeded: the answer is there to look at
    with pytest.raises(expected) as parsed:
        response.parse()
    assert type(parsed.value) is type(plain.value)
    assert str(parsed.value) == str(plain.value)
    assert (parsed.value.operation, parsed.value.attempts) == (f"{resource}.{verb}", 1)


async def test_a_status_error_after_retries_is_raised_not_returned(harness: Harness, server: ScriptedServer):
    server.script(error(503))
    with pytest.raises(InternalServerError) as caught:
        await harness.call(harness.client(max_retries=1).products.with_raw_response.list)
    assert str(caught.value).endswith("Gave up after 2 attempts.")
    assert server.count == 2


def test_the_repr_names_the_call_and_its_request_id_but_not_its_url_or_body() -> None:
    with FakeChing().ching() as ching:
        response = ching.customers.with_raw_response.create(name="Tal", email="tal@example.com")
    shown = repr(response)
    assert shown == f"<RawResponse customers.create 200, 1 attempt, request id {response.request_id}>"
    assert "tal@example.com" not in shown


def test_type_checkers_see_the_model_each_raw_response_parses_to() -> None:
    """Checked by ``make typecheck`` (mypy --strict): each ``type: ignore`` must be needed, so were ``parse()``
    typed ``Any`` (or the raw method ``RawResponse[Any]``), mypy would report the ignore as unused."""
    with FakeChing().ching() as ching:
        response: RawResponse[Customer] = ching.customers.with_raw_response.create(name="Tal")
        customer: Customer = response.parse()
        not_a_product: Product = response.parse()  # type: ignore[assignment]
        either = ching.customers.with_raw_response.retrieve(customer.id)
        narrowed: RawResponse[Customer] = either  # type: ignore[assignment]
        found: Customer | DeletedCustomer = either.parse()
    assert id(not_a_product) == id(customer)  # the same object: parse() reads the answer once
    assert narrowed.parse() == found == customer
