"""`ching_client.testing.envelopes`: bodies for pytest-httpx that the spec accepts and the SDK reads as Ching's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pytest_httpx import HTTPXMock
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ching_client import (
    AsyncChing,
    BadRequestError,
    Ching,
    Customer,
    DeletedCustomer,
    NotFoundError,
    Product,
    RateLimitError,
)
from ching_client.testing import envelopes

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "ching.yaml").read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource("urn:ching", Resource.from_contents(SPEC, default_specification=DRAFT202012))
KEY = "ck_test_" + "0" * 64
BASE_URL = "https://ching.example/ching"


def check(schema: str, body: dict[str, Any]) -> None:
    """Validate a body against one of the spec's envelope schemas."""
    validator = Draft202012Validator({"$ref": f"urn:ching#/components/schemas/{schema}"}, registry=REGISTRY)
    validator.validate(body)


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("CustomerEnvelope", envelopes.success(envelopes.customer())),
        ("CustomerEnvelope", envelopes.success(envelopes.customer("Noa", email="noa@example.com", tax_id="1"))),
        ("CustomerListEnvelope", envelopes.success([envelopes.customer(), envelopes.customer(livemode=True)])),
        ("CustomerUpsertEnvelope", envelopes.success(envelopes.customer(), action="created")),
        ("DeletedCustomerEnvelope", envelopes.success(envelopes.deleted_customer("cus_gone"))),
        ("ProductEnvelope", envelopes.success(envelopes.product(features=[{"title": "Support"}]))),
        ("ProductListEnvelope", envelopes.success([envelopes.product(active=False, image_url="https://x.io/a.png")])),
        ("ErrorEnvelope", envelopes.error(404)),
        ("ErrorEnvelope", envelopes.error(400, issues=[{"path": ["email"], "message": "Invalid email"}])),
        ("ErrorEnvelope", envelopes.error(409, "EMAIL_EXISTS", "A customer with this email already exists")),
        ("ErrorEnvelope", envelopes.error(418, details={"why": "teapot"})),
    ],
)
def test_every_envelope_is_what_the_spec_describes(schema: str, body: dict[str, Any]) -> None:
    check(schema, body)


def test_errors_default_to_the_code_and_message_ching_sends_with_each_status() -> None:
    assert envelopes.error(404) == {
        "success": False,
        "error": {"status": 404, "code": "NOT_FOUND", "message": "Not found"},
    }
    assert envelopes.error(401)["error"]["code"] == "NO_ACCESS"
    assert envelopes.error(429)["error"]["code"] == "RATE_LIMITED"
    assert envelopes.error(400)["error"]["code"] == "INVALID_FIELD"


def test_objects_get_fresh_ids_and_keep_the_values_given() -> None:
    created = datetime(2026, 4, 19, 9, 12, 43, 120_000, tzinfo=UTC)
    first, second = envelopes.customer(), envelopes.customer(created=created, metadata={"crm": "7"})
    assert first["id"] != second["id"]
    assert first["id"].startswith("cus_")
    assert envelopes.product()["id"].startswith("prod_")
    assert (second["created"], second["metadata"]) == ("2026-04-19T09:12:43.120Z", {"crm": "7"})


def test_the_sync_client_reads_mocked_envelopes_as_models_and_errors(httpx_mock: HTTPXMock) -> None:
    customer = envelopes.customer("Tal Levi", email="tal@example.com", phone="+972549876543")
    httpx_mock.add_response(json=envelopes.success(customer))
    httpx_mock.add_response(json=envelopes.success(envelopes.deleted_customer(customer["id"])))
    httpx_mock.add_response(json=envelopes.success(envelopes.customer("Noa"), action="updated"))
    httpx_mock.add_response(json=envelopes.success([envelopes.product("Pro", features=[{"title": "Support"}])]))
    httpx_mock.add_response(status_code=404, json=envelopes.error(404, message="Customer not found"))
    httpx_mock.add_response(
        status_code=400, json=envelopes.error(400, issues=[{"path": ["phone"], "message": "Invalid phone number"}])
    )
    with Ching(api_key=KEY, base_url=BASE_URL, max_retries=0) as ching:
        retrieved = ching.customers.retrieve(customer["id"])
        assert isinstance(retrieved, Customer)
        assert (retrieved.id, retrieved.email, retrieved.phone) == (customer["id"], "tal@example.com", "+972549876543")
        assert isinstance(ching.customers.retrieve(customer["id"]), DeletedCustomer)
        upserted = ching.customers.upsert(identify_by="email", email="noa@example.com")
        assert (upserted.action, upserted.customer.name) == ("updated", "Noa")
        (product,) = ching.products.list()
        assert isinstance(product, Product)
        assert [feature.title for feature in product.features] == ["Support"]
        with pytest.raises(NotFoundError, match="Customer not found") as missing:
            ching.customers.retrieve("cus_missing")
        assert missing.value.code == "NOT_FOUND"
        with pytest.raises(BadRequestError) as refused:
            ching.customers.create(name="Tal", phone="nope")
        assert refused.value.issues == [{"path": ["phone"], "message": "Invalid phone number"}]


@pytest.mark.anyio
async def test_the_async_client_reads_a_mocked_429_as_rate_limited(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "120"}, json=envelopes.error(429))
    async with AsyncChing(api_key=KEY, base_url=BASE_URL) as ching:
        with pytest.raises(RateLimitError) as limited:
            await ching.customers.list()
    assert (limited.value.code, limited.value.retry_after) == ("RATE_LIMITED", 120.0)
