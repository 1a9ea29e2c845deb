"""The SDK clients run against the local Ching in-process, in one line, for users' own tests."""

from __future__ import annotations

import time

import pytest

from ching_client import APIStatusError, DeletedCustomer, InternalServerError, WriteOutcomeUnknownError
from ching_client.testing import DEFAULT_LIVE_KEY, FakeChing, no_backoff


@pytest.mark.anyio
async def test_async_ching_one_liner_talks_to_the_fake() -> None:
    fake = FakeChing()
    async with fake.async_ching() as ching:
        customer = await ching.customers.create(name="Tal", phone="054-987-6543")
        assert customer.phone == "+972549876543"
        await ching.customers.delete(customer.id)
        assert isinstance(await ching.customers.retrieve(customer.id), DeletedCustomer)
    assert [e.operation_id for e in fake.requests.entries()] == [
        "customers_create",
        "customers_delete",
        "customers_retrieve",
    ]


def test_sync_ching_one_liner_keeps_modes_apart() -> None:
    fake = FakeChing()
    with fake.ching() as test_mode, fake.ching(DEFAULT_LIVE_KEY) as live_mode:
        test_mode.products.create(name="Pro Plan")
        assert live_mode.livemode is True
        assert live_mode.products.list() == []
        assert [p.name for p in test_mode.products.list()] == ["Pro Plan"]


def test_no_backoff_retries_without_waiting_and_never_duplicates_a_create() -> None:
    fake = FakeChing()
    fake.faults.add("status", status=503, operation="customers_list", times=2)
    fake.faults.add("drop_after", operation="customers_create", times=1)
    with no_backoff(), fake.ching() as ching:
        assert ching.customers.list() == []
        with pytest.raises(WriteOutcomeUnknownError, match="upsert"):
            ching.customers.create(name="Once", email="once@example.com")
    assert len(fake.requests.for_operation("customers_list")) == 3
    assert fake.counts().customers == 1


def test_server_errors_on_a_create_are_not_retried() -> None:
    fake = FakeChing()
    fake.faults.add("status", status=502, operation="customers_create", times=1)
    with no_backoff(), fake.ching() as ching, pytest.raises(InternalServerError) as caught:
        ching.customers.create(name="Once")
    assert isinstance(caught.value, APIStatusError)
    assert "not retried" in str(caught.value)
    assert len(fake.requests.for_operation("customers_create")) == 1


def test_no_backoff_blocks_nest_and_each_puts_back_what_it_found(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the sync client's only wait between attempts
    fake = FakeChing()
    with fake.ching() as ching:
        with no_backoff():
            with no_backoff():
                pass
            fake.faults.add("status", status=503, operation="customers_list", times=1)
            assert ching.customers.list() == []  # retried after the inner block ended: still no wait
        fake.faults.add("status", status=503, operation="customers_list", times=1)
        assert ching.customers.list() == []  # outside every block: the real backoff again
    assert slept[0] == 0.0
    assert 0.3 < slept[1] <= 0.5
