"""The generated package: deterministic, stamped, nothing in it unused, and the generator's rules enforced."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ching_client._generated.api.customers import customers_delete, customers_retrieve, customers_update
from ching_client._generated.models.customer_upsert_envelope import CustomerUpsertEnvelope
from ching_client._runtime.kinds import InvalidArgument
from generator.generate import HEADER, GenerationFailed, generate, tree
from generator.naming import unshadowed

from .clients._support import CUSTOMER

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "ching_client" / "_generated"
SPEC = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))


def test_every_generated_file_says_it_is_generated() -> None:
    files = sorted(GENERATED.rglob("*.py"))
    assert len(files) > 30
    for path in files:
        assert path.read_text(encoding="utf-8").startswith(HEADER), path


def _methods(resource: type) -> dict[str, tuple[str, str | None, bool]]:
    """A resource class's public methods: signature, docstring, and whether it is a coroutine function."""
    return {
        name: (str(inspect.signature(method)), method.__doc__, inspect.iscoroutinefunction(method))
        for name, method in vars(resource).items()
        if inspect.isfunction(method) and not name.startswith("_")
    }


def test_each_sync_resource_has_the_async_ones_methods_signatures_and_docs() -> None:
    """`Ching.<tag>` is derived from `AsyncChing.<tag>`: the same methods, arguments, return types and docs."""
    from ching_client._generated._async import resources as async_resources
    from ching_client._generated._sync import resources as sync_resources

    pairs = [
        (cls, getattr(sync_resources, name.removeprefix("Async")))
        for name, cls in vars(async_resources).items()
        if isinstance(cls, type) and cls.__module__ == async_resources.__name__
    ]
    assert [a.__name__ for a, _ in pairs] == [
        "AsyncCustomers",
        "AsyncCustomersWithRawResponse",
        "AsyncProducts",
        "AsyncProductsWithRawResponse",
    ]
    for async_cls, sync_cls in pairs:
        async_methods, sync_methods = _methods(async_cls), _methods(sync_cls)
        assert sync_cls.__doc__ == async_cls.__doc__
        assert len(async_methods) >= 5
        assert all(coroutine for _, _, coroutine in async_methods.values())
        assert sync_methods == {name: (sig, doc, False) for name, (sig, doc, _) in async_methods.items()}


def test_generation_is_deterministic_and_matches_what_is_committed(tmp_path: Path) -> None:
    generate(out_dir=tmp_path / "first")
    generate(out_dir=tmp_path / "second")
    first, second = tree(tmp_path / "first"), tree(tmp_path / "second")
    assert first == second
    assert first == tree(GENERATED)


def _modules() -> list[str]:
    return sorted(
        ".".join(("ching_client", "_generated", *p.relative_to(GENERATED).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in GENERATED.rglob("*.py")
    )


def test_every_generated_module_is_imported_by_the_clients_resources() -> None:
    """Nothing is generated that the SDK does not use: using both clients' resources loads every module."""
    code = (
        "import sys; from ching_client import AsyncChing, Ching\n"
        "for cls in (AsyncChing, Ching):\n"
        "    c = cls(api_key='ck_test_' + '0' * 64)\n"
        "    for tag in ('customers', 'products'): getattr(c, tag)\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('ching_client._generated')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert sorted(set(done.stdout.split())) == _modules()


def test_generated_code_keeps_no_stock_client_and_no_unused_functions() -> None:
    assert not {"client.py", "errors.py", "types.py", "operations.py"} & {p.name for p in GENERATED.iterdir()}
    for path in (GENERATED / "api").rglob("*.py"):
        if path.name == "__init__.py":
            continue
        names = {
            node.name for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.FunctionDef)
        }
        assert names == {"build", "result"}, path


def test_each_resource_method_has_a_raw_twin_with_the_same_arguments() -> None:
    """`ching.<tag>.with_raw_response.<verb>` takes what `ching.<tag>.<verb>` takes and returns its RawResponse."""
    from ching_client._generated._async import resources as async_resources
    from ching_client._generated._sync import resources as sync_resources

    for module, prefix in ((async_resources, "Async"), (sync_resources, "")):
        for tag in ("Customers", "Products"):
            plain, raw = getattr(module, prefix + tag), getattr(module, f"{prefix}{tag}WithRawResponse")
            plain_methods, raw_methods = _methods(plain), _methods(raw)
            assert plain_methods.keys() == raw_methods.keys()
            for name, (signature, _, coroutine) in plain_methods.items():
                arguments, returns = signature.split(" -> ")
                raw_returns = "RawResponse[" + returns.strip("'") + "]"  # annotations are strings (PEP 563)
                assert raw_methods[name][0] == f"{arguments} -> '{raw_returns}'", (tag, name)
                assert raw_methods[name][2] is coroutine


def test_unknown_enum_value_from_the_server_is_kept_not_raised() -> None:
    envelope = CustomerUpsertEnvelope.from_dict({"success": True, "action": "merged", "data": CUSTOMER})
    action: str = envelope.action
    assert action == "merged"
    assert envelope.data.id == "cus_V8ltq1pK_MWH"


def test_httpx_collapses_dot_segments_which_is_why_they_are_refused() -> None:
    request = httpx.Request("DELETE", "https://api.example.test/ching/v1/customers/..")
    assert request.url.path == "/ching/v1"


@pytest.mark.parametrize("bad_id", ["", ".", "..", "a/b", "../products", "upsert"])
def test_the_request_builder_refuses_ids_that_reach_another_route(bad_id: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        customers_delete.build(bad_id)
    assert caught.value.argument == "id"


def test_the_request_builder_percent_encodes_a_path_parameter_into_one_segment() -> None:
    request = customers_retrieve.build("x?y=1#z %")
    assert (request.method, request.path, request.query) == ("GET", "/v1/customers/x%3Fy%3D1%23z%20%25", "")


def test_the_request_builder_sends_wire_names_and_leaves_out_what_was_not_given() -> None:
    request = customers_update.build("cus_1", tax_id="123", metadata={"a": "b"})
    assert (request.method, request.path, request.json) == (
        "POST",
        "/v1/customers/cus_1",
        {"taxId": "123", "metadata": {"a": "b"}},
    )


def _spec_with(change: Any) -> dict[str, Any]:
    spec: dict[str, Any] = copy.deepcopy(SPEC)
    change(spec)
    return spec


def _generate(tmp_path: Path, spec: dict[str, Any]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    generate(path, tmp_path / "out")


@pytest.mark.parametrize(
    ("operation_id", "tags", "message"),
    [
        ("listCustomers", ["customers"], "rename it to 'customers_list'"),
        ("customers-list", ["customers"], "rename it to 'customers_list'"),
        ("list_customers", ["customers"], "rename it to 'customers_list'"),
        ("products_list", ["customers"], "starting with its first tag 'customers'"),
        ("customers_timeout", ["customers"], "`timeout` is a keyword argument of every method: rename it"),
        ("customers_extra_body", ["customers"], "`extra_body` is a keyword argument of every method: rename it"),
        ("customers_with_raw_response", ["customers"], "`with_raw_response` is a member of every resource: rename"),
        ("customers_list", [], "has no tag"),
        ("customers_list", ["Customers"], "tag 'Customers' must be snake_case"),
        ("import_list", ["import"], "tag 'import' is a Python keyword"),
    ],
)
def test_an_operation_outside_the_naming_rule_fails_generation_saying_what_to_rename(
    tmp_path: Path, operation_id: str, tags: list[str], message: str
) -> None:
    def rename(spec: dict[str, Any]) -> None:
        spec["paths"]["/v1/customers"]["get"].update(operationId=operation_id, tags=tags)

    with pytest.raises(GenerationFailed) as caught:
        _generate(tmp_path, _spec_with(rename))
    assert "GET /v1/customers" in str(caught.value)
    assert message in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_make_generate_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    spec = _spec_with(lambda s: s["paths"]["/v1/customers"]["get"].update(operationId="listCustomers"))
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator.generate",
            "--spec",
            str(tmp_path / "spec.yaml"),
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "rename it to 'customers_list'" in done.stderr


def test_two_success_responses_with_different_bodies_fail_generation(tmp_path: Path) -> None:
    def different_201(spec: dict[str, Any]) -> None:
        spec["paths"]["/v1/customers"]["post"]["responses"]["201"] = {"$ref": "#/components/responses/ProductOk"}

    with pytest.raises(GenerationFailed, match="2xx responses have different bodies"):
        _generate(tmp_path, _spec_with(different_201))


def test_unsupported_parameters_fail_generation_rather_than_being_dropped(tmp_path: Path) -> None:
    def cookie(spec: dict[str, Any]) -> None:
        spec["paths"]["/v1/customers"]["get"]["parameters"] = [
            {"name": "session", "in": "cookie", "schema": {"type": "string"}}
        ]

    with pytest.raises(GenerationFailed, match="cookie parameters are not supported"):
        _generate(tmp_path, _spec_with(cookie))


def test_every_endpoint_module_names_its_operation_as_the_spec_does() -> None:
    for name in _modules():
        if name.count(".") == 4:  # ching_client._generated.api.<tag>.<operation_id>
            module = importlib.import_module(name)
            assert module.OPERATION.operation_id == name.rsplit(".", 1)[1]


def test_an_open_enum_in_the_spec_is_a_literal_type_in_python() -> None:
    from typing import get_args

    from ching_client._generated.models.upsert_action import UpsertAction

    assert get_args(UpsertAction) == ("created", "updated")


def test_only_the_open_enum_form_is_read_as_a_plain_enum() -> None:
    from generator.generate import _open_enums_as_plain_enums

    spec: dict[str, Any] = {
        "open": {"description": "d", "anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "string"}]},
        "union": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "nested": [{"anyOf": [{"type": "string"}, {"type": "string", "enum": ["x"]}]}],
    }
    assert _open_enums_as_plain_enums(spec) == {
        "open": {"description": "d", "type": "string", "enum": ["a", "b"]},
        "union": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "nested": [{"type": "string", "enum": ["x"]}],
    }
    assert spec["open"]["anyOf"]  # the loaded spec itself is left as it was


def _upload_image(spec: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"]["/v1/products/upload_image"]["post"]
    return operation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: _upload_image(s).update(description="Resizing is asynchronous; poll the product."),
            "POST /v1/products/upload_image: the description has 'asynchronous;'",
        ),
        (
            lambda s: _upload_image(s).update(summary="Upload an image; await the AsyncAPI event"),
            "POST /v1/products/upload_image: the summary has 'await', 'AsyncAPI'",
        ),
        (
            lambda s: s["paths"]["/v1/customers/{id}"]["delete"].update(operationId="customers_aclose"),
            "DELETE /v1/customers/{id}: the method name has 'aclose'",
        ),
        (
            lambda s: s["tags"][1].update(description="What you sell, synced asynchronous."),
            "tag 'products': the description",
        ),
    ],
)
def test_spec_text_the_sync_derivation_would_change_fails_generation_naming_it(
    tmp_path: Path, change: Any, message: str
) -> None:
    # The sync resources are derived from the async ones token by token (generator/unasync.py): before this
    # check, "Resizing is asynchronous" read "Resizing is synchronous" in Ching's docstring, "await the AsyncAPI
    # event" read "the API event", and `customers.aclose` was `Ching().customers.close`.
    with pytest.raises(GenerationFailed) as caught:
        _generate(tmp_path, _spec_with(change))
    assert message in str(caught.value)
    assert "the sync client would lose or change" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_generation_never_wipes_a_folder_of_hand_written_code(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "client.py").write_text("# written by hand\n", encoding="utf-8")
    with pytest.raises(GenerationFailed, match=r"client\.py, which is not generated"):
        _generate(tmp_path, SPEC)
    assert (out / "client.py").read_text(encoding="utf-8") == "# written by hand\n"


# Operation names that are builtins' names and keywords: each verb is a GET /v1/customers/{id}/<verb>.
ODD_VERBS = ("type", "id", "format", "import", "str", "int", "float", "datetime", "class")
INVOICE = {
    "type": "object",
    "description": "An invoice.",
    "additionalProperties": True,
    "required": ["id", "amount"],
    "properties": {
        "id": {"type": "string", "description": "The id."},
        "amount": {"type": "integer", "description": "The amount."},
    },
}


def _envelope(description: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["success", *fields],
        "properties": {"success": {"type": "boolean", "description": "True."}, **fields},
    }


def _get(operation_id: str, schema: str, **extra: Any) -> dict[str, Any]:
    ok = {"description": "OK.", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    return {
        "parameters": [{"$ref": "#/components/parameters/CustomerId"}],
        "get": {
            "operationId": operation_id,
            "tags": ["customers"],
            "summary": "An operation.",
            "description": "An operation named like a builtin or a keyword.",
            "x-ching-safe-to-repeat": True,
            "responses": {"200": ok},
            **extra,
        },
    }


def with_odd_names(spec: dict[str, Any]) -> None:
    """`list_invoices` after `list`, verbs named like builtins and keywords, a result field named `list`."""
    invoices = {"type": "array", "description": "Invoices.", "items": {"$ref": "#/components/schemas/Invoice"}}
    schemas = spec["components"]["schemas"]
    schemas["Invoice"] = INVOICE
    schemas["InvoiceListEnvelope"] = _envelope("Invoices.", data=invoices)
    schemas["InvoicePageEnvelope"] = _envelope(
        "A page.", list={"type": "string", "description": "The list's name."}, data=invoices
    )
    paths = spec["paths"]
    paths["/v1/customers/{id}/invoices"] = _get("customers_list_invoices", "InvoiceListEnvelope")
    paths["/v1/customers/{id}/page"] = _get("customers_page", "InvoicePageEnvelope")
    for verb in ODD_VERBS:
        paths[f"/v1/customers/{{id}}/{verb}"] = _get(f"customers_{verb}", "CustomerEnvelope")
    since = {
        "name": "since",
        "in": "query",
        "description": "From.",
        "schema": {"type": "string", "format": "date-time"},
    }
    paths["/v1/customers/{id}/since"] = _get("customers_since", "InvoiceListEnvelope", parameters=[since])


USE_ODD_NAMES = """
import datetime

from ching_client import AsyncChing, Ching
from ching_client.models import Customer, Invoice


def use(ching: Ching) -> None:
    customers: list[Customer] = ching.customers.list()
    invoices: list[Invoice] = ching.customers.list_invoices("cus_1")
    odd: list[Customer] = [
        ching.customers.type("cus_1"), ching.customers.id("cus_1"), ching.customers.format("cus_1"),
        ching.customers.import_("cus_1"), ching.customers.str("cus_1"), ching.customers.int("cus_1"),
        ching.customers.float("cus_1", timeout=1.5, max_retries=2), ching.customers.datetime("cus_1"),
        ching.customers.class_("cus_1"),
    ]
    since: list[Invoice] = ching.customers.since("cus_1", since=datetime.datetime.now(datetime.UTC).isoformat())
    page = ching.customers.page("cus_1")
    name: str = page.list_
    items: list[Invoice] = page.data


async def use_async(ching: AsyncChing) -> None:
    invoices: list[Invoice] = await ching.customers.list_invoices("cus_1")
    customer: Customer = await ching.customers.import_("cus_1")
"""


def test_operations_named_like_builtins_and_keywords_generate_code_that_type_checks(tmp_path: Path) -> None:
    # A method `list` made `list[Invoice]` name the method in every annotation after it; a verb that is a
    # keyword (`import`) was refused. Now: each keyword verb is the method `<verb>_`, and mypy --strict
    # (as `make typecheck` runs it) accepts the regenerated package and code that calls every method.
    shutil.copytree(ROOT / "ching_client", tmp_path / "ching_client", ignore=shutil.ignore_patterns("__pycache__"))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_spec_with(with_odd_names), sort_keys=False), encoding="utf-8")
    generate(spec, tmp_path / "ching_client" / "_generated")
    (tmp_path / "use.py").write_text(USE_ODD_NAMES, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MYPY"))}
    env.update(PYTHONPATH=str(tmp_path), MYPYPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy_cache"), "use.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    check = "from ching_client._generated._sync.resources import Customers; print(Customers.import_.__doc__[:20])"
    ran = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr


def test_names_a_member_hides_are_spelled_so_it_cannot() -> None:
    assert unshadowed("list[Invoice]", ["list", "retrieve"]) == "builtins.list[Invoice]"
    assert unshadowed("datetime.datetime | None", ["datetime"]) == "_datetime.datetime | None"
    assert unshadowed("Literal['list', \"int\"] | int", ["list", "int"]) == "Literal['list', \"int\"] | builtins.int"
    assert unshadowed("list[Invoice]", ["retrieve"]) == "list[Invoice]"
    assert unshadowed("Mapping[str, str]", ["apping", "str_"]) == "Mapping[str, str]"


def _main(spec: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "generator.generate", "--spec", str(spec), "--out", str(tmp_path / "o")]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_an_unresolved_ref_is_named_with_its_file_line_and_pointer(tmp_path: Path) -> None:
    text = (ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8")
    wrong = "#/components/schemas/CustomerCreateRequst"
    spec = tmp_path / "ching.yaml"
    spec.write_text(text.replace("#/components/schemas/CustomerCreateRequest", wrong, 1), encoding="utf-8")
    done = _main(spec, tmp_path)
    line = _line_of(spec.read_text(encoding="utf-8"), wrong)
    pointer = "#/paths/~1v1~1customers/post/requestBody/content/application~1json/schema"
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "generation failed:",
        f"{spec}:{line}: {pointer}: $ref '{wrong}' points to nothing: no such place in this file",
    ]


def test_a_yaml_mistake_is_one_line_with_its_place_not_a_traceback(tmp_path: Path) -> None:
    text = (ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "ching.yaml"
    spec.write_text(text.replace("  /v1/customers:\n", "  /v1/customers: :\n", 1), encoding="utf-8")
    done = _main(spec, tmp_path)
    line = _line_of(spec.read_text(encoding="utf-8"), "/v1/customers: :")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "generation failed:",
        f"{spec}:{line}:18: not valid YAML: mapping values are not allowed here",
    ]


def test_a_spec_that_is_not_openapi_is_refused_before_generation_at_each_place(tmp_path: Path) -> None:
    def broken(spec: dict[str, Any]) -> None:
        spec["paths"]["/v1/customers"]["get"]["responses"]["200"] = {"summary": "no description"}
        spec["components"]["schemas"]["Customer"]["properties"]["name"]["type"] = "text"

    with pytest.raises(GenerationFailed) as caught:
        _generate(tmp_path, _spec_with(broken))
    problems = str(caught.value).splitlines()
    where = f"{tmp_path / 'spec.yaml'}:"
    assert all(p.startswith(where) for p in problems), problems
    assert any("#/paths/~1v1~1customers/get/responses/200: 'description' is a required property" in p for p in problems)
    assert any("#/components/schemas/Customer/properties/name/type: 'text' is not valid" in p for p in problems)
    assert not (tmp_path / "out").exists()


def test_an_unsupported_construct_is_named_with_its_operation_and_line(tmp_path: Path) -> None:
    def xml(spec: dict[str, Any]) -> None:
        spec["paths"]["/v1/customers"]["post"]["requestBody"]["content"] = {
            "application/xml": {"schema": {"type": "string"}}
        }

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_spec_with(xml), sort_keys=False), encoding="utf-8")
    done = _main(spec, tmp_path)
    assert done.returncode == 1
    lines = spec.read_text(encoding="utf-8").splitlines()
    post = next(i for i, line in enumerate(lines, start=1) if line == "    post:")  # /v1/customers comes first
    assert done.stderr.splitlines() == [
        "generation failed:",
        f"{spec}:{post}: POST /v1/customers: Unsupported content type application/xml",
    ]


def test_a_wrong_x_ching_pagination_is_refused_naming_each_mistake_and_its_place(tmp_path: Path) -> None:
    def paged(spec: dict[str, Any]) -> None:
        get = spec["paths"]["/v1/customers"]["get"]
        get["parameters"] = [{"name": "limit", "in": "query", "schema": {"type": "string"}}]
        get["x-ching-pagination"] = {
            "limit": "limit",
            "startingAfter": "starting_after",
            "hasMore": "has_more",
            "items": "data",
            "cursorFrom": "next_item",
            "pageSize": 10,
        }
        spec["paths"]["/v1/customers"]["post"]["x-ching-pagination"] = {"limit": "limit"}

    with pytest.raises(GenerationFailed) as caught:
        _generate(tmp_path, _spec_with(paged))
    problems = str(caught.value).splitlines()
    assert all(p.startswith(f"{tmp_path / 'spec.yaml'}:") for p in problems), problems
    at = "#/paths/~1v1~1customers/get/x-ching-pagination"
    expected = [
        f"{at}/pageSize: x-ching-pagination: unknown key",
        f"{at}/limit: x-ching-pagination: the query parameter 'limit' must be of type integer",
        f"{at}/startingAfter: x-ching-pagination: names 'starting_after', which is not a query parameter",
        f"{at}/cursorFrom: x-ching-pagination: must be one of last_item_id, response_field, not 'next_item'",
        f"{at}/hasMore: x-ching-pagination: names 'has_more', which is not a field of the success response",
        "#/paths/~1v1~1customers/post/x-ching-pagination: x-ching-pagination: only a GET list operation can page",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert not (tmp_path / "out").exists()
