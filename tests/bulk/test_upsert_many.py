"""``customers.upsert_many`` on AsyncChing (asyncio and trio) and Ching, against the local Ching.

Each test runs on the three variants; the sync client's batch runs inside the test's event loop,
which is one of the places it must work (it starts no loop of its own).
"""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import closing
from typing import Any

import anyio
import pytest

from ching_client import (
    APIConnectionError,
    AsyncChing,
    AuthenticationError,
    Ching,
    InvalidArgumentError,
    RateLimitError,
    UpsertProgress,
    UpsertReport,
)
from ching_client._client._primitives import Workers
from ching_client.testing import DEFAULT_TEST_KEY, IN_PROCESS_BASE_URL, FakeChing, FakeTransport, serve
from tests.bulk._threads import WAIT, batch_threads, wait_until_running
from tests.clients._support import Kind
from tests.clients.conftest import anyio_backend, variant  # AsyncChing under asyncio and trio, and Ching
from tests.engine import NAME as ENGINE
from tests.engine import http

pytestmark = pytest.mark.anyio
__all__ = ["anyio_backend", "variant"]  # fixtures
IN_PROCESS: dict[str, Any] = {"api_key": DEFAULT_TEST_KEY, "base_url": IN_PROCESS_BASE_URL}


@pytest.fixture
def kind(variant: tuple[Kind, str]) -> Kind:
    return variant[0]


def clients(fake: FakeChing, transport: FakeTransport | None = None) -> tuple[AsyncChing, Ching]:
    """Both clients on ``fake`` in-process, through ``transport`` if given."""
    transport = transport or fake.transport(ENGINE)
    return (
        AsyncChing(
            api_key=DEFAULT_TEST_KEY,
            base_url=IN_PROCESS_BASE_URL,
            http_client=http.AsyncClient(transport=transport),
        ),
        Ching(api_key=DEFAULT_TEST_KEY, base_url=IN_PROCESS_BASE_URL, http_client=http.Client(transport=transport)),
    )


async def upsert_many(kind: Kind, fake: FakeChing, rows: Any, transport: FakeTransport | None = None, **options: Any):
    """Run one batch on the chosen client and return its report."""
    async_ching, ching = clients(fake, transport)
    options.setdefault("identify_by", "email")
    if kind == "async":
        async with async_ching:
            return await async_ching.customers.upsert_many(rows, **options)
    with ching:
        return ching.customers.upsert_many(rows, **options)


def upserts(fake: FakeChing) -> int:
    return len(fake.requests.for_operation("customers_upsert"))


def people(count: int, start: int = 0) -> Iterator[dict[str, Any]]:
    for n in range(start, start + count):
        yield {"name": f"Person {n}", "email": f"person{n}@example.com"}


async def test_counts_new_existing_duplicate_and_invalid_rows(kind: Kind):
    fake = FakeChing()
    with fake.ching() as ching:
        ching.customers.create(name="Dana", email="dana@example.com")
        ching.customers.create(name="Has a tax ID", email="taxed@example.com", tax_id="515000001")
    rows: list[Any] = [
        {"name": "Avi", "email": "avi@example.com"},  # 0 new
        {"name": "Dana Levi", "email": "dana@example.com", "metadata": {"crm_id": "7"}},  # 1 exists
        {"name": "Noa", "email": "noa@example.com", "phone": "054-987-6543"},  # 2 new
        {"name": "Avi Cohen", "email": "AVI@example.com"},  # 3 the same customer as row 0
        {"email": "nobody@example.com"},  # 4 no name, and no customer to update
        {"name": "No email"},  # 5 the identifying field is missing
        {"name": "Bad phone", "email": "bad@example.com", "phone": "12"},  # 6 invalid phone
        {"name": "Taken", "email": "new@example.com", "tax_id": "515000001"},  # 7 another customer's tax ID
        {"name": "Typo", "emial": "typo@example.com"},  # 8 unknown field
        "not a row",  # 9
        {"name": 42, "email": "number@example.com"},  # 10 wrong type
        {"name": "Tal", "email": "tal@example.com", "taxId": "515000002", "phone": None},  # 11 new
    ]

    report = await upsert_many(kind, fake, rows, concurrency=4)

    assert (report.created, report.updated, report.failed) == (3, 2, 7)
    assert report.total == 12
    assert not report.ok
    failures = {failure.index: failure for failure in report.failures}
    assert [failure.index for failure in report.failures] == [4, 5, 6, 7, 8, 9, 10]
    assert failures[4].code == "INVALID_FIELD"
    assert failures[4].status == 400
    assert [issue["path"] for issue in failures[4].issues] == [["name"]]
    assert [issue["path"] for issue in failures[5].issues] == [["email"]]
    assert [issue["path"] for issue in failures[6].issues] == [["phone"]]
    assert (failures[7].status, failures[7].code) == (409, "TAX_ID_EXISTS")
    assert failures[8].code == "INVALID_ROW"
    assert "emial" in failures[8].message
    assert failures[9].code == "INVALID_ROW"
    assert failures[9].row == "not a row"
    assert failures[10].code == "INVALID_ROW"
    assert "name" in failures[10].message
    assert failures[8].row == rows[8]  # the row as given, to fix and send again
    # Rows the SDK refused were never sent.
    assert upserts(fake) == 9
    assert fake.counts().customers == 5
    with fake.ching() as ching:
        by_email = {str(customer.email).lower(): customer for customer in ching.customers.list()}
    assert by_email["avi@example.com"].name == "Avi Cohen"  # the later row wins, as if sent one by one
    assert by_email["dana@example.com"].metadata == {"crm_id": "7"}
    assert by_email["tal@example.com"].tax_id == "515000002"
    assert by_email["tal@example.com"].phone is None


GATHER_WAIT = WAIT
"""How long a sync request waits for the others ``gather`` asks for: far longer than starting them takes."""


class OverlapTransport(FakeTransport):
    """Records, per email, how many requests were in flight at once and the order they arrived in.

    Each request yields to other tasks (or threads) before it is answered, so requests that are
    allowed to overlap do. With ``gather``, no request is answered until that many are in flight
    at once: the batch's first requests are certain to overlap, however slowly a busy machine starts
    the batch's threads (``GATHER_WAIT`` only ends a test whose batch never gets there).
    """

    def __init__(self, fake: FakeChing, gather: int = 0) -> None:
        super().__init__(fake, ENGINE)
        self._gathered = threading.Event()
        self._gather = gather
        if not gather:
            self._gathered.set()
        self._lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.names: dict[str, list[str]] = {}
        self.peak = 0
        self.events: list[int | str] = []  # requests in flight as each one starts, and "429" as one is refused

    def _start(self, request: http.Request) -> str:
        body = json.loads(request.content)
        key = str(body.get("email") or body.get("phone")).lower()
        with self._lock:
            self.in_flight[key] += 1
            self.most[key] = max(self.most[key], self.in_flight[key])
            self.peak = max(self.peak, sum(self.in_flight.values()))
            self.events.append(sum(self.in_flight.values()))
            self.names.setdefault(key, []).append(body.get("name"))
            if self.peak >= self._gather:
                self._gathered.set()
        return key

    def _end(self, key: str, response: http.Response | None) -> None:
        with self._lock:
            self.in_flight[key] -= 1
            if response is not None and response.status_code == 429:
                self.events.append("429")

    async def handle_async_request(self, request: http.Request) -> http.Response:
        key = self._start(request)
        response = None
        try:
            for turn in range(1000):
                await anyio.lowlevel.checkpoint()
                if turn >= 4 and self._gathered.is_set():
                    break
            response = await super().handle_async_request(request)
            return response
        finally:
            self._end(key, response)

    def handle_request(self, request: http.Request) -> http.Response:
        key = self._start(request)
        response = None
        try:
            threading.Event().wait(0.005)  # let the other workers send theirs
            self._gathered.wait(GATHER_WAIT)
            response = super().handle_request(request)
            return response
        finally:
            self._end(key, response)


async def test_rows_naming_one_customer_are_sent_one_at_a_time_in_input_order(kind: Kind):
    fake = FakeChing()
    transport = OverlapTransport(fake, gather=2)  # two rows of different customers in flight at once, at least
    rows = []
    for n in range(30):
        rows.append({"name": f"Version {n}", "email": "Same@Example.com" if n % 2 else "same@example.com"})
        rows.append({"name": f"Other {n}", "email": f"other{n}@example.com"})

    report = await upsert_many(kind, fake, rows, transport=transport, concurrency=16)

    assert (report.created, report.updated, report.failed) == (31, 29, 0)
    assert transport.most["same@example.com"] == 1
    assert transport.names["same@example.com"] == [f"Version {n}" for n in range(30)]
    assert transport.peak > 1  # other customers' rows still went concurrently
    assert fake.counts().customers == 31


async def test_phone_numbers_in_different_formats_are_one_customer(kind: Kind):
    fake = FakeChing()
    transport = OverlapTransport(fake)
    formats = ["054-987-6543", "+972549876543", "0549876543", "+972 54 987 6543"]
    rows = [{"name": f"Format {n}", "phone": phone} for n, phone in enumerate(formats * 5)]

    report = await upsert_many(kind, fake, rows, transport=transport, identify_by="phone", concurrency=8)

    assert (report.created, report.updated, report.failed) == (1, 19, 0)
    assert fake.counts().customers == 1
    assert sum(transport.most.values()) == len(transport.most)  # at most one in flight per spelling
    with fake.ching() as ching:
        [customer] = ching.customers.list()
    assert customer.name == "Format 19"


async def test_rows_are_read_lazily(kind: Kind):
    fake = FakeChing()
    pulled = 0
    ahead: list[int] = []

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for row in people(400):
            pulled += 1
            yield row

    def on_progress(progress: UpsertProgress) -> None:
        ahead.append(pulled - progress.processed)

    report = await upsert_many(kind, fake, rows(), concurrency=4, on_progress=on_progress)

    assert report.created == 400
    # Rows in the hands of the workers, plus a queue as long as the concurrency, plus the one being read.
    assert max(ahead) <= 2 * 4 + 1


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_async_iterables_are_read_lazily(anyio_backend: str):
    fake = FakeChing()
    pulled = 0
    ahead: list[int] = []

    async def rows() -> AsyncIterator[dict[str, Any]]:
        nonlocal pulled
        for row in people(200):
            pulled += 1
            yield row
            await anyio.lowlevel.checkpoint()

    def on_progress(progress: UpsertProgress) -> None:
        ahead.append(pulled - progress.processed)

    async with fake.async_ching() as ching:
        report = await ching.customers.upsert_many(rows(), identify_by="email", concurrency=4, on_progress=on_progress)

    assert report.created == 200
    assert max(ahead) <= 2 * 4 + 1


async def test_on_progress_is_called_after_every_row(kind: Kind):
    fake = FakeChing()
    seen: list[UpsertProgress] = []
    rows = [*people(25), {"name": "no email"}, *people(10, start=25)]

    report = await upsert_many(kind, fake, rows, concurrency=5, on_progress=seen.append)

    assert [progress.processed for progress in seen] == list(range(1, 37))
    last = seen[-1]
    assert (last.created, last.updated, last.failed) == (report.created, report.updated, report.failed) == (35, 0, 1)
    assert all(progress.elapsed >= 0 for progress in seen)
    # The update for a failed row carries the failure, so a batch stopped early still tells what failed.
    assert [progress.failure for progress in seen if progress.failure is not None] == list(report.failures)
    assert [progress.failed for progress in seen if progress.failure is not None] == [1]


async def test_a_burst_of_429s_slows_the_whole_batch_and_every_row_lands_once(kind: Kind):
    fake = FakeChing()
    transport = OverlapTransport(fake, gather=16)
    fake.faults.add("status", status=429, operation="customers_upsert", times=30, retry_after="1")

    report = await upsert_many(kind, fake, people(100), transport=transport, concurrency=16)

    assert (report.created, report.updated, report.failed) == (100, 0, 0)
    assert report.rate_limited == 30
    assert upserts(fake) == 130  # each 429 cost exactly one more request
    assert fake.counts().customers == 100
    # Up to 16 requests flew at once before the first 429; while 429s kept coming, at most 8.
    first_429 = transport.events.index("429")
    last_429 = len(transport.events) - transport.events[::-1].index("429")
    assert max(n for n in transport.events[:first_429] if isinstance(n, int)) == 16
    assert max(n for n in transport.events[first_429:last_429] if isinstance(n, int)) <= 8


async def test_one_wave_of_429s_costs_one_pause_not_one_per_request(kind: Kind):
    fake = FakeChing()
    transport = OverlapTransport(fake, gather=16)
    # Sixteen requests in flight are all refused with a 5 s Retry-After: that is one 5 s pause, well
    # within the client's 60 s of patience, not sixteen of them.
    fake.faults.add("status", status=429, operation="customers_upsert", times=16, retry_after="5")

    report = await upsert_many(kind, fake, people(16), transport=transport, concurrency=16)

    assert (report.created, report.failed, report.rate_limited) == (16, 0, 16)


@pytest.mark.parametrize("retry_after", ["1", "0"])
async def test_a_429_that_never_ends_ends_the_batch_after_a_bounded_number_of_requests(kind: Kind, retry_after: str):
    fake = FakeChing()
    transport = OverlapTransport(fake)
    fake.faults.add("status", status=429, operation="customers_upsert", retry_after=retry_after)

    with pytest.raises(RateLimitError):
        await upsert_many(kind, fake, people(1000), transport=transport, concurrency=4)

    # Pauses grow (Retry-After, or backoff when that is longer: 0.5 s doubling to 8 s) and the limit
    # falls to one request at a time; after 60 s of pauses (the client's timeout) with nothing getting
    # through, the batch gives up. Each pause is decided, though under test it is not waited.
    assert upserts(fake) < 40
    assert fake.counts().customers == 0


async def test_a_row_that_fails_on_the_server_does_not_stop_the_batch(kind: Kind):
    fake = FakeChing()
    fake.faults.add("status", status=500, operation="customers_upsert", times=2)

    report = await upsert_many(kind, fake, people(20), concurrency=4)

    # A 500 is retried by the client as for any safe call; every row lands.
    assert (report.created, report.failed) == (20, 0)
    fake.faults.add("status", status=500, operation="customers_upsert")
    report = await upsert_many(kind, fake, people(5, start=20), concurrency=2)
    # Ching may have processed a request it then failed with 500: the rows' outcome is unknown, not "failed".
    assert (report.created, report.failed, report.outcome_unknown) == (0, 0, 5)
    assert {(failure.status, failure.maybe_applied) for failure in report.failures} == {(500, True)}


async def test_a_row_with_text_utf8_cannot_carry_is_a_failed_row_and_the_batch_goes_on(kind: Kind):
    fake = FakeChing()
    rows = [
        {"name": "Avi", "email": "avi@example.com"},
        json.loads('{"name": "Bad \\ud800", "email": "bad@example.com"}'),  # a broken escape in JSON input
        {"name": "Noa", "email": "noa@example.com", "metadata": {"plan": "\udcff"}},  # a surrogateescape'd byte
        {"name": "Tal", "email": "tal@example.com"},
    ]

    report = await upsert_many(kind, fake, rows, concurrency=2)

    assert (report.created, report.updated, report.failed) == (2, 0, 2)
    assert [(failure.index, failure.code, failure.row) for failure in report.failures] == [
        (1, "INVALID_ROW", rows[1]),
        (2, "INVALID_ROW", rows[2]),
    ]
    assert report.failures[0].message.startswith("name: has a lone surrogate (U+D800) at index 4")
    assert report.failures[1].message.startswith("metadata.plan: has a lone surrogate (U+DCFF) at index 0")
    assert upserts(fake) == 2  # the refused rows were never sent
    with fake.ching() as ching:
        assert sorted(str(customer.email) for customer in ching.customers.list()) == [
            "avi@example.com",
            "tal@example.com",
        ]


async def test_a_row_refused_for_its_text_is_not_taken_for_an_answer_from_ching(kind: Kind):
    fake = FakeChing()
    fake.faults.add("drop_before", operation="customers_upsert")
    rows = [*people(3), {"name": "\udcff", "email": "bad@example.com"}]

    # As for a row with an unknown field: Ching never saw it, so it says nothing about whether Ching can be reached.
    with pytest.raises(APIConnectionError, match="never left"):
        await upsert_many(kind, fake, rows)

    assert upserts(fake) == 3 * 3


async def test_an_authentication_error_ends_the_batch(kind: Kind):
    fake = FakeChing()
    fake.faults.add("status", status=401, operation="customers_upsert")

    with pytest.raises(AuthenticationError):
        await upsert_many(kind, fake, people(500), concurrency=4)

    assert upserts(fake) <= 4 + 4  # the first answers end it; not one request per row


async def test_when_ching_cannot_be_reached_the_batch_ends_instead_of_failing_every_row(kind: Kind):
    fake = FakeChing()
    fake.faults.add("drop_before", operation="customers_upsert")

    with pytest.raises(APIConnectionError, match="never left"):
        await upsert_many(kind, fake, people(1000), concurrency=4)

    # 20 rows in a row got no answer (each after 3 attempts); the rows already in flight finish.
    assert upserts(fake) <= (20 + 4) * 3


async def test_a_short_batch_that_gets_no_answer_at_all_ends_the_same_way(kind: Kind):
    fake = FakeChing()
    fake.faults.add("drop_before", operation="customers_upsert")

    with pytest.raises(APIConnectionError, match="never left"):
        await upsert_many(kind, fake, [*people(3), {"name": "No email", "nickname": "refused before sending"}])

    assert upserts(fake) == 3 * 3  # every row was tried, each with its retries


async def test_rows_that_lose_their_connection_after_ching_answered_others_are_failures(kind: Kind):
    fake = FakeChing()
    fake.faults.add("drop_before", operation="customers_upsert", times=3 * 3)  # the first 3 rows, every attempt

    report = await upsert_many(kind, fake, people(5), concurrency=1)

    assert (report.created, report.failed) == (2, 3)
    assert {failure.code for failure in report.failures} == {"CONNECTION_ERROR"}


class Stop(Exception):
    pass


async def test_an_error_in_on_progress_ends_the_batch_and_nothing_keeps_running(kind: Kind):
    fake = FakeChing()
    pulled = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for row in people(1000):
            pulled += 1
            yield row

    def on_progress(progress: UpsertProgress) -> None:
        if progress.processed == 20:
            raise Stop

    before = {task.id for task in anyio.get_running_tasks()}
    with pytest.raises(Stop):
        await upsert_many(kind, fake, rows(), concurrency=8, on_progress=on_progress)

    assert not batch_threads()
    assert {task.id for task in anyio.get_running_tasks()} == before
    sent = upserts(fake)
    assert 20 <= sent < 40
    assert pulled < 50
    for _ in range(10):
        await anyio.lowlevel.checkpoint()
    assert upserts(fake) == sent  # nothing still sending


class HeldTransport(FakeTransport):
    """Holds every request until ``release`` is set; ``held`` is set once ``expected`` requests are held."""

    def __init__(self, fake: FakeChing, expected: int) -> None:
        super().__init__(fake, ENGINE)
        self.release = threading.Event()
        self.held = threading.Event()
        self.started = 0
        self._expected = expected
        self._lock = threading.Lock()

    def handle_request(self, request: http.Request) -> http.Response:
        with self._lock:
            self.started += 1
            if self.started == self._expected:
                self.held.set()
        self.release.wait(WAIT)
        return super().handle_request(request)


def ctrl_c(when: Callable[[], None], stopping: threading.Event, transport: HeldTransport) -> threading.Thread:
    """A thread that presses Ctrl-C (SIGINT to the main thread, as a terminal does) once ``when`` returns, then
    lets the held requests be answered once the batch is stopping. What it finds wrong is raised by ``join``."""
    problems: list[BaseException] = []

    def press() -> None:
        try:
            when()
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            assert stopping.wait(WAIT), "Ctrl-C did not stop the batch"
        except BaseException as problem:
            problems.append(problem)
        finally:
            transport.release.set()

    class Presser(threading.Thread):
        def join(self, timeout: float | None = None) -> None:
            super().join(timeout)
            if problems:
                raise problems[0]

    presser = Presser(target=press, name="ctrl-c")
    presser.start()
    return presser


@pytest.fixture
def stopping(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when a sync batch stops its workers."""
    stopped = threading.Event()
    stop = Workers.stop

    def stop_and_tell(self: Workers) -> None:
        stop(self)
        stopped.set()

    monkeypatch.setattr(Workers, "stop", stop_and_tell)
    return stopped


@pytest.mark.parametrize("where", ["waiting for the workers", "reading the input"])
def test_ctrl_c_stops_the_sync_batch_and_joins_its_workers_once_requests_in_flight_finish(
    where: str, stopping: threading.Event
):
    fake = FakeChing()
    transport = HeldTransport(fake, expected=4)
    slow = threading.Event()

    def rows() -> Iterator[dict[str, Any]]:
        if where == "waiting for the workers":
            yield from people(8)  # four in flight, four waiting for a worker: the input is all read
        else:
            yield from people(4)
            slow.wait()  # the next row is slow to come: the calling thread is in here

    def calling_thread_is_there() -> None:
        assert transport.held.wait(WAIT), "4 requests in flight"
        code = Workers._join.__code__ if where == "waiting for the workers" else rows.__code__
        wait_until_running(threading.main_thread(), code)

    presser = ctrl_c(calling_thread_is_there, stopping, transport)
    try:
        with (
            pytest.raises(KeyboardInterrupt),
            Ching(**IN_PROCESS, http_client=http.Client(transport=transport)) as ching,
        ):
            ching.customers.upsert_many(rows(), identify_by="email", concurrency=4)
    finally:
        slow.set()
        presser.join()

    assert not batch_threads()
    assert transport.started == 4  # no row started after Ctrl-C
    assert fake.counts().customers == 4  # and the four in flight were answered: Ching applied each


def test_ctrl_c_during_a_pause_after_a_429_ends_the_sync_batch_at_once(real_waits: None, stopping: threading.Event):
    fake = FakeChing()
    fake.faults.add("status", status=429, operation="customers_upsert", times=1, retry_after="60")
    transport = HeldTransport(fake, expected=1)
    transport.release.set()

    def pausing() -> None:
        assert transport.held.wait(WAIT), "the first request"
        [worker] = batch_threads()
        wait_until_running(worker, Workers.sleep.__code__)  # waiting out the 60 s pause

    presser = ctrl_c(pausing, stopping, transport)
    started = time.monotonic()
    try:
        with (
            pytest.raises(KeyboardInterrupt),
            Ching(**IN_PROCESS, http_client=http.Client(transport=transport)) as ching,
        ):
            ching.customers.upsert_many(people(3), identify_by="email", concurrency=1)
    finally:
        presser.join()

    assert time.monotonic() - started < WAIT  # not the minute Retry-After asked for
    assert not batch_threads()
    assert transport.started == 1  # the paused row was not sent again


def test_the_sync_batch_reads_its_input_on_the_calling_thread():
    fake = FakeChing()
    database = sqlite3.connect(":memory:")  # its cursors work on the thread that opened it only
    database.execute("CREATE TABLE people (name TEXT, email TEXT)")
    database.executemany("INSERT INTO people VALUES (?, ?)", [(row["name"], row["email"]) for row in people(30)])
    cursor = database.execute("SELECT name, email FROM people")
    rows = itertools.chain(({"name": name, "email": email} for name, email in cursor), [{"name": "x", "emial": "x"}])
    threads: dict[str, set[str]] = {"sent": set(), "refused": set()}

    def on_progress(progress: UpsertProgress) -> None:
        refused = progress.failure is not None and progress.failure.code == "INVALID_ROW"
        threads["refused" if refused else "sent"].add(threading.current_thread().name)

    with closing(database), Ching(**IN_PROCESS, http_client=http.Client(transport=fake.transport(ENGINE))) as ching:
        report = ching.customers.upsert_many(rows, identify_by="email", concurrency=4, on_progress=on_progress)

    assert (report.created, report.failed) == (30, 1)
    assert threads["refused"] == {threading.current_thread().name}
    assert threads["sent"]
    assert all(name.startswith("ching-upsert-many-") for name in threads["sent"])


async def test_a_generator_input_is_closed_when_the_batch_ends_early(kind: Kind):
    fake = FakeChing()
    fake.faults.add("status", status=401, operation="customers_upsert")
    closed: list[bool] = []

    def rows() -> Iterator[dict[str, Any]]:
        try:
            yield from people(1000)
        finally:
            closed.append(True)  # a database cursor or file would be released here

    with pytest.raises(AuthenticationError):
        await upsert_many(kind, fake, rows(), concurrency=4)
    assert closed == [True]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_an_async_generator_input_is_closed_when_the_batch_ends_early(anyio_backend: str):
    fake = FakeChing()
    fake.faults.add("status", status=401, operation="customers_upsert")
    closed: list[bool] = []

    async def rows() -> AsyncIterator[dict[str, Any]]:
        try:
            for row in people(1000):
                yield row
        finally:
            closed.append(True)

    async with fake.async_ching() as ching:
        with pytest.raises(AuthenticationError):
            await ching.customers.upsert_many(rows(), identify_by="email", concurrency=4)
    assert closed == [True]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_cancelling_the_batch_leaves_no_running_tasks(anyio_backend: str):
    fake = FakeChing()
    fake.faults.add("latency", latency=0.001, operation="customers_upsert")
    async_ching, _ = clients(fake)
    before = {task.id for task in anyio.get_running_tasks()}

    async with async_ching:
        with anyio.CancelScope() as scope:

            def on_progress(progress: UpsertProgress) -> None:
                if progress.processed == 30:
                    scope.cancel()

            await async_ching.customers.upsert_many(
                people(10_000), identify_by="email", concurrency=16, on_progress=on_progress
            )

    assert scope.cancelled_caught
    assert {task.id for task in anyio.get_running_tasks()} == before
    sent = upserts(fake)
    assert sent < 100
    for _ in range(10):
        await anyio.lowlevel.checkpoint()
    assert upserts(fake) == sent


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_cancelling_while_429s_come_back_stops_at_once(anyio_backend: str):
    fake = FakeChing()
    fake.faults.add("status", status=429, operation="customers_upsert", retry_after="0")
    scope = anyio.CancelScope()

    class CancelOn429(FakeTransport):
        """In-process, so nothing in a request yields: only the batch's own checkpoints can stop it."""

        async def handle_async_request(self, request: http.Request) -> http.Response:
            response = await super().handle_async_request(request)
            if response.status_code == 429:
                scope.cancel()
            return response

    async_ching, _ = clients(fake, CancelOn429(fake, ENGINE))
    async with async_ching:
        with scope:
            await async_ching.customers.upsert_many(people(100), identify_by="email", concurrency=4)

    assert scope.cancelled_caught
    assert upserts(fake) <= 4  # no worker resent its row after the cancel


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"identify_by": "name"}, "identify_by"),
        ({"identify_by": "tax_id"}, "identify_by"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 101}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"concurrency": 2.5}, "concurrency"),
        ({"on_progress": "print"}, "on_progress"),
    ],
)
async def test_bad_options_are_refused_before_anything_is_sent(kind: Kind, options: dict[str, Any], argument: str):
    fake = FakeChing()
    with pytest.raises(InvalidArgumentError) as caught:
        await upsert_many(kind, fake, people(3), **options)
    assert caught.value.argument == argument
    assert "upsert_many" in caught.value.message
    assert len(fake.requests) == 0


@pytest.mark.parametrize("rows", ["users.csv", b"rows", {"email": "a@example.com"}, None, 42])
async def test_rows_that_are_not_an_iterable_of_rows_are_refused(kind: Kind, rows: Any):
    fake = FakeChing()
    with pytest.raises(InvalidArgumentError, match="rows must be") as caught:
        await upsert_many(kind, fake, rows)
    assert caught.value.argument == "rows"
    assert len(fake.requests) == 0


async def test_a_failing_input_raises_its_own_error_after_the_rows_before_it(kind: Kind):
    fake = FakeChing()

    def rows() -> Iterator[dict[str, Any]]:
        yield from people(5)
        raise OSError("disk read failed")

    with pytest.raises(OSError, match="disk read failed"):
        await upsert_many(kind, fake, rows(), concurrency=2)
    assert not batch_threads()


async def test_the_batch_leaves_the_clients_own_retries_unchanged(kind: Kind):
    fake = FakeChing()
    async_ching, ching = clients(fake)
    fake.faults.add("status", status=429, operation="customers_upsert", times=1, retry_after="0")
    if kind == "async":
        async with async_ching:
            await async_ching.customers.upsert_many(people(3), identify_by="email")
            fake.faults.add("status", status=429, operation="customers_upsert", times=1, retry_after="0")
            result = await async_ching.customers.upsert(identify_by="email", email="solo@example.com", name="Solo")
    else:
        with ching:
            ching.customers.upsert_many(people(3), identify_by="email")
            fake.faults.add("status", status=429, operation="customers_upsert", times=1, retry_after="0")
            result = ching.customers.upsert(identify_by="email", email="solo@example.com", name="Solo")
    assert result.action == "created"  # the single call retried its 429 itself


async def test_the_report_reads_well(kind: Kind):
    fake = FakeChing()
    report: UpsertReport = await upsert_many(kind, fake, [*people(3), {"name": "x"}])
    assert report.summary().startswith("4 rows in ")
    assert report.summary().endswith(": 3 created, 0 updated, 1 failed")
    assert (await upsert_many(kind, fake, people(3))).ok


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_both_clients_over_a_real_loopback_server(anyio_backend: str):
    with serve() as server:
        rows: list[Mapping[str, Any]] = [*people(40), *people(10), {"name": "no email"}]
        async with AsyncChing(api_key=DEFAULT_TEST_KEY, base_url=server.base_url) as async_ching:
            report = await async_ching.customers.upsert_many(rows, identify_by="email", concurrency=8)
        assert (report.created, report.updated, report.failed) == (40, 10, 1)
        with Ching(api_key=DEFAULT_TEST_KEY, base_url=server.base_url) as ching:
            report = ching.customers.upsert_many(rows, identify_by="email", concurrency=8)
        assert (report.created, report.updated, report.failed) == (0, 50, 1)
        assert server.fake.counts().customers == 40
