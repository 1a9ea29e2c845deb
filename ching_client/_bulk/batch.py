"""``customers.upsert_many``: what both clients share, with no I/O.

``BatchState`` holds every decision of a batch: rows become ``customers.upsert`` arguments, rows
naming one customer take turns, outcomes are tallied into a report, and the ``Pacer`` decides when
the batch may send after a 429. The driver (``_client/_async/customers.py``, and the sync one derived from it)
only schedules work around it (tasks or threads, and their locks).
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from attrs import define, frozen

from .._core.retry_policy import RETRY_AFTER_CAP, backoff, wait_time
from .._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ChingError,
    InvalidArgumentError,
    PermissionDeniedError,
    RateLimitError,
    WriteAppliedError,
)
from .._generated._async.resources import AsyncCustomers as _GeneratedAsyncCustomers
from .._generated.models.customer_upsert_request_identify_by import CUSTOMER_UPSERT_REQUEST_IDENTIFY_BY_VALUES
from .._runtime.kinds import InvalidArgument, check_texts

if TYPE_CHECKING:
    from .._core.base import AttemptWatch

UNREACHABLE_ROWS: Final = 20
"""This many rows in a row that got no answer (after the client's retries) end the batch: Ching is unreachable.
A shorter batch in which no row got an answer at all ends the same way, so the outcome does not depend on its length."""
MAX_CONCURRENCY: Final = 100
"""The default connection pool holds 100 connections; more workers would only queue for them."""
_CALL_OPTIONS: Final = frozenset(
    {"self", "identify_by", "timeout", "max_retries", "extra_headers", "extra_query", "extra_body"}
)
# The row fields are upsert's body arguments, read from the generated method so that a field added
# to the spec is accepted in rows after `make generate`.
ROW_FIELDS: Final = tuple(
    name for name in inspect.signature(_GeneratedAsyncCustomers.upsert).parameters if name not in _CALL_OPTIONS
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@frozen
class RowFailure:
    """A row that was not upserted, with what Ching (or the SDK) said about it."""

    index: int
    """The row's position in the input, from 0."""
    row: Any
    """The row as it was given."""
    code: str
    """Ching's error code (``INVALID_FIELD``, ``EMAIL_EXISTS``, ...), or the SDK's (``INVALID_ROW``,
    ``CONNECTION_ERROR``, ``TIMEOUT``, ``INVALID_RESPONSE``) when Ching gave none."""
    message: str
    """What went wrong, in Ching's words when it answered."""
    status: int | None = None
    """The HTTP status, if Ching answered."""
    issues: tuple[Mapping[str, Any], ...] = ()
    """Ching's validation issues, each ``{"path": [...], "message": ...}``."""
    maybe_applied: bool = False
    """True when Ching may have applied the row all the same: an attempt's answer was lost (a dropped
    connection, a timeout), or Ching failed (5xx) or answered with something that is not its envelope.
    Such a row counts as ``outcome_unknown``; sending it again is safe, as upsert is idempotent."""


@frozen
class UpsertProgress:
    """How far a batch has got; passed to ``on_progress`` after every row."""

    processed: int
    created: int
    updated: int
    failed: int
    elapsed: float
    """Seconds since the batch started."""
    created_or_updated: int = 0
    outcome_unknown: int = 0
    failure: RowFailure | None = None
    """The row that has just failed, when this call is about a failed row: the failures so far survive a
    batch that is stopped early (Ctrl-C, a cancel scope), which never returns its report."""

    @property
    def rate(self) -> float:
        """Rows per second so far."""
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0


@frozen
class UpsertReport:
    """The outcome of ``customers.upsert_many``: what each row did, counted, and every row that needs another look.

    Each row is counted once, in the first of these that is true of it:

    - ``created``: Ching answered that the row created its customer.
    - ``updated``: Ching answered that the row updated an existing customer, and no earlier attempt of
      the row went unanswered.
    - ``created_or_updated``: applied, but after an attempt whose answer was lost, so whether that attempt
      created the customer (and the answer seen was the retry's "updated") is unknown; or applied with an
      answer whose ``action`` could not be read (``WriteAppliedError``).
    - ``failed``: not applied: Ching refused the row (a 4xx), the SDK refused it before sending, or it
      never reached Ching.
    - ``outcome_unknown``: no answer said what happened, and an attempt may have been applied (the
      connection dropped, the call timed out, Ching failed with 5xx).

    ``failures`` lists the rows of the last two, in input order (``RowFailure.maybe_applied`` tells them
    apart); running them again is safe.
    """

    created: int
    updated: int
    failed: int
    failures: tuple[RowFailure, ...]
    elapsed: float
    """Seconds the batch took."""
    rate_limited: int = 0
    """How many 429 answers made the batch slow down (those rows were sent again)."""
    created_or_updated: int = 0
    outcome_unknown: int = 0

    @property
    def total(self) -> int:
        """Rows read from the input."""
        return self.created + self.updated + self.created_or_updated + self.failed + self.outcome_unknown

    @property
    def ok(self) -> bool:
        """True when every row was upserted and Ching said so."""
        return not self.failures

    def summary(self) -> str:
        """One line for logs and terminals: ``1,000 rows in 3.2 s: 600 created, 390 updated, 10 failed``.

        The counts of rows whose outcome is partly or wholly unknown appear only when there are some.
        """
        return f"{rows(self.total)} in {self.elapsed:.1f} s: {outcome_counts(self, explained=True)}"


def outcome_counts(counts: UpsertProgress | UpsertReport, *, explained: bool) -> str:
    """``600 created, 390 updated, 10 failed``; the counts of partly or wholly unknown outcomes only when there are
    some, ``explained`` with what they mean."""
    parts = [f"{counts.created:,} created", f"{counts.updated:,} updated"]
    if counts.created_or_updated:
        note = " (an attempt's answer was lost)" if explained else ""
        parts.append(f"{counts.created_or_updated:,} created or updated{note}")
    parts.append(f"{counts.failed:,} failed")
    if counts.outcome_unknown:
        note = " (may have been applied)" if explained else ""
        parts.append(f"{counts.outcome_unknown:,} outcome unknown{note}")
    return ", ".join(parts)


def rows(count: int) -> str:
    """``1 row``, ``2,000 rows``."""
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


ProgressCallback = Callable[[UpsertProgress], object]


def check_batch_options(identify_by: object, concurrency: object, on_progress: object) -> None:
    """Refuse bad batch options before any row is read."""
    if identify_by not in CUSTOMER_UPSERT_REQUEST_IDENTIFY_BY_VALUES:
        allowed = ", ".join(repr(v) for v in sorted(CUSTOMER_UPSERT_REQUEST_IDENTIFY_BY_VALUES))
        raise InvalidArgumentError(
            f"customers.upsert_many: identify_by must be one of {allowed}, got {identify_by!r}.", argument="identify_by"
        )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidArgumentError(
            f"customers.upsert_many: concurrency must be a whole number from 1 to {MAX_CONCURRENCY}, "
            f"got {concurrency!r}.",
            argument="concurrency",
        )
    if on_progress is not None and not callable(on_progress):
        raise InvalidArgumentError("customers.upsert_many: on_progress must be callable.", argument="on_progress")


def check_rows(rows: object, *, allow_async: bool) -> None:
    """Refuse ``rows`` that are not an iterable of rows (a string, a file name, a single mapping)."""
    if allow_async and isinstance(rows, AsyncIterable):
        return
    if isinstance(rows, Iterable) and not isinstance(rows, (str, bytes, bytearray, Mapping)):
        return
    kinds = "an iterable or async iterable" if allow_async else "an iterable"
    raise InvalidArgumentError(
        f"customers.upsert_many: rows must be {kinds} of mappings, got {type(rows).__name__}.", argument="rows"
    )


@functools.lru_cache(maxsize=512)
def field_name(key: str) -> str:
    """``taxId`` -> ``tax_id``; rows repeat the same few keys, so this is worked out once per key."""
    return _CAMEL_BOUNDARY.sub("_", key).lower()


def row_arguments(row: object) -> dict[str, Any]:
    """The ``customers.upsert`` keyword arguments for one row.

    Keys are upsert's fields, in Python spelling (``tax_id``) or Ching's (``taxId``); a ``None`` value
    means "no value" and is left out, so an update leaves that field as it is.
    """
    if not isinstance(row, Mapping):
        raise InvalidArgumentError(f"a row must be a mapping of upsert fields, got {type(row).__name__}.")
    arguments: dict[str, Any] = {}
    for key, value in row.items():
        name = field_name(key) if isinstance(key, str) else key
        if name not in ROW_FIELDS:
            raise InvalidArgumentError(f"unknown field {key!r}; rows may have {', '.join(ROW_FIELDS)}.", argument=key)
        if name in arguments:
            raise InvalidArgumentError(f"field {name!r} is given twice (as {key!r} too).", argument=key)
        if value is not None:
            _check_text(name, value)
            arguments[name] = value
    return arguments


def _check_text(name: str, value: object) -> None:
    """Refuse a row holding text UTF-8 cannot carry (a lone surrogate, as ``json.loads`` makes of ``"\\ud800"``).

    Checked here with the row's other checks, so the row is refused in input order before it takes a slot, as a row
    with an unknown field is. Left to the upsert call, the refusal would count as an answer from Ching when the batch
    decides whether Ching can be reached.
    """
    try:
        check_texts(name, value)
    except InvalidArgument as exc:
        raise InvalidArgumentError(str(exc), argument=exc.argument) from None


@frozen
class Work:
    """A row read from the input and checked: its upsert arguments and the customer it may name."""

    index: int
    row: Any
    arguments: dict[str, Any]
    key: str | None
    """Equal for rows that may name the same customer (see ``identity_key``); None if the row names none."""


def identity_key(identify_by: str, arguments: Mapping[str, Any]) -> str | None:
    """A key shared by rows that may match the same customer, erring towards equal.

    Emails compare without case or surrounding spaces, phone numbers by their last nine digits
    (``054-987-6543`` and ``+972549876543`` are one number to Ching). Rows with equal keys are
    sent one after another, in input order, so two of them never race to create one customer.
    """
    value = arguments.get(field_name(identify_by))
    if not isinstance(value, str):
        return None
    if identify_by == "phone":
        return "phone:" + re.sub(r"\D", "", value)[-9:]
    return f"{identify_by}:{value.strip().casefold()}"


class SameCustomerOrder:
    """Queues rows by ``identity_key``: only the first row of each key may be sent; the rest wait their turn."""

    def __init__(self) -> None:
        self._waiting: dict[str, deque[int]] = {}

    def register(self, key: str, index: int) -> bool:
        """Add a row (in input order); True if it may be sent at once."""
        waiting = self._waiting.get(key)
        if waiting is None:
            self._waiting[key] = deque()
            return True
        waiting.append(index)
        return False

    def done(self, key: str) -> int | None:
        """The row holding ``key`` is finished: return the index of the row whose turn it is, if any."""
        waiting = self._waiting[key]
        if waiting:
            return waiting.popleft()
        del self._waiting[key]
        return None


def may_have_been_applied(error: ChingError) -> bool:
    """False only when the error shows that Ching did not apply the request (a 4xx, or nothing sent)."""
    if isinstance(error, APIStatusError):
        return error.status_code >= 500 or error.status_code == 408
    if isinstance(error, APIConnectionError):
        return error.may_have_reached_server
    return isinstance(error, APIResponseError)  # an answer, but not Ching's: it may have been processed


def failure_for(index: int, row: object, error: ChingError, *, maybe_applied: bool = False) -> RowFailure:
    """Describe a row's error for the report."""
    if isinstance(error, APIStatusError):
        return RowFailure(
            index=index,
            row=row,
            code=error.code or f"HTTP_{error.status_code}",
            message=error.server_message or error.message,
            status=error.status_code,
            issues=tuple(error.issues),
            maybe_applied=maybe_applied,
        )
    if isinstance(error, InvalidArgumentError):
        code = "INVALID_ROW"
    elif isinstance(error, APITimeoutError):
        code = "TIMEOUT"
    elif isinstance(error, APIConnectionError):
        code = "CONNECTION_ERROR"
    elif isinstance(error, APIResponseError):
        code = "INVALID_RESPONSE"
    else:
        code = "ERROR"
    return RowFailure(index=index, row=row, code=code, message=error.message, maybe_applied=maybe_applied)


def stops_the_batch(error: ChingError) -> bool:
    """Errors about the client rather than the row would fail every row alike: they end the batch. A 401 or 403
    is about the key; a 404, 405 or 501 to upsert, whose route has no id, means the base URL points elsewhere."""
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    return isinstance(error, APIStatusError) and error.status_code in (404, 405, 501)


class Tally:
    """Counts outcomes as rows finish (from one thread at a time) and builds the report."""

    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self._on_progress = on_progress
        self._started = time.monotonic()
        self.created = 0
        self.updated = 0
        self.created_or_updated = 0
        self.failures: list[RowFailure] = []
        self.outcome_unknown = 0
        self.rate_limited = 0
        self._unanswered = 0
        self._answered = False
        self.no_answer: APIConnectionError | None = None
        """The last row's error while no row has reached Ching yet: what ending the batch early raises."""

    def unreachable(self, error: ChingError) -> bool:
        """Count rows that got no answer; True once so many in a row did that Ching looks unreachable."""
        if not isinstance(error, APIConnectionError):
            self._answer()
            return False
        self._unanswered += 1
        if error.may_have_reached_server:  # it reached Ching, which may have applied it: an unknown outcome
            self._answered = True  # to report, not a sign that Ching cannot be reached
            self.no_answer = None
        elif not self._answered:
            self.no_answer = error
        return self._unanswered >= UNREACHABLE_ROWS

    def _answer(self) -> None:
        """Ching answered a row: it is reachable."""
        self._unanswered = 0
        self._answered = True
        self.no_answer = None

    def succeeded(self, action: str | None, *, answer_lost: bool) -> None:
        """Count a row Ching applied; ``answer_lost`` if an earlier attempt of it may have been applied unseen;
        ``action`` None when the answer did not say what the row did."""
        self._answer()
        if action == "created":  # true even after a lost attempt: had that one created it, this would say updated
            self.created += 1
        elif answer_lost or action is None:
            self.created_or_updated += 1
        else:
            self.updated += 1
        self._progress()

    def failed(self, failure: RowFailure) -> None:
        self.failures.append(failure)
        self.outcome_unknown += failure.maybe_applied
        self._progress(failure)

    def _progress(self, failure: RowFailure | None = None) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress(failure))

    def progress(self, failure: RowFailure | None = None) -> UpsertProgress:
        failed = len(self.failures) - self.outcome_unknown
        return UpsertProgress(
            processed=self.created + self.updated + self.created_or_updated + len(self.failures),
            created=self.created,
            updated=self.updated,
            failed=failed,
            elapsed=time.monotonic() - self._started,
            created_or_updated=self.created_or_updated,
            outcome_unknown=self.outcome_unknown,
            failure=failure,
        )

    def report(self) -> UpsertReport:
        return UpsertReport(
            created=self.created,
            updated=self.updated,
            failed=len(self.failures) - self.outcome_unknown,
            failures=tuple(sorted(self.failures, key=lambda failure: failure.index)),
            elapsed=time.monotonic() - self._started,
            rate_limited=self.rate_limited,
            created_or_updated=self.created_or_updated,
            outcome_unknown=self.outcome_unknown,
        )


@define
class Pacer:
    """Batch-wide backpressure: after a 429 every worker waits, and fewer requests fly at once.

    A 429 to a request sent since the last pause starts a new wave: the batch pauses for
    ``Retry-After`` or for exponential backoff (0.5 s doubling up to 8 s) over the waves in a row,
    whichever is longer, and the concurrency limit halves; it grows back by one per ``limit``
    successes, as TCP's window does. A 429 to a request that was already in flight belongs to the
    current wave: it may lengthen the pause to its own ``Retry-After``, nothing more. When the waves
    in a row have paused the batch for ``patience`` seconds (the client's timeout) with nothing
    getting through, the next wave is refused: the batch ends rather than keep knocking.
    """

    ceiling: int
    patience: float
    limit: int = 0
    epoch: int = 0
    """Bumped at each wave; a request remembers the epoch it started in."""
    resume_at: float = 0.0
    """Monotonic time before which no request may start."""
    stalled: float = 0.0
    """Seconds of pauses decided, one per wave, since a request last got through."""
    _waves: int = 0
    _successes: int = 0

    def __attrs_post_init__(self) -> None:
        self.limit = self.ceiling

    def pause_left(self, now: float) -> float:
        """Seconds the batch must still wait before sending."""
        return max(0.0, self.resume_at - now)

    def rate_limited(self, now: float, retry_after: float | None, started_epoch: int) -> bool:
        """Record a 429 for a request started in ``started_epoch``; False if the batch should give up."""
        asked = min(retry_after, RETRY_AFTER_CAP) if retry_after is not None else 0.0
        if started_epoch != self.epoch:  # in flight when the current wave began
            self._pause(now, asked)
            return True
        if self.stalled >= self.patience:
            return False
        self._waves += 1
        self._successes = 0
        delay = max(asked, backoff(self._waves))
        self.stalled += delay
        self._pause(now, delay)
        self.limit = max(1, self.limit // 2)
        self.epoch += 1
        return True

    def _pause(self, now: float, delay: float) -> None:
        # The wait really taken: zero under the testing switch, so tests never sleep.
        self.resume_at = max(self.resume_at, now + wait_time(delay))

    def succeeded(self) -> None:
        """Record a request that was not rate limited."""
        self._waves = 0
        self.stalled = 0.0
        if self.limit < self.ceiling:
            self._successes += 1
            if self._successes >= self.limit:
                self.limit += 1
                self._successes = 0


class BatchState:
    """One batch's bookkeeping, the same for both drivers; they call it one thread at a time."""

    def __init__(
        self, identify_by: str, concurrency: int, patience: float, on_progress: ProgressCallback | None
    ) -> None:
        self.identify_by = identify_by
        self.tally = Tally(on_progress)
        self.pacer = Pacer(concurrency, patience=patience)
        self._order = SameCustomerOrder()

    def take(self, index: int, row: object) -> tuple[Work, bool] | None:
        """Check a row, in input order: its work and whether it must wait for an earlier row naming the
        same customer; None for a row refused before sending (it is reported)."""
        try:
            arguments = row_arguments(row)
        except InvalidArgumentError as error:
            self.tally.failed(failure_for(index, row, error))
            return None
        key = identity_key(self.identify_by, arguments)
        waits = key is not None and not self._order.register(key, index)
        return Work(index, row, arguments, key), waits

    def done(self, work: Work) -> int | None:
        """The row is finished, sent or not: the index of the row whose turn it now is, if any."""
        return None if work.key is None else self._order.done(work.key)

    def rate_limited(self, error: RateLimitError, epoch: int) -> None:
        """Record a 429 to a request sent in ``epoch``; raise it when the batch gives up (see ``Pacer``)."""
        if not self.pacer.rate_limited(time.monotonic(), error.retry_after, epoch):
            raise error
        self.tally.rate_limited += 1

    def failed(self, work: Work, error: ChingError, watch: AttemptWatch) -> None:
        """Record a row's error; raise it instead when every row would get it (401, 403, Ching unreachable).

        ``watch`` tells whether an earlier attempt of the row may have been applied unseen. A row whose answer
        says Ching applied it, in a shape the SDK cannot read (``WriteAppliedError``), is counted as applied.
        """
        if isinstance(error, WriteAppliedError):
            self.succeeded(error.action, watch)
            return
        if stops_the_batch(error) or self.tally.unreachable(error):
            raise error
        maybe_applied = watch.lost or may_have_been_applied(error)
        self.tally.failed(failure_for(work.index, work.row, error, maybe_applied=maybe_applied))

    def succeeded(self, action: str | None, watch: AttemptWatch) -> None:
        self.pacer.succeeded()
        self.tally.succeeded(action, answer_lost=watch.lost)

    def report(self) -> UpsertReport:
        """The batch's report; if no row reached Ching at all, raise as when 20 rows in a row get no answer."""
        if self.tally.no_answer is not None:
            raise self.tally.no_answer
        return self.tally.report()
