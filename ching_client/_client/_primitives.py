"""What ``upsert_many``'s async source and its derived sync twin really differ by: the primitives, in pairs.

``_async/customers.py`` is written once, against the ``Async`` half of each pair; generator/unasync.py derives
``_sync/customers.py`` from it with its generic rules, which turn each ``AsyncX`` into its partner ``X`` and drop
``await``. Each pair has one job and the same API on both sides:

- ``AsyncWorkers`` / ``Workers`` run ``count`` workers to completion: the tasks of one anyio task group, or
  threads that are joined before ``run`` returns or raises. The first failure stops the others and is raised as
  itself. ``sleep`` and ``checkpoint`` are where a stopping worker stops.
- ``AsyncFeed`` / ``Feed`` hand the workers the input's rows, each one ``take``-n (numbered, checked) in input
  order. Tasks read it themselves, one at a time; with threads the calling thread reads it, as the input may be
  bound to it (a sqlite3 cursor) and as only it receives Ctrl-C.
- ``AsyncEvent`` / ``Event``: a row's turn, after an earlier row naming the same customer.
- ``AsyncLimiter`` / ``Limiter``: slots for requests, first come first served, whose total changes as the batch
  paces itself after a 429.
- ``AsyncThreadLock`` / ``ThreadLock`` guard the state the workers share: tasks switch only at an ``await``, so
  the async one does nothing; threads need a lock.

How the sync half stops, without polling: a thread's ``Workers`` is the thread's current one (as an anyio cancel
scope is a task's), and each wait of ``Feed``, ``Event``, ``Limiter`` and ``Workers.sleep`` registers with it, so
that ``Workers.stop`` wakes it. A woken wait, and ``Workers.checkpoint``, then raise ``_Stopped``: the worker leaves
the row it was about to start, and its thread ends. What a worker is doing when the batch stops (a request in
flight, ``on_progress``) is never interrupted: it finishes first.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final, Generic, TypeVar

import anyio
import anyio.lowlevel

T = TypeVar("T")

# --- Async: anyio tasks ----------------------------------------------------------------------------------------------


class AsyncWorkers:
    """Runs ``count`` workers to completion as the tasks of one anyio task group.

    The first worker to fail cancels the others (a task stops at its next ``await``, a request in flight
    included), and its exception is raised as itself rather than in an exception group.
    """

    __slots__ = ("_count", "_name")

    def __init__(self, count: int, name: str) -> None:
        self._count = count
        self._name = name

    async def run(self, work: Callable[[AsyncFeed[T]], Coroutine[Any, Any, None]], feed: AsyncFeed[T]) -> None:
        """Run ``work(feed)`` in ``count`` tasks, until every one has returned."""
        try:
            async with anyio.create_task_group() as group:
                for n in range(self._count):
                    group.start_soon(work, feed, name=f"{self._name}-{n}")
        except BaseExceptionGroup as failures:
            # The first failure (the input, on_progress, a 401) cancels the rest; others that happened at the same
            # moment share its cause (every worker gets the 401).
            raise failures.exceptions[0] from None

    @staticmethod
    async def sleep(seconds: float) -> None:
        """Wait ``seconds``; a cancellation ends the wait."""
        await anyio.sleep(seconds)

    @staticmethod
    async def checkpoint() -> None:
        """Let the other workers run, and stop here if the batch is cancelled."""
        await anyio.lowlevel.checkpoint()


class AsyncFeed(Generic[T]):
    """The input's rows for the workers, each passed to ``take`` in input order: ``next`` gives what it returns.

    A row ``take`` returns None for (refused before sending, and reported) is skipped. Entered with ``async with``;
    leaving closes a generator input, so its ``finally`` blocks (a cursor, a file) run when the batch ends.
    """

    reads_async: Final = True
    """Whether an async iterable is accepted as input."""

    def __init__(self, rows: Iterable[Any] | AsyncIterable[Any], take: Callable[[Any], T | None]) -> None:
        self._rows = rows
        self._take = take
        self._sync: Iterator[Any] | None = None
        self._async: AsyncIterator[Any] | None = None
        self._lock: anyio.Lock | None = None

    async def __aenter__(self) -> AsyncFeed[T]:
        if isinstance(self._rows, AsyncIterable):
            self._async = aiter(self._rows)
            self._lock = anyio.Lock()
        else:
            self._sync = iter(self._rows)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        source: object = self._sync if self._async is None else self._async
        with anyio.CancelScope(shield=True):  # also when the batch was cancelled
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
                return
        close = getattr(source, "close", None)
        if close is not None:
            close()

    async def next(self) -> T | None:
        """The next row's ``take``, in input order; None once the input is exhausted."""
        if self._sync is not None:
            # No await between reading a row and taking it: no other worker runs in between.
            for row in self._sync:
                if (item := self._take(row)) is not None:
                    return item
            return None
        assert self._async is not None
        assert self._lock is not None
        async with self._lock:  # one __anext__ at a time, and each row taken before the next is read
            async for row in self._async:
                if (item := self._take(row)) is not None:
                    return item
            return None


AsyncEvent = anyio.Event
"""Set once; waiting for it ends at once if it was set before."""


class AsyncLimiter:
    """Slots for the workers, given first come, first served, whose ``total`` can change while some are held.

    Lowering ``total`` holds back the workers that ask next, until enough slots have been released.
    """

    __slots__ = ("_limiter",)

    def __init__(self, total: int) -> None:
        self._limiter = anyio.CapacityLimiter(total)

    @property
    def total(self) -> int:
        return int(self._limiter.total_tokens)

    @total.setter
    def total(self, value: int) -> None:
        self._limiter.total_tokens = value

    async def acquire(self) -> None:
        """Take a slot, waiting in line for one."""
        try:
            self._limiter.acquire_nowait()  # no checkpoint when a slot is free, as it is but after a 429
        except anyio.WouldBlock:
            await self._limiter.acquire()

    def release(self) -> None:
        self._limiter.release()


class AsyncThreadLock:
    """Guards state the workers share. Tasks switch only at an ``await``: there is nothing to guard against."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


# --- Sync: threads ---------------------------------------------------------------------------------------------------

# Python runs signal handlers on the main thread only, between bytecodes. A signal interrupts a lock wait on POSIX,
# but not one that arrives just before the wait blocks (the handler then runs once the wait ends), and on Windows
# none does. So the main thread's waits (for room in the feed, for the workers to end) wake this often, and Ctrl-C
# is raised at the latest then: the one timed wait loop here, on one thread; the workers' waits never wake to check.
_INTERRUPTIBLE: Final = 0.1


def _patience() -> float | None:
    """How long this thread's waits last before they look again: ``_INTERRUPTIBLE`` on the main thread."""
    return _INTERRUPTIBLE if threading.current_thread() is threading.main_thread() else None


_current = threading.local()  # .workers: the Workers the thread runs for (see the module's docstring)


class _Stopped(BaseException):
    """The thread's workers are stopping: the worker leaves what it was about to start."""


class Workers:
    """Runs ``count`` workers to completion on threads, joined before ``run`` returns or raises.

    The first failure, in a worker or in the calling thread (the input, ``on_progress``, Ctrl-C), stops the
    others: each finishes what it is doing (a request in flight) and starts nothing more; then it is raised as
    itself. Nothing keeps running after ``run``.
    """

    def __init__(self, count: int, name: str) -> None:
        self._count = count
        self._name = name
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._waits: Counter[threading.Condition] = Counter()  # what the threads wait on now: ``stop`` wakes them
        self._error: BaseException | None = None
        self._ended = threading.Condition()
        self._working = 0  # threads started whose ``work`` has not ended

    def run(self, work: Callable[[Feed[T]], None], feed: Feed[T]) -> None:
        """Run ``work(feed)`` on ``count`` threads while this one fills ``feed``, until every thread has ended."""
        threads = [
            threading.Thread(target=self._work, args=(work, feed), name=f"{self._name}-{n}", daemon=True)
            for n in range(self._count)
        ]
        outer = getattr(_current, "workers", None)
        _current.workers = self
        try:
            for thread in threads:
                thread.start()
                with self._ended:  # counted once started: an interruption in between leaves it to Thread.join
                    self._working += 1
            feed.fill(self._count)
        except _Stopped:
            pass  # a worker failed: it is raised below
        except BaseException as error:  # the input, on_progress for a row refused before sending, Ctrl-C
            self._fail(error)
        finally:
            self._join(threads)
            _current.workers = outer
        first, self._error = self._error, None
        if first is not None:
            raise first

    def stop(self) -> None:
        """Start nothing more: wake every wait of the workers (and the calling thread's) so that it raises."""
        with self._lock:
            self._stopping.set()
            waits = list(self._waits)
        for condition in waits:
            with condition:
                condition.notify_all()

    @staticmethod
    def sleep(seconds: float) -> None:
        """Wait ``seconds``; the workers stopping ends the wait."""
        workers: Workers | None = getattr(_current, "workers", None)
        if workers is None:
            time.sleep(seconds)
        elif workers._stopping.wait(seconds):
            raise _Stopped

    @staticmethod
    def checkpoint() -> None:
        """Stop here if the workers are stopping."""
        workers: Workers | None = getattr(_current, "workers", None)
        if workers is not None and workers._stopping.is_set():
            raise _Stopped

    def _work(self, work: Callable[[Feed[T]], None], feed: Feed[T]) -> None:
        _current.workers = self
        try:
            work(feed)
        except _Stopped:
            pass
        except BaseException as error:  # on_progress, a 401: the batch ends with it
            self._fail(error)
        finally:
            with self._ended:
                self._working -= 1
                self._ended.notify_all()

    def _fail(self, error: BaseException) -> None:
        with self._lock:
            if self._error is None:
                self._error = error
        self.stop()

    def _join(self, threads: list[threading.Thread]) -> None:
        """Wait until every started thread's ``work`` has ended, then for the threads; a Ctrl-C meanwhile stops the
        workers, and the wait goes on: nothing may keep running after the call.

        Not ``Thread.join`` alone: a KeyboardInterrupt that interrupts it can leave a thread that is still running
        marked as stopped (CPython's bpo-45274 handling releases the running thread's own lock), and the batch would
        return with it still sending. By the time the threads are joined, they have nothing left to do.
        """
        patience = _patience()
        while True:
            try:
                with self._ended:
                    if self._ended.wait_for(lambda: self._working <= 0, patience):
                        break
            except BaseException as error:
                self._fail(error)
        for thread in threads:
            while thread.is_alive():  # false for a thread that never started
                try:
                    thread.join(patience)
                except BaseException as error:
                    self._fail(error)

    @contextmanager
    def _waiting_on(self, condition: threading.Condition) -> Iterator[None]:
        with self._lock:
            self._waits[condition] += 1
        try:
            yield
        finally:
            with self._lock:
                self._waits[condition] -= 1
                if not self._waits[condition]:
                    del self._waits[condition]


def _wait(condition: threading.Condition, ready: Callable[[], bool]) -> None:
    """With ``condition`` held, wait until ``ready()``; raise ``_Stopped`` once the thread's workers stop, ready
    or not (nothing new starts)."""
    workers: Workers | None = getattr(_current, "workers", None)
    if workers is None:
        condition.wait_for(ready)
        return
    timeout = _patience()
    # Registered before the first look at the flag: ``stop`` sets it before it wakes what is registered.
    with workers._waiting_on(condition):
        while not workers._stopping.is_set():
            if ready():
                return
            condition.wait(timeout)
    raise _Stopped


class Feed(Generic[T]):
    """The input's rows for the workers, each passed to ``take`` in input order: ``next`` gives what it returns.

    The calling thread reads the input (``fill``, which ``Workers.run`` calls) and hands what ``take`` returns to
    the worker threads, at most one per worker waiting. A row ``take`` returns None for is skipped. Entered with
    ``with``; leaving closes a generator input, so its ``finally`` blocks run when the batch ends.
    """

    reads_async: Final = False
    """Whether an async iterable is accepted as input."""

    def __init__(self, rows: Iterable[Any], take: Callable[[Any], T | None]) -> None:
        self._rows = rows
        self._take = take
        self._source: Iterator[Any] | None = None
        lock = threading.Lock()
        self._ready = threading.Condition(lock)  # an item to take, or the input ended
        self._room = threading.Condition(lock)  # room for another item
        self._items: deque[T] = deque()
        self._ended = False

    def __enter__(self) -> Feed[T]:
        self._source = iter(self._rows)
        return self

    def __exit__(self, *exc_info: object) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    def fill(self, ahead: int) -> None:
        """Read the input to its end, keeping at most ``ahead`` items waiting for a worker."""
        assert self._source is not None
        for row in self._source:
            item = self._take(row)
            if item is None:
                continue
            with self._room:
                _wait(self._room, lambda: len(self._items) < ahead)
                self._items.append(item)
                self._ready.notify()
        with self._ready:
            self._ended = True
            self._ready.notify_all()

    def next(self) -> T | None:
        """The next row's ``take``, in input order; None once the input is exhausted."""
        with self._ready:
            _wait(self._ready, lambda: bool(self._items) or self._ended)
            if not self._items:
                return None
            item = self._items.popleft()
            self._room.notify()
            return item


class Event:
    """Set once; waiting for it ends at once if it was set before, and raises ``_Stopped`` when the workers stop."""

    __slots__ = ("_condition", "_set")

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._set = False

    def set(self) -> None:
        with self._condition:
            self._set = True
            self._condition.notify_all()

    def wait(self) -> None:
        with self._condition:
            _wait(self._condition, lambda: self._set)


class Limiter:
    """Slots for the workers, given first come, first served, whose ``total`` can change while some are held.

    Lowering ``total`` holds back the workers that ask next, until enough slots have been released.
    """

    __slots__ = ("_condition", "_held", "_line", "_total")

    def __init__(self, total: int) -> None:
        self._condition = threading.Condition()
        self._total = total
        self._held = 0
        self._line: deque[object] = deque()  # the threads waiting, in arrival order

    @property
    def total(self) -> int:
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        with self._condition:
            if value != self._total:
                self._total = value
                self._condition.notify_all()

    def acquire(self) -> None:
        """Take a slot, waiting in line for one."""
        with self._condition:
            if not self._line and self._held < self._total:
                self._held += 1
                return
            ticket = object()
            self._line.append(ticket)
            try:
                _wait(self._condition, lambda: self._line[0] is ticket and self._held < self._total)
            finally:
                self._line.remove(ticket)
                self._condition.notify_all()  # the next in line may go too
            self._held += 1

    def release(self) -> None:
        with self._condition:
            self._held -= 1
            self._condition.notify_all()


ThreadLock = threading.Lock
"""Guards state the worker threads share."""
