"""Fail when the spec changed in a way that breaks clients, unless its `info.version` says so.

Compares ``openapi/ching.yaml`` with the last released spec (``openapi/ching.released.yaml``,
written by ``make release``). Redocly's ``diff`` (the pinned CLI) rates every change by
the semver bump it needs; two of its ratings are raised here, because they break clients:

- a request field removed: Redocly rates it a patch, but a client still sending the field is
  refused, or silently loses what it sent;
- a response field's type changed in any way: Redocly rates a narrowing as a patch, but a
  generated client's type for the field changes with it, and code using it stops compiling.

The version must then rise by at least the bump needed: major for a breaking change (minor
while the major version is 0), minor for an additive one, patch for anything else.

The package follows the spec: its version (``ching_client/_version.py``) must rise from the one
released with the spec (recorded in the released spec's header) by at least the spec's bump, so a
regenerated SDK installs over the old one and its version says what changed for its users.
``make generate`` raises it that far itself (``--write-version``); a maintainer raises it further
by hand for a change of the SDK alone. ``make release`` (``--release``) records both versions.

    .venv/bin/python scripts/spec_gate.py [--base openapi/ching.released.yaml] [--revision openapi/ching.yaml]
    .venv/bin/python scripts/spec_gate.py --write-version | --check-version | --release
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
REDOCLY = ROOT / "openapi" / "typescript" / "node_modules" / ".bin" / "redocly"
BASE = ROOT / "openapi" / "ching.released.yaml"
REVISION = ROOT / "openapi" / "ching.yaml"
CHANGELOG = ROOT / "openapi" / "CHANGELOG.md"
VERSION_FILE = ROOT / "ching_client" / "_version.py"
RELEASED_HEADER = (
    "# The spec as last released to other teams, written by `make release`. Do not edit:\n"
    "# `make spec-check` compares openapi/ching.yaml with it and fails on an unannounced breaking change.\n"
    "# ching-client version: {package}\n"
)
_PACKAGE_LINE = re.compile(r"^# ching-client version: (\S+)$", re.MULTILINE)
_VERSION_LINE = re.compile(r'^__version__ = "([^"]*)"$', re.MULTILINE)
IMPACTS = ("none", "patch", "minor", "major")
REDOCLY_ENV = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_NOTIFICATIONS": "true",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_COLOR": "1",
}


class GateError(Exception):
    """The comparison itself could not be made (a tool or a file is missing, a version is not semver)."""


@dataclass(frozen=True)
class Change:
    """One rated difference between the released spec and the revision."""

    where: str
    kind: str
    impact: str
    why: str


def _escalated(change: dict[str, Any]) -> str | None:
    """Why our rules rate a change as major where Redocly rates it lower, or None."""
    path, kind, prop = change["path"], change["kind"], change.get("property")
    if kind == "removed" and "/requestBody/" in path and "/properties/" in path:
        return "a request field was removed: clients still sending it break"
    if kind == "modified" and prop == "type" and "/responses/" in path:
        return "a response field's type changed: generated clients' types change with it"
    return None


def _readable(pointer: str) -> str:
    """`#/paths/~1v1~1customers/post/...` as `POST /v1/customers ...`."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("#/").split("/")]
    if len(parts) >= 3 and parts[0] == "paths":
        return f"{parts[2].upper()} {parts[1]} " + "/".join(parts[3:])
    return "/".join(parts)


def compare(base: Path, revision: Path) -> tuple[list[Change], str, str]:
    """Every change between the two specs with its impact, and both `info.version`s."""
    if not REDOCLY.exists():
        raise GateError(f"{REDOCLY} is missing; run: (cd openapi/typescript && npm ci)")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "diff.json"
        result = subprocess.run(
            [
                str(REDOCLY),
                "diff",
                str(base),
                str(revision),
                "--format",
                "json",
                "--fail-on",
                "none",
                "-o",
                str(report),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **REDOCLY_ENV},
            timeout=120,
            check=False,
        )
        if result.returncode != 0 or not report.exists():
            raise GateError(f"redocly diff failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
        data = json.loads(report.read_text(encoding="utf-8"))
    changes = []
    for change in data["changes"]:
        if change["path"] == "#/info" and change.get("property") == "version":
            continue
        reason = _escalated(change)
        verdicts = [v["message"] for v in change.get("verdicts", [])]
        why = reason or (verdicts[0] if verdicts else f"{change['kind']} {change.get('property') or ''}".strip())
        impact = "major" if reason else change["impact"]
        changes.append(Change(_readable(change["path"]), change["kind"], impact, why))
    versions = data["infoVersions"]
    return changes, str(versions["base"]), str(versions["revision"])


def _semver(version: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise GateError(f"info.version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def bump_of(base: str, revision: str) -> str:
    """The bump from `base` to `revision` ("none" if equal); raises if the version went down."""
    old, new = _semver(base), _semver(revision)
    if new < old:
        raise GateError(f"info.version went down from {base} to {revision}")
    for level, (a, b) in zip(("major", "minor", "patch"), zip(old, new, strict=True), strict=True):
        if b > a:
            # While 0.x, a minor bump may break (semver's initial development).
            return "major" if level == "minor" and old[0] == 0 else level
    return "none"


def verdict(changes: list[Change], base: str, revision: str) -> tuple[bool, str]:
    """Whether the version change covers the changes, and a one-line reason."""
    needed = max((c.impact for c in changes), key=IMPACTS.index, default="none")
    given = bump_of(base, revision)
    if IMPACTS.index(given) >= IMPACTS.index(needed):
        return True, f"info.version {base} -> {revision} ({given}) covers the changes ({needed})"
    what = {"major": "a breaking change", "minor": "an additive change", "patch": "a change"}[needed]
    hint = "a major bump (or minor while 0.x)" if needed == "major" else f"at least a {needed} bump"
    return False, f"{what} needs {hint}, but info.version went {base} -> {revision} ({given})"


def raised(version: str, bump: str) -> str:
    """The smallest version above ``version`` by ``bump`` (a major bump is a minor one while 0.x)."""
    major, minor, patch = _semver(version)
    if bump == "major" and major > 0:
        return f"{major + 1}.0.0"
    if bump in ("major", "minor"):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}" if bump == "patch" else version


def info_version(spec: Path) -> str:
    """A spec's ``info.version``."""
    try:
        return str(yaml.safe_load(spec.read_text(encoding="utf-8"))["info"]["version"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise GateError(f"{spec}: cannot read info.version ({type(exc).__name__}: {exc})") from None


def released_package_version(base: Path) -> str:
    """The package version released with the spec ``base``, from its header."""
    found = _PACKAGE_LINE.search(base.read_text(encoding="utf-8"))
    if found is None:
        raise GateError(f"{base} does not record the package version released with it: run `make release`")
    return found.group(1)


def package_version(version_file: Path = VERSION_FILE) -> str:
    """The package version in ``ching_client/_version.py``."""
    found = _VERSION_LINE.search(version_file.read_text(encoding="utf-8"))
    if found is None:
        raise GateError(f'{version_file} has no line `__version__ = "MAJOR.MINOR.PATCH"`')
    return found.group(1)


def required_package_version(base: Path, revision: Path) -> str:
    """The lowest package version that follows the spec: the released one raised by the spec's bump."""
    return raised(released_package_version(base), bump_of(info_version(base), info_version(revision)))


def package_verdict(base: Path, revision: Path, package: str) -> tuple[bool, str]:
    """Whether the package version rose with the spec since the release, and a one-line reason."""
    released, required = released_package_version(base), required_package_version(base, revision)
    spec = f"info.version {info_version(base)} -> {info_version(revision)}"
    if _semver(package) < _semver(released):
        return False, f"the package version went down from {released} (released) to {package}"
    if _semver(package) < _semver(required):
        return False, f"{spec} needs package version {required} or later, but it is {package}: run `make generate`"
    return True, f"package version {released} -> {package} follows {spec}"


def write_version(base: Path = BASE, revision: Path = REVISION, version_file: Path = VERSION_FILE) -> str:
    """Raise the package version to the lowest that follows the spec (``make generate``); never lowers it."""
    current, required = package_version(version_file), required_package_version(base, revision)
    if _semver(current) >= _semver(required):
        return f"package version {current} follows the spec"
    text = version_file.read_text(encoding="utf-8")
    version_file.write_text(_VERSION_LINE.sub(f'__version__ = "{required}"', text, count=1), encoding="utf-8")
    return f"package version {current} -> {required}, following info.version {info_version(revision)}"


def release(base: Path = BASE, revision: Path = REVISION, changelog: Path = CHANGELOG) -> str:
    """Record the spec and the package version as released (``make release``, after every gate passed)."""
    version = info_version(revision)
    if f"## {version}" not in changelog.read_text(encoding="utf-8").splitlines():
        raise GateError(f"{changelog.name} has no '## {version}' entry: describe the release there first")
    package = package_version()
    base.write_text(RELEASED_HEADER.format(package=package) + revision.read_text(encoding="utf-8"), encoding="utf-8")
    shown = base.relative_to(ROOT) if base.is_relative_to(ROOT) else base
    return f"released spec {version} with ching-client {package}: {shown}"


def _report(changes: list[Change], lines: list[tuple[bool, str]]) -> int:
    for change in sorted(changes, key=lambda c: -IMPACTS.index(c.impact)):
        if change.impact != "patch":
            print(f"{change.impact:<6} {change.where}: {change.why}")
    patches = sum(c.impact == "patch" for c in changes)
    if patches:
        print(f"patch  {patches} changes to descriptions, examples and the like (redocly diff lists them)")
    for ok, reason in lines:
        print(("ok: " if ok else "FAIL: ") + reason)
    return 0 if all(ok for ok, _ in lines) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=BASE, help="the released spec (default: %(default)s)")
    parser.add_argument("--revision", type=Path, default=REVISION, help="the spec to check (default: %(default)s)")
    parser.add_argument("--package-version", help="the package version to check (default: ching_client/_version.py)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write-version", action="store_true", help="raise the package version to follow the spec")
    action.add_argument("--check-version", action="store_true", help="fail if the package version lags the spec")
    action.add_argument("--release", action="store_true", help="record the spec and package version as released")
    args = parser.parse_args(argv)
    try:
        if args.write_version:
            print(write_version(args.base, args.revision))
            return 0
        package = args.package_version or package_version()
        if args.check_version:
            ok, reason = package_verdict(args.base, args.revision, package)
            print(reason, file=sys.stdout if ok else sys.stderr)
            return 0 if ok else 1
        if args.release:
            print(release(args.base, args.revision))
            return 0
        changes, base, revision = compare(args.base, args.revision)
        lines = [verdict(changes, base, revision), package_verdict(args.base, args.revision, package)]
    except GateError as exc:
        print(f"spec gate: {exc}", file=sys.stderr)
        return 2
    return _report(changes, lines)


if __name__ == "__main__":
    raise SystemExit(main())
