"""make spec-check's release gate: each kind of breaking change fails unless info.version says so, and the
package version must rise with the spec; make generate raises it, make release records both; and
make spec-check reports every gate, on the spec as it is and on the spec after an additive change."""

from __future__ import annotations

import copy
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.naming import HTTP_METHODS
from scripts.spec_gate import (
    RELEASED_HEADER,
    GateError,
    bump_of,
    info_version,
    main,
    package_version,
    raised,
    release,
    released_package_version,
    required_package_version,
    write_version,
)
from tests.data.spec_change import apply_change, copy_repository

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))
Edit = Callable[[dict[str, Any]], None]
#: The released version the gate's cases start from, whatever the spec's own is today.
BASE_VERSION = "2.0.0"
MAJOR = 2


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def narrow_request_field(spec: dict[str, Any]) -> None:
    _schemas(spec)["ProductUpdateRequest"]["properties"]["description"]["type"] = "string"  # null no longer clears


def change_request_field_type(spec: dict[str, Any]) -> None:
    _schemas(spec)["CustomerCreateRequest"]["properties"]["phone"]["type"] = "integer"


def remove_optional_request_field(spec: dict[str, Any]) -> None:
    del _schemas(spec)["CustomerCreateRequest"]["properties"]["locale"]


def make_optional_field_required(spec: dict[str, Any]) -> None:
    _schemas(spec)["CustomerCreateRequest"]["required"].append("email")


def remove_response_field(spec: dict[str, Any]) -> None:
    product = _schemas(spec)["Product"]
    del product["properties"]["active"]
    product["required"].remove("active")
    for example in spec["components"]["examples"].values():
        data = example["value"].get("data")
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("object") == "product":
                item.pop("active", None)


def change_response_field(spec: dict[str, Any]) -> None:
    _schemas(spec)["Customer"]["properties"]["phone"]["type"] = "string"  # no longer nullable


BREAKING: list[Edit] = [
    narrow_request_field,
    change_request_field_type,
    remove_optional_request_field,
    make_optional_field_required,
    remove_response_field,
    change_response_field,
]


def _write_pair(tmp_path: Path, base: dict[str, Any], revision: dict[str, Any], released_package: str) -> list[str]:
    """The released spec (with its header) and the revision as files; the arguments naming them."""
    header = RELEASED_HEADER.format(package=released_package)
    (tmp_path / "base.yaml").write_text(header + yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    (tmp_path / "revision.yaml").write_text(yaml.safe_dump(revision, sort_keys=False), encoding="utf-8")
    return ["--base", str(tmp_path / "base.yaml"), "--revision", str(tmp_path / "revision.yaml")]


def _gate(
    tmp_path: Path, edit: Edit, version: str, base_version: str | None = None, package: str | None = None
) -> tuple[int, str]:
    """The gate's exit status on ``edit`` with ``version``; the package (released as 1.4.2) follows unless given."""
    base = copy.deepcopy(SPEC)
    base["info"]["version"] = base_version or BASE_VERSION
    revision = copy.deepcopy(base)
    edit(revision)
    revision["info"]["version"] = version
    args = _write_pair(tmp_path, base, revision, "1.4.2")
    following = raised("1.4.2", bump_of(base["info"]["version"], version))
    return main([*args, "--package-version", package or following]), ""


@pytest.mark.parametrize("edit", BREAKING, ids=lambda e: e.__name__)
def test_a_breaking_change_fails_without_a_major_bump(
    edit: Edit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    major = MAJOR
    assert _gate(tmp_path, edit, f"{major}.1.0")[0] == 1
    out = capsys.readouterr().out
    assert out.startswith("major ")
    assert "FAIL: a breaking change needs a major bump" in out
    assert _gate(tmp_path, edit, f"{major + 1}.0.0")[0] == 0
    assert "ok: info.version" in capsys.readouterr().out


def test_while_0x_a_minor_bump_may_break(tmp_path: Path) -> None:
    assert _gate(tmp_path, remove_response_field, "0.4.0", base_version="0.3.2")[0] == 0
    assert _gate(tmp_path, remove_response_field, "0.3.3", base_version="0.3.2")[0] == 1


def add_fields(spec: dict[str, Any]) -> None:
    _schemas(spec)["Product"]["properties"]["tax_code"] = {"type": "string", "description": "Tax code."}
    _schemas(spec)["ProductCreateRequest"]["properties"]["tax_code"] = {"type": "string", "description": "Tax code."}


def test_an_additive_change_passes_with_a_minor_bump_and_fails_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    major = MAJOR
    assert _gate(tmp_path, add_fields, f"{major}.1.0")[0] == 0
    assert "(minor) covers the changes (minor)" in capsys.readouterr().out
    assert _gate(tmp_path, add_fields, BASE_VERSION)[0] == 1
    assert "FAIL: an additive change needs at least a minor bump" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("base", "revision", "bump"),
    [
        ("1.2.3", "1.2.3", "none"),
        ("1.2.3", "1.2.4", "patch"),
        ("1.2.3", "1.3.0", "minor"),
        ("1.2.3", "2.0.0", "major"),
        ("0.2.3", "0.3.0", "major"),
        ("0.2.3", "0.2.4", "patch"),
    ],
)
def test_bump_of(base: str, revision: str, bump: str) -> None:
    assert bump_of(base, revision) == bump


def test_the_released_baseline_is_the_spec_or_an_older_version_of_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("ok: ")


def test_the_changelog_describes_the_spec_version_and_the_released_one() -> None:
    changelog = (ROOT / "openapi" / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
    released = yaml.safe_load((ROOT / "openapi" / "ching.released.yaml").read_text(encoding="utf-8"))
    assert f"## {SPEC['info']['version']}" in changelog
    assert f"## {released['info']['version']}" in changelog


@pytest.mark.parametrize(
    ("version", "bump", "expected"),
    [
        ("1.4.2", "none", "1.4.2"),
        ("1.4.2", "patch", "1.4.3"),
        ("1.4.2", "minor", "1.5.0"),
        ("1.4.2", "major", "2.0.0"),
        ("0.1.0", "minor", "0.2.0"),
        ("0.1.3", "major", "0.2.0"),
    ],
)
def test_raised(version: str, bump: str, expected: str) -> None:
    assert raised(version, bump) == expected


def test_the_package_version_must_rise_with_the_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    major = MAJOR
    # An additive spec change (a minor bump) released with the package unchanged: pip would keep the old SDK.
    assert _gate(tmp_path, add_fields, f"{major}.1.0", package="1.4.2")[0] == 1
    out = capsys.readouterr().out
    assert f"FAIL: info.version {BASE_VERSION} -> {major}.1.0 needs package version 1.5.0 or later" in out
    assert _gate(tmp_path, add_fields, f"{major}.1.0", package="1.5.0")[0] == 0
    assert "ok: package version 1.4.2 -> 1.5.0 follows" in capsys.readouterr().out
    # A breaking spec change needs a major package bump.
    assert _gate(tmp_path, remove_response_field, f"{major + 1}.0.0", package="1.5.0")[0] == 1
    assert "needs package version 2.0.0 or later, but it is 1.5.0" in capsys.readouterr().out
    # Down is never right.
    assert _gate(tmp_path, add_fields, f"{major}.1.0", package="1.4.1")[0] == 1
    assert "the package version went down from 1.4.2 (released) to 1.4.1" in capsys.readouterr().out


def _version_file(tmp_path: Path, version: str) -> Path:
    path = tmp_path / "_version.py"
    path.write_text(f'"""The version."""\n\n__version__ = "{version}"\n', encoding="utf-8")
    return path


def test_make_generate_raises_the_package_version_with_the_spec_and_never_lowers_it(tmp_path: Path) -> None:
    args = _write_pair(tmp_path, _spec_with_version("2.0.0"), _spec_with_version("2.1.0"), "0.1.0")
    base, rev = Path(args[1]), Path(args[3])
    version_file = _version_file(tmp_path, "0.1.0")
    assert write_version(base, rev, version_file) == "package version 0.1.0 -> 0.2.0, following info.version 2.1.0"
    assert version_file.read_text(encoding="utf-8") == '"""The version."""\n\n__version__ = "0.2.0"\n'
    assert write_version(base, rev, version_file) == "package version 0.2.0 follows the spec"
    _version_file(tmp_path, "0.5.1")  # raised by hand for a change of the SDK alone
    assert write_version(base, rev, version_file) == "package version 0.5.1 follows the spec"
    assert 'version__ = "0.5.1"' in version_file.read_text(encoding="utf-8")


def _spec_with_version(version: str) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    spec["info"]["version"] = version
    return spec


def test_make_release_records_the_spec_and_the_package_version(tmp_path: Path) -> None:
    args = _write_pair(tmp_path, SPEC, _spec_with_version("2.1.0"), "0.1.0")
    base, rev = Path(args[1]), Path(args[3])
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## 2.0.0\n\nBefore.\n", encoding="utf-8")
    with pytest.raises(GateError, match=r"CHANGELOG\.md has no '## 2\.1\.0' entry: describe the release there first"):
        release(base, rev, changelog)
    changelog.write_text("# Changelog\n\n## 2.1.0\n\nAdded.\n\n## 2.0.0\n\nBefore.\n", encoding="utf-8")
    release(base, rev, changelog)
    package = ROOT.joinpath("ching_client", "_version.py").read_text(encoding="utf-8").split('"')[1]
    text = base.read_text(encoding="utf-8")
    assert text == RELEASED_HEADER.format(package=package) + rev.read_text(encoding="utf-8")


def test_the_released_spec_records_the_package_version_it_shipped_with() -> None:
    released = (ROOT / "openapi" / "ching.released.yaml").read_text(encoding="utf-8")
    assert released.startswith(RELEASED_HEADER.split("{")[0])


# make spec-check itself, on a copy of the repository. The npm tools come from openapi/typescript (make setup).
SPEC_CHECK_TOOLS = ROOT / "openapi" / "typescript" / "node_modules" / ".bin" / "tsc"


def _spec_check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/spec_check.sh"], cwd=repo, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    assert SPEC_CHECK_TOOLS.exists(), "run `make setup` first: make spec-check needs openapi/typescript's npm tools"
    return copy_repository(tmp_path / "repo")


def _operation_count(spec_path: Path) -> int:
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return sum(method in HTTP_METHODS for item in spec["paths"].values() for method in item)


def _versions(repo: Path) -> tuple[str, str]:
    """The released spec version, and the package version that follows the repository's spec."""
    base, revision = repo / "openapi" / "ching.released.yaml", repo / "openapi" / "ching.yaml"
    current = package_version(repo / "ching_client" / "_version.py")
    required = required_package_version(base, revision)
    return info_version(base), max(current, required, key=lambda v: tuple(int(n) for n in v.split(".")))


def test_spec_check_passes_after_an_additive_change_made_only_in_openapi(repo: Path) -> None:
    # A new operation and field, the spec's version and CHANGELOG entry: every TypeScript gate follows
    # (a typed call of the new operation is generated), with no file outside openapi/ to extend.
    version = apply_change(repo)
    subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "scripts/spec_gate.py", "--write-version"],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=60,
    )
    done = _spec_check(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    count = _operation_count(repo / "openapi" / "ching.yaml")
    assert f"typed calls of all {count} operations compile (strict)" in done.stdout
    assert f"follows info.version {_versions(repo)[0]} -> {version}" in done.stdout
    calls = (repo / "openapi" / "typescript" / "generated" / "calls.ts").read_text(encoding="utf-8")
    assert 'client.GET("/v1/customers/{id}/invoices"' in calls


def test_spec_check_runs_every_gate_and_reports_each_failure(repo: Path) -> None:
    # Two mistakes at once: an operation without a summary (Redocly) and an additive change without a
    # version bump (the release gate). Both are reported in one run, and the gates between them still run.
    apply_change(repo)
    spec_path = repo / "openapi" / "ching.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["info"]["version"] = _versions(repo)[0]  # as released: not raised
    del spec["paths"]["/v1/customers/{id}/invoices"]["get"]["summary"]
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    done = _spec_check(repo)
    assert done.returncode == 1
    assert "FAIL  redocly lint (recommended-strict)" in done.stderr
    assert "ok    openapi-spec-validator" in done.stdout
    assert f"ok    tsc client.ts, generated/calls.ts: typed calls of all {_operation_count(spec_path)}" in done.stdout
    assert "FAIL  release gate" in done.stderr
    # Additive on its own; breaking too while the spec holds unreleased breaking changes.
    needs = r"FAIL: (an additive change needs at least a minor|a breaking change needs a major) bump"
    assert re.search(needs, done.stderr)
    assert "spec-check: 2 gate(s) failed" in done.stderr


def test_the_sdk_regenerated_after_an_additive_change_installs_as_a_new_version(repo: Path, tmp_path: Path) -> None:
    # The documented steps, with no edit outside openapi/: the regenerated SDK is a new version to pip
    # (0.1.0 stayed "already installed" before: now 0.2.0), and the new model is in it. `make generate`'s commands
    # are run one by one: make would rebuild the linked .venv for the copy's newer pyproject.toml.
    apply_change(repo)
    python = str(repo / ".venv" / "bin" / "python")
    for command in (
        ["-m", "generator.generate"],
        ["-m", "generator.unasync"],
        ["scripts/spec_gate.py", "--write-version"],
    ):
        subprocess.run([python, *command], cwd=repo, check=True, capture_output=True, timeout=300)
    dist = tmp_path / "dist"
    subprocess.run(
        [python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), "."],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.iterdir()
    assert wheel.name == f"ching_client-{_versions(repo)[1]}-py3-none-any.whl"
    assert _versions(repo)[1] != released_package_version(repo / "openapi" / "ching.released.yaml")
    with zipfile.ZipFile(wheel) as archive:
        assert "ching_client/_generated/models/invoice.py" in archive.namelist()
