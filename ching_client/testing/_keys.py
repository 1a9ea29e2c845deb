"""API keys: parse `Authorization` headers into a data scope and mint valid keys for tests."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

_KEY_RE = re.compile(r"^(?:ck_(?P<ck>test|live)_[0-9a-fA-F]{64}|sk_(?P<sk>test|live)_[0-9a-fA-F]{88})$")
_BEARER_RE = re.compile(r"^\s*bearer\s+(?P<key>\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Scope:
    """Where an object lives: one project (one key) in one mode; scopes never see each other's data."""

    project: str
    livemode: bool


def scope_for_key(key: str) -> Scope:
    """Return the scope of a well-formed key; raise ValueError for a malformed one."""
    match = _KEY_RE.match(key)
    if match is None:
        raise ValueError("malformed Ching API key")
    mode = match.group("ck") or match.group("sk")
    project = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Scope(project=project, livemode=mode == "live")


def scope_for_authorization(header: str | None) -> Scope | None:
    """Return the scope named by an `Authorization: Bearer <key>` value, or None when missing or malformed."""
    if not header:
        return None
    match = _BEARER_RE.match(header)
    if match is None:
        return None
    try:
        return scope_for_key(match.group("key"))
    except ValueError:
        return None


def redact_authorization(header: str) -> str:
    """Hide a key in a logged header, keeping its prefix and last four characters to tell keys apart."""
    match = _BEARER_RE.match(header)
    if match is None:
        return "[redacted]"
    key = match.group("key")
    prefix = key[:8] if _KEY_RE.match(key) else ""
    return f"Bearer {prefix}...{key[-4:]}" if prefix else "Bearer [redacted]"


def _make_key(mode: str, seed: str | int | None) -> str:
    """Build a `ck_<mode>_` key: 64 hex chars derived from `seed`, or random when no seed is given."""
    hex64 = secrets.token_hex(32) if seed is None else hashlib.sha256(f"{mode}:{seed}".encode()).hexdigest()
    return f"ck_{mode}_{hex64}"


def make_test_key(seed: str | int | None = None) -> str:
    """Return a valid test-mode key (`ck_test_` + 64 hex); the same seed always gives the same key."""
    return _make_key("test", seed)


def make_live_key(seed: str | int | None = None) -> str:
    """Return a valid live-mode key (`ck_live_` + 64 hex); the same seed always gives the same key."""
    return _make_key("live", seed)


DEFAULT_TEST_KEY = make_test_key("ching-fake-default")
"""A fixed test-mode key, handy when one project is enough."""

DEFAULT_LIVE_KEY = make_live_key("ching-fake-default")
"""A fixed live-mode key (a separate project from DEFAULT_TEST_KEY)."""
