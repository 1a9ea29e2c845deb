"""Calls every construct of the evolved spec on both clients and checks the exact wire form of each request.

Run by tests/evolution/test_evolution.py in a subprocess whose ``ching_client`` is the package
regenerated from the evolved spec: ``python exercise.py PACKAGE_PARENT``. Prints "both clients ok".
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx

import ching_client
from ching_client import AsyncChing, AsyncPager, Ching, ChingError, InternalServerError, InvalidArgumentError, Pager
from ching_client.models import Address, CallNote, Contact, Customer, TextNote
from ching_client.testing import no_backoff

assert Path(ching_client.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), ching_client.__file__

KEY = "ck_test_" + "0" * 64
HEADERS = ("x-ching-account", "ching-version", "x-ching-tags")
CUSTOMER = {
    "id": "cus_1",
    "object": "customer",
    "name": "Tal Levi",
    "email": None,
    "phone": None,
    "locale": "he",
    "taxId": None,
    "metadata": {},
    "default_payment_method": None,
    "livemode": False,
    "created": "2026-04-19T09:12:43.000Z",
}
ADDRESS = {"line1": "1 Main St", "line2": None, "city": "Tel Aviv", "postalCode": "6100000", "country": "IL"}
FULL_CUSTOMER = {
    **CUSTOMER,
    "companyName": "Acme",
    "address": {**ADDRESS, "geoPoint": {"latitude": 32.08, "longitude": 34.78}},
    "contacts": [{"fullName": "Dana", "emailAddress": "dana@example.com", "role": "billing"}],
    "tier": "platinum",  # a value this version of the spec does not list
    "stats": {"invoiceCount": 3, "chargeCount": 5, "totalSpent": "120.00"},
}
TEXT_NOTE = {"id": "note_1", "kind": "text", "text": "Called back"}
CALL_NOTE = {"id": "note_2", "kind": "call", "durationSeconds": 90}
PRICE = {"id": "price_1", "productId": "prod_1", "unitAmount": 1500, "currency": "ils"}
RECURRING = {"interval": "month", "intervalCount": 1}
TIERS = [{"upTo": 10, "unitAmount": 1500}, {"upTo": None, "unitAmount": 1200}]

ANSWERS: dict[tuple[str, str], Any] = {
    ("GET", "/ching/v1/customers"): [CUSTOMER],
    ("GET", "/ching/v1/customers/cus_1"): FULL_CUSTOMER,
    ("POST", "/ching/v1/customers"): FULL_CUSTOMER,
    # A server behind the spec: `chargeCount` (required, default 0) is missing.
    ("PATCH", "/ching/v1/customers/cus_1"): {
        **CUSTOMER,
        "companyName": None,
        "address": None,
        "stats": {"invoiceCount": 0, "totalSpent": "0.00"},
    },
    ("POST", "/ching/v1/customers/upsert"): CUSTOMER,
    ("POST", "/ching/v1/customers/cus_1/notes"): CALL_NOTE,
    ("GET", "/ching/v1/customers/cus%201/notes"): [TEXT_NOTE, CALL_NOTE],
    ("GET", "/ching/v1/customers/cus_1/notes/note_1"): TEXT_NOTE,
    ("PUT", "/ching/v1/customers/cus_1/notes/note_1"): TEXT_NOTE,
    ("DELETE", "/ching/v1/customers/cus_1/notes/note_1"): {"id": "note_1", "deleted": True},
    ("POST", "/ching/v1/prices"): {**PRICE, "recurring": RECURRING, "tiers": TIERS},
    ("GET", "/ching/v1/prices"): [{**PRICE, "tiers": []}],  # `recurring` (required, nullable) is missing
    ("GET", "/ching/v1/prices/price_1"): {**PRICE, "recurring": RECURRING, "tiers": TIERS, "taxBehavior": "inclusive"},
}
Sent = tuple[str, str, dict[str, str], Any]
sent: list[Sent] = []


def handler(request: httpx.Request) -> httpx.Response:
    raw_path = request.url.raw_path.decode("ascii")
    headers = {name: request.headers[name] for name in HEADERS if name in request.headers}
    sent.append((request.method, raw_path, headers, json.loads(request.content) if request.content else None))
    if request.headers.get("x-ching-account") == "acct_busy":
        error = {"status": 503, "code": "BUSY", "message": "Busy"}
        return httpx.Response(503, json={"success": False, "error": error})
    data = ANSWERS[(request.method, raw_path.split("?")[0])]
    extra = {"action": "merged"} if raw_path.endswith("/upsert") else {}  # a value the spec does not list
    if raw_path.split("?")[0] == "/ching/v1/customers" and request.method == "GET":
        extra = {"has_more": False}  # the list pages (x-ching-pagination): one page here
    status = 201 if request.method == "POST" and raw_path.endswith("/notes") else 200
    return httpx.Response(status, json={"success": True, "data": data, **extra})


# (method, raw path with query, header parameters, JSON body) for each call below, in order.
EXPECTED: list[Sent] = [
    (
        "GET",
        "/ching/v1/customers?email=tal%40example.com&limit=5&includeDeleted=true&tier=gold&tag=vip&tag=b%2Cc"
        "&ids=cus_1|cus_2&createdYears=2024%202025&metadata[plan]=pro",
        {"x-ching-account": "acct_1"},
        None,
    ),
    ("GET", "/ching/v1/customers/cus_1?expand=stats,contacts", {}, None),
    (
        "POST",
        "/ching/v1/customers",
        {},
        {
            "name": "Tal Levi",
            "companyName": "Acme",
            "address": {
                "line1": "1 Main St",
                "city": "Tel Aviv",
                "postalCode": "6100000",
                "country": "IL",
                "geoPoint": {"latitude": 32.08, "longitude": 34.78},
            },
            "contacts": [
                {"fullName": "Dana", "emailAddress": "dana@example.com", "role": "billing"},
                {"fullName": "Noa"},
            ],
        },
    ),
    ("PATCH", "/ching/v1/customers/cus_1", {}, {"companyName": None, "address": None, "contacts": []}),
    ("POST", "/ching/v1/customers/upsert", {}, {"identifyBy": "companyName", "companyName": "Acme"}),
    (
        "POST",
        "/ching/v1/customers/cus_1/notes",
        {},
        {
            "kind": "call",
            "durationSeconds": 90,
            "followUp": {"dueAt": "2026-05-01T09:00:00+00:00", "assigneeEmail": "a@b.co"},
        },
    ),
    ("GET", "/ching/v1/customers/cus%201/notes?kind=text", {}, None),
    ("GET", "/ching/v1/customers/cus_1/notes/note_1", {}, None),
    ("PUT", "/ching/v1/customers/cus_1/notes/note_1", {}, {"kind": "text", "text": "Called back"}),
    ("DELETE", "/ching/v1/customers/cus_1/notes/note_1", {}, None),
    (
        "POST",
        "/ching/v1/prices",
        {"ching-version": "2026-06-01", "x-ching-tags": "import,q2"},
        {
            "productId": "prod_1",
            "unitAmount": 1500,
            "currency": "ils",
            "recurring": {"interval": "month", "intervalCount": 1},
            "tiers": [{"upTo": 10, "unitAmount": 1500}, {"upTo": None, "unitAmount": 1200}],
        },
    ),
    ("GET", "/ching/v1/prices?productId=prod_1&active=false", {}, None),
    ("GET", "/ching/v1/prices/price_1", {}, None),
    # Retried (safe to repeat), then given up: 3 attempts; the new operation is not retried: 1 attempt.
    *[("GET", "/ching/v1/customers", {"x-ching-account": "acct_busy"}, None)] * 3,
    (
        "POST",
        "/ching/v1/prices",
        {"ching-version": "2026-01-01", "x-ching-account": "acct_busy"},
        {"productId": "p", "unitAmount": 1, "currency": "usd"},
    ),
]
ADDRESS_ARGUMENT = {
    "line1": "1 Main St",
    "city": "Tel Aviv",
    "postal_code": "6100000",
    "country": "IL",
    "geo_point": {"latitude": 32.08, "longitude": 34.78},
}
DUE = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=datetime.UTC)
BUSY = {"X-Ching-Account": "acct_busy"}
# (result name, method, positional arguments, keyword arguments), called in this order on each client.
STEPS: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    # Wrong arguments: refused before anything is sent, naming the argument.
    ("wire_key", "customers.create", (), {"name": "T", "address": {**ADDRESS_ARGUMENT, "postalCode": "1"}}),
    ("unknown_key", "customers.create", (), {"name": "T", "address": {**ADDRESS_ARGUMENT, "zip": "1"}}),
    ("missing_key", "customers.create", (), {"name": "T", "address": {"line1": "1 Main St"}}),
    ("bad_pattern", "customers.create", (), {"name": "T", "address": {**ADDRESS_ARGUMENT, "postal_code": "!"}}),
    (
        "bad_nested_type",
        "customers.create",
        (),
        {"name": "T", "address": {**ADDRESS_ARGUMENT, "geo_point": {"latitude": "north", "longitude": 1.0}}},
    ),
    ("wire_key_in_list", "customers.create", (), {"name": "T", "contacts": [{"full_name": "D"}, {"fullName": "N"}]}),
    ("bad_enum_item", "customers.retrieve", ("cus_1",), {"expand": ["stats", "everything"]}),
    ("string_for_list", "customers.retrieve", ("cus_1",), {"expand": "stats"}),
    ("bad_integer", "customers.list", (), {"limit": "5"}),
    ("header_injection", "customers.list", (), {"x_ching_account": "acct\r\nX-Evil: 1"}),
    # Every new construct, sent as the spec says.
    (
        "listed",
        "customers.list",
        (),
        {
            "email": "tal@example.com",
            "limit": 5,
            "include_deleted": True,
            "tier": "gold",
            "tag": ["vip", "b,c"],
            "ids": ["cus_1", "cus_2"],
            "created_years": [2024, 2025],
            "metadata": {"plan": "pro"},
            "x_ching_account": "acct_1",
        },
    ),
    ("retrieved", "customers.retrieve", ("cus_1",), {"expand": ["stats", "contacts"]}),
    (
        "created",
        "customers.create",
        (),
        {
            "name": "Tal Levi",
            "company_name": "Acme",
            "address": ADDRESS_ARGUMENT,
            "contacts": [
                {"full_name": "Dana", "email_address": "dana@example.com", "role": "billing"},
                Contact(full_name="Noa"),
            ],
        },
    ),
    ("patched", "customers.patch", ("cus_1",), {"company_name": None, "address": None, "contacts": []}),
    ("upserted", "customers.upsert", (), {"identify_by": "companyName", "company_name": "Acme"}),
    (
        "noted",
        "customer_notes.create",
        ("cus_1",),
        {"kind": "call", "duration_seconds": 90, "follow_up": {"due_at": DUE, "assignee_email": "a@b.co"}},
    ),
    ("notes", "customer_notes.list", ("cus 1",), {"kind": "text"}),
    ("note", "customer_notes.retrieve", ("cus_1", "note_1"), {}),
    ("replaced", "customer_notes.replace", ("cus_1", "note_1"), {"kind": "text", "text": "Called back"}),
    ("deleted", "customer_notes.delete", ("cus_1", "note_1"), {}),
    (
        "price",
        "prices.create",
        (),
        {
            "ching_version": "2026-06-01",
            "x_ching_tags": ["import", "q2"],
            "product_id": "prod_1",
            "unit_amount": 1500,
            "currency": "ils",
            "recurring": {"interval": "month", "interval_count": 1},
            "tiers": [{"up_to": 10, "unit_amount": 1500}, {"up_to": None, "unit_amount": 1200}],
        },
    ),
    ("prices", "prices.list", (), {"product_id": "prod_1", "active": False}),
    ("fetched_price", "prices.retrieve", ("price_1",), {}),
    # The retry policy follows x-ching-safe-to-repeat for new operations too.
    ("busy_list", "customers.list", (), {"x_ching_account": "acct_busy"}),
    (
        "busy_create",
        "prices.create",
        (),
        {"ching_version": "2026-01-01", "product_id": "p", "unit_amount": 1, "currency": "usd", "extra_headers": BUSY},
    ),
]
REFUSED = {
    "wire_key": ("address", "use 'postal_code'"),
    "unknown_key": ("address", "unknown key 'zip'"),
    "missing_key": ("address", "missing required key 'city'"),
    "bad_pattern": ("address.postal_code", "does not match"),
    "bad_nested_type": ("address.geo_point.latitude", "must be a number"),
    "wire_key_in_list": ("contacts[1]", "use 'full_name'"),
    "bad_enum_item": ("expand[1]", "must be one of contacts, stats"),
    "string_for_list": ("expand", "must be a list"),
    "bad_integer": ("limit", "must be an integer"),
    "header_injection": ("x_ching_account", "printable ASCII"),
}


def check_results(client: str, r: dict[str, Any]) -> None:
    for key, (argument, message) in REFUSED.items():
        exc = r[key]
        assert isinstance(exc, InvalidArgumentError), (client, key, exc)
        assert (exc.argument, message in str(exc)) == (argument, True), (client, key, str(exc))
    assert [c.id for c in r["listed"]] == ["cus_1"], client
    customer = r["retrieved"]
    assert isinstance(customer, Customer), (client, customer)
    assert isinstance(customer.address, Address), (client, customer.address)
    assert (customer.address.postal_code, customer.address.line2) == ("6100000", None), client
    assert customer.address.geo_point.latitude == 32.08, client
    assert (customer.company_name, customer.tier) == ("Acme", "platinum"), client
    assert (customer.stats.invoice_count, customer.stats.total_spent) == (3, "120.00"), client
    assert isinstance(customer.contacts[0], Contact), client
    assert customer.contacts[0].email_address == "dana@example.com", client
    # The wire form back, the unknown enum value included (`created` is a datetime, written back in ISO 8601).
    assert customer.to_dict() == {**FULL_CUSTOMER, "created": "2026-04-19T09:12:43+00:00"}, client
    assert r["created"] == customer, client
    assert (r["patched"].address, r["patched"].company_name) == (None, None), client
    assert r["patched"].stats.charge_count == 0, client  # read as the spec's default
    assert (r["upserted"].action, r["upserted"].customer.id) == ("merged", "cus_1"), client
    assert r["noted"] == CallNote(id="note_2", kind="call", duration_seconds=90), client
    assert [type(n) for n in r["notes"]] == [TextNote, CallNote], client
    assert r["note"] == TextNote(id="note_1", kind="text", text="Called back"), client
    assert (r["replaced"], r["deleted"].deleted) == (r["note"], True), client
    assert (r["price"].recurring.interval_count, r["price"].tiers[1].up_to) == (1, None), client
    assert r["prices"][0].recurring is None, client  # read as null
    assert (r["fetched_price"].tiers[0].up_to, r["fetched_price"]["taxBehavior"]) == (10, "inclusive"), client
    assert [type(r["busy_list"]), type(r["busy_create"])] == [InternalServerError] * 2, client
    assert "not retried" in str(r["busy_create"]), client


def method(ching: Any, path: str) -> Any:
    for name in path.split("."):
        ching = getattr(ching, name)
    return ching


async def run_async() -> dict[str, Any]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    results: dict[str, Any] = {}
    async with AsyncChing(api_key=KEY, http_client=http, max_retries=2) as ching:
        for key, path, args, kwargs in STEPS:
            try:
                called = method(ching, path)(*args, **kwargs)
                # A paged list returns a pager: its items are read as it is iterated.
                results[key] = [item async for item in called] if isinstance(called, AsyncPager) else await called
            except ChingError as exc:
                results[key] = exc
    return results


def run_sync() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with Ching(api_key=KEY, http_client=httpx.Client(transport=httpx.MockTransport(handler)), max_retries=2) as ching:
        for key, path, args, kwargs in STEPS:
            try:
                called = method(ching, path)(*args, **kwargs)
                results[key] = list(called) if isinstance(called, Pager) else called
            except ChingError as exc:
                results[key] = exc
    return results


def main() -> None:
    for client, run in (("async", lambda: anyio.run(run_async, backend="asyncio")), ("sync", run_sync)):
        sent.clear()
        with no_backoff():
            results = run()
        for i, (got, expected) in enumerate(zip(sent, EXPECTED, strict=False)):
            assert got == expected, (client, i, got, expected)
        assert len(sent) == len(EXPECTED), (client, sent[len(EXPECTED) :], EXPECTED[len(sent) :])
        check_results(client, results)
    print("both clients ok")


if __name__ == "__main__":
    main()
