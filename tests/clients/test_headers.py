"""Headers on every request: auth, user agent, retry count, and the caller's extra headers."""

from __future__ import annotations

import pytest

from ching_client import InvalidArgumentError, __version__

from ._support import LIVE_KEY, OPS, TEST_KEY, Harness, Op, ScriptedServer, error, op_id

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_every_request_carries_auth_user_agent_and_accept(harness: Harness, server: ScriptedServer, op: Op):
    server.script(op.reply)
    await harness.run(op, harness.client())
    headers = server.requests[0].headers
    assert headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert headers["User-Agent"].startswith(f"ching-client-python/{__version__}")
    assert headers["Accept"] == "application/json"
    assert "X-Ching-Retry-Count" not in headers
    assert [name for name, value in headers.items() if TEST_KEY[8:] in value] == ["authorization"]  # nowhere else


async def test_the_key_in_use_is_the_one_sent(
    harness: Harness, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CHING_API_KEY", LIVE_KEY)
    server.script(OPS[1].reply)
    await harness.call(harness.client(api_key=None).customers.list)
    assert server.header("Authorization") == [f"Bearer {LIVE_KEY}"]


@pytest.mark.parametrize("op", OPS, ids=op_id)
async def test_retry_count_header_is_absent_then_counts_retries(harness: Harness, server: ScriptedServer, op: Op):
    server.script(error(429), error(429), op.reply)
    result = await harness.run(op, harness.client(max_retries=2))
    assert op.check(result)
    assert server.header("X-Ching-Retry-Count") == [None, "1", "2"]
    assert server.header("Authorization") == [f"Bearer {TEST_KEY}"] * 3


async def test_extra_headers_are_added_to_every_attempt(harness: Harness, server: ScriptedServer):
    server.script(error(503), error(503), OPS[2].reply)
    ching = harness.client()
    await harness.call(ching.customers.retrieve, "cus_1", extra_headers={"X-Request-Source": "billing-sync"})
    assert server.header("X-Request-Source") == ["billing-sync"] * 3
    assert server.header("Authorization") == [f"Bearer {TEST_KEY}"] * 3
    server.script(OPS[2].reply)
    await harness.call(ching.customers.retrieve, "cus_1")
    assert server.header("X-Request-Source") == [None]  # per call, not sticky


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION"])
async def test_extra_headers_cannot_replace_the_key(harness: Harness, server: ScriptedServer, name: str):
    with pytest.raises(InvalidArgumentError, match="Authorization") as caught:
        await harness.call(harness.client().customers.list, extra_headers={name: "Bearer ck_test_someone_else"})
    assert caught.value.argument == "extra_headers"
    assert server.count == 0


@pytest.mark.parametrize("extra", [{"X-Count": 3}, {b"X-Raw": "v"}], ids=["int-value", "bytes-name"])
async def test_extra_headers_must_be_strings(harness: Harness, server: ScriptedServer, extra: dict[object, object]):
    with pytest.raises(InvalidArgumentError):
        await harness.call(harness.client().customers.list, extra_headers=extra)
    assert server.count == 0
