"""Other languages' generated clients compile strictly and round-trip every operation against the local Ching.

scripts/interop.py generates them from openapi/ching.yaml into .tools/interop (openapi-generator python,
typescript-fetch, go, java, ruby and typescript-axios in one JVM, beside @hey-api/openapi-ts, openapi-typescript
and datamodel-code-generator), then builds each and runs its 13 checks, two targets at a time.
"""

from __future__ import annotations

import pytest

from scripts.interop import (
    DEFAULT_OUT,
    SPEC,
    TARGETS,
    TOTAL,
    Outcome,
    ToolMissing,
    generate,
    local_ching,
    run_all,
)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    try:
        generated = generate(SPEC, DEFAULT_OUT)
    except ToolMissing as exc:
        pytest.fail(f"{exc}", pytrace=False)
    assert generated.ok, generated.output[-4000:]
    with local_ching() as (base_url, api_key):
        return run_all(DEFAULT_OUT, base_url, api_key)


@pytest.mark.parametrize("target", TARGETS)
def test_generated_client_compiles_and_round_trips(target: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[target]
    assert outcome.built.ok, f"the {target} client does not compile:\n{outcome.built.output[-4000:]}"
    result = outcome.result
    assert result.passed == TOTAL, f"{target}: {result.passed}/{TOTAL} checks passed\n{result.output[-4000:]}"
