"""The package's public names, and what importing them costs: nothing is loaded before it is used."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

import ching_client


def test_every_public_name_resolves_and_is_listed_by_dir() -> None:
    for name in ching_client.__all__:
        assert getattr(ching_client, name) is not None, name
    assert set(ching_client.__all__) <= set(dir(ching_client))


def _fresh(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_loads_neither_clients_nor_models_nor_anyio() -> None:
    out = _fresh(
        """
        import sys
        import ching_client
        loaded = [m for m in ("anyio", "ching_client._client._async.client", "ching_client._client._sync.client",
                              "ching_client._generated.models") if m in sys.modules]
        print(loaded)
        """
    )
    assert out == "[]"


def test_importing_the_sync_client_skips_anyio_and_resources_load_on_first_use() -> None:
    out = _fresh(
        """
        import sys
        from ching_client import Ching
        anyio_on_import = "anyio" in sys.modules  # (httpx.Client itself loads it later, when built)
        ching = Ching(api_key="ck_test_" + "0" * 64)
        before = "ching_client._generated._sync.resources" in sys.modules
        ching.customers
        after = "ching_client._generated._sync.resources" in sys.modules
        ching.close()
        print(anyio_on_import, before, after)
        """
    )
    assert out == "False False True"


def test_the_async_client_loads_its_resources_on_first_use_and_never_the_sync_ones() -> None:
    out = _fresh(
        """
        import sys
        from ching_client import AsyncChing
        ching = AsyncChing(api_key="ck_test_" + "0" * 64)
        before = "ching_client._generated._async.resources" in sys.modules
        ching.products
        after = "ching_client._generated._async.resources" in sys.modules
        print(before, after, "ching_client._generated._sync.resources" in sys.modules)
        """
    )
    assert out == "False True False"


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        ching_client.NoSuchThing  # noqa: B018


def test_the_requester_contract_is_private() -> None:
    """Resources send through `_request`; so does the public `request()`, for endpoints the spec lacks: nothing public
    bypasses the request core (its deadline, retry policy and errors)."""
    from ching_client import AsyncChing, Ching
    from ching_client._client._async.client import AsyncChingWithRawResponse
    from ching_client._client._sync.client import ChingWithRawResponse

    for client in (AsyncChing, Ching):
        assert callable(client._request)
    for method in (AsyncChing.request, Ching.request, AsyncChingWithRawResponse.request, ChingWithRawResponse.request):
        assert "._request(" in inspect.getsource(method)
