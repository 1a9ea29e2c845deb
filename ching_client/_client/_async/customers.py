"""``AsyncChing.customers``: the generated resource plus ``upsert_many``, run by anyio tasks."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Protocol

import anyio

from ..._bulk.batch import (
    BatchState,
    ProgressCallback,
    UpsertReport,
    Work,
    check_batch_options,
    check_rows,
)
from ..._core.base import AttemptWatch
from ..._exceptions import ChingError, RateLimitError
from ..._generated._async.resources import AsyncCustomers as _GeneratedAsyncCustomers
from ..._generated.models.customer_upsert_request_identify_by import CustomerUpsertRequestIdentifyBy
from ..._runtime.contract import AsyncRequester


class AsyncBatchClient(AsyncRequester, Protocol):
    """What a batch needs of its client: requests, the default timeout, and clients on its pool for the workers."""

    @property
    def timeout(self) -> float: ...

    def _batch_requester(self, watch: AttemptWatch) -> AsyncRequester: ...


class AsyncCustomers(_GeneratedAsyncCustomers):
    """The people paying you. Isolated per project and per mode (test or live)."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncBatchClient) -> None:
        super().__init__(client)
        self._client = client

    async def upsert_many(
        self,
        rows: Iterable[Any] | AsyncIterable[Any],
        *,
        identify_by: CustomerUpsertRequestIdentifyBy,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
    ) -> UpsertReport:
        """Upsert every row, ``concurrency`` at a time, and report what was created, updated and refused.

        ``rows`` is any iterable or async iterable of mappings with upsert's fields (``name``,
        ``email``, ``phone``, ``locale``, ``tax_id`` or ``taxId``, ``metadata``); it is read lazily,
        a few rows ahead of the requests. Only upsert is sent, so a retried row never duplicates a
        customer. A row that fails is reported (index, code, message, Ching's ``issues``) and the
        batch goes on; a 401 or 403, which every row would get, raises. After a 429 the whole batch
        pauses (for ``Retry-After`` when given) and sends fewer requests at once until it recovers.
        ``on_progress`` is called after every row with an ``UpsertProgress``.
        """
        check_batch_options(identify_by, concurrency, on_progress)
        check_rows(rows, allow_async=True)
        batch = _Batch(self._client, identify_by, concurrency, on_progress)
        return await batch.run(rows)


class _Batch:
    """One ``upsert_many`` run: ``concurrency`` worker tasks, each taking the next row from the input."""

    def __init__(
        self,
        client: AsyncBatchClient,
        identify_by: CustomerUpsertRequestIdentifyBy,
        concurrency: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._client = client
        self._identify_by = identify_by
        self._concurrency = concurrency
        self._state = BatchState(identify_by, concurrency, client.timeout, on_progress)
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._turns: dict[int, anyio.Event] = {}  # rows waiting for an earlier row naming the same customer
        self._read = 0  # rows taken from the input so far

    async def run(self, rows: Iterable[Any] | AsyncIterable[Any]) -> UpsertReport:
        source = aiter(rows) if isinstance(rows, AsyncIterable) else iter(rows)
        try:
            async with anyio.create_task_group() as group:
                if isinstance(source, AsyncIterator):
                    lock = anyio.Lock()
                    for _ in range(self._concurrency):
                        group.start_soon(self._work_async, source, lock, _Worker(self._client))
                else:
                    for _ in range(self._concurrency):
                        group.start_soon(self._work, source, _Worker(self._client))
        except BaseExceptionGroup as group_error:
            # The first failure (the input, on_progress, a 401) cancels the rest; others that happened
            # at the same moment share its cause (every worker gets the 401). Raise it as itself.
            raise group_error.exceptions[0] from None
        finally:
            await _close(source)
        return self._state.report()

    async def _work(self, rows: Iterator[Any], worker: _Worker) -> None:
        # Taking a row and registering it happen with no await between: rows are numbered, and
        # rows naming one customer queued, in input order whichever worker takes them.
        for row in rows:
            work = self._take(row)
            if work is not None:
                await self._send_in_turn(work, worker)

    async def _work_async(self, rows: AsyncIterator[Any], lock: anyio.Lock, worker: _Worker) -> None:
        while True:
            async with lock:  # one __anext__ at a time, and rows registered in input order
                try:
                    row = await anext(rows)
                except StopAsyncIteration:
                    return
                work = self._take(row)
            if work is not None:
                await self._send_in_turn(work, worker)

    def _take(self, row: Any) -> Work | None:
        """Number and check a row; None for a row refused before sending (it is reported)."""
        index = self._read
        self._read += 1
        taken = self._state.take(index, row)
        if taken is None:
            return None
        work, waits = taken
        if waits:
            self._turns[index] = anyio.Event()
        return work

    async def _send_in_turn(self, work: Work, worker: _Worker) -> None:
        turn = self._turns.get(work.index)
        if turn is not None:
            await turn.wait()
            del self._turns[work.index]
        else:
            # Yield once per row even when nothing else does (an in-process transport): the other
            # workers get their turn, and a cancelled batch stops here.
            await anyio.lowlevel.checkpoint()
        try:
            await self._upsert(work, worker)
        finally:
            if (next_index := self._state.done(work)) is not None:
                self._turns[next_index].set()

    async def _enter(self) -> int:
        """Take a slot under the pacer's limit (first come, first served) and wait out any pause."""
        self._limiter.total_tokens = self._state.pacer.limit  # the limit the last outcome left
        try:
            self._limiter.acquire_nowait()  # no checkpoints when a slot is free, as it is but after a 429
        except anyio.WouldBlock:
            await self._limiter.acquire()
        try:
            # A deadline rather than an event: another 429 during the sleep can push it later.
            while (pause := self._state.pacer.pause_left(time.monotonic())) > 0:  # noqa: ASYNC110
                await anyio.sleep(pause)
        except BaseException:
            self._limiter.release()
            raise
        return self._state.pacer.epoch

    async def _upsert(self, work: Work, worker: _Worker) -> None:
        worker.watch.lost = False
        for attempt in itertools.count():
            if attempt:
                await anyio.lowlevel.checkpoint()  # a resend after a 429 lets the other workers run first
            epoch = await self._enter()
            try:
                result = await worker.customers.upsert(identify_by=self._identify_by, **work.arguments)
            except RateLimitError as error:
                self._state.rate_limited(error, epoch)
                continue
            except ChingError as error:
                self._state.failed(work, error, worker.watch)
                return
            finally:
                self._limiter.release()
            self._state.succeeded(result.action, worker.watch)
            return


class _Worker:
    """What one worker task sends with: a client of its own on the shared pool, and that client's watch."""

    __slots__ = ("customers", "watch")

    def __init__(self, client: AsyncBatchClient) -> None:
        self.watch = AttemptWatch()
        self.customers = _GeneratedAsyncCustomers(client._batch_requester(self.watch))


async def _close(source: Iterator[Any] | AsyncIterator[Any]) -> None:
    """Close a generator input (its ``finally`` blocks run now) when the batch ends, early or not."""
    with anyio.CancelScope(shield=True):  # also when the batch was cancelled
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
            return
    close = getattr(source, "close", None)
    if close is not None:
        close()
