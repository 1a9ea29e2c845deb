"""Changing the spec and regenerating gives both clients the new field and operation, typed.

The spec is copied and extended with (a) an optional ``nickname`` on ``CustomerCreateRequest``
and ``Customer`` and (b) ``GET /v1/customers/{id}/stats``. The package is copied to a temporary
directory and regenerated there; a subprocess imports that copy, calls the new method on both
clients against a MockTransport, and mypy --strict checks code that uses it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

STATS_PATH: dict[str, Any] = {
    "parameters": [{"$ref": "#/components/parameters/CustomerId"}],
    "get": {
        "operationId": "customers_stats",
        "tags": ["customers"],
        "summary": "Customer statistics",
        "description": "Counts about one customer.",
        "x-ching-safe-to-repeat": True,
        "responses": {
            "200": {
                "description": "The statistics.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CustomerStatsEnvelope"}}},
            },
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "404": {"$ref": "#/components/responses/NotFound"},
            "500": {"$ref": "#/components/responses/InternalError"},
        },
    },
}
NEW_SCHEMAS: dict[str, Any] = {
    "CustomerStats": {
        "type": "object",
        "description": "Counts about one customer.",
        "required": ["count"],
        "properties": {"count": {"type": "integer", "description": "How many charges the customer has."}},
    },
    "CustomerStatsEnvelope": {
        "type": "object",
        "required": ["success", "data"],
        "properties": {
            "success": {"type": "boolean", "const": True},
            "data": {"$ref": "#/components/schemas/CustomerStats"},
        },
    },
}
NICKNAME = {"type": "string", "description": "What the customer likes to be called."}

CHECK_SCRIPT = r"""
import json
import sys
from pathlib import Path

import anyio
import httpx

import ching_client
from ching_client import AsyncChing, Ching, Customer, NotFoundError
from ching_client._generated.api.customers import customers_stats

assert Path(ching_client.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), ching_client.__file__
assert customers_stats.OPERATION.safe_to_repeat is True

KEY = "ck_test_" + "0" * 64
CUSTOMER = json.loads(sys.argv[2])
seen = []


def handler(request):
    seen.append((request.method, request.url.path, json.loads(request.content) if request.content else None))
    if request.url.path.endswith("/cus_missing/stats"):
        error = {"status": 404, "code": "NOT_FOUND", "message": "No such customer"}
        return httpx.Response(404, json={"success": False, "error": error})
    if request.url.path.endswith("/stats"):
        if len(seen) == 1:
            busy = {"status": 503, "code": "BUSY", "message": "busy"}
            return httpx.Response(503, json={"success": False, "error": busy})
        return httpx.Response(200, json={"success": True, "data": {"count": 7, "since": "2026"}})
    if request.method == "GET":
        return httpx.Response(200, json={"success": True, "data": CUSTOMER})
    body = json.loads(request.content)
    return httpx.Response(201, json={"success": True, "data": {**CUSTOMER, "nickname": body["nickname"]}})


async def run_async():
    async with AsyncChing(api_key=KEY, http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))) as ching:
        stats = await ching.customers.stats("cus_1")
        created = await ching.customers.create(name="Tal Levi", nickname="Tali")
        old = await ching.customers.retrieve("cus_1")
        try:
            await ching.customers.stats("cus_missing")
        except NotFoundError as exc:
            missing = exc
    return stats, created, old, missing


def run_sync():
    with Ching(api_key=KEY, http_client=httpx.Client(transport=httpx.MockTransport(handler))) as ching:
        stats = ching.customers.stats("cus_1")
        created = ching.customers.create(name="Tal Levi", nickname="Tali")
        old = ching.customers.retrieve("cus_1")
        try:
            ching.customers.stats("cus_missing")
        except NotFoundError as exc:
            missing = exc
    return stats, created, old, missing


for name, run in (("async", lambda: anyio.run(run_async)), ("sync", run_sync)):
    seen.clear()
    stats, created, old, missing = run()
    assert seen == [
        ("GET", "/ching/v1/customers/cus_1/stats", None),
        ("GET", "/ching/v1/customers/cus_1/stats", None),
        ("POST", "/ching/v1/customers", {"name": "Tal Levi", "nickname": "Tali"}),
        ("GET", "/ching/v1/customers/cus_1", None),
        ("GET", "/ching/v1/customers/cus_missing/stats", None),
    ], (name, seen)
    assert stats.count == 7 and stats["since"] == "2026", (name, stats)
    assert isinstance(created, Customer) and created.nickname == "Tali", (name, created)
    assert isinstance(old, Customer) and not old.nickname, (name, old)
    assert "GET /v1/customers/cus_missing/stats failed with 404 NOT_FOUND" in str(missing), (name, missing)
print("both clients ok")
"""

TYPED_USE = """
from ching_client import AsyncChing, Ching, Customer


async def count_async(ching: AsyncChing) -> int:
    stats = await ching.customers.stats("cus_1", timeout=5)
    return stats.count


def count_sync(ching: Ching) -> int:
    return ching.customers.stats("cus_1").count


def create_sync(ching: Ching) -> Customer:
    return ching.customers.create(name="Tal", nickname="Tali")


async def create_async(ching: AsyncChing) -> Customer:
    return await ching.customers.create(name="Tal", nickname="Tali")
"""

MISTYPED_USE = """
from ching_client import AsyncChing, Ching


def wrong_result(ching: Ching) -> str:
    return ching.customers.stats("cus_1").count


async def wrong_argument(ching: AsyncChing) -> None:
    await ching.customers.create(name="Tal", nickname=5)
"""


def _extended_spec(tmp: Path) -> Path:
    spec = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    schemas["CustomerCreateRequest"]["properties"]["nickname"] = dict(NICKNAME)
    schemas["Customer"]["properties"]["nickname"] = dict(NICKNAME)  # optional: existing responses stay valid
    schemas.update(NEW_SCHEMAS)
    spec["paths"]["/v1/customers/{id}/stats"] = STATS_PATH
    path = tmp / "ching.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_regenerated_client_has_the_new_field_and_operation_on_both_clients(tmp_path: Path):
    from ._support import CUSTOMER

    spec = _extended_spec(tmp_path)
    package = tmp_path / "ching_client"
    shutil.copytree(ROOT / "ching_client", package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHING_", "PYTHON", "MYPY"))}

    generated = _run(
        [sys.executable, "generator/generate.py", "--spec", str(spec), "--out", str(package / "_generated")], ROOT, env
    )
    assert generated.returncode == 0, generated.stderr
    assert "def stats(" in (package / "_generated" / "resources.py").read_text(encoding="utf-8")
    assert "def stats(" not in (ROOT / "ching_client" / "_generated" / "resources.py").read_text(encoding="utf-8")

    env_tmp = {**env, "PYTHONPATH": str(tmp_path), "MYPYPATH": str(tmp_path)}
    script = tmp_path / "check_new_api.py"
    script.write_text(CHECK_SCRIPT, encoding="utf-8")
    checked = _run([sys.executable, str(script), str(tmp_path), json.dumps(CUSTOMER)], tmp_path, env_tmp)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "both clients ok" in checked.stdout

    (tmp_path / "typed_use.py").write_text(textwrap.dedent(TYPED_USE), encoding="utf-8")
    (tmp_path / "mistyped_use.py").write_text(textwrap.dedent(MISTYPED_USE), encoding="utf-8")
    typed = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--no-error-summary",
            "--hide-error-context",
            "typed_use.py",
            "mistyped_use.py",
        ],
        tmp_path,
        env_tmp,
    )
    errors = [line for line in typed.stdout.splitlines() if ": error:" in line]
    assert typed.returncode == 1, typed.stdout + typed.stderr
    assert not [line for line in errors if line.startswith("typed_use.py")], typed.stdout
    assert len(errors) == 2, typed.stdout
    assert 'got "int", expected "str"' in errors[0]
    assert '"nickname"' in errors[1]
    assert '"int"' in errors[1]
