"""Section 3, import time: the wall time of fresh interpreters importing the SDK, and making a first call, next to
httpx doing the same; with this venv and without httpx's optional CLI dependencies, as an application would have it.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from typing import Any

from scripts.bench.common import BASE_URL, CUSTOMER_ID, HEADERS, KEY, ONE_CUSTOMER, RETRIEVE_URL, ROOT, clean_env

_FIRST_CALL_SETUP = (
    "import httpx; "
    f"t = httpx.MockTransport(lambda request: httpx.Response(200, content={ONE_CUSTOMER!r})); "
    "c = httpx.Client(transport=t); "
)
IMPORTS = {
    "python_startup": "pass",
    "httpx": "import httpx",
    "httpx2": "import httpx2",
    "ching_client": "import ching_client",
    "ching_client_clients": "from ching_client import AsyncChing, Ching",
    # Lazy imports move cost to the first call: these show the whole way to a first result.
    "first_call_raw_httpx": _FIRST_CALL_SETUP
    + f"import json; json.loads(c.get({RETRIEVE_URL!r}, headers={HEADERS!r}).content)['data']['id']",
    "first_call_sdk": _FIRST_CALL_SETUP
    + "from ching_client import Ching; "
    + f"Ching(api_key={KEY!r}, base_url={BASE_URL!r}, http_client=c).customers.retrieve({CUSTOMER_ID!r}).id",
}
# This venv has httpx's optional CLI dependencies (click, rich, pygments: dev tools need them), and
# `import httpx` then loads them, about 45 ms more. An application that installs ching-client does
# not have them, so the target is checked without them: marking them missing makes httpx skip its CLI.
WITHOUT_HTTPX_CLI = "import sys; sys.modules.update(click=None, rich=None, pygments=None); "


def import_time(repeats: int) -> dict[str, Any]:
    """Wall time of fresh interpreters running each snippet (median of `repeats`, interleaved)."""
    # A wheel install compiles bytecode; time that, not compiling the package from source
    # (which happens here when PYTHONDONTWRITEBYTECODE is set, as it is in some CI images).
    compileall.compile_dir(ROOT / "ching_client", quiet=1)
    env = clean_env()
    variants = {"without_httpx_cli": WITHOUT_HTTPX_CLI, "this_venv": ""}
    runs = [(variant, name, prefix + code) for variant, prefix in variants.items() for name, code in IMPORTS.items()]
    for _, _, code in runs if repeats > 1 else ():  # warm the page cache (not worth it for a single sample)
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    samples: dict[tuple[str, str], list[float]] = {(variant, name): [] for variant, name, _ in runs}
    for _ in range(repeats):
        for variant, name, code in runs:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
            samples[(variant, name)].append((time.perf_counter() - start) * 1000)
    results: dict[str, Any] = {"repeats": repeats}
    for variant in variants:
        ms = {name: statistics.median(samples[(variant, name)]) for name in IMPORTS}
        results[variant] = {
            **{f"{name}_ms": round(value, 1) for name, value in ms.items()},
            "ratio": round(ms["ching_client"] / ms["httpx"], 2),
            "clients_ratio": round(ms["ching_client_clients"] / ms["httpx"], 2),
            "first_call_ratio": round(ms["first_call_sdk"] / ms["first_call_raw_httpx"], 2),
        }
    return results


def import_profile(top: int = 15) -> list[tuple[str, int, int]]:
    """The modules importing the clients loads after httpx, by cumulative µs (`-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import httpx; {IMPORTS['ching_client_clients']}"],
        check=True,
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = done.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("| httpx")) + 1
    rows = []
    for line in lines[start:]:
        if line.startswith("import time:"):
            self_us, cumulative_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            rows.append((name, int(self_us), int(cumulative_us)))
    return sorted(rows, key=lambda row: row[2], reverse=True)[:top]
