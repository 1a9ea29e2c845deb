"""Build the API reference as one self-contained HTML file that opens offline (`make docs`).

Renders openapi/ching.yaml with the pinned Redocly CLI (`build-docs`, Redoc), then makes the
page stand alone: Redoc's script, which the page would load from a CDN, is inlined from the
copy the CLI ships. Before rendering, each operation's description gains a line saying
whether it is safe to repeat, read from its `x-ching-safe-to-repeat`, so the reference
states it for every operation whatever the prose says.

    .venv/bin/python scripts/build_docs.py [--out build/docs/ching-api.html]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "ching.yaml"
CLI = ROOT / "openapi" / "typescript" / "node_modules" / "@redocly" / "cli"
REDOCLY = ROOT / "openapi" / "typescript" / "node_modules" / ".bin" / "redocly"
REDOC_BUNDLE = CLI / "lib" / "chunks" / "redoc.standalone.js"
DEFAULT_OUT = ROOT / "build" / "docs" / "ching-api.html"
METHODS = ("get", "put", "post", "delete", "patch")
SAFE = (
    "**Safe to repeat: yes.** Sending the same request again gives the same result, so it may be "
    "retried after a timeout or a dropped connection."
)
UNSAFE = (
    "**Safe to repeat: no.** Ching ignores idempotency keys: never retry this once the request may "
    "have reached Ching, or it may happen twice."
)
# Redoc options: responses and samples open, so every operation reads in full without a click.
OPTIONS = {
    "expandResponses": "all",
    "jsonSamplesExpandLevel": "all",
    "schemasExpansionLevel": "all",
    "hideDownloadButtons": "true",
    "disableTelemetry": "true",
}


def with_repeat_safety(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with each operation's description ending in whether it is safe to repeat."""
    for item in spec["paths"].values():
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                note = SAFE if operation["x-ching-safe-to-repeat"] else UNSAFE
                operation["description"] = operation.get("description", "").rstrip() + "\n\n" + note + "\n"
    return spec


def inline_redoc(html: str, bundle: str) -> str:
    """Replace the CDN references to Redoc's script with the script itself."""
    html, preloads = re.subn(r'\s*<link rel="modulepreload" href="https://[^"]*"[^>]*/?>', "", html)
    module = bundle.replace("</script", "<\\/script")
    # The bundle is an ES module ending in `export{...}`; inline, its names are used directly.
    module = re.sub(r"export\s*\{[^}]*\};?\s*$", "", module.rstrip())
    html, imports = re.subn(r'import \{ hydrate \} from "https://[^"]*";', lambda _: module.replace("\\", "\\\\"), html)
    if imports != 1:
        raise RuntimeError(f"expected one Redoc import in the rendered page, found {imports} (preloads: {preloads})")
    return html


def build(out: Path, spec_path: Path = SPEC) -> Path:
    """Render the reference to `out` and return it."""
    if not REDOCLY.exists() or not REDOC_BUNDLE.exists():
        raise FileNotFoundError(f"the Redocly CLI is missing: run (cd openapi/typescript && npm ci) [{REDOC_BUNDLE}]")
    spec = with_repeat_safety(yaml.safe_load(spec_path.read_text(encoding="utf-8")))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source, rendered = Path(tmp) / "ching.yaml", Path(tmp) / "ching.html"
        source.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
        options = [f"--openapi.{key}={value}" for key, value in OPTIONS.items()]
        env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
        result = subprocess.run(
            [str(REDOCLY), "build-docs", str(source), "-o", str(rendered), *options],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"redocly build-docs failed:\n{result.stdout}{result.stderr}")
        html = inline_redoc(rendered.read_text(encoding="utf-8"), REDOC_BUNDLE.read_text(encoding="utf-8"))
    out.write_text(html, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        path = build(args.out)
    except (FileNotFoundError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
