"""Client configuration read from arguments and the environment, checked when the client is built."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import urllib.request
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from attrs import evolve, frozen

from .._exceptions import ConfigurationError
from .._http.private import environment_proxy_rules
from .._runtime.kinds import InvalidArgument, check_text
from .._runtime.timeout import DEFAULT_CONNECT, DEFAULT_TOTAL, Timeout, as_timeout
from .retry_policy import DEFAULT_BACKOFF, Backoff

DEFAULT_BASE_URL: Final = "https://api.ching.co.il/ching"
DEFAULT_TIMEOUT: Final = DEFAULT_TOTAL
DEFAULT_CONNECT_TIMEOUT: Final = DEFAULT_CONNECT
DEFAULT_MAX_RETRIES: Final = 2
DEADLINE_GRACE: Final = 0.05
DEFAULT_MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
"""Generous: Ching's largest answer, a list of 100 customers, is tens of KB."""
KEY_PREFIXES: Final = {"ck_test_": False, "sk_test_": False, "ck_live_": True, "sk_live_": True}
_KEY_BODY = re.compile(r"[A-Za-z0-9_]+")


@frozen(repr=False)
class Config:
    """What every request of one client shares. The repr never shows the key."""

    api_key: str
    base_url: str
    livemode: bool
    timeout: Timeout
    """The call's deadline (``total``) and each attempt's connect and read bounds."""
    max_retries: int
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """A response body (decoded) larger than this ends the call with ``APIResponseError``."""
    retry_rate_limited: bool = True
    """False for the clients ``upsert_many`` uses: its pacer, not each call, answers a 429."""
    backoff: Backoff = DEFAULT_BACKOFF
    """The waits before retries the server gave no ``Retry-After`` for."""

    def __repr__(self) -> str:
        return (
            f"Config(api_key={redacted_key(self.api_key)!r}, base_url={self.base_url!r}, "
            f"livemode={self.livemode}, timeout={self.timeout!r}, max_retries={self.max_retries}, "
            f"max_response_bytes={self.max_response_bytes}, backoff={self.backoff!r})"
        )


def redacted_key(api_key: str) -> str:
    """The key's mode prefix only, for reprs and messages."""
    prefix = next((p for p in KEY_PREFIXES if api_key.startswith(p)), "")
    return f"{prefix}***"


def resolve(
    api_key: str | None,
    base_url: str | None,
    timeout: Timeout | float | None,
    max_retries: int | None,
    max_response_bytes: int | None = None,
    http: Any = None,
    trust_env: bool = True,
    backoff: Backoff | None = None,
    proxy: str | None = None,
) -> Config:
    """Build the configuration from arguments, then ``CHING_API_KEY`` / ``CHING_BASE_URL``, then defaults.

    The clients call this with the key in their own frame and cut the traceback of a refusal here,
    so no frame that a traceback formatter prints holds the key (see ``AsyncChing.__init__``). ``trust_env`` says
    whether the HTTP client reads the environment's proxy settings (httpx's ``trust_env``): the live-key rule for
    plain http looks at the proxy they name. The proxies an injected client was given itself (``proxy=``,
    ``mounts=``) are not seen: httpx exposes them only under private names.
    """
    key = api_key if api_key is not None else os.environ.get("CHING_API_KEY")
    livemode = _check_key(key)
    assert key is not None
    url = base_url if base_url is not None else os.environ.get("CHING_BASE_URL") or DEFAULT_BASE_URL
    url = _check_base_url(url, livemode, http, trust_env, proxy)
    return Config(
        api_key=key,
        base_url=url,
        livemode=livemode,
        timeout=check_timeout(Timeout() if timeout is None else timeout),
        max_retries=check_max_retries(DEFAULT_MAX_RETRIES if max_retries is None else max_retries),
        max_response_bytes=_check_max_response_bytes(
            DEFAULT_MAX_RESPONSE_BYTES if max_response_bytes is None else max_response_bytes
        ),
        backoff=check_backoff(DEFAULT_BACKOFF if backoff is None else backoff),
    )


def _check_key(key: str | None) -> bool:
    if key is None:
        raise ConfigurationError("No API key: pass api_key=... or set CHING_API_KEY (test keys start with ck_test_).")
    if not isinstance(key, str):  # the message never shows the value: it may be the key, as bytes
        raise ConfigurationError(
            f"The API key must be a str, got {type(key).__name__}: pass api_key='ck_...' (decode bytes first)."
        )
    if not key.strip():
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


_USERINFO = re.compile(r"(//)[^/?#]*@")
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_EXAMPLES: Final = f"such as {DEFAULT_BASE_URL!r} or 'http://127.0.0.1:12111/ching'"


def _shown(url: str) -> str:
    """The URL for messages: a ``user:password@`` part is never repeated."""
    return repr(_USERINFO.sub(r"\1***@", url))


def _check_base_url(
    url: str, livemode: bool, http: Any = None, trust_env: bool = True, proxy: str | None = None
) -> str:
    """The base URL without a trailing slash, or a ``ConfigurationError`` that names what is wrong.

    Everything httpx would refuse only at the first call (a newline, a port out of range, a broken
    IPv6 address) is refused here, when the client is built, by the engine's URL parser (``http``: the httpx or
    httpx2 module; None, the default engine's). A live key goes over plain http only to this machine, through no
    proxy of the environment's unless that proxy is on this machine too (``_check_plain_http_route``).
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"Base URL must be a string, got {type(url).__name__}; {_EXAMPLES}.")
    shown = _shown(url)
    if _USERINFO.search(url):
        raise ConfigurationError(
            f"Base URL {shown} contains a user name or password (user:password@host): httpx would send it as "
            "Basic auth instead of the API key. Remove it; the key is the only credential Ching takes."
        )
    if _WHITESPACE_OR_CONTROL.search(url):
        raise ConfigurationError(
            f"Base URL {shown} contains whitespace or a control character (a stray space or newline, or text "
            f"captured with it); give the URL alone, {_EXAMPLES}."
        )
    try:
        check_text("base_url", url)
    except InvalidArgument as exc:  # CHING_BASE_URL holding bytes that are not UTF-8, for one
        raise ConfigurationError(f"Base URL {shown} {exc.problem}.") from None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a port out of range or not a number, a broken [IPv6] host
        raise ConfigurationError(f"Base URL {shown} is not a valid URL ({exc}); {_EXAMPLES}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"Base URL {shown} needs a scheme and a host, {_EXAMPLES}.")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"Base URL {shown} must not have a query or fragment.")
    if port == 0:
        raise ConfigurationError(f"Base URL {shown} names port 0, which no server listens on.")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        raise ConfigurationError(
            f"Base URL {shown} ends with /v1, which the SDK adds to every path itself: "
            f"use {url.rstrip('/').removesuffix('/v1')!r}."
        )
    if http is None:
        from .._http.engines import default_engine

        http = default_engine().http
    try:
        http.URL(url)
    except http.InvalidURL as exc:
        raise ConfigurationError(f"Base URL {shown} is not a valid URL ({exc}); {_EXAMPLES}.") from None
    if livemode and parts.scheme == "http":
        _check_plain_http_route(url, parts.hostname, http, trust_env, proxy)
    return url.rstrip("/")


def _check_plain_http_route(url: str, host: str, http: Any, trust_env: bool, given: str | None = None) -> None:
    """Refuse a live key over plain http unless the host that receives the request is this machine.

    That is the base URL's host, or the proxy the environment routes the request through: the key, in plain text,
    would cross the network to the proxy. (An https base URL is tunnelled through a proxy with CONNECT, the key
    inside TLS.) ``trust_env`` is false for an injected ``http_client`` that does not read the environment; ``given``
    is the client's ``proxy=``, which wins over the environment's.
    """
    if not _is_loopback(host):
        raise ConfigurationError(f"Refusing to send a live key over plain http to {host}: use https.")
    proxy = given if given is not None else environment_proxy(http, url) if trust_env else None
    if proxy is None:
        return
    try:
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        proxy_host, port = parts.hostname or "", parts.port
    except ValueError:  # httpx would refuse this proxy URL at the first request; it is not loopback either way
        proxy_host, port = "", None
    if _is_loopback(proxy_host):
        return
    shown = (proxy_host or "an unreadable proxy URL") + (f":{port}" if port else "")  # never its user or password
    if given is not None:
        raise ConfigurationError(
            f"Refusing to send a live key over plain http to {host} through the proxy at {shown} (proxy=), which "
            "would receive the key unencrypted. Use https (a proxy then carries it inside TLS), or a proxy on this "
            "machine."
        )
    raise ConfigurationError(
        f"Refusing to send a live key over plain http to {host}: the environment's proxy settings (HTTP_PROXY or "
        f"ALL_PROXY) route it through the proxy at {shown}, which would receive the key unencrypted. Use https "
        f"(a proxy then carries it inside TLS), or exempt {host} in NO_PROXY."
    )


def environment_proxy(http: Any, url: str) -> str | None:
    """The proxy URL that the engine's own transport would send a request for ``url`` through, from ``HTTP_PROXY``,
    ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``; None when it would go direct.

    httpx and httpx2 read ``NO_PROXY`` differently (httpx2 takes networks such as ``10.0.0.0/8``), so the engine's
    own rules decide, and only private names hold them (``_http.private.environment_proxy_rules``, checked on both
    engines by tests/test_engine_internals.py). Without them, the proxy named for http or for all traffic is taken
    to apply, ``NO_PROXY`` ignored: a refusal rather than a key sent.
    """
    rules = environment_proxy_rules(http)
    if rules is None:
        proxies = urllib.request.getproxies()
        return proxies.get("http") or proxies.get("all") or None
    environment_mounts, pattern = rules
    target = http.URL(url)
    # Most specific first, as httpx orders its mounts; a NO_PROXY entry maps to None (direct).
    mounts = sorted(((pattern(key), proxy) for key, proxy in environment_mounts().items()), key=lambda m: m[0])
    proxy: str | None = next((proxy for matcher, proxy in mounts if matcher.matches(target)), None)
    return proxy


def check_proxy(proxy: object, http: Any) -> str:
    """A proxy URL the engine takes (httpx's ``proxy=``: ``http://``, ``https://``, ``socks5://`` with
    ``httpx[socks]``); ``ConfigurationError`` otherwise. Messages never repeat its user name or password."""
    if not isinstance(proxy, str):
        raise ConfigurationError(f"proxy takes a URL such as 'http://proxy.example:3128', got {type(proxy).__name__}.")
    shown = _shown(proxy)
    if _WHITESPACE_OR_CONTROL.search(proxy):
        raise ConfigurationError(f"Proxy URL {shown} contains whitespace or a control character.")
    try:
        scheme = http.Proxy(proxy).url.scheme
    except Exception:  # ValueError or InvalidURL, by engine and version; not shown: it may repeat the password
        raise ConfigurationError(
            f"Proxy URL {shown} is not one the HTTP client takes: give http://, https:// or socks5:// with a host."
        ) from None
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise ConfigurationError(f"Proxy URL {shown} is a SOCKS proxy, which needs `pip install httpx[socks]`.")
    return proxy


def route_proxy(http: Any, url: str, proxy: str | None) -> str | None:
    """The proxy the client's own pool sends requests for ``url`` through: ``proxy`` (``proxy=``, checked), else
    the environment's (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, with NO_PROXY read by the engine's own rules, as httpx
    reads them for its own transport); None for none. The base URL is fixed for a client, so this is decided once."""
    if proxy is not None:
        return check_proxy(proxy, http)
    if environment_proxy_rules(http) is not None:
        found = environment_proxy(http, url)
    else:  # the engine's rules moved: the standard library's reading of the same variables
        proxies = urllib.request.getproxies()
        host = urlsplit(url).hostname or ""
        bypass = urllib.request.proxy_bypass_environment(host, proxies)  # type: ignore[attr-defined]
        found = None if bypass else proxies.get(urlsplit(url).scheme) or proxies.get("all")
        if found and "://" not in found:
            found = f"http://{found}"
    return None if found is None else check_proxy(found, http)


def check_timeout(timeout: Timeout | float, default: Timeout | None = None) -> Timeout:
    """A ``Timeout``, or a positive, finite number of seconds: the total, with ``default``'s other parts."""
    return as_timeout(timeout, default)


def check_backoff(backoff: Backoff) -> Backoff:
    """A ``Backoff`` (checked when it was built)."""
    if not isinstance(backoff, Backoff):
        raise ConfigurationError(
            f"backoff takes ching_client.Backoff(initial=..., maximum=..., jitter=...), got {type(backoff).__name__}."
        )
    return backoff


def _check_max_response_bytes(limit: int) -> int:
    """A whole number of bytes, at least 1 KiB (smaller would refuse Ching's own answers)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
        raise ConfigurationError(f"max_response_bytes must be a whole number of bytes from 1024, got {limit!r}.")
    return limit


def check_max_connections(limit: int) -> int:
    """A whole number of connections from 1."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigurationError(f"max_connections must be a whole number from 1, got {limit!r}.")
    return limit


def check_max_retries(max_retries: int) -> int:
    """A whole number from 0 up."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be a whole number from 0, got {max_retries!r}.")
    return max_retries


def _as_given(value: Any) -> Any:
    return value


# The options a client sharing another's pool may change, each with its check; the key, the base URL and the mode
# are the pool's too, and stay.
_CHANGEABLE: Final[dict[str, Callable[[Any], Any]]] = {
    "max_retries": check_max_retries,
    "backoff": check_backoff,
    "max_response_bytes": _check_max_response_bytes,
    "retry_rate_limited": _as_given,  # not a user's option: set by upsert_many for its workers
}


def changed(config: Config, **changes: Any) -> Config:
    """``config`` with some options changed (None leaves one as it is), each checked as ``resolve`` checks it:
    ``ConfigurationError`` for a bad one."""
    timeout = changes.pop("timeout", None)
    checked = {name: _CHANGEABLE[name](value) for name, value in changes.items() if value is not None}
    if timeout is not None:  # a number changes the total only, keeping the client's connect and read
        checked["timeout"] = check_timeout(timeout, config.timeout)
    return evolve(config, **checked) if checked else config
