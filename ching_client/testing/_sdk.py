"""SDK clients wired to a FakeChing in one line, and the switch that stops tests from sleeping between retries."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ching_client import AsyncChing, Ching

    from ._core import FakeChing


def async_ching(fake: FakeChing, api_key: str, timeout: float | None, max_retries: int | None) -> AsyncChing:
    """An AsyncChing whose requests go to ``fake`` in-process (no sockets), on the SDK's default engine."""
    from ching_client import AsyncChing
    from ching_client._engine import default_engine

    from ._core import IN_PROCESS_BASE_URL

    engine = default_engine()
    http = engine.http.AsyncClient(transport=fake.transport(engine.name))
    return AsyncChing(
        api_key=api_key, base_url=IN_PROCESS_BASE_URL, timeout=timeout, max_retries=max_retries, http_client=http
    )


def sync_ching(fake: FakeChing, api_key: str, timeout: float | None, max_retries: int | None) -> Ching:
    """A Ching whose requests go to ``fake`` in-process (no sockets), on the SDK's default engine."""
    from ching_client import Ching
    from ching_client._engine import default_engine

    from ._core import IN_PROCESS_BASE_URL

    engine = default_engine()
    http = engine.http.Client(transport=fake.transport(engine.name))
    return Ching(
        api_key=api_key, base_url=IN_PROCESS_BASE_URL, timeout=timeout, max_retries=max_retries, http_client=http
    )


@contextlib.contextmanager
def no_backoff() -> Iterator[None]:
    """Within this block the SDK decides and logs retries as usual but does not wait between them.

    Blocks nest: leaving one puts back the setting it found, so an inner block never turns backoff
    back on inside an outer one (or inside the pytest plugin's fixtures).
    """
    from ching_client import _retry_policy

    previous = _retry_policy.set_zero_backoff(True)
    try:
        yield
    finally:
        _retry_policy.set_zero_backoff(previous)
