"""Ching's documented semantics, seen through both SDK clients: in-process, and over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ching_client import AsyncChing, BadRequestError, Ching, ConflictError, DeletedCustomer, NotFoundError
from ching_client.testing import DEFAULT_LIVE_KEY, DEFAULT_TEST_KEY, FakeChing, serve


class Client:
    """Calls a resource method of either client the same way, so each scenario is written once."""

    def __init__(self, ching: AsyncChing | Ching, portal: BlockingPortal | None, fake: FakeChing, fetch: httpx.Client):
        self.ching, self.portal, self.fake, self.fetch = ching, portal, fake, fetch

    def __call__(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.portal is None:
            return method(*args, **kwargs)
        return self.portal.call(lambda: method(*args, **kwargs))


def _open(kind: str, transport: str, fake: FakeChing, base_url: str, key: str, portal: BlockingPortal | None) -> Any:
    if transport == "in-process":
        return fake.async_ching(key) if kind == "async" else fake.ching(key)
    cls = AsyncChing if kind == "async" else Ching
    return cls(api_key=key, base_url=base_url)


@pytest.fixture(
    params=[
        ("sync", "in-process"),
        ("async", "in-process"),
        ("sync", "loopback"),
        ("async", "loopback"),
    ],
    ids=lambda p: "-".join(p),
)
def clients(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Client]]:
    kind, transport = request.param
    with (
        serve() as server,
        start_blocking_portal() as portal,
        httpx.Client(transport=server.fake.transport()) as in_process_fetch,
        httpx.Client() as loopback_fetch,
    ):
        opened: list[AsyncChing | Ching] = []
        use_portal = portal if kind == "async" else None
        fetch = in_process_fetch if transport == "in-process" else loopback_fetch

        def make(key: str = DEFAULT_TEST_KEY) -> Client:
            ching = (
                portal.call(lambda: _open(kind, transport, server.fake, server.base_url, key, portal))
                if use_portal
                else _open(kind, transport, server.fake, server.base_url, key, None)
            )
            opened.append(ching)
            return Client(ching, use_portal, server.fake, fetch)

        yield make
        for ching in opened:
            if isinstance(ching, AsyncChing):
                portal.call(ching.aclose)
            else:
                ching.close()


def test_customer_lifecycle(clients: Callable[[str], Client]) -> None:
    call = clients(DEFAULT_TEST_KEY)
    customers = call.ching.customers
    tal = call(customers.create, name="Tal Levi", email="tal@example.com", metadata={"user_id": "42"})
    assert (tal.id[:4], tal.locale, tal.livemode, tal.metadata) == ("cus_", "he", False, {"user_id": "42"})
    assert call(customers.update, tal.id, phone="054-987-6543").phone == "+972549876543"
    assert call(customers.update, tal.id, email="").email is None

    first = call(customers.upsert, identify_by="phone", phone="+972549876543", name="Tal L.")
    assert (first.action, first.customer.id, first.customer.name) == ("updated", tal.id, "Tal L.")
    noa = call(customers.upsert, identify_by="email", email="noa@example.com", name="Noa")
    assert noa.action == "created"
    assert [c.id for c in call(customers.list)] == [noa.customer.id, tal.id]

    assert call(customers.delete, tal.id).deleted is True
    tombstone = call(customers.retrieve, tal.id)
    assert isinstance(tombstone, DeletedCustomer)
    assert call(customers.delete, tal.id).to_dict() == tombstone.to_dict()
    assert [c.id for c in call(customers.list)] == [noa.customer.id]
    with pytest.raises(BadRequestError):
        call(customers.update, tal.id, name="Back")
    with pytest.raises(NotFoundError):
        call(customers.retrieve, "cus_doesnotexist")


def test_duplicates_conflict(clients: Callable[[str], Client]) -> None:
    call = clients(DEFAULT_TEST_KEY)
    call(call.ching.customers.create, name="A", email="dup@example.com", tax_id="123")
    with pytest.raises(ConflictError) as email:
        call(call.ching.customers.create, name="B", email="dup@example.com")
    with pytest.raises(ConflictError) as tax:
        call(call.ching.customers.create, name="C", tax_id="123")
    assert email.value.code == "EMAIL_EXISTS"
    assert tax.value.status_code == 409
    assert call.fake.counts().customers == 1


def test_products_and_images(clients: Callable[[str], Client]) -> None:
    call = clients(DEFAULT_TEST_KEY)
    products = call.ching.products
    plan = call(products.create, name="Pro Plan", description="Monthly", features=[{"title": "Support"}])
    assert (plan.active, [f.to_dict() for f in plan.features]) == (True, [{"title": "Support", "subtitle": None}])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    url = call(products.upload_image, content=png, content_type="image/png", filename="pro-plan")
    assert call.fetch.get(url).content == png
    plan = call(products.update, plan.id, features=[plan.features[0], {"title": "SSO", "subtitle": "SAML"}])
    assert [f.title for f in plan.features] == ["Support", "SSO"]
    plan = call(products.update, plan.id, image_url=url, description=None, active=False)
    assert (plan.image_url, plan.description, plan.active) == (url, None, False)
    assert call(products.update, plan.id, features=None).features == []
    assert [p.id for p in call(products.list)] == [plan.id]


def test_test_and_live_data_are_apart(clients: Callable[[str], Client]) -> None:
    test, live = clients(DEFAULT_TEST_KEY), clients(DEFAULT_LIVE_KEY)
    created = test(test.ching.customers.create, name="Test only")
    assert live(live.ching.customers.list) == []
    with pytest.raises(NotFoundError):
        live(live.ching.customers.retrieve, created.id)
    assert live(live.ching.customers.create, name="Live").livemode is True
