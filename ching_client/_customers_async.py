"""``AsyncChing.customers``: the generated resource plus ``upsert_many``, run by anyio tasks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Iterable
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from ._bulk import (
    Pacer,
    ProgressCallback,
    SameCustomerOrder,
    Tally,
    UpsertReport,
    Work,
    check_batch_options,
    check_rows,
    failure_for,
    identity_key,
    rate_limit_failure,
    row_arguments,
    stops_the_batch,
)
from ._exceptions import ChingError, InvalidArgumentError, RateLimitError
from ._generated.models.customer_upsert_request_identify_by import CustomerUpsertRequestIdentifyBy
from ._generated.resources import AsyncCustomers as _GeneratedAsyncCustomers

if TYPE_CHECKING:
    from ._async_client import AsyncChing


class AsyncCustomers(_GeneratedAsyncCustomers):
    """The people paying you. Isolated per project and per mode (test or live)."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncChing) -> None:
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
        batch = _Batch(self._client._batch_requester(), identify_by, concurrency, on_progress)
        return await batch.run(rows)


class _Batch:
    """One ``upsert_many`` run: a reader task feeding ``concurrency`` worker tasks."""

    def __init__(
        self,
        client: AsyncChing,
        identify_by: CustomerUpsertRequestIdentifyBy,
        concurrency: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._customers = _GeneratedAsyncCustomers(client)
        self._identify_by = identify_by
        self._concurrency = concurrency
        self._tally = Tally(on_progress)
        self._pacer = Pacer(concurrency, patience=client.timeout)
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._order = SameCustomerOrder()
        self._turns: dict[int, anyio.Event] = {}  # rows waiting for an earlier row naming the same customer

    async def run(self, rows: Iterable[Any] | AsyncIterable[Any]) -> UpsertReport:
        send, receive = anyio.create_memory_object_stream[Work](self._concurrency)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._read, rows, send)
                async with receive:
                    for _ in range(self._concurrency):
                        group.start_soon(self._work, receive.clone())
        except BaseExceptionGroup as group_error:
            # The first failure (the input, on_progress, a 401) cancels the rest; others that happened
            # at the same moment share its cause (every worker gets the 401). Raise it as itself.
            raise group_error.exceptions[0] from None
        return self._tally.report()

    async def _read(self, rows: Iterable[Any] | AsyncIterable[Any], send: ObjectSendStream[Work]) -> None:
        async with send:
            if isinstance(rows, AsyncIterable):
                index = 0
                async for row in rows:
                    await self._queue(index, row, send)
                    index += 1
            else:
                for index, row in enumerate(rows):
                    await self._queue(index, row, send)

    async def _queue(self, index: int, row: Any, send: ObjectSendStream[Work]) -> None:
        try:
            arguments = row_arguments(row)
        except InvalidArgumentError as error:
            self._tally.failed(failure_for(index, row, error))
            return
        key = identity_key(self._identify_by, arguments)
        if key is not None and not self._order.register(key, index):
            self._turns[index] = anyio.Event()
        await send.send(Work(index, row, arguments, key))

    async def _work(self, receive: ObjectReceiveStream[Work]) -> None:
        async with receive:
            async for work in receive:
                turn = self._turns.get(work.index)
                if turn is not None:
                    await turn.wait()
                    del self._turns[work.index]
                try:
                    await self._upsert(work)
                finally:
                    if work.key is not None and (next_index := self._order.done(work.key)) is not None:
                        self._turns[next_index].set()

    async def _upsert(self, work: Work) -> None:
        while True:
            async with self._limiter:
                # A deadline rather than an event: another 429 during the sleep can push it later.
                while (pause := self._pacer.pause_left(time.monotonic())) > 0:  # noqa: ASYNC110
                    await anyio.sleep(pause)
                epoch = self._pacer.epoch
                try:
                    result = await self._customers.upsert(identify_by=self._identify_by, **work.arguments)
                except RateLimitError as error:
                    again = self._pacer.rate_limited(time.monotonic(), error.retry_after, epoch)
                    self._limiter.total_tokens = self._pacer.limit
                    if again:
                        self._tally.rate_limited += 1
                        continue
                    self._tally.failed(rate_limit_failure(work.index, work.row, error, self._pacer.patience))
                    return
                except ChingError as error:
                    if stops_the_batch(error):
                        raise
                    self._tally.failed(failure_for(work.index, work.row, error))
                    return
            self._pacer.succeeded()
            self._limiter.total_tokens = self._pacer.limit
            self._tally.succeeded(result.action)
            return
