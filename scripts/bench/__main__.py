"""Measure what the SDK costs on top of its HTTP engine: per-call overhead, loopback CPU, bulk upserts, import, memory.

python -m scripts.bench                  the full run (about ten minutes); prints tables, writes bench-results.json
python -m scripts.bench --quick          a tiny run that only checks every figure is produced (the smoke test)
python -m scripts.bench --report FILE    print the tables of an earlier run's bench-results.json again
                                         (the runs the documentation quotes are in docs/performance/runs/)
python -m scripts.bench --import-profile also list the modules `from ching_client import ...` spends time on

Run it from the repository's root, as `make bench` does.

The SDK runs on httpx2 (its default engine) or httpx, and its limit on each is raw code on the same engine doing the
same request, so every figure is given next to it and as a ratio; the bulk section adds raw aiohttp and a minimal
HTTP/1.1 client on asyncio streams, the limit for any Python client. Timings are medians over rounds after a
warm-up, with their spread; the columns take turns round by round (in a rotating order) so that drift on a shared
machine hits them alike, and loaded runs are measured in CPU time where wall time would mostly measure the load.

A busy machine cannot crash a run: a request that fails in a raw client is counted as a transient error and sent
again (every request here is safe to repeat), an SDK call that fails is counted, and a section that fails as a whole
is reported as failed while the others go on. `bench-results.json` records the machine, every engine's and peer's
version, the load average before and after each section, and every sample.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.bench.bulk import bulk
from scripts.bench.common import ROOT
from scripts.bench.import_time import import_profile, import_time
from scripts.bench.loopback import loopback
from scripts.bench.machine import describe, load_average, machine
from scripts.bench.memory import memory
from scripts.bench.per_call import per_call
from scripts.bench.report import report, targets

DEFAULT_JSON = ROOT / "bench-results.json"
COMMAND = "make bench"


def _run_section(results: dict[str, Any], name: str, run: Callable[[], Any]) -> None:
    """Run one section; a failure is recorded and printed, and the next section runs all the same."""
    before = load_average()
    try:
        results[name] = run()
    except Exception:
        error = traceback.format_exc(limit=5)
        results.setdefault("errors", {})[name] = error.strip().splitlines()[-1]
        print(f"section {name} failed:\n{error}", file=sys.stderr)
    results.setdefault("load", {})[name] = [before, load_average()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the script works, not the speed")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures (%(default)s)")
    parser.add_argument("--rounds", type=int, help="timed rounds per figure (default 7; --quick 2)")
    parser.add_argument("--report", type=Path, metavar="FILE", help="print the tables of an earlier run's figures")
    parser.add_argument("--import-profile", action="store_true", help="list the slowest modules behind the import")
    args = parser.parse_args(argv)
    if args.report is not None:
        earlier = json.loads(args.report.read_text(encoding="utf-8"))
        earlier["targets"] = targets(earlier)  # as the targets read now
        print(report(earlier))
        return 0
    quick = args.quick
    settings: dict[str, Any] = {
        "quick": quick,
        "rounds": args.rounds or (2 if quick else 7),
        "calls_per_batch": 20 if quick else 1000,
        "loopback_calls": 200 if quick else 5000,
        "loopback_concurrency": 8 if quick else 64,
        "loopback_rounds": 1 if quick else 4,
        "import_repeats": 1 if quick else 10,
        "memory_calls": (100, 1000) if quick else (1000, 10000),
        "bulk_rows": 200 if quick else 10_000,
        "bulk_concurrency": 8 if quick else 32,
        "bulk_latency": 0.005 if quick else 0.02,
        "bulk_rounds": 1 if quick else 3,
        "bulk_peak_rows": (200, 1000) if quick else (10_000, 100_000),
    }
    results: dict[str, Any] = {"machine": machine(), "command": COMMAND, "settings": settings}
    print(f"Machine: {describe(results['machine'])}", file=sys.stderr)
    sections: list[tuple[str, Callable[[], Any]]] = [
        ("per_call", lambda: per_call(settings["calls_per_batch"], settings["rounds"])),
        ("memory", lambda: memory(*settings["memory_calls"])),
        ("import", lambda: import_time(settings["import_repeats"])),
        (
            "loopback",
            lambda: loopback(settings["loopback_calls"], settings["loopback_concurrency"], settings["loopback_rounds"]),
        ),
        (
            "bulk",
            lambda: bulk(
                settings["bulk_rows"],
                settings["bulk_concurrency"],
                settings["bulk_latency"],
                settings["bulk_rounds"],
                settings["bulk_peak_rows"],
            ),
        ),
    ]
    for number, (name, run) in enumerate(sections, 1):
        print(f"{number}/{len(sections)} {name} ...", file=sys.stderr)
        _run_section(results, name, run)
    results["machine"]["load_average_1m_at_the_end"] = load_average()
    results["targets"] = targets(results)
    print(report(results))
    if args.import_profile:
        print("\nSlowest modules `from ching_client import AsyncChing, Ching` imports after httpx (µs):")
        for name, self_us, cumulative_us in import_profile():
            print(f"  {cumulative_us:>8} cumulative {self_us:>8} self  {name}")
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {args.json}", file=sys.stderr)
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    raise SystemExit(main())
