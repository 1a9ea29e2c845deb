"""Soak the SDK under random faults and print the figures the README reports.

python scripts/soak.py                       asyncio and trio, 2,000 operations each, 50 at a time, ~10% faults
python scripts/soak.py --backend trio --operations 10000 --seed 3

Each run serves a fresh local Ching on 127.0.0.1 (nothing leaves the machine) and exits non-zero
if any check fails: unexpected errors, duplicates, results inconsistent with the server's final
state, unclosed resources, or memory growth over the bound. The workload lives in
tests/reliability/_soak.py, which the test suite runs too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability._soak import run_and_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    passed = run_and_report(
        backends,
        operations=args.operations,
        concurrency=args.concurrency,
        fault_rate=args.fault_rate,
        seed=args.seed,
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
