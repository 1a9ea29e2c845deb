"""`make deps-range`: the SDK at both ends of its `[project] dependencies` range, on both HTTP engines.

The HTTP layer relies on private names of httpx, httpcore, httpx2 and httpcore2 (ching_client/_http/private.py), so
a range pyproject.toml declares must be a range that was tried. Two throwaway virtualenvs under build/deps-range:

- ``lowest``: each dependency at its lower bound exactly (uv's ``lowest-direct`` resolution, each bound forced over
  what a test tool asks for: trio wants a newer attrs than the SDK needs);
- ``highest``: the newest versions the upper bounds allow.

The ``otel`` extra's dependencies (``EXTRAS``) are tried at both ends too, with opentelemetry-sdk (which the tests
read spans and metrics back with) at the API's version: each SDK release requires its own API release exactly.

Each gets the package (editable, with its ``testing`` and ``otel`` extras) and the test tools the suites need at the
dev group's pins, then runs the check of the engines' private names and the suites that exercise the HTTP layer
(the client suite includes ``ching_client.otel``'s), once on each engine (``CHING_HTTP_ENGINE``). pytest-httpx pins
httpx to one minor, so the two client modules that use it stay out, as do the two soak tests of pool healing (minutes
long): ``make test`` runs them on the dev environment.

To raise an upper bound: raise it in pyproject.toml and run ``make deps-range``. A failure names the end, the
versions it installed, and the test; then pin below the release that broke, or adapt ching_client/_http/private.py.

    .venv/bin/python scripts/deps_range.py [lowest] [highest]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
PLACE: Final = ROOT / "build" / "deps-range"
ENDS: Final = {"lowest": "lowest-direct", "highest": "highest"}
ENGINES: Final = ("httpx2", "httpx")
TOOLS: Final = ("pytest", "pytest-asyncio", "trio", "uvloop", "trustme", "uvicorn", "phonenumbers")
# Extras whose dependencies are tried at both ends like the [project] ones.
EXTRAS: Final = ("otel",)
# The opentelemetry-sdk the tests use, at the version of the opentelemetry-api installed (its exact requirement).
OTEL_SDK: Final = "opentelemetry-sdk"
SOAKS: Final = (
    "tests/reliability/test_pool_healing.py::test_the_async_pool_survives_cancellations",
    "tests/reliability/test_pool_healing.py::test_the_sync_pool_survives_exceptions_from_signal_handlers",
)
SUITES: Final = (
    "tests/test_engine_internals.py",
    "tests/clients",
    "--ignore=tests/clients/test_errors.py",  # pytest-httpx
    "--ignore=tests/clients/test_lifecycle.py",  # pytest-httpx
    "tests/reliability/test_pool_healing.py",
    *(f"--deselect={soak}" for soak in SOAKS),
    "tests/reliability/test_pool_reuse.py",
    "tests/reliability/test_sync_deadline.py",
    "tests/reliability/test_asyncio_backend.py",
    "tests/reliability/test_fork.py",
    "tests/reliability/test_event_loops.py",
)
# Packages whose versions a failure report shows: the dependencies and the httpcore each httpx brings.
SHOWN: Final = ("httpx", "httpcore", "httpx2", "httpcore2", "h11", "anyio", "attrs", "sniffio", "opentelemetry-api")


def project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def floors(dependencies: list[str]) -> list[str]:
    """Each dependency pinned to its lower bound (``httpx>=0.25.1,<0.30`` gives ``httpx==0.25.1``)."""
    pinned = []
    for requirement in dependencies:
        bound = re.search(r">=\s*([^,;\s]+)", requirement)
        if bound is None:
            raise SystemExit(f"pyproject.toml: {requirement!r} has no lower bound (>=): give it one")
        pinned.append(f"{_name(requirement)}=={bound.group(1)}")
    return pinned


def ranged(config: dict[str, Any]) -> list[str]:
    """The requirements tried at both ends: the [project] dependencies and those of ``EXTRAS``."""
    extras = config["project"]["optional-dependencies"]
    return [*config["project"]["dependencies"], *(r for extra in EXTRAS for r in extras[extra])]


def otel_sdk(end: str, requirements: list[str]) -> str:
    """opentelemetry-sdk for ``end``: at the API's lower bound for ``lowest``, else the newest (with its API)."""
    if end != "lowest":
        return OTEL_SDK
    (api,) = [pin for pin in floors(requirements) if pin.startswith("opentelemetry-api==")]
    return f"{OTEL_SDK}=={api.split('==', 1)[1]}"


def tool_pins(dev: list[Any]) -> list[str]:
    """The dev group's pins of ``TOOLS``, so that only the dependencies move between the two ends."""
    pins = [r for r in dev if isinstance(r, str) and _name(r) in TOOLS]
    missing = set(TOOLS) - {_name(pin) for pin in pins}
    if missing:
        raise SystemExit(f"pyproject.toml's dev group has no pin for {sorted(missing)}")
    return pins


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise SystemExit("uv is missing: `make setup` installs it with the dev group")
    return found


def run(command: list[str], **env: str) -> None:
    subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", **env})


def build(end: str) -> Path:
    """A fresh virtualenv for ``end`` with the package, its dependencies at that end, and the pinned test tools."""
    config = project()
    venv = PLACE / end
    shutil.rmtree(venv, ignore_errors=True)
    run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    command = [uv(), "pip", "install", "--quiet", "--python", str(python), "--resolution", ENDS[end]]
    requirements = ranged(config)
    if end == "lowest":
        overrides = PLACE / "lowest-overrides.txt"
        overrides.write_text("\n".join(floors(requirements)) + "\n", encoding="utf-8")
        command += ["--override", str(overrides)]
    extras = ",".join(("testing", *EXTRAS))
    run([*command, "-e", f".[{extras}]", otel_sdk(end, requirements), *tool_pins(config["dependency-groups"]["dev"])])
    return python


def versions(python: Path) -> str:
    script = "import importlib.metadata as m, sys; print(' '.join(f'{n} {m.version(n)}' for n in sys.argv[1:]))"
    return subprocess.run(
        [str(python), "-c", script, *SHOWN], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def check(end: str) -> bool:
    """Build ``end`` and run the suites on each engine; False (after saying what failed) if any failed.

    The two engines' passes run at once: most of their time is spent waiting (deadlines, timeouts, loopback servers),
    so together they take little longer than one. Each writes to a log of its own, shown whole when it fails."""
    started = time.monotonic()
    python = build(end)
    installed = versions(python)
    print(f"deps-range {end}: {installed} (installed in {time.monotonic() - started:.0f} s)", flush=True)
    started = time.monotonic()
    passes = {engine: start_pass(python, end, engine) for engine in ENGINES}
    passed = True
    for engine, (process, log) in passes.items():
        failed = process.wait() != 0
        lines = log.read_text(encoding="utf-8").splitlines()
        print("\n".join(lines if failed else lines[-1:]), flush=True)
        outcome = "FAILED" if failed else "passed"
        print(f"deps-range {end}, engine {engine}: {outcome} ({time.monotonic() - started:.0f} s)", flush=True)
        passed = passed and not failed
    if not passed:
        print(
            f"deps-range {end} failed with {installed}. If a new release broke a test, pin below it in "
            "pyproject.toml's [project] dependencies or adapt the SDK (ching_client/_http/private.py for the "
            "engines' private names); if a lowest version fails, raise that lower bound.",
            flush=True,
        )
    return passed


def start_pass(python: Path, end: str, engine: str) -> tuple[subprocess.Popen[bytes], Path]:
    """The suites on one engine, in the background, writing to ``build/deps-range/<end>-<engine>.log``."""
    log = PLACE / f"{end}-{engine}.log"
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES]
    with log.open("wb") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "CHING_HTTP_ENGINE": engine}
        )
    return process, log


def main(argv: list[str]) -> int:
    ends = argv or list(ENDS)
    unknown = [end for end in ends if end not in ENDS]
    if unknown:
        raise SystemExit(f"unknown end {unknown}: use {list(ENDS)}")
    PLACE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = [check(end) for end in ends]  # both ends run, so one report shows both
    print(f"deps-range: {'passed' if all(results) else 'FAILED'} in {time.monotonic() - started:.0f} s", flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
