"""Every Python example in the README runs unmodified: against a local Ching over loopback, or, for the
pytest modules of "Testing your code with pytest", in a pytest session of their own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ching_client import AsyncChing
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer, serve
from tests.pytest_session import run_pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
TEST_FUNCTION = re.compile(r"^(?:async )?def test_", flags=re.MULTILINE)
PYTEST_MODULES = [e for e in EXAMPLES if TEST_FUNCTION.search(e)]
SCRIPTS = [e for e in EXAMPLES if e not in PYTEST_MODULES]
PRINTED = re.compile(r"^\s*print\(.*\)  # (.+)$", flags=re.MULTILINE)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """One local Ching for every example, which run in README order: as a reader runs them, against the one
    server the README tells them to start, so that no example depends on a fresh server."""
    with serve() as running, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("CHING_BASE_URL", running.base_url)
        monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
        yield running


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("source", [e for e in SCRIPTS if "FastAPI" not in e], ids=lambda s: s.splitlines()[-1][:40])
def test_readme_example_runs(source: str, server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    """It runs, and prints what its comments say: a comment after ``print(...)`` is that line's output, with
    ``…`` or ``...`` standing for what varies (ids, times)."""
    exec(compile(source, "README.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed
    for expected in PRINTED.findall(source):
        pattern = ".*".join(re.escape(part) for part in re.split(r"…|\.\.\.", expected.strip()))
        assert any(re.fullmatch(pattern, line) for line in printed), (expected, printed)


def test_fastapi_example_serves_customers_and_turns_a_missing_one_into_a_404(server: FakeServer) -> None:
    (source,) = [e for e in SCRIPTS if "FastAPI" in e]
    namespace: dict[str, Any] = {"__name__": "readme_fastapi"}
    exec(compile(source, "README.md", "exec"), namespace)
    app = namespace["app"]

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
                    await client.get("/customers"),
                    await client.get("/customers/cus_missing"),
                    await client.get("/openapi.json"),
                ]
                async with AsyncChing() as ching:
                    await ching.customers.delete(customer_id)
                return [*responses, await client.get(f"/customers/{customer_id}")]

    deleted_before = server.fake.counts().deleted_customers
    first, second, one, listed, missing, openapi, deleted = anyio.run(requests)
    assert first.status_code == 200
    assert first.json()["action"] == "created"
    assert second.json() == {"customer_id": first.json()["customer_id"], "action": "updated"}
    assert server.fake.counts().deleted_customers == deleted_before + 1  # one was made, and deleted at the end

    assert one.status_code == 200
    assert one.json()["id"] == first.json()["customer_id"]
    assert one.json()["name"] == "Ada L."
    assert one.json()["taxId"] is None  # Ching's wire names
    assert listed.json()[0] == one.json()  # newest first, after what the examples before it made

    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    assert missing.json()["detail"]

    schemas = openapi.json()["components"]["schemas"]
    customer = schemas["Customer"]
    assert set(customer["required"]) >= {"id", "name", "email", "taxId", "created"}
    assert customer["properties"]["created"]["format"] == "date-time"
    ok = openapi.json()["paths"]["/customers"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["items"] == {"$ref": "#/components/schemas/Customer"}

    assert deleted.status_code == 410


def test_the_pytest_examples_pass_in_a_pytest_session_of_their_own(tmp_path: Path) -> None:
    modules = {f"test_readme_{number}.py": source for number, source in enumerate(PYTEST_MODULES)}
    tests = sum(len(TEST_FUNCTION.findall(source)) for source in PYTEST_MODULES)
    assert tests >= 5

    result = run_pytest(tmp_path, modules)

    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]  # "6 passed in 0.5s": async tests run on each anyio backend
    passed = re.match(r"(\d+) passed in ", summary)
    assert passed is not None, summary
    assert int(passed.group(1)) >= tests
