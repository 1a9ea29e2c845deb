"""The local Ching in one file (`make local-ching`): it runs on a bare Python with nothing installed.

The file is built once for the module from this checkout, then started with the base interpreter under
``-I -S``: no site-packages, no virtualenv, no user site, so everything it imports comes from inside it.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ching_client import Ching, NotFoundError
from ching_client.testing import DEFAULT_TEST_KEY, serve
from ching_client.testing._spec import shipped_spec
from scripts import local_ching_pyz

from .helpers import fail, ok

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {DEFAULT_TEST_KEY}"}


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return local_ching_pyz.build(tmp_path_factory.mktemp("pyz") / "ching-local.pyz")


@pytest.fixture(scope="module")
def running(pyz: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The file served by the bare interpreter on a free port: its base URL and its process."""
    bare = getattr(sys, "_base_executable", sys.executable)
    process = subprocess.Popen(
        [bare, "-I", "-S", str(pyz), "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=pyz.parent,
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url:
        process.kill()
        pytest.fail(f"the file did not start: {process.communicate(timeout=10)[1]}")
    yield base_url, process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_the_file_runs_on_a_bare_python_and_serves_the_sdk(running: tuple[str, subprocess.Popen[str]]) -> None:
    base_url, _ = running
    assert base_url.startswith("http://127.0.0.1:")
    assert base_url.endswith("/ching")
    with Ching(api_key=DEFAULT_TEST_KEY, base_url=base_url) as ching:
        customer = ching.customers.create(name="Tal", phone="054-987-6543")  # phonenumbers, from inside the file
        assert customer.phone == "+972549876543"
        assert ching.customers.retrieve(customer.id) == customer
        with pytest.raises(NotFoundError):
            ching.customers.retrieve("cus_missing")


def test_the_file_serves_the_spec_and_the_reference_page_it_was_built_from(
    running: tuple[str, subprocess.Popen[str]],
) -> None:
    base_url, _ = running
    spec_text = (ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8")
    with httpx.Client(base_url=base_url) as http:
        yaml = http.get("/_fake/openapi.yaml")
        assert (yaml.status_code, yaml.headers["content-type"]) == (200, "application/yaml; charset=utf-8")
        assert yaml.text == spec_text
        assert http.get("/_fake/openapi.json").json() == shipped_spec()
        page = http.get("/_fake/reference")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        version = shipped_spec()["info"]["version"]
        assert f"{version} reference</title>" in page.text
        assert "customers_create" in page.text


def test_reset_empties_the_file_s_local_ching(running: tuple[str, subprocess.Popen[str]]) -> None:
    base_url, _ = running
    with httpx.Client(base_url=base_url, headers=AUTH) as http:
        ok(http.post("/v1/customers", json={"name": "Noa"}))
        assert ok(http.get("/v1/customers"))
        assert ok(http.post("/_fake/reset")) == {"reset": True}
        assert ok(http.get("/v1/customers")) == []


def test_the_file_stops_cleanly_and_said_which_key_to_use(pyz: Path) -> None:
    bare = getattr(sys, "_base_executable", sys.executable)
    process = subprocess.Popen(
        [bare, "-I", "-S", str(pyz), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stderr is not None
    base_url = process.stdout.readline().strip()
    banner = process.stderr.readline() + process.stderr.readline() + process.stderr.readline()
    banner += process.stderr.readline() + process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"CHING_API_KEY={DEFAULT_TEST_KEY}" in banner
    assert f"{base_url}/_fake/openapi.json" in banner


def test_an_installed_package_serves_the_spec_as_json_and_says_where_the_rest_is() -> None:
    with serve() as server, httpx.Client(base_url=server.base_url) as http:
        assert http.get("/_fake/openapi.json").json() == shipped_spec()
        missing = fail(http.get("/_fake/reference"), 404, "NOT_FOUND")
        assert "make local-ching" in json.dumps(missing)


def test_the_file_carries_the_testing_extra_s_distributions_and_nothing_else() -> None:
    names = {dist.metadata["Name"].lower() for dist in local_ching_pyz.distributions()}
    assert {"uvicorn", "h11", "click", "phonenumbers", "httpx2", "httpx", "anyio", "attrs"} <= names
    assert not names & {"pytest", "mypy", "tqdm", "ching-client"}


class _Compiled(metadata.Distribution):
    """An installed distribution holding an extension module."""

    def read_text(self, filename: str) -> str | None:
        if filename == "METADATA":
            return "Metadata-Version: 2.1\nName: speedy\nVersion: 1.0\n"
        if filename == "RECORD":
            return "speedy/__init__.py,,\nspeedy/_speedups.cpython-311-x86_64-linux-gnu.so,,\n"
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path("/nonexistent") / str(path)


def test_a_distribution_with_compiled_code_stops_the_build_naming_it() -> None:
    with pytest.raises(local_ching_pyz.BuildError, match=r"speedy holds compiled code \(speedy/_speedups"):
        list(local_ching_pyz.distribution_files(_Compiled()))
