"""Client configuration read from arguments and the environment, checked when the client is built."""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Final
from urllib.parse import urlsplit

from attrs import frozen

from ._exceptions import ConfigurationError

DEFAULT_BASE_URL: Final = "https://api.ching.co.il/ching"
DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_MAX_RETRIES: Final = 2
DEADLINE_GRACE: Final = 0.05
KEY_PREFIXES: Final = {"ck_test_": False, "sk_test_": False, "ck_live_": True, "sk_live_": True}
_KEY_BODY = re.compile(r"[A-Za-z0-9_]+")


@frozen(repr=False)
class Config:
    """What every request of one client shares. The repr never shows the key."""

    api_key: str
    base_url: str
    livemode: bool
    timeout: float
    max_retries: int
    retry_rate_limited: bool = True
    """False for the clients ``upsert_many`` uses: its pacer, not each call, answers a 429."""

    def __repr__(self) -> str:
        return (
            f"Config(api_key={redacted_key(self.api_key)!r}, base_url={self.base_url!r}, "
            f"livemode={self.livemode}, timeout={self.timeout}, max_retries={self.max_retries})"
        )


def redacted_key(api_key: str) -> str:
    """The key's mode prefix only, for reprs and messages."""
    prefix = next((p for p in KEY_PREFIXES if api_key.startswith(p)), "")
    return f"{prefix}***"


def resolve(api_key: str | None, base_url: str | None, timeout: float | None, max_retries: int | None) -> Config:
    """Build the configuration from arguments, then ``CHING_API_KEY`` / ``CHING_BASE_URL``, then defaults."""
    key = api_key if api_key is not None else os.environ.get("CHING_API_KEY")
    livemode = _check_key(key)
    assert key is not None
    url = base_url if base_url is not None else os.environ.get("CHING_BASE_URL") or DEFAULT_BASE_URL
    url = _check_base_url(url, livemode)
    return Config(
        api_key=key,
        base_url=url,
        livemode=livemode,
        timeout=check_timeout(DEFAULT_TIMEOUT if timeout is None else timeout),
        max_retries=check_max_retries(DEFAULT_MAX_RETRIES if max_retries is None else max_retries),
    )


def _check_key(key: str | None) -> bool:
    if key is None:
        raise ConfigurationError("No API key: pass api_key=... or set CHING_API_KEY (test keys start with ck_test_).")
    if not isinstance(key, str) or not key.strip():
        raise ConfigurationError("The API key is empty: pass api_key=... or set CHING_API_KEY to your Ching key.")
    if key != key.strip() or not _KEY_BODY.fullmatch(key):
        raise ConfigurationError(
            "The API key contains whitespace or characters Ching keys never have; check for a stray quote or newline."
        )
    for prefix, live in KEY_PREFIXES.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            return live
    raise ConfigurationError(
        "The API key does not look like a Ching key: expected ck_test_…, ck_live_…, sk_test_… or sk_live_…."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(url: str, livemode: bool) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Base URL {url!r} needs a scheme and a host, such as {DEFAULT_BASE_URL!r} or 'http://127.0.0.1:12111/ching'."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"Base URL {url!r} must not have a query or fragment.")
    if livemode and parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(f"Refusing to send a live key over plain http to {parts.hostname}: use https.")
    return url.strip().rstrip("/")


def check_timeout(timeout: float) -> float:
    """A positive, finite number of seconds."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
        raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def check_max_retries(max_retries: int) -> int:
    """A whole number from 0 up."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be a whole number from 0, got {max_retries!r}.")
    return max_retries
