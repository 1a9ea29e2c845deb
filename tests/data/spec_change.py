"""Make an API change the documented way in a copy of the repository: edit the spec, add its CHANGELOG entry.

``copy_repository(dst)`` copies the repository's files (the checkout's ``.venv`` and npm packages
linked, not copied); ``apply_change(repo)`` then merges ``additive_change.yaml`` into
``repo/openapi/ching.yaml``, raises its ``info.version`` by a minor version and writes the entry for
it into ``repo/openapi/CHANGELOG.md``: what a maintainer does before ``make generate`` and
``make test``, with no edit outside ``openapi/``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from scripts.spec_gate import raised

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ADDITIVE = HERE / "additive_change.yaml"
ADDITIVE_ENTRY = (
    "Added `Customer.companyName` (also accepted by create, update and upsert) and "
    "`customers_list_invoices`, a customer's invoices."
)
#: Installed tools a copy uses from the checkout: far too big to copy, and never written to.
LINKED = (".venv", "openapi/typescript/node_modules")
#: What a copy of a tree that is not a git checkout leaves out: tools, caches, build output.
UNCOPIED = (".git", ".venv", "node_modules", ".tools", "__pycache__", "*_cache", "build", "dist", "generated")


def merge_into(base: Any, overlay: Any) -> Any:
    """``overlay`` merged into ``base`` in place: mappings key by key, lists extended with new items.

    In place, so an object the spec shares through a YAML anchor (the customer example in every
    customer envelope) changes everywhere it appears, as editing the anchored text would.
    """
    if isinstance(base, dict) and isinstance(overlay, dict):
        for key, value in overlay.items():
            base[key] = merge_into(base[key], value) if key in base else value
        return base
    if isinstance(base, list) and isinstance(overlay, list):
        base.extend(item for item in overlay if item not in base)
        return base
    return overlay


def changed_spec(spec_path: Path, overlay_path: Path = ADDITIVE) -> dict[str, Any]:
    """The spec at ``spec_path`` with the overlay merged in."""
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    merged: dict[str, Any] = merge_into(spec, yaml.safe_load(overlay_path.read_text(encoding="utf-8")))
    return merged


def apply_change(repo: Path, overlay_path: Path = ADDITIVE, entry: str = ADDITIVE_ENTRY, bump: str = "minor") -> str:
    """Edit ``repo``'s spec, its version (by ``bump``) and CHANGELOG as a maintainer would; returns the version."""
    spec_path, changelog = repo / "openapi" / "ching.yaml", repo / "openapi" / "CHANGELOG.md"
    spec = changed_spec(spec_path, overlay_path)
    version = spec["info"]["version"] = raised(str(spec["info"]["version"]), bump)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    text = changelog.read_text(encoding="utf-8")
    first = text.index("\n## ") + 1  # the newest entry comes first
    changelog.write_text(f"{text[:first]}## {version}\n\n{entry}\n\n{text[first:]}", encoding="utf-8")
    return version


def copy_repository(dst: Path, root: Path = ROOT) -> Path:
    """The files git tracks in ``root`` (as they are now) copied to ``dst``, the installed tools linked.

    A tree that is not a git checkout (itself a copy) is copied whole, tools, caches and build output aside.
    """
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=False, timeout=60)
    if listed.returncode != 0:
        shutil.copytree(root, dst, symlinks=True, ignore=shutil.ignore_patterns(*UNCOPIED), dirs_exist_ok=True)
    for name in listed.stdout.decode().split("\0") if listed.returncode == 0 else []:
        if name and (root / name).is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dst / name)
    for name in LINKED:
        if (root / name).exists():
            (dst / name).symlink_to(root / name)
    return dst
