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
SAFE = "x-ching-safe-to-repeat"


def _spec_operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _documented_lines() -> list[list[str]]:
    """The lines of tests/data/documented_operations.txt, each split into its words; comments aside."""
    lines = DOCUMENTED.read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line.strip() and not line.startswith("#")]


def _documented_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation Ching's API reference documents (tests/data, kept from the docs)."""
    return {(method, path) for method, path, _ in _documented_lines()}


def _documented_safety() -> list[tuple[str, str, bool]]:
    """(method, path, whether Ching can take it twice without harm) for every documented operation."""
    return [(method, path, {"safe": True, "unsafe": False}[safety]) for method, path, safety in _documented_lines()]


def test_every_documented_operation_is_in_the_spec() -> None:
    # What this protects: no operation of Ching's reference is missing from the spec or misspelt in it.
    # The spec may describe more than the reference lists (an operation added to the spec first), so
    # a new operation needs no edit here.
    documented = _documented_operations()
    assert documented, DOCUMENTED
    assert documented - set(_spec_operations()) == set()


def test_server_is_the_current_base_url() -> None:
    assert [s["url"] for s in SPEC["servers"]] == ["https://api.ching.co.il/ching"]
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {
        **SPEC["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }


def test_every_operation_says_whether_it_is_safe_to_repeat() -> None:
    # The SDK retries by this flag alone, so an operation without it could not be generated safely.
    unmarked = [op["operationId"] for op in _spec_operations().values() if not isinstance(op.get(SAFE), bool)]
    assert unmarked == []


@pytest.mark.parametrize(("method", "path", "safe"), _documented_safety())
def test_safe_to_repeat_extension_follows_the_api_semantics(method: str, path: str, safe: bool) -> None:
    # Facts about Ching (tests/data/documented_operations.txt): its creates make a duplicate when repeated.
    assert _spec_operations()[(method, path)][SAFE] is safe


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
    # `unlisted` is not in Ching's reference; its official CLI reads it, so it is optional.
    optional = {"unlisted"} if schema == "Product" else set()
    assert set(definition["required"]) == set(definition["properties"]) - optional


def test_every_operation_documents_its_errors_and_examples() -> None:
    for (method, path), operation in _spec_operations().items():
        codes = set(operation["responses"])
        assert {"401", "403", "500"} <= codes, (method, path)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "422"} <= codes, (method, path)
            assert operation["requestBody"]["content"]["application/json"]["examples"], (method, path)


def _walk(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every mapping in the spec with its JSON-pointer-like location."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((where, node))
        for key, value in node.items():
            found += _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _walk(value, f"{where}/{i}")
    return found


def test_no_boolean_is_pinned_to_one_value() -> None:
    # Several generators read `const: true` on a boolean as the string "true" and reject every response.
    pinned = [
        where for where, node in _walk(SPEC) if node.get("type") == "boolean" and ("const" in node or "enum" in node)
    ]
    assert pinned == []


def test_every_schema_and_property_is_described() -> None:
    missing = []
    for name, schema in SPEC["components"]["schemas"].items():
        if "description" not in schema:
            missing.append(name)
        missing += [f"{name}.{p}" for p, s in (schema.get("properties") or {}).items() if "description" not in s]
    assert missing == []


def _response_schemas() -> set[str]:
    """Names of the schemas reachable from any response, through $refs."""
    schemas = SPEC["components"]["schemas"]
    todo = [
        node["$ref"].rsplit("/", 1)[1]
        for where, node in _walk(SPEC)
        if where.startswith(("#/paths/", "#/components/responses/"))
        and "/responses/" in where
        and isinstance(node.get("$ref"), str)
        and "/schemas/" in node["$ref"]
    ]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [
                node["$ref"].rsplit("/", 1)[1]
                for _, node in _walk(schemas[name])
                if isinstance(node.get("$ref"), str) and "/schemas/" in node["$ref"]
            ]
    return seen


def test_response_objects_say_they_may_gain_fields() -> None:
    objects = {n for n in _response_schemas() if SPEC["components"]["schemas"][n].get("properties")}
    assert {"Customer", "DeletedCustomer", "Product", "ProductFeature", "ErrorEnvelope"} <= objects
    closed = sorted(n for n in objects if SPEC["components"]["schemas"][n].get("additionalProperties") is not True)
    assert closed == []


def test_upsert_action_is_an_open_enum_in_a_form_generators_read() -> None:
    action = SPEC["components"]["schemas"]["CustomerUpsertEnvelope"]["properties"]["action"]
    assert action["$ref"] == "#/components/schemas/UpsertAction"
    assert SPEC["components"]["schemas"]["UpsertAction"]["anyOf"] == [
        {"type": "string", "enum": ["created", "updated"]},
        {"type": "string"},
    ]


def test_every_operation_documents_rate_limits_and_any_other_failure() -> None:
    responses = SPEC["components"]["responses"]
    assert responses["RateLimited"]["headers"]["Retry-After"] == {"$ref": "#/components/headers/RetryAfter"}
    assert "required" not in SPEC["components"]["headers"]["RetryAfter"]  # Ching may leave it out
    for (method, path), operation in _spec_operations().items():
        codes = operation["responses"]
        assert codes["429"] == {"$ref": "#/components/responses/RateLimited"}, (method, path)
        assert codes["default"] == {"$ref": "#/components/responses/OtherError"}, (method, path)
    for name in ("RateLimited", "OtherError"):
        schema = responses[name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.mark.parametrize("operation_id", ["customers_create", "customers_upsert", "products_create"])
def test_operations_that_may_create_accept_200_and_201(operation_id: str) -> None:
    by_id = {op["operationId"]: op for op in _spec_operations().values()}
    responses = by_id[operation_id]["responses"]
    assert responses["200"] == responses["201"]
