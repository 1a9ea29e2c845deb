"""Today's lists are capped (the spec's ``maxItems: 100``): a list that comes back full says it may be truncated."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ching_client import CappedList, Customer, Product
from ching_client._runtime import pagination

from ._support import CUSTOMER, PRODUCT, Harness, ScriptedServer, ok

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def warnings_once() -> Iterator[None]:
    """A fresh "already warned" memory: each test sees its process's first full list."""
    saved = set(pagination._warned)
    pagination._warned.clear()
    yield
    pagination._warned.clear()
    pagination._warned.update(saved)


def _customers(count: int) -> list[dict[str, object]]:
    return [{**CUSTOMER, "id": f"cus_{i:04d}"} for i in range(count)]


async def test_a_full_list_says_it_may_be_truncated_and_logs_it_once(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    server.script(ok(_customers(100)))
    client = harness.client()
    with caplog.at_level(logging.WARNING, logger="ching_client"):
        listed = await harness.call(client.customers.list)
    await harness.close(client)
    assert isinstance(listed, list)  # still a list for code written before the flag
    assert isinstance(listed, CappedList)
    assert (len(listed), listed.cap, listed.may_be_truncated) == (100, 100, True)
    assert all(isinstance(c, Customer) for c in listed)
    warnings = [r for r in caplog.records if r.name == "ching_client" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    message = warnings[0].getMessage()
    assert "customers.list returned 100 items" in message
    assert "may_be_truncated" in message
    assert "retrieve" in message


async def test_a_job_listing_again_is_told_once_at_warning_then_at_debug(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    server.script(ok(_customers(100)), ok(_customers(100)), ok(_customers(100)))
    client = harness.client()
    with caplog.at_level(logging.DEBUG, logger="ching_client"):
        lists = [await harness.call(client.customers.list) for _ in range(3)]
    await harness.close(client)
    assert [listed.may_be_truncated for listed in lists] == [True, True, True]  # the result says it every time
    levels = [r.levelno for r in caplog.records if "customers.list returned 100 items" in r.getMessage()]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]


@pytest.mark.parametrize("count", [0, 1, 99])
async def test_a_list_under_the_cap_is_complete_and_silent(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture, count: int
):
    server.script(ok(_customers(count)))
    client = harness.client()
    with caplog.at_level(logging.WARNING, logger="ching_client"):
        listed = await harness.call(client.customers.list)
    await harness.close(client)
    assert (len(listed), listed.may_be_truncated) == (count, False)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_products_list_reads_its_cap_from_the_spec_too(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    server.script(ok([{**PRODUCT, "id": f"prod_{i:04d}"} for i in range(100)]))
    client = harness.client()
    with caplog.at_level(logging.WARNING, logger="ching_client"):
        listed = await harness.call(client.products.list)
    await harness.close(client)
    assert listed.may_be_truncated
    assert all(isinstance(p, Product) for p in listed)
    assert ["products.list" in r.getMessage() for r in caplog.records if r.name == "ching_client"] == [True]


async def test_the_local_ching_list_of_100_is_flagged_on_both_clients(harness: Harness):
    from ching_client.testing import FakeChing

    fake = FakeChing()
    client = harness.local(fake)
    for i in range(101):
        await harness.call(client.customers.create, name=f"Customer {i}")
    listed = await harness.call(client.customers.list)
    await harness.close(client)
    assert (len(listed), listed.may_be_truncated) == (100, True)
