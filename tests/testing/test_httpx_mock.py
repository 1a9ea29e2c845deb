"""`back_httpx_mock`: pytest-httpx's interceptions answered by a FakeChing, for code that builds its own client."""

from __future__ import annotations

import time

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ching_client import AuthenticationError, Ching, Customer, InternalServerError, InvalidArgumentError
from ching_client.testing import (
    DEFAULT_LIVE_KEY,
    DEFAULT_TEST_KEY,
    FakeChing,
    back_httpx_mock,
    make_test_key,
    no_backoff,
)


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


def test_a_request_with_another_key_is_refused_saying_which_key_the_fake_takes(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key is its own project: code under test with another key than the test's wrote where nobody looked.

    Before, this create succeeded in a project of its own and ``fake.counts()`` stayed at zero."""
    other = make_test_key("my-app")
    monkeypatch.setenv("CHING_API_KEY", other)
    fake = back_httpx_mock(httpx_mock)
    with Ching() as ching, pytest.raises(AuthenticationError) as caught:
        ching.customers.create(name="Noa")
    message = str(caught.value)
    assert "takes DEFAULT_TEST_KEY, the key of fake.ching() and the pytest fixtures" in message
    assert "another ck_test_ key" in message
    assert other[len("ck_test_") :][:8] not in message
    assert "…" not in message  # shown whole, under the SDK's cap on a server's message
    assert (fake.counts().customers, fake.counts(other).customers) == (0, 0)  # refused before anything applied


def test_api_keys_are_the_keys_the_fake_takes(httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch) -> None:
    app_key = make_test_key("my-app")
    fake = back_httpx_mock(httpx_mock, api_keys=[app_key, DEFAULT_LIVE_KEY])
    for key in (app_key, DEFAULT_LIVE_KEY):
        with Ching(api_key=key) as ching:
            ching.customers.create(name="Tal")
        assert fake.counts(key).customers == 1
    with Ching() as ching, pytest.raises(AuthenticationError) as caught:
        ching.customers.list()  # DEFAULT_TEST_KEY, from the environment
    assert "takes only the keys given to back_httpx_mock(api_keys=...)" in str(caught.value)
    assert "add this key to api_keys" in str(caught.value)


def test_api_keys_none_takes_every_key_each_its_own_project(httpx_mock: HTTPXMock) -> None:
    fake = back_httpx_mock(httpx_mock, api_keys=None)
    for seed in ("a", "b"):
        with Ching(api_key=make_test_key(seed)) as ching:
            ching.customers.create(name=seed)
    assert [fake.counts(make_test_key(seed)).customers for seed in ("a", "b")] == [1, 1]
    assert fake.counts().customers == 0


def test_a_malformed_key_in_api_keys_is_refused_without_showing_it(httpx_mock: HTTPXMock) -> None:
    with pytest.raises(InvalidArgumentError, match="api_keys takes Ching keys") as caught:
        back_httpx_mock(httpx_mock, api_keys=["ck_test_secret-but-malformed"])
    assert "secret-but-malformed" not in str(caught.value)
    assert caught.value.argument == "api_keys"
