"""A base URL that points somewhere other than Ching says so, and ends a bulk sync instead of failing every row."""

from __future__ import annotations

import anyio
import httpx
import pytest

from ching_client import APIStatusError, AsyncChing, Ching, NotFoundError
from ching_client.testing import FakeServer

from ._support import KEY

HTML_404 = b"<!DOCTYPE HTML><html><body><h1>Error response</h1><p>Error code: 404</p></body></html>"


def typo(server: FakeServer) -> str:
    return server.base_url.replace("/ching", "/chng")


def test_a_404_to_a_list_names_the_base_url_not_an_id(server: FakeServer) -> None:
    with Ching(api_key=KEY, base_url=typo(server), max_retries=0) as ching, pytest.raises(NotFoundError) as caught:
        ching.customers.list()
    assert "check the base URL" in caught.value.message
    assert "Check the id" not in caught.value.message


def test_a_404_to_a_retrieve_in_ching_s_envelope_is_about_the_id(server: FakeServer) -> None:
    with Ching(api_key=KEY, base_url=server.base_url, max_retries=0) as ching, pytest.raises(NotFoundError) as caught:
        ching.customers.retrieve("cus_missing")
    assert "Check the id" in caught.value.message


def test_a_404_page_that_is_not_ching_s_names_the_base_url() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(404, content=HTML_404))
    with (
        Ching(
            api_key=KEY, base_url="http://elsewhere.test/ching", http_client=httpx.Client(transport=transport)
        ) as ching,
        pytest.raises(NotFoundError) as caught,
    ):
        ching.customers.retrieve("cus_1")
    assert "check the base URL" in caught.value.message


@pytest.mark.parametrize("status", [404, 405, 501])
def test_upsert_many_against_another_server_ends_at_the_first_row(status: int) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, content=b"<html>not here</html>")

    rows = [{"email": f"r{n}@example.com", "name": "R"} for n in range(50)]
    client = httpx.Client(transport=httpx.MockTransport(answer))
    with (
        Ching(api_key=KEY, base_url="http://elsewhere.test/ching", http_client=client) as ching,
        pytest.raises(APIStatusError, match="check the base URL") as caught,
    ):
        ching.customers.upsert_many(rows, identify_by="email", concurrency=1)
    assert caught.value.status_code == status
    assert len(sent) == 1


def test_async_upsert_many_against_a_wrong_path_of_the_local_ching_ends_with_not_found(server: FakeServer) -> None:
    async def main() -> None:
        async with AsyncChing(api_key=KEY, base_url=typo(server)) as ching:
            rows = [{"email": f"r{n}@example.com", "name": "R"} for n in range(50)]
            with pytest.raises(NotFoundError, match="check the base URL"):
                await ching.customers.upsert_many(rows, identify_by="email", concurrency=4)

    anyio.run(main)
    assert server.fake.counts(KEY).customers == 0
