"""Both HTTP engines, one SDK: ``http_client=`` takes httpx's and httpx2's clients, their errors are read alike, and
``CHING_HTTP_ENGINE`` chooses the engine of the clients' own HTTP client (httpx2 when unset)."""

from __future__ import annotations

from typing import Any

import httpx
import httpx2
import pytest

from ching_client import APIConnectionError, AsyncChing, Ching, ConfigurationError, WriteOutcomeUnknownError
from ching_client.testing import FakeChing

from ._support import CUSTOMER, TEST_KEY

FAMILIES = [httpx, httpx2]


def _answers(family: Any, *, fail_with: Any = None) -> tuple[Any, list[Any]]:
    seen: list[Any] = []

    def handle(request: Any) -> Any:
        seen.append(request)
        if fail_with is not None and len(seen) == 1:
            raise fail_with("simulated", request=request)
        return family.Response(200, json={"success": True, "data": CUSTOMER})

    return family.MockTransport(handle), seen


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_an_injected_sync_client_of_either_family_carries_the_calls(family: Any) -> None:
    transport, seen = _answers(family)
    with family.Client(transport=transport) as http, Ching(api_key=TEST_KEY, http_client=http) as ching:
        assert ching.customers.retrieve("cus_1").id == CUSTOMER["id"]
    assert isinstance(seen[0], family.Request)
    assert seen[0].headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert f" {family.__name__}/{family.__version__} " in seen[0].headers["User-Agent"]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_an_injected_async_client_of_either_family_carries_the_calls(family: Any, anyio_backend: str) -> None:
    transport, seen = _answers(family)
    async with family.AsyncClient(transport=transport) as http, AsyncChing(api_key=TEST_KEY, http_client=http) as c:
        assert (await c.customers.retrieve("cus_1")).id == CUSTOMER["id"]
    assert isinstance(seen[0], family.Request)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_either_familys_errors_tell_never_sent_from_maybe_processed(family: Any) -> None:
    """A create is retried after a connect error of either family, and never after a dropped connection."""
    transport, seen = _answers(family, fail_with=family.ConnectError)
    with family.Client(transport=transport) as http, Ching(api_key=TEST_KEY, http_client=http) as ching:
        assert ching.customers.create(name="Tal").id == CUSTOMER["id"]
    assert len(seen) == 2

    transport, seen = _answers(family, fail_with=family.RemoteProtocolError)
    with (
        family.Client(transport=transport) as http,
        Ching(api_key=TEST_KEY, http_client=http) as ching,
        pytest.raises(WriteOutcomeUnknownError),
    ):
        ching.customers.create(name="Tal")
    assert len(seen) == 1

    transport, seen = _answers(family, fail_with=family.ReadError)
    with (
        family.Client(transport=transport) as http,
        Ching(api_key=TEST_KEY, http_client=http, max_retries=0) as c,
        pytest.raises(APIConnectionError) as caught,
    ):
        c.customers.list()
    assert caught.value.may_have_reached_server


def test_a_client_of_neither_family_is_refused_naming_both() -> None:
    with pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient or an httpx2\.AsyncClient, got builtins\.dict"):
        AsyncChing(api_key=TEST_KEY, http_client={})  # type: ignore[arg-type]
    with httpx2.Client() as http, pytest.raises(ConfigurationError, match=r"httpx2\.AsyncClient, got httpx2"):
        AsyncChing(api_key=TEST_KEY, http_client=http)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["httpx", "httpx2"])
def test_the_engine_variable_chooses_the_engine_of_the_clients_own_pool(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHING_HTTP_ENGINE", name)
    with Ching(api_key=TEST_KEY) as ching:
        assert type(ching._http).__module__.split(".")[0] == name
    fake = FakeChing()
    with fake.ching() as ching:  # the local Ching's in-process clients follow it too
        ching.customers.create(name="Tal")
        assert type(ching._http).__module__.split(".")[0] == name
    assert fake.counts().customers == 1


def test_without_the_variable_the_clients_build_on_httpx2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHING_HTTP_ENGINE", raising=False)
    with Ching(api_key=TEST_KEY) as ching:
        assert type(ching._http).__module__.split(".")[0] == "httpx2"


def test_an_unknown_engine_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHING_HTTP_ENGINE", "requests")
    with pytest.raises(ConfigurationError, match=r"CHING_HTTP_ENGINE='requests'.*'httpx', 'httpx2'"):
        Ching(api_key=TEST_KEY)


@pytest.mark.parametrize(("family", "other"), [(httpx, httpx2), (httpx2, httpx)], ids=["httpx", "httpx2"])
@pytest.mark.parametrize("mounted", [False, True], ids=["transport", "mount"])
def test_a_client_carrying_the_other_familys_transport_is_refused(family: Any, other: Any, mounted: bool) -> None:
    """Before: the first call failed inside httpx with a bare AssertionError or TypeError."""
    transport, seen = _answers(other)
    options = {"mounts": {"https://": transport}} if mounted else {"transport": transport}
    with family.Client(**options) as http, pytest.raises(ConfigurationError) as refused:
        Ching(api_key=TEST_KEY, http_client=http)
    assert f"an {family.__name__} client with an {other.__name__} transport" in str(refused.value)
    assert seen == []
