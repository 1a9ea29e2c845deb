"""When Ching's API grows, regenerating is all it takes: every construct reaches both clients, typed.

``overlay.yaml`` extends the current spec with every kind of change the API can make (query
parameters of each style, header and path parameters, PATCH and PUT, nested objects and arrays of
them in camelCase, nullable objects, response unions, new enum values, a sub-resource and a new
resource). The package is copied to a temporary directory and regenerated there from the evolved
spec; then ``uses/exercise.py`` calls all of it on both clients (asyncio and sync) against a
transport that checks the exact wire form, and ``mypy --strict`` checks code that uses it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .spec import write_evolved_spec

ROOT = Path(__file__).resolve().parents[2]
USES = Path(__file__).resolve().parent / "uses"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def evolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the package regenerated from the evolved spec, and the environment that imports it."""
    tmp = tmp_path_factory.mktemp("evolved")
    spec = write_evolved_spec(tmp / "ching.yaml")
    shutil.copytree(ROOT / "ching_client", tmp / "ching_client", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHING_", "PYTHON", "MYPY"))}
    out = tmp / "ching_client" / "_generated"
    generated = _run([sys.executable, "-m", "generator.generate", "--spec", str(spec), "--out", str(out)], ROOT, env)
    assert generated.returncode == 0, generated.stderr
    return tmp, {**env, "PYTHONPATH": str(tmp), "MYPYPATH": str(tmp)}


def test_both_clients_send_every_new_construct_as_the_spec_says(evolved: tuple[Path, dict[str, str]]) -> None:
    tmp, env = evolved
    done = _run([sys.executable, str(USES / "exercise.py"), str(tmp)], tmp, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "both clients ok"


def test_both_clients_walk_every_page_of_a_paged_list(evolved: tuple[Path, dict[str, str]]) -> None:
    """x-ching-pagination in the spec: the local Ching pages, and both clients iterate all 250 items, page by
    page, with max_items, a retried 503, a 404 mid-way and a cancellation (``uses/paging.py``)."""
    tmp, env = evolved
    engine = {k: v for k, v in os.environ.items() if k == "CHING_HTTP_ENGINE"}
    done = _run([sys.executable, str(USES / "paging.py"), str(tmp)], tmp, {**env, **engine})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "paging ok on both clients"


def test_mypy_strict_accepts_the_new_api_and_rejects_its_misuse(evolved: tuple[Path, dict[str, str]]) -> None:
    tmp, env = evolved
    for name in ("typed_use.py", "misuse.py"):
        shutil.copy(USES / name, tmp / name)
    cache = ["--cache-dir", str(tmp / ".mypy_cache"), "--no-error-summary", "--hide-error-context"]
    done = _run([sys.executable, "-m", "mypy", "--strict", *cache, "typed_use.py", "misuse.py"], tmp, env)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    # The regenerated package itself and the typed use are clean; every marked misuse is caught, on its line.
    assert all(line.startswith("misuse.py:") for line in errors), done.stdout
    misuse = (tmp / "misuse.py").read_text(encoding="utf-8").splitlines()
    marked = {i for i, line in enumerate(misuse, start=1) if line.endswith("# rejected")}
    reported = {int(match.group(1)) for line in errors if (match := re.match(r"misuse\.py:(\d+):", line))}
    assert reported == marked, done.stdout
    assert len(marked) == 8
