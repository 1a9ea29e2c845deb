"""Both clients use the additive change of ``tests/data/additive_change.yaml`` against the local Ching.

Run by ``tests/test_api_change.py`` in a copy of the repository with the change applied and regenerated,
``python use_the_change.py COPY``, whose ``ching_client`` must be the copy's. Prints "both clients use the
change". Not type-checked in the checkout (its SDK has neither the field nor the operation): the standing
test runs ``mypy --strict`` on it in the copy.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import anyio

import ching_client
from ching_client import AsyncChing, Ching, Customer, NotFoundError
from ching_client.models import Invoice
from ching_client.testing import FakeChing, envelopes

assert Path(ching_client.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), ching_client.__file__

#: An invoice as Ching would send one, built from the spec by the testing envelopes.
INVOICE = envelopes.resource(
    "Invoice", id="inv_Q2w9Zt7bK1aa", object="invoice", amount=4900, currency="ILS", created="2026-04-20T10:00:00.000Z"
)


def _invoices_answered(fake: FakeChing) -> None:
    """The next list of invoices answers with INVOICE (the local Ching stores none of its own)."""
    body = json.dumps(envelopes.success([INVOICE]))
    fake.faults.add("status", status=200, body=body, operation="customers_list_invoices", times=1)


def _check_invoices(invoices: list[Invoice]) -> None:
    [invoice] = invoices
    assert isinstance(invoice, Invoice), invoice
    assert (invoice.id, invoice.amount, invoice.currency) == ("inv_Q2w9Zt7bK1aa", 4900, "ILS"), invoice
    assert invoice.created == datetime.datetime(2026, 4, 20, 10, tzinfo=datetime.UTC), invoice.created
    assert invoice.to_dict()["amount"] == 4900


def use_sync(fake: FakeChing) -> None:
    """``company_name=`` through create, update and upsert, read back; ``list_invoices`` of a customer."""
    with fake.ching() as ching:
        assert isinstance(ching, Ching)
        created = ching.customers.create(name="Tal Levi", email="tal@example.com", company_name="Acme Ltd")
        assert (created.company_name, created.to_dict()["companyName"]) == ("Acme Ltd", "Acme Ltd")
        assert ching.customers.create(name="Noa").company_name is None  # never given: null, as the spec says
        assert ching.customers.update(created.id, company_name="Acme Holdings").company_name == "Acme Holdings"
        upserted = ching.customers.upsert(identify_by="email", email="tal@example.com", company_name="Acme Group")
        assert (upserted.action, upserted.customer.id) == ("updated", created.id)
        fetched = ching.customers.retrieve(created.id)
        assert isinstance(fetched, Customer), fetched
        assert fetched.company_name == "Acme Group", fetched
        assert [c.company_name for c in ching.customers.list() if c.id == created.id] == ["Acme Group"]
        assert ching.customers.list_invoices(created.id) == []
        _invoices_answered(fake)
        _check_invoices(ching.customers.list_invoices(created.id))
        try:
            ching.customers.list_invoices("cus_Unknown00001")
        except NotFoundError as exc:
            missing = str(exc)
        else:
            raise AssertionError("list_invoices of an unknown customer succeeded")
        assert "GET /v1/customers/cus_Unknown00001/invoices failed with 404" in missing, missing


async def use_async(fake: FakeChing) -> None:
    """The same on ``AsyncChing``."""
    async with fake.async_ching() as ching:
        assert isinstance(ching, AsyncChing)
        created = await ching.customers.create(name="Dana", email="dana@example.com", company_name="Beta Ltd")
        assert created.company_name == "Beta Ltd"
        updated = await ching.customers.update(created.id, company_name="Beta Holdings")
        assert updated.company_name == "Beta Holdings"
        upserted = await ching.customers.upsert(
            identify_by="email", email="new@example.com", name="Gal", company_name="Gamma"
        )
        assert (upserted.action, upserted.customer.company_name) == ("created", "Gamma")
        fetched = await ching.customers.retrieve(created.id)
        assert isinstance(fetched, Customer), fetched
        assert fetched.company_name == "Beta Holdings", fetched
        assert await ching.customers.list_invoices(created.id) == []
        _invoices_answered(fake)
        _check_invoices(await ching.customers.list_invoices(created.id))


def main() -> None:
    """Both clients, then what the local Ching saw, and the testing envelopes' new field."""
    fake = FakeChing()
    use_sync(fake)
    anyio.run(use_async, fake)
    seen = [entry.operation_id for entry in fake.requests.entries()]
    assert seen.count("customers_list_invoices") == 5, seen
    assert envelopes.customer(company_name="Acme Ltd")["companyName"] == "Acme Ltd"
    assert Customer.from_dict(envelopes.customer(company_name="Acme Ltd")).company_name == "Acme Ltd"
    print("both clients use the change")


if __name__ == "__main__":
    main()
