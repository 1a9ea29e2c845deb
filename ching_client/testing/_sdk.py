"""SDK clients wired to a FakeChing in one line, and the switch that stops tests from sleeping between retries."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from ching_client import AsyncChing, Ching

# A local Ching's transport for an engine ("httpx" or "httpx2"): FakeChing.transport.
TransportFor = Callable[[str], "httpx.BaseTransport"]


def async_ching(
    transport_for: TransportFor, base_url: str, api_key: str, timeout: float | None, max_retries: int | None
) -> AsyncChing:
    """An AsyncChing whose requests go to a local Ching in-process (no sockets), on the SDK's default engine."""
    from ching_client import AsyncChing
    from ching_client._http.engines import default_engine

    engine = default_engine()
    http = engine.http.AsyncClient(transport=transport_for(engine.name))
    return AsyncChing(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, http_client=http)


def sync_ching(
    transport_for: TransportFor, base_url: str, api_key: str, timeout: float | None, max_retries: int | None
) -> Ching:
    """A Ching whose requests go to a local Ching in-process (no sockets), on the SDK's default engine."""
    from ching_client import Ching
    from ching_client._http.engines import default_engine

    engine = default_engine()
    http = engine.http.Client(transport=transport_for(engine.name))
    return Ching(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, http_client=http)


@contextlib.contextmanager
def no_backoff() -> Iterator[None]:
    """Within this block the SDK decides and logs retries as usual but does not wait between them.

    Blocks nest: leaving one puts back the setting it found, so an inner block never turns backoff
    back on inside an outer one (or inside the pytest plugin's fixtures).
    """
    from ching_client._core import retry_policy as _retry_policy

    previous = _retry_policy.set_zero_backoff(True)
    try:
        yield
    finally:
        _retry_policy.set_zero_backoff(previous)
