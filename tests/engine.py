"""The HTTP engine a test run exercises: ``CHING_HTTP_ENGINE`` (``httpx`` or ``httpx2``), else the SDK's default.

``make test`` runs the client, reliability and bulk suites once on each engine. Their mock transports, injected
clients and simulated transport errors come from ``http`` (and what they patch inside the pool from ``core``), so
each pass exercises one engine from end to end, as a user of that engine would. The type checker sees httpx's types
for both: the two families have the same API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ching_client._http.engines import default_engine

ENGINE = default_engine()
NAME = ENGINE.name

if TYPE_CHECKING:
    import httpcore as core
    import httpx as http
else:
    http = ENGINE.http
    core = ENGINE.core

__all__ = ["ENGINE", "NAME", "core", "http"]
