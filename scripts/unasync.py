"""Derive the sync client from the async one, token by token, as httpcore does.

python scripts/unasync.py          rewrite ching_client/_sync_client.py
python scripts/unasync.py --check  fail if it is out of date (run by `make check-generated`)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "ching_client" / "_async_client.py"
TARGET = ROOT / "ching_client" / "_sync_client.py"
HEADER = "# Derived from _async_client.py by scripts/unasync.py. Do not edit: change the async source.\n"
SUBSTITUTIONS = [
    (
        r'"""``AsyncChing``: the asynchronous client\..*"""',
        '"""``Ching``: the synchronous client, derived from the async one."""',
    ),
    (r"The Ching API client for async code \(asyncio or trio\)\.", "The Ching API client for synchronous code."),
    (r"\bimport anyio\n", "import contextlib\n"),
    (r"anyio\.fail_after\b", "contextlib.nullcontext"),
    (r"anyio\.sleep\(", "time.sleep("),
    (r"\bAsyncChing\b", "Ching"),
    (r"\bAsyncRequester\b", "SyncRequester"),
    (r"\bAsyncResources\b", "Resources"),
    (r"\bAsyncCustomers\b", "Customers"),
    (r"\.AsyncTransport\(", ".Transport("),
    (r"\._customers_async\b", "._customers_sync"),
    (r"\b(httpx2?|http)\.AsyncClient\b", r"\1.Client"),
    (r'"AsyncClient"', '"Client"'),
    (r"\._generated\.resources\b", "._generated.sync_resources"),
    (r"\basync def __aenter__", "def __enter__"),
    (r"\basync def __aexit__", "def __exit__"),
    (r"\baclose\b", "close"),
    (r"\baread\b", "read"),
    (r"\baiter_raw\b", "iter_raw"),
    (r"\basync for\b", "for"),
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
]


def derive(source: str) -> str:
    """The sync twin of the async client's source."""
    for pattern, replacement in SUBSTITUTIONS:
        source = re.sub(pattern, replacement, source)
    return HEADER + source


def main(argv: list[str]) -> int:
    expected = derive(SOURCE.read_text(encoding="utf-8"))
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != expected:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run `make generate`", file=sys.stderr)
            return 1
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return 0
    TARGET.write_text(expected, encoding="utf-8")
    print(f"derived {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
