"""Configuration is checked when a client is built; per-call options when a call is made."""

from __future__ import annotations

import math
import types
from collections.abc import Iterator
from typing import Any

import pytest

from ching_client import AsyncChing, Ching, ConfigurationError, InvalidArgumentError
from tests.engine import http

from ._support import DEFAULT_BASE_URL, LIVE_KEY, TEST_KEY, Harness, ScriptedServer

CLIENTS = [pytest.param(AsyncChing, id="async"), pytest.param(Ching, id="sync")]
ClientClass = type[AsyncChing] | type[Ching]


@pytest.fixture(params=CLIENTS)
def make(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Build a client of the parametrized class; built clients are closed afterwards."""
    cls = request.param
    built: list[Any] = []

    def build(**options: Any) -> Any:
        client = cls(**options)
        built.append(client)
        return client

    yield build
    for client in built:
        if isinstance(client, Ching):
            client.close()


def test_no_key_names_the_environment_variable(make: Any):
    with pytest.raises(ConfigurationError, match="CHING_API_KEY"):
        make()


def test_key_from_the_environment(make: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHING_API_KEY", LIVE_KEY)
    assert make().livemode is True


def test_argument_beats_the_environment(make: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHING_API_KEY", LIVE_KEY)
    assert make(api_key=TEST_KEY).livemode is False


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="whitespace"),
        pytest.param(TEST_KEY + "\n", id="trailing-newline"),
        pytest.param(" " + TEST_KEY, id="leading-space"),
        pytest.param(TEST_KEY[:20] + "\n" + TEST_KEY[20:], id="inner-newline"),
        pytest.param('"' + TEST_KEY + '"', id="quoted"),
        pytest.param("pk_test_" + "0" * 64, id="unknown-prefix"),
        pytest.param("test_" + "0" * 64, id="no-prefix"),
        pytest.param("ck_test_", id="prefix-only"),
        pytest.param("CK_TEST_" + "0" * 64, id="upper-case-prefix"),
        pytest.param("Bearer " + TEST_KEY, id="bearer-prefix"),
    ],
)
def test_malformed_key_is_refused_at_construction(make: Any, key: str):
    with pytest.raises(ConfigurationError):
        make(api_key=key)


def test_empty_key_argument_is_not_replaced_by_the_environment(make: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHING_API_KEY", TEST_KEY)
    with pytest.raises(ConfigurationError, match="empty"):
        make(api_key="")


@pytest.mark.parametrize(
    ("key", "livemode"),
    [
        ("ck_test_" + "a" * 64, False),
        ("sk_test_" + "b" * 88, False),
        ("ck_live_" + "c" * 64, True),
        ("sk_live_" + "d" * 88, True),
    ],
)
def test_livemode_follows_the_key_prefix(make: Any, key: str, livemode: bool):
    client = make(api_key=key)
    assert client.livemode is livemode
    assert ("live" if livemode else "test") in repr(client)


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("api.ching.co.il/ching", id="no-scheme"),
        pytest.param("ftp://api.ching.co.il/ching", id="ftp"),
        pytest.param("https://", id="no-host"),
        pytest.param("https://api.ching.co.il/ching?mode=test", id="query"),
        pytest.param("https://api.ching.co.il/ching#v1", id="fragment"),
    ],
)
def test_bad_base_url_is_refused(make: Any, base_url: str):
    with pytest.raises(ConfigurationError, match="Base URL"):
        make(api_key=TEST_KEY, base_url=base_url)


def test_bad_base_url_from_the_environment_is_refused(make: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHING_BASE_URL", "localhost:12111")
    with pytest.raises(ConfigurationError):
        make(api_key=TEST_KEY)


def test_a_base_url_from_bytes_that_are_not_utf8_is_refused_saying_why(make: Any, monkeypatch: pytest.MonkeyPatch):
    # Python decodes the environment with surrogateescape: a Latin-1 byte becomes a lone surrogate.
    monkeypatch.setenv("CHING_BASE_URL", "https://api.ching.co.il/ch\udce9ing")
    with pytest.raises(ConfigurationError) as caught:
        make(api_key=TEST_KEY)
    message = str(caught.value)
    assert message.startswith(
        "Base URL 'https://api.ching.co.il/ch\\udce9ing' has a lone surrogate (U+DCE9) at index 26"
    )
    assert "surrogateescape" in message
    assert message.isascii()  # printable anywhere, as the URL itself was not


@pytest.mark.parametrize("host", ["api.ching.co.il", "10.0.0.5", "ching.internal", "localhost.evil.example"])
def test_live_key_over_plain_http_to_another_host_is_refused(make: Any, host: str):
    with pytest.raises(ConfigurationError, match="http"):
        make(api_key=LIVE_KEY, base_url=f"http://{host}/ching")


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:12111/ching", "http://localhost:8000", "http://[::1]:8000/ching", "http://api.localhost/ching"],
)
def test_live_key_over_http_to_loopback_is_allowed(make: Any, base_url: str):
    assert make(api_key=LIVE_KEY, base_url=base_url).base_url == base_url


def test_test_key_over_plain_http_is_allowed(make: Any):
    assert make(api_key=TEST_KEY, base_url="http://staging.example.test/ching").livemode is False


def test_defaults(make: Any):
    client = make(api_key=TEST_KEY)
    assert (client.base_url, client.timeout, client.max_retries, client.livemode) == (DEFAULT_BASE_URL, 60.0, 2, False)


BAD_TIMEOUTS = [0, -1, -0.0, math.nan, math.inf, "5", True, [5]]
BAD_RETRIES = [-1, 1.5, True, "2", math.nan]


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=repr)
def test_bad_client_timeout_is_refused(make: Any, value: object):
    with pytest.raises(ConfigurationError, match="timeout"):
        make(api_key=TEST_KEY, timeout=value)


@pytest.mark.parametrize("value", BAD_RETRIES, ids=repr)
def test_bad_client_max_retries_is_refused(make: Any, value: object):
    with pytest.raises(ConfigurationError, match="max_retries"):
        make(api_key=TEST_KEY, max_retries=value)


@pytest.mark.anyio
@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=repr)
async def test_bad_per_call_timeout_is_refused_before_sending(harness: Harness, server: ScriptedServer, value: object):
    with pytest.raises(InvalidArgumentError, match="timeout"):
        await harness.call(harness.client().customers.list, timeout=value)
    assert server.count == 0


@pytest.mark.anyio
@pytest.mark.parametrize("value", BAD_RETRIES, ids=repr)
async def test_bad_per_call_max_retries_is_refused_before_sending(
    harness: Harness, server: ScriptedServer, value: object
):
    with pytest.raises(InvalidArgumentError, match="max_retries"):
        await harness.call(harness.client().customers.create, name="Noa", max_retries=value)
    assert server.count == 0


@pytest.mark.parametrize(
    ("option", "value"), [("timeout", 0), ("timeout", -5), ("max_retries", -1), ("max_retries", 2.5)]
)
def test_bad_with_options_is_refused(make: Any, option: str, value: object):
    with pytest.raises(InvalidArgumentError, match=option):
        make(api_key=TEST_KEY).with_options(**{option: value})


def test_async_client_refuses_a_sync_http_client_at_construction():
    """Otherwise the first call sends the request (a create really happens) and then fails with a TypeError."""
    with http.Client() as http_client, pytest.raises(ConfigurationError, match="http_client"):
        AsyncChing(api_key=TEST_KEY, http_client=http_client)  # type: ignore[arg-type]


def test_sync_client_refuses_an_async_http_client_at_construction():
    with pytest.raises(ConfigurationError, match="http_client"):
        Ching(api_key=TEST_KEY, http_client=http.AsyncClient())  # type: ignore[arg-type]


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the environment's proxy variables for one test, the developer's own removed first."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def set_env(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_env


@pytest.mark.parametrize(
    ("variables", "base_url", "shown"),
    [
        ({"HTTP_PROXY": "http://squid:s3cr3t-pw@proxy.corp.example:3128"}, "http://localhost:8000/ching", ":3128"),
        ({"http_proxy": "proxy.corp.example:8080"}, "http://127.0.0.1:12111/ching", ":8080"),
        ({"ALL_PROXY": "socks5://squid:s3cr3t-pw@proxy.corp.example:1080"}, "http://[::1]:8000/ching", ":1080"),
        # NO_PROXY exempts only what it names: 127.0.0.1 is not "localhost" to httpx.
        (
            {"HTTP_PROXY": "http://proxy.corp.example:3128", "NO_PROXY": "localhost,.internal"},
            "http://127.0.0.1:12111/ching",
            ":3128",
        ),
    ],
    ids=["http-proxy-with-password", "lowercase-no-scheme", "all-proxy-socks", "no-proxy-names-another-host"],
)
def test_live_key_over_plain_http_through_a_remote_environment_proxy_is_refused(
    make: Any, proxy_env: Any, variables: dict[str, str], base_url: str, shown: str
):
    """The key would reach the proxy unencrypted: the proxy, not the base URL's host, receives the request."""
    proxy_env(**variables)
    with pytest.raises(ConfigurationError) as refused:
        make(api_key=LIVE_KEY, base_url=base_url)
    message = str(refused.value)
    assert f"proxy.corp.example{shown}" in message
    assert "NO_PROXY" in message
    assert "s3cr3t-pw" not in message
    assert "squid" not in message


@pytest.mark.parametrize(
    ("variables", "base_url"),
    [
        ({"HTTP_PROXY": "http://proxy.corp.example:3128", "NO_PROXY": "localhost"}, "http://localhost:8000/ching"),
        ({"HTTP_PROXY": "http://proxy.corp.example:3128", "no_proxy": "127.0.0.1"}, "http://127.0.0.1:12111/ching"),
        ({"HTTP_PROXY": "http://proxy.corp.example:3128", "NO_PROXY": "*"}, "http://127.0.0.1:12111/ching"),
        ({"HTTP_PROXY": "http://127.0.0.1:3128"}, "http://localhost:8000/ching"),
        ({"HTTPS_PROXY": "http://proxy.corp.example:3128"}, "http://localhost:8000/ching"),
        ({"HTTP_PROXY": "http://proxy.corp.example:3128"}, "https://api.ching.co.il/ching"),
    ],
    ids=["no-proxy-localhost", "no-proxy-address", "no-proxy-star", "loopback-proxy", "https-proxy-only", "https-base"],
)
def test_live_key_through_no_proxy_or_a_loopback_one_or_over_https_is_allowed(
    make: Any, proxy_env: Any, variables: dict[str, str], base_url: str
):
    proxy_env(**variables)
    assert make(api_key=LIVE_KEY, base_url=base_url).livemode is True


def test_test_key_over_plain_http_through_a_proxy_is_allowed(make: Any, proxy_env: Any):
    proxy_env(HTTP_PROXY="http://proxy.corp.example:3128")
    assert make(api_key=TEST_KEY, base_url="http://localhost:8000/ching").livemode is False


@pytest.mark.parametrize("cls", CLIENTS)
def test_an_injected_client_is_held_to_the_environment_proxy_unless_it_ignores_the_environment(
    cls: ClientClass, proxy_env: Any
):
    """httpx reads HTTP_PROXY for a client of the caller's too, unless built with trust_env=False."""
    proxy_env(HTTP_PROXY="http://proxy.corp.example:3128")
    client_class: Any = http.Client if cls is Ching else http.AsyncClient
    with pytest.raises(ConfigurationError, match=r"proxy\.corp\.example:3128"):
        cls(api_key=LIVE_KEY, base_url="http://localhost:8000/ching", http_client=client_class())
    ching = cls(api_key=LIVE_KEY, base_url="http://localhost:8000/ching", http_client=client_class(trust_env=False))
    assert ching.livemode is True


ENVIRONMENTS = [
    {"HTTP_PROXY": "http://p.example:3128"},
    {"HTTP_PROXY": "http://p.example:3128", "NO_PROXY": "localhost"},
    {"HTTP_PROXY": "http://p.example:3128", "NO_PROXY": ".localhost,::1"},
    {"ALL_PROXY": "http://p.example:3128", "NO_PROXY": "127.0.0.1"},
    {"HTTP_PROXY": "http://p.example:3128", "NO_PROXY": "http://localhost:8000"},
    {"HTTP_PROXY": "http://p.example:3128", "NO_PROXY": "127.0.0.0/8"},
    {"HTTPS_PROXY": "http://p.example:3128"},
]
LOOPBACK_URLS = [
    "http://localhost:8000/ching",
    "http://127.0.0.1:12111/ching",
    "http://[::1]/ching",
    "http://a.localhost",
]


@pytest.mark.parametrize("variables", ENVIRONMENTS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v))
def test_the_proxy_rule_follows_the_engines_own_reading_of_the_environment(proxy_env: Any, variables: dict[str, str]):
    """The rule asks the engine's private ``_utils.get_environment_proxies`` and ``_utils.URLPattern`` which proxy a
    URL goes through (NO_PROXY's forms differ between httpx and httpx2). Named here, with the client's private
    ``_transport_for_url`` as the witness of where a request really goes, so an upgrade that moves them fails here
    rather than in production (where the rule would fall back to refusing whenever a proxy is set)."""
    from ching_client._core.config import environment_proxy

    assert callable(http._utils.get_environment_proxies)
    assert callable(http._utils.URLPattern)
    proxy_env(**variables)
    with http.Client() as client:
        for url in LOOPBACK_URLS:
            direct = client._transport_for_url(http.URL(url)) is client._transport
            assert (environment_proxy(http, url) is None) is direct, url


def test_without_the_engines_proxy_rules_any_proxy_for_http_counts(proxy_env: Any):
    """If an upgrade moved the private helpers, the rule errs towards refusing: NO_PROXY is no longer trusted."""
    from ching_client._core.config import environment_proxy

    proxy_env(HTTP_PROXY="http://proxy.corp.example:3128", NO_PROXY="localhost")
    without_helpers = types.SimpleNamespace(URL=http.URL)
    assert environment_proxy(without_helpers, "http://localhost:8000/ching") == "http://proxy.corp.example:3128"
    assert environment_proxy(http, "http://localhost:8000/ching") is None
