"""The report: every section's table, in the order of the issue, and the targets each figure is held to.

The tables are Markdown (readable in a terminal, pasteable into the docs); they are built from the results alone, so
`--report FILE` prints an earlier run's tables again, with the targets as they read now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scripts.bench.bulk import BULK_LABELS
from scripts.bench.common import ENGINES
from scripts.bench.loopback import LOOPBACK_CLIENTS, engine_of
from scripts.bench.machine import describe

TARGETS = {
    "retrieve": 1.25,
    "list": 1.4,
    "loopback_cpu": 1.3,
    "import": 1.5,
    "memory_mb": 5.0,
    "bulk_best": 1.15,
    "bulk_default": 1.3,
    "bulk_peak_growth_mb": 5.0,
}


def _get(results: dict[str, Any], *path: str) -> Any:
    """A figure of the results, or None where its section failed or the client's batches all did."""
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue, with the measured value and whether it is met."""
    checks: list[tuple[str, Any, float]] = []
    for name in ENGINES:
        for operation, label, limit in (("retrieve", "retrieve", "retrieve"), ("list", "list of 100", "list")):
            ratio = _get(results, "per_call", f"{operation}/async/{name}", "sdk_ratio")
            checks.append((f"{label}, AsyncChing / raw {name}", ratio, TARGETS[limit]))
    for name in ENGINES:
        ratio = _get(results, "loopback", "cpu_ratio", name)
        checks.append((f"loopback client CPU, AsyncChing / raw {name}", ratio, TARGETS["loopback_cpu"]))
    imports = _get(results, "import", "without_httpx_cli") or {}
    checks += [
        ("import ching_client / import httpx", imports.get("ratio"), TARGETS["import"]),
        ("import AsyncChing, Ching / import httpx", imports.get("clients_ratio"), TARGETS["import"]),
        ("RSS growth, AsyncChing (MB)", _get(results, "memory", "async", "growth_mb"), TARGETS["memory_mb"]),
        ("RSS growth, Ching (MB)", _get(results, "memory", "sync", "growth_mb"), TARGETS["memory_mb"]),
    ]
    clients = _get(results, "bulk", "clients") or {}
    sdk = {  # the engines: not the variants of one engine's pool
        c: f["ratio_to_ideal"]
        for c, f in clients.items()
        if c.startswith("AsyncChing") and "pool" not in c and "ratio_to_ideal" in f
    }
    best = min(sdk, key=lambda c: sdk[c]) if sdk else None
    checks += [
        (f"upsert_many / ideal, best engine ({best})", sdk.get(best) if best else None, TARGETS["bulk_best"]),
        ("upsert_many / ideal, default engine", sdk.get("AsyncChing"), TARGETS["bulk_default"]),
        (
            "upsert_many peak RSS, more rows (MB)",
            _get(results, "bulk", "peak_rss_growth_mb"),
            TARGETS["bulk_peak_growth_mb"],
        ),
    ]
    return [
        {"name": name, "value": value, "limit": limit, "met": value is not None and value <= limit}
        for name, value, limit in checks
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: readable in a terminal, pasteable into the README."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)])


def _x(ratio: float) -> str:
    """A ratio as the tables print it: ``1.23x``."""
    return f"{ratio:.2f}x"


def _per_call_report(results: dict[str, Any]) -> list[str]:
    """Section 1's table: every operation, mode and engine, raw next to the codec and the SDK."""
    rounds = results["settings"]["rounds"]
    names = {"retrieve": "retrieve", "list": "list of 100", "create": "create"}
    rows = []
    for operation in names:
        for mode in ("async", "sync"):
            for name in ENGINES:
                row = _get(results, "per_call", f"{operation}/{mode}/{name}")
                if row is None:
                    continue
                low, high = row["sdk_ratio_spread"]
                rows.append(
                    [
                        f"{names[operation]}, {mode}, {name}",
                        f"{row['raw_us']:.1f}",
                        f"{row['codec_us']:.1f}",
                        f"{row['sdk_us']:.1f} ({_x(row['sdk_ratio'])}, {low:.2f} to {high:.2f})",
                    ]
                )
    return [
        f"Per call, in-process transport: CPU µs per call, median of {rounds} rounds (ratio to raw code on the same "
        "engine; its spread over the rounds)",
        "",
        _table(["call, engine", "raw engine + json.loads", "of which builder + parser", "AsyncChing / Ching"], rows),
    ]


def _loopback_report(results: dict[str, Any]) -> list[str]:
    """Section 2's table: each loopback client's CPU per 1,000 calls and rate."""
    lb = results["loopback"]
    rows = []
    for client in LOOPBACK_CLIENTS:
        figure = lb["clients"][client]
        name = engine_of(client)
        label = f"{client} ({_x(lb['cpu_ratio'][name])} CPU)" if client.startswith("AsyncChing") else client
        samples = figure["samples_cpu_s_per_1000"]
        rows.append(
            [
                label,
                f"{figure['cpu_s_per_1000']:.3f} ({min(samples):.3f} to {max(samples):.3f})",
                f"{figure['calls_per_s']:,}",
                str(figure["transient_errors"]),
            ]
        )
    return [
        f"Loopback: {lb['calls']:,} retrieves at concurrency {lb['concurrency']} from the local Ching in another "
        f"process, each AsyncChing on the same kind of pool as the raw client of its engine (median of {lb['rounds']})",
        "",
        _table(["client", "client CPU s per 1,000 calls", "calls/s", "transient errors"], rows),
    ]


def _import_report(results: dict[str, Any]) -> list[str]:
    """Section 3's table: each snippet's time, without httpx's CLI extra and with it."""
    imp, venv = results["import"]["without_httpx_cli"], results["import"]["this_venv"]
    import_rows: list[tuple[str, str, str | None]] = [
        ("`pass` (interpreter start)", "python_startup", None),
        ("`import httpx`", "httpx", None),
        ("`import httpx2`", "httpx2", None),
        ("`import ching_client`", "ching_client", "ratio"),
        ("`from ching_client import AsyncChing, Ching`", "ching_client_clients", "clients_ratio"),
        ("raw httpx: import, first request, json.loads", "first_call_raw_httpx", None),
        ("`Ching` on httpx: import, first `retrieve`", "first_call_sdk", "first_call_ratio"),
    ]
    return [
        f"Import, fresh interpreter: ms, median of {results['import']['repeats']} (ratio to httpx)",
        "",
        _table(
            ["python -c", "without httpx's CLI extra", "this venv (with it)"],
            [
                [
                    label,
                    f"{imp[key + '_ms']:.1f}" + (f" ({_x(imp[ratio])})" if ratio else ""),
                    f"{venv[key + '_ms']:.1f}" + (f" ({_x(venv[ratio])})" if ratio else ""),
                ]
                for label, key, ratio in import_rows
            ],
        ),
    ]


def _memory_report(results: dict[str, Any]) -> list[str]:
    """Section 4's line: each client's RSS growth."""
    mem = results["memory"]
    return [
        f"Memory: RSS growth of one client from call {mem['first']:,} to call {mem['total']:,}: "
        f"AsyncChing {mem['async']['growth_mb']:+.2f} MB, Ching {mem['sync']['growth_mb']:+.2f} MB"
    ]


def _bulk_row(label: str, figure: dict[str, Any]) -> list[str]:
    """One client's row of the bulk table; a client whose batches all failed says so."""
    if "wall_s" not in figure:
        return [label, "failed", "", "", "", f"{len(figure['failed_batches'])} batches failed"]
    low, high = figure["ratio_spread"]
    failed = f", {len(figure['failed_batches'])} batches failed" if figure["failed_batches"] else ""
    return [
        label,
        f"{figure['wall_s']:.2f}",
        f"{_x(figure['ratio_to_ideal'])} ({low:.2f} to {high:.2f})",
        f"{figure['client_cpu_ms_per_row']:.3f}",
        f"{figure['server_cpu_ms_per_row']:.3f}",
        f"{figure['transient_errors']}{failed}",
    ]


def _bulk_report(results: dict[str, Any]) -> list[str]:
    """Section 5's table, then the peak memory line."""
    bk = results["bulk"]
    rounds = results["settings"]["bulk_rounds"]
    rows = [_bulk_row(BULK_LABELS[c], f) for c, f in bk["clients"].items()]
    rows += [_bulk_row(f"{BULK_LABELS[c]}, against the local Ching", f) for c, f in bk["local_ching"].items()]
    header = [
        "client",
        "wall s",
        "/ ideal (spread)",
        "client CPU ms per row",
        "server CPU ms per row",
        "transient errors",
    ]
    return [
        f"Bulk: {bk['rows']:,} upserts of new customers at concurrency {bk['concurrency']} against "
        f"{bk['server']} in another process answering each {bk['latency_s'] * 1000:.0f} ms late; ideal "
        f"{bk['ideal_s']:.2f} s (rows x latency / concurrency); median of {rounds} round{'s' if rounds > 1 else ''}",
        "",
        _table(header, rows),
        "",
        "Peak RSS of a fresh process upserting rows from a generator (AsyncChing, concurrency 32): "
        + ", ".join(f"{int(n):,} rows {mb:.1f} MB" for n, mb in bk["peak_rss_mb"].items())
        + f" ({bk['peak_rss_growth_mb']:+.1f} MB)",
    ]


def report(results: dict[str, Any]) -> str:
    """The tables, in the order of the issue; a section that failed is named with its error."""
    lines = [f"Machine: {describe(results['machine'])}"]
    sections: list[tuple[str, Callable[[dict[str, Any]], list[str]]]] = [
        ("per_call", _per_call_report),
        ("loopback", _loopback_report),
        ("import", _import_report),
        ("memory", _memory_report),
        ("bulk", _bulk_report),
    ]
    for name, render in sections:
        lines.append("")
        if name in results:
            lines += render(results)
        else:
            lines.append(f"{name}: FAILED ({results.get('errors', {}).get(name, 'not run')})")
    load = results.get("load", {})
    lines += [
        "",
        "Load average (1 min) before and after each section: "
        + ", ".join(f"{name} {before} -> {after}" for name, (before, after) in load.items()),
    ]
    quick = results.get("settings", {}).get("quick", False)
    lines += [
        "",
        "Targets"
        + (" (--quick: counts too small to say anything of speed; this run only checks the script)" if quick else ""),
        "",
        _table(
            ["target", "measured", "limit", ""],
            [
                [
                    t["name"],
                    "-" if t["value"] is None else f"{t['value']:.2f}",
                    f"<= {t['limit']:.2f}",
                    "met" if t["met"] else "MISSED",
                ]
                for t in results["targets"]
            ],
        ),
    ]
    return "\n".join(lines)
