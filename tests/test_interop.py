"""Other languages' generated clients compile strictly and round-trip every operation against the local Ching.

scripts/interop.py generates them from openapi/ching.yaml (openapi-generator python, typescript-fetch and
go in one JVM, and @hey-api/openapi-ts) into .tools/interop; each test builds one and runs its 13 checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.interop import DEFAULT_OUT, SPEC, TARGETS, TOTAL, ToolMissing, build, generate, local_ching, round_trip


@pytest.fixture(scope="module")
def clients() -> Path:
    try:
        generated = generate(SPEC, DEFAULT_OUT)
    except ToolMissing as exc:
        pytest.fail(f"{exc}", pytrace=False)
    assert generated.ok, generated.output[-4000:]
    return DEFAULT_OUT


@pytest.fixture(scope="module")
def ching() -> Iterator[tuple[str, str]]:
    with local_ching() as server:
        yield server


@pytest.mark.parametrize("target", TARGETS)
def test_generated_client_compiles_and_round_trips(target: str, clients: Path, ching: tuple[str, str]) -> None:
    built = build(target, clients)
    assert built.ok, f"the {target} client does not compile:\n{built.output[-4000:]}"
    result = round_trip(target, clients, *ching)
    assert result.passed == TOTAL, f"{target}: {result.passed}/{TOTAL} checks passed\n{result.output[-4000:]}"
