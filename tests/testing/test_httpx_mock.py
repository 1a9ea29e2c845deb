"""`back_httpx_mock`: pytest-httpx's interceptions answered by a FakeChing, for code that builds its own client."""

from __future__ import annotations

import time

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ching_client import Ching, Customer, InternalServerError
from ching_client.testing import DEFAULT_TEST_KEY, FakeChing, back_httpx_mock, no_backoff


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
    monkeypatch.delenv("CHING_BASE_URL", raising=False)


def test_requests_to_ching_reach_the_fake_and_others_keep_their_own_responses(httpx_mock: HTTPXMock) -> None:
    fake = back_httpx_mock(httpx_mock)
    httpx_mock.add_response(url="https://elsewhere.example/health", text="fine")
    with Ching() as ching:
        created = ching.customers.create(name="Tal", phone="054-987-6543")
        retrieved = ching.customers.retrieve(created.id)
        assert isinstance(retrieved, Customer)
        assert retrieved.phone == "+972549876543"
    assert httpx.get("https://elsewhere.example/health").text == "fine"
    assert fake.counts().customers == 1
    assert [entry.path for entry in fake.requests] == ["/ching/v1/customers", f"/ching/v1/customers/{created.id}"]


def test_the_base_url_follows_ching_base_url_as_the_clients_do(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHING_BASE_URL", "http://ching.internal:8080/ching")
    fake = back_httpx_mock(httpx_mock, FakeChing())
    with Ching() as ching:
        ching.products.create(name="Pro Plan")
    assert fake.counts().products == 1


def test_faults_come_from_the_fake_and_latency_is_waited_out_by_the_reader(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    fake = back_httpx_mock(httpx_mock)
    fake.faults.add("status", status=502, operation="customers_create", times=1)
    fake.faults.add("latency", latency=1.5, operation="products_list", times=1)
    with no_backoff(), Ching() as ching:
        with pytest.raises(InternalServerError, match="not retried"):
            ching.customers.create(name="Once")
        assert ching.products.list() == []
    assert fake.counts().customers == 0
    assert slept == [1.5]
