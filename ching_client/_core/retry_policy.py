"""When to retry a failed attempt, and how long to wait: pure decisions, no I/O.

The one rule that never bends: an operation that is not safe to repeat (the spec's
``x-ching-safe-to-repeat: false``) is retried only when the request certainly never
reached the server, or when the server refused it with 429 before processing it.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Final

from attrs import frozen

INITIAL_DELAY: Final = 0.5
MAX_DELAY: Final = 8.0
RETRY_AFTER_CAP: Final = 60.0
RETRY_ON_SAFE_STATUS: Final = frozenset({408, 500, 502, 503, 504})


class Failure(enum.Enum):
    """What went wrong with an attempt that produced no response."""

    NOT_SENT = "the request never left"
    TIMED_OUT = "no response within the deadline after the request was sent"
    DROPPED = "the connection dropped after the request was sent"


@frozen
class Decision:
    """Whether to retry, after how many seconds, and why (for logs and error messages)."""

    retry: bool
    delay: float
    why: str
    """What happened, as the retry policy sees it (``rate limited (429)``, ``the request never left``)."""
    stop: str = ""
    """Why a failure that could be retried was not: the attempts are used up, the deadline, a long Retry-After."""

    @property
    def reason(self) -> str:
        """``why`` and ``stop`` together, for log lines."""
        return f"{self.why}; {self.stop}" if self.stop else self.why


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: about 0.5 s, doubling per attempt, capped at 8 s."""
    base = min(MAX_DELAY, INITIAL_DELAY * 2.0 ** (attempt - 1))
    return base * (1 - 0.25 * rand())


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent or unreadable.

    A date in the past gives 0, which ``decide`` reads as no request to wait: it backs off as usual.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: a year such as 999999999
            return None
    if not math.isfinite(seconds):  # NaN or infinite: unreadable
        return None
    return max(0.0, seconds)


def decide(
    *,
    safe_to_repeat: bool,
    attempt: int,
    max_retries: int,
    remaining: float,
    status: int | None = None,
    failure: Failure | None = None,
    retry_after: float | None = None,
    retry_rate_limited: bool = True,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """Decide what follows attempt number ``attempt`` (1-based) that ended with ``status`` or ``failure``.

    ``retry_rate_limited=False`` leaves a 429 to the caller, as a batch that paces all its calls does.
    """
    if status == 429:
        retryable, why = retry_rate_limited, "rate limited (429)"
    elif status is not None:
        retryable = status in RETRY_ON_SAFE_STATUS and safe_to_repeat
        why = f"status {status}" + ("" if retryable or status not in RETRY_ON_SAFE_STATUS else ", not safe to repeat")
    elif failure is Failure.NOT_SENT:
        retryable, why = True, "the request never left"
    else:
        retryable = safe_to_repeat
        why = "no response" + ("" if safe_to_repeat else "; not safe to repeat, so it may have happened")
    if not retryable:
        return Decision(False, 0.0, why)
    if attempt > max_retries:
        return Decision(False, 0.0, why, f"gave up after {attempts(attempt)}")
    if retry_after is not None and retry_after > RETRY_AFTER_CAP:
        return Decision(False, retry_after, why, f"the server asked to wait {retry_after:.0f}s, over the cap")
    # A Retry-After of 0 or in the past would let a server have every retry sent at once: normal backoff then.
    delay = retry_after if retry_after is not None and retry_after > 0 else backoff(attempt, rand)
    if delay >= remaining:
        return Decision(False, delay, why, f"waiting {delay:.2f}s would pass the call's deadline")
    return Decision(True, delay, why)


def attempts(count: int) -> str:
    """``1 attempt``, ``3 attempts``."""
    return f"{count} attempt{'' if count == 1 else 's'}"


_zero_backoff = False


def set_zero_backoff(enabled: bool) -> bool:
    """Testing switch: decisions and logs stay the same, but the clients do not actually wait.

    Returns the previous setting, so that a caller can put back what was there (nested ``no_backoff()``).
    """
    global _zero_backoff
    previous, _zero_backoff = _zero_backoff, enabled
    return previous


def wait_time(delay: float) -> float:
    """How long a client really sleeps for a decided ``delay``."""
    return 0.0 if _zero_backoff else delay
