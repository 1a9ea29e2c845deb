"""Code using the evolved API as an application would: ``mypy --strict`` must accept all of it."""

from __future__ import annotations

import datetime

from ching_client import UNSET, AsyncChing, Ching
from ching_client.models import Address, AddressParam, CallNote, Contact, Customer, CustomerStats, Price, TextNote

HOME: AddressParam = {"line1": "1 Main St", "city": "Tel Aviv", "postal_code": "6100000", "country": "IL"}


def postal_code(customer: Customer) -> str | None:
    return customer.address.postal_code if isinstance(customer.address, Address) else None


def create_sync(ching: Ching) -> Customer:
    return ching.customers.create(
        name="Tal",
        company_name="Acme",
        address={**HOME, "geo_point": {"latitude": 32.08, "longitude": 34.78}},
        contacts=[{"full_name": "Dana", "role": "billing"}, Contact(full_name="Noa")],
    )


async def create_async(ching: AsyncChing) -> Customer:
    return await ching.customers.create(
        name="Tal", address=Address(line1="1", city="TLV", postal_code="610", country="IL")
    )


def retrieve_sync(ching: Ching) -> int:
    found = ching.customers.retrieve("cus_1", expand=["stats", "contacts"])
    if isinstance(found, Customer) and isinstance(found.stats, CustomerStats):
        return found.stats.invoice_count
    return 0


def list_sync(ching: Ching) -> list[str]:
    listed = ching.customers.list(
        email="tal@example.com",
        limit=5,
        include_deleted=False,
        tier="gold",
        tag=["vip"],
        ids=["cus_1"],
        created_years=[2025],
        metadata={"plan": "pro"},
        x_ching_account="acct_1",
    )
    return [customer.id for customer in listed]


async def patch_async(ching: AsyncChing) -> Customer:
    return await ching.customers.patch("cus_1", company_name=None, address=None, contacts=None)


async def notes_async(ching: AsyncChing) -> list[str]:
    note = await ching.customer_notes.create(
        "cus_1",
        kind="call",
        duration_seconds=90,
        follow_up={"due_at": datetime.datetime.now(datetime.UTC), "assignee_email": "a@b.co"},
    )
    texts = [n.text for n in await ching.customer_notes.list("cus_1", kind="text") if isinstance(n, TextNote)]
    return [note.id, *texts] if isinstance(note, CallNote) else texts


def price_sync(ching: Ching) -> Price:
    return ching.prices.create(
        ching_version="2026-06-01",
        x_ching_tags=["import"],
        product_id="prod_1",
        unit_amount=1500,
        currency="ils",
        recurring={"interval": "month", "interval_count": 1},
        tiers=[{"up_to": None, "unit_amount": 1200}],
    )


async def every_customer_async(ching: AsyncChing) -> list[Customer]:
    found: list[Customer] = []
    async for customer in ching.customers.list(limit=50, max_items=500):
        found.append(customer)
    page = await ching.customers.list(limit=10).first_page()
    async for later in ching.customers.list(limit=10, starting_after=page.next_cursor or UNSET).pages():
        found += later.items
    return found + page.items


def every_product_name(ching: Ching) -> list[str]:
    return [product.name for product in ching.products.list(page_size=100)]
