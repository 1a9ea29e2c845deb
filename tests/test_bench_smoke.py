"""`scripts/bench.py --quick` still runs and reports every figure (the speed itself is checked by `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_CALL = [f"{operation}/{mode}" for operation in ("retrieve", "list", "create") for mode in ("async", "sync")]


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_the_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))

    assert results["machine"]["cpu"]
    assert sorted(results["per_call"]) == sorted(PER_CALL)
    for row in results["per_call"].values():
        for figure in ("raw_httpx_us", "codec_us", "sdk_us", "codec_ratio", "sdk_ratio"):
            assert _positive(row[figure]), (row["operation"], row["mode"], figure)

    loopback = results["loopback"]
    for client in ("raw_httpx", "sdk"):
        assert _positive(loopback[client]["cpu_s_per_1000"])
        assert _positive(loopback[client]["calls_per_s"])
    assert _positive(loopback["cpu_ratio"])

    for variant in ("without_httpx_cli", "this_venv"):
        imports = results["import"][variant]
        for name in ("python_startup", "httpx", "ching_client", "ching_client_clients"):
            assert _positive(imports[f"{name}_ms"]), (variant, name)
        for ratio in ("ratio", "clients_ratio", "first_call_ratio"):
            assert _positive(imports[ratio]), (variant, ratio)

    for mode in ("async", "sync"):
        assert isinstance(results["memory"][mode]["growth_mb"], int | float)

    assert {t["name"] for t in results["targets"]} >= {
        "retrieve, AsyncChing / raw httpx",
        "list of 100, AsyncChing / raw httpx",
        "loopback client CPU, AsyncChing / raw httpx",
        "import ching_client / import httpx",
        "RSS growth, AsyncChing (MB)",
    }
    # The table printed for people (and for the README) has every section.
    for heading in ("Per call", "Loopback", "Import", "Memory", "Targets"):
        assert heading in done.stdout
