"""Models where FastAPI and pydantic users put them: validated and serialized by pydantic, schema from the spec."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from ching_client import Customer, DeletedCustomer, Product
from ching_client.models import CustomerUpsertEnvelope

from .clients._support import CUSTOMER, PRODUCT

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))["components"]["schemas"]


def _wire(customer: dict[str, Any]) -> dict[str, Any]:
    """What to_dict() gives back for CUSTOMER: `created` is a datetime, written out in ISO 8601."""
    return {**customer, "created": "2026-04-19T09:12:43+00:00"}


def test_to_json_gives_the_wire_form_that_json_dumps_cannot() -> None:
    customer = Customer.from_dict({**CUSTOMER, "name": "טל לוי", "nickname": "Tali"})
    with pytest.raises(TypeError):
        json.dumps(customer)
    text = customer.to_json()
    assert json.loads(text) == _wire({**CUSTOMER, "name": "טל לוי", "nickname": "Tali"})
    assert "טל לוי" in text  # not escaped to \\u05d8...
    assert customer.to_json(indent=2).startswith('{\n  "')


def test_every_model_has_to_json() -> None:
    envelope = CustomerUpsertEnvelope.from_dict({"success": True, "action": "created", "data": CUSTOMER})
    assert json.loads(envelope.to_json())["data"]["taxId"] == CUSTOMER["taxId"]
    assert json.loads(Product.from_dict(PRODUCT).to_json())["features"] == PRODUCT["features"]


def test_pydantic_validates_a_model_or_its_wire_form_and_serializes_the_wire_form() -> None:
    adapter = pydantic.TypeAdapter(list[Customer])
    customer = Customer.from_dict(CUSTOMER)
    validated = adapter.validate_python([customer, CUSTOMER])
    assert validated[0] is customer
    assert validated[1] == customer
    assert adapter.dump_python(validated, mode="json") == [_wire(CUSTOMER)] * 2
    assert json.loads(adapter.dump_json(validated)) == [_wire(CUSTOMER)] * 2
    assert adapter.validate_json(json.dumps([CUSTOMER]))[0].tax_id == CUSTOMER["taxId"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"id": "cus_1"}, "Customer is missing the field 'object'"),
        ("cus_1", "expected a Customer or a mapping in Ching's wire form, got str"),
        (Product.from_dict(PRODUCT), "expected a Customer or a mapping in Ching's wire form, got Product"),
    ],
)
def test_pydantic_refuses_what_is_not_a_customer(value: object, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        pydantic.TypeAdapter(Customer).validate_python(value)


def test_a_pydantic_model_can_hold_sdk_models() -> None:
    class Account(pydantic.BaseModel):
        owner: Customer
        products: list[Product]
        previous: Customer | DeletedCustomer | None = None

    account = Account.model_validate_json(json.dumps({"owner": CUSTOMER, "products": [PRODUCT]}))
    assert isinstance(account.owner, Customer)
    assert account.products[0].features[1].subtitle == "Under 4h response time"
    assert json.loads(account.model_dump_json())["owner"] == _wire(CUSTOMER)


def test_the_json_schema_is_the_spec_s_own() -> None:
    schema = pydantic.TypeAdapter(list[Customer]).json_schema(mode="serialization")
    customer = schema["$defs"]["Customer"]
    spec = SCHEMAS["Customer"]
    assert schema["items"] == {"$ref": "#/$defs/Customer"}
    assert customer["required"] == spec["required"]
    assert customer["description"] == spec["description"]
    assert customer["properties"]["taxId"] == spec["properties"]["taxId"]
    assert customer["properties"]["created"] == spec["properties"]["created"]
    # a $ref to a non-model, written out, with the property's own description beside the $ref winning
    metadata = {**SCHEMAS["Metadata"], "description": spec["properties"]["metadata"]["description"]}
    assert customer["properties"]["metadata"] == metadata
    features = pydantic.TypeAdapter(Product).json_schema()["properties"]["features"]
    assert features["items"] == SCHEMAS["ProductFeature"]  # a model inside a model, written out in place


def test_using_models_does_not_import_pydantic() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from ching_client import Customer
        customer = Customer.from_dict({CUSTOMER!r})
        customer.to_json()
        print("pydantic" in sys.modules, "fastapi" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "False"]
