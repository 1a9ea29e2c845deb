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

from attrs import field, frozen

from .._exceptions import ConfigurationError
from .._runtime.timeout import check_seconds

INITIAL_DELAY: Final = 0.5
MAX_DELAY: Final = 8.0
JITTER: Final = 0.25
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


def _jitter(value: bool | float) -> float:
    """``True``: the default share (a quarter), ``False``: none, a number: that share, from 0 to 1."""
    if isinstance(value, bool):
        return JITTER if value else 0.0
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigurationError(f"Backoff jitter must be True, False or a share from 0 to 1, got {value!r}.")
    return float(value)


@frozen
class Backoff:
    """How long the client waits before a retry when the server does not say (``Retry-After`` says, and wins).

    The first retry waits about ``initial`` seconds, each later one twice the previous, never more than
    ``maximum``. ``jitter`` takes a random share off each wait, so that clients failing together do not retry
    together: ``True`` up to a quarter (the default), ``False`` none, a number from 0 to 1 up to that share.
    A value out of range raises ``ConfigurationError``.
    """

    initial: float = field(default=INITIAL_DELAY, validator=check_seconds)
    maximum: float = field(default=MAX_DELAY, validator=check_seconds)
    jitter: float = field(default=True, converter=_jitter)

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.initial:
            raise ConfigurationError(
                f"Backoff maximum ({self.maximum}) must not be less than initial ({self.initial})."
            )


DEFAULT_BACKOFF: Final = Backoff()


def backoff(attempt: int, rand: Callable[[], float] = random.random, policy: Backoff = DEFAULT_BACKOFF) -> float:
    """Exponential backoff with jitter: by default about 0.5 s, doubling per attempt, capped at 8 s."""
    base = min(policy.maximum, policy.initial * 2.0 ** (attempt - 1))
    return base * (1 - policy.jitter * rand())


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
    policy: Backoff = DEFAULT_BACKOFF,
) -> Decision:
    """Decide what follows attempt number ``attempt`` (1-based) that ended with ``status`` or ``failure``.

    ``retry_rate_limited=False`` leaves a 429 to the caller, as a batch that paces all its calls does. ``policy``:
    the waits when the server asks for none.
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
    delay = retry_after if retry_after is not None and retry_after > 0 else backoff(attempt, rand, policy)
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
