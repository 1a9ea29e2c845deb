"""Build the local Ching as one file that any Python 3.11+ runs: no pip, no virtualenv (`make local-ching`).

    .venv/bin/python scripts/local_ching_pyz.py [--out build/ching-local.pyz]
    python3 build/ching-local.pyz --port 0          # or ./build/ching-local.pyz: it starts with a shebang

The file is a zip application (PEP 441): this checkout's ``ching_client`` package and every pure-Python
distribution its ``testing`` extra needs (uvicorn, h11, click, phonenumbers, httpx2, httpx, anyio, attrs...),
copied from this virtualenv, plus the spec it was generated from (``openapi/ching.yaml``) and that spec's
reference page, which the server serves at ``/ching/_fake/openapi.yaml`` and ``/ching/_fake/reference``.
A distribution with compiled code cannot run from a zip: the build stops and names it. phonenumbers'
geocoding, carrier and time-zone tables (45 MB) are left out: the local Ching only parses and checks numbers.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import re
import stat
import sys
import tempfile
import time
import zipapp
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `scripts` is then not importable as a package
    sys.path.insert(0, str(ROOT))
from scripts import build_docs  # noqa: E402  (the reference page's renderer)

PACKAGE = ROOT / "ching_client"
SPEC = ROOT / "openapi" / "ching.yaml"
DEFAULT_OUT = ROOT / "build" / "ching-local.pyz"
BUNDLE = PurePosixPath("ching_client", "testing", "_bundle")
"""Where, inside the file, the spec and its reference page go (``ching_client.testing._bundled`` reads them)."""
ROOT_DISTRIBUTION = "ching-client"
EXTRAS = frozenset({"testing"})
LEFT_OUT = (
    re.compile(r"(^|/)__pycache__/"),
    re.compile(r"\.pyi$"),
    re.compile(r"^phonenumbers/(geodata|carrierdata|tzdata)/"),
    re.compile(r"^phonenumbers/(geocoder|carrier|timezone)\.py$"),
    re.compile(r"^ching_client/_cli/"),  # the bulk command line needs tqdm, which is not in the file
)
COMPILED = re.compile(r"\.(so|pyd|dylib)$")
MAIN = """\
import sys

if sys.version_info < (3, 11):
    sys.exit("the local Ching needs Python 3.11 or later; this is " + sys.version.split()[0])

from ching_client.testing.__main__ import main

sys.exit(main(prog="python3 ching-local.pyz"))
"""


class BuildError(Exception):
    """Something this virtualenv lacks for the file, said in one line."""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions() -> list[metadata.Distribution]:
    """The distributions the ``testing`` extra needs at run time (this package's own excepted), each once."""
    environment = {"python_version": f"{sys.version_info.major}.{sys.version_info.minor}"}
    seen: dict[str, metadata.Distribution] = {}
    pending: list[tuple[str, frozenset[str]]] = [(ROOT_DISTRIBUTION, EXTRAS)]
    while pending:
        name, extras = pending.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise BuildError(f"{name} is not installed in this virtualenv: run `make setup`") from None
        key = _normal(dist.metadata["Name"])
        if key in seen and not extras:
            continue
        seen[key] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            wanted = marker is None or any(
                marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})
            )
            if wanted and _normal(requirement.name) not in seen:
                pending.append((requirement.name, frozenset(requirement.extras)))
    del seen[ROOT_DISTRIBUTION]
    return sorted(seen.values(), key=lambda dist: _normal(dist.metadata["Name"]))


def _kept(relative: str) -> bool:
    return not any(pattern.search(relative) for pattern in LEFT_OUT)


def distribution_files(dist: metadata.Distribution) -> Iterator[tuple[Path, str]]:
    """Each file of an installed distribution to put in the zip: (where it is, its path inside the zip)."""
    for file in dist.files or []:
        relative = PurePosixPath(file).as_posix()
        if relative.startswith("..") or "/bin/" in f"/{relative}":  # console scripts live outside site-packages
            continue
        if not _kept(relative):
            continue
        if COMPILED.search(relative):
            name = dist.metadata["Name"]
            raise BuildError(f"{name} holds compiled code ({relative}), which cannot run from a zip file")
        yield Path(str(dist.locate_file(file))), relative


def package_files() -> Iterator[tuple[Path, str]]:
    """This checkout's ``ching_client`` (not the installed copy: the file carries the code it was built from)."""
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and _kept(relative):
            yield path, relative


def build(out: Path = DEFAULT_OUT) -> Path:
    """Write the file to ``out`` and return it."""
    with tempfile.TemporaryDirectory(prefix="ching-local-") as temporary:
        stage = Path(temporary) / "app"
        files = [*package_files()]
        for dist in distributions():
            files.extend(distribution_files(dist))
        for source, relative in files:
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
        bundle = stage / BUNDLE
        bundle.mkdir(parents=True, exist_ok=True)
        (bundle / "openapi.yaml").write_bytes(SPEC.read_bytes())
        build_docs.build(bundle / "reference.html", SPEC)
        (stage / "__main__.py").write_text(MAIN, encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(stage, out, interpreter="/usr/bin/env python3", compressed=True)
    out.chmod(out.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        out = build(args.out)
    except BuildError as exc:
        print(f"cannot build the local Ching file: {exc}", file=sys.stderr)
        return 1
    size = out.stat().st_size / 1024 / 1024
    took = time.monotonic() - started
    print(f"wrote {out} ({size:.1f} MiB, {took:.1f} s): run it with `python3 {out.name} --port 0`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
