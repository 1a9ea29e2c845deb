"""Where the API lives on the fake's server: the optional ``/ching`` prefix of Ching's base URL.

The routes themselves come from the spec (``_spec.Api``).
"""

from __future__ import annotations

API_PREFIX = "/ching"
"""The path the real server's base URL ends in; requests may also omit it."""


def split_prefix(path: str) -> tuple[str, str]:
    """Split a raw path into (prefix used, API path): `/ching/v1/x/` -> (`/ching`, `/v1/x`)."""
    prefix = ""
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        prefix, path = API_PREFIX, path[len(API_PREFIX) :]
    path = path.rstrip("/") or "/"
    return prefix, path
