"""``AttemptEvent``: what an ``on_attempt`` hook receives as each attempt of a call ends (``observe`` sends them).

Its own module, loaded with the first event (or ``from ching_client import AttemptEvent``): building an attrs class
costs about a millisecond, which a client without hooks does not pay at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from attrs import frozen

AttemptDecision = Literal["succeeded", "retrying", "giving_up", "outcome_unknown"]
"""What the client does after an attempt (``AttemptEvent.decision``)."""


@frozen
class AttemptEvent:
    """One attempt of one call, as the client's ``on_attempt`` hooks receive it when the attempt ends.

    Every attempt gets one event, retries included: a call answered on its second attempt gives two, the first
    with ``decision == "retrying"``. It names the operation, the request and what came of it; it never holds the
    API key, a header, the query string or a body, so it is safe to log or send to a metrics system as it is.
    """

    operation_id: str
    """The operation's id in the spec, such as ``customers_create``."""
    operation: str
    """The operation as called in Python, such as ``customers.create``."""
    method: str
    """The HTTP method: ``GET``, ``POST``, ``PATCH``, ``DELETE``."""
    path: str
    """The request path as sent, ids percent-encoded (``/v1/customers/cus_V8ltq1pK_MWH``), without the query string,
    which may carry personal data (an email to look up)."""
    attempt: int
    """1 for the first attempt, 2 for the first retry, and so on."""
    status_code: int | None
    """The answer's HTTP status; None when the attempt ended without an answer (then see ``error_type``)."""
    error_type: str | None
    """The class name of what ended the attempt without a usable answer (``ConnectError``, ``ReadTimeout``,
    ``RemoteProtocolError`` for a dropped connection, ``CancelledError``); None when an answer came."""
    elapsed: float
    """Seconds from the attempt's start to its end (its answer read, or its failure)."""
    request_id: str | None
    """Ching's id of the request (the answer's ``X-Request-Id``), for Ching support; None without an answer."""
    decision: AttemptDecision
    """What follows: ``"succeeded"`` (a 2xx answer, which the call returns), ``"retrying"`` (another attempt after
    ``retry_after`` seconds), ``"giving_up"`` (the call raises this attempt's error) or ``"outcome_unknown"`` (the
    call raises ``WriteOutcomeUnknownError``: an operation that is not safe to repeat lost its answer after the
    request was sent, so it may have been applied, and it is never retried)."""
    retry_after: float | None
    """Seconds before the next attempt when ``decision == "retrying"``; None otherwise."""
    reason: str
    """The retry policy's words for the decision (``status 503``, ``gave up after 3 attempts``); empty on success."""

    @property
    def outcome(self) -> str:
        """The status code as text (``"503"``), or the error's class name when no answer came."""
        return str(self.status_code) if self.status_code is not None else self.error_type or ""


AttemptHook = Callable[[AttemptEvent], object]
"""An ``on_attempt`` hook: called with each attempt's event, in the thread (or task) making the call."""
