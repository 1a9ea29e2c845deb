"""make spec-check's breaking-change gate: each kind of breaking change fails unless info.version says so."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.spec_gate import bump_of, main

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))
Edit = Callable[[dict[str, Any]], None]


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


def _gate(tmp_path: Path, edit: Edit, version: str, base_version: str | None = None) -> tuple[int, str]:
    base = copy.deepcopy(SPEC)
    if base_version:
        base["info"]["version"] = base_version
    revision = copy.deepcopy(base)
    edit(revision)
    revision["info"]["version"] = version
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    (tmp_path / "revision.yaml").write_text(yaml.safe_dump(revision, sort_keys=False), encoding="utf-8")
    return main(["--base", str(tmp_path / "base.yaml"), "--revision", str(tmp_path / "revision.yaml")]), ""


@pytest.mark.parametrize("edit", BREAKING, ids=lambda e: e.__name__)
def test_a_breaking_change_fails_without_a_major_bump(
    edit: Edit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    major = int(SPEC["info"]["version"].split(".")[0])
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
    major = int(SPEC["info"]["version"].split(".")[0])
    assert _gate(tmp_path, add_fields, f"{major}.1.0")[0] == 0
    assert "(minor) covers the changes (minor)" in capsys.readouterr().out
    assert _gate(tmp_path, add_fields, SPEC["info"]["version"])[0] == 1
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
