"""`make demo`'s script: the whole flow against the local Ching, or any Ching-compatible server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ching_client.testing import DEFAULT_LIVE_KEY, DEFAULT_TEST_KEY, serve

DEMO = Path(__file__).resolve().parent.parent / "scripts" / "demo.py"


def _run(*args: str, api_key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHING_")}
    if api_key is not None:
        env["CHING_API_KEY"] = api_key
    return subprocess.run(
        [sys.executable, str(DEMO), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_demo_walks_the_flow_against_a_local_ching_it_starts() -> None:
    result = _run()
    assert result.returncode == 0, result.stderr
    for expected in (
        "local Ching serving at http://127.0.0.1:",
        "stored as +972549876543",
        "created, then updated (same id: True)",
        "/_fake/images/",
        "active=False description=None",
        "retrieve gives a tombstone: True",
        "BadRequestError 400 INVALID_FIELD issues=[{'path': ['phone']",
        "Ching (sync)",
    ):
        assert expected in result.stdout
    assert DEFAULT_TEST_KEY not in result.stdout + result.stderr


def test_demo_runs_against_a_given_server_with_the_key_from_the_environment() -> None:
    with serve() as server:
        result = _run("--base-url", server.base_url, api_key=DEFAULT_TEST_KEY)
        created = server.fake.counts(DEFAULT_TEST_KEY).customers_created
    assert result.returncode == 0, result.stderr
    assert "local Ching serving" not in result.stdout
    assert created == 2


def test_demo_refuses_a_live_key_unless_asked() -> None:
    with serve() as server:
        refused = _run("--base-url", server.base_url, api_key=DEFAULT_LIVE_KEY)
        untouched = server.fake.requests.entries()
    assert refused.returncode == 2
    assert "--live" in refused.stderr
    assert untouched == []
