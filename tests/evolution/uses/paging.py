"""Paged lists on both clients, against the local Ching of the evolved spec (it pages as x-ching-pagination says).

Run by tests/evolution/test_evolution.py in a subprocess whose ``ching_client`` is the package regenerated
from the evolved spec: ``python paging.py PACKAGE_PARENT``. Customers page as seed 001 does (``limit``,
``starting_after`` / ``ending_before``, ``has_more``); products with a token the answer carries
(``page_size``, ``page_token``, ``next_page_token``). Prints "paging ok on both clients".
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs

import anyio

import ching_client
from ching_client import AsyncChing, Ching, InvalidArgumentError, NotFoundError
from ching_client.testing import FakeChing, no_backoff

assert Path(ching_client.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), ching_client.__file__

N = 250


def seed(fake: FakeChing) -> tuple[list[str], list[str]]:
    """250 customers and 250 products; their ids newest first, the order the lists give."""
    with fake.ching() as ching:
        customers = [ching.customers.create(name=f"Customer {i}").id for i in range(N)]
        products = [ching.products.create(name=f"Product {i}").id for i in range(N)]
    return customers[::-1], products[::-1]


def sent(fake: FakeChing, since: int) -> list[dict[str, list[str]]]:
    """The queries of the list requests the local Ching answered since request ``since``."""
    return [parse_qs(r.query) for r in fake.requests.entries()[since:] if r.method == "GET"]


def fault_after(fake: FakeChing, status: int) -> None:
    fake.faults.add("status", status=status, operation="customers_list", times=1)


async def run_async(fake: FakeChing, customers: list[str], products: list[str]) -> None:
    async with fake.async_ching() as ching:
        await check_async(fake, ching, customers, products)


async def check_async(fake: FakeChing, ching: AsyncChing, customers: list[str], products: list[str]) -> None:
    # Every item, in order, no duplicate, no gap; one request per page of `limit`.
    before = len(fake.requests.entries())
    assert [c.id async for c in ching.customers.list(limit=40)] == customers
    queries = sent(fake, before)
    assert [q.get("limit") for q in queries] == [["40"]] * 7, queries
    assert [q.get("starting_after") for q in queries[1:]] == [[customers[i * 40 - 1]] for i in range(1, 7)]
    assert [p.id async for p in ching.products.list(page_size=100)] == products  # token cursors
    # Page by page: items, has_more, the cursor to resume from.
    page = await ching.customers.list(limit=7).first_page()
    assert ([c.id for c in page], page.has_more, page.next_cursor) == (customers[:7], True, customers[6])
    resumed = await ching.customers.list(limit=7, starting_after=page.next_cursor).first_page()
    assert [c.id for c in resumed] == customers[7:14]
    pages = [p async for p in ching.products.list(page_size=100).pages()]
    assert [(len(p), p.has_more, p.next_cursor is None) for p in pages] == [
        (100, True, False),
        (100, True, False),
        (50, False, True),
    ]
    backwards = [c.id async for c in ching.customers.list(limit=10, ending_before=customers[30])]
    assert backwards == customers[20:30] + customers[10:20] + customers[:10]
    # max_items: the total; pages ask for no more than it still needs.
    before = len(fake.requests.entries())
    assert [c.id async for c in ching.customers.list(limit=20, max_items=55)] == customers[:55]
    assert [q["limit"] for q in sent(fake, before)] == [["20"], ["20"], ["15"]]
    before = len(fake.requests.entries())
    assert [c async for c in ching.customers.list(max_items=0)] == []
    assert len(fake.requests.entries()) == before  # nothing asked for, nothing sent
    refused: InvalidArgumentError | None = None
    try:
        ching.customers.list(max_items=-1)
    except InvalidArgumentError as exc:
        refused = exc
    assert getattr(refused, "argument", None) == "max_items", refused
    # A failing page: a 503 is retried as any GET and the walk goes on; a 404 raises after what was yielded.
    got: list[str] = []
    async for c in ching.customers.list(limit=100):
        got.append(c.id)
        if len(got) == 100:
            fault_after(fake, 503)
    assert got == customers
    got = []
    try:
        async for c in ching.customers.list(limit=100):
            got.append(c.id)
            if len(got) == 100:
                fault_after(fake, 404)
        raise AssertionError("the 404 was not raised")
    except NotFoundError:
        assert got == customers[:100]
    # Cancelled mid-way: nothing is left in flight, and the client goes on working.
    stop = anyio.Event()
    seen: list[str] = []
    before = len(fake.requests.entries())

    async def walk() -> None:
        async for c in ching.customers.list(limit=50):
            seen.append(c.id)
            if len(seen) == 60:
                stop.set()
                await anyio.sleep_forever()

    async with anyio.create_task_group() as tg:
        tg.start_soon(walk)
        await stop.wait()
        tg.cancel_scope.cancel()
    assert seen == customers[:60]
    log = fake.requests.entries()[before:]
    assert [(r.method, r.status) for r in log] == [("GET", 200)] * 2, log  # two pages, both answered
    assert [c.id async for c in ching.customers.list(limit=100)] == customers


def run_sync(fake: FakeChing, customers: list[str], products: list[str]) -> None:
    with fake.ching() as ching:
        check_sync(fake, ching, customers, products)


def check_sync(fake: FakeChing, ching: Ching, customers: list[str], products: list[str]) -> None:
    before = len(fake.requests.entries())
    assert [c.id for c in ching.customers.list(limit=40)] == customers
    assert len(sent(fake, before)) == 7
    assert [p.id for p in ching.products.list(page_size=100)] == products
    page = ching.customers.list(limit=7).first_page()
    assert ([c.id for c in page], page.has_more, page.next_cursor) == (customers[:7], True, customers[6])
    assert [len(p) for p in ching.products.list(page_size=100).pages()] == [100, 100, 50]
    before = len(fake.requests.entries())
    assert [c.id for c in ching.customers.list(limit=20, max_items=55)] == customers[:55]
    assert [q["limit"] for q in sent(fake, before)] == [["20"], ["20"], ["15"]]
    got: list[str] = []
    for c in ching.customers.list(limit=100):
        got.append(c.id)
        if len(got) == 100:
            fault_after(fake, 503)
    assert got == customers
    got = []
    try:
        for c in ching.customers.list(limit=100):
            got.append(c.id)
            if len(got) == 100:
                fault_after(fake, 404)
        raise AssertionError("the 404 was not raised")
    except NotFoundError:
        assert got == customers[:100]
    # Stopping early (break) sends nothing more.
    before = len(fake.requests.entries())
    for i, _ in enumerate(ching.customers.list(limit=50)):
        if i == 59:
            break
    assert len(fake.requests.entries()) - before == 2
    assert [c.id for c in ching.customers.list(limit=100)] == customers


def main() -> None:
    fake = FakeChing()
    customers, products = seed(fake)
    with no_backoff():
        anyio.run(run_async, fake, customers, products, backend="asyncio")
        run_sync(fake, customers, products)
    print("paging ok on both clients")


if __name__ == "__main__":
    main()
