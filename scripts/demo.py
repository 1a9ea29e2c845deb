"""A realistic walk through the SDK, against the local Ching by default.

python scripts/demo.py                      start the local Ching on a free port and run against it
python scripts/demo.py --base-url URL       run against any Ching-compatible server (key from CHING_API_KEY)
python scripts/demo.py --base-url URL --live   allow a live key
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import sys
from collections.abc import Iterator

from ching_client import AsyncChing, BadRequestError, Ching, DeletedCustomer

# A 1x1 PNG, small enough to print the whole flow in a few lines.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def show(label: str, value: object) -> None:
    print(f"  {label:<28} {value}")


async def async_flow(ching: AsyncChing) -> None:
    print(f"AsyncChing against {ching.base_url} ({'live' if ching.livemode else 'test'} mode)")
    customer = await ching.customers.create(name="Tal Levi", email="tal@example.com", metadata={"user_id": "42"})
    show("created customer", f"{customer.id} {customer.email} metadata={customer.metadata}")
    fetched = await ching.customers.retrieve(customer.id)
    show("retrieved", f"{fetched.id} created {customer.created:%Y-%m-%d %H:%M} UTC")
    customer = await ching.customers.update(customer.id, phone="054-987-6543")
    show("phone 054-987-6543 stored as", customer.phone)
    first = await ching.customers.upsert(identify_by="email", email="noa@example.com", name="Noa Cohen")
    second = await ching.customers.upsert(identify_by="email", email="noa@example.com", name="Noa C.")
    show("upsert twice", f"{first.action}, then {second.action} (same id: {first.customer.id == second.customer.id})")
    customers = await ching.customers.list()
    show("list, newest first", ", ".join(c.name for c in customers))

    product = await ching.products.create(
        name="Pro Plan",
        description="Full access, billed monthly.",
        features=[{"title": "Unlimited customers"}, {"title": "Priority support", "subtitle": "Under 4h"}],
    )
    show("created product", f"{product.id} with {len(product.features)} features, active={product.active}")
    url = await ching.products.upload_image(content=PNG, content_type="image/png", filename="pro-plan")
    show("uploaded image", url)
    product = await ching.products.update(product.id, image_url=url, active=False, description=None)
    show("retired product", f"active={product.active} description={product.description}")

    tombstone = await ching.customers.delete(customer.id)
    again = await ching.customers.retrieve(customer.id)
    is_tombstone = isinstance(again, DeletedCustomer)
    show("deleted customer", f"deleted={tombstone.deleted}; retrieve gives a tombstone: {is_tombstone}")
    try:
        await ching.customers.create(name="Dana", phone="not a phone")
    except BadRequestError as exc:
        show("a deliberate mistake", f"{type(exc).__name__} {exc.status_code} {exc.code} issues={exc.issues}")


def sync_flow(ching: Ching) -> None:
    print(f"Ching (sync) against {ching.base_url}")
    show("customers", len(ching.customers.list()))
    show("products", [(p.name, p.active) for p in ching.products.list()])


@contextlib.contextmanager
def local_ching() -> Iterator[tuple[str, str]]:
    """The local Ching over loopback HTTP on a free port, stopped on exit."""
    from ching_client.testing import DEFAULT_TEST_KEY, serve

    with serve() as server:
        print(f"local Ching serving at {server.base_url}")
        yield server.base_url, DEFAULT_TEST_KEY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a Ching-compatible server (default: start the local Ching)")
    parser.add_argument("--live", action="store_true", help="allow a live key")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.base_url is None:
            base_url, api_key = stack.enter_context(local_ching())
        else:
            base_url, api_key = args.base_url, os.environ.get("CHING_API_KEY", "")
        async_client = AsyncChing(api_key=api_key or None, base_url=base_url)
        if async_client.livemode and not args.live:
            print("refusing to run the demo with a live key; pass --live if you mean it", file=sys.stderr)
            return 2
        asyncio.run(run_async(async_client))
        with Ching(api_key=api_key or None, base_url=base_url) as ching:
            sync_flow(ching)
    return 0


async def run_async(ching: AsyncChing) -> None:
    async with ching:
        await async_flow(ching)


if __name__ == "__main__":
    raise SystemExit(main())
