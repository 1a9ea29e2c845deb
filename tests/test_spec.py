"""The spec covers the documented API and states what clients need to know per operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = ROOT / "tests" / "data" / "documented_operations.txt"
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))
METHODS = ("get", "post", "delete", "put", "patch")


def _spec_operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _documented_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation Ching's API reference documents (tests/data, kept from the docs)."""
    found = set()
    for line in DOCUMENTED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            method, path = line.split()
            found.add((method, path))
    return found


def test_every_documented_operation_is_in_the_spec() -> None:
    documented = _documented_operations()
    assert len(documented) == 11
    assert documented == set(_spec_operations())


def test_server_is_the_current_base_url() -> None:
    assert [s["url"] for s in SPEC["servers"]] == ["https://api.ching.co.il/ching"]
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {
        **SPEC["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }


@pytest.mark.parametrize(
    ("operation_id", "safe"),
    [
        ("customers_create", False),
        ("customers_list", True),
        ("customers_retrieve", True),
        ("customers_update", True),
        ("customers_upsert", True),
        ("customers_delete", True),
        ("products_create", False),
        ("products_list", True),
        ("products_retrieve", True),
        ("products_update", True),
        ("products_upload_image", False),
    ],
)
def test_safe_to_repeat_extension_follows_the_api_semantics(operation_id: str, safe: bool) -> None:
    by_id = {op["operationId"]: op for op in _spec_operations().values()}
    assert by_id[operation_id]["x-ching-safe-to-repeat"] is safe


def test_null_is_allowed_exactly_where_the_docs_say_it_clears() -> None:
    schemas = SPEC["components"]["schemas"]

    def nullable(schema: dict[str, Any]) -> set[str]:
        return {
            name
            for name, prop in schema["properties"].items()
            if isinstance(prop.get("type"), list) and "null" in prop["type"]
        }

    assert nullable(schemas["ProductUpdateRequest"]) == {"description", "image_url", "features"}
    for name in (
        "CustomerCreateRequest",
        "CustomerUpdateRequest",
        "CustomerUpsertRequest",
        "ProductCreateRequest",
    ):
        assert nullable(schemas[name]) == set(), name


@pytest.mark.parametrize("schema", ["Customer", "Product", "DeletedCustomer", "ProductFeature"])
def test_every_documented_response_field_is_required(schema: str) -> None:
    definition = SPEC["components"]["schemas"][schema]
    assert set(definition["required"]) == set(definition["properties"])


def test_every_operation_documents_its_errors_and_examples() -> None:
    for (method, path), operation in _spec_operations().items():
        codes = set(operation["responses"])
        assert {"401", "403", "500"} <= codes, (method, path)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "422"} <= codes, (method, path)
            assert operation["requestBody"]["content"]["application/json"]["examples"], (method, path)
