"""Injectable id generators: random like Ching (`cus_` + 12 url-safe chars), seeded, or sequential; request ids."""

from __future__ import annotations

import random
import secrets
import threading
from collections import Counter
from typing import Protocol

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
"""The url-safe characters Ching ids are made of."""

ID_LENGTH = 12


class IdGenerator(Protocol):
    """Anything that makes a new id with a given prefix (`cus_`, `prod_`, ...)."""

    def new(self, prefix: str) -> str:
        """Return `prefix` followed by 12 url-safe characters."""
        ...


class RandomIds:
    """Random ids; pass a seed to get the same sequence every run."""

    def __init__(self, seed: int | None = None) -> None:
        """Use a seeded PRNG when `seed` is given, else the OS's randomness."""
        self._rng: random.Random = random.SystemRandom() if seed is None else random.Random(seed)  # noqa: S311
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        """Return `prefix` + 12 random url-safe characters."""
        with self._lock:
            return prefix + "".join(self._rng.choice(ALPHABET) for _ in range(ID_LENGTH))


class SequentialIds:
    """Readable ids `cus_000000000001`, `cus_000000000002`, ... counted per prefix."""

    def __init__(self) -> None:
        """Start every prefix at 1."""
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        """Return `prefix` + the next number for that prefix, zero-padded to 12 digits."""
        with self._lock:
            self._counts[prefix] += 1
            return f"{prefix}{self._counts[prefix]:0{ID_LENGTH}d}"


REQUEST_ID_PREFIX = "req_"


def new_request_id() -> str:
    """A request id as the local Ching sends it in ``X-Request-Id``: ``req_`` and 16 random hex digits.

    From the OS's randomness, not from the fake's ``ids``: drawing from a seeded generator would change the object
    ids a seeded fake makes, and 64 random bits make two requests' ids alike practically never. Hex digits only, so
    a double click selects the whole id in a terminal or a log viewer.
    """
    return REQUEST_ID_PREFIX + secrets.token_hex(8)
