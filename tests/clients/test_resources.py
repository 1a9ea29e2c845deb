"""Every resource method on both clients: the request it sends and the result it returns."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import pytest

from ching_client import (
    Customer,
    CustomersUpsertResult,
    DeletedCustomer,
    InvalidArgumentError,
    Product,
    ProductFeature,
    ProductFeatureInput,
)

from ._support import (
    CUSTOMER,
    DEFAULT_BASE_URL,
    DELETED_CUSTOMER,
    IMAGE_URL,
    OPS,
    OPS_BY_NAME,
    PNG_BYTES,
    PRODUCT,
    Harness,
    Op,
    ScriptedServer,
    ok,
    op_id,
)

pytestmark = pytest.mark.anyio


# --- what is sent -----------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_each_method_sends_its_http_method_path_and_body(harness: Harness, server: ScriptedServer, op: Op):
    server.script(op.reply)
    result = await harness.run(op, harness.client())
    assert op.check(result)
    [request] = server.requests
    assert request.method == op.http_method
    assert str(request.url) == DEFAULT_BASE_URL + op.path
    assert server.body() == op.body
    if op.body is None:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("base_url", "env_base_url", "expected"),
    [
        pytest.param(None, None, DEFAULT_BASE_URL, id="default"),
        pytest.param("http://127.0.0.1:12111/ching", None, "http://127.0.0.1:12111/ching", id="argument"),
        pytest.param(
            "https://sandbox.example.test/api/", None, "https://sandbox.example.test/api", id="trailing-slash"
        ),
        pytest.param(None, "https://env.example.test/ching", "https://env.example.test/ching", id="env"),
        pytest.param(
            "https://arg.example.test", "https://env.example.test/ching", "https://arg.example.test", id="arg>env"
        ),
    ],
)
async def test_base_url_from_argument_then_env_then_default(
    harness: Harness,
    server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str | None,
    env_base_url: str | None,
    expected: str,
):
    if env_base_url is not None:
        monkeypatch.setenv("CHING_BASE_URL", env_base_url)
    ching = harness.client(base_url=base_url)
    assert ching.base_url == expected
    server.script(ok(PRODUCT))
    await harness.call(ching.products.retrieve, "prod_1")
    assert str(server.requests[0].url) == f"{expected}/v1/products/prod_1"


@pytest.mark.parametrize(
    ("op_name", "args", "kwargs", "body"),
    [
        pytest.param("customers.create", (), {"name": "Noa"}, {"name": "Noa"}, id="create-only-name"),
        pytest.param(
            "customers.create",
            (),
            {
                "name": "Noa Cohen",
                "email": "noa@example.com",
                "phone": "+972501234567",
                "locale": "en",
                "tax_id": "515",
                "metadata": {"user_id": "7", "plan": "pro"},
            },
            {
                "name": "Noa Cohen",
                "email": "noa@example.com",
                "phone": "+972501234567",
                "locale": "en",
                "taxId": "515",
                "metadata": {"user_id": "7", "plan": "pro"},
            },
            id="create-every-field",
        ),
        pytest.param(
            "customers.create",
            (),
            {"name": "Noa", "metadata": MappingProxyType({"a": "b"})},
            {"name": "Noa", "metadata": {"a": "b"}},
            id="create-metadata-any-mapping",
        ),
        pytest.param(
            "customers.upsert",
            (),
            {"identify_by": "taxId", "tax_id": "515", "name": "Noa"},
            {"identifyBy": "taxId", "taxId": "515", "name": "Noa"},
            id="upsert-by-tax-id",
        ),
        pytest.param(
            "customers.upsert",
            (),
            {"identify_by": "phone", "phone": "054-987-6543"},
            {"identifyBy": "phone", "phone": "054-987-6543"},
            id="upsert-by-phone-no-name",
        ),
        pytest.param("customers.update", ("cus_1",), {"email": ""}, {"email": ""}, id="update-clear-email"),
        pytest.param("customers.update", ("cus_1",), {}, {}, id="update-nothing"),
        pytest.param(
            "customers.update",
            ("cus_1",),
            {"name": "N", "tax_id": "9", "metadata": {}},
            {"name": "N", "taxId": "9", "metadata": {}},
            id="update-some",
        ),
        pytest.param("products.create", (), {"name": "Basic"}, {"name": "Basic"}, id="product-create-only-name"),
        pytest.param(
            "products.create",
            (),
            {"name": "Basic", "image_url": "https://x.test/a.png", "metadata": {"k": "v"}},
            {"name": "Basic", "image_url": "https://x.test/a.png", "metadata": {"k": "v"}},
            id="product-create-image-url",
        ),
        pytest.param(
            "products.update",
            ("prod_1",),
            {"description": None, "image_url": None, "features": None},
            {"description": None, "image_url": None, "features": None},
            id="product-update-null-clears",
        ),
        pytest.param(
            "products.update",
            ("prod_1",),
            {"name": "Pro 2", "description": "New", "features": [], "active": True},
            {"name": "Pro 2", "description": "New", "features": [], "active": True},
            id="product-update-values",
        ),
        pytest.param(
            "products.upload_image",
            (),
            {"content": PNG_BYTES},
            {"content": base64.b64encode(PNG_BYTES).decode()},
            id="upload-image-defaults-omitted",
        ),
        pytest.param(
            "products.upload_image",
            (),
            {"content": bytearray(b"GIF89a"), "content_type": "image/gif", "filename": "a_b-C9"},
            {"content": base64.b64encode(b"GIF89a").decode(), "content_type": "image/gif", "filename": "a_b-C9"},
            id="upload-image-bytearray",
        ),
        pytest.param(
            "products.upload_image",
            (),
            {"content": memoryview(b"RIFF....WEBP"), "content_type": "image/webp"},
            {"content": base64.b64encode(b"RIFF....WEBP").decode(), "content_type": "image/webp"},
            id="upload-image-memoryview",
        ),
    ],
)
async def test_body_uses_wire_names_and_sends_only_given_arguments(
    harness: Harness,
    server: ScriptedServer,
    op_name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    body: dict[str, Any],
):
    op = OPS_BY_NAME[op_name]
    server.script(op.reply)
    await harness.call(op.bind(harness.client()), *args, **kwargs)
    assert server.body() == body


@pytest.mark.parametrize(
    ("op_name", "args", "kwargs"),
    [
        pytest.param("customers.create", (), {"name": "Noa", "email": None}, id="customer-create-email"),
        pytest.param("customers.update", ("cus_1",), {"name": None}, id="customer-update-name"),
        pytest.param("customers.update", ("cus_1",), {"email": None}, id="customer-update-email"),
        pytest.param("customers.upsert", (), {"identify_by": "email", "email": None}, id="upsert-email"),
        pytest.param("products.create", (), {"name": "P", "description": None}, id="product-create-description"),
        pytest.param("products.create", (), {"name": "P", "features": None}, id="product-create-features"),
        pytest.param("products.update", ("prod_1",), {"name": None}, id="product-update-name"),
        pytest.param("products.update", ("prod_1",), {"active": None}, id="product-update-active"),
        pytest.param("products.update", ("prod_1",), {"metadata": None}, id="product-update-metadata"),
    ],
)
async def test_none_is_refused_where_ching_cannot_clear_the_field(
    harness: Harness, server: ScriptedServer, op_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
):
    op = OPS_BY_NAME[op_name]
    with pytest.raises(InvalidArgumentError):
        await harness.call(op.bind(harness.client()), *args, **kwargs)
    assert server.count == 0


@pytest.mark.parametrize("op_name", ["products.create", "products.update"])
async def test_features_accept_dicts_input_models_and_output_models(harness: Harness, server: ScriptedServer, op_name):
    op = OPS_BY_NAME[op_name]
    server.script(op.reply)
    features = [
        {"title": "A", "subtitle": "a"},
        ProductFeatureInput(title="B"),
        ProductFeatureInput(title="C", subtitle=None),
        ProductFeature(title="D", subtitle="copied from another product"),
        {"title": "E", "subtitle": None},
    ]
    kwargs: dict[str, Any] = (
        {"features": features} if op_name == "products.update" else {"name": "P", "features": features}
    )
    await harness.call(op.bind(harness.client()), *op.args, **kwargs)
    assert server.body()["features"] == [
        {"title": "A", "subtitle": "a"},
        {"title": "B"},
        {"title": "C", "subtitle": None},
        {"title": "D", "subtitle": "copied from another product"},
        {"title": "E", "subtitle": None},
    ]


# --- what comes back --------------------------------------------------------------------------


async def test_customer_result_is_a_typed_model(harness: Harness, server: ScriptedServer):
    server.script(ok(CUSTOMER, status=201))
    customer = await harness.call(harness.client().customers.create, name="Tal Levi")
    assert isinstance(customer, Customer)
    assert (customer.id, customer.object_, customer.name, customer.email) == (
        "cus_V8ltq1pK_MWH",
        "customer",
        "Tal Levi",
        "tal@example.com",
    )
    assert (customer.phone, customer.locale, customer.tax_id, customer.default_payment_method) == (
        "+972501234567",
        "he",
        "515123456",
        None,
    )
    assert customer.livemode is False
    assert type(customer.metadata) is dict
    assert customer.metadata == {"user_id": "42"}
    assert customer.created == datetime(2026, 4, 19, 9, 12, 43, tzinfo=UTC)
    assert customer.created.utcoffset() == timedelta(0)


async def test_unknown_fields_are_kept_and_round_trip(harness: Harness, server: ScriptedServer):
    extra = {"preferred_channel": "sms", "loyalty": {"tier": "gold", "points": 120}}
    server.script(ok({**CUSTOMER, **extra}))
    customer = await harness.call(harness.client().customers.retrieve, "cus_V8ltq1pK_MWH")
    assert isinstance(customer, Customer)
    assert customer["preferred_channel"] == "sms"
    assert customer["loyalty"] == {"tier": "gold", "points": 120}
    assert "preferred_channel" in customer
    assert customer.additional_properties == extra
    wire = customer.to_dict()
    assert wire["taxId"] == "515123456"
    assert wire["object"] == "customer"
    assert wire["preferred_channel"] == "sms"
    assert datetime.fromisoformat(wire["created"]) == customer.created
    assert {k: v for k, v in wire.items() if k != "created"} == {
        k: v for k, v in {**CUSTOMER, **extra}.items() if k != "created"
    }
    assert Customer.from_dict(wire) == customer


async def test_lists_keep_order_and_may_be_empty(harness: Harness, server: ScriptedServer):
    ching = harness.client()
    second = {**CUSTOMER, "id": "cus_2", "name": "Noa"}
    server.script(ok([CUSTOMER, second]))
    customers = await harness.call(ching.customers.list)
    assert [c.id for c in customers] == ["cus_V8ltq1pK_MWH", "cus_2"]
    assert all(isinstance(c, Customer) for c in customers)
    server.script(ok([]))
    assert await harness.call(ching.products.list) == []


async def test_retrieve_of_a_deleted_customer_returns_its_tombstone(harness: Harness, server: ScriptedServer):
    ching = harness.client()
    server.script(ok(DELETED_CUSTOMER))
    tombstone = await harness.call(ching.customers.retrieve, "cus_V8ltq1pK_MWH")
    assert isinstance(tombstone, DeletedCustomer)
    assert type(tombstone) is DeletedCustomer
    assert tombstone.deleted is True
    assert tombstone.id == "cus_V8ltq1pK_MWH"
    server.script(ok(CUSTOMER))
    assert isinstance(await harness.call(ching.customers.retrieve, "cus_V8ltq1pK_MWH"), Customer)


async def test_delete_returns_the_tombstone(harness: Harness, server: ScriptedServer):
    server.script(ok(DELETED_CUSTOMER))
    tombstone = await harness.call(harness.client().customers.delete, "cus_V8ltq1pK_MWH")
    assert isinstance(tombstone, DeletedCustomer)
    assert (tombstone.id, tombstone.object_, tombstone.deleted) == ("cus_V8ltq1pK_MWH", "customer", True)


@pytest.mark.parametrize("action", ["created", "updated", "merged"])
async def test_upsert_returns_the_action_and_the_customer(harness: Harness, server: ScriptedServer, action: str):
    server.script(ok(CUSTOMER, action=action))
    result = await harness.call(harness.client().customers.upsert, identify_by="email", email="tal@example.com")
    assert isinstance(result, CustomersUpsertResult)
    assert result.action == action  # an action Ching adds later ("merged") is kept as it came
    assert isinstance(result.customer, Customer)
    assert result.customer.email == "tal@example.com"


async def test_product_result_is_a_typed_model(harness: Harness, server: ScriptedServer):
    server.script(ok({**PRODUCT, "unlisted": True, "tax_code": "txcd_10103000"}))
    product = await harness.call(harness.client().products.retrieve, "prod_Lkt0TxOhGNMY")
    assert isinstance(product, Product)
    assert (product.id, product.object_, product.name, product.active) == (
        "prod_Lkt0TxOhGNMY",
        "product",
        "Pro Plan",
        True,
    )
    assert product.description is None
    assert product.image_url == "https://files.ching.co.il/products/pro.png"
    assert all(isinstance(f, ProductFeature) for f in product.features)
    assert [(f.title, f.subtitle) for f in product.features] == [
        ("Unlimited customers", None),
        ("Priority support", "Under 4h response time"),
    ]
    assert type(product.metadata) is dict
    assert product.created == datetime(2026, 4, 19, 9, 12, 43, 250000, tzinfo=UTC)
    assert product.unlisted is True  # optional in the spec, as Ching's CLI reads it
    assert product["tax_code"] == "txcd_10103000"  # a field the spec does not know is kept
    assert product.additional_properties == {"tax_code": "txcd_10103000"}
    assert Product.from_dict(product.to_dict()) == product


async def test_upload_image_returns_the_url_string(harness: Harness, server: ScriptedServer):
    server.script(ok({"url": IMAGE_URL}))
    url = await harness.call(harness.client().products.upload_image, content=PNG_BYTES, filename="pro-plan")
    assert server.body() == {"content": base64.b64encode(PNG_BYTES).decode(), "filename": "pro-plan"}
    assert url == IMAGE_URL
    assert isinstance(url, str)


async def test_each_call_reaches_its_own_url_however_many_distinct_ones_there_are(
    harness: Harness, server: ScriptedServer
):
    """Parsed URLs are reused from call to call; with more distinct ids than are kept, every call still goes to its
    own customer's URL and the client holds no more than a bounded number of them."""
    server.script(ok(CUSTOMER))
    ching = harness.client()
    ids = [f"cus_{i}" for i in range(600)] + ["cus_7", "cus_599", "cus_7"]
    for customer_id in ids:
        await harness.call(ching.customers.retrieve, customer_id)
    assert [r.url.path for r in server.requests] == [f"/ching/v1/customers/{i}" for i in ids]
    assert len(ching._urls) <= 256
