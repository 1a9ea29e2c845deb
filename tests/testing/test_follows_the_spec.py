"""The local Ching follows the spec: an API change made in the spec alone is served, checked and shown.

Each test builds its evolved spec from the one the package ships (``shipped_spec()``), as a spec
edit would: a ``companyName`` and an ``address`` on customers, a sub-collection of invoices under
a customer, a new top-level collection, and an action convention cannot read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ching_client._exceptions import ChingError, InvalidArgumentError
from ching_client.testing import (
    ApiError,
    Context,
    FakeChing,
    ManualClock,
    Store,
    envelopes,
    make_test_key,
    rule,
    shipped_spec,
)
from ching_client.testing._rules import RULES
from ching_client.testing._spec import Api

from .helpers import fail, issue_paths, ok


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    """A success envelope schema around ``data``, as the spec writes them."""
    properties = {"success": {"type": "boolean"}, "data": data}
    schema = {"type": "object", "required": ["success", "data"], "properties": properties}
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _operation(operation_id: str, response: dict[str, Any], body: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [operation_id.split("_")[0]],
        "x-ching-safe-to-repeat": body is None,
        "responses": {"200": _envelope(response), "default": {"$ref": "#/components/responses/OtherError"}},
    }
    if body is not None:
        schema = {"$ref": f"#/components/schemas/{body}"}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


def evolved_spec() -> dict[str, Any]:
    """The shipped spec with fields and operations added, the way the spec itself would add them."""
    spec = shipped_spec()
    schemas = spec["components"]["schemas"]
    customer = schemas["Customer"]
    customer["required"].append("companyName")
    customer["properties"]["companyName"] = {"type": ["string", "null"], "description": "Company name."}
    customer["properties"]["address"] = {"$ref": "#/components/schemas/Address"}
    for name in ("CustomerCreateRequest", "CustomerUpdateRequest", "CustomerUpsertRequest"):
        schemas[name]["properties"]["companyName"] = {"type": "string", "minLength": 1}
    schemas["CustomerCreateRequest"]["properties"]["address"] = {"$ref": "#/components/schemas/Address"}
    schemas["Address"] = {
        "type": "object",
        "required": ["line1", "country"],
        "properties": {"line1": {"type": "string"}, "country": {"type": "string", "minLength": 2, "maxLength": 2}},
    }
    schemas["Invoice"] = {
        "type": "object",
        "required": ["id", "object", "customer", "amount", "currency", "livemode", "created"],
        "properties": {
            "id": {"type": "string", "examples": ["inv_V8ltq1pK"]},
            "object": {"type": "string", "enum": ["invoice"]},
            "customer": {"type": "string"},
            "amount": {"type": "integer", "minimum": 0},
            "currency": {"type": ["string", "null"], "enum": ["ils", "usd", None]},
            "livemode": {"type": "boolean"},
            "created": {"type": "string", "format": "date-time"},
        },
    }
    schemas["InvoiceInput"] = {
        "type": "object",
        "properties": {"amount": {"type": "integer", "minimum": 0}, "currency": {"type": "string", "enum": ["ils"]}},
    }
    schemas["Note"] = {
        "type": "object",
        "required": ["id", "text", "pinned"],
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}, "pinned": {"type": ["boolean", "null"]}},
    }
    schemas["NoteInput"] = {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}, "pinned": {"type": "boolean"}},
    }
    invoice, note = {"$ref": "#/components/schemas/Invoice"}, {"$ref": "#/components/schemas/Note"}
    deleted_note = {"type": "object", "required": ["id", "deleted"], "properties": {"id": {}, "deleted": {}}}
    merged = {"type": "object", "required": ["merged"], "properties": {"merged": {"type": "integer"}}}
    by_id = [{"$ref": "#/components/parameters/CustomerId"}]
    note_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    spec["paths"].update(
        {
            "/v1/customers/{id}/invoices": {
                "parameters": by_id,
                "get": _operation("customers_list_invoices", {"type": "array", "items": invoice}),
                "post": _operation("customers_create_invoice", invoice, "InvoiceInput"),
            },
            "/v1/notes": {"post": _operation("notes_create", note, "NoteInput")},
            "/v1/notes/{id}": {
                "parameters": note_id,
                "get": _operation("notes_retrieve", note),
                "patch": _operation("notes_update", note, "NoteInput"),
                "put": _operation("notes_replace", note, "NoteInput"),
                "delete": _operation("notes_delete", deleted_note),
            },
            "/v1/customers/merge": {"post": _operation("customers_merge", merged)},
        }
    )
    customer_ok = {"$ref": "#/components/schemas/Customer"}
    spec["paths"]["/v1/customers/{id}"]["patch"] = _operation("customers_patch", customer_ok, "CustomerUpdateRequest")
    spec["paths"]["/v1/customers/merge"]["post"]["responses"]["200"]["content"]["application/json"]["example"] = {
        "success": True,
        "data": {"merged": 2},
    }
    return spec


@pytest.fixture
def evolved(store: Store, clock: ManualClock) -> FakeChing:
    """A fake serving the evolved spec, on both stores."""
    return FakeChing(store, clock=clock, seed=7, spec=evolved_spec())


@pytest.fixture
def api(evolved: FakeChing) -> Iterator[httpx.Client]:
    with evolved.client() as client:
        yield client


def test_a_field_the_spec_adds_is_checked_stored_and_returned(api: httpx.Client) -> None:
    acme = ok(
        api.post(
            "/v1/customers",
            json={"name": "Tal", "companyName": "Acme", "address": {"line1": "1 Main", "country": "IL"}},
        )
    )
    assert (acme["companyName"], acme["address"]) == ("Acme", {"line1": "1 Main", "country": "IL"})
    plain = ok(api.post("/v1/customers", json={"name": "Noa"}))
    # Never set: null, as the spec asks of a required field; an optional one never set is left out.
    assert plain["companyName"] is None
    assert "address" not in plain
    assert ok(api.get(f"/v1/customers/{acme['id']}"))["companyName"] == "Acme"
    assert [c["companyName"] for c in ok(api.get("/v1/customers"))] == [None, "Acme"]
    updated = ok(api.post(f"/v1/customers/{plain['id']}", json={"companyName": "Noa Ltd", "name": "Noa L"}))
    assert (updated["companyName"], updated["name"]) == ("Noa Ltd", "Noa L")
    upserted = api.post(
        "/v1/customers/upsert", json={"identifyBy": "email", "email": "a@x.io", "name": "A", "companyName": "A Co"}
    )
    assert ok(upserted)["companyName"] == "A Co"


def test_a_field_the_spec_adds_is_checked_by_its_schema(api: httpx.Client) -> None:
    bad = api.post("/v1/customers", json={"name": "", "companyName": 5, "address": {"country": "Israel"}})
    # Ching's own rule for `name` first, then the spec's schema for the added fields, nested paths included.
    assert issue_paths(bad) == [["name"], ["companyName"], ["address", "line1"], ["address", "country"]]
    messages = [item["message"] for item in bad.json()["error"]["issues"]]
    assert messages[1:] == [
        "Expected string, received number",
        "Required",
        "String must contain at most 2 character(s)",
    ]
    assert issue_paths(api.post("/v1/customers/upsert", json={"identifyBy": "email", "companyName": ""})) == [
        ["companyName"]
    ]


def test_a_sub_collection_lists_what_was_created_under_its_parent(evolved: FakeChing, api: httpx.Client) -> None:
    tal, noa = (ok(api.post("/v1/customers", json={"name": name})) for name in ("Tal", "Noa"))
    assert ok(api.get(f"/v1/customers/{tal['id']}/invoices")) == []
    invoice = ok(api.post(f"/v1/customers/{tal['id']}/invoices", json={"amount": 100, "bogus": 1}))
    assert invoice == {
        "id": invoice["id"],
        "object": "invoice",
        "customer": tal["id"],
        "amount": 100,
        "currency": None,
        "livemode": False,
        "created": "2026-04-19T09:12:43.000Z",
    }
    assert invoice["id"].startswith("inv_")
    second = ok(api.post(f"/v1/customers/{tal['id']}/invoices", json={"amount": 5, "currency": "ils"}))
    assert ok(api.get(f"/v1/customers/{tal['id']}/invoices")) == [second, invoice]
    assert ok(api.get(f"/v1/customers/{noa['id']}/invoices")) == []
    # No such parent: the parent's own 404; another key's customer is not there either.
    assert fail(api.get("/v1/customers/cus_nobody/invoices"), 404, "NOT_FOUND")["message"] == "Customer not found"
    with evolved.client(key=make_test_key("another project")) as stranger:
        fail(stranger.get(f"/v1/customers/{tal['id']}/invoices"), 404, "NOT_FOUND")
    issue_paths(api.post(f"/v1/customers/{tal['id']}/invoices", json={"amount": -1}))
    logged = [entry.operation_id for entry in evolved.requests.entries()][-4:]
    assert logged == [
        "customers_list_invoices",
        "customers_list_invoices",
        "customers_list_invoices",
        "customers_create_invoice",
    ]


def test_a_new_collection_gets_create_retrieve_update_replace_and_delete(api: httpx.Client) -> None:
    note = ok(api.post("/v1/notes", json={"text": "call back", "pinned": True}))
    assert note == {"id": note["id"], "text": "call back", "pinned": True}
    assert ok(api.get(f"/v1/notes/{note['id']}")) == note
    assert ok(api.patch(f"/v1/notes/{note['id']}", json={"text": "called"})) == {**note, "text": "called"}
    # PUT replaces: a field left out is back to null.
    assert ok(api.put(f"/v1/notes/{note['id']}", json={"text": "new"})) == {
        "id": note["id"],
        "text": "new",
        "pinned": None,
    }
    assert ok(api.delete(f"/v1/notes/{note['id']}")) == {"id": note["id"], "deleted": True}
    assert fail(api.get(f"/v1/notes/{note['id']}"), 404, "NOT_FOUND")["message"] == "Note not found"
    fail(api.delete(f"/v1/notes/{note['id']}"), 404, "NOT_FOUND")


def test_a_verb_added_beside_a_built_in_one_keeps_its_business_rules(api: httpx.Client) -> None:
    tal = ok(api.post("/v1/customers", json={"name": "Tal"}))
    # PATCH is the built-in POST update: the phone is normalised, an invalid one refused, the added field stored.
    patched = ok(api.patch(f"/v1/customers/{tal['id']}", json={"phone": "054-987-6543", "companyName": "Acme"}))
    assert (patched["phone"], patched["companyName"]) == ("+972549876543", "Acme")
    assert issue_paths(api.patch(f"/v1/customers/{tal['id']}", json={"phone": "12"})) == [["phone"]]
    fail(api.patch("/v1/customers/cus_nobody", json={"name": "X"}), 404, "NOT_FOUND")


def test_an_action_convention_cannot_read_answers_the_spec_example_and_says_so(
    evolved: FakeChing, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ching_client.testing"):
        response = api.post("/v1/customers/merge")
    assert ok(response) == {"merged": 2}
    (entry,) = evolved.requests.entries()
    assert entry.operation_id == "customers_merge"
    assert entry.note is not None
    assert entry.note.startswith("answered the spec's example: no rule for customers_merge")
    # The warning names the request as its answer and the log do, so one can be found from the other.
    [warning] = [record.getMessage() for record in caplog.records if "customers_merge" in record.getMessage()]
    assert entry.request_id == response.headers["x-request-id"]
    assert f"local Ching, {entry.request_id}: " in warning


def test_an_unknown_route_says_the_spec_has_no_such_operation(api: httpx.Client) -> None:
    error = fail(api.get("/v1/invoices"), 404, "NOT_FOUND")
    assert error["message"] == (
        "No operation in the spec answers GET /v1/invoices: check the method and path against the API reference"
    )
    assert "id" not in error["message"].split()


def test_an_answer_outside_the_contract_is_a_500_that_names_the_problem(evolved: FakeChing, api: httpx.Client) -> None:
    tal = ok(api.post("/v1/customers", json={"name": "Tal"}))
    # Convention cannot fill a required, non-null `amount` the body left out: the answer would break the spec.
    error = fail(api.post(f"/v1/customers/{tal['id']}/invoices", json={}), 500, "INTERNAL_ERROR")
    assert error["message"] == (
        "The local Ching's 200 answer to customers_create_invoice does not match the spec: "
        "data.amount: Expected integer, received null"
    )
    assert error["details"]["issues"] == [{"path": ["data", "amount"], "message": "Expected integer, received null"}]

    @evolved.rule("customers_list_invoices")
    def wrong(ctx: Context, params: Any, body: Any) -> object:
        return [{"id": 7}]

    error = fail(api.get(f"/v1/customers/{tal['id']}/invoices"), 500, "INTERNAL_ERROR")
    assert error["message"].startswith("The local Ching's 200 answer to customers_list_invoices does not match")
    assert {"path": ["data", 0, "id"], "message": "Expected string, received number"} in error["details"]["issues"]
    assert {"path": ["data", 0, "amount"], "message": "Required"} in error["details"]["issues"]


def test_a_rule_teaches_one_fake_or_every_fake_a_business_rule(evolved: FakeChing, api: httpx.Client) -> None:
    tal = ok(api.post("/v1/customers", json={"name": "Tal", "companyName": "Acme"}))

    @evolved.rule("customers_list_invoices")
    def invoices_from_the_customer(ctx: Context, params: Any, body: Any) -> object:
        customer = ctx.store.get_customer(ctx.scope, params["id"])
        if customer is None:
            raise ApiError(404, "NOT_FOUND", "Customer not found")
        invoice = {"id": "inv_1", "object": "invoice", "customer": customer.id, "amount": len(customer.name)}
        return [{**invoice, "currency": "ils", "livemode": False, "created": "2026-04-19T09:12:43.000Z"}]

    assert [i["amount"] for i in ok(api.get(f"/v1/customers/{tal['id']}/invoices"))] == [3]
    fail(api.get("/v1/customers/cus_nobody/invoices"), 404, "NOT_FOUND")
    with pytest.raises(InvalidArgumentError, match="the spec has no operation 'customers_lst'") as raised:
        evolved.rule("customers_lst")
    assert isinstance(raised.value, ChingError)

    # The built-in operations are rules of the same registry: one fake may replace one, for itself only.
    assert RULES.get("customers_create") is not None

    @evolved.rule("customers_create")
    def always_taken(ctx: Context, params: Any, body: Any) -> object:
        raise ApiError(409, "EMAIL_EXISTS", "A customer with this email already exists")

    fail(api.post("/v1/customers", json={"name": "Noa"}), 409, "EMAIL_EXISTS")
    with FakeChing().client() as other:
        ok(other.post("/v1/customers", json={"name": "Noa"}))


def test_rule_registers_for_every_fake_of_the_process() -> None:
    spec = evolved_spec()
    try:

        @rule("customers_merge")
        def merge(ctx: Context, params: Any, body: Any) -> object:
            return {"merged": ctx.store.counts(ctx.scope).customers}

        for _ in range(2):
            with FakeChing(spec=spec).client() as client:
                ok(client.post("/v1/customers", json={"name": "Tal"}))
                assert ok(client.post("/v1/customers/merge")) == {"merged": 1}
    finally:
        RULES.remove("customers_merge")


def test_a_spec_the_fake_cannot_serve_is_refused_as_it_starts() -> None:
    spec = evolved_spec()
    spec["components"]["schemas"]["Invoice"]["properties"]["amount"] = {"$ref": "#/components/schemas/Amount"}
    with pytest.raises(ChingError, match="unresolved reference '#/components/schemas/Amount'"):
        FakeChing(spec=spec)


def test_envelopes_take_every_field_the_spec_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envelopes, "shipped_api", lambda: Api(evolved_spec()))
    acme = envelopes.customer("Tal", company_name="Acme", address={"line1": "1 Main", "country": "IL"})
    assert (acme["companyName"], acme["address"]) == ("Acme", {"line1": "1 Main", "country": "IL"})
    assert envelopes.customer(companyName="Acme")["companyName"] == "Acme"
    assert envelopes.customer()["companyName"] is None
    with pytest.raises(
        InvalidArgumentError,
        match=r"got 'company', which the spec's Customer does not have; its other fields: address, company_name",
    ):
        envelopes.customer(company="Acme")
    invoice = envelopes.resource("Invoice", id="inv_1", amount=5)
    assert invoice == {
        "id": "inv_1",
        "object": "invoice",
        "customer": None,
        "amount": 5,
        "currency": None,
        "livemode": None,
        "created": None,
    }
