"""A forked child gets pools of its own (gunicorn's preload, multiprocessing's fork start method, Celery workers).

Before, parent and child shared the pooled connections they inherited: both wrote requests on one socket and
read whichever answer came first, so each received other customers' data for some of its calls, silently.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable

from ching_client import AsyncChing, Ching
from ching_client.testing import FakeServer

from ._support import KEY

CALLS = 400


def _mismatches(ching: Ching, customer_id: str) -> int:
    return sum(ching.customers.retrieve(customer_id).id != customer_id for _ in range(CALLS))


def _in_child(work: Callable[[], object]) -> tuple[int, int]:
    """Fork; the child runs ``work`` and reports its result (or its error) through the pipe returned with its pid."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(read)
            try:
                outcome: object = {"result": work()}
            except BaseException as exc:
                outcome = {"error": f"{type(exc).__name__}: {exc}"}
            os.write(write, json.dumps(outcome).encode())
        finally:
            os._exit(0)
    os.close(write)
    return pid, read


def _report(pid: int, read: int) -> object:
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def test_parent_and_child_never_read_each_others_answers(server: FakeServer) -> None:
    with Ching(api_key=KEY, base_url=server.base_url, max_retries=0) as ching:
        mine = ching.customers.create(name="Parent").id
        theirs = ching.customers.create(name="Child").id
        for _ in range(4):  # pooled connections to inherit
            ching.customers.retrieve(mine)
        sys.stdout.flush()
        pid, read = _in_child(lambda: _mismatches(ching, theirs))
        parent_mismatches = _mismatches(ching, mine)
        child = _report(pid, read)
    assert child == {"result": 0}
    assert parent_mismatches == 0


def test_an_async_client_can_be_used_in_a_forked_child(server: FakeServer) -> None:
    """The child runs its own event loop; the pools it inherited belong to the parent's and are set aside."""

    async def warm(ching: AsyncChing) -> str:
        created = await ching.customers.create(name="Async parent")
        await asyncio.gather(*(ching.customers.retrieve(created.id) for _ in range(8)))
        return created.id

    async def use(ching: AsyncChing, customer_id: str) -> int:
        found = await asyncio.gather(*(ching.customers.retrieve(customer_id) for _ in range(50)))
        return sum(c.id != customer_id for c in found)

    ching = AsyncChing(api_key=KEY, base_url=server.base_url, max_retries=0)
    loop = asyncio.new_event_loop()
    try:
        customer_id = loop.run_until_complete(warm(ching))
        sys.stdout.flush()
        pid, read = _in_child(lambda: asyncio.run(use(ching, customer_id)))
        assert loop.run_until_complete(use(ching, customer_id)) == 0
        assert _report(pid, read) == {"result": 0}
    finally:
        loop.run_until_complete(ching.aclose())
        loop.close()
