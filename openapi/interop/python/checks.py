"""The round-trip runner shared by the Python round trips (openapi-generator `python`, pydantic models).

Each check runs in order; a failing check is reported and the next one still runs. Prints `ok NAME` or
`FAIL NAME: why` per check, then `roundtrip N/13`; the exit code is 0 only if all 13 passed.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

TOTAL = 13
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def run_checks(checks: list[Callable[[], None]]) -> int:
    """Run every check, print its verdict and the count; the process's exit code."""
    passed = 0
    for check in checks:
        try:
            check()
        except Exception as exc:  # report every check, whatever broke
            last = traceback.format_exception_only(type(exc), exc)[-1].strip().replace("\n", " ")
            print(f"FAIL {check.__name__}: {last[:400]}")
        else:
            passed += 1
            print(f"ok {check.__name__}")
    print(f"roundtrip {passed}/{TOTAL}")
    return 0 if passed == TOTAL and len(checks) == TOTAL else 1
