"""Every Python example in the README and in the guides (docs/*.md) runs unmodified: against a local Ching
over loopback, one per page, or, for the pytest modules they show, in a pytest session of their own."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ching_client import APITimeoutError, AsyncChing, ChingError, WriteOutcomeUnknownError
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer, no_backoff, serve
from tests.pytest_session import run_pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", *sorted(f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md"))]
EXAMPLES = [
    (document, source)
    for document in DOCUMENTS
    for source in re.findall(r"```python\n(.*?)```", (ROOT / document).read_text(encoding="utf-8"), flags=re.DOTALL)
]
TEST_FUNCTION = re.compile(r"^(?:async )?def test_", flags=re.MULTILINE)
PYTEST_MODULES = [source for _, source in EXAMPLES if TEST_FUNCTION.search(source)]
SCRIPTS = [
    pytest.param(document, source, id=f"{document}:{source.splitlines()[-1][:40]}")
    for document, source in EXAMPLES
    if not TEST_FUNCTION.search(source) and "FastAPI" not in source
]
(FASTAPI_EXAMPLE,) = [source for document, source in EXAMPLES if document == "README.md" and "FastAPI" in source]
PRINTED = re.compile(r"^\s*print\(.*\)  # (.+)$", flags=re.MULTILINE)


class Servers:
    """A local Ching per page, started when the page's first example runs. A page's examples run in its order,
    as a reader runs them against the one server the README tells them to start, so no example depends on a
    fresh server; pages do not share one, so no page depends on what another made."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._running: dict[str, FakeServer] = {}

    def use(self, document: str, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
        """The page's server, with the environment the README's `export` line sets pointing at it."""
        if document not in self._running:
            self._running[document] = self._stack.enter_context(serve())
        server = self._running[document]
        monkeypatch.setenv("CHING_BASE_URL", server.base_url)
        monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
        return server


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        yield Servers(stack)


def test_the_readme_and_the_guides_have_examples() -> None:
    assert sum(document == "README.md" for document, _ in EXAMPLES) >= 5
    assert {document for document, _ in EXAMPLES} > {"README.md"}  # the guides' examples are collected too


@pytest.mark.parametrize(("document", "source"), SCRIPTS)
def test_example_runs(
    document: str, source: str, servers: Servers, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It runs, and prints what its comments say: a comment after ``print(...)`` is that line's output, with
    ``…`` or ``...`` standing for what varies (ids, times)."""
    servers.use(document, monkeypatch)
    exec(compile(source, document, "exec"), {"__name__": "documented_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed
    for expected in PRINTED.findall(source):
        pattern = ".*".join(re.escape(part) for part in re.split(r"…|\.\.\.", expected.strip()))
        assert any(re.fullmatch(pattern, line) for line in printed), (expected, printed)


def _fastapi_app(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, FakeServer]:
    server = servers.use("README.md", monkeypatch)
    namespace: dict[str, Any] = {"__name__": "readme_fastapi"}
    exec(compile(FASTAPI_EXAMPLE, "README.md", "exec"), namespace)
    return namespace["app"], server


def test_fastapi_example_serves_customers_and_turns_a_missing_one_into_a_404(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, server = _fastapi_app(servers, monkeypatch)

    async def requests() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                first = await client.post("/signup", params={"email": "ada@example.com", "name": "Ada"})
                second = await client.post("/signup", params={"email": "ada@example.com", "name": "Ada L."})
                customer_id = first.json()["customer_id"]
                responses = [
                    first,
                    second,
                    await client.get(f"/customers/{customer_id}"),
                    await client.get("/customers/cus_missing"),
                    await client.get("/openapi.json"),
                ]
                async with AsyncChing() as ching:
                    await ching.customers.delete(customer_id)
                return [*responses, await client.get(f"/customers/{customer_id}")]

    deleted_before = server.fake.counts().deleted_customers
    first, second, one, missing, openapi, deleted = anyio.run(requests)
    assert first.status_code == 200
    assert first.json()["action"] == "created"
    assert second.json() == {"customer_id": first.json()["customer_id"], "action": "updated"}
    assert server.fake.counts().deleted_customers == deleted_before + 1  # one was made, and deleted at the end

    assert one.status_code == 200
    assert one.json()["id"] == first.json()["customer_id"]
    assert one.json()["name"] == "Ada L."
    assert one.json()["taxId"] is None  # Ching's wire names

    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    assert missing.json()["detail"]

    schemas = openapi.json()["components"]["schemas"]
    customer = schemas["Customer"]
    assert set(customer["required"]) >= {"id", "name", "email", "taxId", "created"}
    assert customer["properties"]["created"]["format"] == "date-time"
    ok = openapi.json()["paths"]["/customers/{customer_id}"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/Customer"}

    assert deleted.status_code == 410


def test_fastapi_example_answers_each_sdk_error_with_the_status_it_recommends(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mapping the README recommends, seen by the service's own callers: what they may fix (404, 409, 422
    with Ching's issues), when to come back (503 with Retry-After), a create to check before retrying (502), and
    our own misconfiguration (500, saying nothing of the key)."""
    app, server = _fastapi_app(servers, monkeypatch)
    faults = server.fake.faults

    async def requests() -> dict[str, httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                create = "/customers"
                answers = {"created": await client.post(create, params={"name": "Ben", "email": "ben@example.com"})}
                answers["conflict"] = await client.post(create, params={"name": "Ben", "email": "ben@example.com"})
                answers["refused by Ching"] = await client.post("/signup", params={"name": "Ben", "email": ""})
                answers["refused before sending"] = await client.post(create, params={"name": "", "email": "b@x.io"})
                # Every attempt is limited: the SDK retries (without sleeping here), then gives up.
                faults.add("status", status=429, operation="customers_retrieve", times=3, retry_after="2")
                answers["rate limited"] = await client.get("/customers/cus_anything")
                faults.clear()
                faults.add("drop_after", operation="customers_create", times=1)
                answers["create lost"] = await client.post(create, params={"name": "Lost", "email": "lost@x.io"})
                faults.add("status", status=401, operation="customers_retrieve", times=1)
                answers["key refused"] = await client.get("/customers/cus_anything")
                return answers

    with no_backoff():
        answers = anyio.run(requests)
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "created": 200,
        "conflict": 409,
        "refused by Ching": 422,
        "refused before sending": 422,
        "rate limited": 503,
        "create lost": 502,
        "key refused": 500,
    }
    assert answers["conflict"].json()["code"] == "EMAIL_EXISTS"
    assert [issue["path"] for issue in answers["refused by Ching"].json()["issues"]] == [["email"]]
    assert "name" in answers["refused before sending"].json()["detail"]
    assert answers["rate limited"].headers["retry-after"] == "2"
    assert "check before retrying" in answers["create lost"].json()["detail"]
    with server.fake.ching() as ching:
        assert "Lost" in [customer.name for customer in ching.customers.list()]  # it did happen: hence "check"
    assert answers["key refused"].json() == {"detail": "Internal error."}
    assert DEFAULT_TEST_KEY not in answers["key refused"].text


def test_fastapi_example_gives_ching_a_web_request_timeout_and_answers_timeouts_with_504(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few seconds, retries included, below a server's own request timeout (uvicorn and most proxies: 60 s);
    a timed-out read and a create whose answer timed out are 504s."""
    app, _ = _fastapi_app(servers, monkeypatch)

    async def answers() -> tuple[float, list[int]]:
        async with app.router.lifespan_context(app):
            timeout = app.state.ching.timeout
        handler = app.exception_handlers[ChingError]
        errors = [
            APITimeoutError("timed out", method="GET", path="/v1/customers", may_have_reached_server=True),
            WriteOutcomeUnknownError("timed out", method="GET", path="/v1/customers", timed_out=True),
        ]
        return timeout, [(await handler(None, error)).status_code for error in errors]

    timeout, statuses = anyio.run(answers)
    assert 1 <= timeout <= 10
    assert not math.isclose(timeout, 60)  # not the SDK's default, which is as long as a server's own
    assert statuses == [504, 504]


def test_the_pytest_examples_pass_in_a_pytest_session_of_their_own(tmp_path: Path) -> None:
    modules = {f"test_documented_{number}.py": source for number, source in enumerate(PYTEST_MODULES)}
    tests = sum(len(TEST_FUNCTION.findall(source)) for source in PYTEST_MODULES)
    assert tests >= 5

    result = run_pytest(tmp_path, modules)

    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]  # "6 passed in 0.5s": async tests run on each anyio backend
    passed = re.match(r"(\d+) passed in ", summary)
    assert passed is not None, summary
    assert int(passed.group(1)) >= tests
