"""The sync half of ``_client/_primitives.py``: what the derived ``Ching.customers.upsert_many`` relies on when it
stops (the async half is anyio's task groups, events and capacity limiters)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ching_client._client._primitives import Event, Feed, Limiter, Workers, _wait

from ._threads import WAIT, running, wait_until_running


class Boom(Exception):
    pass


def test_a_failing_worker_wakes_the_others_wherever_they_wait_and_is_raised_as_itself():
    never = Event()
    limiter = Limiter(1)
    boom = Boom()

    def in_their_waits() -> int:
        workers = [thread for thread in threading.enumerate() if thread.name.startswith("test-")]
        return sum(running(thread, _wait.__code__) or running(thread, Workers.sleep.__code__) for thread in workers)

    def hold() -> None:
        limiter.acquire()  # the only slot
        never.wait()

    jobs: dict[str, Callable[[], None]] = {
        "hold": hold,
        "limiter": limiter.acquire,
        "sleep": lambda: Workers.sleep(WAIT),
    }

    def fail() -> None:
        deadline = time.monotonic() + WAIT
        while in_their_waits() < 3:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        raise boom

    def work(feed: Feed[str]) -> None:
        while (job := feed.next()) is not None:
            (fail if job == "fail" else jobs[job])()

    def rows() -> Iterator[str]:
        yield from [*jobs, "fail"]

    def rescue() -> None:  # should stopping not wake them, the test still ends (and fails)
        never.set()
        limiter.release()

    timer = threading.Timer(WAIT, rescue)
    timer.start()
    started = time.monotonic()
    with pytest.raises(Boom) as caught, Feed(rows(), lambda job: job) as feed:
        Workers(4, "test").run(work, feed)
    timer.cancel()

    assert caught.value is boom  # the failure itself, not a wrapper
    assert time.monotonic() - started < WAIT  # no wait lasted: not the event, the slot, nor the sleep
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("test-")]


def test_the_limiter_serves_in_arrival_order_and_a_lowered_total_holds_back_the_next():
    limiter = Limiter(2)
    limiter.acquire()
    limiter.acquire()
    order: list[str] = []

    def take(name: str) -> None:
        limiter.acquire()
        order.append(name)

    threads = [threading.Thread(target=take, args=(name,), name=name) for name in "abc"]
    for thread in threads:  # each in line before the next arrives
        thread.start()
        wait_until_running(thread, _wait.__code__)
    limiter.total = 1
    limiter.release()
    limiter.release()  # two slots free, but the total is one now
    threads[0].join(WAIT)
    assert order == ["a"]
    assert threads[1].is_alive()
    assert threads[2].is_alive()
    limiter.release()
    threads[1].join(WAIT)
    limiter.release()
    threads[2].join(WAIT)
    assert order == ["a", "b", "c"]
