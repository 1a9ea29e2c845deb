"""The evolved spec: ``openapi/ching.yaml`` with ``overlay.yaml`` merged in, built when the test runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BASE = HERE.parent.parent / "openapi" / "ching.yaml"
OVERLAY = HERE / "overlay.yaml"


def merge(base: Any, overlay: Any) -> Any:
    """Mappings are merged key by key; lists are extended with the overlay's new items; anything else is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(overlay, list):
        return base + [item for item in overlay if item not in base]
    return overlay


def evolved_spec() -> dict[str, Any]:
    base = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    overlay = yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))
    merged: dict[str, Any] = merge(base, overlay)
    return merged


def write_evolved_spec(path: Path) -> Path:
    path.write_text(yaml.safe_dump(evolved_spec(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
