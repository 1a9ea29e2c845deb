"""Derive synchronous code from its asynchronous source, token by token (httpcore's way).

One mechanism for the whole package: the hand-written clients (``ching_client/_client/_async/`` gives
``_sync/``) and the generated resources use the same rules. The rules are generic, so a new async
module derives without new rules:

- ``async def`` / ``async with`` / ``async for`` lose ``async``, ``await`` goes;
- a name ``AsyncX`` becomes ``X`` (``AsyncChing``, ``AsyncIterator``, ``httpx.AsyncClient``...);
- the async protocol's names become the sync ones (``__aenter__``, ``aclose``, ``aiter_raw``...);
- the module token ``_async`` becomes ``_sync`` (``from .._async.x`` imports the sync twin);
- a union left with two equal halves (``Iterable[Any] | AsyncIterable[Any]``) becomes one;
- "asynchronous" becomes "synchronous" in prose, and "or async iterable" goes.

The real differences between the two worlds are a few paired primitives, named so that the generic
rules map one onto the other: ``AsyncWorkers``/``Workers``, ``AsyncLimiter``/``Limiter`` and the like live
side by side in ``ching_client/_client/_primitives.py``, and ``anyio.sleep`` / ``anyio.fail_after`` have
their sync partners below.

    python -m generator.unasync            rewrite every derived file
    python -m generator.unasync --check    fail if one is out of date (``make check-generated``)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ching_client"


def _names_once(match: re.Match[str]) -> str:
    """``from m import Iterable, Iterable`` (what ``AsyncIterable, Iterable`` becomes) names each name once."""
    names = dict.fromkeys(name.strip() for name in match[2].split(","))
    return match[1] + ", ".join(names)


# (pattern, replacement), applied in order to the whole text. Word boundaries keep them to whole tokens.
RULES: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    # The paired primitives that have no token-shaped partner.
    (r"^import anyio\n", "import contextlib\n"),
    (r"\banyio\.fail_after\b", "contextlib.nullcontext"),
    (r"\banyio\.sleep\(", "time.sleep("),
    # The language.
    (r"\basync (def|with|for)\b", r"\1"),
    (r"\bawait ", ""),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\b__a(enter|exit|iter|next)__\b", r"__\1__"),
    (r"\ba(close|read)\b", r"\1"),
    (r"\baiter_(\w+)\b", r"iter_\1"),
    # Names: AsyncChing -> Ching, httpx.AsyncClient -> httpx.Client, AsyncIterator -> Iterator, and inside a
    # name, _GeneratedAsyncCustomers -> _GeneratedCustomers.
    (r"(?<![A-Z0-9])Async(?=[A-Z])", ""),
    # Modules: the sync twin of `_async/x.py` is `_sync/x.py`.
    (r"\b_async\b", "_sync"),
    # What the names leave twice: a union whose halves are now one type (`Iterable[Any] | AsyncIterable[Any]`)
    # is that type, and an import names each name once.
    (r"(?<![\w.])([\w.]+(?:\[[\w., ]*\])?) \| \1(?![\w.\[])", r"\1"),
    (r"^(from [\w.]+ import )([\w, ]+)$", _names_once),
    # Prose.
    (r"\bAsynchronous\b", "Synchronous"),
    (r"\basynchronous\b", "synchronous"),
    (r" \(asyncio or trio\)", ""),
    (r" or async iterable\b", ""),
)
_COMPILED = tuple((re.compile(pattern, re.MULTILINE), replacement) for pattern, replacement in RULES)


def derive(source: str) -> str:
    """The sync twin of an async module's source."""
    for pattern, replacement in _COMPILED:
        source = pattern.sub(replacement, source)
    return source


def header(source: Path) -> str:
    """The first line of a derived file: where it comes from, and that it is not edited by hand."""
    return f"# Derived from {source.relative_to(ROOT)} by generator/unasync.py. Do not edit: change the async source.\n"


# The hand-written async modules and their derived twins. (The generator derives its own resources with
# `derive` as it writes them.)
HAND_WRITTEN: tuple[tuple[Path, Path], ...] = (
    (PACKAGE / "_client" / "_async" / "client.py", PACKAGE / "_client" / "_sync" / "client.py"),
    (PACKAGE / "_client" / "_async" / "customers.py", PACKAGE / "_client" / "_sync" / "customers.py"),
    (PACKAGE / "_runtime" / "_async" / "pages.py", PACKAGE / "_runtime" / "_sync" / "pages.py"),
)


def expected(source: Path) -> str:
    return header(source) + derive(source.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    stale = []
    for source, target in HAND_WRITTEN:
        text = expected(source)
        if "--check" in argv:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
            continue
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"derived {target.relative_to(ROOT)}")
    if stale:
        names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
        print(f"out of date: {names}: run `make generate`", file=sys.stderr)
        return 1
    if "--check" in argv:
        print("the derived sync modules are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
