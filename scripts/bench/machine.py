"""What the figures were measured on: the processor, memory, system, Python, every engine's and peer's version, and
the machine's load (other work on a shared machine skews every figure, so each section records it before and after).
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

from scripts.bench.common import DEFAULT_ENGINE

VERSIONS = ("httpx2", "httpcore2", "httpx", "httpcore", "h11", "anyio", "aiohttp", "httpx-aiohttp", "uvicorn")


def proc_value(path: str, prefix: str) -> str | None:
    """The value of the first ``prefix: value`` line of a /proc file (None off Linux)."""
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def load_average() -> float | None:
    """The machine's 1-minute load average: other work on it skews every figure."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def versions() -> dict[str, str | None]:
    """The installed version of each engine and peer (None where one is missing)."""
    found: dict[str, str | None] = {}
    for name in VERSIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import ching_client

    mem_kb = proc_value("/proc/meminfo", "MemTotal")
    return {
        "cpu": proc_value("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(int(mem_kb.split()[0]) / 1024**2, 1) if mem_kb else None,
        "os": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "ching_client": ching_client.__version__,
        "default_engine": DEFAULT_ENGINE,
        "versions": versions(),
        "load_average_1m": load_average(),
    }


def describe(m: dict[str, Any]) -> str:
    """The machine in one line, the first of every report."""
    memory = f", {m['memory_gib']} GiB RAM" if m["memory_gib"] else ""
    v = m["versions"]
    engines = f"httpx2 {v['httpx2']}, httpx {v['httpx']}, aiohttp {v['aiohttp']}"
    load = f" (load average {m['load_average_1m']} at the start)" if m["load_average_1m"] is not None else ""
    return f"{m['cpu']}, {m['cpus']} CPUs{memory}, {m['os']}, {m['python']}, {engines}{load}"
