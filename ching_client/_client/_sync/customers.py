"""``Ching.customers``: the generated resource plus ``upsert_many``, run by a pool of worker threads.

Blocking calls overlap only on threads. The batch starts ``concurrency`` threads, which share the
client's connection pool, and joins them before it returns or raises: the caller manages neither
threads nor an event loop, and nothing keeps running after the call.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, Protocol

from ..._core.base import AttemptWatch
from ..._runtime.contract import Requester
from ..._bulk.batch import (
    BatchState,
    ProgressCallback,
    UpsertReport,
    Work,
    check_batch_options,
    check_rows,
)
from ..._exceptions import ChingError, RateLimitError
from ..._generated.models.customer_upsert_request_identify_by import CustomerUpsertRequestIdentifyBy
from ..._generated._sync.resources import Customers as _GeneratedCustomers



class BatchClient(Requester, Protocol):
    """What a batch needs of its client: requests, the default timeout, and clients on its pool for the workers."""

    @property
    def timeout(self) -> float: ...

    def _batch_requester(self, watch: AttemptWatch) -> Requester: ...

_POLL = 0.05  # seconds between checks, while blocked on the queue or a turn, that the batch is not stopping


class Customers(_GeneratedCustomers):
    """The people paying you. Isolated per project and per mode (test or live)."""

    __slots__ = ("_client",)

    def __init__(self, client: BatchClient) -> None:
        super().__init__(client)
        self._client = client

    def upsert_many(
        self,
        rows: Iterable[Any],
        *,
        identify_by: CustomerUpsertRequestIdentifyBy,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
    ) -> UpsertReport:
        """Upsert every row, ``concurrency`` at a time, and report what was created, updated and refused.

        ``rows`` is any iterable of mappings with upsert's fields (``name``, ``email``, ``phone``,
        ``locale``, ``tax_id`` or ``taxId``, ``metadata``); it is read lazily, a few rows ahead of
        the requests. Only upsert is sent, so a retried row never duplicates a customer. A row that
        fails is reported (index, code, message, Ching's ``issues``) and the batch goes on; a 401 or
        403, which every row would get, raises. After a 429 the whole batch pauses (for
        ``Retry-After`` when given) and sends fewer requests at once until it recovers.
        ``on_progress`` is called after every row with an ``UpsertProgress``, one call at a time, from
        the worker threads (or this thread, for a row refused before sending); the batch waits for
        it, so keep it quick. On an exception (Ctrl-C included) no new row is started, the requests in
        flight finish and the workers are joined before it propagates.
        """
        check_batch_options(identify_by, concurrency, on_progress)
        check_rows(rows, allow_async=False)
        batch = _Batch(self._client, identify_by, concurrency, on_progress)
        return batch.run(rows)


class _Stopped(Exception):
    """The batch is ending early: a worker leaves the row it was about to send."""


class _Batch:
    """One ``upsert_many`` run: this thread reads rows into a bounded queue, worker threads upsert them."""

    def __init__(
        self,
        client: BatchClient,
        identify_by: CustomerUpsertRequestIdentifyBy,
        concurrency: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._client = client
        self._identify_by = identify_by
        self._concurrency = concurrency
        self._lock = threading.Lock()  # guards the state, the in-flight count and the turns
        self._slots = threading.Condition(self._lock)
        self._state = BatchState(identify_by, concurrency, client.timeout, on_progress)
        self._in_flight = 0
        self._waiting: deque[object] = deque()  # workers waiting for a slot, first come first served
        self._turns: dict[int, threading.Event] = {}  # rows waiting for an earlier row naming the same customer
        self._queue: queue.Queue[Work | None] = queue.Queue(maxsize=concurrency)
        self._stop = threading.Event()
        self._error: BaseException | None = None

    def run(self, rows: Iterable[Any]) -> UpsertReport:
        workers = [
            threading.Thread(target=self._work, name=f"ching-upsert-many-{n}", daemon=True)
            for n in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        source = iter(rows)
        try:
            for index, row in enumerate(source):
                work = self._check(index, row)
                if work is not None and not self._put(work):
                    break
            self._finish(workers)
        except BaseException:  # from the input, on_progress, or Ctrl-C (even while waiting for the workers)
            self._halt()
            self._finish(workers)
            raise
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # a generator input's finally blocks run now
        if self._error is not None:
            raise self._error
        return self._state.report()

    def _check(self, index: int, row: Any) -> Work | None:
        """The row's work, in input order; None for a row refused before sending (it is reported)."""
        with self._lock:
            taken = self._state.take(index, row)
            if taken is None:
                return None
            work, waits = taken
            if waits:
                self._turns[index] = threading.Event()
            return work

    def _put(self, item: Work) -> bool:
        """Queue a row; False once the batch is stopping."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False

    def _halt(self) -> None:
        """Start no new row, and wake workers waiting out a pause."""
        self._stop.set()
        with self._slots:
            self._slots.notify_all()

    def _finish(self, workers: list[threading.Thread]) -> None:
        """Tell each worker to exit, and wait for them (each finishes the row it is sending).

        Safe to call again after an interruption: a stopping batch drops the rows still queued, so
        there is room for every worker's ``None`` whatever was put before.
        """
        if self._stop.is_set():
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            for _ in workers:
                try:
                    self._queue.put_nowait(None)
                except queue.Full:  # enough are queued already
                    break
        else:
            for _ in workers:
                self._queue.put(None)
        for worker in workers:
            worker.join()

    def _work(self) -> None:
        # A client of this thread's own on the shared pool, so that its watch sees this thread's rows only.
        watch = AttemptWatch()
        customers = _GeneratedCustomers(self._client._batch_requester(watch))
        while (work := self._queue.get()) is not None:
            if self._stop.is_set():
                continue
            try:
                self._take_turn(work)
                try:
                    self._upsert(work, customers, watch)
                finally:
                    self._pass_turn(work)
            except _Stopped:
                continue
            except BaseException as error:  # on_progress or a 401/403: the batch ends with it
                with self._lock:
                    if self._error is None:
                        self._error = error
                self._halt()

    def _take_turn(self, work: Work) -> None:
        """Wait until the earlier rows naming the same customer are done."""
        with self._lock:
            turn = self._turns.get(work.index)
        if turn is None:
            return
        while not turn.wait(_POLL):
            if self._stop.is_set():
                raise _Stopped
        with self._lock:
            del self._turns[work.index]

    def _pass_turn(self, work: Work) -> None:
        with self._lock:
            if (next_index := self._state.done(work)) is not None:
                self._turns[next_index].set()

    def _upsert(self, work: Work, customers: _GeneratedCustomers, watch: AttemptWatch) -> None:
        watch.lost = False
        while True:
            epoch = self._enter()
            try:
                result = customers.upsert(identify_by=self._identify_by, **work.arguments)
            except RateLimitError as error:
                with self._lock:
                    self._state.rate_limited(error, epoch)
                continue
            except ChingError as error:
                with self._lock:
                    self._state.failed(work, error, watch)
                return
            finally:
                self._leave()
            with self._lock:
                self._state.succeeded(result.action, watch)
            return

    def _enter(self) -> int:
        """Wait, in arrival order, for the pause to end and a slot under the pacer's limit; return the epoch."""
        with self._slots:
            ticket = object()
            self._waiting.append(ticket)
            try:
                while True:
                    if self._stop.is_set():
                        raise _Stopped
                    pause = self._state.pacer.pause_left(time.monotonic())
                    if pause > 0:
                        self._slots.wait(pause)
                    elif self._waiting[0] is ticket and self._in_flight < self._state.pacer.limit:
                        self._in_flight += 1
                        return self._state.pacer.epoch
                    else:
                        self._slots.wait()
            finally:
                self._waiting.remove(ticket)
                self._slots.notify_all()  # the next in line may go

    def _leave(self) -> None:
        with self._slots:
            self._in_flight -= 1
            self._slots.notify_all()
