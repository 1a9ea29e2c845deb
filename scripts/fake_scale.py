"""Measure whether the local Ching slows down as it fills: list latency and upsert rates by store size.

python scripts/fake_scale.py                          5,000 and 50,000 customers, in memory and in SQLite
python scripts/fake_scale.py --sizes 1000 100000      other sizes
python scripts/fake_scale.py --store sqlite           one store only

Each store is filled to a size directly (not what is measured), then requests go straight to the
fake's core (no sockets, no client), so the figures are the fake's own cost per request:
listing the 100 newest customers (median of 21), upserting 1,000 new customers, and re-upserting
1,000 existing ones spread over the whole store (what a second run of `customers sync` does).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ching_client.testing import DEFAULT_TEST_KEY, FakeChing, FakeRequest, SqliteStore
from ching_client.testing._keys import scope_for_key
from ching_client.testing._records import CustomerRecord

HEADERS = {"authorization": f"Bearer {DEFAULT_TEST_KEY}", "content-type": "application/json"}
SAMPLE = 1_000
LIST_ROUNDS = 21


def _fill(fake: FakeChing, start: int, stop: int) -> None:
    """Store customers start..stop-1 as upsert would have created them, without timing it."""
    scope = scope_for_key(DEFAULT_TEST_KEY)
    store = fake.store
    if isinstance(store, SqliteStore):
        store._db.execute("BEGIN")  # one transaction: the fill is set-up, not what is measured
    now = int(time.time() * 1000)
    for n in range(start, stop):
        store.save_customer(
            CustomerRecord(
                id=f"cus_fill{n:08d}",
                project=scope.project,
                livemode=scope.livemode,
                seq=store.next_seq(),
                created_ms=now,
                name=f"Customer {n}",
                email=f"c{n}@example.com",
            )
        )
    if isinstance(store, SqliteStore):
        store._db.execute("COMMIT")


def _upsert(fake: FakeChing, n: int, name: str) -> None:
    body = json.dumps({"identifyBy": "email", "email": f"c{n}@example.com", "name": name}).encode()
    response = fake.handle(FakeRequest("POST", "/ching/v1/customers/upsert", headers=HEADERS, body=body)).response
    if response is None or response.status != 200:
        raise RuntimeError(f"upsert failed: {response}")


def _rate(fake: FakeChing, numbers: list[int], name: str) -> float:
    """Upsert the customers numbered `numbers`; rows per second."""
    began = time.perf_counter()
    for n in numbers:
        _upsert(fake, n, name)
    return len(numbers) / (time.perf_counter() - began)


def _list_ms(fake: FakeChing) -> float:
    """Median milliseconds to list the 100 newest customers."""
    times = []
    for _ in range(LIST_ROUNDS):
        began = time.perf_counter()
        response = fake.handle(FakeRequest("GET", "/ching/v1/customers", headers=HEADERS)).response
        times.append(time.perf_counter() - began)
        if response is None or len(response.json()["data"]) != 100:
            raise RuntimeError(f"list failed: {response}")
    return statistics.median(times) * 1000


@contextmanager
def _fake(store: str) -> Iterator[FakeChing]:
    if store == "memory":
        with FakeChing(log_limit=100) as fake:
            yield fake
        return
    with tempfile.TemporaryDirectory() as folder, FakeChing(_sqlite(folder), log_limit=100) as fake:
        yield fake


def _sqlite(folder: str) -> SqliteStore:
    return SqliteStore(Path(folder) / "ching.sqlite3")


def measure(store: str, sizes: list[int]) -> None:
    """Fill one store size by size; measure at each."""
    rng = random.Random(7)
    with _fake(store) as fake:
        filled = 0
        for size in sorted(sizes):
            _fill(fake, filled, size)
            list_ms = _list_ms(fake)
            create_rate = _rate(fake, list(range(size, size + SAMPLE)), "New")
            update_rate = _rate(fake, rng.sample(range(size), SAMPLE), "Updated")
            filled = size + SAMPLE
            print(
                f"  {store:<6} {size:>7,} customers: list {list_ms:>7.2f} ms, "
                f"upsert new {create_rate:>7,.0f} rows/s, upsert existing {update_rate:>7,.0f} rows/s",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--store", choices=("memory", "sqlite", "both"), default="both")
    args = parser.parse_args()
    for store in ("memory", "sqlite") if args.store == "both" else (args.store,):
        measure(store, args.sizes)


if __name__ == "__main__":
    main()
