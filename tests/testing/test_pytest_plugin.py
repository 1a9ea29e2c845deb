"""The pytest plugin, as a user's project gets it: a separate pytest session that finds it by its entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from ching_client.testing import make_test_key
from tests.pytest_session import run_pytest

USER_TESTS = """
import time

import pytest

from ching_client import APITimeoutError, AsyncChing, Ching, WriteOutcomeUnknownError
from ching_client.testing import DEFAULT_TEST_KEY


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


def test_ching_talks_to_the_fake(ching, fake_ching):
    customer = ching.customers.create(name="Tal Levi", phone="054-987-6543")
    assert customer.phone == "+972549876543"
    assert fake_ching.counts().customers == 1


def test_every_test_gets_a_fresh_fake(ching, fake_ching):
    assert ching.customers.list() == []
    assert fake_ching.counts().customers == 0


def test_retries_do_not_wait(ching, fake_ching, monkeypatch):
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    fake_ching.faults.add("status", status=503, operation="customers_list", times=2)
    assert ching.customers.list() == []
    assert slept == [0.0, 0.0]


@pytest.mark.anyio
async def test_async_ching_talks_to_the_same_fake(async_ching, ching, fake_ching):
    customer = await async_ching.customers.create(name="Noa", email="noa@example.com")
    assert ching.customers.retrieve(customer.id).email == "noa@example.com"


def test_code_that_builds_its_own_client_is_answered_by_the_fake(fake_ching_httpx, monkeypatch):
    monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
    fake_ching_httpx.faults.add("drop_after", operation="customers_create", times=1)
    with Ching() as ching:  # the production base URL: pytest-httpx intercepts it
        with pytest.raises(WriteOutcomeUnknownError):
            ching.customers.create(name="Once")
        assert [c.name for c in ching.customers.list()] == ["Once"]
    assert fake_ching_httpx.counts().customers == 1


@pytest.mark.anyio
async def test_latency_from_the_fake_meets_the_async_clients_deadline(fake_ching_httpx, monkeypatch):
    monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
    fake_ching_httpx.faults.add("latency", latency=30, operation="customers_list")
    async with AsyncChing(timeout=0.2) as ching:
        with pytest.raises(APITimeoutError):
            await ching.customers.list()
"""


# An application module's client, built when the module is imported: before any fixture runs.
MODULE_CLIENT_TESTS = """
import pytest

from ching_client import AsyncChing, Ching
from ching_client.testing import DEFAULT_TEST_KEY

app_ching = Ching(api_key=DEFAULT_TEST_KEY)


@pytest.fixture(scope="module")
def module_async_ching():
    return AsyncChing(api_key=DEFAULT_TEST_KEY)


def test_a_client_built_at_import_is_answered_by_the_fake(fake_ching_httpx):
    app_ching.customers.create(name="Tal")
    assert fake_ching_httpx.counts().customers == 1


@pytest.mark.anyio
async def test_a_module_scoped_client_is_answered_by_the_fake(fake_ching_httpx, module_async_ching):
    await module_async_ching.customers.create(name="Noa")
    assert fake_ching_httpx.counts().customers == 1
"""


# Code under test that reads its key from the environment, and a test that sets another key than the fixtures use.
MIXED_KEYS_TESTS = """
from ching_client import Ching
from ching_client.testing import make_test_key


def customer_names():
    with Ching() as ching:
        return [customer.name for customer in ching.customers.list()]


def test_seeded_under_the_fixtures_key_and_read_under_another(fake_ching_httpx, monkeypatch):
    monkeypatch.setenv("CHING_API_KEY", make_test_key("my-app"))
    with fake_ching_httpx.ching() as ching:
        ching.customers.create(name="Tal Levi")
    assert customer_names() == ["Tal Levi"]


def test_created_under_another_key_and_counted_under_the_fixtures(fake_ching_httpx, monkeypatch):
    monkeypatch.setenv("CHING_API_KEY", make_test_key("my-app"))
    with Ching() as ching:
        ching.customers.create(name="Noa")
    assert fake_ching_httpx.counts().customers == 1
"""


def test_clients_built_before_the_test_are_answered_by_the_fake_too(tmp_path: Path) -> None:
    """pytest-httpx intercepts httpx only: with it active, the run builds clients on httpx from the start (before,
    a client built at import went to the real base URL on httpx2)."""
    result = run_pytest(tmp_path, {"test_app.py": MODULE_CLIENT_TESTS})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout  # the async test on asyncio and on trio


def test_a_user_test_module_runs_on_the_plugins_fixtures_alone(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, {"test_user.py": USER_TESTS})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout  # 4 sync tests, 2 async ones on asyncio and trio


def test_a_key_other_than_the_fixtures_key_fails_where_it_is_used_and_says_why(tmp_path: Path) -> None:
    """Ching keeps each key's data apart, so a test mixing keys read an empty project: the list was empty and the
    count zero, with nothing to say why. The fake behind httpx_mock now refuses the other key, naming the one it
    takes and never showing the key itself."""
    result = run_pytest(tmp_path, {"test_keys.py": MIXED_KEYS_TESTS})
    output = result.stdout + result.stderr
    assert "2 failed" in result.stdout, output
    errors = [line for line in result.stdout.splitlines() if line.startswith("E ") and "AuthenticationError" in line]
    assert len(errors) == 2, output  # raised by the call that used the other key, in each test
    for line in errors:
        assert "takes DEFAULT_TEST_KEY, the key of fake.ching() and the pytest fixtures" in line, line
        assert "another ck_test_ key" in line, line
        assert "Set CHING_API_KEY to ching_client.testing.DEFAULT_TEST_KEY" in line, line
    assert make_test_key("my-app")[len("ck_test_") :][:16] not in output


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, {"test_user.py": USER_TESTS}, "-p", "no:ching_client", "-k", "fresh")
    assert result.returncode == 1
    assert "fixture 'ching' not found" in result.stdout


@pytest.mark.parametrize("fixture", ["fake_ching", "ching", "async_ching", "fake_ching_httpx"])
def test_every_fixture_is_listed_with_what_it_gives(pytestconfig: pytest.Config, fixture: str) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("ching_client")
    assert plugin is not None  # this session loaded it by its entry point too
    assert getattr(plugin, fixture).__doc__
