"""``upsert_many``'s report, held against the server's truth when answers are lost.

An upsert whose answer is lost (the connection drops after Ching processed it) is retried; the
retry then finds the customer the lost attempt created and answers "updated". The report must not
count such a row as updated, nor a row that failed after a lost attempt as not applied: each row is
checked against what the local Ching stored.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from ching_client import UpsertReport
from ching_client._cli import main as cli
from ching_client.testing import FakeChing, FakeServer
from ching_client.testing._keys import scope_for_key

from ._support import KEY, KINDS, Kind

on_asyncio = pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the sync client's batch runs inside it too
EXISTING = 400
NEW = 1200
INVALID = 40


async def run(kind: Kind, fake: FakeChing, rows: list[dict[str, Any]], max_retries: int) -> UpsertReport:
    if kind == "async":
        async with fake.async_ching(max_retries=max_retries) as ching:
            return await ching.customers.upsert_many(rows, identify_by="email", concurrency=8)
    with fake.ching(max_retries=max_retries) as ching:
        return ching.customers.upsert_many(rows, identify_by="email", concurrency=8)


def stored(fake: FakeChing) -> dict[str | None, str]:
    """Every stored customer's name, by email: the server's truth."""
    return {c.email: c.name for c in fake.store.list_customers(scope_for_key(KEY), 10**6)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.anyio
@on_asyncio
async def test_a_row_whose_first_answer_was_lost_is_not_counted_as_updated(kind: Kind):
    fake = FakeChing(seed=1)
    fake.faults.add("drop_after", operation="customers_upsert", times=1)  # created, then the answer is lost

    report = await run(kind, fake, [{"name": "Noa", "email": "noa@example.com"}], max_retries=2)

    assert fake.counts(KEY).customers == 1  # the lost attempt created it; the retry updated it
    assert (report.created, report.updated, report.created_or_updated) == (0, 0, 1)
    assert report.ok
    assert "1 created or updated" in report.summary()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.anyio
@on_asyncio
async def test_a_row_that_failed_after_a_lost_answer_is_reported_as_maybe_applied(kind: Kind):
    fake = FakeChing(seed=1)
    fake.faults.add("drop_after", operation="customers_upsert", times=2)

    report = await run(kind, fake, [{"name": "Noa", "email": "noa@example.com"}], max_retries=1)

    assert fake.counts(KEY).customers == 1  # applied, though no answer said so
    assert (report.failed, report.outcome_unknown) == (0, 1)
    assert report.failures[0].maybe_applied
    assert "1 outcome unknown" in report.summary()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.anyio
@on_asyncio
async def test_the_report_under_drops_matches_the_servers_truth(kind: Kind, capsys: pytest.CaptureFixture[str]):
    fake = FakeChing(seed=14)
    with fake.ching() as setup:
        for n in range(EXISTING):
            setup.customers.create(name=f"Old {n}", email=f"existing{n}@example.com")
    rows = [{"name": f"New {n}", "email": f"existing{n}@example.com"} for n in range(EXISTING)]
    rows += [{"name": f"New {n}", "email": f"new{n}@example.com"} for n in range(NEW)]
    rows += [{"name": f"Bad {n}", "email": f"bad{n}@example.com", "phone": "12"} for n in range(INVALID)]  # 400
    random.Random(14).shuffle(rows)
    fake.faults.add("drop_after", operation="customers_upsert", probability=0.10)  # processed, answer lost
    fake.faults.add("drop_before", operation="customers_upsert", probability=0.03)  # never processed
    fake.faults.add("status", operation="customers_upsert", status=503, probability=0.03)

    report = await run(kind, fake, rows, max_retries=1)

    truth = stored(fake)
    failures = {failure.index: failure for failure in report.failures}
    applied = [truth.get(row["email"]) == row["name"] for row in rows]
    for index, _row in enumerate(rows):
        failure = failures.get(index)
        if failure is None:
            assert applied[index], f"row {index} was reported applied, and Ching does not have it"
        elif not failure.maybe_applied:
            assert not applied[index], f"row {index} was reported failed (not applied), and Ching applied it"
    is_new = [not row["email"].startswith("existing") for row in rows]
    new_answered = sum(new and i not in failures for i, new in enumerate(is_new))
    existing_answered = sum(not new and i not in failures for i, new in enumerate(is_new))
    new_applied = sum(new and ok for new, ok in zip(is_new, applied, strict=True))
    assert report.total == len(rows)
    assert report.created + report.updated + report.created_or_updated == len(rows) - len(failures)
    assert report.failed + report.outcome_unknown == len(failures)
    assert report.created <= new_answered  # every row counted created was a new customer
    assert report.updated <= existing_answered  # every row counted updated was an existing one
    assert report.created <= new_applied <= report.created + report.created_or_updated + report.outcome_unknown
    assert fake.counts(KEY).customers == EXISTING + new_applied  # one customer per new row applied: no duplicate
    assert report.created_or_updated > 0
    assert report.outcome_unknown > 0
    assert report.failed > 0
    figures = (
        f"report {report.created:,} created, {report.updated:,} updated, {report.created_or_updated:,} created or "
        f"updated, {report.failed:,} failed, {report.outcome_unknown:,} outcome unknown; Ching: {new_applied:,} new "
        f"customers, {sum(applied) - new_applied:,} updates, {len(rows) - sum(applied):,} rows not applied"
    )
    with capsys.disabled():
        print(f"\n{kind}, {len(rows):,} rows ({EXISTING:,} existing, {INVALID} invalid): {figures}")


def test_the_command_line_says_which_rows_may_have_been_applied(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("CHING_API_KEY", KEY)
    server.fake.faults.add("drop_after", operation="customers_upsert", times=3)  # every attempt of the first row
    source = tmp_path / "users.jsonl"
    source.write_text('{"name": "Noa", "email": "noa@example.com"}\n{"name": "Tal", "email": "tal@example.com"}\n')

    args = ["customers", "sync", str(source), "--identify-by", "email", "--concurrency", "1"]
    status = cli.main([*args, "--base-url", server.base_url])

    out = capsys.readouterr().out
    assert status == 1
    assert "1 created, 0 updated, 0 failed, 1 outcome unknown (may have been applied)" in out
    failed = json.loads((tmp_path / "users.failures.jsonl").read_text(encoding="utf-8"))
    assert failed["email"] == "noa@example.com"
    assert failed["ching_error"].startswith("OUTCOME UNKNOWN, may have been applied; CONNECTION_ERROR")
    assert server.fake.counts(KEY).customers == 2  # the lost attempts did apply it
