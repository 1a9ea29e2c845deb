"""`python -m scripts.bench --quick` still runs and reports every figure (`make bench` checks the speed itself),
and the runs the documentation quotes still print."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = [sys.executable, "-m", "scripts.bench"]  # run from the repository's root, as `make bench` does
RUNS = ROOT / "docs" / "performance" / "runs"
HEADINGS = ("Per call", "Loopback", "Import", "Memory", "Bulk", "Load average", "Targets")
ENGINES = ("httpx2", "httpx")
PER_CALL = [
    f"{operation}/{mode}/{engine}"
    for operation in ("retrieve", "list", "create")
    for mode in ("async", "sync")
    for engine in ENGINES
]
BULK_CLIENTS = (
    "AsyncChing",
    "AsyncChing, httpx",
    "AsyncChing, one pool",
    "AsyncChing, one httpx2 pool",
    "Ching",
    "AsyncChing, httpx-aiohttp",
    "raw httpx2",
    "raw httpx",
    "raw aiohttp",
    "minimal client",
)


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_the_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [*BENCH, "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))

    assert "errors" not in results, results.get("errors")
    machine = results["machine"]
    assert machine["cpu"]
    assert machine["default_engine"] == "httpx2"
    for package in ("httpx2", "httpcore2", "httpx", "httpcore", "aiohttp"):
        assert machine["versions"][package], package
    assert set(results["load"]) == {"per_call", "memory", "import", "loopback", "bulk"}
    assert sorted(results["per_call"]) == sorted(PER_CALL)
    for row in results["per_call"].values():
        for figure in ("raw_us", "codec_us", "sdk_us", "codec_ratio", "sdk_ratio"):
            assert _positive(row[figure]), (row["operation"], row["mode"], row["engine"], figure)
        low, high = row["sdk_ratio_spread"]
        assert 0 < low <= high

    loopback = results["loopback"]
    for client in ("raw httpx2", "AsyncChing (httpx2)", "raw httpx", "AsyncChing (httpx)"):
        assert _positive(loopback["clients"][client]["cpu_s_per_1000"])
        assert _positive(loopback["clients"][client]["calls_per_s"])
        assert loopback["clients"][client]["transient_errors"] >= 0
    for engine in ENGINES:
        assert _positive(loopback["cpu_ratio"][engine])

    bulk = results["bulk"]
    assert bulk["server"] == "scripts/fast_ching.py"
    assert set(bulk["clients"]) == set(BULK_CLIENTS)
    for client, figures in [*bulk["clients"].items(), *bulk["local_ching"].items()]:
        assert figures["failed_batches"] == [], client
        assert _positive(figures["ratio_to_ideal"]), client
        assert _positive(figures["client_cpu_ms_per_row"]), client
        assert figures["transient_errors"] >= 0

    for variant in ("without_httpx_cli", "this_venv"):
        imports = results["import"][variant]
        for name in ("python_startup", "httpx", "ching_client", "ching_client_clients"):
            assert _positive(imports[f"{name}_ms"]), (variant, name)
        for ratio in ("ratio", "clients_ratio", "first_call_ratio"):
            assert _positive(imports[ratio]), (variant, ratio)

    for mode in ("async", "sync"):
        assert isinstance(results["memory"][mode]["growth_mb"], int | float)

    assert {t["name"] for t in results["targets"]} >= {
        "retrieve, AsyncChing / raw httpx2",
        "list of 100, AsyncChing / raw httpx2",
        "retrieve, AsyncChing / raw httpx",
        "loopback client CPU, AsyncChing / raw httpx2",
        "upsert_many / ideal, default engine",
        "import ching_client / import httpx",
        "RSS growth, AsyncChing (MB)",
    }
    # The table printed for people (and for the README) has every section, and prints again from the file.
    for heading in HEADINGS:
        assert heading in done.stdout
    again = subprocess.run(
        [*BENCH, "--report", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert again.stdout.strip() == done.stdout.strip()


def test_a_section_that_fails_is_reported_and_the_others_still_run() -> None:
    """A busy machine must not end the run: a failing section is named with its error, the rest is measured."""
    from scripts.bench.__main__ import _run_section

    results: dict[str, Any] = {}

    def broken() -> object:
        raise ConnectionResetError("Server disconnected")

    _run_section(results, "loopback", broken)
    _run_section(results, "memory", lambda: {"first": 1})
    assert results["errors"] == {"loopback": "ConnectionResetError: Server disconnected"}
    assert results["memory"] == {"first": 1}
    assert set(results["load"]) == {"loopback", "memory"}


def test_the_runs_the_documentation_quotes_still_print(capsys: pytest.CaptureFixture[str]) -> None:
    """Every saved run prints all its tables with `--report`: the figures the docs quote can be read again."""
    from scripts.bench.__main__ import main

    runs = sorted(RUNS.glob("*.json"))
    assert runs, f"no runs in {RUNS}"
    for run in runs:
        assert main(["--report", str(run)]) == 0
        printed = capsys.readouterr().out
        for heading in HEADINGS:
            assert heading in printed, (run.name, heading)
        assert "FAILED" not in printed, run.name
