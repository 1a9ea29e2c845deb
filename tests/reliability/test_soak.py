"""The soak under faults, on both anyio backends: see ``_soak.py`` for what it runs and audits.

``pytest -s tests/reliability/test_soak.py`` (or ``python scripts/soak.py``) prints the figures.
"""

from __future__ import annotations

import pytest

from ._soak import MEMORY_BOUND_MIB, soak


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_soak_under_faults(backend: str):
    figures = soak(backend, operations=2000, concurrency=50, fault_rate=0.10, seed=7)
    line = figures.summary()
    print(f"\n{line}")
    assert figures.unexpected_errors == [], line
    assert figures.duplicates == 0, line
    assert figures.inconsistencies == [], line
    assert figures.resource_warnings == [], line
    assert figures.retained_objects == {}, line
    assert figures.memory_growth_mib < MEMORY_BOUND_MIB, line
    assert figures.succeeded + sum(figures.expected_errors.values()) == figures.operations, line
    # The faults really happened, at about the rate asked for, and were retried where allowed.
    assert 0.06 < figures.faults_injected / figures.requests < 0.14, line
    assert figures.retries > 0, line
