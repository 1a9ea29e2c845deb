"""``AsyncChing.customers``: the generated resource plus ``upsert_many``, whose rows ``concurrency`` workers send.

The workers are ``AsyncWorkers`` (``_client/_primitives.py`` holds them, and each primitive the batch waits with
beside its sync partner); they share the client's connection pool, and all of them have stopped by the time the
batch returns or raises.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterable, Iterable
from typing import Any, Protocol

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
from .._primitives import AsyncEvent, AsyncFeed, AsyncLimiter, AsyncThreadLock, AsyncWorkers


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
        ``on_progress`` is called after every row with an ``UpsertProgress``, one call at a time; the
        batch waits for it, so keep it quick. When the batch ends early (an exception, Ctrl-C, a
        cancellation), no new row is started, and nothing of it is still running once the call raises.
        """
        check_batch_options(identify_by, concurrency, on_progress)
        check_rows(rows, allow_async=AsyncFeed.reads_async)
        batch = _Batch(self._client, identify_by, concurrency, on_progress)
        return await batch.run(rows)


class _Batch:
    """One ``upsert_many`` run: ``concurrency`` workers, each sending the next row the input gives."""

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
        # Guards what the workers change: the state, the turns and the count of rows read. A single read (the
        # pacer's limit, a turn) needs no lock: its value could change as soon as one was released all the same.
        self._lock = AsyncThreadLock()
        self._state = BatchState(identify_by, concurrency, client.timeout, on_progress)
        self._limiter = AsyncLimiter(concurrency)
        self._turns: dict[int, AsyncEvent] = {}  # rows waiting for an earlier row naming the same customer
        self._read = 0  # rows taken from the input so far

    async def run(self, rows: Iterable[Any] | AsyncIterable[Any]) -> UpsertReport:
        async with AsyncFeed(rows, self._take) as feed:
            await AsyncWorkers(self._concurrency, "ching-upsert-many").run(self._work, feed)
        return self._state.report()

    async def _work(self, feed: AsyncFeed[Work]) -> None:
        worker = _Worker(self._client)
        while (work := await feed.next()) is not None:
            await self._send_in_turn(work, worker)

    def _take(self, row: Any) -> Work | None:
        """Number and check a row, in input order (the feed calls this one row at a time); None for a row refused
        before sending (it is reported)."""
        with self._lock:
            index = self._read
            self._read += 1
            taken = self._state.take(index, row)
            if taken is None:
                return None
            work, waits = taken
            if waits:
                self._turns[index] = AsyncEvent()
            return work

    async def _send_in_turn(self, work: Work, worker: _Worker) -> None:
        turn = self._turns.get(work.index)  # gone if the earlier row is already done
        if turn is not None:
            await turn.wait()
        else:
            # Yield once per row even when nothing else does (an in-process transport): the other
            # workers get their turn, and a stopping batch stops here.
            await AsyncWorkers.checkpoint()
        try:
            await self._upsert(work, worker)
        finally:
            with self._lock:
                if (next_index := self._state.done(work)) is not None:
                    self._turns.pop(next_index).set()

    async def _enter(self) -> int:
        """Take a slot under the pacer's limit (first come, first served) and wait out any pause; return the epoch."""
        self._limiter.total = self._state.pacer.limit  # the limit the last outcome left
        await self._limiter.acquire()
        try:
            # A deadline rather than an event: another 429 during the sleep can push it later.
            while (pause := self._state.pacer.pause_left(time.monotonic())) > 0:
                await AsyncWorkers.sleep(pause)
        except BaseException:
            self._limiter.release()
            raise
        return self._state.pacer.epoch

    async def _upsert(self, work: Work, worker: _Worker) -> None:
        worker.watch.lost = False
        for attempt in itertools.count():
            if attempt:
                await AsyncWorkers.checkpoint()  # a resend after a 429 lets the other workers run first
            epoch = await self._enter()
            try:
                result = await worker.customers.upsert(identify_by=self._identify_by, **work.arguments)
            except RateLimitError as error:
                with self._lock:
                    self._state.rate_limited(error, epoch)
                continue
            except ChingError as error:
                with self._lock:
                    self._state.failed(work, error, worker.watch)
                return
            finally:
                self._limiter.release()
            with self._lock:
                self._state.succeeded(result.action, worker.watch)
            return


class _Worker:
    """What one worker sends with: a client of its own on the shared pool, and that client's watch."""

    __slots__ = ("customers", "watch")

    def __init__(self, client: AsyncBatchClient) -> None:
        self.watch = AttemptWatch()
        self.customers = _GeneratedAsyncCustomers(client._batch_requester(self.watch))
