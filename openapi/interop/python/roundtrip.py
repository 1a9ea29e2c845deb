"""Round trip of the openapi-generator `python` client against the local Ching.

Run by tests/test_interop.py with the generated package (`ching_api`) on PYTHONPATH and
CHING_BASE_URL / CHING_API_KEY set. Prints one `ok NAME` or `FAIL NAME: why` line per check
and `roundtrip N/13` last; exits 0 only when every check passed.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable

from checks import PNG_BASE64, expect, run_checks
from ching_api import ApiClient, Configuration
from ching_api.api.customers_api import CustomersApi
from ching_api.api.products_api import ProductsApi
from ching_api.exceptions import ApiException
from ching_api.models import (
    CustomerCreateRequest,
    CustomerUpdateRequest,
    CustomerUpsertRequest,
    ErrorEnvelope,
    ProductCreateRequest,
    ProductFeatureInput,
    ProductImageUploadRequest,
    ProductUpdateRequest,
)


def main() -> int:
    config = Configuration(host=os.environ["CHING_BASE_URL"], access_token=os.environ["CHING_API_KEY"])
    client = ApiClient(config)
    customers, products = CustomersApi(client), ProductsApi(client)
    email = f"tal-{uuid.uuid4().hex[:8]}@example.com"
    state: dict[str, str] = {}

    def customers_create() -> None:
        result = customers.customers_create(
            CustomerCreateRequest(name="Tal Levi", email=email, metadata={"user_id": "42"})
        )
        expect(result.success is True, f"success is {result.success!r}")
        expect(result.data.id.startswith("cus_"), f"id {result.data.id!r}")
        expect(result.data.email == email and result.data.metadata == {"user_id": "42"}, repr(result.data))
        state["customer"] = result.data.id

    def customers_list() -> None:
        ids = [c.id for c in customers.customers_list().data]
        expect(state["customer"] in ids, f"{state['customer']} not in {ids}")

    def customers_retrieve() -> None:
        found = customers.customers_retrieve(state["customer"]).data
        expect(found.deleted is not True, f"got a tombstone: {found!r}")
        expect(found.id == state["customer"] and found.name == "Tal Levi", repr(found))

    def customers_update() -> None:
        updated = customers.customers_update(state["customer"], CustomerUpdateRequest(phone="054-987-6543")).data
        expect(updated.phone == "+972549876543", f"phone {updated.phone!r}")

    def customers_upsert() -> None:
        result = customers.customers_upsert(CustomerUpsertRequest(identify_by="email", email=email, name="Tal"))
        action = result.action.actual_instance if hasattr(result.action, "actual_instance") else result.action
        expect(str(action) == "updated", f"action {action!r}")
        expect(result.data.id == state["customer"] and result.data.name == "Tal", repr(result.data))

    def customers_delete() -> None:
        tombstone = customers.customers_delete(state["customer"]).data
        expect(tombstone.id == state["customer"] and tombstone.deleted is True, repr(tombstone))

    def retrieve_deleted() -> None:
        found = customers.customers_retrieve(state["customer"]).data
        expect(found.deleted is True and found.id == state["customer"], f"not a tombstone: {found!r}")

    def products_create() -> None:
        product = products.products_create(
            ProductCreateRequest(
                name="Pro Plan",
                description="Full access",
                features=[ProductFeatureInput(title="Priority support", subtitle="Under 4h")],
            )
        ).data
        expect(product.id.startswith("prod_") and product.active is True, repr(product))
        expect([(f.title, f.subtitle) for f in product.features] == [("Priority support", "Under 4h")], repr(product))
        state["product"] = product.id

    def products_list() -> None:
        ids = [p.id for p in products.products_list().data]
        expect(state["product"] in ids, f"{state['product']} not in {ids}")

    def products_retrieve() -> None:
        product = products.products_retrieve(state["product"]).data
        expect(product.id == state["product"] and product.name == "Pro Plan", repr(product))

    def products_update() -> None:
        product = products.products_update(state["product"], ProductUpdateRequest(active=False, description=None)).data
        expect(product.active is False and product.description is None, repr(product))

    def products_upload_image() -> None:
        request = ProductImageUploadRequest(content=PNG_BASE64, content_type="image/png", filename="pro-plan")
        url = products.products_upload_image(request).data.url
        expect(url.startswith("http") and url.endswith("pro-plan.png"), f"url {url!r}")

    def typed_error() -> None:
        try:
            customers.customers_retrieve("cus_missing")
        except ApiException as exc:
            expect(exc.status == 404, f"status {exc.status}")
            expect(isinstance(exc.data, ErrorEnvelope), f"error body decoded as {type(exc.data).__name__}")
            expect(exc.data.success is False, f"success {exc.data.success!r}")
            expect(exc.data.error.code == "NOT_FOUND" and exc.data.error.status == 404, repr(exc.data.error))
            return
        raise AssertionError("no error for a missing customer")

    checks: list[Callable[[], None]] = [
        customers_create,
        customers_list,
        customers_retrieve,
        customers_update,
        customers_upsert,
        customers_delete,
        retrieve_deleted,
        products_create,
        products_list,
        products_retrieve,
        products_update,
        products_upload_image,
        typed_error,
    ]
    return run_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
