"""``Timeout``: a call's deadline and the parts of each attempt, beside the plain float that means the deadline."""

from __future__ import annotations

import math
from typing import Any, Final

from attrs import Attribute, field, frozen
from attrs.validators import optional

from .._exceptions import ConfigurationError

DEFAULT_TOTAL: Final = 60.0
DEFAULT_CONNECT: Final = 5.0


def positive_seconds(name: str, value: object) -> float:
    """``value`` as a positive, finite number of seconds; ``ConfigurationError`` (naming ``name``) otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}.")
    return float(value)


def check_seconds(instance: object, attribute: Attribute[Any], value: object) -> None:
    """The attrs validator of a field of seconds: ``positive_seconds``, naming the class and the field."""
    positive_seconds(f"{type(instance).__name__} {attribute.name}", value)


@frozen
class Timeout:
    """How long a call may take, and the parts of each of its attempts; every value in seconds.

    ``total`` is the call's deadline, retries and the waits between them included: what a plain float
    ``timeout=60`` means. ``connect`` bounds opening a connection in one attempt (default 5). ``read``, when given,
    is the longest wait for the next bytes of an answer in one attempt, so a silent server is given up on (and, where
    the retry policy allows, retried) before the deadline; without it an attempt waits for bytes until the deadline.
    No part outlives ``total``. A value that is not a positive, finite number raises ``ConfigurationError``.
    """

    total: float = field(default=DEFAULT_TOTAL, validator=check_seconds)
    connect: float = field(default=DEFAULT_CONNECT, validator=check_seconds)
    read: float | None = field(default=None, validator=optional(check_seconds))


def as_timeout(value: Timeout | float, default: Timeout | None = None) -> Timeout:
    """``value`` as a ``Timeout``: a number is the total, with the other parts of ``default`` (or the defaults).
    ``ConfigurationError`` for anything else."""
    if isinstance(value, Timeout):
        return value
    total = positive_seconds("timeout", value)
    base = default or Timeout()
    return Timeout(total=total, connect=base.connect, read=base.read)
