"""make docs: one HTML reference that opens offline and says, per operation, whether it is safe to repeat."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from scripts.build_docs import build

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))


def test_the_reference_fetches_nothing_and_states_repeat_safety(tmp_path: Path) -> None:
    html = build(tmp_path / "ching-api.html").read_text(encoding="utf-8")
    external = re.findall(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//[^>]*>""", html)
    assert external == []
    assert re.findall(r"""(?:import\b[^;]*\bfrom|@import)\s*(?:url\()?["'](?:https?:)?//""", html) == []
    operations = [op for item in SPEC["paths"].values() for op in item.values() if isinstance(op, dict)]
    unsafe = sum(not op["x-ching-safe-to-repeat"] for op in operations)
    assert html.count("Safe to repeat: no.") == unsafe == 3
    assert html.count("Safe to repeat: yes.") == len(operations) - unsafe == 8
    assert "Ching API (2.0.0)" in html or SPEC["info"]["title"] in html


def test_every_operation_has_a_summary_and_a_description() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                assert operation.get("summary"), (method, path)
                assert operation.get("description"), (method, path)
