"""The soak: thousands of mixed operations at high concurrency through random faults, then an audit.

``soak(backend)`` serves a fresh local Ching on 127.0.0.1, creates a few pools of objects with no
faults, then turns on about 10% random faults (the fake's ``probability=`` rules: 500, 502 and
503 pages, 429 with ``Retry-After: 0``, drops before and after processing, truncated JSON, latency)
and runs a fixed, seeded plan of operations over one ``AsyncChing`` with 50 in flight at a time
(an anyio task group and a ``CapacityLimiter``), under asyncio or trio. Then it audits:

- unexpected errors: any exception that the fault set cannot explain for that operation (for
  example a ``ConflictError`` from a retried create, or ``WriteOutcomeUnknownError`` on a safe call);
- duplicates: every create carries a unique email (customers) or name (products); any email or
  name stored twice is a duplicate. A create that ends in ``WriteOutcomeUnknownError`` is reconciled
  the way the README says (``customers.upsert`` on the email), which must not duplicate either;
- consistency: every successful result matches the server's final state, unless a later write to
  the same object may have changed it (writes to one object are serialised, and a failed write
  marks the object as uncertain until the next successful one);
- resources: no ``ResourceWarning`` (unclosed sockets or transports); once the clients are closed,
  no SDK, httpx or httpcore object outlives them; and the process's resident memory (the fake's
  growing store and request log included) grows by less than a generous bound.

The fault draws come from the fake's seeded generator, but which request draws which number
depends on scheduling, so figures vary a little between runs; the checks do not.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from ching_client import (
    APIConnectionError,
    APIResponseError,
    AsyncChing,
    Customer,
    DeletedCustomer,
    InternalServerError,
    Product,
    RateLimitError,
    WriteOutcomeUnknownError,
)
from ching_client.testing import DEFAULT_TEST_KEY, FakeChing, no_backoff, serve
from ching_client.testing._keys import (
    scope_for_key,  # the store is read per scope; counts() alone cannot find duplicates
)

KEY = DEFAULT_TEST_KEY
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(64))

#: Relative weights of the operations in the plan.
MIX: dict[str, int] = {
    "customers.create": 20,
    "customers.upsert": 10,
    "customers.update": 12,
    "customers.retrieve": 10,
    "customers.list": 4,
    "customers.delete": 6,
    "products.create": 10,
    "products.update": 10,
    "products.retrieve": 8,
    "products.list": 4,
    "products.upload_image": 6,
}
UNSAFE = {"customers.create", "products.create", "products.upload_image"}

#: Fault rules as fractions of the total fault rate (they are drawn in order; the first non-latency one wins).
FAULT_SHARES: list[tuple[str, dict[str, Any], float]] = [
    ("status", {"status": 500}, 0.20),
    ("status", {"status": 502}, 0.10),
    ("status", {"status": 503}, 0.15),
    ("status", {"status": 429, "retry_after": "0"}, 0.15),
    ("drop_after", {}, 0.15),
    ("drop_before", {}, 0.10),
    ("malformed_json", {}, 0.10),
    ("latency", {"latency": 0.02}, 0.05),
]
MEMORY_BOUND_MIB = 64
#: Modules whose objects must not outlive a closed client (models are left out: the audit keeps results).
_CLIENT_SIDE = ("ching_client.", "httpx.", "httpcore.", "httpx2.", "httpcore2.")
_NOT_CLIENT_SIDE = ("ching_client.testing.", "ching_client._generated.models.")


@dataclass
class Figures:
    """What one soak run did and found."""

    backend: str
    seed: int
    operations: int
    concurrency: int
    requests: int = 0
    faults_injected: int = 0
    faults_by_kind: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    succeeded: int = 0
    expected_errors: Counter[str] = field(default_factory=Counter)
    unexpected_errors: list[str] = field(default_factory=list)
    creates_intended: int = 0
    ambiguous_creates_reconciled: int = 0
    reconcile_failures: int = 0
    duplicates: int = 0
    inconsistencies: list[str] = field(default_factory=list)
    resource_warnings: list[str] = field(default_factory=list)
    memory_growth_mib: float = 0.0
    #: SDK, httpx and httpcore objects still alive after the run's clients closed, beyond those after warm-up.
    retained_objects: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.unexpected_errors
            and self.duplicates == 0
            and not self.inconsistencies
            and not self.resource_warnings
            and self.memory_growth_mib < MEMORY_BOUND_MIB
            and not self.retained_objects
            and self.succeeded + sum(self.expected_errors.values()) == self.operations
        )

    def summary(self) -> str:
        """One line with every figure."""
        errors = ", ".join(f"{name} {count}" for name, count in sorted(self.expected_errors.items())) or "none"
        return (
            f"soak[{self.backend}] seed={self.seed} ops={self.operations} concurrency={self.concurrency} "
            f"requests={self.requests} faults_injected={self.faults_injected} "
            f"({self.faults_injected / max(self.requests, 1):.1%}) retries={self.retries} "
            f"succeeded={self.succeeded} expected_errors={sum(self.expected_errors.values())} ({errors}) "
            f"creates_intended={self.creates_intended} reconciled={self.ambiguous_creates_reconciled} "
            f"duplicates={self.duplicates} unexpected_errors={len(self.unexpected_errors)} "
            f"inconsistent={len(self.inconsistencies)} resource_warnings={len(self.resource_warnings)} "
            f"memory_growth={self.memory_growth_mib:+.1f}MiB "
            f"sdk_objects_retained={sum(self.retained_objects.values())} elapsed={self.elapsed:.1f}s"
        )


def _expected(op: str, exc: BaseException) -> bool:
    """Whether the fault set explains this error for this operation."""
    if type(exc) in (InternalServerError, RateLimitError, APIResponseError):
        return True  # a 5xx or 429 on every attempt allowed, or a truncated 200
    if type(exc) is WriteOutcomeUnknownError:
        return op in UNSAFE  # an unsafe call whose answer was lost
    if type(exc) is APIConnectionError:
        return op not in UNSAFE  # a safe call dropped on every attempt
    return False


def _client_side_objects() -> Counter[str]:
    """Live objects of the SDK, httpx and httpcore by type, after a full collection."""
    gc.collect()
    found: Counter[str] = Counter()
    for obj in gc.get_objects():
        module = type(obj).__module__
        if isinstance(module, str) and module.startswith(_CLIENT_SIDE) and not module.startswith(_NOT_CLIENT_SIDE):
            found[f"{module}.{type(obj).__qualname__}"] += 1
    return found


def _rss_mib() -> float:
    """The process's resident memory in MiB (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass
class _State:
    """What the clients believe, to audit against the server afterwards."""

    figures: Figures
    customer_pool: list[Customer]
    delete_pool: list[str]
    product_pool: list[Product]
    #: id -> the last successful write's result; uncertain ids had a failed write since.
    last_customer: dict[str, Customer] = field(default_factory=dict)
    last_product: dict[str, Product] = field(default_factory=dict)
    uncertain: set[str] = field(default_factory=set)
    created_customers: dict[str, Customer] = field(default_factory=dict)
    intended_emails: set[str] = field(default_factory=set)
    landed_emails: set[str] = field(default_factory=set)
    created_products: dict[str, Product] = field(default_factory=dict)
    intended_product_names: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    listed_ids: set[str] = field(default_factory=set)
    image_names: set[str] = field(default_factory=set)
    locks: dict[str, anyio.Lock] = field(default_factory=dict)

    def lock(self, object_id: str) -> anyio.Lock:
        if object_id not in self.locks:
            self.locks[object_id] = anyio.Lock()
        return self.locks[object_id]


def _plan(seed: int, operations: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)  # a reproducible workload, not security
    names, weights = zip(*MIX.items(), strict=True)
    return [(name, rng.randrange(1_000_000)) for name in rng.choices(names, weights, k=operations)]


async def _step(ching: AsyncChing, state: _State, index: int, op: str, draw: int) -> None:
    """Run one planned operation and remember what it returned."""
    tag = f"{state.figures.seed}-{index}"
    pool = state.customer_pool[draw % len(state.customer_pool)]
    product = state.product_pool[draw % len(state.product_pool)]
    if op == "customers.create":
        email = f"soak-{tag}@example.com"
        state.intended_emails.add(email)
        try:
            created = await ching.customers.create(name=f"Soak {tag}", email=email, metadata={"i": tag})
        except WriteOutcomeUnknownError:
            # As the README advises: reconcile instead of creating again.
            await _reconcile(ching, state, email, tag)
            raise
        state.created_customers[created.id] = created
        state.landed_emails.add(email)
    elif op == "customers.upsert" and draw % 2 == 0:
        email = f"soak-up-{tag}@example.com"
        state.intended_emails.add(email)
        result = await ching.customers.upsert(identify_by="email", email=email, name=f"Upsert {tag}")
        # "updated" is right too when an earlier attempt landed and its answer was lost.
        assert result.action in ("created", "updated"), result.action
        state.created_customers[result.customer.id] = result.customer
        state.landed_emails.add(email)
    elif op in ("customers.upsert", "customers.update"):
        async with state.lock(pool.id):
            try:
                if op == "customers.upsert":
                    assert pool.email is not None
                    upserted = await ching.customers.upsert(identify_by="email", email=pool.email, metadata={"v": tag})
                    assert upserted.action == "updated", upserted.action
                    updated = upserted.customer
                else:
                    updated = await ching.customers.update(pool.id, name=f"Pool {tag}", metadata={"v": tag})
            except BaseException:
                state.uncertain.add(pool.id)
                raise
            assert updated.id == pool.id
            state.last_customer[pool.id] = updated
            state.uncertain.discard(pool.id)
    elif op == "customers.retrieve":
        fetched = await ching.customers.retrieve(pool.id)
        assert isinstance(fetched, Customer), fetched
        assert fetched.id == pool.id
    elif op == "customers.list":
        listed = await ching.customers.list()
        state.listed_ids.update(customer.id for customer in listed)
    elif op == "customers.delete":
        victim = state.delete_pool[draw % len(state.delete_pool)]
        tombstone = await ching.customers.delete(victim)
        assert isinstance(tombstone, DeletedCustomer), tombstone
        assert tombstone.deleted is True
        assert tombstone.id == victim
        state.deleted.add(victim)
    elif op == "products.create":
        name = f"Soak product {tag}"
        state.intended_product_names.add(name)
        made = await ching.products.create(name=name, features=[{"title": "Soak", "subtitle": tag}])
        state.created_products[made.id] = made
    elif op == "products.update":
        async with state.lock(product.id):
            try:
                changed = await ching.products.update(
                    product.id, name=f"Pool product {tag}", active=draw % 3 != 0, metadata={"v": tag}
                )
            except BaseException:
                state.uncertain.add(product.id)
                raise
            assert changed.id == product.id
            state.last_product[product.id] = changed
            state.uncertain.discard(product.id)
    elif op == "products.retrieve":
        assert (await ching.products.retrieve(product.id)).id == product.id
    elif op == "products.list":
        state.listed_ids.update(item.id for item in await ching.products.list())
    elif op == "products.upload_image":
        url = await ching.products.upload_image(
            content=PNG + tag.encode(), content_type="image/png", filename=f"s{tag}"
        )
        state.image_names.add(url.rsplit("/", 1)[-1])
    else:  # pragma: no cover - the plan only holds the operations above
        raise AssertionError(op)


async def _reconcile(ching: AsyncChing, state: _State, email: str, tag: str) -> None:
    try:
        result = await ching.customers.upsert(identify_by="email", email=email, name=f"Soak {tag}")
    except Exception as exc:
        if _expected("customers.upsert", exc):
            state.figures.reconcile_failures += 1  # faults hit the reconciling call too; the email stays unknown
        else:
            state.figures.unexpected_errors.append(f"customers.upsert (reconciling): {type(exc).__name__}: {exc}")
        return
    state.figures.ambiguous_creates_reconciled += 1
    state.created_customers[result.customer.id] = result.customer
    state.landed_emails.add(email)


def _record_error(figures: Figures, op: str, exc: BaseException) -> None:
    if _expected(op, exc):
        figures.expected_errors[type(exc).__name__] += 1
    else:
        figures.unexpected_errors.append(f"{op}: {type(exc).__name__}: {exc}")


async def _run(base_url: str, state: _State, plan: list[tuple[str, int]], first: int, concurrency: int) -> None:
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(index: int, op: str, draw: int) -> None:
        async with limiter:
            try:
                await _step(ching, state, index, op, draw)
            except Exception as exc:
                _record_error(state.figures, op, exc)
            else:
                state.figures.succeeded += 1

    async with AsyncChing(api_key=KEY, base_url=base_url, timeout=30) as ching, anyio.create_task_group() as tg:
        for index, (op, draw) in enumerate(plan, start=first):
            tg.start_soon(one, index, op, draw)


async def _make_pools(base_url: str) -> tuple[list[Customer], list[str], list[Product]]:
    async with AsyncChing(api_key=KEY, base_url=base_url) as ching:
        customers = [await ching.customers.create(name=f"Pool {i}", email=f"pool-{i}@example.com") for i in range(40)]
        doomed = [(await ching.customers.create(name=f"Doomed {i}")).id for i in range(60)]
        products = [await ching.products.create(name=f"Pool product {i}") for i in range(25)]
    return customers, doomed, products


def _audit(fake: FakeChing, state: _State) -> None:
    figures = state.figures
    store = fake.store
    scope = scope_for_key(KEY)
    live = store.list_customers(scope, 10**9)
    emails = Counter(record.email for record in live if record.email is not None)
    figures.duplicates = sum(count - 1 for count in emails.values() if count > 1)
    names = Counter(record.name for record in store.list_products(scope, 10**9))
    figures.duplicates += sum(count - 1 for name, count in names.items() if count > 1 and name.startswith("Soak"))
    figures.creates_intended = len(state.intended_emails) + len(state.intended_product_names)
    bad = figures.inconsistencies
    bad.extend(f"{email}: succeeded but not stored" for email in state.landed_emails if emails[email] != 1)
    bad.extend(f"{email}: stored {emails[email]} times" for email in state.intended_emails if emails[email] > 1)

    def compare(kind: str, object_id: str, returned: dict[str, Any], stored: dict[str, Any] | None) -> None:
        if stored is None:
            bad.append(f"{kind} {object_id}: returned by a successful call but not stored")
            return
        for key, value in returned.items():
            if key != "created" and stored.get(key) != value:
                bad.append(f"{kind} {object_id}: {key} returned {value!r}, stored {stored.get(key)!r}")

    def customer(object_id: str) -> dict[str, Any] | None:
        record = store.get_customer(scope, object_id)
        return record.to_wire() if record is not None else None

    def product(object_id: str) -> dict[str, Any] | None:
        record = store.get_product(scope, object_id)
        return record.to_wire() if record is not None else None

    for object_id, created in state.created_customers.items():
        compare("customer", object_id, created.to_dict(), customer(object_id))
    for object_id, written in state.last_customer.items():
        if object_id not in state.uncertain:
            compare("customer", object_id, written.to_dict(), customer(object_id))
    for object_id, made in state.created_products.items():
        compare("product", object_id, made.to_dict(), product(object_id))
    for object_id, changed in state.last_product.items():
        if object_id not in state.uncertain:
            compare("product", object_id, changed.to_dict(), product(object_id))
    for object_id in state.deleted:
        if (customer(object_id) or {}).get("deleted") is not True:
            bad.append(f"customer {object_id}: deleted by a successful call but not deleted")
    for object_id in state.listed_ids:
        if customer(object_id) is None and product(object_id) is None:
            bad.append(f"{object_id}: listed but not stored")
    bad.extend(f"image {name}: uploaded but not stored" for name in state.image_names if fake.image(name) is None)


def soak(
    backend: str = "asyncio", *, operations: int = 2000, concurrency: int = 50, fault_rate: float = 0.10, seed: int = 7
) -> Figures:
    """Run the soak on ``backend`` ("asyncio" or "trio") against a fresh local Ching, and audit it."""
    figures = Figures(backend=backend, seed=seed, operations=operations, concurrency=concurrency)
    plan = _plan(seed, operations)
    with warnings.catch_warnings(record=True) as caught, no_backoff():
        warnings.simplefilter("always")
        with serve(FakeChing(seed=seed, log_limit=10 * operations)) as server:
            fake = server.fake
            customers, doomed, products = anyio.run(_make_pools, server.base_url, backend=backend)
            state = _State(figures, customers, doomed, products)
            since = fake.requests.entries()[-1].seq
            for kind, options, share in FAULT_SHARES:
                fake.faults.add(kind, probability=fault_rate * share, **options)
            started = time.monotonic()
            # The first tenth warms up (imports, caches, pools); memory growth is measured over the rest.
            warm_up = operations // 10
            anyio.run(_run, server.base_url, state, plan[:warm_up], 0, concurrency, backend=backend)
            objects_before = _client_side_objects()
            memory_before = _rss_mib()
            anyio.run(_run, server.base_url, state, plan[warm_up:], warm_up, concurrency, backend=backend)
            figures.elapsed = time.monotonic() - started
            fake.faults.clear()
            figures.retained_objects = _client_side_objects() - objects_before
            figures.memory_growth_mib = _rss_mib() - memory_before
            log = fake.requests.since(since)
            figures.requests = len(log)
            figures.faults_by_kind = Counter(entry.fault for entry in log if entry.fault is not None)
            figures.faults_injected = sum(figures.faults_by_kind.values())
            figures.retries = sum(1 for entry in log if "x-ching-retry-count" in entry.headers)
            _audit(fake, state)
        gc.collect()
    figures.resource_warnings = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return figures


def run_and_report(backends: list[str], out: Callable[[str], Any] = print, **options: Any) -> bool:
    """Soak each backend, print its summary line (and any problem), and tell whether all passed."""
    passed = True
    for backend in backends:
        figures = soak(backend, **options)
        out(figures.summary())
        retained = [f"retained {name} x{count}" for name, count in figures.retained_objects.items()]
        problems = [*figures.unexpected_errors, *figures.inconsistencies, *figures.resource_warnings, *retained]
        for problem in problems[:20]:
            out(f"  problem: {problem}")
        passed = passed and figures.ok
    return passed
